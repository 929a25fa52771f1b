"""Fairness check set with 1,000-resample bootstrap intervals vs one plain Fairlearn MetricFrame pass.

Data: N generated rows, 2 sensitive features (sex: 2 levels, age band: 4 levels; 8 intersectional cells)
with a planted selection-rate gap. govgate: tasks.fairness.fairness_report (each feature and the
intersection, 6 group metrics, 7 disparities, all with intervals) + fairness_checks. Baseline: Fairlearn
MetricFrame on raw rows, one pass, no intervals (selection rate, TPR, FPR, accuracy by both features).

    python benchmarks/fairness.py --rows 1000000 10000000
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

import numpy as np
import pandas as pd

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from govgate.policy import load_policy  # noqa: E402
from govgate.settings import DEFAULT_POLICY  # noqa: E402
from tasks.fairness import fairness_checks, fairness_report  # noqa: E402


def generate(n: int, seed: int = 0):
    rng = np.random.default_rng(seed)
    sex = rng.integers(0, 2, n, dtype=np.int8)
    age = rng.integers(0, 4, n, dtype=np.int8)
    y = (rng.random(n, dtype=np.float32) < 0.5).astype(np.int8)
    p = 0.45 + 0.15 * sex + 0.02 * age + 0.1 * y
    d = (rng.random(n, dtype=np.float32) < p).astype(np.int8)
    sens = pd.DataFrame({"sex": pd.Categorical.from_codes(sex, ["female", "male"]),
                         "age_band": pd.Categorical.from_codes(age, ["<25", "25-39", "40-59", "60+"])})  # fmt: skip
    return y, d, sens


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--rows", type=int, nargs="+", default=[1_000_000, 10_000_000])
    parser.add_argument("--boot", type=int, default=1000)
    args = parser.parse_args()
    from fairlearn.metrics import MetricFrame, false_positive_rate, selection_rate, true_positive_rate
    from sklearn.metrics import accuracy_score

    rules = load_policy(DEFAULT_POLICY).tier("high").model_review
    print(f"command: python benchmarks/fairness.py --rows {' '.join(map(str, args.rows))} --boot {args.boot}")
    for n in args.rows:
        y, d, sens = generate(n)
        t = time.perf_counter()
        report = fairness_report(y, d, sens, min_group_size=rules.min_group_size, n_boot=args.boot, confidence=0.95)
        checks, _ = fairness_checks(report, rules)
        ours = time.perf_counter() - t
        t = time.perf_counter()
        mf = MetricFrame(metrics={"selection_rate": selection_rate, "true_positive_rate": true_positive_rate,
                                  "false_positive_rate": false_positive_rate, "accuracy": accuracy_score},
                         y_true=y, y_pred=d, sensitive_features=sens)  # fmt: skip
        plain = time.perf_counter() - t
        groups = {g.name: g for g in report.features["sex & age_band"].groups}
        worst = 0.0
        for (sx, ag), row in mf.by_group.iterrows():
            g = groups[f"sex={sx} & age_band={ag}"]
            for metric, value in row.items():
                worst = max(worst, abs(g.metrics[metric].value - value))
        print(f"rows={n:>11,}  govgate full check set ({len(checks)} checks, {args.boot} resamples): {ours:6.2f} s   "
              f"Fairlearn MetricFrame one pass, no intervals: {plain:6.2f} s   ratio {plain / ours:5.1f}x   "
              f"max |difference| of point estimates: {worst:.1e}")  # fmt: skip
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
