"""Consent recorded as not obtained, against personal data found or declared (the check and its finding)."""

from __future__ import annotations

from govgate.checks.consent import consent_checks
from govgate.datasheet import ColumnSpec, Consent, Datasheet
from govgate.record import Check, Outcome, Severity


def _pii(column: str, outcome: Outcome) -> Check:
    return Check(id=f"data.pii.column.{column}", title="t", category="privacy", outcome=outcome, message="m")


def test_no_consent_recorded_adds_nothing():
    assert consent_checks([_pii("email", Outcome.WARN)], Datasheet()) == ([], [])


def test_not_obtained_with_personal_data_found_or_declared_fails_with_a_finding():
    sheet = Datasheet(
        legal_basis="consent",
        consent=Consent(obtained=False),
        columns=[ColumnSpec(name="customer_ref", pii=True), ColumnSpec(name="note", pii=False)],
    )
    pii = [_pii("email", Outcome.WARN), _pii("note", Outcome.PASS), _pii("amount", Outcome.PASS)]
    (check,), (finding,) = consent_checks(pii, sheet)
    assert check.outcome == Outcome.FAIL and check.details["columns"] == ["customer_ref", "email"]
    assert check.threshold.judge_metric(check.metrics[0]) == Outcome.FAIL
    assert finding.severity == Severity.HIGH and finding.count == 2 and "customer_ref, email" in finding.message


def test_another_legal_basis_makes_it_advisory():
    sheet = Datasheet(legal_basis="contract", consent=Consent(obtained=False))
    (check,), (finding,) = consent_checks([_pii("email", Outcome.WARN)], sheet)
    assert check.outcome == Outcome.WARN and check.details["advisory"] is True
    assert finding.severity == Severity.MEDIUM and "legal basis recorded: contract" in check.message


def test_not_obtained_without_personal_data_and_obtained_consent_pass():
    (check,), findings = consent_checks([_pii("amount", Outcome.PASS)], Datasheet(consent=Consent(obtained=False)))
    assert check.outcome == Outcome.PASS and not findings and "no column holds personal data" in check.message
    sheet = Datasheet(consent=Consent(obtained=True, mechanism="signed form"))
    (check,), findings = consent_checks([_pii("email", Outcome.WARN)], sheet)
    assert check.outcome == Outcome.PASS and check.message == "consent obtained via signed form" and not findings
