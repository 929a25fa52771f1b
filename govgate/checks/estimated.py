"""Performance estimated WITHOUT labels from calibrated scores (confidence-based performance estimation,
NannyML's CBPE), per protected group and overall, with intervals, compared with the approved baseline,
and reconciled with the realized figures once labels mature.

Estimate. With p_i = P(y=1 | score_i) (the score, recalibrated on the reference when needed, see
``govgate.checks.estimated_calibration``) and the decision d_i the model made (score >= threshold, or
given), the expected confusion matrix is, as in NannyML's ``_estimate`` for binary metrics:
E[TP] = sum_{d=1} p_i, E[FP] = sum_{d=1} (1 - p_i), E[FN] = sum_{d=0} p_i, E[TN] = sum_{d=0} (1 - p_i),
and each estimated metric is the ratio of expectations: accuracy (E[TP]+E[TN])/n, TPR E[TP]/(E[TP]+E[FN]),
FPR E[FP]/(E[FP]+E[TN]), precision E[TP]/(E[TP]+E[FP]). The selection rate is observed (the decisions are
known), not estimated.

Interval. What the estimate predicts is the value the metric WILL have when the labels arrive: given the
scores, the labels are independent Bernoulli(p_i), so the realized TP among the predicted positives and
the realized FN among the predicted negatives are two independent Poisson-binomial counts, and every
metric above is a function of these two counts (FP = predicted positives - TP, TN = predicted negatives -
FN). The interval is the central ``confidence`` range of that distribution, by a parametric bootstrap of
the two counts, seeded from the inputs: drawn Bernoulli by Bernoulli while rows x draws stays within a
budget, else from the normal with the Poisson-binomial mean sum p and variance sum p(1-p) (exact enough
there by the central limit theorem; every row beyond the budget has n well into the thousands). The
bounds are the lower/higher order statistics (conservative on a discrete count). When the scores were
recalibrated, the map itself is an estimate: it is refitted on bootstrap resamples of the reference, and
draw b subtracts how far the point estimate moves under refit b (b mod the number of refits: the basic
bootstrap, which also corrects the map's own bias, e.g. isotonic regression overshooting at the ends of
the score range; adding the move instead covered 86-93% where subtracting covers 91-94%, see
docs/estimated-performance.md), scaled by ``calibration_widening`` (1.25: the bootstrap refits understate
an isotonic map's error by about a fifth in sd; with it a 1,500-row reference covers ~95%), so the interval carries both the outcome noise and the calibration noise
(without this, a map fitted on the reference missed the realized TPR and FPR in benchmarks/estimated.py). This differs from
NannyML, whose band is +-3 standard errors of the metric sampled from the reference at the chunk's size:
that band ignores the scores of the chunk (it is as wide for scores near 0 and 1 as near 0.5) and was
not built to cover the realized value at a stated rate. Coverage is simulated in
tests/checks/test_estimated.py (labels drawn from the calibrated p_i: the interval covers the realized
value in 95% +- 2.5 points of >= 400 repeats, and at least 92.5% at the boundaries).

Inconclusive, never a silent pass: calibration poor and not fixable; a group smaller than the minimum;
a metric whose realized value would be undefined in more than (1 - confidence)/2 of the draws (no
predicted positives for precision, almost no expected positives for TPR or negatives for FPR).

Assumption (said in every message): the calibration learnt on the reference still holds in production.
Covariate shift keeps it (p(y|x) unchanged); concept shift breaks it, which only the labels can show:
hence the reconciliation with realized values (``reconcile_checks``).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from govgate.checks.estimated_auc import curve_blocks, draw_auc, expected_auc, expected_auc_sorted
from govgate.checks.estimated_calibration import (
    DEFAULT_MAX_ECE,
    Calibration,
    GroupCalibration,
    check_calibration,
    group_calibration,
)
from govgate.checks.stats import binary_codes, rng_for, seed_from
from govgate.errors import InputError
from govgate.record import Metric, Outcome, Threshold

CELL_METRICS = ("accuracy", "tpr", "fpr", "precision", "f1")  # functions of the expected confusion matrix
METRICS = (*CELL_METRICS, "roc_auc")  # ROC AUC from the expected ROC curve (govgate.checks.estimated_auc)
HIGHER_IS_BETTER = {"accuracy": True, "tpr": True, "fpr": False, "precision": True, "f1": True, "roc_auc": True}
OVERALL = "overall"
METHOD = "CBPE (expected confusion matrix from calibrated scores)"
_CHUNK_ENTRIES = 4_000_000  # draws x rows of Bernoulli draws held at once (~32 MB)


@dataclass(frozen=True)
class EstimationSettings:
    confidence: float = 0.95
    n_draws: int = 2000
    max_ece: float = DEFAULT_MAX_ECE
    min_group_size: int = 30
    min_calibration_rows: int = 50  # reference rows a group needs before its own calibration can be checked
    exact_budget: int = 50_000_000  # rows x draws simulated Bernoulli by Bernoulli; beyond: normal counts
    calibration_refits: int = 100  # bootstrap refits of a recalibration map (its uncertainty)
    # the refits' moves are scaled by this before they enter the interval (only after recalibration): the
    # bootstrap understates an isotonic map's error by about a fifth in sd (0.0065 vs 0.008 on TPR, 30
    # seeded references); 1.25 ~ 0.008 / 0.0065, measured to reach nominal coverage (estimated-performance.md)
    calibration_widening: float = 1.25


@dataclass(frozen=True)
class GroupEstimate:
    """One group's estimates: ``metrics`` holds estimated Metrics (value, interval, n); ``reasons`` says why
    a metric is missing from them; ``expected`` is the expected confusion matrix."""

    group: str
    n: int
    selection_rate: float | None
    expected: dict[str, float]
    metrics: dict[str, Metric] = field(default_factory=dict)
    reasons: dict[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class Estimation:
    calibration: Calibration
    groups: dict[str, GroupEstimate]
    settings: EstimationSettings
    group_calibration: dict[str, GroupCalibration] = field(default_factory=dict)  # when reference groups given


def expected_confusion(p: np.ndarray, d: np.ndarray) -> dict[str, float]:
    """E[TP], E[FP], E[FN], E[TN] from probabilities ``p`` and 0/1 decisions ``d``."""
    p, pos = np.asarray(p, dtype=float), np.asarray(d) == 1
    return {
        "tp": float(p[pos].sum()),
        "fp": float((1 - p[pos]).sum()),
        "fn": float(p[~pos].sum()),
        "tn": float((1 - p[~pos]).sum()),
    }


def metrics_from_cells(tp, fp, fn, tn) -> dict[str, np.ndarray]:
    """The four metrics from (expected or drawn) cells, vectorised; NaN where a denominator is 0."""
    tp, fp, fn, tn = (np.asarray(x, dtype=float) for x in (tp, fp, fn, tn))
    with np.errstate(divide="ignore", invalid="ignore"):
        out = {
            "accuracy": (tp + tn) / (tp + fp + fn + tn),
            "tpr": tp / (tp + fn),
            "fpr": fp / (fp + tn),
            "precision": tp / (tp + fp),
            "f1": 2 * tp / (2 * tp + fp + fn),
        }
    return {k: np.where(np.isfinite(v), v, np.nan) for k, v in out.items()}


def draw_counts(p: np.ndarray, n_draws: int, rng: np.random.Generator, exact_budget: int) -> np.ndarray:
    """``n_draws`` draws of sum_i Bernoulli(p_i): exact in row chunks within the budget, else normal with
    the Poisson-binomial moments, rounded and kept in [0, len(p)]."""
    p = np.asarray(p, dtype=float)
    if len(p) == 0:
        return np.zeros(n_draws)
    if len(p) * n_draws > exact_budget:
        mean, sd = p.sum(), np.sqrt((p * (1 - p)).sum())
        return np.clip(np.rint(rng.normal(mean, sd, n_draws)), 0, len(p))
    out = np.zeros(n_draws)
    step = max(1, _CHUNK_ENTRIES // n_draws)
    for start in range(0, len(p), step):
        chunk = p[start : start + step]
        out += (rng.random((n_draws, len(chunk))) < chunk).sum(axis=1)
    return out


def _interval(draws: np.ndarray, point: float, confidence: float) -> tuple[float, float, float]:
    """Lower/higher order statistics of the defined draws (conservative on a discrete count), widened to
    hold the point; and the share of draws where the metric is undefined."""
    ok = draws[~np.isnan(draws)]
    undefined = 1 - len(ok) / len(draws)
    if not len(ok):
        return float("nan"), float("nan"), undefined
    a = (1 - confidence) / 2
    lo = float(np.quantile(ok, a, method="lower"))
    hi = float(np.quantile(ok, 1 - a, method="higher"))
    return min(lo, point), max(hi, point), undefined


def estimate_group(
    label: str, p: np.ndarray, d: np.ndarray, settings: EstimationSettings, seed_parts, shifts=None, s=None
) -> GroupEstimate:
    """Estimated metrics of one group, with intervals (see the module docstring). ``shifts`` ({metric:
    array}) are the point estimate's moves under refitted calibration maps, added to the draws in turn;
    ``s`` the raw scores (their ranking is the ROC curve's; without them ROC AUC is not estimated)."""
    n = len(p)
    expected = expected_confusion(p, d)
    rate = float(np.mean(d)) if n else None
    if n < settings.min_group_size:
        why = f"{n} rows in the window, fewer than the minimum group size {settings.min_group_size}"
        return GroupEstimate(label, n, rate, expected, reasons=dict.fromkeys(METRICS, why))
    pos = d == 1
    rng = rng_for("estimated", label, *seed_parts)
    tp = draw_counts(p[pos], settings.n_draws, rng, settings.exact_budget)
    fn = draw_counts(p[~pos], settings.n_draws, rng, settings.exact_budget)
    drawn = metrics_from_cells(tp, pos.sum() - tp, fn, (~pos).sum() - fn)
    points = metrics_from_cells(**expected)
    if s is not None:  # drawn after the counts: the other metrics' draws do not depend on it
        drawn["roc_auc"] = draw_auc(p, s, settings.n_draws, rng, settings.exact_budget)
        points["roc_auc"] = np.float64(expected_auc(p, s))
    metrics, reasons = {}, {}
    for name in METRICS:
        if name not in points:
            reasons[name] = "no scores to rank: ROC AUC needs the model's scores"
            continue
        point = float(points[name])
        if shifts is not None and len(shifts.get(name, ())):
            # basic bootstrap: a refit's move away from the fitted map stands for the fitted map's move
            # away from the true one, so it is subtracted (which also takes out the map's own bias); scaled
            # because the refits understate the map's error (EstimationSettings.calibration_widening)
            moves = shifts[name][np.arange(settings.n_draws) % len(shifts[name])]
            drawn[name] = drawn[name] - settings.calibration_widening * moves
        lo, hi, undefined = _interval(drawn[name], point, settings.confidence)
        if np.isnan(point) or undefined > (1 - settings.confidence) / 2:
            reasons[name] = _undefined_reason(name, expected, undefined)
            continue
        metrics[name] = Metric(name=name, value=point, lower=lo, upper=hi, confidence=settings.confidence, n=n)
    return GroupEstimate(label, n, rate, expected, metrics, reasons)


def _undefined_reason(name: str, e: dict[str, float], undefined: float) -> str:
    base = {
        "precision": f"{e['tp'] + e['fp']:.0f} predicted positives",
        "tpr": f"{e['tp'] + e['fn']:.2f} expected positives",
        "fpr": f"{e['fp'] + e['tn']:.2f} expected negatives",
        "f1": f"{e['tp']:.2f} expected true positives",
        "roc_auc": f"{e['tp'] + e['fn']:.2f} expected positives, {e['fp'] + e['tn']:.2f} expected negatives",
        "accuracy": "no rows",
    }[name]
    return f"{base}: the realized {name} would be undefined in {undefined:.0%} of outcomes"


def _scores(values, name: str) -> np.ndarray:
    arr = np.asarray(values, dtype=float)
    if arr.ndim != 1:
        raise InputError(f"{name} must be one-dimensional; got shape {arr.shape}")
    bad = np.flatnonzero(~np.isfinite(arr) | (arr < 0) | (arr > 1))
    if bad.size:
        raise InputError(
            f"{name} must be probabilities in [0, 1] on every row; {bad.size} row(s) are not, first at "
            f"{bad[:5].tolist()} (values {arr[bad[:5]].tolist()})"
        )
    return arr


def _group_masks(groups: pd.DataFrame | None, n: int, what: str = "current scores") -> dict[str, np.ndarray]:
    masks = {OVERALL: np.ones(n, dtype=bool)}
    if groups is None:
        return masks
    if len(groups) != n:
        raise InputError(f"groups has {len(groups)} rows but {what} has {n}")
    for col in groups.columns:
        values = groups[col].astype("string").fillna("<missing>").to_numpy()
        for v in sorted(set(values)):
            masks[f"{col}={v}"] = values == v
    return masks


def estimate_performance(
    reference_labels,
    reference_scores,
    scores,
    *,
    decisions=None,
    groups: pd.DataFrame | None = None,
    threshold: float = 0.5,
    settings: EstimationSettings | None = None,
    reference_groups: pd.DataFrame | None = None,
) -> Estimation:
    """Calibration checked on the reference (labels and scores of the approved review), overall and, with
    ``reference_groups`` (the reference rows' sensitive columns), per group; then the current window's
    metrics estimated per group from its scores (no labels). A group whose own calibration is poor or
    cannot be checked is not estimated (its metrics inconclusive, the reason says why). ``decisions``
    default to ``scores >= threshold`` (the raw scores: that is what the model decided on); the
    reference's side of the threshold (for the calibration error per decision side) always comes from
    ``threshold``."""
    settings = settings or EstimationSettings()
    y_ref = binary_codes(reference_labels, "reference labels")
    s_ref = _scores(reference_scores, "reference scores")
    if len(y_ref) != len(s_ref):
        raise InputError(f"reference labels has {len(y_ref)} rows but reference scores has {len(s_ref)}")
    s = _scores(scores, "current scores")
    d = (s >= threshold).astype(np.int8) if decisions is None else binary_codes(decisions, "current decisions")
    if len(d) != len(s):
        raise InputError(f"current decisions has {len(d)} rows but current scores has {len(s)}")
    calibration = check_calibration(y_ref, s_ref, settings.max_ece, threshold, settings.calibration_refits)
    masks = _group_masks(groups, len(s))
    if not calibration.conclusive:
        empty = {g: _uncalibrated(g, m, d, calibration.reason) for g, m in masks.items()}
        return Estimation(calibration, empty, settings)
    ref_masks = _group_masks(reference_groups, len(y_ref), "reference scores") if reference_groups is not None else {}
    ref_seed = seed_from(y_ref, s_ref)
    checked = {
        g: group_calibration(
            g, y_ref[rm], calibration.reference_p[rm], (s_ref[rm] >= threshold).astype(np.int8), settings.max_ece,
            settings.min_calibration_rows, ref_seed, family=len(masks) - 1,
        )
        for g in masks
        if g != OVERALL and ref_masks
        for rm in [ref_masks.get(g, np.zeros(len(y_ref), dtype=bool))]
    }  # fmt: skip
    p = calibration.transform(s)
    shifts = calibration_shifts(calibration, s, d, masks)
    seed = seed_from(p, d)  # hashed once, not per group (a window may hold tens of millions of rows)
    est = {}
    for g, m in masks.items():
        if g in checked and not calibrated_enough(checked[g]):
            est[g] = _uncalibrated(g, m, d, f"not calibrated within the group: {checked[g].describe()}")
        else:
            est[g] = estimate_group(g, p[m], d[m], settings, (seed, calibration.method), shifts.get(g), s[m])
    return Estimation(calibration, est, settings, checked)


def calibration_threshold(gc: GroupCalibration) -> Threshold:
    return Threshold(metric="group_calibration_error", op="<=", value=round(gc.limit, 6))


def calibrated_enough(gc: GroupCalibration) -> bool:
    """A group is estimated only when its calibration could be checked and passes its limit."""
    return not gc.reason and calibration_threshold(gc).judge(gc.error) == Outcome.PASS


def calibration_shifts(calibration: Calibration, s, d, masks) -> dict[str, dict[str, np.ndarray]]:
    """How far each group's point estimates move when the calibration map is refitted on a bootstrap
    resample of the reference ({group: {metric: array}}); empty when the scores are used as given.
    The rows of every (group, decision side) are gathered in one index so each refit is one pass; each
    group's rows in descending score order give its expected ROC curve."""
    if not calibration.resamples:
        return {}
    cells = [np.flatnonzero(m & (d == side)) for m in masks.values() for side in (1, 0)]
    sizes = np.array([len(c) for c in cells], dtype=float)
    ranks = np.empty(len(s), dtype=np.int64)  # maps are evaluated on the sorted scores (interp runs faster)
    sort = np.argsort(s, kind="stable")
    ranks[sort] = np.arange(len(s))
    order, s_sorted = ranks[np.concatenate(cells)], s[sort]
    starts = np.concatenate([[0], np.cumsum(sizes[:-1])]).astype(np.int64)
    filled = sizes > 0
    curves = []
    for m in masks.values():
        desc = np.flatnonzero(m[sort])[::-1]  # the group's rows, highest score first
        curves.append((desc, curve_blocks(s_sorted[desc])[1]))  # already sorted: blocks of tied scores

    def group_metrics(p: np.ndarray) -> np.ndarray:  # groups x METRICS
        sums = np.zeros(len(cells))
        if order.size:
            sums[filled] = np.add.reduceat(p[order], starts[filled])
        s1, s0, n1, n0 = sums[0::2], sums[1::2], sizes[0::2], sizes[1::2]
        cell = metrics_from_cells(s1, n1 - s1, s0, n0 - s0)  # one entry per group, in masks' order
        auc = [expected_auc_sorted(p[desc], ends) for desc, ends in curves]
        return np.column_stack([*(cell[name] for name in CELL_METRICS), auc])

    point = group_metrics(calibration.transform(s_sorted))
    moved = np.array([group_metrics(fit(s_sorted)) for fit in calibration.resamples])
    shift = np.nan_to_num(moved - point[None])  # undefined: no move
    return {g: {name: shift[:, i, j] for j, name in enumerate(METRICS)} for i, g in enumerate(masks)}


def _uncalibrated(label: str, mask: np.ndarray, d: np.ndarray, reason: str) -> GroupEstimate:
    n = int(mask.sum())
    rate = float(d[mask].mean()) if n else None
    return GroupEstimate(label, n, rate, {}, reasons=dict.fromkeys(METRICS, reason))


def as_baseline(values: Mapping[str, Mapping[str, float]]) -> dict[str, dict[str, float]]:
    """``{metric: {group: value}}`` (group ``overall`` or ``column=value``), checked for known metrics."""
    unknown = sorted(set(values) - set(METRICS))
    if unknown:
        raise InputError(f"baseline has unknown metric(s) {unknown}; known: {list(METRICS)}")
    return {m: {g: float(v) for g, v in groups.items()} for m, groups in values.items()}
