"""The drift statistics, computed from summaries, with Evidently's definitions (legacy stattests of
evidently 0.7: ``ks_stat_test``, ``chi_stat_test``, ``z_stat_test``, ``jensenshannon_stat_test``,
``wasserstein_distance_norm``, ``psi_stat_test``)."""

from __future__ import annotations

import numpy as np
from scipy import stats
from scipy.spatial import distance

from govgate.checks.drift.constants import OTHER, PSI_EPSILON, STD_FLOOR
from govgate.checks.drift.plan import ColumnPlan, slot_points
from govgate.checks.drift.summary import CategoryCounts, NumericCounts

KS_EXACT_MAX = 10000  # scipy's ks_2samp(method="auto") is exact up to this many rows in the larger sample


# --------------------------------------------------------------------------------------------- value counts


def value_counts(plan: ColumnPlan, counted: NumericCounts | CategoryCounts) -> dict | None:
    """Counts per distinct value, or None when they are not known (values off the edges not tracked)."""
    if isinstance(counted, CategoryCounts):
        if plan.categories is None:
            return dict(counted.counts)
        out: dict = {}
        for key, n in counted.counts.items():
            key = key if key in plan.categories else OTHER
            out[key] = out.get(key, 0) + n
        return out
    if not plan.exact:
        return None
    inner = counted.counts[0::2].sum()
    if inner and counted.off_edge is None:
        return None
    out = {float(plan.edges[j]): int(c) for j, c in enumerate(counted.counts[1::2]) if c}
    out.update(counted.off_edge or {})
    return out


def recorded_bin_counts(plan: ColumnPlan, counted: NumericCounts) -> dict:
    """Counts per recorded bin, as ``np.histogram`` made the coarse reference: bin i holds [e_i, e_i+1)
    (the last bin also its right edge), so an edge value falls where the reference put it; values beyond
    the recorded range count as bins -1 (below) and k - 1 (above)."""
    k = len(plan.edges)
    slot_bin = np.empty(plan.slots, dtype=np.int64)
    slot_bin[0], slot_bin[-1] = -1, max(k - 1, 1)  # below and above the recorded range
    for s in range(1, plan.slots - 1):
        slot_bin[s] = min((s - 1) // 2, max(k - 2, 0))  # edge e_i (slot 2i+1) and interval (e_i, e_i+1)
    out: dict = {}
    for s, n in enumerate(counted.counts):
        if n:
            out[slot_bin[s]] = out.get(slot_bin[s], 0) + int(n)
    return out


def n_unique(ref: dict | None, cur: dict | None) -> int | None:
    """Distinct non-missing values of reference and current together (Evidently's ``n_values``)."""
    if ref is None or cur is None:
        return None
    return len({k for k, v in ref.items() if v} | {k for k, v in cur.items() if v})


def _aligned(ref: dict, cur: dict) -> tuple[list, np.ndarray, np.ndarray]:
    keys = sorted({k for k, v in ref.items() if v} | {k for k, v in cur.items() if v})
    return keys, np.array([ref.get(k, 0) for k in keys], float), np.array([cur.get(k, 0) for k in keys], float)


# --------------------------------------------------------------------------------------------- p-value tests


def ks_test(plan: ColumnPlan, ref: NumericCounts, cur: NumericCounts) -> tuple[float, float]:
    """Two-sample KS (two-sided) as ``scipy.stats.ks_2samp(method="auto")``. D is the largest gap of the
    two CDFs at slot boundaries: exact when the edges are every reference value (the reference CDF is flat
    between them). The p-value is scipy's own: on a sample rebuilt from the counts (same D, same sizes)
    while scipy would be exact, else Smirnov's asymptotic ``kstwo.sf(D, round(n1 n2 / (n1 + n2)))``."""
    n1, n2 = ref.counts.sum(), cur.counts.sum()
    d = float(np.max(np.abs(np.cumsum(ref.counts) / n1 - np.cumsum(cur.counts) / n2)))
    if max(n1, n2) <= KS_EXACT_MAX:
        a = np.repeat(slot_points(plan, ref.counts, ref.sums), ref.counts)
        b = np.repeat(slot_points(plan, cur.counts, cur.sums), cur.counts)
        result = stats.ks_2samp(a, b)
        return float(result.statistic), float(result.pvalue)
    m, n = sorted([float(n1), float(n2)], reverse=True)
    return d, float(np.clip(stats.kstwo.sf(d, np.round(m * n / (m + n))), 0, 1))


def chi_square_test(ref: dict, cur: dict) -> tuple[float, float]:
    """Chi-square goodness of fit of the current counts to the reference shares (Evidently's
    ``chi_stat_test``: expected = reference count x n_current / n_reference, over the union of values)."""
    _, r, c = _aligned(ref, cur)
    with np.errstate(divide="ignore", invalid="ignore"):
        result = stats.chisquare(c, r * (c.sum() / r.sum()))
    return float(result.statistic), float(result.pvalue)


def homogeneity_test(ref: dict, cur: dict) -> tuple[float, float]:
    """Pearson's chi-square test of homogeneity on the 2 x k table of counts (both samples random): the
    p-value govgate judges. Evidently's ``chi_stat_test`` takes the reference shares as known, so its
    statistic is too large by about 1 + n_current / n_reference and it raises false alarms far above
    alpha (docs/drift.md); its p-value is still recorded beside for comparison."""
    _, r, c = _aligned(ref, cur)
    result = stats.chi2_contingency(np.vstack([r, c]), correction=False)
    return float(result.statistic), float(result.pvalue)


def z_test(ref: dict, cur: dict) -> tuple[float, float]:
    """Two-proportion Z-test of 'not the first value (in sorted order)', pooled variance, two-sided
    (Evidently's ``z_stat_test``; p = 1 when both sides hold one and the same value)."""
    keys, r, c = _aligned(ref, cur)
    if len(keys) == 1:
        return 0.0, 1.0
    n1, n2 = r.sum(), c.sum()
    p1, p2 = (n1 - r[0]) / n1, (n2 - c[0]) / n2
    pooled = (p1 * n1 + p2 * n2) / (n1 + n2)
    with np.errstate(divide="ignore", invalid="ignore"):
        z = (p1 - p2) / np.sqrt(pooled * (1 - pooled) * (1.0 / n1 + 1.0 / n2))
    return float(z), float(2 * (1 - stats.norm.cdf(np.abs(z))))


# --------------------------------------------------------------------------------------------- distances


def jensen_shannon(ref: dict, cur: dict) -> float:
    """Jensen-Shannon distance (natural log) of the value shares, no zero filling (Evidently's
    ``jensenshannon_stat_test`` on value counts)."""
    _, r, c = _aligned(ref, cur)
    return float(distance.jensenshannon(r / r.sum(), c / c.sum()))


def psi(plan: ColumnPlan, ref: NumericCounts | CategoryCounts, cur: NumericCounts | CategoryCounts) -> float:
    """Population stability index sum((r - c) ln(r / c)) on the plan's PSI bins or the categories."""
    if isinstance(ref, NumericCounts):
        bins = np.searchsorted(plan.psi_cuts, np.arange(plan.slots), side="right")
        r = np.bincount(bins, weights=ref.counts, minlength=len(plan.psi_cuts) + 1)
        c = np.bincount(bins, weights=cur.counts, minlength=len(plan.psi_cuts) + 1)
    else:
        _, r, c = _aligned(value_counts(plan, ref), value_counts(plan, cur))
    r, c = _fill_zeros(r / r.sum()), _fill_zeros(c / c.sum())
    return float(np.sum((r - c) * np.log(r / c)))


def _fill_zeros(p: np.ndarray) -> np.ndarray:
    """Evidently's rule for empty bins: PSI_EPSILON, or the smallest non-zero share / 1e6 when that share
    is itself at most PSI_EPSILON."""
    smallest = p[p > 0].min()
    return np.where(p == 0, smallest / 10**6 if smallest <= PSI_EPSILON else PSI_EPSILON, p)


def std_norm(ref: NumericCounts) -> float:
    """Evidently's normaliser: the reference's population std (``np.std``), at least STD_FLOOR."""
    return max(ref.std, STD_FLOOR)
