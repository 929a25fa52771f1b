"""The model review's baseline reader: the fairness report of an earlier record, from its named output
(schema 1.1.0) or from the ``fairness.report`` check a 1.0.0 record carried it in."""

from __future__ import annotations

from datetime import UTC, datetime

from govgate.gate import build_record
from govgate.policy import load_policy
from govgate.record import (
    FAIRNESS_REPORT,
    LEGACY_FAIRNESS_CHECK,
    AssetKind,
    Check,
    GateResult,
    Outcome,
    Subject,
    decide,
)
from govgate.settings import DEFAULT_POLICY
from tasks.model_review import baseline_report

REPORT = {"features": {"sex": {"disparities": {"demographic_parity_difference": {"value": 0.1}}}}}


def _record(checks, outputs=None) -> GateResult:
    return build_record(
        gate="model-review",
        subject=Subject(kind=AssetKind.MODEL, id="credit-scorer", version="1"),
        policy=load_policy(DEFAULT_POLICY),
        tier="high",
        started_at=datetime(2026, 11, 22, tzinfo=UTC),
        checks=checks,
        decision=decide(checks),
        outputs=outputs,
    )


def test_baseline_is_read_from_the_output():
    assert baseline_report(_record([], {FAIRNESS_REPORT: REPORT})) == REPORT


def test_baseline_of_a_1_0_0_record_is_read_from_its_payload_check():
    legacy = Check(
        id=LEGACY_FAIRNESS_CHECK, title="t", category="fairness", outcome=Outcome.PASS, details={"report": REPORT}
    )
    data = _record([legacy]).model_dump(mode="json")
    data["schema_version"] = "1.0.0"
    del data["outputs"]
    assert baseline_report(GateResult.model_validate(data)) == REPORT


def test_no_report_means_no_baseline():
    assert baseline_report(_record([])) is None
