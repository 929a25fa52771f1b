"""Multiple-testing correction across the p-value tests of one scope: Holm's step-down method.

Why Holm and not Benjamini-Hochberg: a drift 'fail' opens an incident, so what must be controlled is the
chance of ANY false alarm among a scope's columns (family-wise error), and Holm controls it under any
dependence between the tests. Features of one table are correlated and tested on the same rows; BH
controls the false discovery rate only under independence or positive dependence, and FDR is the wrong
promise for an alarm. Holm is uniformly more powerful than Bonferroni."""

from __future__ import annotations

import numpy as np


def holm(p_values: list[float]) -> list[float]:
    """Holm-adjusted p-values, in the input order: sorted ascending, p_(i) times (m - i), running maximum,
    capped at 1. NaN p-values are left out of the family and stay NaN."""
    p = np.asarray(p_values, dtype=float)
    out = np.full(len(p), np.nan)
    ok = np.flatnonzero(~np.isnan(p))
    m = len(ok)
    if m == 0:
        return out.tolist()
    order = ok[np.argsort(p[ok], kind="stable")]
    adjusted = np.maximum.accumulate(np.minimum(1.0, (m - np.arange(m)) * p[order]))
    out[order] = adjusted
    return out.tolist()
