"""Explainability evidence of the model-review gate: which features drive decisions, and which act as proxies
of a sensitive feature.

- :func:`permutation_importance_report`: ``sklearn.inspection.permutation_importance`` on a minimal
  estimator that wraps the predict callable.
- :func:`association`: how strongly a feature tracks a sensitive feature (|r|, correlation ratio or
  Cramér's V), for proxy detection.
- :func:`explainability_checks`: the gate's checks and findings.

Plain functions (no Prefect import); reports are picklable dataclasses with a JSON-able ``to_dict()``.
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from govgate.checks.model_calls import Predict, as_predict, is_numeric, jsonable, sample_positions, to_array
from govgate.checks.outcomes import advisory, worst
from govgate.record import Check, Finding, Metric, Outcome, Severity, Threshold

if TYPE_CHECKING:
    from govgate.checks.robustness import _Decider

PROXY_THRESHOLD = 0.5  # |r|, correlation ratio or Cramér's V at or above this makes a feature a proxy


ASSOCIATION_ROWS = 20_000  # rows sampled to compute associations


@dataclass
class FeatureImportance:
    feature: str
    rank: int  # 1 = most important
    mean: float
    std: float


@dataclass
class ImportanceReport:
    scoring: str
    baseline_score: float
    n_total: int
    n_rows: int
    n_repeats: int
    seed: int
    decision_rule: str
    method: str
    features: list[FeatureImportance]  # ordered by rank
    seconds: float = 0.0

    def to_dict(self) -> dict[str, Any]:
        return jsonable(asdict(self))

    def rank_of(self, feature: str) -> int | None:
        return next((f.rank for f in self.features if f.feature == feature), None)


# --------------------------------------------------------------------------------------------------------
# permutation importance


def _score_needs_proba(scoring: str) -> bool:
    return scoring in {"roc_auc", "average_precision", "neg_log_loss", "neg_brier_score"} or scoring.startswith(
        "roc_auc"
    )


def _make_estimator(predict: Predict, decider: _Decider):
    from sklearn.base import BaseEstimator, ClassifierMixin

    class CallableClassifier(ClassifierMixin, BaseEstimator):
        """A fitted-by-construction estimator around a predict callable, for sklearn's scorers."""

        def __init__(self, predict_fn=None, decider=None):
            self.predict_fn = predict_fn
            self.decider = decider

        def fit(self, X, y):
            self.classes_ = np.unique(np.asarray(y))
            return self

        def predict(self, X):
            return self.decider(self.predict_fn(X))

        def predict_proba(self, X):
            raw = to_array(self.predict_fn(X))
            if raw.ndim == 2:
                return raw
            if raw.dtype.kind == "f":
                return np.column_stack([1 - raw, raw])
            raise ValueError("scoring needs scores but the model returns labels; use a label metric such as accuracy")

    return CallableClassifier(predict, decider)


def permutation_importance_report(
    predict: Predict | Any,
    X: pd.DataFrame,
    y: Any,
    *,
    scoring: str = "accuracy",
    n_repeats: int = 5,
    seed: int = 0,
    decide: Callable[[Any], Any] | None = None,
    max_rows: int = 5000,
) -> ImportanceReport:
    """Model-agnostic permutation importance (``sklearn.inspection.permutation_importance``) of every
    column of ``X`` on at most ``max_rows`` rows; ``y`` is aligned with ``X`` by position. Label metrics
    (accuracy, f1, ...) score ``decide(predict(X))``; score metrics (roc_auc, ...) the raw predictions."""
    from sklearn.inspection import permutation_importance
    from sklearn.metrics import get_scorer

    started = time.perf_counter()
    predict = as_predict(predict)
    y = np.asarray(y.to_numpy() if isinstance(y, pd.Series | pd.DataFrame) else y)
    if len(y) != len(X):
        raise ValueError(f"y has {len(y)} values, X has {len(X)} rows")
    pos = sample_positions(len(X), max_rows, seed)
    Xs = X.iloc[pos].reset_index(drop=True)
    ys = y[pos]
    # The prediction -> decision rule of the robustness probe, so both report decisions the same way.
    from govgate.checks.robustness import _Decider

    decider = _Decider(decide)
    decider(predict(Xs.head(min(len(Xs), 1000))))  # fixes the default decision rule
    estimator = _make_estimator(predict, decider).fit(Xs, ys)
    scorer = get_scorer(scoring)
    baseline = float(scorer(estimator, Xs, ys))
    result = permutation_importance(estimator, Xs, ys, scoring=scoring, n_repeats=n_repeats, random_state=seed)
    order = sorted(range(Xs.shape[1]), key=lambda i: (-result.importances_mean[i], str(Xs.columns[i])))
    features = [
        FeatureImportance(str(Xs.columns[i]), rank, float(result.importances_mean[i]), float(result.importances_std[i]))
        for rank, i in enumerate(order, 1)
    ]
    return ImportanceReport(
        scoring=scoring,
        baseline_score=baseline,
        n_total=len(X),
        n_rows=len(Xs),
        n_repeats=n_repeats,
        seed=seed,
        decision_rule=decider.rule if not _score_needs_proba(scoring) else "raw scores",
        method="sklearn.inspection.permutation_importance",
        features=features,
        seconds=round(time.perf_counter() - started, 3),
    )


# --------------------------------------------------------------------------------------------------------
# associations (proxy detection)


def _is_categorical_sensitive(s: pd.Series) -> bool:
    if not is_numeric(s):
        return True
    return pd.api.types.is_integer_dtype(s.dtype) and s.nunique(dropna=True) <= 10


def _correlation_ratio(values: np.ndarray, groups: np.ndarray) -> float:
    """eta: sqrt(between-group / total sum of squares); equals |point-biserial r| for two groups."""
    total = float(((values - values.mean()) ** 2).sum())
    if total == 0:
        return 0.0
    frame = pd.DataFrame({"v": values, "g": groups})
    stats = frame.groupby("g", sort=False)["v"].agg(["mean", "count"])
    between = float((stats["count"] * (stats["mean"] - values.mean()) ** 2).sum())
    return math.sqrt(max(0.0, min(1.0, between / total)))


def _cramers_v(a: np.ndarray, b: np.ndarray) -> float:
    """Bias-corrected Cramér's V (Bergsma 2013)."""
    table = pd.crosstab(a, b).to_numpy(dtype=float)
    n = table.sum()
    r, k = table.shape
    if n == 0 or r < 2 or k < 2:
        return 0.0
    expected = table.sum(1, keepdims=True) * table.sum(0, keepdims=True) / n
    chi2 = float(((table - expected) ** 2 / expected).sum())
    phi2 = max(0.0, chi2 / n - (k - 1) * (r - 1) / (n - 1))
    rc = r - (r - 1) ** 2 / (n - 1)
    kc = k - (k - 1) ** 2 / (n - 1)
    denom = min(kc - 1, rc - 1)
    return math.sqrt(phi2 / denom) if denom > 0 else 0.0


def association(feature: pd.Series, sensitive: pd.Series) -> tuple[float, str]:
    """Strength of association in [0, 1] and the measure used: |Pearson r| (numeric-numeric),
    |point-biserial r| / correlation ratio (numeric vs categorical), Cramér's V (categorical-categorical)."""
    both = pd.DataFrame({"f": feature.to_numpy(), "s": sensitive.to_numpy()}).dropna()
    if len(both) < 3:
        return 0.0, "n/a"
    f, s = both["f"], both["s"]
    f_cat = not is_numeric(feature)
    s_cat = _is_categorical_sensitive(sensitive)
    if not f_cat and not s_cat:
        fv, sv = f.to_numpy(float), s.to_numpy(float)
        if fv.std() == 0 or sv.std() == 0:
            return 0.0, "pearson"
        return abs(float(np.corrcoef(fv, sv)[0, 1])), "pearson"
    if not f_cat:
        name = "point_biserial" if s.nunique() == 2 else "correlation_ratio"
        return _correlation_ratio(f.to_numpy(float), s.astype(str).to_numpy()), name
    if not s_cat:
        return _correlation_ratio(s.to_numpy(float), f.astype(str).to_numpy()), "correlation_ratio"
    return _cramers_v(f.astype(str).to_numpy(), s.astype(str).to_numpy()), "cramers_v"


# --------------------------------------------------------------------------------------------------------
# explainability checks


def explainability_checks(
    importance: ImportanceReport,
    *,
    sensitive: list[str],
    X: pd.DataFrame,
    top_k: int,
    proxy_threshold: float = PROXY_THRESHOLD,
    seed: int = 0,
) -> tuple[list[Check], list[Finding]]:
    """Checks ``explainability.permutation_importance`` (the ranking) and
    ``explainability.sensitive_proxies``: warns when a sensitive feature, or a feature whose association
    with a sensitive column is >= ``proxy_threshold``, ranks within ``top_k`` with positive importance.

    ``X`` holds the model's features and the sensitive columns (e.g. ``features.join(sensitive_frame)``);
    associations are computed on up to 20,000 of its rows."""
    proxies, findings = _proxy_check(importance, sensitive, X, top_k, proxy_threshold, seed)
    return [_importance_check(importance), proxies], findings


def _importance_check(importance: ImportanceReport) -> Check:
    """``explainability.permutation_importance``: the ranking, recorded (it has no limit, so it passes)."""
    ranking = [
        {"feature": f.feature, "rank": f.rank, "mean": round(f.mean, 6), "std": round(f.std, 6)}
        for f in importance.features
    ]
    metrics = []
    for f in importance.features:
        metrics += [
            Metric(name=f"importance.{f.feature}", value=round(f.mean, 6), n=importance.n_rows),
            Metric(name=f"importance_std.{f.feature}", value=round(f.std, 6), n=importance.n_rows),
        ]
    top = ", ".join(f"{f.feature} {f.mean:.3f}±{f.std:.3f}" for f in importance.features[:5])
    return Check(
        id="explainability.permutation_importance",
        title="Permutation importance of the model's features",
        category="explainability",
        outcome=Outcome.PASS,
        message=f"drop in {importance.scoring} when a feature is shuffled ({importance.n_repeats} repeats, "
        f"{importance.n_rows} rows, baseline {importance.baseline_score:.3f}): {top}",
        metrics=metrics,
        evidence_kind="explainability",
        details={
            "scoring": importance.scoring,
            "baseline_score": importance.baseline_score,
            "n_rows": importance.n_rows,
            "n_total": importance.n_total,
            "n_repeats": importance.n_repeats,
            "seed": importance.seed,
            "method": importance.method,
            "decision_rule": importance.decision_rule,
            "ranking": ranking,
        },
    )


def _proxy_check(
    importance: ImportanceReport, sensitive: list[str], X: pd.DataFrame, top_k: int, proxy_threshold: float, seed: int
) -> tuple[Check, list[Finding]]:
    """``explainability.sensitive_proxies``: the strongest association with a sensitive column among the
    features that drive the model (top ``top_k``, positive importance; a sensitive feature itself counts as
    1.0), judged against ``proxy_threshold`` (advisory: a breach warns)."""
    cid = "explainability.sensitive_proxies"
    threshold = Threshold(metric="max_top_k_association", op="<", value=proxy_threshold)
    available = [s for s in sensitive if s in X.columns]
    unavailable = [s for s in sensitive if s not in X.columns]
    Xa = X.iloc[sample_positions(len(X), ASSOCIATION_ROWS, seed)]
    assoc_rows = _strongest_associations(importance, sensitive, available, Xa)
    driving = [r for r in assoc_rows if r["rank"] <= top_k and r["mean"] > 0]
    top_max = max((r["association"] for r in driving), default=0.0)
    flagged = [r for r in driving if r["measure"] == "is_sensitive" or r["association"] >= proxy_threshold]
    metrics = [
        Metric(name="max_top_k_association", value=round(top_max, 4), n=len(Xa)),
        Metric(name="flagged_features", value=len(flagged)),
    ]
    if not sensitive:
        outcome, message = Outcome.SKIPPED, "no sensitive features declared"
    elif not available and not any(r["measure"] == "is_sensitive" for r in assoc_rows):
        outcome = Outcome.INCONCLUSIVE
        message = f"sensitive columns {unavailable} are not in X; proxies could not be looked for"
    else:
        outcome = worst([advisory(threshold.judge(round(top_max, 4))), Outcome.WARN if flagged else Outcome.PASS])
        message = _proxy_message(flagged, top_k, proxy_threshold, top_max)
    if unavailable and outcome != Outcome.INCONCLUSIVE:
        message += f" (not in X, not checked: {', '.join(unavailable)})"
    check = Check(
        id=cid,
        title="No sensitive attribute or close proxy of one drives the model",
        category="explainability",
        outcome=outcome,
        message=message,
        metrics=metrics,
        threshold=threshold,
        evidence_kind="explainability",
        details={
            "top_k": top_k,
            "proxy_threshold": proxy_threshold,
            "sensitive": list(sensitive),
            "unavailable_sensitive": unavailable,
            "rows": len(Xa),
            "associations": assoc_rows,
            "flagged": flagged,
        },
    )
    return check, [_proxy_finding(r, cid, len(importance.features)) for r in flagged]


def _strongest_associations(
    importance: ImportanceReport, sensitive: list[str], available: list[str], Xa: pd.DataFrame
) -> list[dict[str, Any]]:
    """Per ranked feature, its strongest association with an available sensitive column (a sensitive
    feature itself: 1.0, measure ``is_sensitive``); features not in ``Xa`` are left out."""
    rows: list[dict[str, Any]] = []
    for f in importance.features:
        base = {"feature": f.feature, "rank": f.rank, "mean": round(f.mean, 6)}
        if f.feature in sensitive:
            rows.append({**base, "sensitive": f.feature, "association": 1.0, "measure": "is_sensitive"})
            continue
        if f.feature not in Xa.columns:
            continue
        best = None
        for s in available:
            value, measure = association(Xa[f.feature], Xa[s])
            if best is None or value > best["association"]:
                best = {**base, "sensitive": s, "association": round(value, 4), "measure": measure}
        if best is not None:
            rows.append(best)
    return rows


def _proxy_message(flagged: list[dict[str, Any]], top_k: int, proxy_threshold: float, top_max: float) -> str:
    if not flagged:
        return (
            f"no sensitive feature or proxy (association >= {proxy_threshold:g}) in the top {top_k}; "
            f"max association in the top {top_k}: {top_max:.2f}"
        )
    return (
        "; ".join(
            f"{r['feature']} (rank {r['rank']}) is sensitive"
            if r["measure"] == "is_sensitive"
            else f"{r['feature']} (rank {r['rank']}) proxies {r['sensitive']} ({r['measure']} {r['association']:.2f})"
            for r in flagged
        )
        + f" - within the top {top_k} features"
    )


def _proxy_finding(r: dict[str, Any], cid: str, n_features: int) -> Finding:
    if r["measure"] == "is_sensitive":
        return Finding(
            id=f"explainability.sensitive_feature.{r['feature']}",
            severity=Severity.MEDIUM,
            category="explainability",
            check_id=cid,
            location={"feature": r["feature"], "rank": str(r["rank"])},
            message=f"sensitive feature {r['feature']} ranks {r['rank']} of {n_features} by permutation importance",
            remediation="justify the use of this attribute (lawful basis, necessity) or remove it and re-assess fairness",
        )
    return Finding(
        id=f"explainability.sensitive_proxy.{r['feature']}",
        severity=Severity.MEDIUM,
        category="explainability",
        check_id=cid,
        location={"feature": r["feature"], "rank": str(r["rank"]), "sensitive": r["sensitive"]},
        message=f"feature {r['feature']} ranks {r['rank']} by permutation importance and is a close proxy of "
        f"sensitive attribute {r['sensitive']} ({r['measure']} {r['association']:.2f})",
        remediation="check whether the feature is needed; if kept, document why and confirm with the fairness "
        "metrics that it does not carry the sensitive attribute into decisions",
    )


def proxy_inputs(
    X: pd.DataFrame, frame: pd.DataFrame, groups: pd.DataFrame, raw_columns: list[str]
) -> tuple[pd.DataFrame, list[str]]:
    """The model's features joined with every sensitive feature, and the names to look for proxies of:
    each raw sensitive column (``sex``, ``age``), whether the model uses it or not, and each derived
    group label (``age>=25``) that is not a column itself. ``frame`` holds the raw columns and ``groups``
    the group labels, both aligned with ``X`` by position."""
    raw = [c for c in dict.fromkeys(raw_columns) if c in frame.columns]
    derived = [c for c in groups.columns if c not in raw and c not in X.columns]
    extra = {c: frame[c].to_numpy() for c in raw if c not in X.columns}
    extra |= {c: groups[c].to_numpy() for c in derived}
    return X.assign(**extra), raw + derived
