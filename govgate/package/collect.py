"""Finding a model version's evidence: its gate records (tags, then the store layout), the data reviews of its
training data (lineage) and the documents given to the flow."""

from __future__ import annotations

import json
import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from govgate import protocol
from govgate.controls import EVIDENCE_KINDS
from govgate.errors import GovgateError, InputError
from govgate.package.layout import GATE, RECORD_MANIFEST, PackageError
from govgate.record import GateResult, slug
from govgate.store import (
    LocalStore,
    ObjectStore,
    store_for_uri,
)


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
    finder = _Finder(ev, store, settings)
    tagged = finder.from_version_tags()  # 1. the version's tags: each gate's record_uri
    finder.from_store_layout(f"{protocol.EVIDENCE_PREFIX}{slug(name)}/{slug(version)}/")  # 2. the layout
    _choose_current(ev, finder.found, tagged)
    # 3. lineage: training run -> data-review records
    ev.lineage = _lineage(ev, client, store, settings, list(data_review_refs), finder.from_uri, scan_limit)
    _summarize_lineage(ev, finder.found)
    # 4. documents given to the flow
    for kind, sources in (documents or {}).items():
        if kind not in EVIDENCE_KINDS:
            raise InputError(f"documents: unknown evidence kind {kind!r}; expected one of {', '.join(EVIDENCE_KINDS)}")
        for src in sources:
            ev.documents.setdefault(kind, []).extend(_document_files(kind, src, store, settings))
    return ev


class _Finder:
    """The records found so far (record_id -> record), each with every way it was found."""

    def __init__(self, ev: Evidence, store: ObjectStore, settings):
        self.ev, self.store, self.settings = ev, store, settings
        self.found: dict[str, FoundRecord] = {}

    def add(self, rec: FoundRecord) -> FoundRecord:
        known = self.found.get(rec.record_id)
        if known is None:
            self.found[rec.record_id] = rec
            return rec
        known.found_via += [v for v in rec.found_via if v not in known.found_via]
        return known

    def from_uri(self, uri: str, via: str) -> FoundRecord | None:
        try:
            s, key = locate(uri, self.store, self.settings)
            return self.add(read_record(s, _record_prefix_from_uri(key), via))
        except GovgateError as exc:
            self.ev.notes.append(f"{via}: {exc}")
            return None

    def from_version_tags(self) -> dict[str, str]:
        """Records the version's ``record_uri`` tags name; returns gate -> the tagged record's id."""
        tagged: dict[str, str] = {}
        for key, value in sorted(self.ev.version_tags.items()):
            gate, field_name = protocol.parse_gate_tag(key) or ("", "")
            if field_name == protocol.RECORD_URI and gate != GATE:
                rec = self.from_uri(value, f"model-version tag {key}")
                if rec is not None:
                    tagged[rec.gate] = rec.record_id
        return tagged

    def from_store_layout(self, base: str) -> None:
        """Complete records under ``evidence/<asset>/<version>/<gate>/<record_id>/manifest.json``."""
        for info in self.store.list(base):
            parts = info.key[len(base) :].split("/")
            if len(parts) != 3 or parts[2] != RECORD_MANIFEST or parts[0] == GATE:
                continue
            via = f"store layout {self.store.uri(base + parts[0] + '/')}"
            if parts[1] in self.found:
                self.found[parts[1]].found_via.append(via)
                continue
            try:
                self.add(read_record(self.store, base + f"{parts[0]}/{parts[1]}/", via))
            except GovgateError as exc:
                self.ev.notes.append(str(exc))


def _choose_current(ev: Evidence, found: dict[str, FoundRecord], tagged: dict[str, str]) -> None:
    """Per gate, the tagged record (else the newest) is current; the others are superseded."""
    by_gate: dict[str, list[FoundRecord]] = {}
    for rec in found.values():
        by_gate.setdefault(rec.gate, []).append(rec)
    for gate, recs in sorted(by_gate.items()):
        current = found.get(tagged.get(gate, "")) or max(recs, key=lambda r: r.record_id)
        if gate == protocol.DATA_REVIEW:
            continue  # a data review is evidence of the training data only through lineage
        ev.records[gate] = current
        ev.superseded += [r for r in recs if r is not current]


def _summarize_lineage(ev: Evidence, found: dict[str, FoundRecord]) -> None:
    """The data reviews reached through lineage, and the model review's inputs, into ``ev.lineage``."""
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
    datasets = _follow_training_run(ev, client, lineage, follow)
    lineage["datasets"] = datasets
    if datasets and not lineage["found"]:
        _match_datasets(datasets, store, from_uri, lineage, scan_limit, ev)
    return lineage


def _follow_training_run(ev: Evidence, client, lineage: dict[str, Any], follow) -> list[dict[str, Any]]:
    """Follow the training run's tags and params to data reviews; returns its dataset inputs."""
    if not ev.run_id:
        ev.notes.append("lineage: the model version names no training run")
        return []
    try:
        run = client.get_run(ev.run_id)
    except Exception as exc:
        ev.notes.append(f"training run {ev.run_id} could not be read: {str(exc).splitlines()[0] if str(exc) else exc}")
        return []
    lineage["training_run"] = {
        "run_id": ev.run_id,
        "experiment_id": run.info.experiment_id,
        "run_name": run.info.run_name,
        "status": run.info.status,
    }
    for kind, entries in (("tag", dict(run.data.tags)), ("param", dict(run.data.params))):
        for key, value in sorted(entries.items()):
            if "data_review" in key.replace("-", "_") and "record" in key:
                for part in str(value).split(","):
                    follow(part, f"training run {kind} {key}")
            else:
                for uri in DATA_REVIEW_URI.findall(str(value)):
                    follow(uri, f"training run {kind} {key}")
    datasets = []
    for di in getattr(run.inputs, "dataset_inputs", None) or []:
        d = di.dataset
        src = d.source
        try:
            src = json.loads(src).get("uri", src) if isinstance(src, str) and src.startswith("{") else src
        except ValueError:
            pass
        datasets.append({"name": d.name, "digest": d.digest, "source_type": d.source_type, "source": src})
    return datasets


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
