"""One partition checked: row-wise expectations through GX, the others computed so that the merge stays exact."""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from govgate.checks.quality.constants import (
    AGGREGATE,
    COMPOUND_UNIQUE,
    EXIST,
    MAP,
    MISSING_COLUMN,
    ROW_COUNT,
    SCHEMA,
    UNIQUE,
)
from govgate.checks.quality.gx import gx_batch_definition, run_gx
from govgate.checks.quality.hashing import hash_rows
from govgate.checks.quality.results import ExpectationPartial, QualityPartial
from govgate.errors import InputError

if TYPE_CHECKING:
    import pandas as pd

_SPECIAL_KINDS = {
    "expect_column_to_exist": EXIST,
    "expect_table_row_count_to_be_between": ROW_COUNT,
    "expect_table_row_count_to_equal": ROW_COUNT,
    "expect_column_values_to_be_unique": UNIQUE,
    "expect_compound_columns_to_be_unique": COMPOUND_UNIQUE,
}
_SCHEMA_TYPES = {
    "expect_table_columns_to_match_set",
    "expect_table_columns_to_match_ordered_list",
    "expect_table_column_count_to_equal",
    "expect_table_column_count_to_be_between",
    "expect_column_type_to_be",
}
# Map expectations whose per-row answer depends on other rows: not additive over partitions.
_NOT_ROW_WISE = {
    "expect_column_values_to_be_increasing",
    "expect_column_values_to_be_decreasing",
    "expect_column_value_z_scores_to_be_less_than",
    "expect_column_values_to_not_be_outliers",
}


# --------------------------------------------------------------------------------------------- partitions


def quality_partition(
    df: pd.DataFrame, expectations: list[dict], *, row_offset: int = 0, text_lines: bool = False
) -> QualityPartial:
    """Check one chunk (rows ``row_offset`` ... of the dataset) against ``expectations``; ``text_lines``
    when the rows are a text file's lines (duplicates are then named by 1-based line number)."""
    import pandas as pd

    specs = [_spec(e, i) for i, e in enumerate(expectations)]
    n = len(df)
    frame = df.set_axis(pd.RangeIndex(row_offset, row_offset + n), axis=0)
    if not all(isinstance(c, str) for c in frame.columns):
        frame = frame.set_axis([str(c) for c in frame.columns], axis=1)
    present = set(frame.columns)
    results: list[ExpectationPartial | None] = [None] * len(specs)
    through_gx: list[int] = []
    for i, spec in enumerate(specs):
        kind = spec["kind"]
        missing = [c for c in columns_of(spec["kwargs"]) if c not in present]
        if kind == EXIST:
            results[i] = _exist_partial(frame, spec["kwargs"], n)
        elif kind == ROW_COUNT:
            results[i] = ExpectationPartial(element_count=n)
        elif missing:
            results[i] = ExpectationPartial(element_count=n, error=_missing_message(missing))
        elif kind == UNIQUE:
            results[i] = _unique_partial(frame, [spec["kwargs"]["column"]], "any_value_is_missing")
        elif kind == COMPOUND_UNIQUE:
            results[i] = _unique_partial(
                frame,
                list(spec["kwargs"]["column_list"]),
                spec["kwargs"].get("ignore_row_if", "all_values_are_missing"),
            )
        else:
            through_gx.append(i)
    if through_gx:
        for i, partial in run_gx(frame, [specs[i] for i in through_gx]).items():
            results[i] = partial
    return QualityPartial(
        row_offset=row_offset,
        rows=n,
        columns=[str(c) for c in frame.columns],
        null_counts={str(c): int(v) for c, v in frame.isna().sum().items()},
        row_hashes=hash_rows(frame),
        expectations=[{"type": s["type"], "kwargs": s["kwargs"], "meta": s["meta"]} for s in specs],
        kinds=[s["kind"] for s in specs],
        results=results,  # type: ignore[arg-type]
        blank_rows=_blank_rows(frame),
        text_lines=text_lines,
    )


def _blank_rows(frame: pd.DataFrame) -> np.ndarray:
    """Rows whose every value is a string of whitespace (NaN is not blank: a table's missing values stay
    in the duplicate count as before)."""
    from pandas.api.types import is_object_dtype, is_string_dtype

    blank = np.ones(len(frame), dtype=bool)
    for column in frame.columns:
        values = frame[column]
        if not (is_object_dtype(values) or is_string_dtype(values)):
            return np.zeros(len(frame), dtype=bool)  # a number is never blank
        try:
            blank &= (values.str.strip() == "").fillna(False).to_numpy(dtype=bool)
        except AttributeError:  # an object column without strings (all None, Decimals ...)
            return np.zeros(len(frame), dtype=bool)
        if not blank.any():
            break
    return blank


def _spec(e: dict, i: int) -> dict:
    if not isinstance(e, dict) or not isinstance(e.get("type"), str):
        raise InputError(f"expectations[{i}]: expected a {{type, kwargs, meta}} object, got {e!r}")
    kwargs = dict(e.get("kwargs") or {})
    meta = dict(e.get("meta") or {})
    return {"type": e["type"], "kwargs": kwargs, "meta": meta, "kind": _kind(e["type"], kwargs), "index": i}


def _kind(type_: str, kwargs: dict) -> str:
    kind = _SPECIAL_KINDS.get(type_)
    if kind is not None:
        # a row condition changes which rows count: leave those to GX (exact on one partition)
        return AGGREGATE if kwargs.get("row_condition") and kind != EXIST else kind
    if type_ in _SCHEMA_TYPES:
        return SCHEMA
    if type_ in _NOT_ROW_WISE:
        return AGGREGATE
    gx_batch_definition()
    from great_expectations.expectations.expectation import (
        ColumnMapExpectation,
        ColumnPairMapExpectation,
        MulticolumnMapExpectation,
    )
    from great_expectations.expectations.registry import get_expectation_impl

    try:
        impl = get_expectation_impl(type_)
    except Exception:
        raise InputError(f"unknown expectation type {type_!r} (not a Great Expectations expectation)") from None
    if issubclass(impl, (ColumnMapExpectation, ColumnPairMapExpectation, MulticolumnMapExpectation)):
        return MAP
    return AGGREGATE


def columns_of(kwargs: dict) -> list[str]:
    cols = [kwargs[k] for k in ("column", "column_A", "column_B") if isinstance(kwargs.get(k), str)]
    if isinstance(kwargs.get("column_list"), list):
        cols += [c for c in kwargs["column_list"] if isinstance(c, str)]
    return cols


def _missing_message(missing: list[str]) -> str:
    return "; ".join(f'column "{c}" {MISSING_COLUMN}' for c in missing)


def _exist_partial(frame: pd.DataFrame, kwargs: dict, n: int) -> ExpectationPartial:
    column = kwargs.get("column")
    ok = column in frame.columns
    index = kwargs.get("column_index")
    if ok and isinstance(index, int):
        ok = list(frame.columns).index(column) == index
    return ExpectationPartial(
        element_count=n,
        unexpected_count=0 if ok else n,
        success=ok,
        observed_value=None if ok else f"not in {len(frame.columns)} columns",
    )


def _unique_partial(frame: pd.DataFrame, columns: list[str], ignore_row_if: str) -> ExpectationPartial:
    n = len(frame)
    na = frame[columns].isna().to_numpy()
    if ignore_row_if == "all_values_are_missing":
        keep = ~na.all(axis=1)
    elif ignore_row_if == "any_value_is_missing":
        keep = ~na.any(axis=1)
    else:
        keep = np.ones(n, dtype=bool)
    hashes = hash_rows(frame[columns])[keep]
    rows = frame.index.to_numpy(dtype=np.int64)[keep]
    return ExpectationPartial(element_count=n, missing_count=int(n - keep.sum()), hashes=hashes, rows=rows)
