"""Clock arithmetic: when each legal clock of an incident is due, and where it stands at a given instant.

All instants are aware datetimes and compared in UTC. Hours are elapsed hours (72 hours stay 72 real hours
across a DST change). Days are calendar days at the same wall-clock time in the clock's zone (15 days from
10:00 in Brussels end at 10:00 in Brussels, 359 or 361 real hours when DST changes in between). Both are
never later than the deadline counted under Regulation 1182/71, which does not count the hour or day of the
event, so govgate's due time errs early. A deadline is met when the report is filed at or before it.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

from govgate.errors import InputError
from govgate.incidents.model import ClockPlan, ClockStatus, ClockView, IncidentKind, Jurisdiction
from govgate.incidents.rules import ClockRule, LegalClocks, Period


def due_at(start: datetime, period: Period, zone: str) -> datetime:
    """The due instant (UTC) of a period that starts at the aware datetime ``start``."""
    start = start.astimezone(UTC)
    if period.immediate:
        return start
    if period.hours is not None:
        return start + timedelta(hours=period.hours)
    local = start.astimezone(ZoneInfo(zone))
    # wall-clock arithmetic on the naive local time, then read in the zone again: calendar days, not 24 h
    wall = local.replace(tzinfo=None) + timedelta(days=period.days)
    return _from_wall(wall, ZoneInfo(zone))


def _from_wall(wall: datetime, zone: ZoneInfo) -> datetime:
    """A local wall-clock time as a UTC instant. A time that does not exist (the spring-forward gap) or
    exists twice (the autumn repeat) has two readings; the earlier instant keeps the due time early."""
    first = wall.replace(tzinfo=zone, fold=0).astimezone(UTC)
    second = wall.replace(tzinfo=zone, fold=1).astimezone(UTC)
    return min(first, second)


def plan_clocks(
    rules: LegalClocks,
    kinds: Iterable[IncidentKind],
    jurisdictions: Iterable[Jurisdiction],
    aware_at: datetime,
    opened_at: datetime,
) -> list[ClockPlan]:
    """Every clock whose jurisdiction and kinds match the incident, applicable or not (with the reason)."""
    for name, when in (("aware_at", aware_at), ("opened_at", opened_at)):
        if when.tzinfo is None or when.utcoffset() is None:
            raise InputError(f"{name} {when.isoformat()} has no time zone offset (e.g. 2026-09-01T10:00:00+02:00)")
    kinds, jurisdictions = set(kinds), set(jurisdictions)
    matching = [r for r in rules.clocks if r.jurisdiction in jurisdictions and kinds & set(r.kinds)]
    matched_ids = {r.id for r in matching}
    plans = []
    for rule in matching:
        start = aware_at if rule.starts == "aware" else opened_at
        reason = _not_in_force(rule, start)
        if not reason:
            in_force = [s for s in rule.superseded_by if s in matched_ids and not _not_in_force(rules.rule(s), start)]
            if in_force:
                reason = f"superseded by the shorter clock {', '.join(in_force)} for this kind of incident"
        plans.append(_plan(rule, start, reason))
    return plans


def _not_in_force(rule: ClockRule, start: datetime) -> str:
    """Why the rule is not in force on the start date (read in the clock's zone), or ''."""
    day = start.astimezone(ZoneInfo(rule.zone)).date()
    if day < rule.in_force_from:
        return f"applies from {rule.in_force_from}; this clock would start on {day} ({rule.zone})"
    if rule.in_force_until and day > rule.in_force_until:
        return f"in force until {rule.in_force_until}; this clock would start on {day} ({rule.zone})"
    return ""


def _plan(rule: ClockRule, start: datetime, reason: str) -> ClockPlan:
    return ClockPlan(
        id=rule.id,
        framework=rule.framework,
        article=rule.article,
        title=rule.title,
        jurisdiction=rule.jurisdiction,
        starts=rule.starts,
        starts_at=start.astimezone(UTC),
        due_at=None if reason else due_at(start, rule.within, rule.zone),
        within=rule.within.words(),
        zone=rule.zone,
        initial_report_allowed=rule.initial_report_allowed,
        superseded_by=rule.superseded_by,
        applicable=not reason,
        reason=reason,
        notes=rule.notes,
    )


def supersede(plans: list[ClockPlan]) -> list[ClockPlan]:
    """Plans with those a shorter applicable clock replaces marked not applicable: needed when a later
    classification adds the shorter clock (a serious incident found to have caused a death)."""
    running = {p.id for p in plans if p.applicable}
    out = []
    for plan in plans:
        if plan.applicable and (by := [s for s in plan.superseded_by if s in running]):
            reason = f"superseded by the shorter clock {', '.join(by)} (classified later)"
            plan = plan.model_copy(update={"applicable": False, "due_at": None, "reason": reason})
        out.append(plan)
    return out


def clock_view(
    plan: ClockPlan, as_of: datetime, reported_at: datetime | None, escalated_at: datetime | None = None
) -> ClockView:
    """Where one clock stands at ``as_of``: met once a report is recorded (late if after the due time),
    else due up to and including the due instant, overdue from the next instant on."""
    if not plan.applicable or plan.due_at is None:
        return ClockView(plan=plan, status=ClockStatus.NOT_APPLICABLE)
    if reported_at is not None:
        return ClockView(
            plan=plan,
            status=ClockStatus.MET,
            reported_at=reported_at,
            late=reported_at > plan.due_at,
            escalated_at=escalated_at,
        )
    status = ClockStatus.OVERDUE if as_of.astimezone(UTC) > plan.due_at else ClockStatus.DUE
    return ClockView(plan=plan, status=status, escalated_at=escalated_at)
