"""Consent against the personal data a review found or the datasheet declared.

A datasheet that records ``consent: {obtained: false}`` for data holding personal data is a finding, not
a silent pass: on consent (or no recorded basis) the data may not be used, so the check fails; on another
recorded legal basis the use may still be lawful, so the breach is advisory (warn) for a person to review.
"""

from __future__ import annotations

from govgate.datasheet import Datasheet
from govgate.record import Check, Finding, Metric, Outcome, Severity, Threshold

CHECK_ID = "data.datasheet.consent_personal_data"
THRESHOLD = Threshold(metric="columns_with_personal_data", op="==", value=0)


def personal_data_columns(pii_checks: list[Check], sheet: Datasheet) -> list[str]:
    """Columns whose PII check flagged them (found or declared) and columns the datasheet declares personal."""
    flagged = {
        c.id.removeprefix("data.pii.column.")
        for c in pii_checks
        if c.id.startswith("data.pii.column.") and c.outcome == Outcome.WARN
    }
    return sorted(flagged | {c.name for c in sheet.columns if c.pii is True})


def consent_checks(pii_checks: list[Check], sheet: Datasheet) -> tuple[list[Check], list[Finding]]:
    """One check when the datasheet records consent (none otherwise), and a finding when consent was not
    obtained for data holding personal data."""
    consent = sheet.consent
    if consent is None:
        return [], []
    columns = personal_data_columns(pii_checks, sheet) if not consent.obtained else []
    metric = Metric(name=THRESHOLD.metric, value=len(columns))
    outcome = THRESHOLD.judge_metric(metric)
    basis = sheet.legal_basis if sheet.legal_basis not in (None, "none") else None
    advisory = outcome == Outcome.FAIL and basis not in (None, "consent")
    if advisory:
        outcome = Outcome.WARN  # another legal basis is recorded: a person decides whether it covers the use
    if consent.obtained:
        message = f"consent obtained via {consent.mechanism or 'an unnamed mechanism'}"
    elif columns:
        message = (
            f"consent was not obtained, but {len(columns)} column(s) hold personal data (found by the scan or "
            f"declared): {', '.join(columns)}" + (f"; legal basis recorded: {basis}" if basis else "")
        )
    else:
        message = "consent was not obtained; no column holds personal data found by the scan or declared"
    check = Check(
        id=CHECK_ID,
        title="Personal data is not used where consent was not obtained",
        category="privacy",
        outcome=outcome,
        message=message,
        metrics=[metric],
        threshold=THRESHOLD,
        evidence_kind="datasheet",
        details={
            "columns": columns,
            "obtained": consent.obtained,
            "legal_basis": sheet.legal_basis,
            "advisory": advisory,
        },
    )
    if not columns:
        return [check], []
    finding = Finding(
        id="datasheet.consent.not_obtained",
        severity=Severity.MEDIUM if advisory else Severity.HIGH,
        category="privacy",
        check_id=CHECK_ID,
        message=message,
        location={"file": sheet.path or "(no datasheet given)", "columns": ", ".join(columns)},
        count=len(columns),
        remediation="obtain and record consent (consent.obtained, mechanism, evidence), or record the legal basis "
        "that covers this use without consent, or remove or anonymize the personal data before use",
    )
    return [check], [finding]
