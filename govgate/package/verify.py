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
from govgate.package.layout import KEY_FILE, MANIFEST_NAME, PUBLIC_KEY_NAME, RESERVED, SIGNATURE_NAME, PackageError
from govgate.package.signing import _private_from_pem, key_fingerprint, load_public_key, load_signing_key
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


def _read_and_hash(store: ObjectStore, key: str) -> tuple[ObjectInfo | None, str, int]:
    """(info with lock state and version, sha256, size) of an object, or (None, "", 0) when it is missing."""
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


def verify_package(
    uri: str, settings=None, public_key=None, *, store: ObjectStore | None = None, workers: int = 4
) -> VerifyReport:
    """Recompute every file's SHA-256 and size, check the Ed25519 signature of ``package.json`` and each
    object's Object Lock state. Every problem names the file. ``public_key``: PEM text/bytes, a path, or a
    key; default: the configured signing key (or the local one under ``<home>/keys/``); without any, the
    copy inside the package is used, which proves integrity but not who signed."""
    from cryptography.exceptions import InvalidSignature

    t0 = time.perf_counter()
    report = VerifyReport(uri=uri)
    try:
        store, prefix = locate_package(uri, settings, store)
    except GovgateError as exc:
        report.problems.append(str(exc))
        return report
    report.uri = store.uri(prefix + MANIFEST_NAME)[: -len(MANIFEST_NAME)]
    if not store.exists(prefix + MANIFEST_NAME):
        present = [i.key[len(prefix) :] for i in store.list(prefix)][:5]
        what = (
            f"the folder holds {', '.join(present)}{' ...' if len(present) == 5 else ''}"
            if present
            else "the folder is empty"
        )
        report.problems.append(
            f"{MANIFEST_NAME} is missing at {report.uri}: the package was never sealed (incomplete) or does not exist; {what}"
        )
        report.seconds = time.perf_counter() - t0
        return report
    body = store.get_bytes(prefix + MANIFEST_NAME)
    try:
        manifest = json.loads(body)
        files: dict[str, dict] = manifest["files"]
    except (ValueError, KeyError, TypeError) as exc:
        report.problems.append(f"{MANIFEST_NAME} is not a package manifest: {exc}")
        return report
    report.package_id = manifest.get("package_id")
    subj = manifest.get("subject") or {}
    report.subject = subj.get("model_uri")
    report.decision = (manifest.get("decision") or {}).get("outcome")
    claimed = (manifest.get("signing") or {}).get("public_key_fingerprint", "?")

    # signature
    trusted = _trusted_key(public_key, settings)
    if trusted is None:
        try:
            pub = load_public_key(store.get_bytes(prefix + PUBLIC_KEY_NAME))[0]
            trusted = (pub, f"the key inside the package ({PUBLIC_KEY_NAME})")
            report.notes.append(
                f"no trusted public key given: checked against {PUBLIC_KEY_NAME} inside the package, which proves integrity, not origin"
            )
        except GovgateError as exc:
            report.problems.append(f"{PUBLIC_KEY_NAME}: {exc}")
    else:
        report.trusted_key = True
    if trusted is not None:
        pub, source = trusted
        fp = key_fingerprint(pub)
        report.key = f"{fp} ({source})"
        try:
            sig = store.get_bytes(prefix + SIGNATURE_NAME)
        except StoreError:
            sig = None
            report.problems.append(f"{SIGNATURE_NAME} is missing: {MANIFEST_NAME} is unsigned")
            report.signature = "missing"
        if sig is not None:
            try:
                pub.verify(sig, body)
                report.signature = f"valid Ed25519 signature of {MANIFEST_NAME} by {fp}"
            except InvalidSignature:
                why = (
                    f"; {MANIFEST_NAME} says it was signed by {claimed}"
                    if claimed != fp
                    else f"; {MANIFEST_NAME} or {SIGNATURE_NAME} was changed or swapped"
                )
                report.signature = "INVALID"
                report.problems.append(
                    f"{MANIFEST_NAME}: the signature in {SIGNATURE_NAME} does not verify with key {fp} ({source}){why}"
                )
    if manifest.get("prefix") and not prefix.endswith(manifest["prefix"]):
        report.problems.append(
            f"{MANIFEST_NAME} belongs to package {manifest.get('package_id')} at {manifest['prefix']}, "
            f"not to this folder {prefix}: a swapped manifest"
        )
    elif report.package_id and not prefix.rstrip("/").endswith(report.package_id):
        report.problems.append(
            f"{MANIFEST_NAME} names package {report.package_id}, but the folder is {prefix}: a swapped manifest"
        )

    # files
    lock = manifest.get("object_lock")
    lock_problems: list[str] = []

    def check_lock(name: str, info) -> None:
        if not lock:
            return
        until = datetime.fromisoformat(lock["until"])
        r = info.retention
        if r is None:
            lock_problems.append(
                f"{name}: not under Object Lock retention (sealed with {lock['mode']} until {lock['until']})"
            )
        elif r.mode != lock["mode"]:
            lock_problems.append(f"{name}: Object Lock mode {r.mode}, sealed with {lock['mode']}")
        elif _aware(r.until) < until - timedelta(seconds=1):
            lock_problems.append(
                f"{name}: retained until {_aware(r.until).isoformat()}, earlier than the sealed {lock['until']}"
            )

    def check(item: tuple[str, dict]) -> tuple[list[str], int]:
        name, entry = item
        info, digest, size = _read_and_hash(store, prefix + name)
        if info is None:
            return [
                f"missing file {name} (listed in {MANIFEST_NAME} with sha256 {entry.get('sha256', '?')[:16]}...)"
            ], 0
        problems = []
        check_lock(name, info)
        if entry.get("version_id") and info.version_id and info.version_id != entry["version_id"]:
            problems.append(
                f"{name}: replaced after sealing (current version {info.version_id}, sealed version {entry['version_id']})"
            )
        if digest != entry.get("sha256"):
            problems.append(
                f"{name}: content changed (sha256 {digest[:16]}..., sealed {str(entry.get('sha256'))[:16]}...)"
            )
        elif size != entry.get("size"):
            problems.append(f"{name}: size {size}, sealed {entry.get('size')}")
        return problems, size

    with ThreadPoolExecutor(max_workers=max(1, workers)) as pool:
        for problems, size in pool.map(check, sorted(files.items())):
            report.problems += problems
            report.bytes_checked += size
            report.files_checked += 1
    for name in (MANIFEST_NAME, SIGNATURE_NAME):
        if (info := store.head(prefix + name)) is not None:
            check_lock(name, info)
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
        report.object_lock = (
            "none ("
            + (manifest.get("object_lock_note") or "the package was sealed without Object Lock; write-once only")
            + ")"
        )
    report.ok = not report.problems
    report.seconds = time.perf_counter() - t0
    return report


def _aware(dt: datetime) -> datetime:
    return dt if dt.tzinfo else dt.replace(tzinfo=UTC)
