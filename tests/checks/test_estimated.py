"""Performance estimated without labels (CBPE): the expected confusion matrix by hand, interval coverage
by simulation (labels drawn from the calibrated probabilities), a planted FPR rise in one group found as
an estimated regression and confirmed after labels, poor calibration -> inconclusive, reconciliation."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from govgate.checks.estimated import (
    METRICS,
    EstimationSettings,
    estimate_group,
    estimate_performance,
    expected_confusion,
    metrics_from_cells,
)
from govgate.checks.estimated_checks import estimated_baseline_checks, reconcile_checks
from govgate.errors import InputError
from govgate.record import Outcome


def realized(y: np.ndarray, d: np.ndarray, s: np.ndarray | None = None) -> dict[str, float]:
    """The metrics once the labels are known (plain confusion counts; ROC AUC by scikit-learn)."""
    from sklearn.metrics import roc_auc_score

    tp, fp = int(((y == 1) & (d == 1)).sum()), int(((y == 0) & (d == 1)).sum())
    fn, tn = int(((y == 1) & (d == 0)).sum()), int(((y == 0) & (d == 0)).sum())
    out = {k: float(v) for k, v in metrics_from_cells(tp, fp, fn, tn).items()}
    if s is not None:
        out["roc_auc"] = float(roc_auc_score(y, s)) if 0 < y.sum() < len(y) else float("nan")
    return out


def test_expected_confusion_matches_a_hand_computation():
    p, d = np.array([0.9, 0.6, 0.3, 0.1]), np.array([1, 1, 0, 0])
    e = expected_confusion(p, d)
    assert e == pytest.approx({"tp": 1.5, "fp": 0.5, "fn": 0.4, "tn": 1.6})
    m = {k: float(v) for k, v in metrics_from_cells(**e).items()}
    hand = {"accuracy": 3.1 / 4, "tpr": 1.5 / 1.9, "fpr": 0.5 / 2.1, "precision": 0.75, "f1": 3.0 / (3.0 + 0.5 + 0.4)}
    assert m == pytest.approx(hand)


def _coverage(make_scores, n: int, repeats: int, settings: EstimationSettings, tag: str) -> dict[str, float]:
    """Share of repeats where the realized metric falls in the estimated interval (when both exist)."""
    hits, tries = dict.fromkeys(METRICS, 0), dict.fromkeys(METRICS, 0)
    for r in range(repeats):
        rng = np.random.default_rng([r, n, len(tag)])
        p = make_scores(rng, n)
        d = (p >= 0.5).astype(np.int8)
        g = estimate_group("g", p, d, settings, (tag, r), s=p)
        truth = realized((rng.random(n) < p).astype(int), d, p)
        for name, m in g.metrics.items():
            if not np.isnan(truth[name]):
                tries[name] += 1
                hits[name] += m.lower <= truth[name] <= m.upper
    return {k: hits[k] / tries[k] for k in METRICS if tries[k] >= repeats // 2}


SETTINGS = EstimationSettings(n_draws=1000)


def test_interval_covers_the_realized_value_at_the_nominal_rate():
    cov = _coverage(lambda rng, n: rng.beta(2, 2, n), 300, 400, SETTINGS, "moderate")
    assert set(cov) == set(METRICS)
    for name, c in cov.items():
        assert 0.925 <= c <= 0.975, (name, c)


def test_normal_count_draws_beyond_the_budget_keep_coverage():
    settings = EstimationSettings(n_draws=1000, exact_budget=0)  # every count from the normal moments
    cov = _coverage(lambda rng, n: rng.beta(2, 3, n), 2000, 400, settings, "normal")
    for name, c in cov.items():
        assert 0.925 <= c <= 0.975, (name, c)


@pytest.mark.parametrize(
    ("tag", "n", "make"),
    [
        ("near 0 and 1", 200, lambda rng, n: np.clip(rng.beta(0.15, 0.15, n), 0.001, 0.999)),
        ("small group", 30, lambda rng, n: rng.beta(2, 2, n)),
        ("mostly confident negatives", 100, lambda rng, n: rng.beta(0.5, 6, n)),
    ],
)
def test_coverage_holds_at_the_boundaries(tag, n, make):
    cov = _coverage(make, n, 400, SETTINGS, tag)
    assert cov, f"{tag}: no metric was conclusive"
    for name, c in cov.items():
        assert c >= 0.925, (tag, name, c)


def test_no_predicted_positives_is_inconclusive_not_a_division_by_zero():
    p = np.linspace(0.01, 0.4, 200)
    g = estimate_group("g", p, np.zeros(200, dtype=np.int8), SETTINGS, ("none",))
    assert "precision" not in g.metrics and "0 predicted positives" in g.reasons["precision"]
    assert "fpr" in g.metrics and g.metrics["fpr"].value == 0.0
    small = estimate_group("g", p[:10], np.zeros(10, dtype=np.int8), SETTINGS, ("small",))
    assert not small.metrics and "fewer than the minimum group size 30" in small.reasons["accuracy"]


def _population(rng, n: int, shift_b: float = 0.0) -> tuple[np.ndarray, pd.DataFrame]:
    """Calibrated scores for groups A and B; ``shift_b`` of B's low scores moved into 0.5..0.75, where
    decisions are positive but a third or more of the outcomes are negative: B's FPR rises."""
    s = rng.beta(1.5, 2.5, n)
    grp = np.where(rng.random(n) < 0.5, "A", "B")
    moved = (grp == "B") & (s < 0.4) & (rng.random(n) < shift_b)
    s[moved] = rng.uniform(0.5, 0.75, moved.sum())
    return s, pd.DataFrame({"grp": grp})


def _realized_by_group(y, d, groups) -> dict[str, dict[str, float]]:
    out: dict[str, dict[str, float]] = {m: {} for m in METRICS}
    masks = {"overall": np.ones(len(y), bool), **{f"grp={v}": groups["grp"].to_numpy() == v for v in ("A", "B")}}
    for label, m in masks.items():
        for name, v in realized(y[m], d[m]).items():
            out[name][label] = v
    return out


def test_planted_fpr_rise_in_one_group_is_an_estimated_regression_confirmed_after_labels():
    rng = np.random.default_rng(16)
    s_ref, g_ref = _population(rng, 8000)
    y_ref = (rng.random(8000) < s_ref).astype(int)
    baseline = _realized_by_group(y_ref, (s_ref >= 0.5).astype(int), g_ref)  # the approved review's figures
    s, groups = _population(rng, 8000, shift_b=0.6)
    est = estimate_performance(y_ref, s_ref, s, groups=groups, settings=SETTINGS)
    assert est.calibration.method == "as given"
    checks = {c.id: c for c in estimated_baseline_checks(est, baseline, tolerance=0.03)}
    assert checks["reassessment.estimated.calibration"].outcome == Outcome.PASS
    b, a = checks["reassessment.estimated.fpr.grp=B"], checks["reassessment.estimated.fpr.grp=A"]
    assert b.outcome == Outcome.FAIL and a.outcome == Outcome.PASS, (b.message, a.message)
    assert "estimated" in b.title.lower() and b.message.startswith("estimated false positive rate")
    assert {m.name for m in b.metrics} >= {"current", "baseline", "worsening", "n", "calibration_ece"}
    assert b.details["method"].startswith("CBPE") and b.details["estimated"] is True
    assert b.details["interval_correction"] is None  # scores used as given: no calibration term to widen
    # labels mature: drawn from the same calibrated probabilities
    y = (rng.random(8000) < s).astype(int)
    rec = {c.id: c for c in reconcile_checks(list(checks.values()), _realized_by_group(y, (s >= 0.5), groups), 0.03)}
    rb = rec["reassessment.estimated.fpr.grp=B.reconciled"]
    assert rb.outcome == Outcome.PASS and rb.details["confirmed"] is True
    assert "regression estimated before labels is confirmed" in rb.message
    assert "reassessment.estimated.calibration.reconciled" not in rec
    inside = [c.outcome == Outcome.PASS for c in rec.values()]
    # 12 intervals at 95%, the overall ones correlated with the groups': a miss or two is chance (this
    # seed: precision overall and in A, both by < 0.001), more would say the intervals are too narrow
    assert sum(inside) >= len(inside) - 2


def test_concept_shift_is_refuted_by_the_realized_values():
    rng = np.random.default_rng(7)
    s_ref, g_ref = _population(rng, 6000)
    y_ref = (rng.random(6000) < s_ref).astype(int)
    baseline = _realized_by_group(y_ref, (s_ref >= 0.5).astype(int), g_ref)
    s, groups = _population(rng, 6000)
    checks = estimated_baseline_checks(estimate_performance(y_ref, s_ref, s, groups=groups), baseline, 0.03)
    assert checks[0].outcome == Outcome.PASS
    y = (rng.random(6000) < s * 0.6).astype(int)  # the world changed: scores now overstate the positives
    rec = {c.id: c for c in reconcile_checks(checks, _realized_by_group(y, s >= 0.5, groups), 0.03)}
    r = rec["reassessment.estimated.precision.overall.reconciled"]
    assert r.outcome == Outcome.FAIL and "outside" in r.message
    assert r.details["estimated_outcome"] in ("pass", "warn") and r.details["realized_outcome"] == "fail"
    assert r.details["confirmed"] is False and "realized value is a regression the estimate judged" in r.message


def test_monotone_miscalibration_is_recalibrated_and_the_record_says_so():
    rng = np.random.default_rng(3)
    p = rng.beta(2, 2, 6000)
    y = (rng.random(6000) < p).astype(int)
    s = p**2.5  # same ranking, not probabilities
    est = estimate_performance(y[:4000], s[:4000], s[4000:], settings=SETTINGS)
    assert est.calibration.recalibrated and est.calibration.method in ("isotonic", "platt")
    assert est.calibration.ece_raw > 0.05 >= est.calibration.ece
    truth = realized(y[4000:], (s[4000:] >= 0.5).astype(int))
    acc = est.groups["overall"].metrics["accuracy"]
    assert acc.lower - 0.02 <= truth["accuracy"] <= acc.upper + 0.02
    check = estimated_baseline_checks(est, {"accuracy": {"overall": truth["accuracy"]}}, 0.05)[1]
    assert "recalibrated" in check.message and check.details["recalibrated"] is True
    # the widened calibration term is on the record, so a reader sees the interval is not bootstrap alone
    assert check.details["interval_correction"]["calibration_term_scale"] == SETTINGS.calibration_widening > 1


def test_poor_calibration_that_recalibration_cannot_fix_is_inconclusive():
    rng = np.random.default_rng(5)
    s = rng.uniform(0, 1, 5000)
    truth = np.where((s >= 0.5) & (s < 0.7), 0.0, np.where(s < 0.3, 1.0, np.where(s >= 0.7, 1.0, 0.0)))
    y = (rng.random(5000) < truth).astype(int)  # not monotone in the score: no monotone map fixes it
    est = estimate_performance(y, s, rng.uniform(0, 1, 1000), groups=pd.DataFrame({"grp": ["A", "B"] * 500}))
    assert not est.calibration.conclusive
    checks = estimated_baseline_checks(est, {"accuracy": {"overall": 0.5}}, 0.05)
    cal = checks[0]
    assert cal.outcome == Outcome.INCONCLUSIVE and "cannot be estimated" in cal.message
    assert "the estimate cannot be trusted" in cal.message and cal.details["judged_outcome"] == "fail"
    ece = next(m for m in cal.metrics if m.name == "ece")
    assert cal.threshold.metric == "ece" and cal.threshold.value == 0.05 and ece.value > 0.05
    assert not cal.threshold.holds(ece.value)
    rest = checks[1:]
    assert len(rest) == 3 * (len(METRICS) - 2) and all(c.outcome == Outcome.INCONCLUSIVE for c in rest)
    assert all(c.message.startswith("estimated ") and "not calibrated" in c.message for c in rest)


def test_bad_input_names_the_input():
    with pytest.raises(InputError, match="current scores must be probabilities"):
        estimate_performance([0, 1], [0.2, 0.8], [0.5, 1.5])
    with pytest.raises(InputError, match="reference labels has 2 rows but reference scores has 3"):
        estimate_performance([0, 1], [0.2, 0.8, 0.4], [0.5])
    with pytest.raises(InputError, match="groups has 1 rows"):
        estimate_performance([0, 1], [0.2, 0.8], [0.5, 0.4], groups=pd.DataFrame({"g": ["a"]}))


def test_same_inputs_give_the_same_intervals():
    rng = np.random.default_rng(1)
    s = rng.beta(2, 2, 500)
    y = (rng.random(500) < s).astype(int)
    a = estimate_performance(y, s, s[::-1].copy(), settings=SETTINGS).groups["overall"].metrics
    b = estimate_performance(y, s, s[::-1].copy(), settings=SETTINGS).groups["overall"].metrics
    assert a == b


def test_interval_of_a_recalibrated_estimate_carries_the_calibration_noise():
    """Scores p ** 2.5 (same ranking, not probabilities), the map fitted on a 5,000-row reference: the
    interval must cover the realized value although the fitted map is not exact. Measured (100 repeats,
    6,000 reference rows): 91-95%; with 1,500 reference rows only 78-87% (docs/estimated-performance.md).
    Fewer repeats than the other coverage tests: each fits 60 calibration maps."""
    hits, tries = dict.fromkeys(METRICS, 0), dict.fromkeys(METRICS, 0)
    settings = EstimationSettings(n_draws=500, calibration_refits=50)
    for r in range(60):
        rng = np.random.default_rng([r, 25])
        p_ref, p = rng.beta(2, 2, 5000), rng.beta(2, 2, 3000)
        y_ref, y = (rng.random(5000) < p_ref).astype(int), (rng.random(3000) < p).astype(int)
        est = estimate_performance(y_ref, p_ref**2.5, p**2.5, settings=settings)
        assert est.calibration.recalibrated
        truth = realized(y, (p**2.5 >= 0.5).astype(int), p**2.5)
        for name, m in est.groups["overall"].metrics.items():
            tries[name] += 1
            hits[name] += m.lower <= truth[name] <= m.upper
    assert set(tries) == set(METRICS) and min(tries.values()) == 60
    # measured (6 metrics, basic bootstrap, refits' moves scaled 1.25): 95.0-100% per metric, 97.8% pooled
    # (unscaled: 88.3-98.3%, 93.9%; adding the moves instead: 93.3%); without the refits 85-91.7% (87.9%)
    assert sum(hits.values()) / sum(tries.values()) >= 0.95, hits
    for name in METRICS:
        assert hits[name] / tries[name] >= 0.93, (name, hits[name], tries[name])


def _two_groups(seed: int, n_a: int, n_b: int, shift_a: float, shift_b: float):
    """Scores in 0.15..0.85; group A's true probability is the score + ``shift_a``, B's + ``shift_b``."""
    rng = np.random.default_rng(seed)
    s = rng.uniform(0.15, 0.85, n_a + n_b)
    grp = np.array(["A"] * n_a + ["B"] * n_b)
    y = (rng.random(len(s)) < s + np.where(grp == "A", shift_a, shift_b)).astype(int)
    return y, s, pd.DataFrame({"grp": grp})


def test_a_group_miscalibrated_within_is_inconclusive_while_calibrated_overall():
    """Calibrated overall (the groups' errors cancel), but A's probabilities are 0.12 too low: A is not
    estimated (inconclusive, its calibration error and limit recorded), B is."""
    y, s, grp = _two_groups(3, 600, 3000, 0.12, -0.02)
    cur = np.random.default_rng(4).uniform(0.15, 0.85, 2000)
    current = pd.DataFrame({"grp": ["A"] * 500 + ["B"] * 1500})
    est = estimate_performance(y, s, cur, groups=current, reference_groups=grp, settings=SETTINGS)
    assert est.calibration.conclusive and not est.calibration.recalibrated  # fine overall
    a, b = est.group_calibration["grp=A"], est.group_calibration["grp=B"]
    assert a.error > a.limit >= 0.05 and b.error <= b.limit
    assert not est.groups["grp=A"].metrics and "not calibrated within the group" in est.groups["grp=A"].reasons["fpr"]
    assert set(est.groups["grp=B"].metrics) == set(METRICS) and set(est.groups["overall"].metrics) == set(METRICS)
    checks = {c.id: c for c in estimated_baseline_checks(est, {"fpr": {"grp=A": 0.3, "grp=B": 0.3}}, 0.05)}
    cal_a = checks["reassessment.estimated.calibration.grp=A"]
    assert cal_a.outcome == Outcome.INCONCLUSIVE and cal_a.details["judged_outcome"] == "fail"
    assert cal_a.threshold.value == round(a.limit, 6) and cal_a.metrics[0].value == a.error
    assert checks["reassessment.estimated.calibration.grp=B"].outcome == Outcome.PASS
    assert checks["reassessment.estimated.fpr.grp=A"].outcome == Outcome.INCONCLUSIVE
    assert checks["reassessment.estimated.fpr.grp=B"].outcome != Outcome.INCONCLUSIVE


def test_a_group_too_small_to_check_its_calibration_is_inconclusive():
    y, s, grp = _two_groups(5, 20, 3000, 0.0, 0.0)
    cur = pd.DataFrame({"grp": ["A"] * 100 + ["B"] * 100 + ["C"] * 100})  # C: no reference rows at all
    est = estimate_performance(y, s, np.linspace(0.2, 0.8, 300), groups=cur, reference_groups=grp, settings=SETTINGS)
    assert "20 reference rows in the group, fewer than 50" in est.group_calibration["grp=A"].reason
    assert "0 reference rows" in est.group_calibration["grp=C"].reason
    assert not est.groups["grp=A"].metrics and not est.groups["grp=C"].metrics
    assert est.groups["grp=B"].metrics
    checks = {c.id: c for c in estimated_baseline_checks(est, {}, 0.05)}
    assert checks["reassessment.estimated.calibration.grp=A"].outcome == Outcome.INCONCLUSIVE


def test_calibrated_groups_are_rarely_held_back_by_the_noise_allowance():
    """Both groups calibrated, 150 and 1,000 reference rows: the limit allows for the noise of a group that
    size, so a calibrated group is held back in about 5% of checks at most (measured: 3 of 120)."""
    held = 0
    for r in range(60):
        y, s, grp = _two_groups(100 + r, 150, 1000, 0.0, 0.0)
        cur = pd.DataFrame({"grp": ["A"] * 50 + ["B"] * 50})
        est = estimate_performance(
            y, s, np.linspace(0.2, 0.8, 100), groups=cur, reference_groups=grp,
            settings=EstimationSettings(n_draws=200),
        )  # fmt: skip
        held += sum(bool(gc.reason) or gc.error > gc.limit for gc in est.group_calibration.values())
    assert held <= 0.1 * 120, held


def test_expected_roc_auc_the_cbpe_way():
    """Certain probabilities give the realized AUC; constant ones 0.5; ranking by the raw scores equals
    NannyML's ranking by the calibrated probabilities when the map is monotone (ties included)."""
    from sklearn.metrics import roc_auc_score

    from govgate.checks.estimated_auc import expected_auc, realized_auc

    rng = np.random.default_rng(9)
    s = rng.random(500)
    y = (rng.random(500) < s).astype(float)
    assert expected_auc(y, s) == pytest.approx(roc_auc_score(y, s)) == pytest.approx(realized_auc(y, s))
    assert expected_auc(np.full(500, 0.3), s) == pytest.approx(0.5)
    p = np.round(s**2, 1)  # monotone in s with many ties (as isotonic makes)
    assert expected_auc(p, s) == pytest.approx(expected_auc(p, p), abs=1e-12)
    # NannyML's estimate_roc_auc (nannyml/performance_estimation/confidence_based/metrics.py) by hand:
    t = np.sort(p)[::-1]
    tp, fp = np.r_[0, np.cumsum(t)], np.r_[0, np.cumsum(1 - t)]
    keep = np.r_[True, t[1:] != t[:-1], True][: len(tp)]
    keep[-1] = True
    tpr, fpr = tp[keep] / tp[-1], fp[keep] / fp[-1]
    assert expected_auc(p, s) == pytest.approx(float(np.trapezoid(tpr, fpr)), abs=1e-12)


def recalibrated_coverage(n_ref: int, make, repeats: int, tag: str) -> tuple[dict[str, float], float]:
    """Coverage of the realized value (known truth: labels drawn from p) when the scores are p ** 2.5 and
    the map is refitted on ``n_ref`` reference rows; per metric and pooled."""
    hits, tries = dict.fromkeys(METRICS, 0), dict.fromkeys(METRICS, 0)
    settings = EstimationSettings(n_draws=500, calibration_refits=50)
    for r in range(repeats):
        rng = np.random.default_rng([r, n_ref, len(tag)])
        p_ref, p = make(rng, n_ref), make(rng, 3000)
        y_ref, y = (rng.random(n_ref) < p_ref).astype(int), (rng.random(3000) < p).astype(int)
        est = estimate_performance(y_ref, p_ref**2.5, p**2.5, settings=settings)
        if not est.calibration.recalibrated:
            continue
        truth = realized(y, (p**2.5 >= 0.5).astype(int), p**2.5)
        for name, m in est.groups["overall"].metrics.items():
            if not np.isnan(truth[name]):
                tries[name] += 1
                hits[name] += m.lower <= truth[name] <= m.upper
    cov = {k: hits[k] / tries[k] for k in METRICS if tries[k] >= repeats // 2}
    return cov, sum(hits.values()) / max(sum(tries.values()), 1)


@pytest.mark.slow
@pytest.mark.parametrize(
    ("tag", "n_ref", "make", "pooled_min"),
    [
        ("small reference", 1500, lambda rng, n: rng.beta(2, 2, n), 0.95),
        ("rates near 0 and 1", 1500, lambda rng, n: np.clip(rng.beta(0.3, 0.3, n), 0.001, 0.999), 0.95),
    ],
)
def test_recalibrated_interval_coverage_on_a_small_reference(tag, n_ref, make, pooled_min):
    """Known truth, seeded: the figures in docs/estimated-performance.md (Limits). On a 1,500-row reference
    the bootstrap refits understate an isotonic map's error by about a fifth in sd, so their moves are
    scaled by ``calibration_widening`` (1.25): measured 96.9% pooled (scores in the middle) and 95.3% (near
    0 and 1); without the scale 90.6% and 91.1%, which this minimum fails (95% nominal)."""
    cov, pooled = recalibrated_coverage(n_ref, make, 60, tag)
    print(tag, {k: round(v, 3) for k, v in cov.items()}, round(pooled, 3))
    assert cov and pooled >= pooled_min, (cov, pooled)
