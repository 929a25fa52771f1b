"""Checking a sealed package years later: every file's digest and size, the signature, the Object Lock state."""

from __future__ import annotations

import hashlib
import json
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from govgate import protocol
from govgate.digest import BLOCK
from govgate.errors import GovgateError, StoreError
from govgate.package.collect import locate
from govgate.package.layout import (
    KEY_FILE,
    MANIFEST_NAME,
    PUBLIC_KEY_NAME,
    RESERVED,
    SIGNATURE_NAME,
    PackageError,
)
from govgate.package.signing import (
    _private_from_pem,
    key_fingerprint,
    load_public_key,
    load_signing_key,
    trusted_fingerprints,
)
from govgate.store import (
    ObjectInfo,
    ObjectStore,
    open_store,
)


@dataclass
class VerifyReport:
    uri: str
    ok: bool = False
    package_id: str | None = None
    subject: str | None = None
    decision: str | None = None
    signature: str = "not checked"
    key: str = ""
    trusted_key: bool = False
    object_lock: str = "not checked"
    files_checked: int = 0
    bytes_checked: int = 0
    seconds: float = 0.0
    problems: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)

    def lines(self) -> list[str]:
        head = f"{'OK' if self.ok else 'FAILED'}: package {self.package_id or '?'} at {self.uri}"
        out = [head]
        if self.subject:
            out.append(f"  subject: {self.subject}; decision: {self.decision}")
        out += [
            f"  signature: {self.signature}",
            f"  object lock: {self.object_lock}",
            f"  files: {self.files_checked} checked, {self.bytes_checked:,} bytes in {self.seconds:.1f} s",
        ]
        out += [f"  PROBLEM: {p}" for p in self.problems]
        out += [f"  note: {n}" for n in self.notes]
        return out

    def __str__(self) -> str:
        return "\n".join(self.lines())


def locate_package(uri: str, settings=None, store: ObjectStore | None = None) -> tuple[ObjectStore, str]:
    """(store, prefix) of the package named by its folder or ``package.json`` URI (s3://, file://, a local
    path) or by ``models:/NAME/VERSION`` (the version's launch-evidence ``package_uri`` tag)."""
    if uri.startswith("models:/"):
        uri = _tagged_package_uri(uri, settings)
    if store is None and settings is not None:
        store = open_store(settings)
    if "://" not in uri:
        uri = Path(uri).expanduser().resolve().as_uri()
    if uri.endswith("/" + MANIFEST_NAME):
        uri = uri[: -len(MANIFEST_NAME)]
    s, key = locate(uri.rstrip("/") + "/" + MANIFEST_NAME, store, settings)
    return s, key[: -len(MANIFEST_NAME)]


def _tagged_package_uri(model_uri: str, settings) -> str:
    """The package URI a model version's tags name (``govgate.launch_evidence.package_uri``, or the legacy
    ``govgate.launch.package_uri``)."""
    if settings is None:
        raise PackageError(f"{model_uri}: settings are needed to read the model version's tags")
    from govgate.modeling import find_model_version
    from govgate.tracking import Tracker

    tracker = Tracker.from_settings(settings)
    mv = find_model_version(tracker.client, model_uri, registry=tracker.tracking_uri, error=PackageError)
    tagged = protocol.read_gate_tag(dict(mv.tags or {}), protocol.LAUNCH_EVIDENCE, protocol.PACKAGE_URI)
    if not tagged:
        tag = protocol.gate_tag(protocol.LAUNCH_EVIDENCE, protocol.PACKAGE_URI)
        raise PackageError(f"model version {model_uri} has no {tag} tag: no package was sealed for it")
    return tagged


def _trusted_key(public_key, settings) -> tuple[Any, str] | None:
    if public_key is not None:
        return load_public_key(public_key)
    if settings is not None:
        if settings.signing_key is not None and settings.signing_key.get_secret_value().strip():
            k = load_signing_key(settings)
            return k.public, f"the configured signing key ({k.source})"
        path = settings.home_dir / "keys" / KEY_FILE
        if path.exists():
            return _private_from_pem(path.read_bytes(), str(path)).public_key(), f"the local signing key {path}"
    return None


def _read_and_hash(store: ObjectStore, key: str, version_id: str | None = None) -> tuple[ObjectInfo | None, str, int]:
    """(info with lock state and version, sha256, size) of an object (of that version when given), or
    (None, "", 0) when it is missing."""
    if version_id:
        info = store.head(key, version_id)
        opened = None if info is None else (info, store.open(key, version_id))
    else:
        opened = store.open_with_info(key)
    if opened is None:
        return None, "", 0
    info, stream = opened
    h = hashlib.sha256()
    size = 0
    with stream:
        while chunk := stream.read(BLOCK):
            h.update(chunk)
            size += len(chunk)
    return info, h.hexdigest(), size


def _versions(store: ObjectStore, prefix: str) -> dict[str, list[ObjectInfo]]:
    """On a bucket that keeps versions: every version and delete marker of each file in the package folder,
    newest first (empty elsewhere). One listing serves every file's check."""
    if not store.keeps_versions():
        return {}
    out: dict[str, list[ObjectInfo]] = {}
    for page in store.list_version_pages(prefix):
        for info in page:
            out.setdefault(info.key[len(prefix) :], []).append(info)
    return out


def _rewritten(versions: dict[str, list[ObjectInfo]]) -> list[str]:
    """Every file was written once: a second version or a delete marker is a write over a sealed key, named
    whether or not the file is listed (package.json and package.sig cannot list their own version)."""
    out = []
    for name, found in sorted(versions.items()):
        markers = sum(v.delete_marker for v in found)
        if len(found) > 1:
            out.append(
                f"{name}: written over after sealing ({len(found) - markers} version(s), {markers} delete marker(s); "
                "a sealed file has one version)"
            )
    return out


def _sealed_version(versions: dict[str, list[ObjectInfo]], name: str) -> str | None:
    """The version of an unlisted file (package.json, package.sig) to read: its first, the one written when
    sealing (a write-once key gets no older one; what came later is named by :func:`_rewritten`)."""
    written = [v for v in versions.get(name, []) if not v.delete_marker]
    return written[-1].version_id if written else None


def verify_package(
    uri: str, settings=None, public_key=None, *, store: ObjectStore | None = None, workers: int = 4
) -> VerifyReport:
    """Recompute every file's SHA-256 and size, check the Ed25519 signature of ``package.json`` and each
    object's Object Lock state. Every problem names the file. ``public_key``: PEM text/bytes, a path, or a
    key; default: the configured signing key (or the local one under ``<home>/keys/``); without any, the
    copy inside the package is used, which proves integrity but not who signed."""
    t0 = time.perf_counter()
    report = VerifyReport(uri=uri)
    try:
        store, prefix = locate_package(uri, settings, store)
    except GovgateError as exc:
        report.problems.append(str(exc))
        return report
    report.uri = store.uri(prefix + MANIFEST_NAME)[: -len(MANIFEST_NAME)]
    versions = _versions(store, prefix)
    report.problems += _rewritten(versions)
    read = _read_manifest(store, prefix, report, versions)
    if read is not None:
        body, manifest = read
        _check_signature(
            store,
            prefix,
            body,
            manifest,
            _signing_key(
                store, prefix, public_key, settings, report, _listed_version(manifest, PUBLIC_KEY_NAME, versions)
            ),
            report,
            versions,
        )
        _check_folder(prefix, manifest, report)
        _check_files(store, prefix, manifest, report, workers, versions)
        _check_gate_record(store, prefix, manifest, report, versions)
        report.ok = not report.problems
    report.seconds = time.perf_counter() - t0
    return report


def _read_manifest(
    store: ObjectStore, prefix: str, report: VerifyReport, versions: dict[str, list[ObjectInfo]]
) -> tuple[bytes, dict] | None:
    """(exact bytes, parsed) of ``package.json`` as sealed (its first version on a versioned bucket, even
    under a delete marker), or None with the problem reported."""
    sealed = _sealed_version(versions, MANIFEST_NAME)
    if sealed is None and not store.exists(prefix + MANIFEST_NAME):
        present = [i.key[len(prefix) :] for i in store.list(prefix)][:5]
        what = (
            f"the folder holds {', '.join(present)}{' ...' if len(present) == 5 else ''}"
            if present
            else "the folder is empty"
        )
        report.problems.append(
            f"{MANIFEST_NAME} is missing at {report.uri}: the package was never sealed (incomplete) or does not exist; {what}"
        )
        return None
    body = store.get_bytes(prefix + MANIFEST_NAME, sealed)
    try:
        manifest = json.loads(body)
        if not isinstance(manifest["files"], dict):
            raise TypeError(f"'files' is a {type(manifest['files']).__name__}, not a mapping")
    except (ValueError, KeyError, TypeError) as exc:
        report.problems.append(f"{MANIFEST_NAME} is not a package manifest: {exc}")
        return None
    report.package_id = manifest.get("package_id")
    report.subject = (manifest.get("subject") or {}).get("model_uri")
    report.decision = (manifest.get("decision") or {}).get("outcome")
    return body, manifest


def _listed_version(manifest: dict, name: str, versions: dict[str, list[ObjectInfo]]) -> str | None:
    """The sealed version of a listed file (None off versioned buckets, e.g. a copy of the package)."""
    entry = manifest["files"].get(name)
    return entry.get("version_id") if versions and isinstance(entry, dict) else None


def _signing_key(
    store: ObjectStore, prefix: str, public_key, settings, report: VerifyReport, key_version: str | None = None
) -> tuple[Any, str] | None:
    """(public key to check the signature with, where it came from). A signature is worth the trust in its
    key: the package's own key counts only when its fingerprint is trusted (GOVGATE_TRUSTED_KEYS, the
    given or configured key); otherwise the package fails verification, whatever its signature says."""
    held = _trusted_key(public_key, settings)
    listed = trusted_fingerprints(settings) | ({key_fingerprint(held[0])} if held else set())
    inside = _key_inside(store, prefix, report, key_version)
    if inside is not None and key_fingerprint(inside) in listed:
        report.trusted_key = True
        return inside, f"the key inside the package ({PUBLIC_KEY_NAME}), a trusted key"
    if held is not None:  # the package names another key: check with the one we trust (it will not verify)
        report.trusted_key = True
        return held
    if inside is None:
        return None
    report.problems.append(
        f"signed by {key_fingerprint(inside)}, which is not a trusted key: the signature proves integrity, not "
        "origin (anyone can re-sign an edited package with their own key); trust the signer with "
        "GOVGATE_TRUSTED_KEYS=sha256:... or --public-key"
        if listed or held
        else f"no trusted key configured: the package is signed by {key_fingerprint(inside)}, but nothing says that "
        "key may sign evidence; set GOVGATE_TRUSTED_KEYS (fingerprints or public-key files) or pass --public-key"
    )
    return inside, f"the key inside the package ({PUBLIC_KEY_NAME}), NOT trusted"


def _key_inside(store: ObjectStore, prefix: str, report: VerifyReport, version_id: str | None = None):
    try:
        return load_public_key(store.get_bytes(prefix + PUBLIC_KEY_NAME, version_id))[0]
    except GovgateError as exc:
        report.problems.append(f"{PUBLIC_KEY_NAME}: {exc}")
        return None


def _check_signature(
    store: ObjectStore,
    prefix: str,
    body: bytes,
    manifest: dict,
    key: tuple[Any, str] | None,
    report: VerifyReport,
    versions: dict[str, list[ObjectInfo]],
) -> None:
    from cryptography.exceptions import InvalidSignature

    if key is None:
        return
    pub, source = key
    fp = key_fingerprint(pub)
    report.key = f"{fp} ({source})"
    try:
        sig = store.get_bytes(prefix + SIGNATURE_NAME, _sealed_version(versions, SIGNATURE_NAME))
    except StoreError:
        report.problems.append(f"{SIGNATURE_NAME} is missing: {MANIFEST_NAME} is unsigned")
        report.signature = "missing"
        return
    try:
        pub.verify(sig, body)
        report.signature = f"valid Ed25519 signature of {MANIFEST_NAME} by {fp}"
    except InvalidSignature:
        claimed = (manifest.get("signing") or {}).get("public_key_fingerprint", "?")
        why = (
            f"; {MANIFEST_NAME} says it was signed by {claimed}"
            if claimed != fp
            else f"; {MANIFEST_NAME} or {SIGNATURE_NAME} was changed or swapped"
        )
        report.signature = "INVALID"
        report.problems.append(
            f"{MANIFEST_NAME}: the signature in {SIGNATURE_NAME} does not verify with key {fp} ({source}){why}"
        )


def _check_folder(prefix: str, manifest: dict, report: VerifyReport) -> None:
    """The manifest belongs to this folder (a manifest copied from another package is a swap)."""
    if manifest.get("prefix") and not prefix.endswith(manifest["prefix"]):
        report.problems.append(
            f"{MANIFEST_NAME} belongs to package {manifest.get('package_id')} at {manifest['prefix']}, "
            f"not to this folder {prefix}: a swapped manifest"
        )
    elif report.package_id and not prefix.rstrip("/").endswith(report.package_id):
        report.problems.append(
            f"{MANIFEST_NAME} names package {report.package_id}, but the folder is {prefix}: a swapped manifest"
        )


def _lock_problem(name: str, info: ObjectInfo, lock: dict | None) -> str | None:
    """What is wrong with an object's Object Lock state against the lock it was sealed with, if anything."""
    if not lock:
        return None
    until = datetime.fromisoformat(lock["until"])
    r = info.retention
    if r is None:
        return f"{name}: not under Object Lock retention (sealed with {lock['mode']} until {lock['until']})"
    if r.mode != lock["mode"]:
        return f"{name}: Object Lock mode {r.mode}, sealed with {lock['mode']}"
    if _aware(r.until) < until - timedelta(seconds=1):
        return f"{name}: retained until {_aware(r.until).isoformat()}, earlier than the sealed {lock['until']}"
    return None


def _check_file(
    store: ObjectStore, prefix: str, name: str, entry: dict, lock: dict | None, versions: dict[str, list[ObjectInfo]]
) -> tuple[list[str], list[str], int]:
    """(content problems, lock problems, bytes read) of one listed file. On a versioned bucket the file is
    read at its sealed version, and a newer version or a delete marker over it (what readers of the plain
    key get instead) is named."""
    sealed = entry.get("version_id") if versions else None
    found = versions.get(name, [])
    problems = _hidden_by(name, sealed, found) if sealed else []
    if sealed and not any(v.version_id == sealed for v in found):
        info, digest, size = None, "", 0  # that version is not in the bucket (asking for it is an error on S3)
    else:
        info, digest, size = _read_and_hash(store, prefix + name, sealed)
    if info is None:
        where = f" (sealed version {sealed} is gone)" if sealed else ""
        return (
            [f"missing file {name}{where} (listed in {MANIFEST_NAME} with sha256 {entry.get('sha256', '?')[:16]}...)"],
            [],
            0,
        )
    if digest != entry.get("sha256"):
        problems.append(f"{name}: content changed (sha256 {digest[:16]}..., sealed {str(entry.get('sha256'))[:16]}...)")
    elif size != entry.get("size"):
        problems.append(f"{name}: size {size}, sealed {entry.get('size')}")
    lock_problem = _lock_problem(name, info, lock)
    return problems, [lock_problem] if lock_problem else [], size


def _hidden_by(name: str, sealed: str, found: list[ObjectInfo]) -> list[str]:
    """What sits over a file's sealed version: a newer version or a delete marker (newest first in ``found``)."""
    if not any(v.version_id == sealed for v in found):
        return []  # the sealed version itself is missing: said by the caller
    # S3 lists versions and delete markers apart; within one second their merged order is not reliable,
    # IsLatest is
    newest = next((v for v in found if v.is_latest), found[0])
    if newest.delete_marker:
        return [f"{name}: a delete marker hides the sealed version {sealed} (the plain key reads as gone)"]
    if newest.version_id != sealed:
        return [
            f"{name}: replaced after sealing (current version {newest.version_id}, sealed version {sealed}; "
            "the plain key reads the newer one)"
        ]
    return []


def _check_files(
    store: ObjectStore,
    prefix: str,
    manifest: dict,
    report: VerifyReport,
    workers: int,
    versions: dict[str, list[ObjectInfo]],
) -> None:
    """Every listed file (in parallel), the manifest's and signature's lock, and files added after sealing."""
    files: dict[str, dict] = manifest["files"]
    lock = manifest.get("object_lock")
    lock_problems: list[str] = []
    with ThreadPoolExecutor(max_workers=max(1, workers)) as pool:
        checked = pool.map(
            lambda item: _check_file(store, prefix, item[0], item[1], lock, versions), sorted(files.items())
        )
        for problems, locks, size in checked:
            report.problems += problems
            lock_problems += locks
            report.bytes_checked += size
            report.files_checked += 1
    for name in (MANIFEST_NAME, SIGNATURE_NAME):
        info = store.head(prefix + name, _sealed_version(versions, name))
        if info is not None and (problem := _lock_problem(name, info, lock)):
            lock_problems.append(problem)
    listed = set(files) | set(RESERVED)
    extra = [i.key[len(prefix) :] for i in store.list(prefix) if i.key[len(prefix) :] not in listed]
    report.problems += [
        f"{name}: in the package folder but not in {MANIFEST_NAME} (added after sealing)" for name in extra
    ]
    report.problems += lock_problems
    if lock:
        report.object_lock = f"{lock['mode']} until {lock['until']}: " + (
            "every file" if not lock_problems else f"{len(lock_problems)} problem(s)"
        )
    else:
        note = manifest.get("object_lock_note") or "the package was sealed without Object Lock; write-once only"
        report.object_lock = f"none ({note})"


def _check_gate_record(
    store: ObjectStore, prefix: str, manifest: dict, report: VerifyReport, versions: dict[str, list[ObjectInfo]]
) -> None:
    """The launch gate's record published beside the package (record.json, reports, its manifest.json):
    every file against the record's manifest. A package sealed by a run that crashed before publishing
    has no record; that is said, not hidden."""
    from govgate.publish import check_record_files

    if not store.exists(prefix + protocol.MANIFEST):
        report.notes.append(f"no gate record beside the package ({protocol.MANIFEST} missing): not published")
        return
    package_files = set(manifest["files"]) | {MANIFEST_NAME, SIGNATURE_NAME}
    problems = check_record_files(store, prefix, also_listed=package_files, report_added=False)  # said above
    # The record's check lists the folder's versions too: a package file written over is said once, above.
    said = {name for name, found in versions.items() if len(found) > 1}
    report.problems += [f"gate record: {p}" for p in problems if p.split(":", 1)[0] not in said]


def _aware(dt: datetime) -> datetime:
    return dt if dt.tzinfo else dt.replace(tzinfo=UTC)
