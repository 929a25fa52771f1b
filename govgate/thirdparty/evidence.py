"""A vendor's evidence files: hashed and attached to the record under names that carry no file name.

A contract or a DPA can hold personal data (signatories, contacts), and so can its file name: the record
keeps each file's SHA-256 and size and the attachment's name (item, digest, extension), never its text
nor its original name. The files themselves are written once beside the record (govgate/publish.py).
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from pathlib import Path

from govgate.digest import sha256_file
from govgate.protocol import THIRD_PARTY_EVIDENCE_DIR
from govgate.record import InputDigest

_SUFFIX_CHARS = 8


@dataclass(frozen=True)
class EvidenceFile:
    item: str
    path: Path  # local file: read to hash and attach, never recorded
    sha256: str
    size: int

    @property
    def name(self) -> str:
        """The attachment's name in the record's prefix: vendor-evidence/<item>/<sha256[:16]><.ext>."""
        suffix = self.path.suffix.lower()
        suffix = suffix if suffix[1:].isalnum() and len(suffix) <= _SUFFIX_CHARS else ""
        return f"{THIRD_PARTY_EVIDENCE_DIR}{self.item}/{self.sha256[:16]}{suffix}"

    def input_digest(self) -> InputDigest:
        return InputDigest(uri=self.name, sha256=self.sha256, size=self.size, role=f"third-party-evidence:{self.item}")


def hash_files(item: str, folder: Path, names: list[str]) -> list[EvidenceFile]:
    files = []
    for name in names:
        path = folder / name
        digest, size = sha256_file(path)
        files.append(EvidenceFile(item=item, path=path, sha256=digest, size=size))
    return files


def combined_sha256(files: list[EvidenceFile]) -> str | None:
    """One digest for an item: its file's SHA-256, or for several files the SHA-256 of their sorted
    digests (one per line), so the inventory can compare an item across reviews by one value."""
    if not files:
        return None
    if len(files) == 1:
        return files[0].sha256
    return hashlib.sha256("\n".join(sorted(f.sha256 for f in files)).encode()).hexdigest()
