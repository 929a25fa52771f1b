"""How one column is summarised: its kind and, for numbers, the fixed edges taken from the reference."""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from govgate.checks.drift.constants import (
    CATEGORICAL,
    EXACT_EDGES_MAX,
    NUMERIC,
    OFF_EDGE_CAP,
    PSI_BINS,
    QUANTILE_BINS,
)


@dataclass
class ColumnPlan:
    name: str
    kind: str  # NUMERIC or CATEGORICAL
    edges: np.ndarray = field(default_factory=lambda: np.empty(0))  # sorted, unique (numeric only)
    exact: bool = False  # the edges are every distinct reference value: KS, chi-square and Z are exact
    psi_cuts: np.ndarray = field(default_factory=lambda: np.empty(0, dtype=np.int64))  # slot indices
    categories: tuple[str, ...] | None = None  # a recorded reference's top categories (others -> OTHER)
    approximate: str = ""  # why tests on this column are approximate, when they are
    binned: bool = False  # the reference is known only as counts per interval (a recorded summary)

    @property
    def slots(self) -> int:
        return 2 * len(self.edges) + 1

    @property
    def tracks_off_edge(self) -> bool:
        return self.kind == NUMERIC and self.exact and len(self.edges) <= OFF_EDGE_CAP


def is_numeric(series) -> bool:
    import pandas as pd

    return bool(pd.api.types.is_numeric_dtype(series) and not pd.api.types.is_bool_dtype(series))


def clean_numbers(series) -> np.ndarray:
    """Float values without NaN and +-inf (Evidently drops both before testing)."""
    x = np.asarray(series, dtype=float)
    return x[np.isfinite(x)]


def numeric_plan(name: str, values: np.ndarray) -> ColumnPlan:
    """Edges from reference values: every distinct value when there are at most EXACT_EDGES_MAX of them,
    else QUANTILE_BINS reference quantiles; PSI cuts at the reference deciles."""
    distinct = np.unique(values)
    if len(distinct) <= EXACT_EDGES_MAX:
        plan = ColumnPlan(name=name, kind=NUMERIC, edges=distinct, exact=True)
    else:
        edges = np.unique(np.quantile(values, np.linspace(0, 1, QUANTILE_BINS + 1)))
        plan = ColumnPlan(name=name, kind=NUMERIC, edges=edges)
    plan.psi_cuts = psi_cuts(plan, values, distinct)
    return plan


def psi_cuts(plan: ColumnPlan, values: np.ndarray, distinct: np.ndarray) -> np.ndarray:
    """Slot indices where a PSI bin starts: each value when a column has at most PSI_BINS values, else the
    reference deciles (a decile that is no edge cuts before the interval that holds it)."""
    edges = plan.edges
    if len(edges) == 0:
        return np.empty(0, dtype=np.int64)
    if plan.exact and len(distinct) <= PSI_BINS:
        points = edges[1:]
    else:
        points = np.unique(np.quantile(values, np.linspace(0, 1, PSI_BINS + 1))[1:-1])
    j = np.searchsorted(edges, points, side="left")
    on_edge = (j < len(edges)) & (edges[np.minimum(j, len(edges) - 1)] == points)
    return np.unique(np.where(on_edge, 2 * j + 1, 2 * j)).astype(np.int64)


def categorical_plan(name: str, categories: tuple[str, ...] | None = None) -> ColumnPlan:
    return ColumnPlan(name=name, kind=CATEGORICAL, categories=categories)


def slot_points(plan: ColumnPlan, counts: np.ndarray, sums: np.ndarray) -> np.ndarray:
    """A representative value per slot: the edge for edge slots, the mean of the values in an interval
    (inside it, so KS and order are kept), NaN for empty intervals."""
    points = np.full(plan.slots, np.nan)
    points[1::2] = plan.edges
    inner = np.arange(0, plan.slots, 2)
    with np.errstate(invalid="ignore", divide="ignore"):
        points[inner] = np.where(counts[inner] > 0, sums[inner] / np.maximum(counts[inner], 1), np.nan)
    return points


def as_binned(plan: ColumnPlan, counted):
    """Current counts seen as the reference is seen when only its bin counts are known: the values of each
    interval between two edges at the interval's middle (the reference's own assumption), so that equal
    distributions compare equal. The tails beyond the reference's range keep their exact sums."""
    from dataclasses import replace

    if not plan.binned or len(plan.edges) < 2:
        return counted
    sums = counted.sums.copy()
    mids = (plan.edges[1:] + plan.edges[:-1]) / 2
    sums[2:-1:2] = counted.counts[2:-1:2] * mids
    return replace(counted, sums=sums)
