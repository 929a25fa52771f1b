"""One pandas partition summarised: counts per slot / category, per scope (all rows and each group).

Plain function with picklable inputs and outputs, so a partition can be summarised on a Dask worker and
the summaries merged on the driver (the data review's partitioning: ``govgate.datasets.iter_chunks``)."""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from govgate.checks.drift.constants import NUMERIC, OFF_EDGE_CAP
from govgate.checks.drift.plan import ColumnPlan
from govgate.checks.drift.summary import OVERALL, CategoryCounts, DriftSummary, NumericCounts, Scope
from govgate.errors import InputError

if TYPE_CHECKING:
    import pandas as pd


def drift_partition(df: pd.DataFrame, plans: dict[str, ColumnPlan], groups: list[str] = ()) -> DriftSummary:
    """Summarise ``df`` for every planned column, overall and per value of each group column (rows whose
    group value is missing count overall only)."""
    scopes = _scope_codes(df, groups)
    out = DriftSummary(rows={OVERALL: len(df)}, columns={OVERALL: {}})
    for column in groups:
        if column not in df.columns:
            out.missing_columns[column] = len(df)
    for column, (codes, values, _, _) in scopes.items():
        counts = np.bincount(codes[codes >= 0], minlength=len(values))
        for i, value in enumerate(values):
            out.rows[(column, value)] = int(counts[i])
            out.columns[(column, value)] = {}
    for name, plan in plans.items():
        if name not in df.columns:
            out.missing_columns[name] = len(df)
            continue
        summarize = _numeric if plan.kind == NUMERIC else _categorical
        for scope, counts in summarize(df[name], plan, scopes).items():
            out.columns[scope][name] = counts
    return out


def _scope_codes(df: pd.DataFrame, groups) -> dict[str, tuple]:
    """Per group column: the group code of each row (-1: missing), the group values, and the rows ordered
    by code (a stable integer sort, shared by every numeric column) with the start of each code's run
    (codes -1, 0, 1, ...; then the end)."""
    import pandas as pd

    scopes = {}
    for column in groups:
        if column not in df.columns:
            continue  # reported in the summary's missing columns
        codes, uniques = pd.factorize(df[column].astype("string"), use_na_sentinel=True)
        codes = codes.astype(np.int64)
        order = np.argsort(codes, kind="stable")
        bounds = np.append(np.searchsorted(codes[order], np.arange(-1, len(uniques))), len(codes))
        scopes[column] = (codes, [str(u) for u in uniques], order, bounds)
    return scopes


def _numeric(series: pd.Series, plan: ColumnPlan, scopes) -> dict[Scope, NumericCounts]:
    """Values sorted once per scope, then each slot is a range found by searching the edges in the sorted
    values (k searches instead of one per value). The first group column's groups, plus the rows whose
    group is missing, merge to the overall summary, so the values are sorted once."""
    try:
        x = np.asarray(series, dtype=float)
    except (TypeError, ValueError):
        raise InputError(
            f"current data column {plan.name!r} holds {series.dtype} values that are not numbers, but the "
            "reference column is numeric: another schema"
        ) from None
    finite = np.isfinite(x)
    if not scopes:
        return {OVERALL: _sorted_counts(np.sort(x[finite]), plan, int((~finite).sum()))}
    out: dict[Scope, NumericCounts] = {}
    for i, (column, (codes, values, order, bounds)) in enumerate(scopes.items()):
        segments = _segments(x[order], bounds)
        missing = np.bincount(codes[~finite] + 1, minlength=len(values) + 1)  # code -1 (no group) first
        for g, value in enumerate(values):
            out[(column, value)] = _sorted_counts(segments[g + 1], plan, int(missing[g + 1]))
        if i == 0:
            no_group = _sorted_counts(segments[0], plan, int(missing[0]))
            overall = no_group
            for value in values:
                overall = overall.merge(out[(column, value)])
            out[OVERALL] = overall
    return out


def _segments(ordered: np.ndarray, bounds: np.ndarray) -> list[np.ndarray]:
    """The finite values of each code's run of rows, each sorted."""
    out = []
    for a, b in zip(bounds[:-1], bounds[1:], strict=True):
        seg = ordered[a:b]
        out.append(np.sort(seg[np.isfinite(seg)]))
    return out


def _sorted_counts(xs: np.ndarray, plan: ColumnPlan, missing: int) -> NumericCounts:
    """Counts, sums and moments of sorted finite values on the plan's slots."""
    n = len(xs)
    edges = plan.edges
    b = np.empty(plan.slots + 1, dtype=np.int64)
    b[0], b[-1] = 0, n
    b[1:-1:2] = np.searchsorted(xs, edges, side="left")
    b[2:-1:2] = np.searchsorted(xs, edges, side="right")
    counts = np.diff(b)
    padded = np.append(xs, 0.0)  # so that a range ending at n is summed to the end, and empty ones are 0
    sums = np.add.reduceat(padded, np.minimum(b[:-1], n)) if n else np.zeros(plan.slots)
    sums[counts == 0] = 0.0
    mean = float(xs.mean()) if n else 0.0
    m2 = float(((xs - mean) ** 2).sum()) if n else 0.0
    off = _off_edge(xs, b) if plan.tracks_off_edge else None
    return NumericCounts(counts=counts, sums=sums, missing=missing, n=n, mean=mean, m2=m2, off_edge=off)


def _off_edge(xs: np.ndarray, b: np.ndarray) -> dict | None:
    """Counts of the values that lie in the open intervals (no edge), capped (None past the cap)."""
    from govgate.checks.drift.summary import merge_capped

    inner = np.concatenate([xs[b[j] : b[j + 1]] for j in range(0, len(b) - 1, 2)])
    values, counts = np.unique(inner, return_counts=True)
    return merge_capped(
        {}, {float(v): int(c) for v, c in zip(values[: OFF_EDGE_CAP + 1], counts[: OFF_EDGE_CAP + 1], strict=True)}
    )


def _categorical(series: pd.Series, plan: ColumnPlan, scopes) -> dict[Scope, CategoryCounts]:
    import pandas as pd

    codes, uniques = pd.factorize(series, use_na_sentinel=True)
    labels = [str(u) for u in uniques]
    K = len(labels)
    missing_mask = codes < 0
    out = {OVERALL: _category_counts(np.bincount(codes[~missing_mask], minlength=K), labels, missing_mask.sum())}
    for column, (gcodes, values, _, _) in scopes.items():
        keep = (gcodes >= 0) & ~missing_mask
        table = np.bincount(gcodes[keep] * K + codes[keep], minlength=len(values) * K).reshape(len(values), K)
        miss = np.bincount(gcodes[(gcodes >= 0) & missing_mask], minlength=len(values))
        for g, value in enumerate(values):
            out[(column, value)] = _category_counts(table[g], labels, miss[g])
    return out


def _category_counts(counts: np.ndarray, labels: list[str], missing) -> CategoryCounts:
    nz = np.flatnonzero(counts)
    merged: dict[str, int] = {}
    for i in nz:  # two raw values can print alike (1 and "1"): their counts add up
        merged[labels[i]] = merged.get(labels[i], 0) + int(counts[i])
    return CategoryCounts(counts=merged, missing=int(missing))
