"""The first Wasserstein distance from slot counts, with a bound on what the binning hides.

W = integral of |F_ref - F_cur|. Over each open interval between two edges the integral of the signed
difference is exact from the counts and value sums of the interval (integral of the in-interval CDF
G is m (hi - mean)); the absolute value is exact too unless the two CDFs may cross inside the interval.
Where they may, the integral lies between |signed integral| and a bound from the largest possible gap;
the estimate is |signed integral| when the gap has the same sign at both ends of the interval, else the
integral of the gap taken as linear, kept inside those bounds. Edge values are
points (no width); the two tails beyond the reference's range hold no reference mass, so no crossing."""

from __future__ import annotations

import numpy as np

from govgate.checks.drift.plan import ColumnPlan
from govgate.checks.drift.summary import NumericCounts


def wasserstein_bounds(plan: ColumnPlan, ref: NumericCounts, cur: NumericCounts) -> tuple[float, float, float]:
    """(estimate, lower, upper) of the Wasserstein distance between the two summaries."""
    n_r, n_c = ref.counts.sum(), cur.counts.sum()
    cum_r = np.concatenate([[0.0], np.cumsum(ref.counts) / n_r])
    cum_c = np.concatenate([[0.0], np.cumsum(cur.counts) / n_c])
    k = len(plan.edges)
    j = np.arange(k + 1)
    s = 2 * j  # interval slots
    lo = np.concatenate([[-np.inf], plan.edges])
    hi = np.concatenate([plan.edges, [np.inf]])
    a, b = cum_r[s], cum_c[s]  # CDFs just above lo
    m_r, m_c = ref.counts[s] / n_r, cur.counts[s] / n_c
    # integral of the in-interval CDF: m (hi - mean) = (count hi - sum) / n, finite intervals
    with np.errstate(invalid="ignore"):
        g_r = np.where(ref.counts[s] > 0, (ref.counts[s] * hi - ref.sums[s]) / n_r, 0.0)
        g_c = np.where(cur.counts[s] > 0, (cur.counts[s] * hi - cur.sums[s]) / n_c, 0.0)
        # the upper tail measured from lo: integral of (mass above x) = (sum - count lo) / n
        h_r = np.where(ref.counts[s] > 0, (ref.sums[s] - ref.counts[s] * lo) / n_r, 0.0)
        h_c = np.where(cur.counts[s] > 0, (cur.sums[s] - cur.counts[s] * lo) / n_c, 0.0)
    w = hi - lo
    signed = np.empty(k + 1)
    inner = slice(1, k) if k > 1 else slice(0, 0)
    signed[inner] = (a - b)[inner] * w[inner] + g_r[inner] - g_c[inner]
    signed[0] = g_r[0] - g_c[0]  # below the first edge both CDFs start at 0
    if k:
        signed[k] = -h_r[k] + h_c[k]  # above the last edge both CDFs end at 1
    lower = np.abs(signed)
    f0, f1 = a - b, a - b + m_r - m_c
    may_cross = ~((f0 - m_c >= 0) | (f0 + m_r <= 0)) & np.isfinite(w)
    upper, estimate = lower.copy(), lower.copy()
    if may_cross.any():
        wc, sc = w[may_cross], signed[may_cross]
        up = np.minimum(
            sc + 2 * wc * np.maximum(0, -(f0 - m_c)[may_cross]), -sc + 2 * wc * np.maximum(0, (f0 + m_r)[may_cross])
        )
        # estimate: the CDF gap at the two ends of the interval is exact; when it keeps its sign a crossing
        # inside one bin is unlikely and |signed| is taken, else the gap is taken as linear between them
        x0, x1 = f0[may_cross], f1[may_cross]
        with np.errstate(invalid="ignore", divide="ignore"):
            linear = wc * (x0**2 + x1**2) / (2 * (np.abs(x0) + np.abs(x1)))
        linear = np.where(x0 * x1 < 0, linear, np.abs(sc))
        upper[may_cross] = np.maximum(up, lower[may_cross])
        estimate[may_cross] = np.clip(linear, lower[may_cross], upper[may_cross])
    return float(estimate.sum()), float(lower.sum()), float(upper.sum())
