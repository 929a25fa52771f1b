"""Estimated performance without labels: govgate (govgate.checks.estimated) vs NannyML's CBPE, same data.

NannyML 0.13.1 cannot live beside the lock (it would move botocore 1.44.5 -> 1.43.x and pull xgboost,
lightgbm, gcsfs and more), so it runs in its own virtualenv (default .venv-nannyml, made by ``python -m venv .venv-nannyml &&
.venv-nannyml/bin/pip install nannyml==0.13.1 statsmodels``; ``--nannyml-python``)
through a subprocess, on the same rows written to CSV, one chunk per group (NannyML has no groups).

Metrics: accuracy, TPR, FPR, precision, F1 (expected confusion matrix) and ROC AUC (expected ROC curve).
Scenarios: calibrated scores; monotone miscalibrated scores (p ** 2.5: both tools recalibrate on the
reference). In each, group B's low scores partly move into 0.5..0.75 (its FPR rises). Printed per group
and metric: both estimates, their difference, both intervals (govgate: the central 95% range of the
realized value given the scores; NannyML: +-3 sampling errors from the reference), and the realized
value from labels drawn from the true probabilities.

    python benchmarks/estimated.py
    python benchmarks/estimated.py --rows 20000 --nannyml-python /path/to/python
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import pandas as pd

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from govgate.checks.estimated import METRICS, estimate_performance, metrics_from_cells  # noqa: E402

NANNYML = """
import json, sys, warnings
import pandas as pd, nannyml as nml
warnings.simplefilter("ignore")
ref, cur = pd.read_csv(sys.argv[1]), pd.read_csv(sys.argv[2])
out = {}
for g in ["overall", *sorted(cur["grp"].unique())]:
    part = cur if g == "overall" else cur[cur["grp"] == g]
    est = nml.CBPE(y_pred_proba="s", y_pred="d", y_true="y", problem_type="classification_binary",
                   metrics=["accuracy", "recall", "specificity", "precision", "f1", "roc_auc"], chunk_number=1)
    est.fit(ref)
    df = est.estimate(part.drop(columns=["y"])).filter(period="analysis").to_df()
    row = {}
    for m in ["accuracy", "recall", "specificity", "precision", "f1", "roc_auc"]:
        v, se = float(df[(m, "value")].iloc[0]), float(df[(m, "sampling_error")].iloc[0])
        row[m] = [v, v - 3 * se, v + 3 * se]
    out[g if g == "overall" else f"grp={g}"] = row
print(json.dumps(out))
"""


def population(rng, n: int, shift_b: float) -> tuple[np.ndarray, np.ndarray]:
    p = rng.beta(1.5, 2.5, n)
    grp = np.where(rng.random(n) < 0.5, "A", "B")
    moved = (grp == "B") & (p < 0.4) & (rng.random(n) < shift_b)
    p[moved] = rng.uniform(0.5, 0.75, moved.sum())
    return p, grp


def frame(p, grp, power: float, rng) -> pd.DataFrame:
    s = p**power
    return pd.DataFrame({"s": s, "d": (s >= 0.5).astype(int), "y": (rng.random(len(p)) < p).astype(int), "grp": grp})


def nannyml(python: str, ref: pd.DataFrame, cur: pd.DataFrame) -> tuple[dict, float]:
    with tempfile.TemporaryDirectory() as tmp:
        a, b = Path(tmp, "ref.csv"), Path(tmp, "cur.csv")
        ref.to_csv(a, index=False)
        cur.to_csv(b, index=False)
        t = time.perf_counter()
        done = subprocess.run([python, "-c", NANNYML, str(a), str(b)], capture_output=True, text=True, check=True)
        return json.loads(done.stdout.strip().splitlines()[-1]), time.perf_counter() - t


def nml_row(row: dict, metric: str) -> list[float]:
    """NannyML names: recall = TPR; FPR = 1 - specificity (interval flipped)."""
    if metric == "tpr":
        return row["recall"]
    if metric == "fpr":
        v, lo, hi = row["specificity"]
        return [1 - v, 1 - hi, 1 - lo]
    return row[metric]


def realized(cur: pd.DataFrame, mask) -> dict[str, float]:
    from sklearn.metrics import roc_auc_score

    y, d = cur["y"].to_numpy()[mask], cur["d"].to_numpy()[mask]
    tp, fp, fn, tn = (
        ((y == 1) & (d == 1)).sum(),
        ((y == 0) & (d == 1)).sum(),
        ((y == 1) & (d == 0)).sum(),
        ((y == 0) & (d == 0)).sum(),
    )
    out = {k: float(v) for k, v in metrics_from_cells(tp, fp, fn, tn).items()}
    return {**out, "roc_auc": float(roc_auc_score(y, cur["s"].to_numpy()[mask]))}


def scenario(name: str, power: float, rows: int, python: str) -> None:
    rng = np.random.default_rng([rows, int(power * 10)])
    ref = frame(*population(rng, rows, 0.0), power, rng)
    cur = frame(*population(rng, rows, 0.6), power, rng)
    t = time.perf_counter()
    est = estimate_performance(ref["y"], ref["s"], cur["s"], decisions=cur["d"], groups=cur[["grp"]])
    ours_s = time.perf_counter() - t
    theirs, theirs_s = nannyml(python, ref, cur)
    print(f"\n## {name}: {rows:,} reference + {rows:,} current rows; govgate: {est.calibration.describe()}")
    print(
        f"govgate {ours_s:.2f} s (incl. calibration check and 2,000 draws per group); NannyML {theirs_s:.2f} s (3 fits, subprocess)"
    )
    print("| group | metric | govgate [95% interval] | NannyML [+-3 SE] | diff | realized | in govgate / NannyML |")
    print("|---|---|---|---|---|---|---|")
    worst = 0.0
    for g, ge in est.groups.items():
        mask = np.ones(rows, bool) if g == "overall" else (cur["grp"] == g.split("=")[1]).to_numpy()
        real = realized(cur, mask)
        for m in METRICS:
            ours, (v, lo, hi) = ge.metrics[m], nml_row(theirs[g], m)
            diff = ours.value - v
            worst = max(worst, abs(diff))
            inside = (
                f"{'yes' if ours.lower <= real[m] <= ours.upper else 'NO'} / {'yes' if lo <= real[m] <= hi else 'NO'}"
            )
            print(
                f"| {g} | {m} | {ours.value:.4f} [{ours.lower:.4f}, {ours.upper:.4f}] | {v:.4f} [{lo:.4f}, {hi:.4f}] "
                f"| {diff:+.5f} | {real[m]:.4f} | {inside} |"
            )
    print(f"largest |govgate - NannyML| estimate: {worst:.5f}")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--rows", type=int, default=20_000)
    ap.add_argument("--nannyml-python", default=".venv-nannyml/bin/python")
    args = ap.parse_args()
    print(f"python benchmarks/estimated.py --rows {args.rows}")
    scenario("calibrated scores", 1.0, args.rows, args.nannyml_python)
    scenario("miscalibrated scores (p ** 2.5)", 2.5, args.rows, args.nannyml_python)


if __name__ == "__main__":
    main()
