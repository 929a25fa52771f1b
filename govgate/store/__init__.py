"""Object storage behind one interface: a local folder and S3 (boto3), with the same behaviour.

- write-once keys: a second write is refused (S3: ``If-None-Match: *`` on the PUT or the multipart
  completion; locally an atomic hard link that fails when the name exists), never an overwrite;
- every write returns the object's SHA-256, which is also stored with it (metadata ``sha256``; on S3 the
  server verifies it through ``ChecksumSHA256``);
- paginated listing in key order with bounded memory; batched delete (1,000 keys per call on S3);
- object tags and metadata; S3 Object Lock retention and legal hold when the bucket has Object Lock
  (the local store keeps the same rules in its sidecar metadata and enforces them on delete).

Modules: ``base`` (the interface and its value types), ``local`` (a folder), ``s3`` (boto3).
"""

from __future__ import annotations

from pathlib import Path
from urllib.parse import unquote, urlparse

from govgate.errors import StoreError
from govgate.store.base import (
    DELETE_BATCH,
    SINGLE_PUT_LIMIT,
    DeleteReport,
    LockMode,
    ObjectInfo,
    ObjectStore,
    Retention,
    validate_key,
)
from govgate.store.local import LocalStore
from govgate.store.s3 import S3Store

# --------------------------------------------------------------------------------------------------


def open_store(settings, url: str | None = None) -> ObjectStore:
    """The store at ``url`` (default: the settings' ``store_url``), with the settings' S3 connection."""
    url = url or settings.effective_store_url
    parsed = urlparse(url)
    if parsed.scheme == "s3":
        secret = settings.s3_secret_access_key.get_secret_value() if settings.s3_secret_access_key else None
        return S3Store(
            parsed.netloc,
            parsed.path.lstrip("/"),
            endpoint_url=settings.s3_endpoint_url,
            region=settings.s3_region,
            access_key_id=settings.s3_access_key_id,
            secret_access_key=secret,
            max_attempts=settings.s3_max_attempts,
            connect_timeout=settings.s3_connect_timeout,
            read_timeout=settings.s3_read_timeout,
        )
    if parsed.scheme in ("file", ""):
        return LocalStore(unquote(parsed.path) if parsed.scheme else url)
    raise StoreError(f"unsupported store URL {url!r}: expected a local path, file:///path or s3://bucket[/prefix]")


def store_for_uri(uri: str, settings) -> tuple[ObjectStore, str]:
    """(store, key) for one object named by ``s3://bucket/key``, ``file:///path`` or a local path."""
    parsed = urlparse(uri)
    if parsed.scheme == "s3":
        return open_store(settings, f"s3://{parsed.netloc}"), unquote(parsed.path.lstrip("/"))
    if parsed.scheme in ("file", ""):
        path = Path(unquote(parsed.path) if parsed.scheme else uri).expanduser().resolve()
        return LocalStore(path.parent), path.name
    raise StoreError(f"unsupported URI {uri!r}: expected s3://bucket/key or a local path")


__all__ = [
    "DELETE_BATCH",
    "SINGLE_PUT_LIMIT",
    "LockMode",
    "DeleteReport",
    "LocalStore",
    "ObjectInfo",
    "ObjectStore",
    "Retention",
    "S3Store",
    "open_store",
    "store_for_uri",
    "validate_key",
]
