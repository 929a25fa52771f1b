"""The audit report over a period, from records alone: gathered once, rendered to one static HTML page, written
once under ``audit/reports/<report id>/`` and signed like a launch package, so the report is itself evidence.

``gather`` reads the store (records through the evidence index's paged listing, the latest inventory
snapshot, incidents, retention certificates) and keeps every read failure by name; ``measure`` adds control
coverage and KPIs; ``render_report`` draws the page (offline: inline CSS and SVG only; A4 print CSS);
``write_report`` seals the folder with the launch package's Ed25519 signing; ``verify_report`` checks it.
Bad input (an unknown framework or asset, a period without records) becomes a note the report shows; the
report still renders what it could read.
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from functools import cached_property
from typing import Any

from govgate import protocol
from govgate.audit.types import KPI, STATUSES, ControlCoverage
from govgate.errors import GovgateError, InputError
from govgate.evidence_index import EvidenceIndex, RecordEntry, list_pages, scan_records
from govgate.record import new_record_id, slug, utcnow
from govgate.store import ObjectStore

CERTIFICATE_NAME = "certificate.json"
INVENTORY_NAME = "inventory.json"
KIND = "audit_report"


@dataclass
class Unread:
    """Something the report could not read (or that no longer verifies), named so an auditor can look."""

    what: str  # the object or folder
    reason: str


@dataclass
class AuditData:
    """Everything the report shows, gathered once; the HTML, the OSCAL file and the data file read it."""

    report_id: str
    start: datetime  # inclusive
    end: datetime  # exclusive
    generated_at: datetime
    store_url: str
    asset: str | None = None
    frameworks: list[str] = field(default_factory=list)
    index: EvidenceIndex = field(default_factory=EvidenceIndex)
    inventory: dict | None = None
    inventory_key: str | None = None
    incidents: list = field(default_factory=list)  # govgate.incidents.Incident in scope, folded as of generated_at
    all_incidents: list = field(default_factory=list)  # every incident (coverage and KPIs count them all)
    certificates: list[dict] = field(default_factory=list)  # retention certificates, each with its "key"
    coverage: list[ControlCoverage] = field(default_factory=list)
    kpis: list[KPI] = field(default_factory=list)
    kpi_series: dict[str, list[KPI]] = field(default_factory=dict)  # KPI id -> one KPI per sub-period
    notes: list[str] = field(default_factory=list)  # bad input and gaps, in sentences
    unread: list[Unread] = field(default_factory=list)

    @cached_property
    def runs(self) -> list[RecordEntry]:
        """The gate records started in the period (the index reaches further back: evidence still current)."""
        return [e for e in self.index.entries if self.start <= e.started_at < self.end]

    @property
    def last_day(self) -> date:
        return (self.end - timedelta(microseconds=1)).date()


def period(start: date, end: date) -> tuple[datetime, datetime]:
    """[start 00:00 UTC, the day after end 00:00 UTC): both days inclusive, as a person reads "from .. to"."""
    if end < start:
        raise InputError(f"--to {end} is before --from {start}: the period is empty")
    return datetime.combine(start, time(), UTC), datetime.combine(end + timedelta(days=1), time(), UTC)


def known_frameworks() -> dict[str, dict]:
    from govgate.controls import load_index

    return dict(load_index()["frameworks"])


def gather(
    store: ObjectStore,
    *,
    start: datetime,
    end: datetime,
    asset: str | None = None,
    frameworks: list[str] | None = None,
    report_id: str | None = None,
    now: datetime | None = None,
    history_days: int = 0,
) -> AuditData:
    """Read the period's records (and those of ``history_days`` before it: evidence still current on the
    report date), the inventory, incidents and certificates; never raises on what it cannot read (each is
    an ``Unread``), only on a store that does not answer at all."""
    now = now or utcnow()
    data = AuditData(report_id or new_record_id(now), start, end, now, store.url, asset)
    data.frameworks = _check_frameworks(frameworks or [], data.notes)
    since = start - timedelta(days=history_days)
    data.index = scan_records(store, since=since, until=end, subject=slug(asset) if asset else None)
    if asset:
        data.index.entries = [e for e in data.index.entries if e.subject_id == asset]
    _read_inventory(store, data)
    _read_incidents(store, data)
    _read_certificates(store, data)
    _unread_from_index(data)
    _note_scope(data)
    return data


def _check_frameworks(asked: list[str], notes: list[str]) -> list[str]:
    known = known_frameworks()
    unknown = [f for f in asked if f not in known]
    for name in unknown:
        notes.append(f"unknown framework {name!r}: not in the control catalog (known: {', '.join(sorted(known))})")
    chosen = [f for f in asked if f in known]
    if asked and not chosen:
        notes.append("no known framework was asked for: the coverage section covers every catalog framework")
    return chosen


def _note_scope(data: AuditData) -> None:
    day0, day1 = data.start.date(), data.last_day
    if not data.runs:
        notes = f"no gate records in the period {day0} to {day1}"
        data.notes.append(
            notes + (f" for asset {data.asset!r}" if data.asset else "") + ": nothing ran, or nothing was published"
        )
    if data.asset and not data.runs and not _in_inventory(data.inventory, data.asset):
        data.notes.append(
            f"unknown asset {data.asset!r}: no record in the period names it"
            + (" and the inventory does not list it" if data.inventory else " (and there is no inventory snapshot)")
        )


def _in_inventory(inventory: dict | None, asset: str) -> bool:
    return any(a.get("id") == asset for a in (inventory or {}).get("assets") or [])


def _unread_from_index(data: AuditData) -> None:
    idx = data.index
    data.unread += [Unread(u.prefix, u.reason) for u in idx.unreadable]
    data.unread += [
        Unread(p, f"incomplete: no {protocol.MANIFEST} (a run that stopped while publishing)") for p in idx.incomplete
    ]
    data.unread += [Unread(e.prefix, "no longer verifies: " + "; ".join(e.problems)) for e in idx.entries if e.problems]


def _read_json(store: ObjectStore, key: str, data: AuditData) -> dict | None:
    try:
        return json.loads(store.get_bytes(key))
    except (GovgateError, ValueError) as exc:
        data.unread.append(Unread(key, f"{type(exc).__name__}: {exc}"[:300]))
        return None


def _keys(store: ObjectStore, prefix: str) -> list[str]:
    """Keys under a prefix (a local store walks only that folder; see evidence_index.list_pages)."""
    return [info.key for page in list_pages(store, prefix) for info in page]


def _read_inventory(store: ObjectStore, data: AuditData) -> None:
    """The newest snapshot synced before the period's end (snapshot folders sort by their sync id)."""
    keys = sorted(
        (k for k in _keys(store, protocol.INVENTORY_SNAPSHOTS_PREFIX) if k.endswith("/" + INVENTORY_NAME)), reverse=True
    )
    for key in keys:
        snap = _read_json(store, key, data)
        if snap is None or snap.get("schema") != protocol.INVENTORY_SCHEMA:
            if snap is not None:
                data.unread.append(Unread(key, f"not an inventory snapshot (schema {snap.get('schema')!r})"))
            continue
        synced = _when(snap.get("synced_at"))
        if synced is None or synced < data.end:
            data.inventory, data.inventory_key = snap, key
            return
    data.notes.append(
        f"no inventory snapshot under {protocol.INVENTORY_SNAPSHOTS_PREFIX} before {data.last_day}: the inventory "
        "section is empty (run the inventory-sync gate)"
    )


def _read_incidents(store: ObjectStore, data: AuditData) -> None:
    """Incidents open at any time in the period, their clocks as of the report's generation."""
    from govgate.incidents import fold, incident_ids, read_events

    for incident_id in incident_ids(store):
        try:
            incident = fold(read_events(store, incident_id), data.generated_at)
        except (GovgateError, ValueError) as exc:
            data.unread.append(Unread(f"{protocol.INCIDENTS_PREFIX}{incident_id}/", str(exc)[:300]))
            continue
        data.all_incidents.append(incident)
        if data.asset and incident.asset.id != data.asset:
            continue
        closed_before = incident.closed_at is not None and incident.closed_at < data.start
        if incident.opened_at < data.end and not closed_before:
            data.incidents.append(incident)
    data.incidents.sort(key=lambda i: i.opened_at)


def _read_certificates(store: ObjectStore, data: AuditData) -> None:
    keys = [k for k in _keys(store, protocol.RETENTION_AUDIT_PREFIX) if k.endswith("/" + CERTIFICATE_NAME)]
    for key in sorted(keys):
        cert = _read_json(store, key, data)
        finished = _when((cert or {}).get("finished_at"))
        if cert is not None and finished is not None and data.start <= finished < data.end:
            data.certificates.append({**cert, "key": key, "uri": store.uri(key)})


def _when(text: Any) -> datetime | None:
    try:
        when = datetime.fromisoformat(str(text))
    except ValueError:
        return None
    return when if when.tzinfo else when.replace(tzinfo=UTC)


def history_days(policy) -> int:
    """How far before the period the index reaches: the longest evidence validity the policy sets."""
    audit = getattr(policy, "audit", None)
    return max(audit.evidence_validity_days.values()) if audit is not None else 0


def sub_periods(start: datetime, end: datetime) -> list[tuple[datetime, datetime]]:
    """The trend's points: weeks for a period up to 62 days, calendar months for a longer one."""
    from govgate.audit.kpis import month_periods

    if end - start > timedelta(days=62):
        return month_periods(start, end)
    cuts = [start + timedelta(days=7 * i) for i in range(((end - start).days + 6) // 7)] + [end]
    return list(zip(cuts, cuts[1:], strict=False))


def measure(data: AuditData, *, policy, store: ObjectStore, settings=None) -> None:
    """Control coverage (per asset when one is asked, else the organisation) on the period's last day and
    the KPIs with their per-sub-period series, from the gathered index; a measure that cannot be computed
    is a note, never a silent gap. With ``settings``, launch packages' signatures are verified too."""
    from govgate.audit import kpis as kpi_module
    from govgate.audit.coverage import compute_coverage, package_signature_check

    incidents = data.all_incidents  # read once by gather (those it could not read are in data.unread)
    try:
        data.coverage = compute_coverage(
            data.index,
            on=data.last_day,
            policy=policy,
            asset=data.asset,
            frameworks=data.frameworks or None,
            inventory=data.inventory,
            incidents=incidents,
            package_check=package_signature_check(settings, store) if settings is not None else None,
        )
    except GovgateError as exc:
        data.notes.append(f"control coverage could not be computed: {exc}")
    common = {
        "policy": policy,
        "store": store,
        "inventory": data.inventory,
        "now": data.generated_at,
        "incidents": incidents,
    }
    try:
        data.kpis = kpi_module.compute_kpis(data.index, start=data.start, end=data.end, **common)
        data.kpi_series = kpi_module.kpi_series(data.index, periods=sub_periods(data.start, data.end), **common)
    except GovgateError as exc:
        data.notes.append(f"KPIs could not be computed: {exc}")


def coverage_counts(coverage: list[ControlCoverage]) -> dict[str, dict[str, int]]:
    """framework -> {status: count} (every status present, zeros kept)."""
    out: dict[str, dict[str, int]] = {}
    for c in coverage:
        out.setdefault(c.framework, {s: 0 for s in STATUSES})[c.status] += 1
    return dict(sorted(out.items()))


def data_json(data: AuditData) -> bytes:
    """The figures behind the report (coverage, KPIs, runs, notes, what could not be read), as JSON."""
    doc = {
        "schema": protocol.AUDIT_REPORT_SCHEMA,
        "report_id": data.report_id,
        "period": {"start": data.start.isoformat(), "end": data.end.isoformat()},
        "generated_at": data.generated_at.isoformat(),
        "scope": {"asset": data.asset, "frameworks": data.frameworks},
        "inventory": data.inventory_key,
        "coverage_counts": coverage_counts(data.coverage),
        "coverage": [asdict(c) for c in data.coverage],
        "kpis": [{**asdict(k), "value": k.value} for k in data.kpis],
        "runs": [_run_row(e) for e in data.runs],
        "incidents": [i.id for i in data.incidents],
        "certificates": [c["key"] for c in data.certificates],
        "notes": data.notes,
        "could_not_read": [asdict(u) for u in data.unread],
        "listing_pages": data.index.listing_pages,
        "reads": data.index.reads,
    }
    return json.dumps(doc, indent=1, sort_keys=True, default=str).encode()


def _run_row(e: RecordEntry) -> dict:
    return {
        "record_id": e.record_id,
        "gate": e.gate,
        "subject": e.subject_id,
        "version": e.subject_version,
        "decision": e.decision,
        "started_at": e.started_at.isoformat(),
        "record": e.uri,
        "verified": e.verified,
    }
