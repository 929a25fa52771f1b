"""Fairness by group with intervals, exact and fast.

Rows are collapsed once to a count table over (group cell, y_true, y_pred), where a cell is one
combination of the sensitive features' levels (sex x age_group: 2 x 4 = 8 cells). Every confusion-matrix
metric of every group is a function of those counts, so the figures equal Fairlearn's MetricFrame on raw
rows (tests hold them to 1e-9) at a cost that does not grow with the rows after the one counting pass.
Each feature on its own is a marginal of the cell table.

Intervals come from ``govgate.checks.stats`` (its docstring argues the choice): Wilson for each group's
rates; for two groups, Newcombe's interval of the signed difference folded to the absolute gap, and
MOVER-R for the min/max ratio; for more than two groups, a seeded percentile bootstrap (multinomial
resamples of the count table, all disparities of all resamples at once) on the signed statistic, folded.

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

from govgate import protocol
from govgate.checks.stats import (
    binary_codes,
    bootstrap_gap,
    bootstrap_ratio,
    confusion_cells,
    confusion_rates,
    gap_interval,
    multinomial_resamples,
    rate_estimates,
    rate_parts,
    ratio_interval,
    seed_from,
)
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
MAX_PAIRS = 200_000  # pairwise comparisons behind one simultaneous interval (beyond: its bound is 0 or 1)
SCHEMA = protocol.FAIRNESS_SCHEMA


# --------------------------------------------------------------------------------------------- report


@dataclass
class Estimate:
    """A point estimate with its interval (None when not computed or undefined)."""

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
    """Per-feature and intersectional group tables with intervals; picklable.
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


def _validated(sensitive, min_group_size, n_boot, confidence) -> tuple[pd.DataFrame, list[str]]:
    """The sensitive features as a DataFrame and their names; an InputError for any bad argument."""
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
    return sensitive, names


def _coded_rows(y_true, y_pred, sensitive: pd.DataFrame, pos_label) -> tuple[np.ndarray, np.ndarray]:
    y = binary_codes(y_true, "y_true", pos_label)
    d = binary_codes(y_pred, "y_pred", pos_label)
    if not len(y) == len(d) == len(sensitive):
        raise InputError(
            f"y_true ({len(y)}), y_pred ({len(d)}) and sensitive features ({len(sensitive)}) differ in length"
        )
    if len(y) == 0:
        raise InputError("no rows: y_true, y_pred and the sensitive features are empty")
    return y, d


# --------------------------------------------------------------------------------------------- groups


@dataclass
class _Key:
    """One grouping: a feature's levels (``member``: cells x levels membership matrix) or the occupied
    cells of the intersection (``member``: an index of cells)."""

    key: str
    features: list[str]
    member: np.ndarray
    levels: list[dict[str, str]]

    def marginal(self, counts: np.ndarray) -> np.ndarray:
        """counts (..., cells, 4) -> (..., groups, 4); exact (integer counts are far below 2**53)."""
        if self.member.ndim == 1:
            return counts[..., self.member, :]
        return np.swapaxes(np.swapaxes(counts, -1, -2) @ self.member, -1, -2)


def _count_table(y, d, sensitive: pd.DataFrame, names: list[str]) -> tuple[np.ndarray, list[_Key]]:
    """One counting pass: row -> cell, then (cell, y_true, y_pred) counts; and the groupings over it."""
    coded = [_codes(sensitive.iloc[:, j], names[j]) for j in range(len(names))]
    codes, levels = [c for c, _ in coded], [lv for _, lv in coded]
    cell, grid = _cells(codes, [len(lv) for lv in levels], names)
    n_cells = grid.shape[0]
    table = confusion_cells(y, d, cell, n_cells)
    del cell
    keys = []
    for j, name in enumerate(names):
        member = np.zeros((n_cells, len(levels[j])))
        member[np.arange(n_cells), grid[:, j]] = 1.0
        keys.append(_Key(name, [name], member, [{name: lv} for lv in levels[j]]))
    if len(names) > 1:
        occupied = np.flatnonzero(table.sum(1))  # combinations that no row has are not groups
        cells = [{nm: levels[j][i] for j, (nm, i) in enumerate(zip(names, grid[c]))} for c in occupied]
        keys.append(_Key(" & ".join(names), names, occupied, cells))
    return table, keys


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


def _statuses(c: np.ndarray, m: int) -> list[tuple[str, str]]:
    return [_status(int(g.sum()), int(g[2] + g[3]), int(g[0] + g[1]), m) for g in c]


def _comparable(status: list[tuple[str, str]]) -> tuple[np.ndarray, np.ndarray]:
    """Indices of the groups each family compares: (demographic parity: not small, equalized odds: ok)."""
    dp = [i for i, (s, _) in enumerate(status) if s not in ("empty", "small")]
    eo = [i for i, (s, _) in enumerate(status) if s == "ok"]
    return np.array(dp, dtype=np.intp), np.array(eo, dtype=np.intp)


# --------------------------------------------------------------------------------------------- disparities


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


# disparity -> (family, group metric(s) it is built on, kind)
_BUILT_ON = {
    "demographic_parity_difference": ("dp", ("selection_rate",), "gap"),
    "demographic_parity_ratio": ("dp", ("selection_rate",), "ratio"),
    "accuracy_difference": ("dp", ("accuracy",), "gap"),
    "true_positive_rate_difference": ("eo", ("true_positive_rate",), "gap"),
    "false_positive_rate_difference": ("eo", ("false_positive_rate",), "gap"),
    "equalized_odds_difference": ("eo", ("true_positive_rate", "false_positive_rate"), "gap"),
    "equalized_odds_ratio": ("eo", ("true_positive_rate", "false_positive_rate"), "ratio"),
}


def _pairwise_interval(c: np.ndarray, metrics, kind: str, confidence: float) -> tuple[float, float] | None:
    """Closed-form interval from every pair of groups (rows of ``c``): Newcombe for a gap, MOVER-R for a
    ratio, each at the Bonferroni level 1 - alpha / (pairs x metrics), so all hold together at 1 - alpha
    and the largest gap (smallest ratio) lies between the largest lower and the largest upper bound (the
    smallest ...). With two groups and one metric this is the plain two-group interval. None beyond
    ``MAX_PAIRS`` comparisons (the level would make it useless)."""
    i, j = np.triu_indices(c.shape[0], 1)
    if i.size * len(metrics) > MAX_PAIRS:
        return None
    level = 1 - (1 - confidence) / (i.size * len(metrics))
    interval = gap_interval if kind == "gap" else ratio_interval
    lows, highs = [], []
    for m in metrics:
        k, n = rate_parts(c, m)
        lo, hi = interval(k[i], n[i], k[j], n[j], level)
        lows.append(lo)
        highs.append(hi)
    lows, highs = np.concatenate(lows), np.concatenate(highs)
    if kind == "gap":  # the largest of the gaps
        return float(np.nanmax(lows)), float(np.nanmax(highs))
    return float(np.nanmin(lows)), float(np.nanmin(highs))  # the smallest of the ratios


def _interval_of(name: str, c, dp, eo, boot: dict, confidence: float) -> tuple[float, float]:
    """Two groups: the closed form. More: the bootstrap's interval, its near bound (the gap's lower, the
    ratio's upper) relaxed to the simultaneous pairwise one, which reaches 0 (1) when the rates are equal,
    where the bootstrap of the extreme pair does not reliably."""
    family, metrics, kind = _BUILT_ON[name]
    idx = dp if family == "dp" else eo
    pairwise = _pairwise_interval(c[idx], metrics, kind, confidence)
    if idx.size == 2:
        return pairwise
    lo, hi = boot[name]
    if kind == "gap":
        return min(lo, pairwise[0] if pairwise else 0.0), hi
    return lo, max(hi, pairwise[1] if pairwise else 1.0)


def _extreme_pair(point: dict[str, np.ndarray], idx: np.ndarray, metrics) -> tuple[str, int, int]:
    """The metric and groups (highest, lowest) that make the disparity in the data."""
    spans = {m: np.nanmax(point[m][idx]) - np.nanmin(point[m][idx]) for m in metrics}
    if len(metrics) > 1 and all(np.isfinite(list(spans.values()))):
        metric = max(metrics, key=lambda m: spans[m])
    else:
        metric = metrics[0]
    vals = point[metric][idx]
    return metric, int(idx[int(np.nanargmax(vals))]), int(idx[int(np.nanargmin(vals))])


def _resampled_statistics(boot_r, point_r, dp, eo, names) -> dict[str, tuple[np.ndarray, np.ndarray]]:
    """Per disparity: (signed statistic of the pair extreme in the data, the disparity itself) for each
    resample (see ``stats.bootstrap_gap``)."""
    spread = _disparities(boot_r, dp, eo)
    out = {}
    with np.errstate(divide="ignore", invalid="ignore"):
        for name in names:
            family, metrics, kind = _BUILT_ON[name]
            if kind == "ratio":  # the extreme pair of a ratio is the one with the smallest ratio
                ratios = {m: np.nanmin(point_r[m][eo]) / np.nanmax(point_r[m][eo]) for m in metrics}
                metrics = (min(metrics, key=lambda m: ratios[m]),) if len(metrics) > 1 else metrics
            metric, hi, lo = _extreme_pair(point_r, dp if family == "dp" else eo, metrics)
            r = boot_r[metric]
            signed = r[:, hi] - r[:, lo] if kind == "gap" else r[:, lo] / r[:, hi]
            out[name] = (signed, spread[name])
    return out


def _bootstrap_intervals(
    table: np.ndarray, keys: list[_Key], point: dict, comparable: dict, names: dict, n_boot, rng, confidence
) -> dict[str, dict[str, tuple[float, float]]]:
    """Percentile bootstrap intervals of the disparities that have no closed form (``names[key]``): one
    set of multinomial resamples over the count table serves every grouping."""
    signed: dict[str, dict[str, list]] = {k.key: {n: [] for n in names[k.key]} for k in keys}
    spread: dict[str, dict[str, list]] = {k.key: {n: [] for n in names[k.key]} for k in keys}
    wanted = [k for k in keys if names[k.key]]
    if not wanted or n_boot <= 0:
        return {}
    for draws in multinomial_resamples(table, n_boot, rng):
        for k in wanted:
            boot_r = confusion_rates(k.marginal(draws))
            stats = _resampled_statistics(boot_r, confusion_rates(point[k.key]), *comparable[k.key], names[k.key])
            for name, (s, sp) in stats.items():
                signed[k.key][name].append(s)
                spread[k.key][name].append(sp)
    out: dict[str, dict[str, tuple[float, float]]] = {}
    for k in wanted:
        values = _disparities(confusion_rates(point[k.key]), *comparable[k.key])
        for name in names[k.key]:
            method = bootstrap_gap if _BUILT_ON[name][2] == "gap" else bootstrap_ratio
            s, sp = np.concatenate(signed[k.key][name]), np.concatenate(spread[k.key][name])
            lo, hi = method(s, sp, values[name], confidence)
            out.setdefault(k.key, {})[name] = (float(lo), float(hi))
    return out


def _needs_bootstrap(values: dict, dp: np.ndarray, eo: np.ndarray) -> list[str]:
    """Defined disparities over more than two groups (no closed-form interval)."""
    size = {"dp": dp.size, "eo": eo.size}
    return [n for n, v in values.items() if not np.isnan(v) and size[_BUILT_ON[n][0]] > 2]


def _disparity_estimates(c, dp, eo, boot: dict, confidence: float, with_intervals: bool) -> dict[str, Estimate]:
    """Each defined disparity of one grouping with its interval: closed form for two groups, else the
    bootstrap's (``boot``)."""
    out = {}
    for name, v in _disparities(confusion_rates(c), dp, eo).items():
        value = _f(v)
        if value is None:
            continue
        lo = hi = None
        if with_intervals:
            lo, hi = _interval_of(name, c, dp, eo, boot, confidence)
            lo, hi = min(lo, value), max(hi, value)
        out[name] = Estimate(value, lo, hi)
    return out


# --------------------------------------------------------------------------------------------- report


def _f(x) -> float | None:
    x = float(x)
    return None if np.isnan(x) else x


def _groups(k: _Key, c: np.ndarray, status, confidence: float, with_intervals: bool) -> list[GroupStats]:
    """Group stats of one grouping: counts, status, and each group metric with its Wilson interval."""
    est = rate_estimates(c, GROUP_METRICS, confidence)
    groups = []
    for i, lv in enumerate(k.levels):
        metrics = {}
        for m in GROUP_METRICS:
            v, lo, hi = (_f(x[i]) for x in est[m])
            metrics[m] = Estimate(v, lo, hi) if with_intervals and v is not None else Estimate(v)
        tn, fp, fn, tp = (int(x) for x in c[i])
        st, why = status[i]
        name = " & ".join(f"{f}={v}" for f, v in lv.items())
        groups.append(GroupStats(name, lv, tn + fp + fn + tp, tn, fp, fn, tp, st, why, metrics))
    return groups


def _why_inconclusive(key: str, groups: list[GroupStats], dp, eo, disparities, min_group_size) -> dict[str, str]:
    out = {}
    for name in DISPARITIES:
        if name in disparities:
            continue
        odds = name in ODDS_FAMILY
        left_out = [f"{g.name} ({g.reason})" for g in groups if g.inconclusive and (odds or g.small)]
        if (eo if odds else dp).size < 2:
            need = "positives and negatives and " if odds else ""
            out[name] = f"fewer than 2 groups of {key} have {need}at least {min_group_size} members" + (
                f"; not compared: {', '.join(left_out)}" if left_out else ""
            )
        else:
            out[name] = "undefined: the largest rate is 0 (no ratio)"
    return out


def _extremes(r: dict[str, np.ndarray], groups: list[GroupStats], dp, eo) -> dict[str, dict[str, Any]]:
    extremes = {}
    for m, idx in (("selection_rate", dp), ("accuracy", dp), ("true_positive_rate", eo), ("false_positive_rate", eo)):
        if idx.size:
            vals = r[m][idx]
            hi_i, lo_i = idx[int(np.argmax(vals))], idx[int(np.argmin(vals))]
            extremes[m] = {
                "max": groups[hi_i].name,
                "max_value": float(r[m][hi_i]),
                "min": groups[lo_i].name,
                "min_value": float(r[m][lo_i]),
            }
    return extremes


def _feature(k: _Key, c, status, comparable, boot, confidence, with_intervals, min_group_size) -> FeatureFairness:
    dp, eo = comparable
    groups = _groups(k, c, status, confidence, with_intervals)
    disparities = _disparity_estimates(c, dp, eo, boot, confidence, with_intervals)
    return FeatureFairness(
        key=k.key,
        features=k.features,
        groups=groups,
        disparities=disparities,
        inconclusive=_why_inconclusive(k.key, groups, dp, eo, disparities, min_group_size),
        compared={"demographic_parity": [groups[i].name for i in dp], "equalized_odds": [groups[i].name for i in eo]},
        extremes=_extremes(confusion_rates(c), groups, dp, eo),
    )


def fairness_report(
    y_true,
    y_pred,
    sensitive: pd.DataFrame,
    *,
    min_group_size: int,
    n_boot: int = 1000,
    confidence: float = 0.95,
    seed: int | None = None,
    pos_label=1,
) -> FairnessReport:
    """Per-group metrics and disparities with intervals, for each sensitive feature on its own and, with
    several, for their intersection. Labels and predictions are binary (``pos_label`` is the favourable /
    positive value); rows are matched by position. ``n_boot=0`` reports no intervals; ``seed`` (default:
    derived from the count table and the arguments) seeds the bootstrap of groupings of > 2 groups."""
    sensitive, names = _validated(sensitive, min_group_size, n_boot, confidence)
    y, d = _coded_rows(y_true, y_pred, sensitive, pos_label)
    min_group_size, n_boot = int(min_group_size), int(n_boot)
    table, keys = _count_table(y, d, sensitive, names)
    if seed is None:
        seed = seed_from("fairness_report", table, [k.levels for k in keys], min_group_size, n_boot, confidence)
    point = {k.key: k.marginal(table.astype(np.float64)) for k in keys}
    status = {k.key: _statuses(point[k.key], min_group_size) for k in keys}
    comparable = {key: _comparable(st) for key, st in status.items()}
    boot_names = {
        k.key: _needs_bootstrap(_disparities(confusion_rates(point[k.key]), *comparable[k.key]), *comparable[k.key])
        for k in keys
    }
    rng = np.random.default_rng(seed)
    boot = _bootstrap_intervals(table, keys, point, comparable, boot_names, n_boot, rng, confidence)
    with_intervals = n_boot > 0
    features = {
        k.key: _feature(
            k,
            point[k.key],
            status[k.key],
            comparable[k.key],
            boot.get(k.key, {}),
            confidence,
            with_intervals,
            min_group_size,
        )
        for k in keys
    }
    label = pos_label.item() if isinstance(pos_label, np.generic) else pos_label
    return FairnessReport(
        features=features,
        intersection=" & ".join(names) if len(names) > 1 else None,
        n=len(y),
        n_boot=n_boot,
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


# Group metric -> (what a worse rate means for the people in the group, whether the worse rate is the lowest).
# {g}: the group, {pos}: the favourable (positive) label the review was given.
HARM = {
    "selection_rate": ("people in {g} receive the favourable decision ({pos}) less often", True),
    "true_positive_rate": (
        "qualified people in {g} (true label {pos}) are refused the favourable decision more often",
        True,
    ),
    "false_positive_rate": (
        "people in {g} without the favourable label ({pos}) are wrongly given it more often",
        False,
    ),
    "accuracy": ("decisions on people in {g} are wrong more often", True),
}
# The group metrics each judged disparity rests on (equalized odds: both error rates).
JUDGED_ON = {
    "demographic_parity_difference": ("selection_rate",),
    "demographic_parity_ratio": ("selection_rate",),
    "equalized_odds_difference": ("true_positive_rate", "false_positive_rate"),
    "equalized_odds_ratio": ("true_positive_rate", "false_positive_rate"),
    **{d: (m,) for d, m in DRIVER.items()},
}


def _estimate_text(e: Estimate) -> str:
    ci = f" [{e.lower:.3f}, {e.upper:.3f}]" if e.lower is not None and e.upper is not None else ""
    return f"{e.value:.3f}{ci}"


def harmed(f: FeatureFairness, metric: str, pos_label) -> dict[str, Any] | None:
    """The group with the worse rate of ``metric`` among the groups compared, the best one for contrast,
    and the sentence that says who is worse off; None when fewer than two groups were compared."""
    ex = f.extremes.get(metric)
    if not ex or ex["max"] == ex["min"] or ex["max_value"] == ex["min_value"]:
        return None  # one group, or equal rates: nobody is worse off
    words, low_is_worse = HARM[metric]
    worse, better = (ex["min"], ex["max"]) if low_is_worse else (ex["max"], ex["min"])
    w, b = f.group(worse).metrics[metric], f.group(better).metrics[metric]
    family = "equalized_odds" if metric in ("true_positive_rate", "false_positive_rate") else "demographic_parity"
    n = len(f.compared[family])
    contrast = f"for {better}" + (f" (the best of {n} groups compared)" if n > 2 else "")
    sentence = (
        f"{words.format(g=worse, pos=pos_label)}: {metric.replace('_', ' ')} {_estimate_text(w)} "
        f"vs {_estimate_text(b)} {contrast}"
    )
    return {
        "metric": metric,
        "group": worse,
        "value": w.value,
        "compared_with": better,
        "other": b.value,
        "text": sentence,
    }


def _coverage(f: FeatureFairness, family: str, min_group_size: int) -> dict[str, Any]:
    """How many groups a disparity compared, and which were left out and why."""
    left_out = [g for g in f.groups if g.name not in f.compared[family]]
    return {
        "groups": len(f.groups),
        "compared": len(f.compared[family]),
        "too_small": [g.name for g in left_out if g.small],
        "left_out": {g.name: g.reason for g in left_out},
        "text": f"{len(f.compared[family])} of {len(f.groups)} groups compared"
        + (
            f"; {sum(g.small for g in left_out)} too small (n < {min_group_size}) or empty"
            if any(g.small for g in left_out)
            else ""
        ),
    }


def group_limits(f: FeatureFairness, rules) -> dict[str, dict[str, Any]]:
    """Where each judged group metric's limit falls for one group, given the best group's rate: the line a
    chart draws (a group beyond it makes the disparity break its limit, on the point estimates)."""
    out: dict[str, dict[str, Any]] = {}
    sel, tpr, fpr = (f.extremes.get(m) for m in ("selection_rate", "true_positive_rate", "false_positive_rate"))
    d, r, e = (
        rules.max_demographic_parity_difference,
        rules.min_demographic_parity_ratio,
        rules.max_equalized_odds_difference,
    )
    if sel and (d is not None or r is not None):
        best = sel["max_value"]
        line = max(
            x for x in (best - d if d is not None else None, best * r if r is not None else None) if x is not None
        )
        out["selection_rate"] = {
            "op": ">=",
            "value": round(line, 3),
            "why": f"best group {sel['max']} {best:.3f}; demographic parity difference <= {d}, ratio >= {r}",
        }
    if tpr and e is not None:
        why = f"best group {tpr['max']} {tpr['max_value']:.3f}; equalized odds difference <= {e}"
        out["true_positive_rate"] = {"op": ">=", "value": round(tpr["max_value"] - e, 3), "why": why}
    if fpr and e is not None:
        why = f"lowest group {fpr['min']} {fpr['min_value']:.3f}; equalized odds difference <= {e}"
        out["false_positive_rate"] = {"op": "<=", "value": round(fpr["min_value"] + e, 3), "why": why}
    return out


def _groups_check(f: FeatureFairness, report: FairnessReport, rules=None) -> Check:
    """Every group's metrics; inconclusive (not failed) when a group is too small or lacks a class."""
    metrics = [
        _metric(f"{m}[{g.name}]", g.metrics[m], report.confidence, getattr(g, _DENOMINATOR[m]))
        for g in f.groups
        if g.n
        for m in GROUP_METRICS
    ]
    unsure = [g for g in f.groups if g.inconclusive]
    threshold = Threshold(metric="n", op=">=", value=report.min_group_size)
    assessed = [g.n for g in f.groups if not g.inconclusive]
    outcome = Outcome.INCONCLUSIVE if unsure else threshold.judge(min(assessed, default=None))
    message = f"{len(f.groups) - len(unsure)} of {len(f.groups)} group(s) assessed"
    if unsure:
        message += f"; inconclusive (neither pass nor fail): {', '.join(f'{g.name} ({g.reason})' for g in unsure)}"
    details = {
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
        "limits": group_limits(f, rules) if rules is not None else {},
    }
    return Check(
        id=f"fairness.groups.{f.key}",
        title=f"Metrics by group: {f.key}",
        category="fairness",
        outcome=outcome,
        message=message,
        metrics=metrics,
        threshold=threshold,
        evidence_kind="fairness_eval",
        details=details,
    )


def _rule_message(f: FeatureFairness, name: str, est: Estimate, threshold: Threshold, outcome, report) -> str:
    conf = report.confidence
    op, limit = threshold.op, threshold.value
    family = "equalized_odds" if name in ODDS_FAMILY else "demographic_parity"
    msg = f"{est.value:.4f}{_interval(est, conf)}; limit {op} {limit}"
    if outcome == Outcome.FAIL:
        msg += ": breaks it"
    elif outcome == Outcome.WARN:
        within = threshold.holds(est.value)
        side = ("upper" if op == "<=" else "lower") if within else ("lower" if op == "<=" else "upper")
        bound = est.upper if side == "upper" else est.lower
        verdict = "passes, but" if within else "breaks it, but"
        msg += f": {verdict} the interval's {side} bound {bound:.4f} {'crosses' if within else 'is within'} the limit (uncertain)"
    harms = [h["text"] for m in JUDGED_ON.get(name, ()) if (h := harmed(f, m, report.pos_label))]
    if harms:
        msg += ". Worse off: " + "; ".join(harms)
    coverage = _coverage(f, family, report.min_group_size)
    msg += f". {coverage['text']}"
    if coverage["left_out"]:
        msg += f"; not compared: {', '.join(f'{g} ({why})' for g, why in coverage['left_out'].items())}"
    return msg


def _rule_check(f: FeatureFairness, name: str, op: str, limit, report: FairnessReport) -> tuple[Check, Finding | None]:
    """One disparity against its limit; the outcome is the threshold's judgement of the interval."""
    conf = report.confidence
    cid, title = f"fairness.{f.key}.{name}", f"{name.replace('_', ' ')} by {f.key}"
    threshold = Threshold(metric="value", op=op, value=limit)
    common = dict(id=cid, title=title, category="fairness", threshold=threshold, evidence_kind="fairness_eval")
    est = f.disparities.get(name)
    family = "equalized_odds" if name in ODDS_FAMILY else "demographic_parity"
    coverage = _coverage(f, family, report.min_group_size)
    if est is None or est.value is None:
        message = f"{f.inconclusive.get(name, 'not computed')} ({coverage['text']})"
        details = {"coverage": {k: v for k, v in coverage.items() if k != "text"}}
        return Check(**common, outcome=Outcome.INCONCLUSIVE, message=message, details=details), None
    outcome = threshold.judge(est.value, est.lower, est.upper)
    n_compared = sum(g.n for g in f.groups if g.name in f.compared[family])
    harms = [h for m in JUDGED_ON.get(name, ()) if (h := harmed(f, m, report.pos_label))]
    check = Check(
        **common,
        outcome=outcome,
        message=_rule_message(f, name, est, threshold, outcome, report),
        metrics=[_metric("value", est, conf, n_compared)],
        details={
            "groups_compared": f.compared[family],
            "coverage": {k: v for k, v in coverage.items() if k != "text"},
            "worse_off": harms,
        },
    )
    if outcome != Outcome.FAIL:
        return check, None
    metric, hi, lo = _explain(f, name)
    who = "; ".join(h["text"] for h in harms) or f"highest {metric.replace('_', ' ')} {hi}, lowest {lo}"
    finding = Finding(
        id=f"{cid}.exceeded",
        severity=Severity.HIGH,
        category="fairness",
        check_id=cid,
        location={"feature": f.key, **({"group": harms[0]["group"]} if harms else {})},
        message=f"{name.replace('_', ' ')} by {f.key} is {est.value:.3f}, beyond the limit {op} {limit}: {who}",
        remediation="investigate the gap (label bias, proxies, sampling); mitigate (reweighing, "
        "per-group review of thresholds as the policy allows) and re-review",
    )
    return check, finding


def fairness_checks(report: FairnessReport, rules) -> tuple[list[Check], list[Finding]]:
    """Per feature (and the intersection): a per-group metrics check (inconclusive when a group is too
    small to assess), and each disparity the rules bound, judged by its threshold on the interval (pass
    when the interval clears the limit, fail when it lies beyond, warn when it straddles); inconclusive
    when fewer than two groups can be compared. One high finding per failure."""
    checks: list[Check] = []
    findings: list[Finding] = []
    for f in report.features.values():
        checks.append(_groups_check(f, report, rules))
        for name, op, attr in RULES:
            check, finding = _rule_check(f, name, op, getattr(rules, attr), report)
            checks.append(check)
            findings += [finding] if finding else []
    return checks, findings


def baseline_checks(report: FairnessReport, baseline: dict, tolerance: float, *, ref=None) -> list[Check]:
    """One-sided, per disparity: no worse than ``baseline`` (an earlier report's ``to_dict()``) by more
    than ``tolerance`` (differences may not grow, ratios may not shrink, by more than that), judged on the
    current disparity's interval (``govgate.checks.baseline``). ``ref`` (a ``BaselineRef``) names the
    version and record compared with. Inconclusive when the disparity is missing in either report."""
    from govgate.checks.baseline import missing_baseline_check, vs_baseline_check

    checks = []
    base = (baseline or {}).get("features") or {}
    keys = list(report.features) + [k for k in base if k not in report.features]
    for key in keys:
        f = report.features.get(key)
        old_f = base.get(key) or {}
        for name in DISPARITIES:
            common = dict(
                cid=f"fairness.{key}.{name}.vs_baseline",
                title=f"{name.replace('_', ' ')} by {key} no worse than the approved version",
                category="fairness",
                evidence_kind="fairness_eval",
                tolerance=tolerance,
                baseline=ref,
            )
            cur = f.disparities.get(name) if f else None
            old = ((old_f.get("disparities") or {}).get(name) or {}).get("value")
            if cur is not None and cur.value is not None and old is not None:
                current = _metric("value", cur, report.confidence)
                checks.append(
                    vs_baseline_check(
                        **common, current=current, old=float(old), higher_is_better=name not in LOWER_IS_BETTER
                    )
                )
                continue
            missing = [("the current report", cur is None or cur.value is None), ("the baseline", old is None)]
            why = f.inconclusive.get(name) if f and cur is None else None
            checks.append(missing_baseline_check(**common, where=[w for w, gone in missing if gone], why=why))
    return checks
