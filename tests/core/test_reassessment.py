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


def _report(p, d, y, groups) -> dict:
    """A fairness report's per-group metrics (the shape a model review records) of these rows."""
    import numpy as np

    rows = []
    for g in sorted(set(groups["sex"])):
        m = (groups["sex"] == g).to_numpy()
        neg = m & (y == 0)
        fpr, acc = float(d[neg].mean()), float((d[m] == y[m]).mean())
        metrics = {"false_positive_rate": {"value": fpr, "lower": fpr - 0.05, "upper": fpr + 0.05}}
        rows.append({"name": f"sex={g}", "metrics": {**metrics, "accuracy": {"value": acc}}})
    assert np.isfinite([r["metrics"]["accuracy"]["value"] for r in rows]).all()
    return {"features": {"sex": {"groups": rows}}, "intersection": None}


def test_estimated_regression_judged_against_the_approved_report_values():
    """The flow's adapter: the approved figures of a review record as ``{metric: {group: value}}``, the
    estimate (govgate.checks.estimated) judged against them; a looser group found worse before labels."""
    from govgate.checks.estimated import estimate_performance
    from govgate.checks.estimated_checks import estimated_baseline_checks
    from govgate.reassessment.figures import approved_values, group_figures, is_estimate
    from govgate.record import Check, Metric

    p, d, y, groups = _scored(4000, 8)
    accuracy = Check(
        id="performance.accuracy",
        title="a",
        category="performance",
        outcome=Outcome.PASS,
        metrics=[Metric(name="accuracy", value=float((d == y).mean()))],
    )
    approved = approved_values(_report(p, d, y, groups), [accuracy])
    assert set(approved["fpr"]) == {"sex=a", "sex=b"} and approved["accuracy"]["overall"] == accuracy.metrics[0].value
    assert group_figures(None, [])["fpr"] == {}
    p2, d2, _, groups2 = _scored(4000, 9, shift_b=0.3)
    est = estimate_performance(y, p, p2, decisions=d2, groups=groups2)
    by_id = {c.id: c for c in estimated_baseline_checks(est, approved, 0.05, ref=BaselineRef("m", "1", "r1"))}
    fpr_b, fpr_a = by_id["reassessment.estimated.fpr.sex=b"], by_id["reassessment.estimated.fpr.sex=a"]
    assert fpr_b.outcome == Outcome.FAIL and is_estimate(fpr_b) and fpr_b.threshold.baseline_record == "r1"
    assert fpr_a.outcome == Outcome.PASS
    assert by_id["reassessment.estimated.calibration"].outcome == Outcome.PASS
    assert not is_estimate(by_id["reassessment.estimated.calibration"])
