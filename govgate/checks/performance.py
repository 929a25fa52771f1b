"""Performance of a model on evaluation data, with intervals (from ``stats``), calibration, and the reference
distributions a later reassessment compares against (binned summaries, never raw rows)."""

from __future__ import annotations

import numpy as np
import pandas as pd

from govgate.checks.stats import (
    binary_labels,
    confusion_cells,
    confusion_rates,
    decisions_and_scores,
    multinomial_resamples,
    percentile_interval,
    rate_estimates,
    seed_from,
)
from govgate.record import Check, Metric, Outcome, Threshold

# Label and decision coding live in stats; re-exported here for callers that import them from this module.
__all__ = [
    "binary_labels",
    "calibration_summary",
    "classification_checks",
    "confusion_metrics",
    "decisions_and_scores",
    "group_performance_checks",
    "reference_distributions",
    "regression_checks",
    "roc_auc_with_interval",
]

EVIDENCE = "model_review"


# ------------------------------------------------------------------------------------------------
# classification
# ------------------------------------------------------------------------------------------------

# Rates that are proportions (Wilson intervals); F1 is not, and gets a percentile bootstrap.
_PROPORTIONS = ("accuracy", "precision", "recall", "selection_rate")


def _f1_interval(cells: np.ndarray, n_boot: int, confidence: float, rng) -> tuple[float, float]:
    samples = [confusion_rates(draws)["f1"] for draws in multinomial_resamples(cells, n_boot, rng)]
    lo, hi = percentile_interval(np.concatenate(samples), confidence)
    return float(lo), float(hi)


def confusion_metrics(
    y: np.ndarray, d: np.ndarray, *, n_boot: int, confidence: float, seed: int | None = None
) -> dict[str, Metric]:
    """Accuracy, precision, recall, F1 and selection rate of 0/1 labels ``y`` and decisions ``d``. The
    rates are proportions with Wilson intervals (``stats.rate_estimates``, the same as fairness's per-group
    figures); F1 has a percentile bootstrap over the confusion cells, seeded by ``seed`` (default: derived
    from the cells). ``n_boot=0``: no intervals."""
    cells = confusion_cells(y, d)[0]
    n = int(cells.sum())
    point = confusion_rates(cells)
    bounds = rate_estimates(cells, _PROPORTIONS, confidence)
    if n_boot > 0 and n > 0 and not np.isnan(point["f1"]):
        rng = np.random.default_rng(seed_from("confusion_metrics", cells) if seed is None else seed)
        bounds["f1"] = (point["f1"], *_f1_interval(cells, n_boot, confidence, rng))
    out = {}
    for name in ("accuracy", "precision", "recall", "f1", "selection_rate"):
        value = float(point[name])
        m = Metric(name=name, value=None if np.isnan(value) else value, n=n)
        if n_boot > 0 and m.value is not None and name in bounds:
            lo, hi = (float(x) for x in bounds[name][1:])
            m = m.model_copy(update={"lower": lo, "upper": hi, "confidence": confidence})
        out[name] = m
    return out


def roc_auc_with_interval(
    y: np.ndarray,
    scores: np.ndarray,
    *,
    n_boot: int,
    confidence: float,
    seed: int | None = None,
    max_rows: int = 20000,
) -> Metric:
    """ROC AUC with a percentile bootstrap interval over rows (at most 300 resamples of at most
    ``max_rows`` rows), seeded by ``seed`` (default: derived from the labels and scores)."""
    from sklearn.metrics import roc_auc_score

    y, scores = np.asarray(y), np.asarray(scores, dtype=float)
    auc = float(roc_auc_score(y, scores))
    rng = np.random.default_rng(seed_from("roc_auc", y, scores) if seed is None else seed)
    idx = rng.choice(len(y), size=min(len(y), max_rows), replace=False) if len(y) > max_rows else np.arange(len(y))
    ys, ss = y[idx], scores[idx]
    boots = []
    for _ in range(min(n_boot, 300)):  # AUC needs row resampling; 300 resamples bound the cost
        b = rng.integers(0, len(ys), len(ys))
        if ys[b].min() != ys[b].max():
            boots.append(roc_auc_score(ys[b], ss[b]))
    lo, hi = (float(x) for x in percentile_interval(np.array(boots), confidence)) if boots else (None, None)
    return Metric(name="roc_auc", value=auc, lower=lo, upper=hi, confidence=confidence if boots else None, n=len(y))


def calibration_summary(y: np.ndarray, scores: np.ndarray, bins: int = 10) -> dict:
    edges = np.linspace(0, 1, bins + 1)
    which = np.clip(np.digitize(scores, edges[1:-1]), 0, bins - 1)
    count = np.bincount(which, minlength=bins)
    mean_score = np.bincount(which, weights=scores, minlength=bins) / np.maximum(count, 1)
    observed = np.bincount(which, weights=y, minlength=bins) / np.maximum(count, 1)
    ece = float(np.sum(count / len(y) * np.abs(observed - mean_score)))
    brier = float(np.mean((scores - y) ** 2))
    table = [
        {
            "bin": f"{edges[i]:.1f}-{edges[i + 1]:.1f}",
            "n": int(count[i]),
            "mean_score": float(mean_score[i]),
            "observed_rate": float(observed[i]),
        }
        for i in range(bins)
        if count[i]
    ]
    return {"brier": brier, "ece": ece, "table": table}


def _judged(metric: Metric, name: str, minimum: float | None) -> tuple[Outcome, Threshold | None]:
    """The outcome of a metric against its minimum (judged on its interval); pass without a minimum."""
    if minimum is None:
        return Outcome.PASS, None
    threshold = Threshold(metric=name, op=">=", value=minimum)
    return threshold.judge_metric(metric), threshold


def _not_computed(check_id: str, title: str, outcome: Outcome, reason: str) -> Check:
    return Check(
        id=check_id,
        title=title,
        category="performance",
        outcome=outcome,
        message=f"not computed: {reason}",
        evidence_kind=EVIDENCE,
    )


def _roc_auc_check(y, scores, rules, n_boot: int, confidence: float, seed) -> Check:
    if y.min() == y.max():
        return _not_computed(
            "performance.roc_auc", "ROC AUC", Outcome.INCONCLUSIVE, "the evaluation labels have a single class"
        )
    auc = roc_auc_with_interval(y, scores, n_boot=n_boot, confidence=confidence, seed=seed)
    outcome, threshold = _judged(auc, "roc_auc", rules.min_roc_auc)
    return Check(
        id="performance.roc_auc",
        title="ROC AUC",
        category="performance",
        outcome=outcome,
        message=f"ROC AUC {auc.value:.4f}" + (f" (minimum {rules.min_roc_auc})" if threshold else ""),
        metrics=[auc],
        threshold=threshold,
        evidence_kind=EVIDENCE,
    )


def _unmeasured_roc_auc(rules, outcome: Outcome, reason: str) -> Check:
    """ROC AUC without scores: skipped where no tier minimum asks for it; where the tier requires it, the
    threshold judges a missing value, which is inconclusive (it counts in the decision, never a pass)."""
    if rules.min_roc_auc is None:
        return _not_computed("performance.roc_auc", "ROC AUC", outcome, reason)
    threshold = Threshold(metric="roc_auc", op=">=", value=rules.min_roc_auc)
    return Check(
        id="performance.roc_auc",
        title="ROC AUC",
        category="performance",
        outcome=threshold.judge(None),
        message=f"not measured: {reason}; this tier requires ROC AUC >= {rules.min_roc_auc} "
        "(log the model with pyfunc_predict_fn='predict_proba', or give a score column)",
        metrics=[Metric(name="roc_auc", value=None)],
        threshold=threshold,
        evidence_kind=EVIDENCE,
    )


def _calibration_check(y, scores) -> Check:
    cal = calibration_summary(y, scores)
    return Check(
        id="performance.calibration",
        title="Calibration",
        category="performance",
        outcome=Outcome.PASS,
        message=f"Brier {cal['brier']:.4f}, expected calibration error {cal['ece']:.4f}",
        metrics=[Metric(name="brier", value=cal["brier"], n=len(y)), Metric(name="ece", value=cal["ece"], n=len(y))],
        details={"reliability": cal["table"]},
        evidence_kind=EVIDENCE,
    )


def classification_checks(
    y, d, scores, *, rules, n_boot: int, confidence: float, nan_scores: int = 0, seed: int | None = None
) -> list[Check]:
    """Accuracy (judged against the tier's minimum on its interval), the other confusion rates, ROC AUC
    (judged likewise) and calibration when there are scores. Resamples are seeded by ``seed`` (default:
    derived from the inputs)."""
    metrics = confusion_metrics(y, d, n_boot=n_boot, confidence=confidence, seed=seed)
    acc = metrics["accuracy"]
    outcome, threshold = _judged(acc, "accuracy", rules.min_accuracy)
    checks = [
        Check(
            id="performance.accuracy",
            title="Accuracy on the evaluation data",
            category="performance",
            outcome=outcome,
            message=f"accuracy {acc.value:.4f}"
            + (f" (minimum {rules.min_accuracy})" if threshold else " (no minimum in this tier)"),
            metrics=[acc],
            threshold=threshold,
            evidence_kind=EVIDENCE,
        ),
        Check(
            id="performance.classification",
            title="Precision, recall, F1 and selection rate",
            category="performance",
            outcome=Outcome.PASS,
            message="reported with intervals (Wilson; F1: bootstrap)",
            metrics=[metrics[k] for k in ("precision", "recall", "f1", "selection_rate")],
            evidence_kind=EVIDENCE,
        ),
    ]
    if scores is None:
        reason = f"{nan_scores} score(s) are NaN" if nan_scores else "the model returns labels, not scores"
        outcome = Outcome.INCONCLUSIVE if nan_scores else Outcome.SKIPPED
        checks.append(_unmeasured_roc_auc(rules, outcome, reason))
        checks.append(_not_computed("performance.calibration", "Calibration", outcome, reason))
        return checks
    checks.append(_roc_auc_check(y, scores, rules, n_boot, confidence, seed))
    checks.append(_calibration_check(y, scores))
    return checks


def group_performance_checks(
    y, d, sensitive: pd.DataFrame, *, min_group_size: int, n_boot: int, confidence: float, seed: int | None = None
) -> list[Check]:
    """Accuracy, precision, recall and F1 by group, for each sensitive feature (the same figures and
    intervals as ``confusion_metrics``). Each group's resamples are seeded from ``seed`` (default: derived
    from the inputs), the feature, the group and its confusion cells; never from ``hash()``."""
    checks = []
    for feature in sensitive.columns:
        values = sensitive[feature].astype(str).to_numpy()
        metrics, small = [], []
        for group in sorted(set(values)):
            mask = values == group
            if mask.sum() < min_group_size:
                small.append(f"{group} (n={int(mask.sum())})")
                continue
            cells = confusion_cells(y[mask], d[mask])
            group_seed = seed_from("group_performance", seed, str(feature), group, cells)
            for name, m in confusion_metrics(
                y[mask], d[mask], n_boot=n_boot, confidence=confidence, seed=group_seed
            ).items():
                if name != "selection_rate":
                    metrics.append(m.model_copy(update={"name": f"{name}[{feature}={group}]"}))
        outcome = Outcome.INCONCLUSIVE if small and not metrics else Outcome.PASS
        msg = "performance by group" + (
            f"; groups below min_group_size {min_group_size}: {', '.join(small)}" if small else ""
        )
        checks.append(
            Check(
                id=f"performance.by_group.{feature}",
                title=f"Performance by {feature}",
                category="performance",
                outcome=outcome,
                message=msg,
                metrics=metrics,
                evidence_kind=EVIDENCE,
            )
        )
    return checks


# ------------------------------------------------------------------------------------------------
# regression
# ------------------------------------------------------------------------------------------------


def regression_checks(y: np.ndarray, pred: np.ndarray, sensitive: pd.DataFrame, *, min_group_size: int) -> list[Check]:
    from sklearn.metrics import mean_absolute_error, mean_squared_error, r2_score

    def block(mask=None, suffix=""):
        yt, yp = (y, pred) if mask is None else (y[mask], pred[mask])
        return [
            Metric(name=f"mae{suffix}", value=float(mean_absolute_error(yt, yp)), n=len(yt)),
            Metric(name=f"rmse{suffix}", value=float(np.sqrt(mean_squared_error(yt, yp))), n=len(yt)),
            Metric(name=f"r2{suffix}", value=float(r2_score(yt, yp)) if len(yt) > 1 else None, n=len(yt)),
        ]

    checks = [
        Check(
            id="performance.regression",
            title="MAE, RMSE and R2",
            category="performance",
            outcome=Outcome.PASS,
            message="regression metrics on the evaluation data",
            metrics=block(),
            evidence_kind=EVIDENCE,
        )
    ]
    for feature in sensitive.columns:
        values = sensitive[feature].astype(str).to_numpy()
        metrics = []
        for group in sorted(set(values)):
            mask = values == group
            if mask.sum() >= min_group_size:
                metrics += block(mask, f"[{feature}={group}]")
        checks.append(
            Check(
                id=f"performance.by_group.{feature}",
                title=f"Regression metrics by {feature}",
                category="performance",
                outcome=Outcome.PASS if metrics else Outcome.INCONCLUSIVE,
                message="by group" if metrics else f"every group of {feature} is below min_group_size {min_group_size}",
                metrics=metrics,
                evidence_kind=EVIDENCE,
            )
        )
    return checks


# ------------------------------------------------------------------------------------------------
# reference distributions for reassessment
# ------------------------------------------------------------------------------------------------


def reference_distributions(X: pd.DataFrame, predictions: np.ndarray, *, bins: int = 10, top: int = 20) -> dict:
    """Binned summaries per feature and of the predictions: quantile edges + counts for numbers, top
    category frequencies otherwise. Enough for PSI later; no raw rows."""
    features = {}
    for col in X.columns:
        s = X[col]
        if pd.api.types.is_numeric_dtype(s) and not pd.api.types.is_bool_dtype(s):
            clean = s.dropna().to_numpy(dtype=float)
            if len(clean) == 0:
                features[col] = {"kind": "numeric", "edges": [], "counts": [], "missing": int(s.isna().sum())}
                continue
            edges = np.unique(np.quantile(clean, np.linspace(0, 1, bins + 1)))
            counts = np.histogram(clean, bins=edges)[0] if len(edges) > 1 else np.array([len(clean)])
            features[col] = {
                "kind": "numeric",
                "edges": edges.tolist(),
                "counts": counts.tolist(),
                "missing": int(s.isna().sum()),
            }
        else:
            freq = s.astype(str).value_counts()
            features[col] = {
                "kind": "categorical",
                "top": {str(k): int(v) for k, v in freq.head(top).items()},
                "other": int(freq.iloc[top:].sum()),
                "missing": int(s.isna().sum()),
            }
    pred = np.asarray(predictions, dtype=float)
    hist = (
        np.histogram(pred, bins=np.linspace(0, 1, bins + 1))[0]
        if pred.size and pred.min() >= 0 and pred.max() <= 1
        else []
    )
    return {
        "features": features,
        "predictions": {
            "edges": np.linspace(0, 1, bins + 1).tolist(),
            "counts": list(map(int, hist)),
            "mean": float(pred.mean()) if pred.size else None,
        },
        "rows": int(len(X)),
    }


# ------------------------------------------------------------------------------------------------
# against the approved version
# ------------------------------------------------------------------------------------------------

# (check id, metric name) of the overall figures compared with the last approved version; all higher-is-better.
BASELINE_METRICS = (
    ("performance.accuracy", "accuracy"),
    ("performance.classification", "precision"),
    ("performance.classification", "recall"),
    ("performance.classification", "f1"),
    ("performance.roc_auc", "roc_auc"),
)


def _figure(checks: list[Check], check_id: str, name: str) -> Metric | None:
    for c in checks:
        if c.id == check_id:
            for m in c.metrics:
                if m.name == name and isinstance(m.value, (int, float)) and m.value == m.value:
                    return m
    return None


def performance_baseline_checks(
    current: list[Check], baseline: list[Check], tolerance: float, *, ref=None
) -> list[Check]:
    """``performance.<metric>.vs_baseline``: each overall figure of this review (with its interval) no
    worse than the approved version's recorded figure by more than ``tolerance`` (one-sided, judged on
    the interval; ``govgate.checks.baseline``). Skipped when neither review measured the figure (ROC AUC
    of labels-only models), inconclusive when only one did."""
    from govgate.checks.baseline import missing_baseline_check, vs_baseline_check

    checks = []
    for check_id, name in BASELINE_METRICS:
        common = dict(
            cid=f"performance.{name}.vs_baseline",
            title=f"{name.replace('_', ' ')} no worse than the approved version",
            category="performance",
            evidence_kind=EVIDENCE,
            tolerance=tolerance,
            baseline=ref,
        )
        cur, old = _figure(current, check_id, name), _figure(baseline, check_id, name)
        if cur is not None and old is not None:
            checks.append(vs_baseline_check(**common, current=cur, old=float(old.value), higher_is_better=True))
        elif cur is None and old is None:
            checks.append(
                Check(
                    id=common["cid"],
                    title=common["title"],
                    category="performance",
                    outcome=Outcome.SKIPPED,
                    message=f"{name.replace('_', ' ')} was measured in neither review",
                    evidence_kind=EVIDENCE,
                )
            )
        else:
            where = ["the current review"] if cur is None else ["the baseline record"]
            checks.append(missing_baseline_check(**common, where=where))
    return checks
