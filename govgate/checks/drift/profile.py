"""The reference side of drift: a plan per column plus the reference's own summary on that plan.

Two sources: raw reference rows (``reference_profile``: fine edges, exact small-sample tests, per-group
references), or the binned summary a model review recorded as its ``reference_distributions`` output
(``profile_from_record``: ten quantile bins per number, top-20 categories, no groups; every test on it is
marked approximate and says why)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING

import numpy as np

from govgate.checks.drift.constants import NUMERIC, OTHER, PREDICTION
from govgate.checks.drift.partitions import drift_partition
from govgate.checks.drift.plan import ColumnPlan, categorical_plan, clean_numbers, is_numeric, numeric_plan
from govgate.checks.drift.summary import OVERALL, CategoryCounts, DriftSummary, NumericCounts
from govgate.errors import InputError

if TYPE_CHECKING:
    import pandas as pd

RECORDED = "recorded reference_distributions"
ROWS = "reference rows"


@dataclass
class DriftProfile:
    plans: dict[str, ColumnPlan]
    reference: DriftSummary
    groups: list[str] = field(default_factory=list)
    source: str = ROWS
    notes: list[str] = field(default_factory=list)

    def summarize(self, df: pd.DataFrame) -> DriftSummary:
        """One current-data partition summarised on this profile's plan (picklable, for Dask workers)."""
        return drift_partition(df, self.plans, self.groups)


def reference_profile(reference: pd.DataFrame, *, columns: list[str] | None = None, groups=()) -> DriftProfile:
    """Plan every column of ``reference`` (all but the group columns unless ``columns`` says which; the
    predictions are an ordinary column, named PREDICTION by default) and summarise the reference on it."""
    groups = list(groups)
    wanted = list(columns) if columns is not None else [c for c in reference.columns if c not in groups]
    absent = [c for c in wanted + groups if c not in reference.columns]
    if absent:
        raise InputError(f"reference data has no column(s) {absent}; it has {list(reference.columns)}")
    if len(reference) == 0:
        raise InputError("reference data has no rows: there is nothing to compare current data with")
    plans = {}
    for name in wanted:
        s = reference[name]
        plans[name] = numeric_plan(name, clean_numbers(s)) if is_numeric(s) else categorical_plan(name)
    return DriftProfile(plans=plans, reference=drift_partition(reference, plans, groups), groups=groups)


def profile_from_record(recorded: dict) -> DriftProfile:
    """A profile from a model review's ``reference_distributions`` output (see
    ``govgate.checks.performance.reference_distributions``): numeric quantile edges and counts, top
    categories and an 'other' count, the prediction histogram on [0, 1]."""
    if not isinstance(recorded, dict) or not isinstance(recorded.get("features"), dict):
        raise InputError("recorded reference distributions: expected an object with 'features'; got something else")
    plans: dict[str, ColumnPlan] = {}
    columns: dict = {}
    for name, spec in recorded["features"].items():
        plans[name], columns[name] = _recorded_column(name, spec)
    notes = []
    pred = recorded.get("predictions") or {}
    if pred.get("counts"):
        spec = {"kind": NUMERIC, "edges": pred["edges"], "counts": pred["counts"], "missing": 0}
        plans[PREDICTION], columns[PREDICTION] = _recorded_column(PREDICTION, spec)
    else:
        notes.append("the recorded reference has no prediction histogram (predictions outside [0, 1])")
    notes.append("the recorded reference has no per-group distributions: per-group drift needs reference rows")
    reference = DriftSummary(rows={OVERALL: int(recorded.get("rows", 0))}, columns={OVERALL: columns})
    return DriftProfile(plans=plans, reference=reference, source=RECORDED, notes=notes)


def _recorded_column(name: str, spec: dict) -> tuple[ColumnPlan, NumericCounts | CategoryCounts]:
    try:
        if spec["kind"] == NUMERIC:
            return _recorded_numeric(name, spec)
        top = {str(k): int(v) for k, v in spec["top"].items()}
        counts = dict(top, **({OTHER: int(spec["other"])} if int(spec.get("other", 0)) else {}))
        plan = categorical_plan(name, categories=tuple(top))
        plan.approximate = f"recorded reference: top {len(top)} categories, the rest counted together"
        return plan, CategoryCounts(counts=counts, missing=int(spec.get("missing", 0)))
    except (KeyError, TypeError, ValueError) as exc:
        raise InputError(f"recorded reference distributions, feature {name!r}: malformed ({exc!r})") from None


def _recorded_numeric(name: str, spec: dict) -> tuple[ColumnPlan, NumericCounts]:
    """np.histogram counts on quantile edges: the mass of bin i lies in [e_i, e_i+1]; placed in the open
    interval between the edges, at the bin middle (sums), with a piecewise-uniform mean and variance."""
    edges = np.asarray(spec["edges"], dtype=float)
    hist = np.asarray(spec["counts"], dtype=np.int64)
    k = len(edges)
    counts, sums = np.zeros(2 * k + 1, dtype=np.int64), np.zeros(2 * k + 1)
    if k == 1:
        counts[1], sums[1] = hist.sum(), hist.sum() * edges[0]
        mean, m2 = float(edges[0]), 0.0
    elif k > 1:
        mids, widths = (edges[1:] + edges[:-1]) / 2, np.diff(edges)
        counts[2:-1:2], sums[2:-1:2] = hist, hist * mids
        n = max(int(hist.sum()), 1)
        mean = float((hist * mids).sum() / n)
        m2 = float((hist * (widths**2 / 12 + (mids - mean) ** 2)).sum())
    else:
        mean, m2 = 0.0, 0.0
    # PSI bins are the recorded bins: bin i starts at edge e_i (slot 2i + 1), as in np.histogram
    plan = ColumnPlan(
        name=name, kind=NUMERIC, edges=edges, psi_cuts=np.arange(3, 2 * k - 2, 2, dtype=np.int64), binned=True
    )
    plan.approximate = f"recorded reference: {max(k - 1, 1)} quantile bins (tests on binned data, std from the bins)"
    counted = NumericCounts(
        counts=counts, sums=sums, missing=int(spec.get("missing", 0)), n=int(hist.sum()), mean=mean, m2=m2
    )
    return plan, counted
