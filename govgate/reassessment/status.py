"""Checks about the deployed version itself: approved (passed a model review), reassessed recently
enough, and the bad-input check that stands in for a step that could not run. Outcomes come from
``Threshold.judge``; the policy's ``overdue_outcome`` turns a fail into a warning below the high tier."""

from __future__ import annotations

from datetime import UTC, datetime

from govgate.record import Check, Finding, Metric, Outcome, Severity, Threshold

CATEGORY = "reassessment"


def _policy_outcome(outcome: Outcome, rules) -> Outcome:
    """A judged fail stays a fail when the tier's policy says so (high), else it is a warning."""
    return Outcome.WARN if outcome == Outcome.FAIL and rules.overdue_outcome == "warn" else outcome


def record_time(record_id: str | None) -> datetime | None:
    """When a record was started, from its sortable id (20261122T220600Z-1a2b3c4d)."""
    try:
        return datetime.strptime((record_id or "").split("-")[0], "%Y%m%dT%H%M%SZ").replace(tzinfo=UTC)
    except ValueError:
        return None


def approval_check(baseline, rules) -> tuple[Check, Finding | None]:
    """The deployed version passed a model review (its tags say so)."""
    threshold = Threshold(metric="passed_model_review", op=">=", value=1)
    value = 0 if baseline.kind == "unapproved" else 1
    outcome = _policy_outcome(threshold.judge(value), rules)
    message = baseline.problem if value == 0 else f"approved by model review record {baseline.ref.record_id}"
    check = Check(
        id="reassessment.approved",
        title="The deployed version passed a model review",
        category=CATEGORY,
        outcome=outcome,
        message=message,
        metrics=[Metric(name="passed_model_review", value=value)],
        threshold=threshold,
        evidence_kind=CATEGORY,
        details={"baseline": baseline.ref.to_dict() if baseline.ref else None},
    )
    if value:
        return check, None
    return check, Finding(
        id="reassessment.unapproved",
        severity=Severity.HIGH,
        category=CATEGORY,
        message=message,
        check_id=check.id,
        remediation="review the version (model-review) or stop deploying it",
    )


def overdue_check(
    last_record_id: str | None, approved_record_id: str | None, now: datetime, rules
) -> tuple[Check, Finding | None]:
    """Days since the version's last reassessment (never reassessed: since its approval) within the tier's
    ``max_age_days``."""
    threshold = Threshold(metric="days_since_reassessment", op="<=", value=rules.max_age_days)
    last, since = record_time(last_record_id), "last reassessment"
    if last is None:
        last, since = record_time(approved_record_id), "approval (never reassessed)"
    days = round((now - last).total_seconds() / 86400, 2) if last else None
    outcome = _policy_outcome(threshold.judge(days), rules) if days is not None else Outcome.SKIPPED
    message = (
        f"{days:g} day(s) since its {since}; the tier allows {rules.max_age_days}"
        if days is not None
        else "neither reassessed nor approved: nothing to measure the age from"
    )
    check = Check(
        id="reassessment.overdue",
        title="Reassessed as often as the tier requires",
        category=CATEGORY,
        outcome=outcome,
        message=message,
        metrics=[Metric(name="days_since_reassessment", value=days)],
        threshold=threshold,
        evidence_kind=CATEGORY,
        details={"last_reassessment": last_record_id, "approval": approved_record_id},
    )
    if outcome in (Outcome.PASS, Outcome.SKIPPED):
        return check, None
    return check, Finding(
        id="reassessment.overdue",
        severity=Severity.MEDIUM,
        category=CATEGORY,
        message=f"reassessment overdue: {message}",
        check_id=check.id,
        remediation="run the reassessment schedule for this tier (govgate serve)",
    )


def problem_check(cid: str, title: str, message: str, *, severity: Severity = Severity.HIGH) -> tuple[Check, Finding]:
    """A step that could not run on bad input: an ``error`` check (never a pass) and its finding."""
    check = Check(id=cid, title=title, category=CATEGORY, outcome=Outcome.ERROR, message=message)
    return check, Finding(
        id=cid,
        severity=severity,
        category=CATEGORY,
        message=message,
        check_id=cid,
        remediation="fix the input named in the message and run the reassessment again",
    )
