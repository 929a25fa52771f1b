"""The shared statistics: coding, intervals that keep their coverage at the boundaries (simulated), the
issue's equal-rates case, and records that are byte-identical across processes."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from govgate.checks import stats
from govgate.checks.fairness import fairness_checks, fairness_report
from govgate.errors import InputError
from govgate.policy import ModelReviewRules

REPO = Path(__file__).resolve().parents[2]
RULES = ModelReviewRules(
    max_demographic_parity_difference=0.1,
    min_demographic_parity_ratio=0.8,
    max_equalized_odds_difference=0.1,
    min_group_size=10,
)

# --------------------------------------------------------------------------------------------- coding


def test_binary_codes_and_labels_name_the_column_and_the_problem():
    assert stats.binary_codes(np.array([0, 1, 1]), "y").tolist() == [0, 1, 1]
    assert stats.binary_codes(pd.Series(["good", "bad"]), "y", "good").tolist() == [1, 0]
    assert stats.binary_codes(pd.Series(["1", "0"]), "y", 1).tolist() == [1, 0]  # matched by its text
    assert stats.binary_codes(np.zeros(3, int), "y_pred").tolist() == [0, 0, 0]  # nobody selected
    with pytest.raises(InputError, match=r"label column 'month' has 3 distinct values \[1, 6, 12\]; it must be"):
        stats.binary_labels(pd.Series([1, 6, 12], name="month"), 1, "month")
    with pytest.raises(
        InputError, match=r"label column 'risk' has 1 missing \(NaN\) value\(s\), first at row\(s\) \[1\]"
    ):
        stats.binary_labels(pd.Series(["a", None, "b"]), "a", "risk")
    with pytest.raises(InputError, match=r"y \(column 'c'\) has no value equal to the positive label 'yes'"):
        stats.binary_codes(pd.Series(["a", "b"], name="c"), "y", "yes")


def test_decisions_from_predictions_or_scores():
    d, s = stats.decisions_and_scores(pd.Series([0.2, 0.7, 0.5]), 1, 0.5)
    assert d.tolist() == [0, 1, 1] and s.tolist() == [0.2, 0.7, 0.5]
    d, s = stats.decisions_and_scores(pd.Series(["yes", "no"]), "yes", 0.5)
    assert d.tolist() == [1, 0] and s is None
    assert stats.scores_to_decisions(np.array([0.3, np.nan, 0.9]), 0.5).tolist() == [0, 0, 1]
    with pytest.raises(InputError, match="missing prediction"):
        stats.decisions_and_scores(pd.Series(["yes", None]), "yes", 0.5)


# --------------------------------------------------------------------------------------------- intervals


def test_interval_formulas_match_published_values():
    # Newcombe (1998), Stat Med 17:873, table II, example (a): 56/70 - 48/80, method 10: 0.0524 to 0.3339
    lo, hi = stats.newcombe_difference(56, 70, 48, 80)
    assert (round(float(lo), 4), round(float(hi), 4)) == (0.0524, 0.3339)
    assert stats.wilson_bounds(np.array([0, 5]), np.array([10, 10]))[1][0] == pytest.approx(
        stats.wilson_interval(0, 10)[1]
    )
    # folding: a signed interval across 0 gives [0, max |bound|]; one side of 0 keeps its magnitudes
    assert [x.tolist() for x in stats.fold_difference([-0.1, 0.05, -0.3], [0.2, 0.1, -0.1])] == [
        [0.0, 0.05, 0.1],
        [0.2, 0.1, 0.3],
    ]
    lo, hi = stats.ratio_interval(30, 60, 30, 60)
    assert lo < 1 and hi == 1.0


def _simulated_coverage(interval, truth, rng, reps: int):
    """Per cell of the grid: share of ``reps`` simulated pairs of groups whose 95% interval covers the
    truth (pairs where the estimate is undefined are left out: those checks are inconclusive)."""
    cells = []
    for p1, p2 in [(0, 0), (0, 0.1), (0.1, 0.1), (0.3, 0.3), (0.5, 0.5), (0.1, 0.3), (0.3, 0.6), (0.9, 1), (1, 1)]:
        for n1, n2 in [(10, 10), (30, 30), (60, 60), (10, 60)]:
            k1, k2 = rng.binomial(n1, p1, reps), rng.binomial(n2, p2, reps)
            lo, hi = interval(k1, n1, k2, n2)
            true = truth(p1, p2)
            if true is None:
                continue
            defined = ~np.isnan(lo)
            covered = (lo[defined] <= true + 1e-12) & (true - 1e-12 <= hi[defined])
            cells.append(((p1, p2, n1, n2), int(covered.sum()), int(defined.sum())))
    return cells


@pytest.mark.parametrize(
    "kind,interval,truth",
    [
        ("gap", stats.gap_interval, lambda p1, p2: abs(p1 - p2)),
        ("ratio", stats.ratio_interval, lambda p1, p2: min(p1, p2) / max(p1, p2) if max(p1, p2) > 0 else None),
    ],
)
def test_intervals_keep_coverage_at_the_boundaries(kind, interval, truth):
    """Equal rates (gap 0, ratio 1), rates of 0 and 1, groups of 10 to 60: >= 93% pooled, no cell absurd."""
    cells = _simulated_coverage(interval, truth, np.random.default_rng(20261203), reps=200)
    covered, total = sum(c for _, c, _ in cells), sum(t for _, _, t in cells)
    assert total >= 1500
    assert covered / total >= 0.93, (kind, covered / total)
    worst = min(cells, key=lambda c: c[1] / c[2])
    assert worst[1] / worst[2] >= 0.85, (kind, worst)


def test_bootstrap_path_covers_gaps_over_three_groups():
    """More than two groups: the folded percentile bootstrap covers a planted gap and reaches 0 at equal rates."""
    rng = np.random.default_rng(7)
    hits = {"equal": 0, "gap": 0}
    reps = 120
    for case, rates in (("equal", (0.3, 0.3, 0.3)), ("gap", (0.3, 0.3, 0.5))):
        for _ in range(reps):
            g = np.repeat(["a", "b", "c"], 60)
            pred = (rng.random(180) < np.repeat(rates, 60)).astype(int)
            y = rng.integers(0, 2, 180)
            r = fairness_report(
                y, pred, pd.DataFrame({"g": g}), min_group_size=10, n_boot=300, seed=int(rng.integers(1e9))
            )
            e = r.features["g"].disparities["demographic_parity_difference"]
            true = max(rates) - min(rates)
            hits[case] += e.lower <= true <= e.upper
    assert hits["equal"] / reps >= 0.85 and hits["gap"] / reps >= 0.9, hits


# --------------------------------------------------------------------------------------------- the case


def test_equal_rates_in_two_groups_of_60_warn_not_pass():
    """The defect: a BC bootstrap gave 0 [0, 0] and passed a 0.1 limit; the honest interval is ~[0, 0.17]."""
    y = np.tile([0, 1], 60)
    pred = np.r_[np.tile([1, 0], 30), np.tile([1, 0], 30)]  # 50% selected in each group
    sens = pd.DataFrame({"sex": ["f"] * 60 + ["m"] * 60})
    report = fairness_report(y, pred, sens, min_group_size=30, n_boot=500)
    dp = report.features["sex"].disparities["demographic_parity_difference"]
    assert dp.value == 0 and dp.lower == 0 and dp.upper > 0.1
    assert (dp.lower, dp.upper) == pytest.approx(tuple(float(x) for x in stats.gap_interval(30, 60, 30, 60)))
    checks, findings = fairness_checks(report, RULES)
    check = next(c for c in checks if c.id == "fairness.sex.demographic_parity_difference")
    assert check.outcome.value == "warn" and "uncertain" in check.message and not findings
    ratio = report.features["sex"].disparities["demographic_parity_ratio"]
    assert ratio.value == 1 and ratio.upper == 1 and ratio.lower < 0.8


# --------------------------------------------------------------------------------------------- replay

_REPLAY = textwrap.dedent(
    """
    import json, sys
    import numpy as np, pandas as pd
    from govgate.checks.fairness import fairness_checks, fairness_report
    from govgate.checks.performance import classification_checks, group_performance_checks
    from govgate.policy import ModelReviewRules

    rng = np.random.default_rng(5)
    n = 900
    sens = pd.DataFrame({"sex": rng.choice(["f", "m"], n), "age": rng.choice(["<25", "25-59", "60+"], n)})
    y = rng.integers(0, 2, n)
    scores = np.clip(0.35 + 0.3 * y + rng.normal(0, 0.2, n), 0, 1)
    d = (scores >= 0.5).astype(int)
    rules = ModelReviewRules(min_group_size=30, min_accuracy=0.7, min_roc_auc=0.7)
    report = fairness_report(y, d, sens, min_group_size=30, n_boot=400)
    checks, _ = fairness_checks(report, rules)
    checks += classification_checks(y, d, scores, rules=rules, n_boot=400, confidence=0.95)
    checks += group_performance_checks(y, d, sens, min_group_size=30, n_boot=300, confidence=0.95)
    sys.stdout.write(json.dumps([c.model_dump(mode="json") for c in checks], sort_keys=True))
    """
)


def _replay(*hash_seeds: str) -> list[bytes]:
    """The script's output in one fresh process per str-hash salt, run side by side."""
    runs = []
    for salt in hash_seeds:
        env = {**os.environ, "PYTHONHASHSEED": salt, "PYTHONPATH": str(REPO)}
        env.pop("PREFECT_API_URL", None)
        cmd = [sys.executable, "-c", _REPLAY]
        runs.append(subprocess.Popen(cmd, cwd=REPO, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE))
    outputs = []
    for run in runs:
        out, err = run.communicate(timeout=300)
        assert run.returncode == 0, err.decode()[-2000:]
        outputs.append(out)
    return outputs


def test_same_inputs_give_byte_identical_checks_in_two_processes():
    """Seeds come from the inputs, never from hash(): two processes with different str-hash salts agree."""
    first, second = _replay("1", "2")
    assert first == second
    checks = {c["id"]: c for c in json.loads(first)}
    with_boot = checks["fairness.sex & age.demographic_parity_difference"]["metrics"][0]
    assert with_boot["lower"] is not None  # six cells: the bootstrap path ran
    assert checks["performance.roc_auc"]["metrics"][0]["lower"] is not None
    assert any(
        m["name"].startswith("f1[sex=") and m["lower"] is not None
        for m in checks["performance.by_group.sex"]["metrics"]
    )
