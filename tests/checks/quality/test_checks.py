"""Quality evidence: every expectation is a check, unevaluable ones never pass, examples never hold raw values."""

from __future__ import annotations

import json

import pandas as pd

from govgate.checks.quality import (
    generic_expectations,
    quality_checks,
)
from govgate.record import Outcome, Severity
from tests.checks.quality.helpers import check_in_partitions


def test_every_expectation_is_a_check_and_unevaluable_ones_never_pass(messy, messy_expectations):
    extra = [
        {
            "type": "expect_column_values_to_not_be_null",
            "kwargs": {"column": "no_such_column"},
            "meta": {"suite": "custom"},
        },
        {"type": "expect_column_to_exist", "kwargs": {"column": "no_such_column"}, "meta": {"suite": "custom"}},
        {
            "type": "expect_column_values_to_be_between",
            "kwargs": {"column": "city", "min_value": 0, "max_value": 5},
            "meta": {"suite": "custom"},
        },
        {
            "type": "expect_column_mean_to_be_between",
            "kwargs": {"column": "id", "min_value": 0, "max_value": 10},
            "meta": {"suite": "custom"},
        },
        {
            "type": "expect_column_values_to_not_be_null",
            "kwargs": {"column": "age", "mostly": 0.5},
            "meta": {"suite": "custom"},
        },
    ]
    expectations = messy_expectations + extra
    split = check_in_partitions(messy, expectations, [5])
    checks, findings = quality_checks(split, max_null_fraction=0.05, max_duplicate_row_fraction=0.0)
    by_id = {c.id: c for c in checks}
    assert len(by_id) == len(checks)  # ids are unique
    expectation_checks = [
        c for c in checks if c.id not in {"data.quality.duplicate_rows"} and not c.id.startswith("data.quality.nulls.")
    ]
    assert len(expectation_checks) == len(expectations)
    for c in expectation_checks:
        assert c.evidence_kind == "data_quality" and c.controls
        assert {m.name for m in c.metrics} >= {"element_count", "unexpected_count", "unexpected_fraction"}

    assert (
        by_id["data.quality.custom.expect_column_values_to_not_be_null.no_such_column"].outcome == Outcome.INCONCLUSIVE
    )
    assert (
        'column "no_such_column" is not in the data'
        in by_id["data.quality.custom.expect_column_values_to_not_be_null.no_such_column"].message
    )
    assert by_id["data.quality.custom.expect_column_to_exist.no_such_column"].outcome == Outcome.FAIL
    wrong_type = by_id["data.quality.custom.expect_column_values_to_be_between.city"]
    assert wrong_type.outcome == Outcome.ERROR and "same type" in wrong_type.message  # GX's own message
    assert (
        by_id["data.quality.custom.expect_column_mean_to_be_between.id"].outcome == Outcome.INCONCLUSIVE
    )  # split: not mergeable
    assert by_id["data.quality.custom.expect_column_values_to_not_be_null.age"].outcome == Outcome.PASS  # mostly 0.5
    between = by_id["data.quality.generic.expect_column_values_to_be_between.age"]
    assert between.outcome == Outcome.FAIL and {m.name: m.value for m in between.metrics}["unexpected_count"] == 2
    assert between.threshold.metric == "unexpected_fraction" and between.threshold.value == 0.0
    assert (
        by_id["data.quality.nulls.age"].outcome == Outcome.FAIL
        and by_id["data.quality.nulls.id"].outcome == Outcome.PASS
    )
    assert by_id["data.quality.duplicate_rows"].outcome == Outcome.PASS

    failing = {c.id for c in checks if c.outcome != Outcome.PASS}
    assert failing == {f.check_id for f in findings}
    finding = next(f for f in findings if f.check_id == between.id)
    assert finding.severity == Severity.MEDIUM and finding.location == {"column": "age"} and finding.count == 2
    assert finding.examples == ["row 2: 17.0", "row 7: 200.0"]  # numbers of a non-PII column are shown

    # one partition: the aggregate expectation is exact
    whole = {
        c.id: c
        for c in quality_checks(
            check_in_partitions(messy, expectations), max_null_fraction=1, max_duplicate_row_fraction=1
        )[0]
    }
    assert whole["data.quality.custom.expect_column_mean_to_be_between.id"].outcome == Outcome.PASS


def test_examples_never_hold_raw_strings_or_pii_numbers():
    df = pd.DataFrame(
        {
            "email": ["an.nguyen@example.vn", "not-an-email", "binh.tran@example.vn", "chi@example", "dung@example.vn"],
            "phone": [912345678, 2, 3, 988777666, 5],
            "note": ["ok", "fine", "Call Minh on 0912 345 678", "ok", "ok"],
        }
    )
    sheet = [
        {"name": "email", "pii": True, "allowed_values": ["nobody@example.vn"]},
        {"name": "phone", "pii": True, "max": 10},
        {"name": "note", "allowed_values": ["ok"], "unique": True},
    ]
    expectations = generic_expectations(sheet, list(df.columns)) + [
        {
            "type": "expect_column_values_to_match_regex",
            "kwargs": {"column": "email", "regex": r"^\S+@\S+\.\w+$"},
            "meta": {"suite": "c", "pii": True},
        },
    ]
    result = check_in_partitions(df, expectations, [2])
    checks, findings = quality_checks(result, max_null_fraction=0, max_duplicate_row_fraction=0)
    evidence = json.dumps([c.model_dump(mode="json") for c in checks] + [f.model_dump(mode="json") for f in findings])
    for value in [*df["email"], "fine", "Call Minh", "912345678", "988777666", "0912"]:  # ('ok' is in the suite itself)
        assert str(value) not in evidence, value
    examples = [e for f in findings for e in f.examples]
    assert examples and all(
        e.split(": ", 1)[1].startswith("sha256:") for e in examples if ": " in e and "value repeated" not in e
    )
