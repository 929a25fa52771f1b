"""The object-store interface every backend offers, and the value types it speaks (keys, infos, retention).

Callers use only this interface: a store-specific call (one GET that carries the lock headers, tags already
in a listing) is a method here with a plain default, overridden where a backend can do it cheaper.
"""

from __future__ import annotations

import json
from abc import ABC, abstractmethod
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import BinaryIO, Literal

from govgate import protocol
from govgate.errors import ObjectLockedError, StoreError

DELETE_BATCH = 1000
# Bodies up to this size go in one conditional PUT (write-once enforced by the server); larger files
# use multipart upload after an existence check.
SINGLE_PUT_LIMIT = 64 * 1024 * 1024

LockMode = Literal["GOVERNANCE", "COMPLIANCE"]


@dataclass(frozen=True)
class Retention:
    mode: LockMode
    until: datetime


@dataclass
class ObjectInfo:
    key: str
    size: int
    last_modified: datetime
    sha256: str | None = None
    etag: str | None = None
    version_id: str | None = None
    metadata: dict[str, str] = field(default_factory=dict)
    retention: Retention | None = None
    legal_hold: bool = False
    # version listings only: whether this is the key's current version, and whether it is a delete marker
    is_latest: bool = True
    delete_marker: bool = False


@dataclass
class DeleteReport:
    deleted: list[tuple[str, str | None]] = field(default_factory=list)
    errors: list[tuple[str, str]] = field(default_factory=list)  # (key, reason)
    # (key, marker version id): a bare key deleted on a versioned bucket; every version is still there
    markers: list[tuple[str, str | None]] = field(default_factory=list)
    calls: int = 0


def validate_key(key: str) -> str:
    if not key or key.startswith("/") or "\\" in key:
        raise StoreError(f"invalid object key {key!r}: must be a relative path like 'evidence/a/b.json'")
    parts = key.split("/")
    if any(p in ("", ".", "..") for p in parts[:-1]) or parts[-1] in (".", ".."):
        raise StoreError(f"invalid object key {key!r}: empty, '.' or '..' path segment")
    if parts[0].startswith(".govgate-"):
        raise StoreError(f"invalid object key {key!r}: the '.govgate-' prefix is reserved")
    return key


def write_once_for(key: str, asked: bool) -> bool:
    """Evidence and audit keys are written once whatever the caller asked: a plain put must never be able
    to replace what an auditor will read (write-once per key, not per call)."""
    return asked or key.startswith(protocol.ALWAYS_PROTECTED)


def _utc() -> datetime:
    return datetime.now(UTC)


class ObjectStore(ABC):
    """What every backend offers. Keys are '/'-separated paths relative to the store's root."""

    url: str
    # whether listings carry Object Lock state (the local store's sidecars do; S3 needs a HEAD per version)
    lists_lock_state: bool = False
    # requests made to the backend, where it counts them (S3), for benchmarks and tests; None elsewhere
    api_calls: int | None = None

    @abstractmethod
    def uri(self, key: str) -> str: ...

    @abstractmethod
    def put(
        self,
        key: str,
        data: bytes | str | Path,
        *,
        write_once: bool = False,
        metadata: dict[str, str] | None = None,
        tags: dict[str, str] | None = None,
        content_type: str | None = None,
        retention: Retention | None = None,
        legal_hold: bool = False,
    ) -> ObjectInfo:
        """Write bytes (or the file at a Path) and return its info with ``sha256`` filled."""

    @abstractmethod
    def get_bytes(self, key: str, version_id: str | None = None) -> bytes:
        """The object's bytes: its current version, or the version named (stores without versions have
        only the current one and ignore ``version_id``)."""

    @abstractmethod
    def open(self, key: str, version_id: str | None = None) -> BinaryIO:
        """A readable binary stream of the object, or of the version named (callers close it)."""

    @abstractmethod
    def download(self, key: str, dest: str | Path) -> Path: ...

    @abstractmethod
    def head(self, key: str, version_id: str | None = None) -> ObjectInfo | None:
        """Info with metadata, or None when the key does not exist."""

    @abstractmethod
    def list_pages(
        self, prefix: str = "", page_size: int = 1000, start_after: str | None = None
    ) -> Iterator[list[ObjectInfo]]:
        """Pages of objects under ``prefix`` in key order; memory is bounded by ``page_size``."""

    @abstractmethod
    def delete_many(self, keys: Iterable[str | tuple[str, str | None]]) -> DeleteReport:
        """Delete keys (or (key, version_id) pairs) in batches; locked objects are reported, not deleted.
        Where the store keeps versions, a bare key gets a delete marker (``DeleteReport.markers``) and
        the version id ``"null"`` names the version written before versioning was enabled."""

    def list_version_pages(self, prefix: str = "", page_size: int = 1000) -> Iterator[list[ObjectInfo]]:
        """Pages of every version and delete marker under ``prefix``, in key order and newest first within a
        key. Stores without versioning list each object once as its own current version."""
        return self.list_pages(prefix, page_size)

    def versioning(self) -> str | None:
        """'Enabled' or 'Suspended' when the store keeps object versions, else None."""
        return None

    def keeps_versions(self) -> bool:
        """Whether the store keeps (or kept) object versions."""
        return self.versioning() is not None

    def tags_from_listing(self, info: ObjectInfo) -> dict[str, str] | None:
        """The object's tags when the listing that produced ``info`` already carries them, else None
        (the caller then pays one :meth:`get_tags`)."""
        return None

    def open_with_info(self, key: str) -> tuple[ObjectInfo, BinaryIO] | None:
        """The object's info (lock state and version included) and a readable stream of its body, or None
        when the key does not exist. Backends that get both from one request override this."""
        info = self.head(key)
        if info is None:
            return None
        return info, self.open(key)

    @abstractmethod
    def get_tags(self, key: str, version_id: str | None = None) -> dict[str, str]: ...

    @abstractmethod
    def set_tags(self, key: str, tags: dict[str, str]) -> None: ...

    @abstractmethod
    def set_legal_hold(self, key: str, on: bool) -> None:
        """Place (or lift) an Object Lock legal hold on the key's current version."""

    @abstractmethod
    def supports_object_lock(self) -> bool: ...

    @abstractmethod
    def check(self) -> str:
        """Verify the store is reachable and usable; return a one-line description. Raises StoreError."""

    # shared conveniences ------------------------------------------------------------------------
    def list(self, prefix: str = "", page_size: int = 1000, start_after: str | None = None) -> Iterator[ObjectInfo]:
        for page in self.list_pages(prefix, page_size, start_after):
            yield from page

    def exists(self, key: str) -> bool:
        return self.head(key) is not None

    def get_json(self, key: str) -> object:
        raw = self.get_bytes(key)
        try:
            return json.loads(raw)
        except ValueError as exc:
            raise StoreError(f"{self.uri(key)} is not valid JSON: {exc}") from None

    def delete(self, key: str) -> None:
        report = self.delete_many([key])
        if report.errors:
            key, reason = report.errors[0]
            raise ObjectLockedError(f"cannot delete {self.uri(key)}: {reason}")
