"""Launch evidence packages: everything a model version's launch rests on, sealed so that an auditor can
check it years later (no Prefect here; ``flows/launch_evidence.py`` orders the steps).

A package lives at ``evidence/<asset>/<version>/launch-evidence/<package_id>/`` and holds copies of the
version's gate records (record, reports, model card, datasheet, their manifests), the documents given to
the flow (risk assessment, ...), the policy file, the sign-offs, the lineage, the signer's public key and
``annex-iv.html`` (which file serves which EU AI Act Annex IV / ISO/IEC 42001 item). Then:

1. every file is written once (``write_once``) with the tier's Object Lock retention when the store has it;
2. ``package.sig`` (raw Ed25519 signature of the exact bytes of ``package.json``) is written;
3. ``package.json`` (every file with size and SHA-256, the policy digest, the records' decisions, the
   sign-offs, the completeness table and the lineage) is written LAST: a folder without it is an
   unfinished package that readers and ``verify_package`` refuse. A package is never overwritten.

The gate record of the run (``record.json``, ``report.*``, ``manifest.json``) is published beside the
package by the usual path and names the package's manifest digest.

Signing key: ``settings.signing_key`` (``GOVGATE_SIGNING_KEY``), PEM text or a path to a PEM file; without
one, a key is generated once under ``<home>/keys/`` (0600). In a Prefect deployment the key can come from a
Prefect Secret block, e.g. ``GOVGATE_SIGNING_KEY="$(python -c 'from prefect.blocks.system import Secret;
print(Secret.load("govgate-signing-key").get())')"``. Anyone can check a package without govgate:
``openssl pkeyutl -verify -pubin -inkey signing-key.pub.pem -rawin -in package.json -sigfile package.sig``
(with a public key obtained from the signer, not only the copy inside the package).
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import tempfile
import time
import uuid
from collections.abc import Callable, Iterable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from functools import lru_cache
from pathlib import Path
from typing import Any

from govgate import protocol
from govgate.controls import EVIDENCE_KINDS, load_index
from govgate.digest import BLOCK, sha256_bytes, sha256_file
from govgate.errors import ConfigError, GovgateError, InputError, StoreError, WriteOnceError
from govgate.record import GateResult, SignOff, slug, utcnow
from govgate.store import (
    SINGLE_PUT_LIMIT,
    LocalStore,
    ObjectInfo,
    ObjectStore,
    Retention,
    open_store,
    store_for_uri,
)
from govgate.yamlio import load_yaml

GATE = protocol.LAUNCH_EVIDENCE
SCHEMA = protocol.LAUNCH_PACKAGE_SCHEMA
MANIFEST_NAME = "package.json"
SIGNATURE_NAME = "package.sig"
PUBLIC_KEY_NAME = "signing-key.pub.pem"
INDEX_NAME = "annex-iv.html"
SIGNOFFS_NAME = "signoffs.json"
LINEAGE_NAME = "lineage.json"
RECORD_MANIFEST = protocol.MANIFEST
# Written beside the package by the gate record's publishing (covered by its own manifest).
RECORD_FILES = (*protocol.RECORD_FILES, RECORD_MANIFEST)
RESERVED = (MANIFEST_NAME, SIGNATURE_NAME, *RECORD_FILES)
KEY_FILE = "launch-signing-ed25519.pem"

# Evidence kinds a package can hold (what the completeness table knows how to find).
PACKAGE_KINDS = (
    "data_review",
    "pii_scan",
    "data_quality",
    "datasheet",
    "model_review",
    "fairness_eval",
    "robustness_eval",
    "explainability",
    "model_card",
    "risk_assessment",
    "signoff",
    "evidence_package",
    "policy",
)
CHECK_KINDS = {
    "pii_scan": protocol.DATA_REVIEW,
    "data_quality": protocol.DATA_REVIEW,
    "fairness_eval": protocol.MODEL_REVIEW,
    "robustness_eval": protocol.MODEL_REVIEW,
    "explainability": protocol.MODEL_REVIEW,
}
GOOD = ("pass", "warn")


class PackageError(GovgateError):
    """A package cannot be written, found or read."""


# ==================================================================================================
# signing
# ==================================================================================================


@dataclass
class SigningKey:
    private: Any  # Ed25519PrivateKey
    source: str  # where it came from, for messages (never the key itself)

    @property
    def public(self):
        return self.private.public_key()

    def public_pem(self) -> bytes:
        return public_pem(self.public)

    @property
    def fingerprint(self) -> str:
        return key_fingerprint(self.public)

    def sign(self, data: bytes) -> bytes:
        return self.private.sign(data)


def public_pem(public) -> bytes:
    from cryptography.hazmat.primitives import serialization

    return public.public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo)


def key_fingerprint(public) -> str:
    """``sha256:<hex>`` of the raw 32-byte Ed25519 public key."""
    from cryptography.hazmat.primitives import serialization

    raw = public.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)
    return "sha256:" + hashlib.sha256(raw).hexdigest()


def _private_from_pem(pem: bytes, where: str):
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

    try:
        key = serialization.load_pem_private_key(pem, password=None)
    except TypeError:
        raise ConfigError(
            f"signing key {where} is encrypted; govgate needs an unencrypted Ed25519 PEM (keep it in a secret store)"
        ) from None
    except ValueError as exc:
        raise ConfigError(f"signing key {where} is not a PEM private key: {exc}") from None
    if not isinstance(key, Ed25519PrivateKey):
        raise ConfigError(
            f"signing key {where} is a {type(key).__name__.lstrip('_')}; evidence packages are signed with Ed25519"
        )
    return key


def load_signing_key(settings) -> SigningKey:
    """The key from ``settings.signing_key`` (PEM text or a path), else the one kept under
    ``<home>/keys/`` (generated once, 0600)."""
    if settings.signing_key is not None and settings.signing_key.get_secret_value().strip():
        value = settings.signing_key.get_secret_value().strip()
        if value.startswith("-----BEGIN"):
            return SigningKey(
                _private_from_pem(value.encode(), "from GOVGATE_SIGNING_KEY"), "settings.signing_key (PEM)"
            )
        path = Path(value).expanduser()
        try:
            pem = path.read_bytes()
        except OSError as exc:
            raise ConfigError(
                f"signing_key (GOVGATE_SIGNING_KEY) points at {path}, which cannot be read: {exc.strerror or exc}"
            ) from None
        return SigningKey(_private_from_pem(pem, str(path)), str(path))
    return SigningKey(
        _private_from_pem(_default_key_file(settings).read_bytes(), "in the home folder"),
        str(_default_key_file(settings)),
    )


def _default_key_file(settings) -> Path:
    """``<home>/keys/launch-signing-ed25519.pem``, created atomically with 0600 if it does not exist."""
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

    keys = settings.home_dir / "keys"
    path = keys / KEY_FILE
    if path.exists():
        return path
    keys.mkdir(parents=True, exist_ok=True)
    os.chmod(keys, 0o700)
    key = Ed25519PrivateKey.generate()
    pem = key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption())
    tmp = keys / f".{KEY_FILE}.{uuid.uuid4().hex}.tmp"
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "wb") as f:
        f.write(pem)
    try:
        os.link(tmp, path)  # atomic; a concurrent run that won the race keeps its key
        (keys / (KEY_FILE[: -len(".pem")] + ".pub.pem")).write_bytes(public_pem(key.public_key()))
    except FileExistsError:
        pass
    finally:
        tmp.unlink(missing_ok=True)
    return path


def load_public_key(spec) -> tuple[Any, str]:
    """(Ed25519 public key, description) from a key object, PEM text/bytes (public or private) or a path."""
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey

    if isinstance(spec, Ed25519PublicKey):
        return spec, "given key"
    if isinstance(spec, Ed25519PrivateKey):
        return spec.public_key(), "given key"
    if isinstance(spec, SigningKey):
        return spec.public, spec.source
    where = "given PEM"
    if isinstance(spec, Path) or (isinstance(spec, str) and not spec.lstrip().startswith("-----BEGIN")):
        where = str(spec)
        try:
            spec = Path(spec).expanduser().read_bytes()
        except OSError as exc:
            raise ConfigError(f"public key file {where} cannot be read: {exc.strerror or exc}") from None
    data = spec.encode() if isinstance(spec, str) else bytes(spec)
    if b"PRIVATE KEY" in data:
        return _private_from_pem(data, where).public_key(), where
    try:
        key = serialization.load_pem_public_key(data)
    except ValueError as exc:
        raise ConfigError(f"public key {where} is not a PEM public key: {exc}") from None
    if not isinstance(key, Ed25519PublicKey):
        raise ConfigError(f"public key {where} is not an Ed25519 key")
    return key, where


# ==================================================================================================
# gathering
# ==================================================================================================


@dataclass
class FoundRecord:
    """A complete gate record somewhere in a store."""

    gate: str
    record_id: str
    store: ObjectStore
    prefix: str  # key prefix of the record folder in ``store``
    record: GateResult
    files: dict[str, str]  # name -> sha256, from the record's manifest.json
    found_via: list[str] = field(default_factory=list)

    @property
    def uri(self) -> str:
        return self.store.uri(self.prefix + protocol.RECORD_JSON)

    @property
    def decision(self) -> str:
        return self.record.decision.outcome.value

    def package_name(self, name: str) -> str:
        return f"records/{self.gate}/{self.record_id}/{name}"

    def summary(self) -> dict[str, Any]:
        s = self.record.subject
        return {
            "gate": self.gate,
            "record_id": self.record_id,
            "decision": self.decision,
            "uri": self.uri,
            "subject": s.id,
            "subject_version": s.version,
            "found_via": self.found_via,
            "package_folder": f"records/{self.gate}/{self.record_id}/",
        }


@dataclass
class StoreSource:
    """A file to copy into a package from a store, with the digest its record's manifest promises."""

    store: ObjectStore
    key: str
    expected_sha256: str | None = None


@dataclass
class Evidence:
    model_name: str
    model_version: str
    model_uri: str
    version_tags: dict[str, str]
    source: str | None
    run_id: str | None
    records: dict[str, FoundRecord] = field(default_factory=dict)  # gate -> current record
    superseded: list[FoundRecord] = field(default_factory=list)
    data_reviews: list[FoundRecord] = field(default_factory=list)
    documents: dict[str, list[tuple[str, Path | StoreSource]]] = field(default_factory=dict)  # kind -> (name, source)
    lineage: dict[str, Any] = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)

    def all_records(self) -> list[FoundRecord]:
        seen, out = set(), []
        for rec in [*self.records.values(), *self.data_reviews]:
            if rec.record_id not in seen:
                seen.add(rec.record_id)
                out.append(rec)
        return out


def read_record(store: ObjectStore, prefix: str, found_via: str) -> FoundRecord:
    """A complete record (its manifest.json exists) at ``prefix``."""
    prefix = prefix.rstrip("/") + "/" if prefix.strip("/") else ""
    if not store.exists(prefix + RECORD_MANIFEST):
        raise PackageError(f"{store.uri(prefix)} has no {RECORD_MANIFEST}: the record is incomplete or does not exist")
    manifest = store.get_json(prefix + RECORD_MANIFEST)
    try:
        record = GateResult.model_validate_json(store.get_bytes(prefix + protocol.RECORD_JSON))
    except ValueError as exc:
        raise PackageError(
            f"{store.uri(prefix + protocol.RECORD_JSON)} is not a valid evidence record: {str(exc).splitlines()[0]}"
        ) from None
    files = {name: entry.get("sha256") for name, entry in (manifest.get("files") or {}).items()}
    return FoundRecord(record.gate, record.record_id, store, prefix, record, files, [found_via])


def locate(uri: str, store: ObjectStore | None, settings) -> tuple[ObjectStore, str]:
    """(store, key) for a URI: inside the configured store when it is there, else its own store (for a
    local path under ``.../evidence/...``, the folder holding ``evidence/``, where sidecar metadata lives)."""
    from urllib.parse import unquote, urlparse

    if "://" not in uri:
        uri = Path(uri).expanduser().resolve().as_uri()
    if store is not None:
        base = store.url.rstrip("/") + "/"
        if uri.startswith(base):
            return store, unquote(uri[len(base) :])
    if uri.startswith("file://"):
        path = unquote(urlparse(uri).path)
        roots = [path[:i] for i in range(len(path)) if path.startswith("/" + protocol.EVIDENCE_PREFIX, i)]
        if roots:
            root = next((r for r in roots if Path(r or "/", LocalStore.META).is_dir()), roots[0])
            return LocalStore(root or "/"), path[len(root) + 1 :]
        p = Path(path)
        return LocalStore(p.parent), p.name
    if settings is None:
        raise PackageError(
            f"{uri} is outside the store{' ' + store.url if store else ''} and no settings were given to open its store"
        )
    return store_for_uri(uri, settings)


def _record_prefix_from_uri(key: str) -> str:
    if key.endswith(protocol.RECORD_JSON) or key.endswith(RECORD_MANIFEST):
        key = key.rsplit("/", 1)[0] if "/" in key else ""
    return key.rstrip("/") + "/" if key.strip("/") else ""


def gather(
    model_uri: str,
    *,
    store: ObjectStore,
    tracker,
    settings=None,
    data_review_refs: Iterable[str] = (),
    documents: dict[str, list[str]] | None = None,
    scan_limit: int = 5000,
) -> Evidence:
    """Find every complete record of a model version (model-version tags, then the store layout), the
    data reviews of its training data (lineage: training run tags/params/dataset inputs, version tags,
    explicit references) and the documents given; best effort, with notes on what was and was not found."""
    from govgate.modeling import find_model_version

    client = tracker.client
    mv = find_model_version(client, model_uri, registry=tracker.tracking_uri)
    name, version = mv.name, str(mv.version)
    ev = Evidence(
        model_name=name,
        model_version=version,
        model_uri=f"models:/{name}/{version}",
        version_tags=dict(mv.tags or {}),
        source=getattr(mv, "source", None),
        run_id=getattr(mv, "run_id", None) or None,
    )

    found: dict[str, FoundRecord] = {}  # record_id -> record

    def add(rec: FoundRecord) -> FoundRecord:
        if rec.record_id in found:
            found[rec.record_id].found_via += [v for v in rec.found_via if v not in found[rec.record_id].found_via]
            return found[rec.record_id]
        found[rec.record_id] = rec
        return rec

    def from_uri(uri: str, via: str) -> FoundRecord | None:
        try:
            s, key = locate(uri, store, settings)
            return add(read_record(s, _record_prefix_from_uri(key), via))
        except GovgateError as exc:
            ev.notes.append(f"{via}: {exc}")
            return None

    # 1. the version's tags: each gate's record_uri
    tagged: dict[str, str] = {}
    for key, value in sorted(ev.version_tags.items()):
        gate, field_name = protocol.parse_gate_tag(key) or ("", "")
        if field_name == protocol.RECORD_URI:
            if gate == GATE:
                continue
            rec = from_uri(value, f"model-version tag {key}")
            if rec is not None:
                tagged[rec.gate] = rec.record_id

    # 2. the store layout: evidence/<asset>/<version>/<gate>/<record_id>/manifest.json
    base = f"{protocol.EVIDENCE_PREFIX}{slug(name)}/{slug(version)}/"
    for info in store.list(base):
        parts = info.key[len(base) :].split("/")
        if len(parts) == 3 and parts[2] == RECORD_MANIFEST and parts[0] != GATE:
            via = f"store layout {store.uri(base + parts[0] + '/')}"
            if parts[1] in found:
                found[parts[1]].found_via.append(via)
                continue
            try:
                add(read_record(store, base + f"{parts[0]}/{parts[1]}/", via))
            except GovgateError as exc:
                ev.notes.append(str(exc))
    by_gate: dict[str, list[FoundRecord]] = {}
    for rec in found.values():
        by_gate.setdefault(rec.gate, []).append(rec)
    for gate, recs in sorted(by_gate.items()):
        current = found.get(tagged.get(gate, "")) or max(recs, key=lambda r: r.record_id)
        if gate == protocol.DATA_REVIEW:
            continue  # a data review is evidence of the training data only through lineage
        ev.records[gate] = current
        ev.superseded += [r for r in recs if r is not current]

    # 3. lineage: training run -> data-review records
    ev.lineage = _lineage(ev, client, store, settings, list(data_review_refs), from_uri, scan_limit)
    ev.data_reviews = [
        r
        for r in found.values()
        if r.gate == protocol.DATA_REVIEW and any(v.startswith(LINEAGE_VIA) for v in r.found_via)
    ]
    ev.lineage["data_reviews"] = [
        {
            **r.summary(),
            "dataset": r.record.subject.id,
            "dataset_version": r.record.subject.version,
            "inputs": [i.model_dump() for i in r.record.subject.inputs],
        }
        for r in ev.data_reviews
    ]
    if mr := ev.records.get(protocol.MODEL_REVIEW):
        ev.lineage["model_review"] = {
            "record_id": mr.record_id,
            "decision": mr.decision,
            "inputs": [i.model_dump() for i in mr.record.subject.inputs],
        }
    if not ev.data_reviews:
        ev.notes.append(
            "lineage: no data-review record of the training data was found (tag the training run with "
            f"{protocol.gate_tag(protocol.DATA_REVIEW, protocol.RECORD_URI)}, or pass data_review=[record URI or id])"
        )
    ev.lineage["notes"] = list(ev.notes)

    # 4. documents given to the flow
    for kind, sources in (documents or {}).items():
        if kind not in EVIDENCE_KINDS:
            raise InputError(f"documents: unknown evidence kind {kind!r}; expected one of {', '.join(EVIDENCE_KINDS)}")
        for src in sources:
            ev.documents.setdefault(kind, []).extend(_document_files(kind, src, store, settings))
    return ev


LINEAGE_VIA = "lineage: "
# A data-review record URI inside any text (a tag value such as "<data> (data-review record <uri>)").
DATA_REVIEW_URI = re.compile(r"(?:s3|file)://[^\s()\"',]+/data-review/[^/\s()\"',]+/record\.json")


def _lineage(ev: Evidence, client, store, settings, refs: list[str], from_uri, scan_limit: int) -> dict[str, Any]:
    lineage: dict[str, Any] = {
        "model": {"name": ev.model_name, "version": ev.model_version, "source": ev.source, "run_id": ev.run_id},
        "training_run": None,
        "found": [],
    }

    def follow(value: str, via: str) -> None:
        value = value.strip()
        if not value:
            return
        if "://" in value or value.startswith("/"):
            rec = from_uri(value, LINEAGE_VIA + via)
        else:  # a record id
            from govgate.publish import find_record

            try:
                rec = from_uri(store.uri(find_record(store, value) + protocol.RECORD_JSON), LINEAGE_VIA + via)
            except GovgateError as exc:
                ev.notes.append(f"{via}: {exc}")
                rec = None
        if rec is not None:
            if rec.gate != protocol.DATA_REVIEW:
                ev.notes.append(f"{via}: {rec.uri} is a {rec.gate} record, not a data review")
                rec.found_via.remove(LINEAGE_VIA + via)
            elif {"via": via, "record_id": rec.record_id} not in lineage["found"]:
                lineage["found"].append({"via": via, "record_id": rec.record_id})

    for ref in refs:
        follow(ref, "data_review parameter")
    for key, value in sorted(ev.version_tags.items()):
        if "data_review" in key and ("record_uri" in key or "record_id" in key):
            follow(value, f"model-version tag {key}")
        elif (protocol.parse_gate_tag(key) or ("", ""))[1] == protocol.RECORD_URI:
            continue  # the version's own gate records
        else:
            for uri in DATA_REVIEW_URI.findall(str(value)):  # e.g. training_data: "<path> (data-review record <uri>)"
                follow(uri, f"model-version tag {key}")
    datasets = []
    if ev.run_id:
        try:
            run = client.get_run(ev.run_id)
        except Exception as exc:
            ev.notes.append(
                f"training run {ev.run_id} could not be read: {str(exc).splitlines()[0] if str(exc) else exc}"
            )
            run = None
        if run is not None:
            tags, params = dict(run.data.tags), dict(run.data.params)
            lineage["training_run"] = {
                "run_id": ev.run_id,
                "experiment_id": run.info.experiment_id,
                "run_name": run.info.run_name,
                "status": run.info.status,
            }
            for kind, entries in (("tag", tags), ("param", params)):
                for key, value in sorted(entries.items()):
                    if "data_review" in key.replace("-", "_") and "record" in key:
                        for part in str(value).split(","):
                            follow(part, f"training run {kind} {key}")
                    else:
                        for uri in DATA_REVIEW_URI.findall(str(value)):
                            follow(uri, f"training run {kind} {key}")
            for di in getattr(run.inputs, "dataset_inputs", None) or []:
                d = di.dataset
                src = d.source
                try:
                    src = json.loads(src).get("uri", src) if isinstance(src, str) and src.startswith("{") else src
                except ValueError:
                    pass
                datasets.append({"name": d.name, "digest": d.digest, "source_type": d.source_type, "source": src})
    else:
        ev.notes.append("lineage: the model version names no training run")
    lineage["datasets"] = datasets
    if datasets and not lineage["found"]:
        _match_datasets(datasets, store, from_uri, lineage, scan_limit, ev)
    return lineage


def _match_datasets(datasets, store, from_uri, lineage, scan_limit, ev) -> None:
    """Best effort: a data-review record whose subject URIs name a training dataset's source."""
    sources = {str(d["source"]) for d in datasets if d.get("source")}
    scanned = 0
    for info in store.list(protocol.EVIDENCE_PREFIX):
        parts = info.key.split("/")
        if len(parts) == 6 and parts[3] == protocol.DATA_REVIEW and parts[5] == RECORD_MANIFEST:
            scanned += 1
            if scanned > scan_limit:
                ev.notes.append(f"lineage: stopped matching dataset sources after {scan_limit} data-review records")
                return
            try:
                record = GateResult.model_validate_json(
                    store.get_bytes(info.key[: -len(RECORD_MANIFEST)] + protocol.RECORD_JSON)
                )
            except (GovgateError, ValueError):
                continue
            uris = set(record.subject.uris) | {i.uri for i in record.subject.inputs}
            hit = sources & uris
            if hit:
                rec = from_uri(
                    store.uri(info.key[: -len(RECORD_MANIFEST)] + protocol.RECORD_JSON),
                    LINEAGE_VIA + f"training dataset {sorted(hit)[0]}",
                )
                if rec is not None:
                    lineage["found"].append({"via": f"training dataset {sorted(hit)[0]}", "record_id": rec.record_id})


def _document_files(kind: str, src: str, store: ObjectStore, settings) -> list[tuple[str, Path | StoreSource]]:
    if src.startswith("s3://"):
        s, key = store_for_uri(src, settings) if settings is not None else locate(src, store, None)
        if not s.exists(key):
            raise InputError(f"{kind} document {src} does not exist")
        return [(f"documents/{kind}/{slug(key.rsplit('/', 1)[-1])}", StoreSource(s, key))]
    path = Path(src.removeprefix("file://")).expanduser()
    if path.is_file():
        return [(f"documents/{kind}/{slug(path.name)}", path)]
    if path.is_dir():
        files = sorted(p for p in path.rglob("*") if p.is_file())
        if not files:
            raise InputError(f"{kind} document folder {path} is empty")
        return [
            (f"documents/{kind}/{slug(path.name)}/" + "/".join(slug(x) for x in p.relative_to(path).parts), p)
            for p in files
        ]
    raise InputError(f"{kind} document {path} does not exist")


# ==================================================================================================
# completeness
# ==================================================================================================


@dataclass
class Requirement:
    kind: str
    required: bool
    status: str  # present | not-passing | missing | pending | not-required
    satisfied_by: list[str] = field(default_factory=list)  # package file names
    detail: str = ""

    @property
    def ok(self) -> bool:
        return self.status in ("present", "not-required")

    def as_dict(self) -> dict[str, Any]:
        return {
            "kind": self.kind,
            "required": self.required,
            "status": self.status,
            "satisfied_by": self.satisfied_by,
            "detail": self.detail,
        }


def _checks_of_kind(records: list[FoundRecord], kind: str):
    return [(r, c) for r in records for c in r.record.checks if c.evidence_kind == kind]


def assess_kind(kind: str, ev: Evidence, policy_name: str | None = None) -> Requirement:
    """What in the gathered evidence serves one evidence kind, and whether it is in good standing."""
    docs = [name for name, _ in ev.documents.get(kind, [])]
    if kind == "evidence_package":
        return Requirement(
            kind, False, "present", [MANIFEST_NAME, INDEX_NAME], "this package (signed manifest and index)"
        )
    if kind == "policy":
        return Requirement(
            kind, False, "present", [policy_name] if policy_name else [], "the policy file the decision used"
        )
    if kind == "signoff":
        return Requirement(kind, False, "pending", [SIGNOFFS_NAME], "decided after the evidence is complete")
    if kind == "data_review":
        recs = ev.data_reviews
        if not recs:
            return _doc_or_missing(kind, docs, "no data-review record of the training data was found (see lineage)")
        bad = [r for r in recs if r.decision != "pass"]
        files = [r.package_name(n) for r in recs for n in (protocol.RECORD_JSON, protocol.REPORT_HTML)]
        if bad:
            return Requirement(
                kind,
                False,
                "not-passing",
                files,
                "; ".join(f"data review {r.record_id} of {r.record.subject.id} decided {r.decision}" for r in bad),
            )
        return Requirement(
            kind, False, "present", files, ", ".join(f"{r.record.subject.id} ({r.record_id}): pass" for r in recs)
        )
    if kind == "datasheet":
        files = [r.package_name("datasheet.md") for r in ev.data_reviews if "datasheet.md" in r.files]
        if files or docs:
            return Requirement(kind, False, "present", files + docs, f"{len(files + docs)} datasheet(s)")
        return Requirement(
            kind, False, "missing", [], "no datasheet: none of the training data's reviews wrote datasheet.md"
        )
    if kind == "model_review":
        rec = ev.records.get(protocol.MODEL_REVIEW)
        if rec is None:
            return _doc_or_missing(kind, docs, f"no model-review record for {ev.model_uri}")
        files = [rec.package_name(protocol.RECORD_JSON), rec.package_name(protocol.REPORT_HTML)]
        if rec.decision != "pass":
            return Requirement(
                kind,
                False,
                "not-passing",
                files,
                f"model review {rec.record_id} decided {rec.decision}: " + "; ".join(rec.record.decision.reasons)[:500],
            )
        return Requirement(kind, False, "present", files, f"model review {rec.record_id}: pass")
    if kind == "model_card":
        rec = ev.records.get(protocol.MODEL_REVIEW)
        files = [rec.package_name(n) for n in ("model_card.md", "model_card.html") if n in rec.files] if rec else []
        if not files and not docs:
            return Requirement(kind, False, "missing", [], "no model_card.md in a model-review record of this version")
        detail = "model card"
        if rec:
            try:
                c = rec.record.check("model_card.documentation")
                detail = f"model card ({c.outcome.value}: {c.message})"
            except KeyError:
                pass
        return Requirement(kind, False, "present", files + docs, detail)
    gate = CHECK_KINDS.get(kind)
    records = (
        ev.data_reviews
        if gate == protocol.DATA_REVIEW
        else ([ev.records[gate]] if gate in ev.records else [])
        if gate
        else ev.all_records()
    )
    if gate is None and (
        rec := ev.records.get(kind.replace("_", "-"))
    ):  # a gate named after the kind (reassessment, ...)
        files = [rec.package_name(protocol.RECORD_JSON), rec.package_name(protocol.REPORT_HTML)]
        status = "present" if rec.decision == "pass" else "not-passing"
        return Requirement(kind, False, status, files + docs, f"{rec.gate} {rec.record_id}: {rec.decision}")
    hits = [(r, c) for r, c in _checks_of_kind(records, kind) if c.outcome.value != "skipped"]
    if hits:
        files = sorted({r.package_name(protocol.RECORD_JSON) for r, _ in hits}) + docs
        bad = [c for _, c in hits if c.outcome.value not in GOOD]
        if bad:
            return Requirement(
                kind,
                False,
                "not-passing",
                files,
                "; ".join(f"{c.id}: {c.outcome.value} {c.message}".strip() for c in bad)[:500],
            )
        return Requirement(kind, False, "present", files, f"{len(hits)} check(s) passed or warned")
    if docs:
        return Requirement(kind, False, "present", docs, f"{len(docs)} document(s) given")
    skipped = [c for _, c in _checks_of_kind(records, kind)]
    if skipped:
        return Requirement(
            kind,
            False,
            "missing",
            [],
            "only skipped checks: " + "; ".join(f"{c.id}: {c.message}" for c in skipped)[:300],
        )
    where = {protocol.DATA_REVIEW: "the training data's review", protocol.MODEL_REVIEW: "the model review"}.get(
        gate or "", "any record"
    )
    hint = " (give it as a document, e.g. risk_assessment=PATH)" if kind == "risk_assessment" else ""
    return Requirement(kind, False, "missing", [], f"no {kind} evidence in {where}{hint}")


def _doc_or_missing(kind: str, docs: list[str], why: str) -> Requirement:
    if docs:
        return Requirement(kind, False, "present", docs, f"{len(docs)} document(s) given")
    return Requirement(kind, False, "missing", [], why)


def completeness(ev: Evidence, required: list[str], policy_name: str | None = None) -> dict[str, Requirement]:
    """Every evidence kind the package can speak to (required ones first), assessed."""
    kinds = list(dict.fromkeys([*required, *PACKAGE_KINDS, *ev.documents]))
    out = {}
    for kind in kinds:
        req = assess_kind(kind, ev, policy_name)
        req.required = kind in required
        out[kind] = req
    return out


# ==================================================================================================
# sign-offs
# ==================================================================================================


def parse_signoffs(value: list[dict] | str | Path | None) -> list[SignOff] | None:
    """Sign-offs from a list of dicts or a YAML/JSON file (a list, or a mapping with ``signoffs``)."""
    if value is None:
        return None
    where = "signoffs"
    if isinstance(value, (str, Path)):
        where = str(value)
        data = load_yaml(Path(value), what=f"sign-off file {value}")
        value = data.get("signoffs") if isinstance(data, dict) else data
    if not isinstance(value, list):
        raise InputError(
            f"{where}: expected a list of sign-offs (name, role, decision approve/reject, comment, accepted_risks)"
        )
    out = []
    for i, item in enumerate(value):
        if not isinstance(item, dict):
            raise InputError(f"{where}[{i}]: expected a mapping with name, role, decision")
        item = {**item}
        item.setdefault("signed_at", utcnow())
        if isinstance(item.get("accepted_risks"), str):
            item["accepted_risks"] = [r.strip() for r in item["accepted_risks"].split(";") if r.strip()]
        try:
            out.append(SignOff.model_validate(item))
        except ValueError as exc:
            errs = getattr(exc, "errors", lambda: [])()
            msg = "; ".join(f"{'.'.join(map(str, e['loc']))}: {e['msg']}" for e in errs) or str(exc)
            raise InputError(f"{where}[{i}]: {msg}") from None
    return out


def signoffs_needed(rules) -> int:
    return max(rules.required_signoffs, len(rules.signoff_roles)) if rules.required_signoffs > 0 else 0


def assess_signoffs(signoffs: list[SignOff], rules, *, timed_out: str | None = None) -> tuple[str, str]:
    """(outcome, message): pass, fail (a rejection) or inconclusive (too few approvals, a role missing,
    a timeout)."""
    if rules.required_signoffs == 0:
        return "pass", "the tier requires no sign-off"
    rejects = [s for s in signoffs if s.decision == "reject"]
    if rejects:
        return "fail", "; ".join(
            f"rejected by {s.name} ({s.role})" + (f": {s.comment}" if s.comment else "") for s in rejects
        )
    approvers = {s.name.strip().lower(): s for s in signoffs if s.decision == "approve"}
    roles = {s.role for s in approvers.values()}
    problems = []
    if timed_out:
        problems.append(timed_out)
    if len(approvers) < rules.required_signoffs:
        problems.append(f"{len(approvers)} of {rules.required_signoffs} required approval(s) from distinct people")
    if missing := [r for r in rules.signoff_roles if r not in roles]:
        problems.append(f"no approval from role(s) {', '.join(missing)}")
    if problems:
        return "inconclusive", "; ".join(problems)
    return "pass", "approved by " + ", ".join(f"{s.name} ({s.role})" for s in approvers.values())


# ==================================================================================================
# writing
# ==================================================================================================

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
    written: dict[str, dict[str, Any]] = {}

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
            entry: dict[str, Any] = {"sha256": info.sha256, "size": info.size}
            if info.version_id:
                entry["version_id"] = info.version_id
            return name, entry

        # Big files first, so that their multipart uploads overlap with the many small ones.
        order = sorted(files.items(), key=lambda kv: -(kv[1].stat().st_size if isinstance(kv[1], Path) else 0))
        with ThreadPoolExecutor(max_workers=max(1, workers)) as pool:
            for name, entry in pool.map(one, order):
                written[name] = entry
    if index is not None:
        body = index(dict(written))
        info = _put_once(store, prefix + INDEX_NAME, body, retention, media_type(INDEX_NAME))
        written[INDEX_NAME] = {
            "sha256": info.sha256,
            "size": info.size,
            **({"version_id": info.version_id} if info.version_id else {}),
        }
    manifest = {
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


def record_files(ev: Evidence) -> dict[str, StoreSource]:
    """Every file of every gathered record (with its manifest), under ``records/<gate>/<record_id>/``."""
    out: dict[str, StoreSource] = {}
    for rec in ev.all_records():
        for name, digest in sorted(rec.files.items()):
            out[rec.package_name(name)] = StoreSource(rec.store, rec.prefix + name, digest)
        out[rec.package_name(RECORD_MANIFEST)] = StoreSource(rec.store, rec.prefix + RECORD_MANIFEST)
    return out


# ==================================================================================================
# the EU AI Act Annex IV / ISO 42001 index
# ==================================================================================================

FRAMEWORKS = ("eu-ai-act", "iso-iec-42001-2023")


@lru_cache(maxsize=1)
def _kinds_by_control() -> dict[str, list[str]]:
    out: dict[str, list[str]] = {}
    for kind, refs in load_index()["by_evidence_kind"].items():
        for ref in refs:
            out.setdefault(ref, []).append(kind)
    return out


def documentation_items(served_kinds: Iterable[str] = ()) -> list[dict[str, Any]]:
    """Controls of the EU AI Act and ISO/IEC 42001 a package speaks to: every Annex IV item and Art. 11,
    plus every other control of the two whose evidence kinds a package can hold."""
    idx = load_index()
    can_serve = set(PACKAGE_KINDS) | set(served_kinds)
    items = []
    for ref, ctl in idx["controls"].items():
        if ctl["framework"] not in FRAMEWORKS:
            continue
        kinds = sorted(_kinds_by_control().get(ref, []))
        annex = ctl["framework"] == "eu-ai-act" and (ctl["id"].startswith("Annex IV") or ctl["id"] == "Art. 11")
        if annex or set(kinds) & can_serve:
            items.append(
                {
                    "ref": ref,
                    "framework": ctl["framework"],
                    "id": ctl["id"],
                    "title": ctl["title"],
                    "kinds": kinds,
                    "annex_iv": annex,
                }
            )
    return sorted(items, key=lambda i: (FRAMEWORKS.index(i["framework"]), not i["annex_iv"], _natural(i["id"])))


def _natural(text: str) -> list:
    import re

    return [int(p) if p.isdigit() else p for p in re.split(r"(\d+)", text)]


def map_documentation(requirements: dict[str, Requirement]) -> list[dict[str, Any]]:
    """For each documentation item: the package files that serve it (through its evidence kinds), or none.
    Status: served (every kind of the item is in the package and passing), partly served, not passing, none."""
    served = {k: r for k, r in requirements.items() if r.satisfied_by and r.status not in ("missing",)}
    rows = []
    for item in documentation_items(served):
        serving = [
            {"kind": k, "files": served[k].satisfied_by, "status": served[k].status}
            for k in item["kinds"]
            if k in served
        ]
        unserved = [k for k in item["kinds"] if k not in served]
        present = [s for s in serving if s["status"] == "present"]
        status = (
            ("served" if not unserved and len(present) == len(serving) else "partly served")
            if present
            else ("not passing" if serving else "none")
        )
        rows.append({**item, "served_by": serving, "unserved_kinds": unserved, "status": status})
    return rows


@lru_cache(maxsize=1)
def _template_env():
    import jinja2

    return jinja2.Environment(
        loader=jinja2.PackageLoader("govgate", "templates"),
        autoescape=True,
        trim_blocks=True,
        lstrip_blocks=True,
        undefined=jinja2.StrictUndefined,
    )


def render_index(
    fields: dict[str, Any], requirements: dict[str, Requirement], files: dict[str, dict[str, Any]]
) -> bytes:
    rows = map_documentation(requirements)
    frameworks = load_index()["frameworks"]
    groups = [
        {
            "framework": fw,
            "name": frameworks.get(fw, {}).get("name", fw),
            "rows": [r for r in rows if r["framework"] == fw],
        }
        for fw in FRAMEWORKS
    ]
    html = (
        _template_env()
        .get_template("annex_iv.html.j2")
        .render(
            p=fields,
            requirements=list(requirements.values()),
            groups=groups,
            files=sorted(files.items()),
            manifest=MANIFEST_NAME,
            signature=SIGNATURE_NAME,
            public_key=PUBLIC_KEY_NAME,
            catalog=load_index()["source"],
        )
    )
    return html.encode()


# ==================================================================================================
# verification
# ==================================================================================================


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


__all__ = [
    "Evidence",
    "FoundRecord",
    "PackageError",
    "Requirement",
    "SealedPackage",
    "SigningKey",
    "VerifyReport",
    "assess_kind",
    "assess_signoffs",
    "completeness",
    "documentation_items",
    "gather",
    "load_public_key",
    "load_signing_key",
    "locate_package",
    "map_documentation",
    "parse_signoffs",
    "render_index",
    "verify_package",
    "write_package",
]
