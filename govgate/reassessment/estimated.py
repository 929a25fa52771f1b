"""Performance estimated from calibrated scores before outcomes arrive (confidence-based estimation, as
NannyML's CBPE): a calibrated score p is the probability that the outcome is positive, so each row adds
p to the expected true positives (decided positive) or false negatives, and 1 - p to the expected false
positives or true negatives. Intervals by a parametric bootstrap: outcomes drawn as Bernoulli(p), seeded
from the data digest. Only when the approved review found the scores calibrated (its expected
calibration error within the limit); otherwise inconclusive. Every figure is marked "estimated".
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from govgate.checks.baseline import vs_baseline_check
from govgate.checks.stats import rng_for
from govgate.record import Check, Metric, Outcome, Threshold

MAX_CALIBRATION_ERROR = 0.05  # expected calibration error of the approved review above which scores are not trusted
RESAMPLES = 400
CONFIDENCE = 0.95


def _figures(y: np.ndarray, d: np.ndarray, groups: pd.DataFrame) -> dict[str, float]:
    """Accuracy and, per sensitive feature, the largest gap in false-positive rate between its groups,
    from (expected or drawn) outcomes ``y`` in [0, 1]."""
    out = {"accuracy": float(np.mean(d * y + (1 - d) * (1 - y)))}
    for col in groups.columns:
        rates = []
        for value in pd.unique(groups[col]):
            m = (groups[col] == value).to_numpy()
            negatives = np.sum(1 - y[m])
            if negatives > 0:
                rates.append(np.sum(d[m] * (1 - y[m])) / negatives)
        out[f"{col}.false_positive_rate_difference"] = float(max(rates) - min(rates)) if len(rates) > 1 else np.nan
    return out


def estimate(scores: np.ndarray, decisions: np.ndarray, groups: pd.DataFrame, seed: str) -> dict[str, Metric]:
    """Each estimated figure with its bootstrap interval."""
    p, d = np.asarray(scores, dtype=float), np.asarray(decisions, dtype=float)
    point = _figures(p, d, groups)
    rng = rng_for("estimated-performance", seed)
    draws = [_figures((rng.random(len(p)) < p).astype(float), d, groups) for _ in range(RESAMPLES)]
    alpha = (1 - CONFIDENCE) / 2
    out = {}
    for name, value in point.items():
        sample = np.array([x[name] for x in draws], dtype=float)
        sample = sample[np.isfinite(sample)]
        lo, hi = np.quantile(sample, [alpha, 1 - alpha]) if len(sample) else (None, None)
        out[name] = Metric(
            name=name,
            value=value,
            lower=None if lo is None else float(lo),
            upper=None if hi is None else float(hi),
            confidence=CONFIDENCE,
            n=len(p),
        )
    return out


def calibration_check(baseline_checks: list[Check]) -> Check:
    """The approved review's expected calibration error within the limit: the scores may stand in for
    outcomes. Inconclusive when the review measured none (a model without scores)."""
    cal = next((c for c in baseline_checks if c.id == "performance.calibration"), None)
    ece = next((m.value for m in cal.metrics if m.name == "ece"), None) if cal else None
    threshold = Threshold(metric="ece", op="<=", value=MAX_CALIBRATION_ERROR)
    outcome = threshold.judge(ece)
    message = (
        f"expected calibration error at approval {ece:.4f}, limit {MAX_CALIBRATION_ERROR:g}"
        if ece is not None
        else "the approved review measured no calibration (no scores)"
    )
    return Check(
        id="performance.estimated.calibration",
        title="Scores calibrated enough to estimate performance",
        category="performance",
        outcome=outcome,
        message=message,
        threshold=threshold,
        metrics=[Metric(name="ece", value=ece)],
    )


def estimated_checks(
    estimates: dict[str, Metric],
    baseline_checks: list[Check],
    baseline_report: dict,
    tolerance: float,
    ref,
    fairness_tolerance: float | None = None,
) -> list[Check]:
    """Each estimated figure against the approved baseline's realized one (one-sided, with the interval)."""
    checks = []
    acc = next(
        (m.value for c in baseline_checks if c.id == "performance.accuracy" for m in c.metrics if m.name == "accuracy"),
        None,
    )
    if acc is not None:
        checks.append(
            _marked(
                vs_baseline_check(
                    cid="performance.accuracy.estimated.vs_baseline",
                    title="Estimated accuracy no worse than the baseline",
                    category="performance",
                    evidence_kind="reassessment",
                    current=estimates["accuracy"],
                    old=float(acc),
                    higher_is_better=True,
                    tolerance=tolerance,
                    baseline=ref,
                )
            )
        )
    for name, metric in estimates.items():
        if name == "accuracy" or metric.value != metric.value:
            continue
        feature = name.split(".")[0]
        old = ((((baseline_report or {}).get("features") or {}).get(feature) or {}).get("disparities") or {}).get(
            "false_positive_rate_difference"
        ) or {}
        if old.get("value") is None:
            continue
        checks.append(
            _marked(
                vs_baseline_check(
                    cid=f"fairness.{name}.estimated.vs_baseline",
                    title=f"Estimated {name} no worse than the baseline",
                    category="fairness",
                    evidence_kind="reassessment",
                    current=metric,
                    old=float(old["value"]),
                    higher_is_better=False,
                    tolerance=tolerance if fairness_tolerance is None else fairness_tolerance,
                    baseline=ref,
                )
            )
        )
    return checks


def _marked(check: Check) -> Check:
    return check.model_copy(
        update={
            "message": f"estimated from calibrated scores (no outcomes yet): {check.message}",
            "details": {**check.details, "estimated": True},
        }
    )


def not_estimated(reason: str) -> Check:
    return Check(
        id="performance.estimated",
        title="Performance estimated from calibrated scores",
        category="performance",
        outcome=Outcome.SKIPPED,
        message=reason,
    )
