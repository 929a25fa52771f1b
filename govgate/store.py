"""Object storage behind one interface: a local folder and S3 (boto3), with the same behaviour.

- write-once keys: a second write is refused (S3 conditional put ``If-None-Match: *``; locally an atomic
  hard link that fails when the name exists), never an overwrite;
- every write returns the object's SHA-256, which is also stored with it (metadata ``sha256``; on S3 the
  server verifies it through ``ChecksumSHA256``);
- paginated listing in key order with bounded memory; batched delete (1,000 keys per call on S3);
- object tags and metadata; S3 Object Lock retention and legal hold when the bucket has Object Lock
  (the local store keeps the same rules in its sidecar metadata and enforces them on delete).
"""

from __future__ import annotations

import base64
import json
import os
import threading
import uuid
from abc import ABC, abstractmethod
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import BinaryIO, Literal
from urllib.parse import unquote, urlencode, urlparse

from govgate.digest import BLOCK, sha256_bytes, sha256_file
from govgate.errors import ObjectLockedError, StoreError, WriteOnceError

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


class ObjectStore(ABC):
    """What every backend offers. Keys are '/'-separated paths relative to the store's root."""

    url: str
    # whether listings carry Object Lock state (the local store's sidecars do; S3 needs a HEAD per version)
    lists_lock_state: bool = False

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
    def get_bytes(self, key: str) -> bytes: ...

    @abstractmethod
    def open(self, key: str) -> BinaryIO:
        """A readable binary stream of the object (callers close it)."""

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
        """Delete keys (or (key, version_id) pairs) in batches; locked objects are reported, not deleted."""

    def list_version_pages(self, prefix: str = "", page_size: int = 1000) -> Iterator[list[ObjectInfo]]:
        """Pages of every version and delete marker under ``prefix``, in key order and newest first within a
        key. Stores without versioning list each object once as its own current version."""
        return self.list_pages(prefix, page_size)

    def versioning(self) -> str | None:
        """'Enabled' or 'Suspended' when the store keeps object versions, else None."""
        return None

    @abstractmethod
    def get_tags(self, key: str, version_id: str | None = None) -> dict[str, str]: ...

    @abstractmethod
    def set_tags(self, key: str, tags: dict[str, str]) -> None: ...

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


# --------------------------------------------------------------------------------------------------
# local folder
# --------------------------------------------------------------------------------------------------


class LocalStore(ObjectStore):
    """A folder with the same key layout as the bucket. Metadata, tags and lock state live in sidecar
    JSON files under ``.govgate-meta/`` so that listing shows only objects."""

    META = ".govgate-meta"
    TMP = ".govgate-tmp"
    lists_lock_state = True

    def __init__(self, root: str | Path):
        self.root = Path(root).expanduser().resolve()
        self.url = self.root.as_uri()
        self._lock = threading.Lock()

    def uri(self, key: str) -> str:
        return (self.root / validate_key(key)).as_uri()

    def _path(self, key: str) -> Path:
        return self.root / validate_key(key)

    def _meta_path(self, key: str) -> Path:
        return self.root / self.META / (validate_key(key) + ".json")

    def _read_meta(self, key: str) -> dict:
        try:
            return json.loads(self._meta_path(key).read_text())
        except FileNotFoundError:
            return {}

    def _write_meta(self, key: str, meta: dict) -> None:
        path = self._meta_path(key)
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_name(f".{path.name}.{uuid.uuid4().hex}.tmp")
        tmp.write_text(json.dumps(meta, sort_keys=True))
        os.replace(tmp, path)

    def put(
        self,
        key,
        data,
        *,
        write_once=False,
        metadata=None,
        tags=None,
        content_type=None,
        retention=None,
        legal_hold=False,
    ):
        dest = self._path(key)
        existing = self._read_meta(key) if dest.exists() else {}
        if existing and _locked_reason(_meta_retention(existing), existing.get("legal_hold", False)):
            raise ObjectLockedError(f"refusing to overwrite {self.uri(key)}: it is under retention or legal hold")
        tmp_dir = self.root / self.TMP
        tmp_dir.mkdir(parents=True, exist_ok=True)
        tmp = tmp_dir / uuid.uuid4().hex
        try:
            if isinstance(data, Path):
                digest, size = _copy_hashing(data, tmp)
            else:
                body = data.encode() if isinstance(data, str) else data
                with open(tmp, "wb") as f:
                    f.write(body)
                    f.flush()
                    os.fsync(f.fileno())
                digest = sha256_bytes(body)
            dest.parent.mkdir(parents=True, exist_ok=True)
            if write_once:
                try:
                    os.link(tmp, dest)  # atomic; fails if the name exists
                except FileExistsError:
                    raise WriteOnceError(f"refusing to overwrite write-once object {self.uri(key)}") from None
            else:
                os.replace(tmp, dest)
        finally:
            tmp.unlink(missing_ok=True)
        meta = {
            "sha256": digest,
            "metadata": dict(metadata or {}),
            "tags": dict(tags or {}),
            "content_type": content_type,
            "created": _utc().isoformat(),
            "write_once": write_once,
            "legal_hold": legal_hold,
            "retention": {"mode": retention.mode, "until": retention.until.isoformat()} if retention else None,
        }
        self._write_meta(key, meta)
        return self._info(key, dest.stat(), meta)

    def _info(self, key: str, st: os.stat_result, meta: dict) -> ObjectInfo:
        return ObjectInfo(
            key=key,
            size=st.st_size,
            last_modified=datetime.fromtimestamp(st.st_mtime, UTC),
            sha256=meta.get("sha256"),
            metadata=meta.get("metadata", {}),
            retention=_meta_retention(meta),
            legal_hold=bool(meta.get("legal_hold", False)),
        )

    def tags_from_listing(self, info: ObjectInfo) -> dict[str, str]:
        """Tags without another read: the local listing already loaded each object's sidecar."""
        return dict(self._read_meta(info.key).get("tags", {}))

    def get_bytes(self, key: str) -> bytes:
        try:
            return self._path(key).read_bytes()
        except FileNotFoundError:
            raise StoreError(f"no object at {self.uri(key)}") from None

    def open(self, key: str) -> BinaryIO:
        try:
            return open(self._path(key), "rb")
        except FileNotFoundError:
            raise StoreError(f"no object at {self.uri(key)}") from None

    def download(self, key: str, dest: str | Path) -> Path:
        dest = Path(dest)
        dest.parent.mkdir(parents=True, exist_ok=True)
        with self.open(key) as src, open(dest, "wb") as out:
            while chunk := src.read(BLOCK):
                out.write(chunk)
        return dest

    def head(self, key: str, version_id: str | None = None) -> ObjectInfo | None:
        path = self._path(key)
        try:
            st = path.stat()
        except FileNotFoundError:
            return None
        if not path.is_file():
            return None
        return self._info(key, st, self._read_meta(key))

    def list_pages(self, prefix="", page_size=1000, start_after=None):
        page: list[ObjectInfo] = []
        for key, st in self._walk(self.root, ""):
            if not key.startswith(prefix) or (start_after is not None and key <= start_after):
                continue
            meta = self._read_meta(key)
            page.append(self._info(key, st, meta))
            if len(page) >= page_size:
                yield page
                page = []
        if page:
            yield page

    def _walk(self, folder: Path, base: str) -> Iterator[tuple[str, os.stat_result]]:
        """Files below ``folder`` in the same lexicographic key order as S3 listings."""
        try:
            entries = list(os.scandir(folder))
        except FileNotFoundError:
            return
        keyed = []
        for entry in entries:
            if not base and entry.name in (self.META, self.TMP):
                continue
            is_dir = entry.is_dir(follow_symlinks=False)
            keyed.append((base + entry.name + ("/" if is_dir else ""), entry, is_dir))
        for key, entry, is_dir in sorted(keyed, key=lambda t: t[0]):
            if is_dir:
                yield from self._walk(Path(entry.path), key)
            elif entry.is_file(follow_symlinks=False):
                yield key, entry.stat()

    def delete_many(self, keys):
        report = DeleteReport()
        for item in keys:
            key = item if isinstance(item, str) else item[0]
            meta = self._read_meta(key)
            reason = _locked_reason(_meta_retention(meta), bool(meta.get("legal_hold", False)))
            if reason:
                report.errors.append((key, reason))
                continue
            try:
                self._path(key).unlink()
            except FileNotFoundError:
                pass  # S3 semantics: deleting a missing key succeeds
            self._meta_path(key).unlink(missing_ok=True)
            report.deleted.append((key, None))
        report.calls = 1
        return report

    def get_tags(self, key: str, version_id: str | None = None) -> dict[str, str]:
        if not self._path(key).exists():
            raise StoreError(f"no object at {self.uri(key)}")
        return dict(self._read_meta(key).get("tags", {}))

    def set_tags(self, key: str, tags: dict[str, str]) -> None:
        if not self._path(key).exists():
            raise StoreError(f"no object at {self.uri(key)}")
        with self._lock:
            meta = self._read_meta(key)
            meta["tags"] = dict(tags)
            self._write_meta(key, meta)

    def set_legal_hold(self, key: str, on: bool) -> None:
        with self._lock:
            meta = self._read_meta(key)
            meta["legal_hold"] = on
            self._write_meta(key, meta)

    def supports_object_lock(self) -> bool:
        return True  # enforced by this class on delete and overwrite

    def check(self) -> str:
        try:
            self.root.mkdir(parents=True, exist_ok=True)
            probe = self.root / self.TMP / f"probe-{uuid.uuid4().hex}"
            probe.parent.mkdir(parents=True, exist_ok=True)
            probe.write_bytes(b"ok")
            probe.unlink()
        except OSError as exc:
            raise StoreError(f"local store {self.root} is not writable: {exc.strerror or exc}") from None
        return f"local folder {self.root}"


def _copy_hashing(src: Path, dest: Path) -> tuple[str, int]:
    import hashlib

    h = hashlib.sha256()
    size = 0
    try:
        with open(src, "rb") as fin, open(dest, "wb") as fout:
            while chunk := fin.read(BLOCK):
                h.update(chunk)
                fout.write(chunk)
                size += len(chunk)
            fout.flush()
            os.fsync(fout.fileno())
    except FileNotFoundError:
        raise StoreError(f"cannot store {src}: file not found") from None
    return h.hexdigest(), size


def _meta_retention(meta: dict) -> Retention | None:
    r = meta.get("retention")
    return Retention(r["mode"], datetime.fromisoformat(r["until"])) if r else None


def _locked_reason(retention: Retention | None, legal_hold: bool) -> str | None:
    if legal_hold:
        return "object is under legal hold"
    if retention and retention.until > _utc():
        return f"object is under {retention.mode} retention until {retention.until.isoformat()}"
    return None


def _utc() -> datetime:
    return datetime.now(UTC)


# --------------------------------------------------------------------------------------------------
# S3
# --------------------------------------------------------------------------------------------------


class S3Store(ObjectStore):
    """S3 or an S3-compatible server (MinIO, moto) through boto3."""

    def __init__(
        self,
        bucket: str,
        prefix: str = "",
        *,
        endpoint_url: str | None = None,
        region: str = "us-east-1",
        access_key_id: str | None = None,
        secret_access_key: str | None = None,
        max_attempts: int = 4,
        connect_timeout: float = 5.0,
    ):
        import boto3
        from botocore.config import Config

        self.bucket = bucket
        self.prefix = prefix.strip("/") + "/" if prefix.strip("/") else ""
        self.endpoint_url = endpoint_url
        self.url = f"s3://{bucket}/{self.prefix}".rstrip("/")
        session = boto3.session.Session(
            aws_access_key_id=access_key_id, aws_secret_access_key=secret_access_key, region_name=region
        )
        self.client = session.client(
            "s3",
            endpoint_url=endpoint_url,
            config=Config(
                retries={"total_max_attempts": max_attempts, "mode": "standard"},
                connect_timeout=connect_timeout,
                read_timeout=60,
                max_pool_connections=32,
                s3={"addressing_style": "path"} if endpoint_url else None,
            ),
        )
        self.api_calls = 0  # every S3 API request made, for benchmarks and tests
        self.client.meta.events.register("before-call.s3", self._count_call)
        self._lock_support: bool | None = None
        self._keeps_versions: bool | None = None

    def _count_call(self, **_kwargs) -> None:
        self.api_calls += 1

    def _k(self, key: str) -> str:
        return self.prefix + validate_key(key)

    def uri(self, key: str) -> str:
        return f"s3://{self.bucket}/{self._k(key)}"

    def _where(self) -> str:
        return f"bucket '{self.bucket}'" + (f" at {self.endpoint_url}" if self.endpoint_url else "")

    def _error(self, exc: Exception, action: str, key: str | None = None) -> StoreError:
        from botocore.exceptions import ClientError, EndpointConnectionError, NoCredentialsError

        target = self.uri(key) if key else f"s3://{self.bucket}"
        if isinstance(exc, EndpointConnectionError):
            return StoreError(
                f"cannot reach the S3 endpoint {self.endpoint_url or '(AWS)'} to {action} {target}: {exc}"
            )
        if isinstance(exc, NoCredentialsError):
            return StoreError(
                f"no S3 credentials to {action} {target}: set GOVGATE_S3_ACCESS_KEY_ID/GOVGATE_S3_SECRET_ACCESS_KEY"
            )
        if isinstance(exc, ClientError):
            code = exc.response.get("Error", {}).get("Code", "")
            if code in ("NoSuchBucket",):
                return StoreError(f"{self._where()} does not exist (while trying to {action} {target})")
            if code in ("NoSuchKey", "404", "NotFound"):
                return StoreError(f"no object at {target}")
            msg = exc.response.get("Error", {}).get("Message", str(exc))
            return StoreError(f"S3 refused to {action} {target}: {code} {msg}")
        return StoreError(f"S3 failed to {action} {target}: {exc}")

    def put(
        self,
        key,
        data,
        *,
        write_once=False,
        metadata=None,
        tags=None,
        content_type=None,
        retention=None,
        legal_hold=False,
    ):
        from botocore.exceptions import BotoCoreError, ClientError

        full = self._k(key)
        if isinstance(data, Path):
            digest, size = sha256_file(data)
        else:
            data = data.encode() if isinstance(data, str) else data
            digest, size = sha256_bytes(data), len(data)
        extra: dict = {"Metadata": {**(metadata or {}), "sha256": digest}}
        if content_type:
            extra["ContentType"] = content_type
        if tags:
            extra["Tagging"] = urlencode(tags)
        if (retention or legal_hold) and self.supports_object_lock():
            if retention:
                extra["ObjectLockMode"] = retention.mode
                extra["ObjectLockRetainUntilDate"] = retention.until
            if legal_hold:
                extra["ObjectLockLegalHoldStatus"] = "ON"
        try:
            if size <= SINGLE_PUT_LIMIT:
                body = data.read_bytes() if isinstance(data, Path) else data
                kwargs = dict(Bucket=self.bucket, Key=full, Body=body, **extra)
                kwargs["ChecksumAlgorithm"] = "SHA256"  # S3 verifies the body against our digest
                kwargs["ChecksumSHA256"] = base64.b64encode(bytes.fromhex(digest)).decode()
                if write_once:
                    kwargs["IfNoneMatch"] = "*"
                resp = self.client.put_object(**kwargs)
            else:
                from boto3.s3.transfer import TransferConfig

                if write_once and self.head(key) is not None:
                    raise WriteOnceError(f"refusing to overwrite write-once object {self.uri(key)}")
                cfg = TransferConfig(
                    multipart_threshold=SINGLE_PUT_LIMIT, multipart_chunksize=16 * 1024 * 1024, max_concurrency=8
                )
                self.client.upload_file(str(data), self.bucket, full, ExtraArgs=extra, Config=cfg)
                resp = self._lock_uploaded(key, extra)
        except ClientError as exc:
            code = exc.response.get("Error", {}).get("Code", "")
            if write_once and code in ("PreconditionFailed", "ConditionalRequestConflict"):
                raise WriteOnceError(f"refusing to overwrite write-once object {self.uri(key)}") from None
            raise self._error(exc, "write", key) from None
        except BotoCoreError as exc:
            raise self._error(exc, "write", key) from None
        return ObjectInfo(
            key=key,
            size=size,
            last_modified=_utc(),
            sha256=digest,
            etag=(resp.get("ETag") or "").strip('"') or None,
            version_id=resp.get("VersionId"),
            metadata=dict(metadata or {}),
            retention=retention if "ObjectLockMode" in extra else None,
            legal_hold="ObjectLockLegalHoldStatus" in extra,
        )

    def _lock_uploaded(self, key: str, extra: dict) -> dict:
        """After a multipart upload: its version id (the upload returns none), with the requested Object Lock
        state made sure of. Some S3-compatible servers (moto among them) ignore the lock headers of
        CreateMultipartUpload; evidence must be locked alike however large it is."""
        head = self.head(key)
        if head is None:
            raise StoreError(f"{self.uri(key)} is missing right after its upload")
        where = dict(
            Bucket=self.bucket, Key=self._k(key), **({"VersionId": head.version_id} if head.version_id else {})
        )
        if "ObjectLockMode" in extra and head.retention is None:
            self.client.put_object_retention(
                **where,
                Retention={"Mode": extra["ObjectLockMode"], "RetainUntilDate": extra["ObjectLockRetainUntilDate"]},
            )
        if "ObjectLockLegalHoldStatus" in extra and not head.legal_hold:
            self.client.put_object_legal_hold(**where, LegalHold={"Status": "ON"})
        return {"VersionId": head.version_id, "ETag": head.etag}

    def get_bytes(self, key: str) -> bytes:
        with self.open(key) as body:
            return body.read()

    def open(self, key: str) -> BinaryIO:
        from botocore.exceptions import BotoCoreError, ClientError

        try:
            return self.client.get_object(Bucket=self.bucket, Key=self._k(key))["Body"]
        except (ClientError, BotoCoreError) as exc:
            raise self._error(exc, "read", key) from None

    def download(self, key: str, dest: str | Path) -> Path:
        from botocore.exceptions import BotoCoreError, ClientError

        dest = Path(dest)
        dest.parent.mkdir(parents=True, exist_ok=True)
        try:
            self.client.download_file(self.bucket, self._k(key), str(dest))
        except (ClientError, BotoCoreError) as exc:
            raise self._error(exc, "read", key) from None
        return dest

    def head(self, key: str, version_id: str | None = None) -> ObjectInfo | None:
        from botocore.exceptions import BotoCoreError, ClientError

        try:
            extra = {"VersionId": version_id} if version_id else {}
            r = self.client.head_object(Bucket=self.bucket, Key=self._k(key), **extra)
        except ClientError as exc:
            if exc.response.get("Error", {}).get("Code") in ("404", "NoSuchKey", "NotFound"):
                return None
            raise self._error(exc, "inspect", key) from None
        except BotoCoreError as exc:
            raise self._error(exc, "inspect", key) from None
        meta = dict(r.get("Metadata", {}))
        retention = None
        if r.get("ObjectLockMode"):
            retention = Retention(r["ObjectLockMode"], r["ObjectLockRetainUntilDate"])
        return ObjectInfo(
            key=key,
            size=r["ContentLength"],
            last_modified=r["LastModified"],
            sha256=meta.pop("sha256", None),
            etag=r.get("ETag", "").strip('"') or None,
            version_id=r.get("VersionId"),
            metadata=meta,
            retention=retention,
            legal_hold=r.get("ObjectLockLegalHoldStatus") == "ON",
        )

    def list_pages(self, prefix="", page_size=1000, start_after=None):
        from botocore.exceptions import BotoCoreError, ClientError

        kwargs = dict(Bucket=self.bucket, Prefix=self.prefix + prefix, PaginationConfig={"PageSize": page_size})
        if start_after is not None:
            kwargs["StartAfter"] = self.prefix + start_after
        try:
            for page in self.client.get_paginator("list_objects_v2").paginate(**kwargs):
                items = [
                    ObjectInfo(
                        key=o["Key"][len(self.prefix) :],
                        size=o["Size"],
                        last_modified=o["LastModified"],
                        etag=o.get("ETag", "").strip('"') or None,
                    )
                    for o in page.get("Contents", [])
                ]
                if items:
                    yield items
        except (ClientError, BotoCoreError) as exc:
            raise self._error(exc, "list", prefix or None) from None

    def versioning(self) -> str | None:
        from botocore.exceptions import BotoCoreError, ClientError

        try:
            status = self.client.get_bucket_versioning(Bucket=self.bucket).get("Status")
        except (ClientError, BotoCoreError) as exc:
            raise self._error(exc, "read the versioning of") from None
        return status if status in ("Enabled", "Suspended") else None

    def keeps_versions(self) -> bool:
        """Whether the bucket has (or had) versioning; Object Lock implies it, which saves a request."""
        if self._keeps_versions is None:
            self._keeps_versions = self.supports_object_lock() or self.versioning() is not None
        return self._keeps_versions

    def list_version_pages(self, prefix="", page_size=1000):
        from botocore.exceptions import BotoCoreError, ClientError

        if not self.keeps_versions():
            # A never-versioned bucket has one version per key: the plain listing says the same, and
            # works on S3-compatible stores without ListObjectVersions (Cloudflare R2, some gateways).
            yield from self.list_pages(prefix, page_size)
            return
        kwargs = dict(Bucket=self.bucket, Prefix=self.prefix + prefix, PaginationConfig={"PageSize": page_size})
        try:
            for page in self.client.get_paginator("list_object_versions").paginate(**kwargs):
                items = [
                    ObjectInfo(
                        key=v["Key"][len(self.prefix) :],
                        size=v.get("Size", 0),
                        last_modified=v["LastModified"],
                        etag=(v.get("ETag") or "").strip('"') or None,
                        # an unversioned bucket lists its objects as version "null": treat them as plain keys
                        version_id=None if v.get("VersionId") in (None, "null") else v["VersionId"],
                        is_latest=bool(v.get("IsLatest")),
                        delete_marker=marker,
                    )
                    for marker, group in ((False, page.get("Versions", [])), (True, page.get("DeleteMarkers", [])))
                    for v in group
                ]
                # S3 returns versions and delete markers in two lists: restore key order, newest first.
                items.sort(key=lambda o: (o.key, -o.last_modified.timestamp()))
                if items:
                    yield items
        except (ClientError, BotoCoreError) as exc:
            raise self._error(exc, "list versions in", prefix or None) from None

    def delete_many(self, keys):
        from botocore.exceptions import BotoCoreError, ClientError

        report = DeleteReport()
        batch: list[dict] = []

        def flush() -> None:
            try:
                r = self.client.delete_objects(Bucket=self.bucket, Delete={"Objects": batch, "Quiet": True})
            except (ClientError, BotoCoreError) as exc:
                raise self._error(exc, "delete objects in") from None
            report.calls += 1
            failed = {(e["Key"], e.get("VersionId")) for e in r.get("Errors", [])}
            # Some servers omit VersionId in errors: then the key's entries in this batch all failed.
            failed_any = {e["Key"] for e in r.get("Errors", []) if not e.get("VersionId")}
            for e in r.get("Errors", []):
                report.errors.append((e["Key"][len(self.prefix) :], f"{e.get('Code')}: {e.get('Message')}"))
            for obj in batch:
                if (obj["Key"], obj.get("VersionId")) not in failed and obj["Key"] not in failed_any:
                    report.deleted.append((obj["Key"][len(self.prefix) :], obj.get("VersionId")))
            batch.clear()

        for item in keys:
            key, version = (item, None) if isinstance(item, str) else item
            obj = {"Key": self._k(key)}
            if version:
                obj["VersionId"] = version
            batch.append(obj)
            if len(batch) == DELETE_BATCH:
                flush()
        if batch:
            flush()
        return report

    def get_tags(self, key: str, version_id: str | None = None) -> dict[str, str]:
        from botocore.exceptions import BotoCoreError, ClientError

        try:
            extra = {"VersionId": version_id} if version_id else {}
            r = self.client.get_object_tagging(Bucket=self.bucket, Key=self._k(key), **extra)
        except (ClientError, BotoCoreError) as exc:
            raise self._error(exc, "read tags of", key) from None
        return {t["Key"]: t["Value"] for t in r.get("TagSet", [])}

    def set_tags(self, key: str, tags: dict[str, str]) -> None:
        from botocore.exceptions import BotoCoreError, ClientError

        try:
            self.client.put_object_tagging(
                Bucket=self.bucket,
                Key=self._k(key),
                Tagging={"TagSet": [{"Key": k, "Value": v} for k, v in tags.items()]},
            )
        except (ClientError, BotoCoreError) as exc:
            raise self._error(exc, "tag", key) from None

    def set_legal_hold(self, key: str, on: bool) -> None:
        from botocore.exceptions import BotoCoreError, ClientError

        try:
            self.client.put_object_legal_hold(
                Bucket=self.bucket, Key=self._k(key), LegalHold={"Status": "ON" if on else "OFF"}
            )
        except (ClientError, BotoCoreError) as exc:
            raise self._error(exc, "set legal hold on", key) from None

    def supports_object_lock(self) -> bool:
        from botocore.exceptions import BotoCoreError, ClientError

        if self._lock_support is None:
            try:
                r = self.client.get_object_lock_configuration(Bucket=self.bucket)
                self._lock_support = r.get("ObjectLockConfiguration", {}).get("ObjectLockEnabled") == "Enabled"
            except ClientError as exc:
                if exc.response.get("Error", {}).get("Code") == "NoSuchBucket":
                    raise self._error(exc, "inspect") from None
                self._lock_support = False
            except BotoCoreError as exc:
                raise self._error(exc, "inspect") from None
        return self._lock_support

    def check(self) -> str:
        from botocore.exceptions import BotoCoreError, ClientError

        try:
            self.client.head_bucket(Bucket=self.bucket)
        except ClientError as exc:
            code = exc.response.get("Error", {}).get("Code", "")
            if code in ("404", "NoSuchBucket", "NotFound"):
                raise StoreError(f"{self._where()} does not exist") from None
            raise self._error(exc, "access") from None
        except BotoCoreError as exc:
            raise self._error(exc, "access") from None
        lock = "with Object Lock" if self.supports_object_lock() else "without Object Lock"
        return f"{self.url} ({lock})" + (f" at {self.endpoint_url}" if self.endpoint_url else "")


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
