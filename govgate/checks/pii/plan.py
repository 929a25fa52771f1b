"""Which columns are free text, structured or numeric (the scan plan), from the data and the datasheet's declared types."""

from __future__ import annotations

import pandas as pd

from govgate.checks.pii.constants import TEXT_MIN_MEAN_CHARS, TEXT_MIN_MEAN_WORDS
from govgate.errors import InputError

# datasheet column types (govgate.datasheet) -> plan kind
_DECLARED = {
    "text": "text",
    "string": "structured",
    "category": "structured",
    "id": "structured",
    "date": "structured",
    "datetime": "structured",
    "integer": "numeric",
    "float": "numeric",
    "number": "numeric",
    "boolean": "numeric",
    "structured": "structured",
    "numeric": "numeric",
}


# --------------------------------------------------------------------------------------------------------
# planning and scanning


def plan_columns(sample: pd.DataFrame, declared_types: dict[str, str] | None = None) -> dict[str, str]:
    """Column -> ``text`` (free text: every row is scanned), ``structured`` (short strings, ids, e-mail
    addresses, phones, dates: a sample is scanned) or ``numeric`` (numbers: a sample is scanned as strings,
    since numeric columns can hold phone numbers or ids).

    A declared type (datasheet ``type``) wins: ``text`` -> text; integer/float/number/boolean -> numeric
    (structured when the data is not numeric); string/category/id/date/datetime -> structured.
    """
    declared = {str(k): v for k, v in (declared_types or {}).items() if v}
    plan: dict[str, str] = {}
    for col in sample.columns:
        name = str(col)
        series = sample[col]
        numeric = pd.api.types.is_bool_dtype(series) or pd.api.types.is_numeric_dtype(series)
        if name in declared:
            kind = _DECLARED.get(str(declared[name]).lower())
            if kind is None:
                raise InputError(
                    f"column {name!r}: unknown declared type {declared[name]!r} (expected one of {sorted(_DECLARED)})"
                )
            plan[name] = "structured" if kind == "numeric" and not numeric else kind
        elif numeric:
            plan[name] = "numeric"
        elif pd.api.types.is_datetime64_any_dtype(series) or pd.api.types.is_timedelta64_dtype(series):
            plan[name] = "structured"
        else:
            values = series.dropna().astype(str)
            if values.empty:
                plan[name] = "structured"
                continue
            words = values.str.split().str.len().mean()
            long_values = values.str.len().mean() > TEXT_MIN_MEAN_CHARS and words >= 2  # not one long token
            plan[name] = "text" if long_values or words >= TEXT_MIN_MEAN_WORDS else "structured"
    return plan
