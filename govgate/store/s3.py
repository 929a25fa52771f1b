"""The S3 store: S3 or an S3-compatible server (MinIO, moto) through boto3."""

from __future__ import annotations

import base64
import hashlib
from pathlib import Path
from typing import BinaryIO
from urllib.parse import urlencode

from govgate.digest import sha256_bytes, sha256_file
from govgate.errors import StoreError, WriteOnceError
from govgate.store.base import (
    DELETE_BATCH,
    SINGLE_PUT_LIMIT,
    DeleteReport,
    ObjectInfo,
    ObjectStore,
    Retention,
    _utc,
    validate_key,
    write_once_for,
)

# Parts of a multipart upload (S3 allows 5 MiB to 5 GiB, at most 10,000 parts: up to 160 GiB here).
PART_SIZE = 16 * 1024 * 1024

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
        read_timeout: float = 6.0,
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
                read_timeout=read_timeout,
                max_pool_connections=32,
                s3={"addressing_style": "path"} if endpoint_url else None,
            ),
        )
        self.api_calls = 0  # every S3 API request made, for benchmarks and tests
        self.client.meta.events.register("before-call.s3", self._count_call)
        self._lock_support: bool | None = None
        self._keeps_versions: bool | None = None
        self._speaks_s3: bool | None = None

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

        write_once = write_once_for(key, write_once)
        full = self._k(key)
        if isinstance(data, Path):
            digest, size = sha256_file(data)
        else:
            data = data.encode() if isinstance(data, str) else data
            digest, size = sha256_bytes(data), len(data)
        extra = self._put_args(digest, metadata, tags, content_type, retention, legal_hold)
        try:
            if size <= SINGLE_PUT_LIMIT:
                resp = self._put_single(full, data, digest, extra, write_once)
            else:
                resp = self._put_multipart(key, data, extra, write_once)
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
            version_id=resp.get("VersionId") if resp.get("VersionId") != "null" else None,
            metadata=dict(metadata or {}),
            retention=retention if "ObjectLockMode" in extra else None,
            legal_hold="ObjectLockLegalHoldStatus" in extra,
        )

    def _put_args(self, digest, metadata, tags, content_type, retention, legal_hold) -> dict:
        """Metadata (with our sha256), content type, tags and, where the bucket has it, Object Lock."""
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
        return extra

    def _put_single(self, full: str, data: bytes | Path, digest: str, extra: dict, write_once: bool) -> dict:
        """One PUT that S3 verifies against our digest; write-once by ``If-None-Match: *``."""
        body = data.read_bytes() if isinstance(data, Path) else data
        kwargs = dict(Bucket=self.bucket, Key=full, Body=body, **extra)
        kwargs["ChecksumAlgorithm"] = "SHA256"  # S3 verifies the body against our digest
        kwargs["ChecksumSHA256"] = base64.b64encode(bytes.fromhex(digest)).decode()
        if write_once:
            kwargs["IfNoneMatch"] = "*"
        return self.client.put_object(**kwargs)

    def _put_multipart(self, key: str, data: bytes | Path, extra: dict, write_once: bool) -> dict:
        """A large file in parts. Write-once is the completion's ``If-None-Match: *``: a key that another
        writer created meanwhile makes it fail (412) instead of adding a version over it. The early HEAD
        only spares uploading the parts of a write that is bound to fail."""
        if write_once and self.head(key) is not None:
            raise WriteOnceError(f"refusing to overwrite write-once object {self.uri(key)}")
        full = self._k(key)
        upload_id = self.client.create_multipart_upload(
            Bucket=self.bucket, Key=full, ChecksumAlgorithm="SHA256", **extra
        )["UploadId"]
        try:
            parts = self._upload_parts(full, upload_id, data)
            done = dict(Bucket=self.bucket, Key=full, UploadId=upload_id, MultipartUpload={"Parts": parts})
            if write_once:
                done["IfNoneMatch"] = "*"
            resp = self.client.complete_multipart_upload(**done)
        except BaseException:
            self._abort_upload(full, upload_id)
            raise
        return self._lock_uploaded(key, extra, resp.get("VersionId"))

    def _upload_parts(self, full: str, upload_id: str, data: bytes | Path) -> list[dict]:
        """Parts of PART_SIZE, four at a time (bounded memory), each verified by S3 against its SHA-256."""
        from concurrent.futures import ThreadPoolExecutor

        def one(numbered: tuple[int, int]) -> dict:
            number, offset = numbered
            if isinstance(data, bytes):
                body = data[offset : offset + PART_SIZE]
            else:
                with open(data, "rb") as f:
                    f.seek(offset)
                    body = f.read(PART_SIZE)
            checksum = base64.b64encode(hashlib.sha256(body).digest()).decode()
            r = self.client.upload_part(
                Bucket=self.bucket,
                Key=full,
                UploadId=upload_id,
                PartNumber=number,
                Body=body,
                ChecksumAlgorithm="SHA256",
                ChecksumSHA256=checksum,
            )
            return {"PartNumber": number, "ETag": r["ETag"], "ChecksumSHA256": r.get("ChecksumSHA256") or checksum}

        size = len(data) if isinstance(data, bytes) else data.stat().st_size
        with ThreadPoolExecutor(max_workers=4) as pool:
            return list(pool.map(one, enumerate(range(0, max(size, 1), PART_SIZE), start=1)))

    def _abort_upload(self, full: str, upload_id: str) -> None:
        """Best effort: an unfinished upload's parts cost storage until aborted (or a lifecycle rule)."""
        from botocore.exceptions import BotoCoreError, ClientError

        try:
            self.client.abort_multipart_upload(Bucket=self.bucket, Key=full, UploadId=upload_id)
        except (ClientError, BotoCoreError):
            pass

    def _lock_uploaded(self, key: str, extra: dict, version_id: str | None) -> dict:
        """After a multipart upload: the version it made, with the requested Object Lock state made sure
        of. Some S3-compatible servers (moto among them) ignore the lock headers of CreateMultipartUpload;
        evidence must be locked alike however large it is."""
        head = self.head(key, version_id if version_id != "null" else None)  # "null": an unversioned bucket
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

    def get_bytes(self, key: str, version_id: str | None = None) -> bytes:
        with self.open(key, version_id) as body:
            return body.read()

    def open(self, key: str, version_id: str | None = None) -> BinaryIO:
        from botocore.exceptions import BotoCoreError, ClientError

        try:
            extra = {"VersionId": version_id} if version_id else {}
            return self.client.get_object(Bucket=self.bucket, Key=self._k(key), **extra)["Body"]
        except (ClientError, BotoCoreError) as exc:
            raise self._error(exc, "read", key) from None

    def open_with_info(self, key: str) -> tuple[ObjectInfo, BinaryIO] | None:
        """One GET gives both the body and the lock/version headers (half the requests of HEAD + GET)."""
        from botocore.exceptions import BotoCoreError, ClientError

        try:
            r = self.client.get_object(Bucket=self.bucket, Key=self._k(key))
        except ClientError as exc:
            if exc.response.get("Error", {}).get("Code") in ("NoSuchKey", "404", "NotFound"):
                return None
            raise self._error(exc, "read", key) from None
        except BotoCoreError as exc:
            raise self._error(exc, "read", key) from None
        retention = Retention(r["ObjectLockMode"], r["ObjectLockRetainUntilDate"]) if r.get("ObjectLockMode") else None
        info = ObjectInfo(
            key=key,
            size=r["ContentLength"],
            last_modified=r["LastModified"],
            version_id=r.get("VersionId"),
            retention=retention,
            legal_hold=r.get("ObjectLockLegalHoldStatus") == "ON",
        )
        return info, r["Body"]

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
                self._require_s3()  # a plain web server answers 404 too: "no object" would be a lie
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
        """Batches of up to 1,000 (key, version) deletes. A version id removes that version for good ("null"
        is the version a key had before versioning was enabled); a bare key on a versioned bucket only
        places a delete marker: reported in ``markers``, never as deleted."""
        from botocore.exceptions import BotoCoreError, ClientError

        report = DeleteReport()
        batch: list[dict] = []

        def flush() -> None:
            try:
                # not Quiet: only the answer for each key says whether it was deleted or a marker was placed
                r = self.client.delete_objects(Bucket=self.bucket, Delete={"Objects": batch, "Quiet": False})
            except (ClientError, BotoCoreError) as exc:
                raise self._error(exc, "delete objects in") from None
            report.calls += 1
            self._account_deletes(batch, r, report)
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

    def _account_deletes(self, batch: list[dict], r: dict, report: DeleteReport) -> None:
        """Sort one DeleteObjects answer into deleted, markers placed and errors (a locked version is an
        error: AccessDenied)."""
        for e in r.get("Errors", []):
            reason = f"{e.get('Code')}: {e.get('Message')}"
            if e.get("Code") == "AccessDenied" and self.supports_object_lock():
                reason = f"object-locked version (retention or legal hold), not deleted: {reason}"
            report.errors.append((e["Key"][len(self.prefix) :], reason))
        answered = r.get("Deleted")
        if answered is None:  # a server that answers only errors: what it did not refuse, it deleted
            failed = {(e["Key"], e.get("VersionId")) for e in r.get("Errors", [])}
            failed_any = {e["Key"] for e in r.get("Errors", []) if not e.get("VersionId")}
            answered = [o for o in batch if (o["Key"], o.get("VersionId")) not in failed and o["Key"] not in failed_any]
        asked = {o["Key"]: o.get("VersionId") for o in batch}
        for d in answered:
            key = d["Key"][len(self.prefix) :]
            version = d.get("VersionId") or asked.get(d["Key"])
            if d.get("DeleteMarker") and not version:
                report.markers.append((key, d.get("DeleteMarkerVersionId")))
            else:
                report.deleted.append((key, version))

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

    def _require_s3(self) -> None:
        """Once per store: the endpoint answers a bucket listing in S3's language (an S3 error code, or a
        listing); a plain HTTP server does not, and every 404 from it would read as "no object"."""
        from botocore.exceptions import BotoCoreError, ClientError

        if self._speaks_s3 is None:
            try:
                self.client.list_objects_v2(Bucket=self.bucket, MaxKeys=1)
                self._speaks_s3 = True
            except ClientError as exc:
                self._speaks_s3 = not exc.response.get("Error", {}).get("Code", "").isdigit()
            except BotoCoreError:
                self._speaks_s3 = False
        if not self._speaks_s3:
            raise StoreError(
                f"the endpoint {self.endpoint_url or '(AWS)'} does not answer like S3 (no S3 error code, no bucket "
                f"listing for '{self.bucket}'): check GOVGATE_S3_ENDPOINT_URL"
            )

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
