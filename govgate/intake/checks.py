"""The intake as gate checks: one check per rule family, judged by ``Threshold.judge``, and the findings a
new tier raises on records decided under another one.

- a prohibition family: prohibitions in force that fired, limit 0: any fails the intake (the asset is
  refused); prohibitions that fired but bind later are a second check that warns until their date;
- every other family: the rules that fired, limit ">= 0": it passes once the family could be decided and
  is inconclusive (the intake needs a review) while an answer it depends on is unknown;
- re-tiering: gate records of the asset decided under another tier than the new one, limit 0, one finding
  per record with its id and URI (``retier_outcome`` in policy says whether that warns or fails).
"""

from __future__ import annotations

from govgate import protocol
from govgate.evidence_index import RecordEntry
from govgate.intake.engine import Assessment, Fired
from govgate.intake.rules import RuleBook
from govgate.policy import IntakeRules
from govgate.record import Check, Finding, Metric, Outcome, Severity, Threshold

EVIDENCE_KIND = "risk_assessment"


def family_checks(a: Assessment, book: RuleBook) -> list[Check]:
    """One check per rule family of the tree (two for a family of prohibitions), in the tree's order."""
    families = list(dict.fromkeys(r.family for r in book.rules))
    prohibitions = {r.family for r in book.rules if r.legal_class == "prohibited"}
    checks = []
    for family in families:
        fired, undecided = a.family(family)
        if family in prohibitions:
            checks += _prohibition_checks(family, fired, undecided)
        else:
            checks.append(_family_check(family, fired, undecided))
    return checks


def _family_check(family: str, fired: list[Fired], undecided) -> Check:
    value = None if undecided else len(fired)
    threshold = Threshold(metric="rules_fired", op=">=", value=0)
    outcome = threshold.judge(value)
    return Check(
        id=f"intake.{family}",
        title=f"{family}: rules of the decision tree",
        category="risk-tier",
        outcome=outcome,
        message=_message(fired, undecided),
        metrics=[Metric(name="rules_fired", value=value)],
        threshold=threshold,
        evidence_kind=EVIDENCE_KIND,
        details={"fired": [f.brief() for f in fired], "undecided": [u.rule.id for u in undecided]},
    )


def _prohibition_checks(family: str, fired: list[Fired], undecided) -> list[Check]:
    now = [f for f in fired if f.in_force]
    later = [f for f in fired if not f.in_force]
    threshold = Threshold(metric="prohibited_in_force", op="<=", value=0)
    value = None if (undecided and not now) else len(now)
    in_force = Check(
        id=f"intake.{family}",
        title=f"{family}: prohibited practices in force",
        category="risk-tier",
        outcome=threshold.judge(value),
        message=_message(now, undecided, none="no prohibited practice"),
        metrics=[Metric(name="prohibited_in_force", value=value)],
        threshold=threshold,
        evidence_kind=EVIDENCE_KIND,
        details={"fired": [f.brief() for f in now], "undecided": [u.rule.id for u in undecided]},
    )
    pending_limit = Threshold(metric="prohibited_not_yet_in_force", op="<=", value=0)
    outcome = pending_limit.judge(len(later))
    pending = Check(
        id=f"intake.{family}.not-yet-in-force",
        title=f"{family}: prohibitions that bind later",
        category="risk-tier",
        # A prohibition that does not bind yet cannot refuse the asset today: its failure is a warning.
        outcome=Outcome.WARN if outcome == Outcome.FAIL else outcome,
        message=_message(later, [], none="no prohibition pending"),
        metrics=[Metric(name="prohibited_not_yet_in_force", value=len(later))],
        threshold=pending_limit,
        evidence_kind=EVIDENCE_KIND,
        details={"fired": [f.brief() for f in later]},
    )
    return [in_force, pending]


def _message(fired: list[Fired], undecided, none: str = "no rule fired") -> str:
    parts = [
        "; ".join(f"{f.cite()}" + ("" if f.in_force else f" (binds from {f.binds_from.isoformat()})") for f in fired)
        or none
    ]
    if undecided:
        keys = sorted({k for u in undecided for k in u.unknown})
        rules = ", ".join(u.rule.citation for u in undecided[:6])
        parts.append(f"undecided: {rules}; answer {', '.join(keys) or 'the rules they depend on'}")
    return "; ".join(parts)


def pending_findings(a: Assessment) -> list[Finding]:
    """One finding per rule that fired but does not bind yet: what applies, from when."""
    return [
        Finding(
            id=f"intake.not-yet-in-force.{f.rule.id}",
            severity=Severity.HIGH if f.rule.legal_class == "prohibited" else Severity.INFO,
            category="risk-tier",
            message=f"{f.cite()} applies to this asset from {f.binds_from.isoformat()} (not yet in force on "
            f"{a.as_of.isoformat()}): {f.rule.title}",
            check_id=f"intake.{f.rule.family}" + (".not-yet-in-force" if f.rule.legal_class == "prohibited" else ""),
            location={"rule": f.rule.id, "applies_from": f.binds_from.isoformat()},
            remediation="plan for the obligation before it binds; the tier already prepares for it",
        )
        for f in a.fired
        if not f.in_force
    ]


def retier(a: Assessment, records: list[RecordEntry], intake: IntakeRules) -> tuple[Check, list[Finding]]:
    """Gate records of this asset decided under another tier than the new intake's, each a finding."""
    stale = [r for r in records if r.gate != protocol.INTAKE and r.tier != a.tier]
    previous = max(
        (r for r in records if r.gate == protocol.INTAKE), key=lambda r: (r.started_at, r.record_id), default=None
    )
    was = (
        ((previous.small_outputs.get(protocol.OUTPUT_RISK_TIER) or {}).get("tier") or previous.tier)
        if previous
        else None
    )
    threshold = Threshold(metric="records_under_another_tier", op="<=", value=0)
    outcome = threshold.judge(len(stale))
    changed = f"tier changed from {was} (intake {previous.record_id}) to {a.tier}" if was and was != a.tier else ""
    check = Check(
        id="intake.retier",
        title="gate records decided under another tier",
        category="risk-tier",
        outcome=Outcome.WARN if outcome == Outcome.FAIL and intake.retier_outcome == "warn" else outcome,
        message="; ".join(
            p for p in (changed, f"{len(stale)} gate record(s) of this asset were decided under another tier") if p
        ),
        metrics=[Metric(name="records_under_another_tier", value=len(stale))],
        threshold=threshold,
        evidence_kind=EVIDENCE_KIND,
        details={"previous_intake": previous.record_id if previous else None, "previous_tier": was},
    )
    findings = [
        Finding(
            id=f"intake.retier.{r.record_id}",
            severity=Severity.MEDIUM,
            category="risk-tier",
            message=f"{r.gate} record {r.record_id} (decision {r.decision}) was decided under tier {r.tier or '(none)'}; "
            f"the intake now says {a.tier}",
            check_id="intake.retier",
            location={"record_id": r.record_id, "uri": r.uri, "gate": r.gate, "tier": r.tier},
            remediation=f"run the {r.gate} gate again under tier {a.tier}",
        )
        for r in stale
    ]
    return check, findings
