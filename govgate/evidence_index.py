"""Every gate record in the store, summarised for portfolio readers (inventory, coverage, KPIs, audit).

One listing of ``evidence/`` in pages of 1,000 finds every record folder; the record id carries its start
time, so a period is chosen before anything is read. Each record in the period costs two reads
(``manifest.json``, then ``record.json`` at its sealed version), done by a bounded thread pool. A record is
checked as it is read: its ``record.json`` must hash to the manifest's SHA-256, and every file the manifest
lists must still be in the listing with its listed size. A record that fails is kept with its problems
(``verified`` is False) so readers can count it as no evidence and say why; one that cannot be read at all
is an ``Unreadable`` naming the folder. Memory holds one small ``RecordEntry`` per record, never the
record's outputs.
"""

from __future__ import annotations

import hashlib
import json
import os
import urllib.parse
from collections.abc import Iterable, Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from govgate import protocol
from govgate.errors import GovgateError
from govgate.store import LocalStore, ObjectInfo, ObjectStore

READ_WORKERS = 16  # S3 GETs are latency-bound; the local store's reads are cheap either way
_BATCH = 2_000  # record folders read per pool batch: bounds memory of pending futures


@dataclass(frozen=True)
class CheckBrief:
    id: str
    outcome: str
    evidence_kind: str | None
    controls: tuple[str, ...] = ()


@dataclass(frozen=True)
class RecordEntry:
    """What portfolio readers need of one gate record (a summary; ``load_record(store, prefix)`` reads it whole)."""

    prefix: str
    uri: str
    record_id: str
    gate: str
    subject_kind: str
    subject_id: str
    subject_version: str | None
    decision: str
    decided_by: str
    started_at: datetime
    finished_at: datetime | None
    tier: str
    policy_name: str
    policy_sha256: str
    checks: tuple[CheckBrief, ...] = ()
    sign_offs: tuple[dict[str, str], ...] = ()  # name, role, decision, signed_at (ISO)
    inputs: tuple[dict[str, Any], ...] = ()  # uri, role, sha256 (None when it could not be read)
    parameters: dict[str, Any] = field(default_factory=dict)
    output_names: tuple[str, ...] = ()
    small_outputs: dict[str, Any] = field(default_factory=dict)  # protocol.OUTPUT_* payloads portfolio readers use
    git_commit: str | None = None
    prefect_flow_run_id: str | None = None
    mlflow_run_id: str | None = None
    problems: tuple[str, ...] = ()  # why the record no longer verifies; empty when it does
    package_uri: str | None = None  # launch-evidence: the sealed package a check names (its signature is checkable)

    @property
    def verified(self) -> bool:
        return not self.problems

    def evidence_kinds(self, outcomes: Iterable[str] = ("pass", "warn")) -> set[str]:
        """Catalog evidence kinds this record shows, from checks whose outcome is one of ``outcomes``."""
        wanted = set(outcomes)
        return {c.evidence_kind for c in self.checks if c.evidence_kind and c.outcome in wanted}


@dataclass(frozen=True)
class Unreadable:
    prefix: str
    reason: str


@dataclass
class EvidenceIndex:
    entries: list[RecordEntry] = field(default_factory=list)
    unreadable: list[Unreadable] = field(default_factory=list)
    incomplete: list[str] = field(default_factory=list)  # record folders without manifest.json
    listing_pages: int = 0
    reads: int = 0

    def for_subject(self, subject_id: str, version: str | None = None) -> list[RecordEntry]:
        return [
            e for e in self.entries if e.subject_id == subject_id and (version is None or e.subject_version == version)
        ]

    def latest(self, subject_id: str, gate: str, version: str | None = None) -> RecordEntry | None:
        """The newest record of a gate for a subject (by start time), verified or not."""
        found = [e for e in self.for_subject(subject_id, version) if e.gate == gate]
        return max(found, key=lambda e: (e.started_at, e.record_id), default=None)


# Small outputs copied into the entry (they are a few hundred bytes; the rest stay in the record).
SMALL_OUTPUTS = (protocol.OUTPUT_RISK_TIER, protocol.OUTPUT_THIRD_PARTY_ITEMS, protocol.OUTPUT_INVENTORY)
SMALL_OUTPUTS += (protocol.OUTPUT_REPRODUCIBILITY,)  # re-run pairs and what could not be re-run


def record_time(record_id: str) -> datetime | None:
    """The start time a record id carries (``20261122T220600Z-1a2b3c4d``), None for another shape."""
    s = record_id[:16]  # parsed by hand: strptime cost 4 s over 100,000 ids
    if len(s) != 16 or s[8] != "T" or s[15] != "Z" or not (s[:8] + s[9:15]).isdigit():
        return None
    try:
        return datetime(int(s[:4]), int(s[4:6]), int(s[6:8]), int(s[9:11]), int(s[11:13]), int(s[13:15]), tzinfo=UTC)
    except ValueError:
        return None


def scan_records(
    store: ObjectStore,
    *,
    since: datetime | None = None,
    until: datetime | None = None,
    gates: Iterable[str] | None = None,
    subject: str | None = None,
    workers: int = READ_WORKERS,
) -> EvidenceIndex:
    """Every record under ``evidence/`` started in [since, until) (either end open), optionally of some
    gates or one subject slug, summarised and checked against its manifest."""
    index = EvidenceIndex()
    wanted = set(gates) if gates is not None else None
    folders = _record_folders(store, index, subject)
    chosen = (
        (prefix, files)
        for prefix, files in folders
        if _in_period(prefix, since, until) and (wanted is None or prefix.split("/")[3] in wanted)
    )
    if isinstance(store, LocalStore):
        workers = 1  # local reads are CPU-bound under the GIL: a pool only adds its own overhead
    with ThreadPoolExecutor(max_workers=max(1, workers)) as pool:
        read = (
            (lambda b: map(lambda pf: _read(store, *pf), b))
            if workers <= 1
            else (lambda b: pool.map(lambda pf: _read(store, *pf), b))
        )
        for batch in _batches(chosen, _BATCH):
            for prefix, result in zip((p for p, _ in batch), read(batch)):
                index.reads += 2
                if isinstance(result, RecordEntry):
                    index.entries.append(result)
                elif result is None:
                    index.incomplete.append(prefix)
                    index.reads -= 2
                else:
                    index.unreadable.append(Unreadable(prefix, result))
    index.entries.sort(key=lambda e: (e.started_at, e.record_id))
    return index


def _record_folders(
    store: ObjectStore, index: EvidenceIndex, subject: str | None
) -> Iterator[tuple[str, dict[str, ObjectInfo]]]:
    """(record prefix, {file name: info}) for each folder evidence/<asset>/<version>/<gate>/<id>/, in key
    order, so one folder's files are complete when the next folder starts."""
    root = protocol.EVIDENCE_PREFIX + (f"{subject}/" if subject else "")
    current, files = None, {}
    for page in list_pages(store, root):
        index.listing_pages += 1
        for info in page:
            parts = info.key.split("/")
            if len(parts) < 6:
                continue
            prefix = "/".join(parts[:5]) + "/"
            if prefix != current:
                if current is not None:
                    yield current, files
                current, files = prefix, {}
            files["/".join(parts[5:])] = info
    if current is not None:
        yield current, files


@dataclass(frozen=True)
class _Listed:
    key: str
    size: int


def list_pages(store: ObjectStore, root: str) -> Iterator[list]:
    """Pages of objects (``.key``, ``.size``) under ``root`` in key order. A local store is walked directly
    from the prefix's folder: its own listing walks the whole store and reads each object's sidecar metadata
    (lock state, tags), which these readers never need; at 100,000 records that was half the report's time
    (benchmarks/audit_report.py)."""
    if not isinstance(store, LocalStore):
        yield from store.list_pages(root)
        return
    page: list[_Listed] = []
    for key, size in _walk_local(store.root / root, root):
        page.append(_Listed(key, size))
        if len(page) == 1000:
            yield page
            page = []
    if page:
        yield page


def _walk_local(folder, base: str) -> Iterator[tuple[str, int]]:
    """(key, size) below ``folder``, sorted as S3 sorts keys (a folder's name sorts with its trailing slash)."""
    try:
        entries = list(os.scandir(folder))
    except (FileNotFoundError, NotADirectoryError):
        return
    keyed = sorted(
        ((base + e.name + ("/" if e.is_dir(follow_symlinks=False) else ""), e) for e in entries), key=lambda t: t[0]
    )
    for key, entry in keyed:
        if key.endswith("/"):
            yield from _walk_local(entry.path, key)
        elif entry.is_file(follow_symlinks=False):
            yield key, entry.stat().st_size


def _in_period(prefix: str, since: datetime | None, until: datetime | None) -> bool:
    started = record_time(prefix.split("/")[4])
    if started is None:
        return True  # an id of another shape: read it, its record says when it started
    return (since is None or started >= since) and (until is None or started < until)


def _batches(items: Iterator, size: int) -> Iterator[list]:
    batch = []
    for item in items:
        batch.append(item)
        if len(batch) == size:
            yield batch
            batch = []
    if batch:
        yield batch


def _read(store: ObjectStore, prefix: str, files: dict[str, ObjectInfo]) -> RecordEntry | str | None:
    """The entry, None for a folder without a manifest (incomplete), or the reason it cannot be read."""
    if protocol.MANIFEST not in files:
        return None
    try:
        manifest = _loads(_get(store, prefix + protocol.MANIFEST))
        listed = manifest["files"]
        entry = listed[protocol.RECORD_JSON]
        body = _get(store, prefix + protocol.RECORD_JSON, entry.get("version_id"))
        record = _loads(body)
        problems = _problems(body, listed, files)
        return _entry(store, prefix, record, problems)
    except (GovgateError, ValueError, KeyError, TypeError, AttributeError, OSError) as exc:
        return f"{type(exc).__name__}: {exc}"[:300]


def _loads(data: bytes):
    """JSON from bytes: orjson when installed (it comes with Prefect; a third of the read cost), else json."""
    try:
        import orjson
    except ImportError:  # pragma: no cover - orjson is in requirements.lock
        return json.loads(data)
    try:
        return orjson.loads(data)
    except orjson.JSONDecodeError as exc:
        raise ValueError(f"not JSON: {exc}") from None


def _get(store: ObjectStore, key: str, version_id: str | None = None) -> bytes:
    """An object's bytes; a local store's file is read directly (the key came from its own listing, so it is
    already a valid key: the store's per-call key checks cost more than the read)."""
    if isinstance(store, LocalStore) and version_id is None:
        with open(f"{store.root}/{key}", "rb") as f:
            return f.read()
    return store.get_bytes(key, version_id)


def _uri(store: ObjectStore, key: str) -> str:
    """``store.uri(key)``; for a local store the same ``file://`` URI built without pathlib."""
    if isinstance(store, LocalStore):
        return f"{store.url}/{urllib.parse.quote(key)}"
    return store.uri(key)


def _problems(body: bytes, listed: dict, files: dict[str, ObjectInfo]) -> tuple[str, ...]:
    problems = []
    if hashlib.sha256(body).hexdigest() != listed[protocol.RECORD_JSON].get("sha256"):
        problems.append(f"{protocol.RECORD_JSON}: changed after publishing (sha256 differs from its manifest)")
    for name, meta in sorted(listed.items()):
        info = files.get(name)
        if info is None:
            problems.append(f"{name}: listed in the manifest but missing")
        elif meta.get("size") is not None and info.size != meta["size"]:
            problems.append(f"{name}: size {info.size} differs from the manifest's {meta['size']}")
    return tuple(problems)


def _entry(store: ObjectStore, prefix: str, r: dict, problems: tuple[str, ...]) -> RecordEntry:
    subject, policy, decision, prov = r["subject"], r["policy"], r["decision"], r.get("provenance") or {}
    outputs = r.get("outputs") or {}
    return RecordEntry(
        prefix=prefix,
        uri=_uri(store, prefix + protocol.RECORD_JSON),
        record_id=r["record_id"],
        gate=r["gate"],
        subject_kind=subject["kind"],
        subject_id=subject["id"],
        subject_version=subject.get("version"),
        decision=decision["outcome"],
        decided_by=decision.get("decided_by", "policy"),
        started_at=_when(r["started_at"]),
        finished_at=_when(r["finished_at"]) if r.get("finished_at") else None,
        tier=policy.get("tier", ""),
        policy_name=policy.get("name", ""),
        policy_sha256=policy.get("sha256", ""),
        checks=tuple(
            CheckBrief(c["id"], c["outcome"], c.get("evidence_kind"), tuple(c.get("controls") or ()))
            for c in r.get("checks") or ()
        ),
        sign_offs=tuple(
            {k: str(s.get(k, "")) for k in ("name", "role", "decision", "signed_at")}
            for s in decision.get("sign_offs") or ()
        ),
        inputs=tuple(
            {"uri": i.get("uri"), "role": i.get("role"), "sha256": i.get("sha256")} for i in subject.get("inputs") or ()
        ),
        parameters=dict(r.get("parameters") or {}),
        output_names=tuple(sorted(outputs)),
        small_outputs={k: outputs[k] for k in SMALL_OUTPUTS if k in outputs},
        git_commit=prov.get("git_commit"),
        prefect_flow_run_id=prov.get("prefect_flow_run_id"),
        mlflow_run_id=prov.get("mlflow_run_id"),
        problems=problems,
        package_uri=_package_uri(r.get("checks") or ()),
    )


def _package_uri(checks) -> str | None:
    found = (c.get("details", {}).get(protocol.PACKAGE_URI) for c in checks if isinstance(c.get("details"), dict))
    return next((u for u in found if isinstance(u, str) and u), None)


def _when(text: str) -> datetime:
    when = datetime.fromisoformat(text)
    return when if when.tzinfo else when.replace(tzinfo=UTC)
