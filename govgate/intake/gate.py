"""The intake gate's content, without Prefect: subject, checks, findings and named outputs of one intake."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from govgate import protocol
from govgate.checks.free_text import mask_free_text
from govgate.evidence_index import RecordEntry
from govgate.gate import input_digest
from govgate.intake.answers import Answers
from govgate.intake.checks import family_checks, pending_findings, retier
from govgate.intake.engine import Assessment, assess, check_contradictions
from govgate.intake.rules import RuleBook
from govgate.policy import REFUSED, Policy
from govgate.record import Check, Finding, InputDigest, Subject


@dataclass
class IntakeResult:
    assessment: Assessment
    checks: list[Check] = field(default_factory=list)
    findings: list[Finding] = field(default_factory=list)
    outputs: dict[str, Any] = field(default_factory=dict)

    def why(self) -> str:
        """The decision's first reason: the tier and the rule (with its article) that gave it."""
        return f"risk tier {self.assessment.tier} ({self.assessment.legal_class}): {self.assessment.reason}"

    def record_tier(self, policy: Policy) -> str:
        """The policy tier the record is decided at: the intake's, the strictest for a refused asset."""
        tier = self.assessment.tier
        return policy.intake.tier_order[-1] if tier == REFUSED else tier


def intake_subject(answers: Answers | None, source: str | None, book: RuleBook | None = None) -> Subject:
    """The asset the answers describe, pinned by the answers file (or form digest) and the rules file."""
    if answers is None:
        return Subject(kind="system", id="intake-pending", uris=[source] if source else [])
    inputs = [input_digest(source, "answers")] if source and not source.startswith("prefect:") else []
    if source and source.startswith("prefect:"):
        inputs.append(InputDigest(uri=source, sha256=answers.sha256(), role="answers"))
    if book is not None:
        inputs.append(input_digest(book.path, "risk-rules"))
    a = answers.asset
    return Subject(
        kind=a.kind,
        id=a.id,
        version=a.version,
        uris=[source] if source else [],
        inputs=inputs,
        attributes={k: mask_free_text(v) for k, v in {"name": a.name, "purpose": a.purpose}.items() if v},
    )


def run_intake(
    answers: Answers, book: RuleBook, policy: Policy, records: list[RecordEntry], source: str
) -> IntakeResult:
    """Contradictions first (an InputError naming the file and keys), then the tree, the checks, the
    findings on records decided under another tier, and the outputs."""
    check_contradictions(answers, book, source)
    a = assess(answers, book, policy.intake)
    retier_check, retier_findings = retier(a, records, policy.intake)
    undecided = [
        Finding(
            id=f"intake.undecided.{u.rule.id}",
            severity="medium",
            category="risk-tier",
            message=f"{u.rule.framework} {u.rule.citation} is undecided: answer {', '.join(u.unknown) or 'the rules it depends on'}",
            check_id=f"intake.{u.rule.family}",
            location={"file": source, "keys": ", ".join(u.unknown)},
            remediation="answer the keys (true or false) and run the intake again",
        )
        for u in a.undecided
    ]
    outputs = {
        protocol.OUTPUT_RISK_TIER: a.risk_tier(),
        protocol.OUTPUT_INTAKE_RULES: {
            "as_of": a.as_of.isoformat(),
            "legal_class": a.legal_class,
            "rules_file_sha256": book.sha256,
            "rules_version": book.version,
            "fired": [f.brief() for f in a.fired],
            "undecided": [{"rule": u.rule.id, "unknown": list(u.unknown)} for u in a.undecided],
        },
    }
    return IntakeResult(
        a,
        checks=[*family_checks(a, book), retier_check],
        findings=[*pending_findings(a), *undecided, *retier_findings],
        outputs=outputs,
    )
