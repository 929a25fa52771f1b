"""Performance checks: the same per-group figures and intervals as fairness (one function), outcomes
judged by the threshold on the interval, and seeded resamples."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from govgate.checks import stats
from govgate.checks.fairness import fairness_report
from govgate.checks.performance import classification_checks, confusion_metrics, group_performance_checks
from govgate.policy import ModelReviewRules


def _data(n: int = 600, seed: int = 3):
    rng = np.random.default_rng(seed)
    y = rng.integers(0, 2, n)
    scores = np.clip(0.3 + 0.4 * y + rng.normal(0, 0.2, n), 0, 1)
    d = stats.scores_to_decisions(scores, 0.5)
    sens = pd.DataFrame({"sex": rng.choice(["f", "m"], n)})
    return y, d, scores, sens


def test_group_accuracy_and_precision_equal_fairness_figures():
    """Per-group accuracy and precision come from one function: performance and fairness report the same
    values and the same (Wilson) intervals."""
    y, d, _, sens = _data()
    perf = group_performance_checks(y, d, sens, min_group_size=30, n_boot=200, confidence=0.95)[0]
    by_name = {m.name: m for m in perf.metrics}
    fair = fairness_report(y, d, sens, min_group_size=30, n_boot=200).features["sex"]
    for group in ("f", "m"):
        g = fair.group(f"sex={group}")
        for metric in ("accuracy", "precision"):
            ours, theirs = by_name[f"{metric}[sex={group}]"], g.metrics[metric]
            assert (ours.value, ours.lower, ours.upper) == pytest.approx((theirs.value, theirs.lower, theirs.upper))
        cells = stats.confusion_cells(y[sens["sex"] == group], d[sens["sex"] == group])[0]
        lo, hi = stats.wilson_interval(cells[0] + cells[3], cells.sum())
        assert (by_name[f"accuracy[sex={group}]"].lower, by_name[f"accuracy[sex={group}]"].upper) == pytest.approx(
            (lo, hi)
        )


def test_confusion_metrics_intervals_and_seeds():
    y, d, _, _ = _data()
    m = confusion_metrics(y, d, n_boot=300, confidence=0.95)
    assert all(x.lower <= x.value <= x.upper and x.confidence == 0.95 for x in m.values())
    assert m == confusion_metrics(y, d, n_boot=300, confidence=0.95)  # seeded from the inputs
    other = confusion_metrics(y, d, n_boot=300, confidence=0.95, seed=11)
    assert other["f1"] != m["f1"] and other["accuracy"] == m["accuracy"]  # only F1 is resampled
    assert all(x.lower is None for x in confusion_metrics(y, d, n_boot=0, confidence=0.95).values())


@pytest.mark.parametrize("minimum,expected", [(0.5, "pass"), (None, "pass"), (0.99, "fail")])
def test_accuracy_and_auc_are_judged_on_the_interval(minimum, expected):
    y, d, scores, _ = _data()
    rules = ModelReviewRules(min_accuracy=minimum, min_roc_auc=minimum)
    checks = {c.id: c for c in classification_checks(y, d, scores, rules=rules, n_boot=200, confidence=0.95)}
    for cid in ("performance.accuracy", "performance.roc_auc"):
        assert checks[cid].outcome.value == expected
        metric = checks[cid].metrics[0]
        if minimum is not None:
            assert checks[cid].threshold.judge_metric(metric).value == expected


def test_a_minimum_inside_the_interval_warns():
    y, d, scores, _ = _data()
    acc = confusion_metrics(y, d, n_boot=200, confidence=0.95)["accuracy"]
    rules = ModelReviewRules(
        min_accuracy=round((acc.lower + acc.value) / 2, 4)
    )  # the point passes, the interval straddles
    check = next(c for c in classification_checks(y, d, None, rules=rules, n_boot=200, confidence=0.95))
    assert check.id == "performance.accuracy" and check.outcome.value == "warn"


def test_group_seeds_depend_on_inputs_not_on_the_process():
    y, d, _, sens = _data()
    a = group_performance_checks(y, d, sens, min_group_size=30, n_boot=200, confidence=0.95)
    b = group_performance_checks(y, d, sens, min_group_size=30, n_boot=200, confidence=0.95)
    c = group_performance_checks(y, d, sens, min_group_size=30, n_boot=200, confidence=0.95, seed=1)
    assert a == b and a != c


def _labels_with_accuracy(accuracy: float, n: int = 300) -> tuple[np.ndarray, np.ndarray]:
    y = np.tile([1, 0], n // 2)
    d = y.copy()
    d[: round((1 - accuracy) * n)] ^= 1  # exactly this share wrong
    return y, d


def test_performance_is_compared_with_the_approved_version():
    """Accuracy 0.760 in the approved version, 0.630 now (n=300): the interval of the worsening lies wholly
    beyond the tolerance, so it fails, naming the version and record; ROC AUC measured in neither review
    (labels only) is skipped; the same figures pass."""
    from govgate.checks.baseline import BaselineRef
    from govgate.checks.performance import performance_baseline_checks

    rules = ModelReviewRules(min_accuracy=None)
    ref = BaselineRef("credit-scorer", "1", "rec-v1", None)
    old = classification_checks(*_labels_with_accuracy(0.76), None, rules=rules, n_boot=200, confidence=0.95)
    new = classification_checks(*_labels_with_accuracy(0.63), None, rules=rules, n_boot=200, confidence=0.95)
    checks = {c.id: c for c in performance_baseline_checks(new, old, 0.01, ref=ref)}
    assert set(checks) == {f"performance.{m}.vs_baseline" for m in ("accuracy", "precision", "recall", "f1", "roc_auc")}
    acc = checks["performance.accuracy.vs_baseline"]
    assert acc.outcome.value == "fail" and acc.threshold.baseline_record == "rec-v1"
    assert (
        "now 0.6300 [" in acc.message and "baseline 0.7600 from credit-scorer version 1 (record rec-v1)" in acc.message
    )
    w = acc.metrics[0]
    assert w.value == pytest.approx(0.13) and 0.01 < w.lower < w.value < w.upper
    assert checks["performance.roc_auc.vs_baseline"].outcome.value == "skipped"
    same = performance_baseline_checks(old, old, 0.01, ref=ref)
    assert {c.outcome.value for c in same if c.id != "performance.roc_auc.vs_baseline"} <= {"pass", "warn"}
    assert next(c for c in same if c.id == "performance.accuracy.vs_baseline").metrics[0].value == 0
    # measured now but not in the baseline record: inconclusive, saying where it is missing
    partial = performance_baseline_checks(new, [c for c in old if c.id != "performance.accuracy"], 0.01, ref=ref)
    acc = next(c for c in partial if c.id == "performance.accuracy.vs_baseline")
    assert acc.outcome.value == "inconclusive" and "missing in the baseline record" in acc.message
