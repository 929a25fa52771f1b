"""The local store: a folder with the same key layout as the bucket, the same write-once and lock rules."""

from __future__ import annotations

import json
import os
import threading
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import BinaryIO

from govgate.digest import BLOCK, sha256_bytes
from govgate.errors import ObjectLockedError, StoreError, WriteOnceError
from govgate.store.base import DeleteReport, ObjectInfo, ObjectStore, Retention, _utc, validate_key, write_once_for

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
        write_once = write_once_for(key, write_once)
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

    def get_bytes(self, key: str, version_id: str | None = None) -> bytes:
        try:
            return self._path(key).read_bytes()
        except FileNotFoundError:
            raise StoreError(f"no object at {self.uri(key)}") from None

    def open(self, key: str, version_id: str | None = None) -> BinaryIO:
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
