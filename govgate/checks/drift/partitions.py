"""One pandas partition summarised: counts per slot / category, per scope (all rows and each group).

Plain function with picklable inputs and outputs, so a partition can be summarised on a Dask worker and
the summaries merged on the driver (the data review's partitioning: ``govgate.datasets.iter_chunks``)."""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from govgate.checks.drift.constants import NUMERIC
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
    for column, (codes, values) in scopes.items():
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


def _scope_codes(df: pd.DataFrame, groups) -> dict[str, tuple[np.ndarray, list[str]]]:
    import pandas as pd

    scopes = {}
    for column in groups:
        if column not in df.columns:
            continue  # the group column is then reported missing by the plan of its own column, if planned
        codes, uniques = pd.factorize(df[column].astype("string"), use_na_sentinel=True)
        scopes[column] = (codes.astype(np.int64), [str(u) for u in uniques])
    return scopes


def _numeric(series: pd.Series, plan: ColumnPlan, scopes) -> dict[Scope, NumericCounts]:
    try:
        x = np.asarray(series, dtype=float)
    except (TypeError, ValueError):
        raise InputError(
            f"current data column {plan.name!r} holds {series.dtype} values that are not numbers, but the "
            "reference column is numeric: another schema"
        ) from None
    finite = np.isfinite(x)
    edges, k = plan.edges, len(plan.edges)
    idx = np.searchsorted(edges, x, side="left") if k else np.zeros(len(x), dtype=np.int64)
    on_edge = (idx < k) & (edges[np.minimum(idx, k - 1)] == x) if k else np.zeros(len(x), dtype=bool)
    slot = 2 * idx + on_edge
    out = {OVERALL: _numeric_scope(x, slot, finite, np.zeros(len(x), dtype=np.int64), 1, plan)[0]}
    for column, (codes, values) in scopes.items():
        for i, counts in enumerate(_numeric_scope(x, slot, finite & (codes >= 0), codes, len(values), plan)):
            out[(column, values[i])] = counts
    return out


def _numeric_scope(x, slot, keep, codes, n_groups: int, plan: ColumnPlan) -> list[NumericCounts]:
    """Counts for each of ``n_groups`` codes at once: one bincount over (code, slot) pairs."""
    S = plan.slots
    c, s, v = codes[keep], slot[keep], x[keep]
    key = c * S + s
    counts = np.bincount(key, minlength=n_groups * S).reshape(n_groups, S)
    sums = np.bincount(key, weights=v, minlength=n_groups * S).reshape(n_groups, S)
    n = counts.sum(axis=1)
    with np.errstate(invalid="ignore", divide="ignore"):
        mean = np.where(n > 0, np.bincount(c, weights=v, minlength=n_groups) / np.maximum(n, 1), 0.0)
    m2 = np.bincount(c, weights=(v - mean[c]) ** 2, minlength=n_groups)
    missing = np.bincount(codes[(codes >= 0) & ~np.isfinite(x)], minlength=n_groups)
    off = _off_edge(c, s, v, n_groups) if plan.tracks_off_edge else [None] * n_groups
    return [
        NumericCounts(
            counts=counts[g].astype(np.int64),
            sums=sums[g],
            missing=int(missing[g]),
            n=int(n[g]),
            mean=float(mean[g]),
            m2=float(m2[g]),
            off_edge=off[g],
        )
        for g in range(n_groups)
    ]


def _off_edge(codes, slot, values, n_groups: int) -> list[dict | None]:
    """Counts of the values that are no edge, per code, capped (None past the cap)."""
    from govgate.checks.drift.summary import merge_capped

    inner = slot % 2 == 0
    out: list[dict | None] = [{} for _ in range(n_groups)]
    if not inner.any():
        return out
    pairs, counts = np.unique(np.stack([codes[inner].astype(float), values[inner]]), axis=1, return_counts=True)
    for (code, value), count in zip(pairs.T, counts, strict=True):
        g = int(code)
        out[g] = merge_capped(out[g], {float(value): int(count)})
    return out


def _categorical(series: pd.Series, plan: ColumnPlan, scopes) -> dict[Scope, CategoryCounts]:
    import pandas as pd

    codes, uniques = pd.factorize(series, use_na_sentinel=True)
    labels = [str(u) for u in uniques]
    K = len(labels)
    missing_mask = codes < 0
    out = {OVERALL: _category_counts(np.bincount(codes[~missing_mask], minlength=K), labels, missing_mask.sum())}
    for column, (gcodes, values) in scopes.items():
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
