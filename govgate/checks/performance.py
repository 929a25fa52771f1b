"""Performance of a model on evaluation data, with bootstrap intervals, calibration, and the reference
distributions a later reassessment compares against (binned summaries, never raw rows)."""

from __future__ import annotations

import numpy as np
import pandas as pd

from govgate.errors import InputError
from govgate.record import Check, Metric, Outcome, Threshold

EVIDENCE = "model_review"


# ------------------------------------------------------------------------------------------------
# inputs
# ------------------------------------------------------------------------------------------------


def binary_labels(values: pd.Series, pos_label, column: str) -> np.ndarray:
    """0/1 labels from a label column; NaN or more than two distinct values is an InputError."""
    if values.isna().any():
        raise InputError(
            f"label column '{column}' has {int(values.isna().sum())} missing value(s); labels must be complete"
        )
    distinct = pd.unique(values)
    if len(distinct) > 2:
        raise InputError(
            f"label column '{column}' has {len(distinct)} distinct values {sorted(map(str, distinct))[:8]}; expected two classes"
        )
    if pos_label not in set(distinct.tolist()):
        if len(distinct) == 2 and {str(v) for v in distinct} >= {str(pos_label)}:
            return (values.astype(str) == str(pos_label)).to_numpy(dtype=np.int8)
        raise InputError(
            f"label column '{column}': the positive label {pos_label!r} is not among its values {sorted(map(str, distinct))}"
        )
    return (values == pos_label).to_numpy(dtype=np.int8)


def decisions_and_scores(pred: pd.Series, pos_label, threshold: float) -> tuple[np.ndarray, np.ndarray | None]:
    """Model output -> (0/1 decisions, scores or None). Floats in [0, 1] that are not all 0/1 are scores."""
    numeric = pd.to_numeric(pred, errors="coerce")
    if numeric.notna().all() and numeric.between(0, 1).all() and not numeric.isin([0, 1]).all():
        scores = numeric.to_numpy(dtype=float)
        return (scores >= threshold).astype(np.int8), scores
    if numeric.isna().any() and pred.isna().any():
        raise InputError(f"the model returned {int(pred.isna().sum())} missing prediction(s)")
    if pred.isin([pos_label]).any() or pred.astype(str).isin([str(pos_label)]).any():
        return (pred.astype(str) == str(pos_label)).to_numpy(dtype=np.int8), None
    return (numeric.fillna(0).to_numpy() >= 0.5).astype(np.int8), None


# ------------------------------------------------------------------------------------------------
# classification
# ------------------------------------------------------------------------------------------------


def _rates(tp, fp, fn, tn):
    with np.errstate(divide="ignore", invalid="ignore"):
        n = tp + fp + fn + tn
        precision = np.where(tp + fp > 0, tp / (tp + fp), np.nan)
        recall = np.where(tp + fn > 0, tp / (tp + fn), np.nan)
        f1 = np.where(precision + recall > 0, 2 * precision * recall / (precision + recall), np.nan)
        return {
            "accuracy": (tp + tn) / n,
            "precision": precision,
            "recall": recall,
            "f1": f1,
            "selection_rate": (tp + fp) / n,
        }


def confusion_metrics(
    y: np.ndarray, d: np.ndarray, *, n_boot: int, confidence: float, seed: int = 0
) -> dict[str, Metric]:
    """Accuracy, precision, recall, F1, selection rate with bootstrap intervals. Resampling rows with
    replacement is the same as drawing multinomial counts over the four confusion cells."""
    cells = np.bincount(y.astype(np.int64) * 2 + d.astype(np.int64), minlength=4)  # tn, fp, fn, tp
    tn, fp, fn, tp = cells
    point = _rates(np.float64(tp), np.float64(fp), np.float64(fn), np.float64(tn))
    n = int(cells.sum())
    out = {}
    if n_boot > 0 and n > 0:
        draws = np.random.default_rng(seed).multinomial(n, cells / n, size=n_boot).astype(np.float64)
        boot = _rates(draws[:, 3], draws[:, 1], draws[:, 2], draws[:, 0])
        alpha = (1 - confidence) / 2
    for name, value in point.items():
        m = Metric(name=name, value=None if np.isnan(value) else float(value), n=n)
        if n_boot > 0 and n > 0 and not np.isnan(value):
            lo, hi = np.nanquantile(boot[name], [alpha, 1 - alpha])
            m = m.model_copy(update={"lower": float(lo), "upper": float(hi), "confidence": confidence})
        out[name] = m
    return out


def roc_auc_with_interval(
    y: np.ndarray, scores: np.ndarray, *, n_boot: int, confidence: float, seed: int = 0, max_rows: int = 20000
) -> Metric:
    from sklearn.metrics import roc_auc_score

    auc = float(roc_auc_score(y, scores))
    rng = np.random.default_rng(seed)
    idx = rng.choice(len(y), size=min(len(y), max_rows), replace=False) if len(y) > max_rows else np.arange(len(y))
    ys, ss = y[idx], scores[idx]
    boots = []
    for _ in range(min(n_boot, 300)):  # AUC needs row resampling; 300 resamples bound the cost
        b = rng.integers(0, len(ys), len(ys))
        if ys[b].min() != ys[b].max():
            boots.append(roc_auc_score(ys[b], ss[b]))
    alpha = (1 - confidence) / 2
    lo, hi = np.quantile(boots, [alpha, 1 - alpha]) if boots else (None, None)
    return Metric(
        name="roc_auc",
        value=auc,
        lower=None if lo is None else float(lo),
        upper=None if hi is None else float(hi),
        confidence=confidence if boots else None,
        n=len(y),
    )


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


def classification_checks(y, d, scores, *, rules, n_boot: int, confidence: float, nan_scores: int = 0) -> list[Check]:
    metrics = confusion_metrics(y, d, n_boot=n_boot, confidence=confidence)
    checks = []
    acc = metrics["accuracy"]
    if rules.min_accuracy is not None:
        outcome = Outcome.PASS if acc.value >= rules.min_accuracy else Outcome.FAIL
        if outcome == Outcome.PASS and acc.lower is not None and acc.lower < rules.min_accuracy:
            outcome = Outcome.WARN
        threshold = Threshold(metric="accuracy", op=">=", value=rules.min_accuracy)
    else:
        outcome, threshold = Outcome.PASS, None
    checks.append(
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
        )
    )
    checks.append(
        Check(
            id="performance.classification",
            title="Precision, recall, F1 and selection rate",
            category="performance",
            outcome=Outcome.PASS,
            message="reported with bootstrap intervals",
            metrics=[metrics[k] for k in ("precision", "recall", "f1", "selection_rate")],
            evidence_kind=EVIDENCE,
        )
    )
    if scores is None:
        reason = f"{nan_scores} score(s) are NaN" if nan_scores else "the model returns labels, not scores"
        outcome = Outcome.INCONCLUSIVE if nan_scores else Outcome.SKIPPED
        checks.append(
            Check(
                id="performance.roc_auc",
                title="ROC AUC",
                category="performance",
                outcome=outcome,
                message=f"not computed: {reason}",
                evidence_kind=EVIDENCE,
            )
        )
        checks.append(
            Check(
                id="performance.calibration",
                title="Calibration",
                category="performance",
                outcome=outcome,
                message=f"not computed: {reason}",
                evidence_kind=EVIDENCE,
            )
        )
        return checks
    if y.min() == y.max():
        checks.append(
            Check(
                id="performance.roc_auc",
                title="ROC AUC",
                category="performance",
                outcome=Outcome.INCONCLUSIVE,
                message="not computed: the evaluation labels have a single class",
                evidence_kind=EVIDENCE,
            )
        )
    else:
        auc = roc_auc_with_interval(y, scores, n_boot=n_boot, confidence=confidence)
        if rules.min_roc_auc is not None:
            outcome = Outcome.PASS if auc.value >= rules.min_roc_auc else Outcome.FAIL
            threshold = Threshold(metric="roc_auc", op=">=", value=rules.min_roc_auc)
        else:
            outcome, threshold = Outcome.PASS, None
        checks.append(
            Check(
                id="performance.roc_auc",
                title="ROC AUC",
                category="performance",
                outcome=outcome,
                message=f"ROC AUC {auc.value:.4f}",
                metrics=[auc],
                threshold=threshold,
                evidence_kind=EVIDENCE,
            )
        )
    cal = calibration_summary(y, scores)
    checks.append(
        Check(
            id="performance.calibration",
            title="Calibration",
            category="performance",
            outcome=Outcome.PASS,
            message=f"Brier {cal['brier']:.4f}, expected calibration error {cal['ece']:.4f}",
            metrics=[
                Metric(name="brier", value=cal["brier"], n=len(y)),
                Metric(name="ece", value=cal["ece"], n=len(y)),
            ],
            details={"reliability": cal["table"]},
            evidence_kind=EVIDENCE,
        )
    )
    return checks


def group_performance_checks(
    y, d, sensitive: pd.DataFrame, *, min_group_size: int, n_boot: int, confidence: float
) -> list[Check]:
    """Accuracy, precision, recall and F1 by group, for each sensitive feature."""
    checks = []
    for feature in sensitive.columns:
        values = sensitive[feature].astype(str).to_numpy()
        metrics, small = [], []
        for group in sorted(set(values)):
            mask = values == group
            if mask.sum() < min_group_size:
                small.append(f"{group} (n={int(mask.sum())})")
                continue
            for name, m in confusion_metrics(
                y[mask], d[mask], n_boot=n_boot, confidence=confidence, seed=hash(group) % 2**31
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
