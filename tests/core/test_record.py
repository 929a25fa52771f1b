from __future__ import annotations

import json
from datetime import UTC, datetime

import pytest
from pydantic import ValidationError

from govgate import provenance
from govgate.gate import build_record, error_record
from govgate.policy import load_policy
from govgate.record import (
    AssetKind,
    Check,
    DecisionOutcome,
    GateResult,
    Outcome,
    Subject,
    decide,
    json_schema,
)
from govgate.settings import DEFAULT_POLICY, REPO_ROOT

SCHEMA_FILE = REPO_ROOT / "govgate" / "schemas" / "gate-result.schema.json"


def _check(id, outcome):
    return Check(id=id, title=id, category="t", outcome=outcome, message=f"{id} {outcome.value}")


def _record(checks, **kw) -> GateResult:
    return build_record(
        gate="data-review",
        subject=Subject(kind=AssetKind.DATASET, id="shop/reviews", version="2026-11"),
        policy=load_policy(DEFAULT_POLICY),
        tier="high",
        started_at=datetime(2026, 11, 22, 10, 0, tzinfo=UTC),
        checks=checks,
        decision=decide(checks),
        **kw,
    )


def test_schema_file_matches_models():
    assert SCHEMA_FILE.is_file(), "run `govgate schema --write`"
    assert json.loads(SCHEMA_FILE.read_text()) == json_schema()


def test_record_validates_against_published_schema():
    import jsonschema

    record = _record([_check("a", Outcome.PASS)])
    jsonschema.validate(json.loads(record.model_dump_json()), json.loads(SCHEMA_FILE.read_text()))


def test_provenance_is_filled_automatically():
    record = _record([_check("a", Outcome.PASS)], runtime={"prefect_flow_run_id": "abc"})
    p = record.provenance
    assert p.govgate_version == "0.1.0"
    assert {"prefect", "mlflow", "pandas", "boto3"} <= set(p.packages)
    assert p.prefect_flow_run_id == "abc"
    assert p.python.count(".") == 2
    if (REPO_ROOT / ".git").exists():
        assert p.git_commit and len(p.git_commit.split("-")[0]) == 40
    assert record.policy.sha256 == load_policy(DEFAULT_POLICY).sha256 and record.policy.tier == "high"


def test_git_commit_from_environment(monkeypatch):
    provenance.git_commit.cache_clear()
    monkeypatch.setenv("GOVGATE_GIT_COMMIT", "f" * 40)
    try:
        assert provenance.git_commit() == "f" * 40
    finally:
        provenance.git_commit.cache_clear()


def test_roundtrip_and_prefix():
    record = _record([_check("a", Outcome.PASS), _check("b", Outcome.WARN)])
    again = GateResult.model_validate_json(record.model_dump_json())
    assert again == record
    assert record.evidence_prefix() == f"evidence/shop-reviews/2026-11/data-review/{record.record_id}/"
    assert record.record_id.startswith("20261122T100000Z-")


@pytest.mark.parametrize(
    "outcomes,expected",
    [
        ([Outcome.PASS, Outcome.WARN], DecisionOutcome.PASS),
        ([Outcome.PASS, Outcome.INCONCLUSIVE], DecisionOutcome.NEEDS_REVIEW),
        ([Outcome.FAIL, Outcome.INCONCLUSIVE], DecisionOutcome.FAIL),
        ([Outcome.FAIL, Outcome.ERROR], DecisionOutcome.ERROR),
    ],
)
def test_default_decision_rule(outcomes, expected):
    checks = [_check(f"c{i}", o) for i, o in enumerate(outcomes)]
    decision = decide(checks)
    assert decision.outcome == expected
    if expected != DecisionOutcome.PASS:
        assert any(c.id in " ".join(decision.reasons) for c in checks if c.outcome != Outcome.PASS)


def test_inconclusive_does_not_block_when_policy_says_so():
    assert decide([_check("a", Outcome.INCONCLUSIVE)], inconclusive_blocks=False).outcome == DecisionOutcome.PASS


def test_error_record_keeps_earlier_checks_and_names_cause():
    rec = error_record(
        gate="data-review",
        subject=Subject(kind=AssetKind.DATASET, id="d"),
        policy=load_policy(DEFAULT_POLICY),
        tier=None,
        started_at=datetime.now(UTC),
        error=ValueError("reviews.csv: column 'rating' does not exist"),
        checks=[_check("a", Outcome.PASS)],
    )
    assert rec.decision.outcome == DecisionOutcome.ERROR
    assert rec.check("data-review.run").outcome == Outcome.ERROR
    assert "column 'rating'" in rec.decision.reasons[0]
    assert rec.check("a").outcome == Outcome.PASS


def test_unknown_fields_are_rejected():
    data = json.loads(_record([]).model_dump_json())
    data["surprise"] = 1
    with pytest.raises(ValidationError):
        GateResult.model_validate(data)
