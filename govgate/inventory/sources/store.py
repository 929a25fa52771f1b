"""What the evidence store knows of assets: reviewed datasets and their datasheets, the last record of every
gate per asset, intake tiers and third-party review items.

Read through one :func:`govgate.evidence_index.scan_records` (paged listing, bounded reads), never record by
record. A record names its subject (kind, id, version); :func:`subject_keys` turns that into the asset ids it
may belong to, most specific first: ``model:<name>/<version>``, then ``model:<name>`` (a record about a
registered model as a whole, e.g. an intake before any version exists, applies to each of its versions).
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from govgate import protocol
from govgate.evidence_index import EvidenceIndex, RecordEntry
from govgate.inventory.model import Asset, GateStatus

SOURCE = "store"
DATASHEET_ROLE = "datasheet"
DATA_ROLE = "data"
# Record subject kinds that become an asset of their own when no system knows them.
_OWN_ASSET_KINDS = {"dataset": "dataset", "third_party_tool": "third_party_tool", "service": "third_party_tool"}


@dataclass
class StoreRead:
    """Per asset key: the last record of each gate, the intake tier, third-party items; plus the assets the
    store alone knows (reviewed datasets, reviewed vendors, models with an intake but no version yet)."""

    assets: dict[str, Asset] = field(default_factory=dict)
    gates: dict[str, dict[str, GateStatus]] = field(default_factory=lambda: defaultdict(dict))
    tiers: dict[str, tuple[str, str]] = field(default_factory=dict)  # key -> (tier, reason)
    third_party_items: dict[str, list[dict[str, Any]]] = field(default_factory=dict)
    data_reviews: list[RecordEntry] = field(default_factory=list)  # newest last
    review_index: dict[str, dict] | None = None  # built on first use by reviews_of_dataset
    records: int = 0
    listing_pages: int = 0
    reads: int = 0
    unreadable: int = 0


def subject_keys(kind: str, subject_id: str, version: str | None) -> list[str]:
    """The asset ids a record's subject may belong to, most specific first."""
    if kind == "model":
        return [f"model:{subject_id}/{version}", f"model:{subject_id}"] if version else [f"model:{subject_id}"]
    if ":" in subject_id:
        return [subject_id]  # already an inventory id (e.g. a YAML asset's id)
    return [f"{_OWN_ASSET_KINDS.get(kind, kind)}:{subject_id}"]


def gate_status(entry: RecordEntry, now: datetime) -> GateStatus:
    decided = entry.finished_at or entry.started_at
    return GateStatus(
        gate=entry.gate,
        record_id=entry.record_id,
        record_uri=entry.uri,
        decision=entry.decision,
        decided_at=decided,
        age_days=round((now - decided).total_seconds() / 86400, 2),
        tier=entry.tier,
        verified=entry.verified,
    )


def read_store(index: EvidenceIndex, *, now: datetime) -> StoreRead:
    """Fold an evidence index (entries oldest first) into per-asset facts: later records replace earlier."""
    read = StoreRead(
        records=len(index.entries),
        listing_pages=index.listing_pages,
        reads=index.reads,
        unreadable=len(index.unreadable),
    )
    for entry in index.entries:  # sorted by start time: the last one seen is the newest
        key = subject_keys(entry.subject_kind, entry.subject_id, entry.subject_version)[0]
        read.gates[key][entry.gate] = gate_status(entry, now)
        if entry.gate == protocol.INTAKE and entry.decision != "error":
            _intake(read, key, entry)
        elif entry.gate == protocol.THIRD_PARTY_REVIEW:
            read.third_party_items[key] = list(entry.small_outputs.get(protocol.OUTPUT_THIRD_PARTY_ITEMS) or [])
        if entry.gate == protocol.DATA_REVIEW:
            read.data_reviews.append(entry)
        _own_asset(read, key, entry)
    return read


def _intake(read: StoreRead, key: str, entry: RecordEntry) -> None:
    risk = entry.small_outputs.get(protocol.OUTPUT_RISK_TIER) or {}
    tier = risk.get("tier") or entry.tier
    if not tier:
        return
    rule = risk.get("rule")
    citations = ", ".join(str(c) for c in risk.get("citations") or ())
    reason = f"intake {entry.record_id}: " + (rule or "policy default_tier") + (f" ({citations})" if citations else "")
    read.tiers[key] = (tier, reason)


def _own_asset(read: StoreRead, key: str, entry: RecordEntry) -> None:
    """Datasets and vendors the store alone may know; a model known only by its intake is ``proposed``."""
    kind = _OWN_ASSET_KINDS.get(entry.subject_kind)
    if entry.subject_kind == "model" and entry.gate == protocol.INTAKE and not entry.subject_version:
        kind = "model"
    if kind is None:
        return
    asset = read.assets.get(key)
    if asset is None:
        asset = read.assets[key] = Asset(
            kind=kind,
            id=key,
            name=entry.subject_id,
            status="proposed" if kind == "model" else "unknown",
            sources=[SOURCE],
        )
    if entry.gate == protocol.DATA_REVIEW:
        asset.attributes.update(data_review_facts(entry))


def data_review_facts(entry: RecordEntry) -> dict[str, Any]:
    """The datasheet and data digests a data review read (the newest review's, as records are folded in order)."""
    sheet = next((i for i in entry.inputs if i.get("role") == DATASHEET_ROLE), None)
    data = [i for i in entry.inputs if i.get("role") == DATA_ROLE]
    return {
        "datasheet": {"uri": sheet["uri"], "sha256": sheet["sha256"]} if sheet else None,
        "reviewed_version": entry.subject_version,
        "reviewed_data": [{"uri": d["uri"], "sha256": d["sha256"]} for d in data],
    }


def reviews_of_dataset(read: StoreRead, name: str, digests: list[dict[str, Any]]) -> list[RecordEntry]:
    """Data reviews that reviewed this dataset (oldest first): by name (the datasheet's name is the record's
    subject), or by content (a digest MLflow logged, 8 characters or more, is a prefix of the SHA-256 the
    review read), or by source URI. Looked up in an index built once, not by scanning every review."""
    index = _review_index(read)
    found: dict[str, RecordEntry] = {e.record_id: e for e in index["name"].get(name, ())}
    for d in digests:
        digest = str(d.get("digest") or "").lower()
        if len(digest) >= 8:
            for entry, sha in index["sha8"].get(digest[:8], ()):
                if sha.startswith(digest):
                    found[entry.record_id] = entry
        for entry in index["uri"].get(d.get("source"), ()) if d.get("source") else ():
            found[entry.record_id] = entry
    return sorted(found.values(), key=lambda e: (e.started_at, e.record_id))


def _review_index(read: StoreRead) -> dict[str, dict]:
    if read.review_index is None:
        index: dict[str, dict] = {"name": defaultdict(list), "sha8": defaultdict(list), "uri": defaultdict(list)}
        for entry in read.data_reviews:
            index["name"][entry.subject_id].append(entry)
            for i in entry.inputs:
                if i.get("role") != DATA_ROLE:
                    continue
                if i.get("sha256"):
                    index["sha8"][i["sha256"].lower()[:8]].append((entry, i["sha256"].lower()))
                if i.get("uri"):
                    index["uri"][i["uri"]].append(entry)
        read.review_index = index
    return read.review_index
