"""Fairness by group with bootstrap intervals, exact and fast.

Rows are collapsed once to a count table over (group cell, y_true, y_pred), where a cell is one
combination of the sensitive features' levels (sex x age_group: 2 x 4 = 8 cells). Every confusion-matrix
metric of every group is a function of those counts, so the figures equal Fairlearn's MetricFrame on raw
rows (tests hold them to 1e-9) at a cost that does not grow with the rows after the one counting pass.
Each feature on its own is a marginal of the cell table.

Resampling rows with replacement is the same as drawing multinomial counts over the table's entries, so
``n_boot`` bootstrap resamples are one seeded (n_boot x entries) multinomial draw; every per-group metric
and every disparity is then computed for all resamples at once, and percentile intervals are taken.

Groups below ``min_group_size`` (or empty) are not compared: they are reported inconclusive and left out
of the disparities; equalized-odds figures also leave out groups without positives or negatives (TPR or
FPR undefined). A disparity with fewer than two comparable groups is inconclusive.

No Prefect import: the flow calls these plain functions.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from govgate.errors import InputError
from govgate.record import Check, Finding, Metric, Outcome, Severity, Threshold

GROUP_METRICS = (
    "selection_rate",
    "true_positive_rate",
    "false_positive_rate",
    "false_negative_rate",
    "true_negative_rate",
    "accuracy",
    "precision",
)
DISPARITIES = (
    "demographic_parity_difference",
    "demographic_parity_ratio",
    "equalized_odds_difference",
    "equalized_odds_ratio",
    "true_positive_rate_difference",
    "false_positive_rate_difference",
    "accuracy_difference",
)
LOWER_IS_BETTER = frozenset(d for d in DISPARITIES if d.endswith("_difference"))
# Disparities that need TPR/FPR: only groups with positives and negatives take part.
ODDS_FAMILY = frozenset(
    (
        "equalized_odds_difference",
        "equalized_odds_ratio",
        "true_positive_rate_difference",
        "false_positive_rate_difference",
    )
)
# (disparity, comparison, ModelReviewRules attribute): the thresholds the gate decides on.
RULES = (
    ("demographic_parity_difference", "<=", "max_demographic_parity_difference"),
    ("demographic_parity_ratio", ">=", "min_demographic_parity_ratio"),
    ("equalized_odds_difference", "<=", "max_equalized_odds_difference"),
)
# The metric whose highest and lowest groups explain each disparity in messages.
DRIVER = {
    "demographic_parity_difference": "selection_rate",
    "demographic_parity_ratio": "selection_rate",
    "true_positive_rate_difference": "true_positive_rate",
    "false_positive_rate_difference": "false_positive_rate",
    "accuracy_difference": "accuracy",
}
# What each metric's value rests on (Metric.n): its denominator.
_DENOMINATOR = {
    "selection_rate": "n",
    "accuracy": "n",
    "true_positive_rate": "positives",
    "false_negative_rate": "positives",
    "false_positive_rate": "negatives",
    "true_negative_rate": "negatives",
    "precision": "predicted_positives",
}

MAX_GROUPS = 2000  # per feature and for the intersection; more means an unbinned column
MISSING = "<missing>"
_BOOT_CHUNK_ENTRIES = 20_000_000  # resamples x table entries drawn at once (bounds memory, ~160 MB)
SCHEMA = "govgate.fairness/1"


# --------------------------------------------------------------------------------------------- report


@dataclass
class Estimate:
    """A point estimate with its bootstrap percentile interval (None when not computed or undefined)."""

    value: float | None
    lower: float | None = None
    upper: float | None = None


@dataclass
class GroupStats:
    """One group: a level of a feature ("sex=female") or a cell of the intersection
    ("sex=female & age_group=<25"), its confusion counts and metrics."""

    name: str
    levels: dict[str, str]  # feature -> level
    n: int
    tn: int
    fp: int
    fn: int
    tp: int
    status: str  # ok | empty | small | no_positives | no_negatives
    reason: str  # why the group is not fully assessed ("" when ok)
    metrics: dict[str, Estimate] = field(default_factory=dict)

    @property
    def positives(self) -> int:
        return self.tp + self.fn

    @property
    def negatives(self) -> int:
        return self.tn + self.fp

    @property
    def predicted_positives(self) -> int:
        return self.tp + self.fp

    @property
    def small(self) -> bool:
        """Too small (or empty) to be compared at all."""
        return self.status in ("empty", "small")

    @property
    def inconclusive(self) -> bool:
        return self.status != "ok"


@dataclass
class FeatureFairness:
    """Groups and disparities of one sensitive feature, or of the intersection of several."""

    key: str  # "sex", or "sex & age_group" for the intersection
    features: list[str]
    groups: list[GroupStats]
    disparities: dict[str, Estimate]  # only those that could be computed
    inconclusive: dict[str, str]  # disparity -> why it could not be computed
    compared: dict[str, list[str]]  # "demographic_parity" / "equalized_odds" -> names of the groups compared
    extremes: dict[str, dict[str, Any]]  # metric -> {"max": group, "max_value": v, "min": group, "min_value": v}

    def group(self, name: str) -> GroupStats:
        for g in self.groups:
            if g.name == name:
                return g
        raise KeyError(name)

    @property
    def small_groups(self) -> list[str]:
        return [g.name for g in self.groups if g.small]


@dataclass
class FairnessReport:
    """Per-feature and intersectional group tables with bootstrap intervals; picklable.
    ``to_dict()`` is the JSON form the record keeps (``from_dict`` reads it back)."""

    features: dict[str, FeatureFairness]  # each sensitive feature on its own, then the intersection
    intersection: str | None  # key of the intersection in ``features`` (None with one feature)
    n: int
    n_boot: int
    confidence: float
    min_group_size: int
    seed: int
    pos_label: Any
    schema: str = SCHEMA

    def to_dict(self) -> dict:
        return asdict(self)

    @classmethod
    def from_dict(cls, data: dict) -> FairnessReport:
        features = {}
        for key, f in data["features"].items():
            groups = [
                GroupStats(**{**g, "metrics": {m: Estimate(**e) for m, e in g["metrics"].items()}}) for g in f["groups"]
            ]
            features[key] = FeatureFairness(
                **{**f, "groups": groups, "disparities": {d: Estimate(**e) for d, e in f["disparities"].items()}}
            )
        return cls(**{**data, "features": features})


# --------------------------------------------------------------------------------------------- inputs


def _column_label(values, name: str) -> str:
    col = getattr(values, "name", None)
    return f"{name} (column {col!r})" if isinstance(values, pd.Series) and col is not None else name


def _binary(values, name: str, pos_label) -> np.ndarray:
    """0/1 as int8 (1 = ``pos_label``). NaN, or a column that is not binary, is an InputError that names
    the column and the offending values."""
    label = _column_label(values, name)
    arr = values.to_numpy() if isinstance(values, (pd.Series, pd.Index)) else np.asarray(values)
    if arr.ndim == 2 and arr.shape[1] == 1:
        arr = arr[:, 0]
    if arr.ndim != 1:
        raise InputError(f"{label} must be one-dimensional; got shape {arr.shape}")
    if (
        arr.dtype.kind in "biu"
        and arr.size
        and (pos_label is True or (not isinstance(pos_label, str) and pos_label == 1))
    ):
        if arr.min() >= 0 and arr.max() <= 1:  # the common case, no hashing
            return arr.astype(np.int8, copy=False)
    if arr.dtype.kind == "f":
        missing = np.isnan(arr)
    elif arr.dtype.kind in "mM":
        missing = np.isnat(arr)
    elif arr.dtype.kind == "O":
        missing = pd.isna(arr)
    else:
        missing = None
    if missing is not None and missing.any():
        rows = np.flatnonzero(missing)
        raise InputError(
            f"{label} has {rows.size} missing (NaN) value(s), first at row(s) {rows[:5].tolist()}; "
            "fairness metrics need a binary label on every row"
        )
    distinct = pd.unique(arr)
    hit = [v for v in distinct if _equal(v, pos_label)]
    if len(distinct) > 2 or (len(distinct) == 2 and not hit):
        shown = _show(distinct)
        if not hit:
            raise InputError(
                f"{label} is not binary for positive label {pos_label!r}: no value equals it; "
                f"found {len(distinct)} distinct value(s) {shown}"
            )
        others = [v for v in distinct if not _equal(v, pos_label)]
        offending = [v for v in others if not _equal(v, 0)] if any(_equal(v, 0) for v in others) else others
        raise InputError(
            f"{label} must be binary (positive label {pos_label!r} and one other value); found "
            f"{len(distinct)} distinct values {shown}; offending: {_show(offending)}"
        )
    return (arr == pos_label).astype(np.int8) if hit else np.zeros(arr.shape, np.int8)


def _equal(a, b) -> bool:
    try:
        return bool(a == b)
    except (TypeError, ValueError):
        return False


def _show(values, limit: int = 10) -> str:
    vals = [v.item() if isinstance(v, np.generic) else v for v in values]
    try:
        vals = sorted(vals)
    except TypeError:
        pass
    more = f" (+{len(vals) - limit} more)" if len(vals) > limit else ""
    return repr(vals[:limit]) + more


def _codes(series: pd.Series, name: str) -> tuple[np.ndarray, list[str]]:
    """Integer codes (0..levels-1) and level names; NaN becomes its own level ``<missing>``.
    A categorical keeps all its categories (an unused one is an empty, inconclusive group)."""
    if isinstance(series.dtype, pd.CategoricalDtype):
        codes = series.cat.codes.to_numpy()
        levels = [str(c) for c in series.cat.categories]
    else:
        try:
            codes, uniques = pd.factorize(series, sort=True)
        except TypeError:  # mixed types that do not sort
            codes, uniques = pd.factorize(series, sort=False)
        levels = [str(u) for u in uniques]
    if codes.size and codes.min() < 0:
        codes = np.where(codes < 0, len(levels), codes)
        levels.append(MISSING)
    if len(levels) > MAX_GROUPS:
        raise InputError(
            f"sensitive feature {name!r} has {len(levels):,} distinct values (at most {MAX_GROUPS:,} groups); "
            "bin it first (e.g. age bands)"
        )
    return codes, levels


def _cells(codes: list[np.ndarray], sizes: list[int], names: list[str]) -> tuple[np.ndarray, np.ndarray]:
    """Row -> cell index, and cell -> level index per feature (cells x features). Every combination is a
    cell while there are at most MAX_GROUPS (a dense count table); beyond that only the observed ones."""
    cell = codes[0].astype(np.int32 if sizes[0] < 2**29 else np.int64)
    grid = np.arange(sizes[0])[:, None]
    for c, size in zip(codes[1:], sizes[1:]):
        count = grid.shape[0] * size
        dtype = np.int32 if count < 2**29 else np.int64
        cell = cell.astype(dtype, copy=False) * size + c
        grid = np.hstack([np.repeat(grid, size, axis=0), np.tile(np.arange(size), grid.shape[0])[:, None]])
        if count > MAX_GROUPS:
            cell, observed = pd.factorize(cell, sort=True)
            grid = grid[observed]
    if grid.shape[0] > MAX_GROUPS:
        raise InputError(
            f"the intersection of {names} has {grid.shape[0]:,} occupied cells (at most {MAX_GROUPS:,}); "
            "bin the features or pass fewer"
        )
    return cell, grid


# --------------------------------------------------------------------------------------------- metrics


def _rates(c: np.ndarray) -> dict[str, np.ndarray]:
    """Metrics from counts [..., 4] = (tn, fp, fn, tp), any leading shape (groups; resamples x groups).
    A zero denominator gives NaN (undefined)."""
    c = c.astype(np.float64, copy=False)
    tn, fp, fn, tp = c[..., 0], c[..., 1], c[..., 2], c[..., 3]
    n, pos, neg, pp = tn + fp + fn + tp, tp + fn, tn + fp, tp + fp
    with np.errstate(divide="ignore", invalid="ignore"):
        return {
            "selection_rate": pp / n,
            "true_positive_rate": tp / pos,
            "false_positive_rate": fp / neg,
            "false_negative_rate": fn / pos,
            "true_negative_rate": tn / neg,
            "accuracy": (tp + tn) / n,
            "precision": tp / pp,
        }


def _disparities(r: dict[str, np.ndarray], dp: np.ndarray, eo: np.ndarray) -> dict[str, np.ndarray]:
    """Between-groups disparities over the last axis, as Fairlearn defines them (equalized odds: the worse
    of the TPR and FPR figures). ``dp``/``eo``: indices of the groups each family compares. An undefined
    group metric (a resample without positives in a group) makes that value NaN."""
    out: dict[str, np.ndarray] = {}
    with np.errstate(divide="ignore", invalid="ignore"):
        if dp.size >= 2:
            sel, acc = r["selection_rate"][..., dp], r["accuracy"][..., dp]
            hi, lo = sel.max(-1), sel.min(-1)
            out["demographic_parity_difference"] = hi - lo
            out["demographic_parity_ratio"] = lo / hi
            out["accuracy_difference"] = acc.max(-1) - acc.min(-1)
        if eo.size >= 2:
            tpr, fpr = r["true_positive_rate"][..., eo], r["false_positive_rate"][..., eo]
            tpr_d, fpr_d = tpr.max(-1) - tpr.min(-1), fpr.max(-1) - fpr.min(-1)
            out["equalized_odds_difference"] = np.maximum(tpr_d, fpr_d)
            out["equalized_odds_ratio"] = np.minimum(tpr.min(-1) / tpr.max(-1), fpr.min(-1) / fpr.max(-1))
            out["true_positive_rate_difference"] = tpr_d
            out["false_positive_rate_difference"] = fpr_d
    return out


def _quantiles(s: np.ndarray, valid: np.ndarray, q: np.ndarray) -> np.ndarray:
    """Linear-interpolated quantile ``q`` (per column) of the first ``valid`` sorted values of each column."""
    pos = q * np.maximum(valid - 1, 0)
    i0 = np.floor(pos).astype(np.intp)
    i1 = np.minimum(i0 + 1, np.maximum(valid - 1, 0))
    a = np.take_along_axis(s, i0[None, ...], 0)[0]
    b = np.take_along_axis(s, i1[None, ...], 0)[0]
    return np.where(valid > 0, a + (pos - i0) * (b - a), np.nan)


def _intervals(samples: np.ndarray, point: np.ndarray, confidence: float) -> tuple[np.ndarray, np.ndarray]:
    """Bias-corrected percentile bootstrap intervals (Efron's BC) over axis 0, vectorised; NaN resamples
    (metric undefined in that resample) are left out. The correction matters for max - min disparities,
    whose resamples sit above the estimate; for a rate it is close to the plain percentile interval. The
    interval is widened to include the point estimate when the resamples all fall on one side of it."""
    from scipy.special import ndtr, ndtri

    point = np.asarray(point, dtype=np.float64)
    s = np.sort(samples, axis=0)  # NaN sort last
    valid = (~np.isnan(samples)).sum(0)
    with np.errstate(invalid="ignore"):
        below = (samples < point).sum(0) + 0.5 * (samples == point).sum(0)
        p0 = np.clip(below / np.maximum(valid, 1), 0.5 / np.maximum(valid, 1), 1 - 0.5 / np.maximum(valid, 1))
    z0 = ndtri(p0)
    z = ndtri(1 - (1 - confidence) / 2)
    lower = _quantiles(s, valid, ndtr(2 * z0 - z))
    upper = _quantiles(s, valid, ndtr(2 * z0 + z))
    return np.fmin(lower, point), np.fmax(upper, point)


def _f(x) -> float | None:
    x = float(x)
    return None if np.isnan(x) else x


def _status(n: int, pos: int, neg: int, m: int) -> tuple[str, str]:
    if n == 0:
        return "empty", "no members"
    if n < m:
        return "small", f"n={n} < min_group_size {m}"
    if pos == 0:
        return "no_positives", "no positive labels (TPR undefined)"
    if neg == 0:
        return "no_negatives", "no negative labels (FPR undefined)"
    return "ok", ""


def fairness_report(
    y_true,
    y_pred,
    sensitive: pd.DataFrame,
    *,
    min_group_size: int,
    n_boot: int = 1000,
    confidence: float = 0.95,
    seed: int = 0,
    pos_label=1,
) -> FairnessReport:
    """Per-group metrics and disparities with bootstrap intervals, for each sensitive feature on its own
    and, with several, for their intersection. Labels and predictions are binary (``pos_label`` is the
    favourable / positive value); rows are matched by position."""
    if isinstance(sensitive, pd.Series):
        sensitive = sensitive.to_frame()
    if not isinstance(sensitive, pd.DataFrame) or sensitive.shape[1] == 0:
        raise InputError("no sensitive feature given (a DataFrame with one column per feature is needed)")
    names = [str(c) for c in sensitive.columns]
    if len(set(names)) != len(names):
        raise InputError(f"sensitive feature names repeat: {names}")
    if not isinstance(min_group_size, (int, np.integer)) or min_group_size < 1:
        raise InputError(f"min_group_size must be a positive integer; got {min_group_size!r}")
    if not isinstance(n_boot, (int, np.integer)) or n_boot < 0:
        raise InputError(f"n_boot must be a non-negative integer; got {n_boot!r}")
    if not 0 < confidence < 1:
        raise InputError(f"confidence must be between 0 and 1; got {confidence!r}")
    y = _binary(y_true, "y_true", pos_label)
    d = _binary(y_pred, "y_pred", pos_label)
    if not len(y) == len(d) == len(sensitive):
        raise InputError(
            f"y_true ({len(y)}), y_pred ({len(d)}) and sensitive features ({len(sensitive)}) differ in length"
        )
    if len(y) == 0:
        raise InputError("no rows: y_true, y_pred and the sensitive features are empty")
    min_group_size = int(min_group_size)

    # One counting pass: row -> cell, then (cell, y_true, y_pred) counts.
    coded = [_codes(sensitive.iloc[:, j], names[j]) for j in range(len(names))]
    codes, levels = [c for c, _ in coded], [lv for _, lv in coded]
    cell, grid = _cells(codes, [len(lv) for lv in levels], names)
    n_cells = grid.shape[0]
    entry = cell * 4
    entry += y * 2 + d
    table = np.bincount(entry, minlength=n_cells * 4).reshape(n_cells, 4)
    del entry, cell

    # Each key: a membership matrix cells -> groups (a feature's marginal) or the cells themselves.
    keys: list[tuple[str, list[str], np.ndarray, list[dict[str, str]]]] = []
    for j, name in enumerate(names):
        member = np.zeros((n_cells, len(levels[j])))
        member[np.arange(n_cells), grid[:, j]] = 1.0
        keys.append((name, [name], member, [{name: lv} for lv in levels[j]]))
    if len(names) > 1:
        occupied = np.flatnonzero(table.sum(1))  # combinations that no row has are not groups
        keys.append(
            (
                " & ".join(names),
                names,
                occupied,
                [{nm: levels[j][i] for j, (nm, i) in enumerate(zip(names, grid[c]))} for c in occupied],
            )
        )

    def marginal(counts: np.ndarray, member: np.ndarray) -> np.ndarray:
        # counts (..., cells, 4) -> (..., groups, 4): the occupied cells (an index), or a feature's levels (a
        # cells x levels membership matrix; exact, integer counts are far below 2**53)
        if member.ndim == 1:
            return counts[..., member, :]
        return np.swapaxes(np.swapaxes(counts, -1, -2) @ member, -1, -2)

    point = {key: marginal(table.astype(np.float64), member) for key, _, member, _ in keys}
    status = {}
    for key, _, _, _ in keys:
        c = point[key]
        status[key] = [
            _status(int(c[i].sum()), int(c[i, 2] + c[i, 3]), int(c[i, 0] + c[i, 1]), min_group_size)
            for i in range(len(c))
        ]
    comparable = {
        key: (
            np.array([i for i, (s, _) in enumerate(st) if s not in ("empty", "small")], dtype=np.intp),
            np.array([i for i, (s, _) in enumerate(st) if s == "ok"], dtype=np.intp),
        )
        for key, st in status.items()
    }

    # Bootstrap: multinomial draws over the table's non-zero entries, n_boot x entries, in chunks.
    boot_groups: dict[str, dict[str, np.ndarray]] = {}
    boot_disp: dict[str, dict[str, np.ndarray]] = {}
    total = int(table.sum())
    if n_boot and total:
        rng = np.random.default_rng(seed)
        flat = table.ravel()
        nz = np.flatnonzero(flat)
        p = flat[nz] / total
        sizes = {key: (n_boot, point[key].shape[0]) for key in point}
        boot_groups = {key: {m: np.empty(sizes[key]) for m in GROUP_METRICS} for key in point}
        boot_disp = {key: {} for key in point}
        chunk = max(1, _BOOT_CHUNK_ENTRIES // flat.size)
        for start in range(0, n_boot, chunk):
            b = min(chunk, n_boot - start)
            draws = np.zeros((b, flat.size))
            draws[:, nz] = rng.multinomial(total, p, size=b)
            draws = draws.reshape(b, n_cells, 4)
            for key, _, member, _ in keys:
                r = _rates(marginal(draws, member))
                for m in GROUP_METRICS:
                    boot_groups[key][m][start : start + b] = r[m]
                for name, v in _disparities(r, *comparable[key]).items():
                    boot_disp[key].setdefault(name, np.empty(n_boot))[start : start + b] = v

    features: dict[str, FeatureFairness] = {}
    for key, feats, _, group_levels in keys:
        c = point[key]
        r = _rates(c)
        bounds = {m: _intervals(boot_groups[key][m], r[m], confidence) for m in GROUP_METRICS} if boot_groups else {}
        groups = []
        for i, lv in enumerate(group_levels):
            metrics = {}
            for m in GROUP_METRICS:
                v = _f(r[m][i])
                lo = hi = None
                if bounds and v is not None:
                    lo, hi = _f(bounds[m][0][i]), _f(bounds[m][1][i])
                metrics[m] = Estimate(v, lo, hi)
            tn, fp, fn, tp = (int(x) for x in c[i])
            st, why = status[key][i]
            groups.append(
                GroupStats(
                    name=" & ".join(f"{k}={v}" for k, v in lv.items()),
                    levels=lv,
                    n=tn + fp + fn + tp,
                    tn=tn,
                    fp=fp,
                    fn=fn,
                    tp=tp,
                    status=st,
                    reason=why,
                    metrics=metrics,
                )
            )
        dp_idx, eo_idx = comparable[key]
        values = _disparities(r, dp_idx, eo_idx)
        disparities, inconclusive = {}, {}
        for name in DISPARITIES:
            family_idx = eo_idx if name in ODDS_FAMILY else dp_idx
            v = _f(values[name]) if name in values else None
            if v is None:
                left_out = [
                    f"{g.name} ({g.reason})" for g in groups if g.inconclusive and (name in ODDS_FAMILY or g.small)
                ]
                if family_idx.size < 2:
                    need = "positives and negatives and " if name in ODDS_FAMILY else ""
                    inconclusive[name] = (
                        f"fewer than 2 groups of {key} have {need}at least {min_group_size} members"
                        + (f"; not compared: {', '.join(left_out)}" if left_out else "")
                    )
                else:
                    inconclusive[name] = "undefined: the largest rate is 0 (no ratio)"
                continue
            lo = hi = None
            if name in boot_disp.get(key, {}):
                lo, hi = (_f(x) for x in _intervals(boot_disp[key][name], values[name], confidence))
            disparities[name] = Estimate(v, lo, hi)
        compared = {
            "demographic_parity": [groups[i].name for i in dp_idx],
            "equalized_odds": [groups[i].name for i in eo_idx],
        }
        extremes = {}
        for m, idx in (
            ("selection_rate", dp_idx),
            ("accuracy", dp_idx),
            ("true_positive_rate", eo_idx),
            ("false_positive_rate", eo_idx),
        ):
            if idx.size:
                vals = r[m][idx]
                hi_i, lo_i = idx[int(np.argmax(vals))], idx[int(np.argmin(vals))]
                extremes[m] = {
                    "max": groups[hi_i].name,
                    "max_value": float(r[m][hi_i]),
                    "min": groups[lo_i].name,
                    "min_value": float(r[m][lo_i]),
                }
        features[key] = FeatureFairness(
            key=key,
            features=feats,
            groups=groups,
            disparities=disparities,
            inconclusive=inconclusive,
            compared=compared,
            extremes=extremes,
        )
    label = pos_label.item() if isinstance(pos_label, np.generic) else pos_label
    return FairnessReport(
        features=features,
        intersection=" & ".join(names) if len(names) > 1 else None,
        n=len(y),
        n_boot=int(n_boot) if total else 0,
        confidence=float(confidence),
        min_group_size=min_group_size,
        seed=int(seed),
        pos_label=label if isinstance(label, (int, float, str, bool)) else str(label),
    )


# --------------------------------------------------------------------------------------------- checks


def _metric(name: str, e: Estimate, confidence: float, n: int | None = None) -> Metric:
    return Metric(
        name=name,
        value=e.value,
        lower=e.lower,
        upper=e.upper,
        confidence=confidence if e.lower is not None else None,
        n=n,
    )


def _interval(e: Estimate, confidence: float) -> str:
    return f" ({confidence * 100:g}% interval {e.lower:.4f}..{e.upper:.4f})" if e.lower is not None else ""


def _explain(f: FeatureFairness, name: str) -> tuple[str, str, str]:
    """The metric behind a disparity and its highest and lowest groups, as text."""
    metric = DRIVER.get(name)
    if metric is None:  # equalized odds: whichever of TPR / FPR differs more
        t, p = f.disparities.get("true_positive_rate_difference"), f.disparities.get("false_positive_rate_difference")
        metric = "false_positive_rate" if (p and t and (p.value or 0) > (t.value or 0)) else "true_positive_rate"
    ex = f.extremes.get(metric)
    if not ex:
        return metric, "?", "?"
    return metric, f"{ex['max']} ({ex['max_value']:.3f})", f"{ex['min']} ({ex['min_value']:.3f})"


def fairness_checks(report: FairnessReport, rules) -> tuple[list[Check], list[Finding]]:
    """Per feature (and the intersection): a per-group metrics check (inconclusive when a group is too
    small to assess), and each disparity the rules bound. Fail when the point estimate breaks the
    threshold; warn when it passes but the interval's unfavourable bound crosses it; inconclusive when
    fewer than two groups can be compared. One high finding per failure."""
    checks: list[Check] = []
    findings: list[Finding] = []
    conf = report.confidence
    for key, f in report.features.items():
        metrics = []
        for g in f.groups:
            if g.n == 0:
                continue
            for m in GROUP_METRICS:
                metrics.append(_metric(f"{m}[{g.name}]", g.metrics[m], conf, getattr(g, _DENOMINATOR[m])))
        unsure = [g for g in f.groups if g.inconclusive]
        assessed = len(f.groups) - len(unsure)
        checks.append(
            Check(
                id=f"fairness.groups.{key}",
                title=f"Metrics by group: {key}",
                category="fairness",
                outcome=Outcome.INCONCLUSIVE if unsure else Outcome.PASS,
                message=f"{assessed} of {len(f.groups)} group(s) assessed"
                + (
                    f"; inconclusive (neither pass nor fail): {', '.join(f'{g.name} ({g.reason})' for g in unsure)}"
                    if unsure
                    else ""
                ),
                metrics=metrics,
                threshold=Threshold(metric="n", op=">=", value=report.min_group_size),
                evidence_kind="fairness_eval",
                details={
                    "groups": {
                        g.name: {
                            "n": g.n,
                            "positives": g.positives,
                            "predicted_positives": g.predicted_positives,
                            "status": g.status,
                            "reason": g.reason,
                        }
                        for g in f.groups
                    },
                    "disparities": {d: asdict(e) for d, e in f.disparities.items()},
                    "n_boot": report.n_boot,
                },
            )
        )
        for name, op, attr in RULES:
            limit = getattr(rules, attr)
            cid = f"fairness.{key}.{name}"
            title = f"{name.replace('_', ' ')} by {key}"
            threshold = Threshold(metric="value", op=op, value=limit)
            est = f.disparities.get(name)
            if est is None or est.value is None:
                checks.append(
                    Check(
                        id=cid,
                        title=title,
                        category="fairness",
                        outcome=Outcome.INCONCLUSIVE,
                        threshold=threshold,
                        message=f.inconclusive.get(name, "not computed"),
                        evidence_kind="fairness_eval",
                    )
                )
                continue
            worse = (lambda x, lim=limit: x > lim) if op == "<=" else (lambda x, lim=limit: x < lim)
            bound = est.upper if op == "<=" else est.lower
            if worse(est.value):
                outcome = Outcome.FAIL
            elif bound is not None and worse(bound):
                outcome = Outcome.WARN
            else:
                outcome = Outcome.PASS
            metric, hi, lo = _explain(f, name)
            family = "equalized_odds" if name in ODDS_FAMILY else "demographic_parity"
            left_out = [f"{g.name} ({g.reason})" for g in f.groups if g.name not in f.compared[family]]
            msg = f"{est.value:.4f}{_interval(est, conf)}; limit {op} {limit}"
            if outcome == Outcome.FAIL:
                msg += f": breaks it; highest {metric.replace('_', ' ')} {hi}, lowest {lo}"
            elif outcome == Outcome.WARN:
                msg += f": passes, but the interval's {'upper' if op == '<=' else 'lower'} bound {bound:.4f} crosses the limit (uncertain)"
            if left_out:
                msg += f"; not compared: {', '.join(left_out)}"
            n_compared = sum(g.n for g in f.groups if g.name in f.compared[family])
            checks.append(
                Check(
                    id=cid,
                    title=title,
                    category="fairness",
                    outcome=outcome,
                    message=msg,
                    metrics=[_metric("value", est, conf, n_compared)],
                    threshold=threshold,
                    evidence_kind="fairness_eval",
                    details={"groups_compared": f.compared[family]},
                )
            )
            if outcome == Outcome.FAIL:
                findings.append(
                    Finding(
                        id=f"{cid}.exceeded",
                        severity=Severity.HIGH,
                        category="fairness",
                        check_id=cid,
                        location={"feature": key},
                        message=f"{name.replace('_', ' ')} by {key} is {est.value:.3f}, beyond the limit {op} {limit}: "
                        f"highest {metric.replace('_', ' ')} {hi}, lowest {lo}",
                        remediation="investigate the gap (label bias, proxies, sampling); mitigate (reweighing, "
                        "per-group review of thresholds as the policy allows) and re-review",
                    )
                )
    return checks, findings


def baseline_checks(
    report: FairnessReport, baseline: dict, tolerance: float, *, baseline_record: str | None = None
) -> list[Check]:
    """One-sided, per disparity: no worse than ``baseline`` (an earlier report's ``to_dict()``) by more
    than ``tolerance`` (differences may not grow, ratios may not shrink, by more than that). Inconclusive
    when the disparity is missing in either report."""
    checks = []
    base = (baseline or {}).get("features") or {}
    keys = list(report.features) + [k for k in base if k not in report.features]
    for key in keys:
        f = report.features.get(key)
        old_f = base.get(key) or {}
        for name in DISPARITIES:
            cid = f"fairness.{key}.{name}.vs_baseline"
            title = f"{name.replace('_', ' ')} by {key} no worse than the baseline"
            threshold = Threshold(metric="worsening", op="<=", value=tolerance, baseline_record=baseline_record)
            cur = f.disparities.get(name) if f else None
            old = ((old_f.get("disparities") or {}).get(name) or {}).get("value")
            if cur is None or cur.value is None or old is None:
                where = [
                    w
                    for w, missing in (
                        ("the current report", cur is None or cur.value is None),
                        ("the baseline", old is None),
                    )
                    if missing
                ]
                why = f.inconclusive.get(name) if f and cur is None else None
                checks.append(
                    Check(
                        id=cid,
                        title=title,
                        category="fairness",
                        outcome=Outcome.INCONCLUSIVE,
                        threshold=threshold,
                        message=f"missing in {' and '.join(where)}" + (f" ({why})" if why else ""),
                        evidence_kind="fairness_eval",
                    )
                )
                continue
            worsening = cur.value - old if name in LOWER_IS_BETTER else old - cur.value
            fail = worsening > tolerance + 1e-12
            checks.append(
                Check(
                    id=cid,
                    title=title,
                    category="fairness",
                    outcome=Outcome.FAIL if fail else Outcome.PASS,
                    message=f"now {cur.value:.4f}, baseline {old:.4f}: {'worse' if worsening > 0 else 'not worse'} by "
                    f"{max(worsening, 0):.4f} (tolerance {tolerance})",
                    metrics=[
                        Metric(name="worsening", value=float(worsening)),
                        _metric("current", cur, report.confidence),
                        Metric(name="baseline", value=float(old)),
                    ],
                    threshold=threshold,
                    evidence_kind="fairness_eval",
                )
            )
    return checks
