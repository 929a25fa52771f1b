"""The reference side of drift: a plan per column plus the reference's own summary on that plan.

Two sources: raw reference rows (``reference_profile``: fine edges, exact small-sample tests, per-group
references), or the binned summary a model review recorded as its ``reference_distributions`` output
(``profile_from_record``: ten quantile bins per number, top-20 categories, no groups; every test on it is
marked approximate and says why).

A model review also records the fine profile itself (its ``drift_profile`` output, ``profile_to_dict`` /
``profile_from_dict``, exact round trip), leaving out identifier, name, free-text and high-cardinality
columns; ``baseline_profile(outputs)`` prefers it and falls back to the coarse summary."""

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
    categories and an 'other' count, the prediction histogram on [0, 1]. Given a recorded fine profile
    (``profile_to_dict``), that profile instead."""
    if isinstance(recorded, dict) and recorded.get("format") == PROFILE_FORMAT:
        return profile_from_dict(recorded)
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


# ------------------------------------------------------------------------------------------------
# the fine profile as a model review records it (DRIFT_PROFILE), and back
# ------------------------------------------------------------------------------------------------

PROFILE_FORMAT = "govgate.drift-profile/1"
FINE = "recorded drift profile"
MAX_RECORDED_CATEGORIES = 50  # a categorical column with more distinct values is withheld (ids, names, text)
# words of a column name that say its values identify a person or are personal data in themselves
IDENTIFIER_WORDS = frozenset(
    "id ids uuid guid email mail e phone mobile tel ssn nin passport iban address street zip zipcode postcode "
    "postal dob birth birthday birthdate born ip url username login".split()
)
MIN_ID_ROWS = 20  # a numeric column of distinct integers is taken for an identifier from this many rows on


def withheld_columns(df: pd.DataFrame, columns: list[str]) -> dict[str, str]:
    """The columns whose values must not be recorded in a profile (edges are reference values, categories
    are labels), each with the reason: identifier or personal-data names, person names, e-mail addresses,
    free text, dates, categorical columns with > MAX_RECORDED_CATEGORIES values, a distinct integer per row."""
    out = {}
    for name in columns:
        reason = _why_withheld(str(name), df[name])
        if reason:
            out[name] = reason
    return out


def _why_withheld(name: str, s: pd.Series) -> str | None:
    import pandas as pd

    from govgate.checks.pii.names import column_words, full_name_shaped, named_as_person_name

    if set(column_words(name)) & IDENTIFIER_WORDS or named_as_person_name(name):
        return "its name says it identifies a person or holds personal data"
    if pd.api.types.is_datetime64_any_dtype(s) or pd.api.types.is_timedelta64_dtype(s):
        return "dates (a date of birth would be personal data)"
    values = s.dropna()
    if is_numeric(s):
        x = clean_numbers(values)
        unique_ints = len(x) >= MIN_ID_ROWS and np.all(x == np.round(x)) and len(np.unique(x)) == len(x)
        return "a distinct integer in every row: an identifier" if unique_ints else None
    text = pd.Series(values.unique()).astype(str).drop_duplicates()  # at most a few dozen: judged as labels
    if len(text) > MAX_RECORDED_CATEGORIES:
        return f"{len(text)} distinct values (more than {MAX_RECORDED_CATEGORIES}): identifiers, names or free text"
    if len(text) and text.str.contains(_EMAIL, regex=True).any():
        return "holds e-mail addresses"
    if len(text) and text.map(full_name_shaped).mean() >= 0.5:
        return "most values are shaped like person names"
    if len(text) and text.str.split().str.len().mean() >= 3:
        return "free text"
    return None


_EMAIL = r"[^@\s]+@[^@\s]+\.[A-Za-z]{2,}"


def recorded_profile(reference: pd.DataFrame, *, columns: list[str], groups=()) -> dict:
    """The drift profile a model review records: ``reference_profile`` of the columns that may be recorded
    (the others are withheld, named with the reason, never their values), as a JSON-ready dict."""
    withheld = withheld_columns(reference, list(columns))
    kept = [c for c in columns if c not in withheld]
    profile = reference_profile(reference, columns=kept, groups=groups)
    profile.notes += [f"column {c!r} not profiled: {why}" for c, why in withheld.items()]
    return dict(profile_to_dict(profile), withheld=dict(withheld))


def profile_to_dict(profile: DriftProfile) -> dict:
    """A JSON-ready form of ``profile`` that ``profile_from_dict`` reads back exactly: arrays as
    zlib-compressed little-endian bytes in base64 (a 4,000-edge column stays tens of KB), floats as JSON
    numbers (shortest repr, exact)."""
    reference = profile.reference
    return {
        "format": PROFILE_FORMAT,
        "source": profile.source,
        "groups": list(profile.groups),
        "notes": list(profile.notes),
        "plans": {name: _plan_to_dict(plan) for name, plan in profile.plans.items()},
        "rows": [[scope[0], scope[1], int(n)] for scope, n in reference.rows.items()],
        "columns": [
            dict(_counts_to_dict(counts), scope=list(scope), column=name)
            for scope, cols in reference.columns.items()
            for name, counts in cols.items()
        ],
        "missing_columns": {k: int(v) for k, v in reference.missing_columns.items()},
    }


def profile_from_dict(data: dict) -> DriftProfile:
    """The profile ``profile_to_dict`` wrote (source: the recorded drift profile). A clear error otherwise."""
    if not isinstance(data, dict) or data.get("format") != PROFILE_FORMAT:
        got = data.get("format") if isinstance(data, dict) else type(data).__name__
        raise InputError(f"recorded drift profile: expected format {PROFILE_FORMAT!r}, got {got!r}")
    try:
        plans = {name: _plan_from_dict(name, spec) for name, spec in data["plans"].items()}
        rows = {(str(c), str(v)): int(n) for c, v, n in data["rows"]}
        columns: dict = {scope: {} for scope in rows}
        for item in data["columns"]:
            scope = (str(item["scope"][0]), str(item["scope"][1]))
            columns.setdefault(scope, {})[item["column"]] = _counts_from_dict(item)
        missing = {str(k): int(v) for k, v in data.get("missing_columns", {}).items()}
    except (KeyError, TypeError, ValueError) as exc:
        raise InputError(f"recorded drift profile: malformed ({exc!r})") from None
    reference = DriftSummary(rows=rows, columns=columns, missing_columns=missing)
    return DriftProfile(
        plans=plans, reference=reference, groups=list(data.get("groups", [])), source=FINE, notes=list(data["notes"])
    )


def baseline_profile(outputs: dict) -> DriftProfile:
    """The drift reference of a model review's outputs: the fine ``drift_profile`` when the record has one,
    else the coarse ``reference_distributions`` (approximate tests, no groups). A clear error without either."""
    from govgate.record import DRIFT_PROFILE, REFERENCE_DISTRIBUTIONS

    outputs = outputs or {}
    if outputs.get(DRIFT_PROFILE):
        return profile_from_dict(outputs[DRIFT_PROFILE])
    if outputs.get(REFERENCE_DISTRIBUTIONS):
        return profile_from_record(outputs[REFERENCE_DISTRIBUTIONS])
    raise InputError(f"baseline record has neither a {DRIFT_PROFILE!r} nor a {REFERENCE_DISTRIBUTIONS!r} output")


def _array_to_dict(a: np.ndarray) -> dict:
    import base64
    import zlib

    dtype = "<i8" if np.issubdtype(a.dtype, np.integer) else "<f8"
    raw = np.ascontiguousarray(a, dtype=dtype).tobytes()
    return {"dtype": dtype, "n": int(a.size), "zlib_b64": base64.b64encode(zlib.compress(raw, 9)).decode("ascii")}


def _array_from_dict(spec: dict) -> np.ndarray:
    import base64
    import zlib

    if spec["dtype"] not in ("<i8", "<f8"):
        raise ValueError(f"array dtype {spec['dtype']!r}")
    a = np.frombuffer(zlib.decompress(base64.b64decode(spec["zlib_b64"])), dtype=spec["dtype"])
    if a.size != int(spec["n"]):
        raise ValueError(f"array of {a.size} values, {spec['n']} recorded")
    return a.astype(np.int64 if spec["dtype"] == "<i8" else np.float64)


def _plan_to_dict(plan: ColumnPlan) -> dict:
    return {
        "kind": plan.kind,
        "edges": _array_to_dict(np.asarray(plan.edges, dtype=float)),
        "exact": bool(plan.exact),
        "psi_cuts": _array_to_dict(np.asarray(plan.psi_cuts, dtype=np.int64)),
        "categories": list(plan.categories) if plan.categories is not None else None,
        "approximate": plan.approximate,
        "binned": bool(plan.binned),
    }


def _plan_from_dict(name: str, spec: dict) -> ColumnPlan:
    categories = spec.get("categories")
    return ColumnPlan(
        name=name,
        kind=spec["kind"],
        edges=_array_from_dict(spec["edges"]),
        exact=bool(spec["exact"]),
        psi_cuts=_array_from_dict(spec["psi_cuts"]),
        categories=tuple(str(c) for c in categories) if categories is not None else None,
        approximate=str(spec.get("approximate", "")),
        binned=bool(spec.get("binned", False)),
    )


def _counts_to_dict(counts: NumericCounts | CategoryCounts) -> dict:
    if isinstance(counts, CategoryCounts):
        return {
            "kind": "categories",
            "counts": {str(k): int(v) for k, v in counts.counts.items()},
            "missing": counts.missing,
        }
    off = None if counts.off_edge is None else [[float(k), int(v)] for k, v in counts.off_edge.items()]
    return {
        "kind": NUMERIC,
        "counts": _array_to_dict(counts.counts),
        "sums": _array_to_dict(counts.sums),
        "missing": int(counts.missing),
        "n": int(counts.n),
        "mean": float(counts.mean),
        "m2": float(counts.m2),
        "off_edge": off,
    }


def _counts_from_dict(spec: dict) -> NumericCounts | CategoryCounts:
    if spec["kind"] == "categories":
        return CategoryCounts(counts={str(k): int(v) for k, v in spec["counts"].items()}, missing=int(spec["missing"]))
    off = spec.get("off_edge")
    return NumericCounts(
        counts=_array_from_dict(spec["counts"]),
        sums=_array_from_dict(spec["sums"]),
        missing=int(spec["missing"]),
        n=int(spec["n"]),
        mean=float(spec["mean"]),
        m2=float(spec["m2"]),
        off_edge=None if off is None else {float(k): int(v) for k, v in off},
    )
