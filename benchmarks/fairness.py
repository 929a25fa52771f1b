"""Fairness check set with intervals (govgate) vs one plain Fairlearn MetricFrame pass.

Data: N generated rows (numpy, int8), 2 sensitive features (sex: 2 levels, age band: 4 levels; 8
intersectional cells) with a planted selection-rate gap against women and a smaller one by age.

govgate: govgate.checks.fairness.fairness_report (sex, age band and the intersection; 7 group metrics and 7
disparities, each with an interval: closed-form for two groups, a 1,000-resample folded bootstrap beyond) + fairness_checks against the policy's
high-tier rules. Baseline, in the same run: Fairlearn MetricFrame on the raw rows, one pass, no intervals
(selection rate, TPR, FPR, accuracy by the two features). The point estimates of the 8 cells must agree
to 1e-9.

    python benchmarks/fairness.py                       # 1M and 10M rows
    python benchmarks/fairness.py --rows 1000000 --boot 1000 --repeat 3
"""

from __future__ import annotations

import argparse
import os
import platform
import resource
import shlex
import sys
import time
from pathlib import Path

import numpy as np
import pandas as pd

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from govgate.checks.fairness import fairness_checks, fairness_report  # noqa: E402
from govgate.policy import load_policy  # noqa: E402
from govgate.settings import DEFAULT_POLICY  # noqa: E402

SEXES = ["female", "male"]
AGES = ["<25", "25-39", "40-59", "60+"]


def generate(n: int, seed: int = 0) -> tuple[np.ndarray, np.ndarray, pd.DataFrame]:
    """Labels, predictions (int8) and the two sensitive features (categoricals over int8 codes)."""
    rng = np.random.default_rng(seed)
    sex = rng.integers(0, 2, n, dtype=np.int8)
    age = rng.integers(0, 4, n, dtype=np.int8)
    y = (rng.random(n, dtype=np.float32) < 0.6).astype(np.int8)
    # approval: more likely for good risks; 12 points less for women, 4 points less under 25
    p = np.float32(0.35) + np.float32(0.25) * y + np.float32(0.12) * sex - np.float32(0.04) * (age == 0)
    d = (rng.random(n, dtype=np.float32) < p).astype(np.int8)
    del p
    sens = pd.DataFrame(
        {"sex": pd.Categorical.from_codes(sex, SEXES), "age_band": pd.Categorical.from_codes(age, AGES)}
    )
    return y, d, sens


def run_govgate(y, d, sens, rules, n_boot):
    t = time.perf_counter()
    report = fairness_report(
        y, d, sens, min_group_size=rules.min_group_size, n_boot=n_boot, confidence=rules.confidence_level, seed=0
    )
    checks, findings = fairness_checks(report, rules)
    return time.perf_counter() - t, report, checks, findings


def run_fairlearn(y, d, sens):
    from fairlearn.metrics import MetricFrame, false_positive_rate, selection_rate, true_positive_rate
    from sklearn.metrics import accuracy_score

    t = time.perf_counter()
    mf = MetricFrame(
        metrics={
            "selection_rate": selection_rate,
            "true_positive_rate": true_positive_rate,
            "false_positive_rate": false_positive_rate,
            "accuracy": accuracy_score,
        },
        y_true=y,
        y_pred=d,
        sensitive_features=sens,
    )
    by_group = mf.by_group
    return time.perf_counter() - t, by_group


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--rows", type=int, nargs="+", default=[1_000_000, 10_000_000])
    parser.add_argument(
        "--boot",
        type=int,
        default=1000,
        help="bootstrap resamples for groupings of more than two groups (default 1000)",
    )
    parser.add_argument("--repeat", type=int, default=3, help="govgate runs per size; the best is reported (default 3)")
    parser.add_argument("--tier", default="high", help="policy tier whose model_review rules are used (default high)")
    args = parser.parse_args()

    import fairlearn
    import sklearn

    rules = load_policy(DEFAULT_POLICY).tier(args.tier).model_review
    print(f"command: python {shlex.join(['benchmarks/fairness.py', *sys.argv[1:]])}")
    print(
        f"machine: {os.cpu_count()} cores, {platform.python_implementation()} {platform.python_version()}, "
        f"numpy {np.__version__}, pandas {pd.__version__}, fairlearn {fairlearn.__version__}, scikit-learn {sklearn.__version__}"
    )
    print(
        f"govgate: closed-form intervals for two groups, {args.boot} resamples beyond, confidence {rules.confidence_level}, min_group_size {rules.min_group_size} "
        f"({args.tier} tier); Fairlearn: MetricFrame on raw rows, 4 metrics, one pass, no intervals"
    )
    run_govgate(*generate(1000), rules, 10)  # warm-up: imports (scipy.special), first-call overheads
    failures = 0
    for n in args.rows:
        t = time.perf_counter()
        y, d, sens = generate(n)
        gen = time.perf_counter() - t
        times = []
        for _ in range(max(1, args.repeat)):
            elapsed, report, checks, findings = run_govgate(y, d, sens, rules, args.boot)
            times.append(elapsed)
        ours = min(times)
        plain, by_group = run_fairlearn(y, d, sens)

        cells = {g.name: g for g in report.features["sex & age_band"].groups}
        worst = 0.0
        for (sx, ag), row in by_group.iterrows():
            g = cells[f"sex={sx} & age_band={ag}"]
            for metric, value in row.items():
                worst = max(worst, abs(g.metrics[metric].value - value))
        same = worst < 1e-9 and len(by_group) == len(cells) == 8
        failures += not same
        dp = report.features["sex"].disparities["demographic_parity_difference"]
        outcomes = {}
        for c in checks:
            outcomes[c.outcome.value] = outcomes.get(c.outcome.value, 0) + 1
        print(f"rows={n:,}  (generated in {gen:.2f} s)")
        print(
            f"  govgate full check set with intervals: {ours:7.3f} s  (best of {len(times)}: {', '.join(f'{x:.3f}' for x in times)}; "
            f"{len(checks)} checks {outcomes}, {len(findings)} findings)"
        )
        print(f"  Fairlearn MetricFrame, one pass:       {plain:7.3f} s")
        print(f"  ratio (Fairlearn / govgate):           {plain / ours:7.1f}x")
        print(
            f"  point estimates of the 8 cells x 4 metrics: max |difference| {worst:.1e} -> {'identical' if same else 'DIFFERENT'}"
        )
        print(
            f"  planted gap found: demographic parity difference by sex {dp.value:.4f} "
            f"({report.confidence * 100:g}% interval {dp.lower:.4f}..{dp.upper:.4f})"
        )
        del y, d, sens, report, by_group
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"peak memory (RSS, whole process incl. Fairlearn): {peak:,.0f} MB")
    return 1 if failures else 0


if __name__ == "__main__":
    raise SystemExit(main())
