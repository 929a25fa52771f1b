"""Escalating overdue legal clocks, for the daily reassessment: each overdue clock of an open incident gets
one ``clock-escalated`` event, the first time a run finds it overdue, never again on later runs."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime

from govgate.incidents import ledger
from govgate.incidents.fold import fold
from govgate.incidents.model import ClockStatus, EventKind, IncidentEvent, IncidentStatus
from govgate.store import ObjectStore

ESCALATED_BY = "govgate escalation"


@dataclass(frozen=True)
class Escalation:
    incident_id: str
    clock_id: str
    due_at: datetime
    event_seq: int


def escalate_overdue(store: ObjectStore, now: datetime | None = None, by: str = ESCALATED_BY) -> list[Escalation]:
    """Append a clock-escalated event for every overdue clock not escalated yet, on every incident that is
    not closed. Safe to run twice, and concurrently: the decision is re-made on each lost append race."""
    now = (now or datetime.now(UTC)).astimezone(UTC)
    done = []
    for incident in ledger.incident_ids(store):
        state = fold(ledger.read_events(store, incident), now)
        if state.status == IncidentStatus.CLOSED:
            continue
        for clock in state.overdue:
            if clock.escalated_at is None and (event := _escalate(store, incident, clock.plan.id, now, by)):
                done.append(Escalation(incident, clock.plan.id, clock.plan.due_at, event.seq))
    return done


def _escalate(store: ObjectStore, incident: str, clock_id: str, now: datetime, by: str) -> IncidentEvent | None:
    def decide(events: list[IncidentEvent]) -> dict | None:
        state = fold(events, now)
        clock = next(c for c in state.clocks if c.plan.id == clock_id)
        if state.status == IncidentStatus.CLOSED or clock.status != ClockStatus.OVERDUE or clock.escalated_at:
            return None
        late = now - clock.plan.due_at
        return {
            "kind": EventKind.CLOCK_ESCALATED,
            "at": now,
            "recorded_at": now,
            "by": by,
            "clock_id": clock_id,
            "reason": f"{clock.plan.framework} {clock.plan.article} was due {clock.plan.due_at:%Y-%m-%d %H:%M}Z "
            f"({clock.plan.within}); no report recorded {_duration(late)} later",
        }

    return ledger.append(store, incident, decide)


def _duration(delta) -> str:
    hours = int(delta.total_seconds() // 3600)
    return (
        f"{hours // 24} d {hours % 24} h" if hours >= 24 else f"{hours} h {int(delta.total_seconds() % 3600 // 60)} min"
    )
