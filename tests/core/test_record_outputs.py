"""Named gate outputs (schema 1.1.0): payloads that are not checks travel in ``record.outputs``; records of
schema 1.0.0, which carried them as always-passing checks, still read and still render."""

from __future__ import annotations

import json
from datetime import UTC, datetime

import jsonschema
import numpy as np
import pandas as pd
import pytest
from pydantic import ValidationError

from govgate.checks.fairness import fairness_report
from govgate.gate import build_record
from govgate.policy import load_policy
from govgate.record import (
    FAIRNESS_REPORT,
    LEGACY_FAIRNESS_CHECK,
    LEGACY_REFERENCE_CHECK,
    REFERENCE_DISTRIBUTIONS,
    SCHEMA_VERSION,
    AssetKind,
    Check,
    GateResult,
    Outcome,
    Subject,
    decide,
)
from govgate.render import fairness_table, render_model_card
from govgate.settings import DEFAULT_POLICY, REPO_ROOT

SCHEMA_FILE = REPO_ROOT / "govgate" / "schemas" / "gate-result.schema.json"


@pytest.fixture(scope="module")
def report() -> dict:
    rng = np.random.default_rng(0)
    sex = np.where(rng.random(400) < 0.5, "female", "male")
    y = (rng.random(400) < 0.6).astype(int)
    pred = np.where(sex == "female", rng.random(400) < 0.4, rng.random(400) < 0.7).astype(int)
    rep = fairness_report(y, pred, pd.DataFrame({"sex": sex}), min_group_size=30, n_boot=50)
    return json.loads(json.dumps(rep.to_dict(), default=str))


def _record(checks: list[Check], outputs: dict | None = None) -> GateResult:
    return build_record(
        gate="model-review",
        subject=Subject(kind=AssetKind.MODEL, id="credit-scorer", version="3"),
        policy=load_policy(DEFAULT_POLICY),
        tier="high",
        started_at=datetime(2026, 11, 22, 10, 0, tzinfo=UTC),
        checks=checks,
        decision=decide(checks),
        outputs=outputs,
    )


def _legacy_record(report: dict) -> dict:
    """A 1.0.0 record as the model review wrote it: payloads inside always-passing checks, no outputs."""
    checks = [
        Check(id="fairness.sex.demographic_parity_difference", title="t", category="fairness", outcome=Outcome.PASS),
        Check(
            id=LEGACY_FAIRNESS_CHECK,
            title="Fairness report (kept for baseline comparison)",
            category="fairness",
            outcome=Outcome.PASS,
            details={"report": report},
        ),
        Check(
            id=LEGACY_REFERENCE_CHECK,
            title="Reference distributions for reassessment",
            category="reference",
            outcome=Outcome.PASS,
            details={"rows": 400, "features": {}},
        ),
    ]
    data = json.loads(_record(checks).model_dump_json())
    data["schema_version"] = "1.0.0"
    del data["outputs"]
    return data


def test_outputs_round_trip_and_validate_against_the_published_schema(report):
    record = _record(
        [Check(id="fairness.groups.sex", title="t", category="fairness", outcome=Outcome.PASS)],
        outputs={FAIRNESS_REPORT: report, REFERENCE_DISTRIBUTIONS: {"rows": 400, "features": {}}},
    )
    assert record.schema_version == SCHEMA_VERSION == "1.1.0"
    data = json.loads(record.model_dump_json())
    jsonschema.validate(data, json.loads(SCHEMA_FILE.read_text()))
    again = GateResult.model_validate_json(record.model_dump_json())
    assert again == record
    assert again.output(FAIRNESS_REPORT) == report
    assert again.output(REFERENCE_DISTRIBUTIONS)["rows"] == 400
    assert again.output("no_such_output") is None


def test_a_1_0_0_record_still_reads_and_its_payload_checks_serve_as_outputs(report):
    data = _legacy_record(report)
    jsonschema.validate(data, json.loads(SCHEMA_FILE.read_text()))
    old = GateResult.model_validate(data)
    assert old.schema_version == "1.0.0" and old.outputs == {}
    assert old.output(FAIRNESS_REPORT, LEGACY_FAIRNESS_CHECK, "report") == report
    assert old.output(REFERENCE_DISTRIBUTIONS, LEGACY_REFERENCE_CHECK)["rows"] == 400
    assert old.output(FAIRNESS_REPORT) is None  # without naming the legacy check, nothing is guessed


def test_an_unknown_schema_version_is_refused(report):
    data = _legacy_record(report)
    data["schema_version"] = "2.0.0"
    with pytest.raises(ValidationError, match="schema_version"):
        GateResult.model_validate(data)


def test_the_model_card_shows_the_fairness_table_from_outputs_and_from_old_records(report):
    new = _record([], outputs={FAIRNESS_REPORT: report})
    old = GateResult.model_validate(_legacy_record(report))
    rows = fairness_table(new)
    assert {r["group"] for r in rows} == {"sex=female", "sex=male"}
    assert fairness_table(old) == rows
    female = next(r for r in rows if r["group"] == "sex=female")
    rate = report["features"]["sex"]["groups"][0]["metrics"]["selection_rate"]
    assert female["selection_rate"].startswith(f"{rate['value']:.3f} [")
    for record in (new, old):
        card = render_model_card(record, "md")
        assert "| sex | sex=female |" in card and "| sex | sex=male |" in card
        assert LEGACY_FAIRNESS_CHECK + "`" not in card  # the payload check is not listed as a check
    assert "<td>sex=female</td>" in render_model_card(new, "html")
    assert fairness_table(_record([])) == []  # no fairness report: no table
