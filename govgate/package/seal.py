"""Writing a package once: every file write-once (Object Lock where the tier asks), then the signature, then
``package.json`` last."""

from __future__ import annotations

import json
import tempfile
import time
import uuid
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

from govgate import protocol
from govgate.digest import sha256_bytes, sha256_file
from govgate.errors import WriteOnceError
from govgate.package.collect import Evidence, StoreSource
from govgate.package.layout import (
    GATE,
    INDEX_NAME,
    MANIFEST_NAME,
    PUBLIC_KEY_NAME,
    RECORD_MANIFEST,
    RESERVED,
    SCHEMA,
    SIGNATURE_NAME,
    PackageError,
)
from govgate.package.signing import SigningKey
from govgate.record import slug, utcnow
from govgate.store import (
    SINGLE_PUT_LIMIT,
    ObjectInfo,
    ObjectStore,
    Retention,
)

Source = bytes | str | Path | StoreSource


@dataclass
class SealedPackage:
    package_id: str
    store: ObjectStore
    prefix: str
    manifest: dict[str, Any]
    manifest_sha256: str
    files: dict[str, dict[str, Any]]
    seconds: float = 0.0
    bytes_written: int = 0

    @property
    def uri(self) -> str:
        return self.store.uri(self.prefix + MANIFEST_NAME)

    @property
    def folder_uri(self) -> str:
        return self.store.uri(self.prefix + MANIFEST_NAME)[: -len(MANIFEST_NAME)]

    @property
    def index_uri(self) -> str:
        return self.store.uri(self.prefix + INDEX_NAME)


def package_prefix(model_name: str, version: str, package_id: str) -> str:
    return f"{protocol.EVIDENCE_PREFIX}{slug(model_name)}/{slug(version)}/{GATE}/{package_id}/"


def launch_retention(rules, store: ObjectStore, now: datetime | None = None) -> Retention | None:
    """The tier's launch Object Lock (mode, days) when set and the store supports Object Lock."""
    if not rules.object_lock_mode or rules.object_lock_days <= 0 or not store.supports_object_lock():
        return None
    return Retention(rules.object_lock_mode, (now or utcnow()) + timedelta(days=rules.object_lock_days))


def _check_name(name: str) -> None:
    if name in RESERVED or name.startswith("."):
        raise PackageError(f"{name!r} is reserved in a package folder")
    parts = name.split("/")
    if not name or any(p in ("", ".", "..") for p in parts) or "\\" in name:
        raise PackageError(f"invalid package file name {name!r}")


def _put_once(store: ObjectStore, key: str, data: bytes | Path, retention: Retention | None, content_type: str):
    """Write once; when the key already holds the very same bytes (a retried upload of this package),
    accept it; anything else is refused, so a package is never a mix of two runs."""
    try:
        return store.put(key, data, write_once=True, retention=retention, content_type=content_type)
    except WriteOnceError:
        info = store.head(key)
        want = sha256_file(data)[0] if isinstance(data, Path) else sha256_bytes(data)
        if info is not None and info.sha256 == want:
            return info
        raise PackageError(
            f"{store.uri(key)} already exists with different content: refusing to mix two package runs"
        ) from None


def _materialize(src: Source, tmp: Path) -> tuple[bytes | Path, str | None]:
    """(bytes or a local file, expected sha256) for one source."""
    if isinstance(src, StoreSource):
        info = src.store.head(src.key)
        if info is None:
            raise PackageError(f"{src.store.uri(src.key)} is missing (it was listed by its record's manifest)")
        if info.size > SINGLE_PUT_LIMIT:
            return src.store.download(src.key, tmp / uuid.uuid4().hex), src.expected_sha256
        return src.store.get_bytes(src.key), src.expected_sha256
    if isinstance(src, str):
        return src.encode(), None
    return src, None


def write_package(
    store: ObjectStore,
    prefix: str,
    files: dict[str, Source],
    fields: dict[str, Any],
    key: SigningKey,
    *,
    retention: Retention | None = None,
    index: Callable[[dict[str, dict[str, Any]]], bytes] | None = None,
    workers: int = 8,
) -> SealedPackage:
    """Write ``files`` once under ``prefix`` (concurrently; large files go multipart on S3), then the
    index (rendered from the written files), then ``package.sig`` and finally ``package.json``."""
    from govgate.publish import media_type

    t0 = time.perf_counter()
    prefix = prefix.rstrip("/") + "/"
    if store.exists(prefix + MANIFEST_NAME):
        raise WriteOnceError(f"{store.uri(prefix + MANIFEST_NAME)} exists: a sealed package is never overwritten")
    for name in files:
        _check_name(name)
    if retention is not None and not store.supports_object_lock():
        retention = None
    written = _write_files(store, prefix, files, retention, workers)
    if index is not None:
        info = _put_once(store, prefix + INDEX_NAME, index(dict(written)), retention, media_type(INDEX_NAME))
        written[INDEX_NAME] = _entry(info)
    manifest = _manifest(store, prefix, fields, key, retention, written)
    body = json.dumps(manifest, indent=2, sort_keys=True, default=str).encode()
    _put_once(store, prefix + SIGNATURE_NAME, key.sign(body), retention, "application/octet-stream")
    _put_once(store, prefix + MANIFEST_NAME, body, retention, "application/json")  # last: the package is complete
    return SealedPackage(
        package_id=str(fields.get("package_id", "")),
        store=store,
        prefix=prefix,
        manifest=manifest,
        manifest_sha256=sha256_bytes(body),
        files=manifest["files"],
        seconds=time.perf_counter() - t0,
        bytes_written=sum(e["size"] for e in written.values()),
    )


def _entry(info: ObjectInfo) -> dict[str, Any]:
    """A file's line in ``package.json``: digest, size and (on versioned buckets) the sealed version."""
    return {"sha256": info.sha256, "size": info.size, **({"version_id": info.version_id} if info.version_id else {})}


def _write_files(
    store: ObjectStore, prefix: str, files: dict[str, Source], retention: Retention | None, workers: int
) -> dict[str, dict[str, Any]]:
    """Copy every file once, in parallel; a store source must still match its record's manifest digest."""
    from govgate.publish import media_type

    with tempfile.TemporaryDirectory(prefix="govgate-package-") as tmpdir:

        def one(item: tuple[str, Source]) -> tuple[str, dict[str, Any]]:
            name, src = item
            data, expected = _materialize(src, Path(tmpdir))
            info = _put_once(store, prefix + name, data, retention, media_type(name))
            if isinstance(data, Path) and isinstance(src, StoreSource):
                data.unlink(missing_ok=True)
            if expected and info.sha256 != expected:
                raise PackageError(
                    f"{src.store.uri(src.key)} does not match the sha256 in its record's manifest.json (expected {expected}, "
                    f"read {info.sha256}): the source record is corrupt or was changed; the package was not sealed"
                )
            return name, _entry(info)

        # Big files first, so that their multipart uploads overlap with the many small ones.
        order = sorted(files.items(), key=lambda kv: -(kv[1].stat().st_size if isinstance(kv[1], Path) else 0))
        with ThreadPoolExecutor(max_workers=max(1, workers)) as pool:
            return dict(pool.map(one, order))


def _manifest(
    store: ObjectStore,
    prefix: str,
    fields: dict[str, Any],
    key: SigningKey,
    retention: Retention | None,
    written: dict[str, dict[str, Any]],
) -> dict[str, Any]:
    return {
        "schema": SCHEMA,
        **fields,
        "prefix": prefix,
        "store": store.url,
        "sealed_at": utcnow().isoformat(),
        "object_lock": {"mode": retention.mode, "until": retention.until.isoformat()} if retention else None,
        "signing": {
            "algorithm": "Ed25519",
            "public_key_fingerprint": key.fingerprint,
            "public_key_file": PUBLIC_KEY_NAME,
            "signature_file": SIGNATURE_NAME,
            "signed_bytes": MANIFEST_NAME,
        },
        "files": dict(sorted(written.items())),
    }


def record_files(ev: Evidence) -> dict[str, StoreSource]:
    """Every file of every gathered record (with its manifest), under ``records/<gate>/<record_id>/``."""
    out: dict[str, StoreSource] = {}
    for rec in ev.all_records():
        for name, digest in sorted(rec.files.items()):
            out[rec.package_name(name)] = StoreSource(rec.store, rec.prefix + name, digest)
        out[rec.package_name(RECORD_MANIFEST)] = StoreSource(rec.store, rec.prefix + RECORD_MANIFEST)
    return out
