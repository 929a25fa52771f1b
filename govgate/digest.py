"""Content digests: SHA-256 streamed in large blocks (hashlib releases the GIL on big updates)."""

from __future__ import annotations

import hashlib
from pathlib import Path
from typing import BinaryIO

BLOCK = 4 * 1024 * 1024


def sha256_bytes(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def sha256_stream(stream: BinaryIO) -> tuple[str, int]:
    """Digest and size of everything left in ``stream``."""
    h = hashlib.sha256()
    size = 0
    while chunk := stream.read(BLOCK):
        h.update(chunk)
        size += len(chunk)
    return h.hexdigest(), size


def sha256_file(path: str | Path) -> tuple[str, int]:
    with open(path, "rb") as f:
        return sha256_stream(f)
