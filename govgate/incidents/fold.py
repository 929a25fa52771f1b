"""An incident's state as a fold of its events: nothing is stored but the events themselves."""

from __future__ import annotations

from datetime import UTC, datetime

from govgate.errors import StoreError
from govgate.incidents.clocks import clock_view, supersede
from govgate.incidents.model import EventKind, Incident, IncidentEvent, IncidentStatus


def fold(events: list[IncidentEvent], as_of: datetime | None = None) -> Incident:
    """The incident the events describe, with each clock's status at ``as_of`` (default: now).

    The first event must be ``opened``; later events only add to it. The first report recorded for a clock
    meets it (an initial, incomplete one included where the law allows it); the first escalation counts."""
    as_of = (as_of or datetime.now(UTC)).astimezone(UTC)
    if not events or events[0].kind != EventKind.OPENED or events[0].opened is None:
        where = events[0].incident_id if events else "(no events)"
        raise StoreError(f"incident {where}: the first event is not an 'opened' event")
    first, opened = events[0], events[0].opened
    state: dict = {"status": IncidentStatus.OPEN}
    reported: dict[str, datetime] = {}
    escalated: dict[str, datetime] = {}
    plans = list(opened.clocks)
    kinds, jurisdictions = list(opened.kinds), list(opened.jurisdictions)
    for event in events[1:]:
        _apply(event, state, reported, escalated)
        if event.kind == EventKind.CLASSIFIED and event.classified:
            plans += [p for p in event.classified.clocks if p.id not in {q.id for q in plans}]
            kinds += [k for k in event.classified.kinds if k not in kinds]
            jurisdictions += [j for j in event.classified.jurisdictions if j not in jurisdictions]
    return Incident(
        id=first.incident_id,
        asset=opened.asset,
        cause=opened.cause,
        summary=opened.summary,
        severity=opened.severity,
        evidence=opened.evidence,
        kinds=kinds,
        jurisdictions=jurisdictions,
        source=opened.source,
        opened_at=first.at,
        opened_by=first.by,
        aware_at=opened.aware_at,
        clocks=[clock_view(p, as_of, reported.get(p.id), escalated.get(p.id)) for p in supersede(plans)],
        history=events,
        as_of=as_of,
        **state,
    )


def _apply(event: IncidentEvent, state: dict, reported: dict, escalated: dict) -> None:
    if event.kind == EventKind.ACKNOWLEDGED and state["status"] == IncidentStatus.OPEN:
        state.update(status=IncidentStatus.ACKNOWLEDGED, acknowledged_by=event.by, acknowledged_at=event.at)
    elif event.kind == EventKind.CLOSED and state["status"] != IncidentStatus.CLOSED:
        state.update(status=IncidentStatus.CLOSED, closed_by=event.by, closed_at=event.at, close_reason=event.reason)
    elif event.kind == EventKind.REPORTED and event.clock_id:
        reported.setdefault(event.clock_id, event.at)
    elif event.kind == EventKind.CLOCK_ESCALATED and event.clock_id:
        escalated.setdefault(event.clock_id, event.at)
