"""The reassessment core: the window over dated files (and a date column), each bad input named, the
overdue and approval checks judged by the tier's policy."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pandas as pd
import pytest

from govgate.checks.baseline import BaselineRef
from govgate.policy import load_policy
from govgate.reassessment import Baseline, Window, approval_check, file_date, load_fresh_data, overdue_check
from govgate.reassessment.status import record_time
from govgate.record import Outcome
from govgate.settings import DEFAULT_POLICY

WINDOW = Window(as_of=date(2026, 11, 30), days=30, label_delay_days=7)


def _write(folder, name, frame):
    folder.mkdir(parents=True, exist_ok=True)
    frame.to_csv(folder / name, index=False)


def test_window_reads_dated_files_in_it_and_marks_immature_labels(tmp_path, local_settings):
    rows = pd.DataFrame({"x": [1, 2, 3], "y": [0, 1, 0]})
    for day in ("2026-10-15", "2026-11-01", "2026-11-28"):
        _write(tmp_path / "fresh", f"{day}.csv", rows)
    fresh = load_fresh_data(str(tmp_path / "fresh"), WINDOW, local_settings, ["x", "y"])
    assert fresh.problems == []
    assert [f["date"] for f in fresh.files] == ["2026-11-01", "2026-11-28"]
    assert fresh.skipped_files[0].endswith("2026-10-15.csv")
    summary = fresh.summary()
    assert summary["rows"] == 6 and summary["date_range"] == ["2026-11-01", "2026-11-28"]
    assert summary["rows_with_mature_labels"] == 3  # 2026-11-28 is younger than the 7-day label delay
    assert all(len(f["sha256"]) == 64 for f in fresh.files)


def test_a_date_column_places_rows_and_rows_outside_are_counted(tmp_path, local_settings):
    frame = pd.DataFrame({"date": ["2026-11-20", "2026-09-01", "2026-11-29"], "x": [1, 2, 3]})
    _write(tmp_path / "f", "extract.csv", frame)
    fresh = load_fresh_data(str(tmp_path / "f"), WINDOW, local_settings, ["x"])
    assert fresh.problems == [] and len(fresh.frame) == 2 and fresh.rows_outside_window == 1


@pytest.mark.parametrize(
    ("files", "required", "expected"),
    [
        ({}, ["x"], "no data files found"),
        ({"2026-01-01.csv": pd.DataFrame({"x": [1]})}, ["x"], "no file dated within the window 2026-11-01..2026-11-30"),
        ({"2026-11-02.csv": pd.DataFrame({"x": pd.Series([], dtype=int)})}, ["x"], "zero rows in the window"),
        ({"2026-11-02.csv": pd.DataFrame({"x": [1]})}, ["x", "sex"], "missing column(s) ['sex']"),
        (
            {"2026-11-02.csv": pd.DataFrame({"x": [1]}), "2026-11-03.csv": pd.DataFrame({"z": [1]})},
            ["x"],
            "another schema",
        ),
        ({"extract.csv": pd.DataFrame({"x": [1]})}, ["x"], "neither a date in the file name"),
    ],
)
def test_bad_fresh_data_is_named(tmp_path, local_settings, files, required, expected):
    folder = tmp_path / "fresh"
    folder.mkdir()
    for name, frame in files.items():
        _write(folder, name, frame)
    fresh = load_fresh_data(str(folder), WINDOW, local_settings, required)
    assert any(expected in p for p in fresh.problems), fresh.problems


def test_file_date_and_record_time():
    assert file_date("s3://b/prod/2026-11-30.parquet") == date(2026, 11, 30)
    assert file_date("extract.csv") is None and file_date("2026-13-40.csv") is None
    assert record_time("20261122T220600Z-1a2b3c4d") == datetime(2026, 11, 22, 22, 6, tzinfo=UTC)
    assert record_time(None) is None


def test_overdue_fails_at_high_tier_and_warns_below():
    policy = load_policy(DEFAULT_POLICY)
    now = datetime(2026, 12, 7, tzinfo=UTC)
    high, medium = policy.tier("high").reassessment, policy.tier("medium").reassessment
    check, finding = overdue_check("20261120T000000Z-aaaaaaaa", None, now, high)
    assert check.outcome == Outcome.FAIL and "17 day(s) since its last reassessment" in check.message and finding
    assert overdue_check("20261120T000000Z-aaaaaaaa", None, now, medium)[0].outcome == Outcome.PASS
    check, _ = overdue_check(None, "20261001T000000Z-bbbbbbbb", now, medium)
    assert check.outcome == Outcome.WARN and "approval (never reassessed)" in check.message
    assert overdue_check("20261206T000000Z-cccccccc", None, now, high)[0].outcome == Outcome.PASS


def test_never_approved_fails_at_high_tier():
    policy = load_policy(DEFAULT_POLICY)
    never = Baseline(BaselineRef("m", "1"), problem="m version 1 was never reviewed", kind="unapproved")
    check, finding = approval_check(never, policy.tier("high").reassessment)
    assert check.outcome == Outcome.FAIL and finding.message == "m version 1 was never reviewed"
    assert approval_check(never, policy.tier("low").reassessment)[0].outcome == Outcome.WARN


def test_an_s3_prefix_of_dated_csv_and_parquet_files(s3_settings, tmp_path):
    """The same window over the local S3 server: only the prefix's dated files inside it, each with the
    SHA-256 of its bytes."""
    from govgate.datasets import frame_to_parquet
    from govgate.digest import sha256_bytes
    from govgate.store import open_store

    bucket = s3_settings.effective_store_url.removeprefix("s3://").split("/")[0]
    store = open_store(s3_settings, f"s3://{bucket}")
    rows = pd.DataFrame({"x": [1, 2], "y": [0, 1]})
    parquet = frame_to_parquet(rows)
    store.put("prod/credit/2026-11-29.parquet", parquet)
    store.put("prod/credit/2026-11-30.csv", rows.to_csv(index=False).encode())
    store.put("prod/credit/2026-08-01.csv", rows.to_csv(index=False).encode())
    store.put("prod/other/2026-11-30.csv", b"z\n1\n")
    fresh = load_fresh_data(f"s3://{bucket}/prod/credit/", WINDOW, s3_settings, ["x", "y"])
    assert fresh.problems == [] and len(fresh.frame) == 4
    assert [f["uri"].rsplit("/", 1)[1] for f in fresh.files] == ["2026-11-29.parquet", "2026-11-30.csv"]
    assert fresh.files[0]["sha256"] == sha256_bytes(parquet)


def test_a_column_that_was_numeric_in_the_baseline_and_is_text_now():
    from govgate.reassessment.freshdata import schema_problems

    frame = pd.DataFrame({"age": ["30 years", "41", None], "sex": ["f", "m", "f"]})
    reference = {"age": {"kind": "numeric"}, "sex": {"kind": "categorical"}, "gone": {"kind": "numeric"}}
    assert schema_problems(frame, reference, "f/") == [
        "fresh data f/: another schema: column 'age' was numeric in the baseline; 1 value(s) now are not numbers"
    ]
    assert schema_problems(frame.assign(age=[30, 41, None]), reference, "f/") == []


def _scored(n: int, seed: int, shift_b: float = 0.0):
    import numpy as np

    rng = np.random.default_rng(seed)
    groups = pd.DataFrame({"sex": np.where(rng.random(n) < 0.5, "a", "b")})
    p = rng.uniform(0.05, 0.95, n)
    y = (rng.random(n) < p).astype(float)  # outcomes drawn from the scores: calibrated by construction
    d = (p > 0.5).astype(float)
    d[(groups["sex"] == "b").to_numpy() & (p > 0.5 - shift_b)] = 1.0  # group b approved more loosely
    return p, d, y, groups


def test_estimated_performance_matches_the_realized_one_on_calibrated_scores():
    import numpy as np

    from govgate.reassessment.estimated import _figures, estimate

    p, d, y, groups = _scored(4000, 7)
    est = estimate(p, d, groups, seed="digest")
    realized = _figures(y, d, groups)
    acc = est["accuracy"]
    assert acc.lower <= realized["accuracy"] <= acc.upper and abs(acc.value - realized["accuracy"]) < 0.03
    assert est["sex.false_positive_rate_difference"].upper - est["sex.false_positive_rate_difference"].lower > 0
    assert estimate(p, d, groups, seed="digest") == est  # seeded from the inputs
    assert np.isfinite(est["sex.false_positive_rate_difference"].value)


def test_estimated_regression_is_found_before_outcomes_and_needs_calibrated_scores():
    from govgate.checks.baseline import BaselineRef
    from govgate.reassessment.estimated import calibration_check, estimate, estimated_checks
    from govgate.record import Check, Metric

    base_checks = [
        Check(
            id="performance.accuracy",
            title="a",
            category="performance",
            outcome=Outcome.PASS,
            metrics=[Metric(name="accuracy", value=0.72)],
        ),
        Check(
            id="performance.calibration",
            title="c",
            category="performance",
            outcome=Outcome.PASS,
            metrics=[Metric(name="ece", value=0.02)],
        ),
    ]
    report = {"features": {"sex": {"disparities": {"false_positive_rate_difference": {"value": 0.0}}}}}
    p, d, _, groups = _scored(4000, 8, shift_b=0.3)
    checks = estimated_checks(estimate(p, d, groups, "x"), base_checks, report, 0.05, BaselineRef("m", "1", "r1"))
    by_id = {c.id: c for c in checks}
    fpr = by_id["fairness.sex.false_positive_rate_difference.estimated.vs_baseline"]
    assert fpr.outcome == Outcome.FAIL and fpr.message.startswith("estimated from calibrated scores")
    assert fpr.details["estimated"] is True and fpr.threshold.baseline_record == "r1"
    assert calibration_check(base_checks).outcome == Outcome.PASS
    poor = [base_checks[0], base_checks[1].model_copy(update={"metrics": [Metric(name="ece", value=0.2)]})]
    assert calibration_check(poor).outcome == Outcome.FAIL
    assert calibration_check(base_checks[:1]).outcome == Outcome.INCONCLUSIVE
