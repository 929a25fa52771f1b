"""Opening, acknowledging, reporting on and closing incidents: every change is one appended event.

``open_incident`` is idempotent per open cause: while an incident on the same asset, version and cause is
open (or acknowledged), opening again returns it instead of a duplicate. Once it is closed, the same cause
opens the next occurrence. Two openers racing on the same cause both aim at the same deterministic key
(the next occurrence's first event); the store's write-once put lets exactly one win.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime

from govgate.errors import InputError, StoreError, WriteOnceError
from govgate.incidents import ledger
from govgate.incidents.clocks import plan_clocks
from govgate.incidents.fold import fold
from govgate.incidents.model import (
    Asset,
    ClassifiedPayload,
    EventKind,
    Incident,
    IncidentEvent,
    IncidentKind,
    IncidentStatus,
    Jurisdiction,
    OpenedPayload,
)
from govgate.incidents.rules import LegalClocks
from govgate.record import Severity
from govgate.store import ObjectStore


@dataclass(frozen=True)
class Opened:
    incident: Incident
    created: bool  # False: an open incident on the same cause already existed (or another opener won)


def _now(now: datetime | None) -> datetime:
    now = now or datetime.now(UTC)
    if now.tzinfo is None:
        raise InputError(f"time {now.isoformat()} has no time zone offset")
    return now.astimezone(UTC)


def open_incident(
    store: ObjectStore,
    rules: LegalClocks,
    *,
    asset: Asset,
    cause: str,
    summary: str,
    severity: Severity,
    by: str,
    aware_at: datetime | None = None,
    evidence: list[str] | None = None,
    kinds: list[IncidentKind] | None = None,
    jurisdictions: list[Jurisdiction] | None = None,
    source: str = "manual",
    now: datetime | None = None,
) -> Opened:
    """Open an incident on ``cause`` of ``asset`` unless one is open; its legal clocks are fixed now."""
    now = _now(now)
    aware_at = aware_at or now
    if aware_at.tzinfo is None:
        raise InputError(f"aware_at {aware_at.isoformat()} has no time zone offset")
    if aware_at.astimezone(UTC) > now:
        raise InputError(f"aware_at {aware_at.isoformat()} is in the future (now {now.isoformat()})")
    for _ in range(ledger.MAX_APPEND_ATTEMPTS):
        latest = latest_for_cause(store, asset, cause, now)
        if latest is not None and latest.status != IncidentStatus.CLOSED:
            return Opened(latest, created=False)
        occurrence = ledger.occurrence_of(latest.id) + 1 if latest else 1
        incident = ledger.incident_id(asset, cause, occurrence)
        payload = OpenedPayload(
            asset=asset,
            cause=cause,
            summary=summary,
            severity=severity,
            evidence=list(evidence or []),
            kinds=sorted(set(kinds or []), key=lambda k: k.value),
            jurisdictions=sorted(set(jurisdictions or []), key=lambda j: j.value),
            aware_at=aware_at,
            source=source,
            clocks=plan_clocks(rules, kinds or [], jurisdictions or [], aware_at, now),
            clocks_file_sha256=rules.sha256 or None,
        )
        fields = {"kind": EventKind.OPENED, "at": now, "recorded_at": now, "by": by, "opened": payload}
        event = ledger.new_event(incident, 1, fields)
        try:
            ledger.put_event(store, event)
            return Opened(fold([event], now), created=True)
        except WriteOnceError:
            continue  # another opener won this occurrence: read it back (it is open, so it is returned)
    raise StoreError(
        f"incident on {cause} of {asset.id} v{asset.version}: gave up after {ledger.MAX_APPEND_ATTEMPTS} lost races"
    )


def latest_for_cause(store: ObjectStore, asset: Asset, cause: str, as_of: datetime | None = None) -> Incident | None:
    ids = ledger.incident_ids(store, f"inc-{ledger.cause_digest(asset, cause)}-")
    return load_incident(store, ids[-1], as_of) if ids else None


def load_incident(store: ObjectStore, incident: str, as_of: datetime | None = None) -> Incident:
    incident = ledger.resolve_id(store, incident)
    return fold(ledger.read_events(store, incident), as_of)


def list_incidents(
    store: ObjectStore, as_of: datetime | None = None, status: IncidentStatus | None = None
) -> list[Incident]:
    found = [fold(ledger.read_events(store, i), as_of) for i in ledger.incident_ids(store)]
    return [i for i in found if status is None or i.status == status]


def acknowledge(store: ObjectStore, incident: str, *, by: str, note: str = "", now: datetime | None = None) -> Incident:
    """Someone has taken the incident on; acknowledging twice is an error that says who did it first."""

    def decide(events: list[IncidentEvent]) -> dict:
        state = fold(events, now)
        if state.status != IncidentStatus.OPEN:
            who = (
                f" by {state.acknowledged_by} at {state.acknowledged_at:%Y-%m-%d %H:%M}Z"
                if state.acknowledged_by
                else ""
            )
            raise InputError(f"incident {state.id} is already {state.status.value}{who}")
        return _fields(EventKind.ACKNOWLEDGED, by, now, reason=note)

    return _append(store, incident, decide, now)


def close(store: ObjectStore, incident: str, *, by: str, reason: str, now: datetime | None = None) -> Incident:
    """Close with who, when and why (all required); a closed incident stays closed."""
    if not by.strip() or not reason.strip():
        raise InputError("closing an incident needs who closes it (--by) and why (--reason)")

    def decide(events: list[IncidentEvent]) -> dict:
        state = fold(events, now)
        if state.status == IncidentStatus.CLOSED:
            raise InputError(f"incident {state.id} is already closed by {state.closed_by}: {state.close_reason}")
        return _fields(EventKind.CLOSED, by, now, reason=reason)

    return _append(store, incident, decide, now)


def record_report(
    store: ObjectStore,
    incident: str,
    *,
    clock_id: str,
    by: str,
    filed_at: datetime | None = None,
    reference: str = "",
    complete: bool = True,
    note: str = "",
    now: datetime | None = None,
) -> Incident:
    """Record that the legal report of one clock was filed (at ``filed_at``, default now): the clock is met."""
    now = _now(now)
    filed_at = filed_at or now
    if filed_at.tzinfo is None or filed_at.astimezone(UTC) > now:
        raise InputError(f"filed at {filed_at.isoformat()}: needs a time zone offset and may not be in the future")

    def decide(events: list[IncidentEvent]) -> dict:
        state = fold(events, now)
        clock = next((c for c in state.clocks if c.plan.id == clock_id), None)
        if clock is None:
            known = ", ".join(c.plan.id for c in state.clocks) or "none"
            raise InputError(f"incident {state.id} has no clock {clock_id!r} (its clocks: {known})")
        if not clock.plan.applicable:
            raise InputError(f"clock {clock_id} does not apply to incident {state.id}: {clock.plan.reason}")
        if not complete and not clock.plan.initial_report_allowed:
            raise InputError(
                f"{clock.plan.framework} {clock.plan.article} does not provide for an initial incomplete report"
            )
        return _fields(
            EventKind.REPORTED,
            by,
            now,
            at=filed_at,
            clock_id=clock_id,
            reference=reference,
            complete=complete,
            reason=note,
        )

    return _append(store, incident, decide, now)


def classify(
    store: ObjectStore,
    rules: LegalClocks,
    incident: str,
    *,
    kinds: list[IncidentKind],
    jurisdictions: list[Jurisdiction],
    by: str,
    aware_at: datetime | None = None,
    now: datetime | None = None,
) -> Incident:
    """Add a legal classification to an open incident; the clocks it brings start at ``aware_at`` (when the
    organisation became aware that the incident is of that kind; default now). Clocks already running keep
    their start; a shorter clock that supersedes one of them replaces it."""
    now = _now(now)
    aware_at = aware_at or now
    if aware_at.tzinfo is None or aware_at.astimezone(UTC) > now:
        raise InputError(f"aware_at {aware_at.isoformat()}: needs a time zone offset and may not be in the future")

    def decide(events: list[IncidentEvent]) -> dict:
        state = fold(events, now)
        if state.status == IncidentStatus.CLOSED:
            raise InputError(f"incident {state.id} is closed; open a new one to classify")
        all_kinds = sorted({*state.kinds, *kinds}, key=lambda k: k.value)
        all_places = sorted({*state.jurisdictions, *jurisdictions}, key=lambda j: j.value)
        running = {c.plan.id for c in state.clocks}
        new = [p for p in plan_clocks(rules, all_kinds, all_places, aware_at, now) if p.id not in running]
        if not new and set(all_kinds) == set(state.kinds) and set(all_places) == set(state.jurisdictions):
            raise InputError(f"incident {state.id} is already classified as {', '.join(k.value for k in state.kinds)}")
        payload = ClassifiedPayload(
            kinds=all_kinds,
            jurisdictions=all_places,
            aware_at=aware_at,
            clocks=new,
            clocks_file_sha256=rules.sha256 or None,
        )
        return _fields(EventKind.CLASSIFIED, by, now, classified=payload)

    return _append(store, incident, decide, now)


def add_note(store: ObjectStore, incident: str, *, by: str, text: str, now: datetime | None = None) -> Incident:
    if not text.strip():
        raise InputError("a note needs text")
    return _append(store, incident, lambda events: _fields(EventKind.NOTE, by, now, reason=text), now)


def _fields(kind: EventKind, by: str, now: datetime | None, *, at: datetime | None = None, **more) -> dict:
    if not by.strip():
        raise InputError(f"a {kind.value} event needs who did it")
    now = _now(now)
    return {"kind": kind, "at": at or now, "recorded_at": now, "by": by, **more}


def _append(store: ObjectStore, incident: str, decide, now: datetime | None) -> Incident:
    incident = ledger.resolve_id(store, incident)
    ledger.append(store, incident, decide)
    return load_incident(store, incident, now)
