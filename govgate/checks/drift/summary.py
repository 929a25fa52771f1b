"""Mergeable summaries of one column in one scope (the whole data or one protected group).

A numeric column is counted on the ordered *slots* of its plan's edges: slot ``2j`` is the open interval
below edge ``j`` (slot 0 reaches down to -inf, slot ``2k`` up to +inf), slot ``2j + 1`` is the edge value
itself. Counts and value sums per slot, the count of missing values, the moments (n, mean, M2) and, when
the plan tracks them, the counts of off-edge values are all merged by addition (moments by Chan's
formula), so partitions merge in any grouping to the summary of the whole."""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from govgate.checks.drift.constants import OFF_EDGE_CAP

Scope = tuple[str, str]  # (group column, group value); OVERALL for all rows
OVERALL: Scope = ("", "")


def scope_label(scope: Scope) -> str:
    return "all rows" if scope == OVERALL else f"{scope[0]}={scope[1]}"


@dataclass
class NumericCounts:
    counts: np.ndarray  # int64, one per slot
    sums: np.ndarray  # float64, sum of the values in each slot
    missing: int = 0
    n: int = 0
    mean: float = 0.0
    m2: float = 0.0  # sum of squared deviations from the mean
    off_edge: dict[float, int] | None = None  # None: not tracked, or more than OFF_EDGE_CAP distinct

    @property
    def std(self) -> float:
        """Population standard deviation (ddof 0, as ``np.std``)."""
        return float(np.sqrt(self.m2 / self.n)) if self.n else float("nan")

    def merge(self, other: NumericCounts) -> NumericCounts:
        n = self.n + other.n
        if n:
            delta = other.mean - self.mean
            mean = self.mean + delta * other.n / n
            m2 = self.m2 + other.m2 + delta * delta * self.n * other.n / n
        else:
            mean, m2 = 0.0, 0.0
        return NumericCounts(
            counts=self.counts + other.counts,
            sums=self.sums + other.sums,
            missing=self.missing + other.missing,
            n=n,
            mean=float(mean),
            m2=float(m2),
            off_edge=merge_capped(self.off_edge, other.off_edge),
        )


@dataclass
class CategoryCounts:
    counts: dict[str, int] = field(default_factory=dict)
    missing: int = 0

    @property
    def n(self) -> int:
        return int(sum(self.counts.values()))

    def merge(self, other: CategoryCounts) -> CategoryCounts:
        counts = dict(self.counts)
        for key, value in other.counts.items():
            counts[key] = counts.get(key, 0) + value
        return CategoryCounts(counts=counts, missing=self.missing + other.missing)


ColumnCounts = NumericCounts | CategoryCounts


def merge_capped(a: dict | None, b: dict | None) -> dict | None:
    """Union of two capped value counts; once more than OFF_EDGE_CAP distinct values are seen it stays None.
    Associative because the union of distinct values is, and overflow only grows."""
    if a is None or b is None:
        return None
    out = dict(a)
    for key, value in b.items():
        out[key] = out.get(key, 0) + value
    return out if len(out) <= OFF_EDGE_CAP else None


@dataclass
class DriftSummary:
    """Everything the drift tests need from a set of rows: counts per scope and column, nothing raw."""

    rows: dict[Scope, int] = field(default_factory=dict)
    columns: dict[Scope, dict[str, ColumnCounts]] = field(default_factory=dict)
    missing_columns: dict[str, int] = field(default_factory=dict)  # column -> rows of partitions without it

    def merge(self, other: DriftSummary) -> DriftSummary:
        rows = dict(self.rows)
        for scope, n in other.rows.items():
            rows[scope] = rows.get(scope, 0) + n
        columns = {scope: dict(cols) for scope, cols in self.columns.items()}
        for scope, cols in other.columns.items():
            mine = columns.setdefault(scope, {})
            for name, counts in cols.items():
                mine[name] = mine[name].merge(counts) if name in mine else counts
        missing = dict(self.missing_columns)
        for name, n in other.missing_columns.items():
            missing[name] = missing.get(name, 0) + n
        return DriftSummary(rows=rows, columns=columns, missing_columns=missing)


def merge_summaries(parts: list[DriftSummary]) -> DriftSummary:
    """Partition summaries merged (any order or grouping gives the same counts)."""
    out = DriftSummary()
    for part in parts:
        out = out.merge(part)
    return out
