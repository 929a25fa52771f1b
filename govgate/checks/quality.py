"""Data quality of the data-review gate: Great Expectations suites, run partition by partition and merged.

Plain functions (the flow wraps them in Prefect tasks) with picklable inputs and outputs, so a partition
can be checked on a Dask worker and the partials merged on the driver.

- Suites are data: ``expectations/<name>.json`` (format in ``expectations/README.md``), loaded and
  validated by :func:`load_suite`; :func:`generic_expectations` builds the suite every dataset gets from
  its datasheet columns.
- :func:`quality_partition` runs the row-wise (map) expectations through GX on one chunk and keeps counts
  and at most ``EXAMPLES`` redacted examples; expectations that are not row-wise are computed so that the
  merge is still exact: column uniqueness from 64-bit value hashes, column existence and table schema per
  partition, row count from the sum. Duplicate rows are found across partitions from 64-bit row hashes.
  Aggregate expectations (mean, quantiles ...) are exact on one partition and ``inconclusive`` when the
  data was split, never a silent pass.
- :func:`merge_quality` merges partials (in row order), :func:`quality_checks` turns the result into
  checks and findings.
- Examples never hold raw text: a value is kept only when it is a number below ``1e6`` in a column not
  declared as personal data; everything else becomes ``sha256:<12 hex>``. Rows are 0-based data rows.

Great Expectations takes seconds to import: it is imported inside functions, never at module import.
"""

from __future__ import annotations

import hashlib
import json
import math
import re
import threading
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from govgate.errors import InputError
from govgate.record import Check, Finding, Metric, Outcome, Severity, Threshold

if TYPE_CHECKING:
    import pandas as pd

EXPECTATIONS_DIR = Path(__file__).resolve().parents[2] / "expectations"
GENERIC_SUITE = "generic"
#: unexpected examples kept per expectation (and for duplicate rows)
EXAMPLES = 3
#: numbers at or above this magnitude are hashed like text (phone, account and id numbers)
MAX_SHOWN_NUMBER = 1e6
EVIDENCE_KIND = "data_quality"
CATEGORY = "data_quality"

# How an expectation is evaluated so that partials merge exactly.
EXIST = "exist"  # expect_column_to_exist: each partition's columns
ROW_COUNT = "row_count"  # from the summed row counts
UNIQUE = "unique"  # column value hashes across partitions
COMPOUND_UNIQUE = "compound_unique"  # row hashes over column_list across partitions
MAP = "map"  # row-wise through GX: counts add up
SCHEMA = "schema"  # through GX per partition: holds when it holds in every partition
AGGREGATE = "aggregate"  # through GX: exact on one partition, inconclusive when split

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
_SUITE_KEYS = {"name", "expectations", "description", "meta", "notes", "id"}
_EXPECTATION_KEYS = {"type", "kwargs", "meta", "id", "severity", "notes", "description", "rendered_content"}
_INDEX_META = "_govgate_index"
_NULL_HASH = np.uint64(0x9E3779B97F4A7C15)
_MISSING_COLUMN = "is not in the data"

_gx_lock = threading.RLock()
_gx_state: dict[str, Any] = {}


# --------------------------------------------------------------------------------------------- suites


def load_suite(name: str, *, directory: str | Path | None = None) -> list[dict]:
    """The expectations of ``expectations/<name>.json`` as ``{"type", "kwargs", "meta"}`` dicts, each
    with ``meta["suite"] = name``. An unknown name or a malformed file is an ``InputError`` that names the
    file and what is wrong (including GX's own validation of every expectation's arguments)."""
    folder = Path(directory) if directory is not None else EXPECTATIONS_DIR
    if not isinstance(name, str) or not re.fullmatch(r"[A-Za-z0-9][A-Za-z0-9_\-]*", name):
        raise InputError(
            f"expectation suite name {name!r} is not valid: use letters, digits, '_' and '-' (the file is {folder}/<name>.json)"
        )
    path = folder / f"{name}.json"
    if not path.is_file():
        known = sorted(p.stem for p in folder.glob("*.json")) if folder.is_dir() else []
        raise InputError(
            f"expectation suite {name!r}: {path} does not exist; known suites: {', '.join(known) or 'none'}"
        )
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except json.JSONDecodeError as exc:
        raise InputError(f"{path}: not valid JSON at line {exc.lineno}, column {exc.colno}: {exc.msg}") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise InputError(f"{path}: cannot be read: {exc}") from None
    if not isinstance(data, dict):
        raise InputError(f"{path}: expected an object with keys name, expectations; got {type(data).__name__}")
    unknown = sorted(set(data) - _SUITE_KEYS)
    if unknown:
        raise InputError(f"{path}: unknown key(s) {unknown}; a suite has {sorted(_SUITE_KEYS)}")
    if data.get("name") != name:
        raise InputError(f"{path}: 'name' is {data.get('name')!r}; it must be the file's name {name!r}")
    items = data.get("expectations")
    if not isinstance(items, list):
        raise InputError(f"{path}: 'expectations' must be a list of {{type, kwargs, meta}} objects")
    out = []
    for i, item in enumerate(items):
        where = f"{path}: expectations[{i}]"
        out.append(_validated(item, where, suite=name))
    return out


def generic_expectations(columns: list[dict], observed_columns: list[str]) -> list[dict]:
    """The suite every dataset gets (suite name ``generic``): the table-level expectations of
    ``expectations/generic.json`` plus, from the datasheet columns, expect_column_to_exist for every
    declared column and, for declared columns present in ``observed_columns``: not-null where
    ``nullable`` is false, between for ``min``/``max``, in-set for ``allowed_values``, unique where
    ``unique`` is true. Columns with ``pii: true`` get fully hashed examples."""
    if not isinstance(columns, list):
        raise InputError(f"datasheet columns: expected a list of column objects, got {type(columns).__name__}")
    observed = {str(c) for c in observed_columns}
    table_level = load_suite(GENERIC_SUITE) if (EXPECTATIONS_DIR / f"{GENERIC_SUITE}.json").is_file() else []
    out: list[dict] = []
    for i, col in enumerate(columns):
        if not isinstance(col, dict) or not isinstance(col.get("name"), str) or not col["name"].strip():
            raise InputError(f"datasheet columns[{i}]: expected an object with a non-empty 'name', got {col!r}")
        name = col["name"]
        meta = {"suite": GENERIC_SUITE, "source": "datasheet", "column": name}
        if col.get("pii"):
            meta["pii"] = True

        def add(type_: str, name: str = name, meta: dict = meta, **kwargs: Any) -> None:
            out.append({"type": type_, "kwargs": {"column": name, **kwargs}, "meta": dict(meta)})

        add("expect_column_to_exist")
        if name not in observed:
            continue  # the existence check fails; value checks would only repeat it
        if col.get("nullable") is False:
            add("expect_column_values_to_not_be_null")
        lo, hi = col.get("min"), col.get("max")
        if lo is not None or hi is not None:
            add("expect_column_values_to_be_between", min_value=lo, max_value=hi)
        if col.get("allowed_values") is not None:
            values = col["allowed_values"]
            if not isinstance(values, list):
                raise InputError(f"datasheet columns[{i}] ({name}): allowed_values must be a list, got {values!r}")
            add("expect_column_values_to_be_in_set", value_set=values)
        if col.get("unique") is True:
            add("expect_column_values_to_be_unique")
    return table_level + [
        _validated(e, f"datasheet column {e['kwargs']['column']!r}", suite=GENERIC_SUITE) for e in out
    ]


def _validated(item: Any, where: str, *, suite: str) -> dict:
    if not isinstance(item, dict):
        raise InputError(f"{where}: expected an object with keys type, kwargs, meta; got {type(item).__name__}")
    unknown = sorted(set(item) - _EXPECTATION_KEYS)
    if unknown:
        raise InputError(f"{where}: unknown key(s) {unknown}; an expectation has type, kwargs, meta")
    type_, kwargs, meta = item.get("type"), item.get("kwargs", {}), item.get("meta") or {}
    if not isinstance(type_, str) or not type_:
        raise InputError(f"{where}: 'type' must be an expectation name such as expect_column_values_to_not_be_null")
    if not isinstance(kwargs, dict):
        raise InputError(f"{where} ({type_}): 'kwargs' must be an object, got {type(kwargs).__name__}")
    if not isinstance(meta, dict):
        raise InputError(f"{where} ({type_}): 'meta' must be an object, got {type(meta).__name__}")
    if "$PARAMETER" in json.dumps(kwargs, default=str):
        raise InputError(f"{where} ({type_}): suite parameters ($PARAMETER) are not supported; write the values")
    _gx_expectation(type_, kwargs, {}, where)  # GX validates the type and its arguments
    return {"type": type_, "kwargs": _plain(kwargs), "meta": {**_plain(meta), "suite": suite}}


def _gx_expectation(type_: str, kwargs: dict, meta: dict, where: str):
    _gx()
    from great_expectations.exceptions import ExpectationNotFoundError
    from great_expectations.expectations.expectation_configuration import ExpectationConfiguration

    try:
        return ExpectationConfiguration(type=type_, kwargs=kwargs, meta=meta).to_domain_obj()
    except ExpectationNotFoundError:
        raise InputError(
            f"{where}: unknown expectation type {type_!r} (not a Great Expectations expectation)"
        ) from None
    except Exception as exc:  # pydantic's validation of the arguments, with GX's wording
        text = "; ".join(line.strip() for line in str(exc).splitlines() if line.strip())
        raise InputError(f"{where} ({type_}): invalid kwargs: {text}") from None


# --------------------------------------------------------------------------------------------- results


@dataclass(eq=False)
class ExpectationPartial:
    """One expectation on one partition (picklable; hashes only for the uniqueness kinds)."""

    element_count: int = 0
    missing_count: int = 0
    unexpected_count: int = 0
    examples: list[str] = field(default_factory=list)
    success: bool | None = None  # schema / aggregate kinds
    observed_value: Any = None
    error: str | None = None
    hashes: np.ndarray | None = None  # uint64 value hashes of the considered rows
    rows: np.ndarray | None = None  # int64 global row numbers of those rows


@dataclass(eq=False)
class QualityPartial:
    """What one partition contributes; merged by :func:`merge_quality`."""

    row_offset: int
    rows: int
    columns: list[str]
    null_counts: dict[str, int]
    row_hashes: np.ndarray  # uint64, one per row, in row order
    expectations: list[dict]
    kinds: list[str]  # how each expectation was evaluated (EXIST, MAP, ...)
    results: list[ExpectationPartial]


@dataclass
class ExpectationResult:
    check_id: str
    suite: str
    type: str
    column: str | None  # column, "a+b" for several, None for the table
    kwargs: dict
    meta: dict
    kind: str
    success: bool | None  # None: could not be evaluated (see error)
    element_count: int
    missing_count: int
    unexpected_count: int | None
    unexpected_fraction: float | None  # of the rows considered (non-null for most expectations)
    examples: list[str]
    observed_value: Any = None
    error: str | None = None
    partitions: int = field(default=1, compare=False)


@dataclass
class QualityResult:
    rows: int
    columns: list[str]
    column_rows: dict[str, int]  # rows of the partitions that have the column
    null_counts: dict[str, int]
    duplicate_rows: int  # rows equal to an earlier row
    duplicate_examples: list[str]
    expectations: list[ExpectationResult]
    partitions: int = field(default=1, compare=False)

    def expectation(self, check_id: str) -> ExpectationResult:
        for e in self.expectations:
            if e.check_id == check_id:
                return e
        raise KeyError(check_id)


# --------------------------------------------------------------------------------------------- partitions


def quality_partition(df: pd.DataFrame, expectations: list[dict], *, row_offset: int = 0) -> QualityPartial:
    """Check one chunk (rows ``row_offset`` ... of the dataset) against ``expectations``."""
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
        missing = [c for c in _columns_of(spec["kwargs"]) if c not in present]
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
        for i, partial in _run_gx(frame, [specs[i] for i in through_gx]).items():
            results[i] = partial
    return QualityPartial(
        row_offset=row_offset,
        rows=n,
        columns=[str(c) for c in frame.columns],
        null_counts={str(c): int(v) for c, v in frame.isna().sum().items()},
        row_hashes=_row_hashes(frame),
        expectations=[{"type": s["type"], "kwargs": s["kwargs"], "meta": s["meta"]} for s in specs],
        kinds=[s["kind"] for s in specs],
        results=results,  # type: ignore[arg-type]
    )


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
    _gx()
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


def _columns_of(kwargs: dict) -> list[str]:
    cols = [kwargs[k] for k in ("column", "column_A", "column_B") if isinstance(kwargs.get(k), str)]
    if isinstance(kwargs.get("column_list"), list):
        cols += [c for c in kwargs["column_list"] if isinstance(c, str)]
    return cols


def _missing_message(missing: list[str]) -> str:
    return "; ".join(f'column "{c}" {_MISSING_COLUMN}' for c in missing)


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
    hashes = _row_hashes(frame[columns])[keep]
    rows = frame.index.to_numpy(dtype=np.int64)[keep]
    return ExpectationPartial(element_count=n, missing_count=int(n - keep.sum()), hashes=hashes, rows=rows)


# --------------------------------------------------------------------------------------------- GX


def _gx():
    """Import GX once (seconds), with an ephemeral context, a pandas data source and progress bars off.
    Every use of GX calls this first, so that its first import happens once, under the lock: threads that
    import different parts of GX at once can deadlock on its circular imports or see a half-initialised
    module (measured with 8 threads importing great_expectations and great_expectations.core)."""
    with _gx_lock:
        if "batch_definition" not in _gx_state:
            import great_expectations as gx
            from great_expectations.data_context.types.base import ProgressBarsConfig

            context = gx.get_context(mode="ephemeral")
            context.variables.progress_bars = ProgressBarsConfig(globally=False, metric_calculations=False)
            asset = context.data_sources.add_pandas("govgate").add_dataframe_asset("partition")
            _gx_state["context"] = context
            _gx_state["batch_definition"] = asset.add_batch_definition_whole_dataframe("whole")
        return _gx_state["batch_definition"]


def _run_gx(frame: pd.DataFrame, specs: list[dict]) -> dict[int, ExpectationPartial]:
    _gx()  # first, like every GX entry point (see _gx)
    from great_expectations.core import ExpectationSuite

    expectations = [
        _gx_expectation(s["type"], s["kwargs"], {_INDEX_META: s["index"]}, f"expectations[{s['index']}]") for s in specs
    ]
    by_index = {s["index"]: s for s in specs}
    out: dict[int, ExpectationPartial] = {}
    with _gx_lock:  # one shared ephemeral context; GX is not documented as thread-safe
        batch = _gx().get_batch(batch_parameters={"dataframe": frame})
        suite = ExpectationSuite(name="govgate-partition", expectations=expectations)
        validation = batch.validate(
            suite, result_format={"result_format": "SUMMARY", "partial_unexpected_count": EXAMPLES}
        )
    for res in validation.results:
        i = int(res.expectation_config.meta[_INDEX_META])
        spec = by_index[i]
        result = dict(res.result or {})
        error = _gx_error(res.exception_info)
        partial = ExpectationPartial(element_count=len(frame), error=error)
        if error is None and spec["kind"] == MAP:
            partial.element_count = int(result.get("element_count") or 0)
            partial.missing_count = int(result.get("missing_count") or 0)
            partial.unexpected_count = int(result.get("unexpected_count") or 0)
            partial.examples = _examples(result, reveal_numbers=not spec["meta"].get("pii"))
        elif error is None:
            partial.success = bool(res.success)
            partial.observed_value = _plain(result.get("observed_value"))
        out[i] = partial
    missing = set(by_index) - set(out)
    for i in missing:  # should not happen; never let an expectation vanish
        out[i] = ExpectationPartial(element_count=len(frame), error="Great Expectations returned no result")
    return out


def _gx_error(info: Any) -> str | None:
    if not isinstance(info, dict):
        return None
    if info.get("raised_exception"):
        return str(info.get("exception_message") or "exception without a message")
    for value in info.values():
        if isinstance(value, dict) and value.get("raised_exception"):
            return str(value.get("exception_message") or "exception without a message")
    return None


def _examples(result: dict, *, reveal_numbers: bool) -> list[str]:
    values = list(result.get("partial_unexpected_list") or [])[:EXAMPLES]
    rows = list(result.get("partial_unexpected_index_list") or [])
    out = []
    for k, value in enumerate(values):
        text = redact(value, reveal_numbers=reveal_numbers)
        row = rows[k] if k < len(rows) else None
        out.append(f"row {row}: {text}" if isinstance(row, (int, np.integer)) else text)
    return out


def redact(value: Any, *, reveal_numbers: bool = True) -> str:
    """A value as it may appear in evidence: ``null``, a number (when allowed and below
    ``MAX_SHOWN_NUMBER``), otherwise ``sha256:<12 hex>`` of its text."""
    if isinstance(value, np.generic):
        value = value.item()
    if value is None or (isinstance(value, float) and math.isnan(value)) or _is_na(value):
        return "null"
    if (
        reveal_numbers
        and isinstance(value, (int, float))
        and not isinstance(value, bool)
        and abs(value) < MAX_SHOWN_NUMBER
    ):
        return repr(value)
    if isinstance(value, (dict, list, tuple)):
        text = json.dumps(value, default=str, sort_keys=True)
    else:
        text = str(value)
    return "sha256:" + hashlib.sha256(text.encode("utf-8", "surrogatepass")).hexdigest()[:12]


def _is_na(value: Any) -> bool:
    try:
        import pandas as pd

        return value is pd.NA or value is pd.NaT
    except Exception:  # pragma: no cover
        return False


# --------------------------------------------------------------------------------------------- hashing


def _column_hashes(series: pd.Series) -> np.ndarray:
    """uint64 per value, equal for equal values whatever the chunk's dtype (int 2 = float 2.0, nulls alike)."""
    import pandas as pd

    s = series
    if pd.api.types.is_bool_dtype(s.dtype) or pd.api.types.is_integer_dtype(s.dtype):
        values = s.dropna()
        if len(values) == 0 or values.abs().max() <= 2**53:
            s = s.astype("float64")
    elif pd.api.types.is_float_dtype(s.dtype):
        s = s.astype("float64")
    try:
        h = pd.util.hash_pandas_object(s, index=False).to_numpy(dtype=np.uint64, copy=True)
    except TypeError:  # mixed objects that pandas cannot hash: hash their text
        h = pd.util.hash_pandas_object(s.astype(str), index=False).to_numpy(dtype=np.uint64, copy=True)
    na = s.isna().to_numpy()
    if na.any():
        h[na] = _NULL_HASH
    return h


def _row_hashes(frame: pd.DataFrame) -> np.ndarray:
    """uint64 per row over all columns (in name order, so the column order of a chunk does not matter)."""
    acc = np.full(len(frame), 0x345678, dtype=np.uint64)
    for i, j in enumerate(sorted(range(frame.shape[1]), key=lambda j: str(frame.columns[j]))):
        acc = (acc * np.uint64(1000003)) ^ _column_hashes(frame.iloc[:, j]) ^ np.uint64(i)
    return acc


# --------------------------------------------------------------------------------------------- merge


def merge_quality(partials: list[QualityPartial]) -> QualityResult:
    """Merge the partials of one dataset (any order). Equal to checking the whole table at once, except
    that aggregate expectations become inconclusive when there is more than one partition."""
    import pandas as pd

    partials = sorted(partials, key=lambda p: p.row_offset)
    if not partials:
        raise InputError("merge_quality: no partitions to merge")
    specs = partials[0].expectations
    signature = _signature(specs)
    for p in partials[1:]:
        if _signature(p.expectations) != signature:
            raise InputError(
                f"merge_quality: partition at row {p.row_offset} was checked against different expectations"
            )
    rows = sum(p.rows for p in partials)
    columns = list(dict.fromkeys(c for p in partials for c in p.columns))
    column_rows = {c: sum(p.rows for p in partials if c in p.columns) for c in columns}
    null_counts = {c: sum(p.null_counts.get(c, 0) for p in partials) for c in columns}

    hashes = np.concatenate([p.row_hashes for p in partials]) if rows else np.zeros(0, dtype=np.uint64)
    dup = pd.Series(hashes).duplicated(keep="first").to_numpy() if rows else np.zeros(0, dtype=bool)
    duplicate_examples = []
    for pos in np.flatnonzero(dup)[:EXAMPLES]:
        first = int(np.flatnonzero(hashes == hashes[pos])[0])
        duplicate_examples.append(f"row {int(pos)} duplicates row {first}")

    results = []
    ids: dict[str, int] = {}
    for i, spec in enumerate(specs):
        kind = partials[0].kinds[i]
        parts = [p.results[i] for p in partials]
        merged = _merge_one(kind, spec, parts, rows)
        suite = str(spec["meta"].get("suite") or "custom")
        column = "+".join(_columns_of(spec["kwargs"])) or None
        base = f"data.quality.{suite}.{spec['type']}.{column or 'table'}"
        ids[base] = ids.get(base, 0) + 1
        check_id = base if ids[base] == 1 else f"{base}.{ids[base]}"
        results.append(
            ExpectationResult(
                check_id=check_id,
                suite=suite,
                type=spec["type"],
                column=column,
                kwargs=spec["kwargs"],
                meta=spec["meta"],
                kind=kind,
                partitions=len(partials),
                **merged,
            )
        )
    return QualityResult(
        rows=rows,
        columns=columns,
        column_rows=column_rows,
        null_counts=null_counts,
        duplicate_rows=int(dup.sum()),
        duplicate_examples=duplicate_examples,
        expectations=results,
        partitions=len(partials),
    )


def _signature(specs: list[dict]) -> str:
    return json.dumps([[s["type"], s["kwargs"]] for s in specs], sort_keys=True, default=str)


def _merge_one(kind: str, spec: dict, parts: list[ExpectationPartial], rows: int) -> dict:
    kwargs = spec["kwargs"]
    mostly = kwargs.get("mostly", 1.0)
    mostly = float(mostly) if isinstance(mostly, (int, float)) else 1.0
    errors = [p.error for p in parts if p.error]
    out: dict[str, Any] = {
        "element_count": sum(p.element_count for p in parts),
        "missing_count": 0,
        "unexpected_count": None,
        "unexpected_fraction": None,
        "examples": [],
        "observed_value": None,
        "error": None,
        "success": None,
    }
    if errors and kind not in (EXIST, ROW_COUNT):
        out["error"] = (
            errors[0] if len(set(errors)) == 1 else f"{errors[0]} (and {len(errors) - 1} more partition errors)"
        )
        return out
    if kind == ROW_COUNT:
        out["observed_value"] = rows
        out["success"] = _row_count_ok(spec["type"], kwargs, rows)
        out["unexpected_count"] = 0 if out["success"] else rows
    elif kind in (EXIST, SCHEMA):
        bad = [p for p in parts if not p.success]
        out["unexpected_count"] = sum(p.element_count for p in bad)
        out["success"] = not bad
        out["observed_value"] = bad[0].observed_value if bad else parts[0].observed_value
    elif kind == AGGREGATE:
        if len(parts) > 1:
            out["error"] = (
                f"{spec['type']} is not mergeable across {len(parts)} partitions; "
                "evaluate it on the whole table (one partition)"
            )
            return out
        out["success"] = parts[0].success
        out["observed_value"] = parts[0].observed_value
    elif kind in (UNIQUE, COMPOUND_UNIQUE):
        import pandas as pd

        hashes = np.concatenate([p.hashes for p in parts]) if parts else np.zeros(0, dtype=np.uint64)
        rownums = np.concatenate([p.rows for p in parts]) if parts else np.zeros(0, dtype=np.int64)
        mask = pd.Series(hashes).duplicated(keep=False).to_numpy() if len(hashes) else np.zeros(0, dtype=bool)
        out["missing_count"] = sum(p.missing_count for p in parts)
        out["unexpected_count"] = int(mask.sum())
        examples = []
        for pos in np.flatnonzero(mask)[:EXAMPLES]:
            others = rownums[(hashes == hashes[pos]) & (rownums != rownums[pos])]
            examples.append(f"row {int(rownums[pos])}: value repeated (also row {int(others[0])})")
        out["examples"] = examples
    else:  # MAP
        out["missing_count"] = sum(p.missing_count for p in parts)
        out["unexpected_count"] = sum(p.unexpected_count for p in parts)
        out["examples"] = [e for p in parts for e in p.examples][:EXAMPLES]
    if kind in (UNIQUE, COMPOUND_UNIQUE, MAP):
        considered = out["element_count"] - out["missing_count"]
        unexpected = out["unexpected_count"]
        out["unexpected_fraction"] = unexpected / considered if considered else None
        out["success"] = True if considered == 0 else (considered - unexpected) / considered >= mostly
    elif out["unexpected_count"] is not None and out["element_count"]:
        out["unexpected_fraction"] = out["unexpected_count"] / out["element_count"]
    return out


def _row_count_ok(type_: str, kwargs: dict, rows: int) -> bool:
    if type_ == "expect_table_row_count_to_equal":
        return rows == kwargs.get("value")
    lo, hi = kwargs.get("min_value"), kwargs.get("max_value")
    ok = True
    if lo is not None:
        ok &= rows > lo if kwargs.get("strict_min") else rows >= lo
    if hi is not None:
        ok &= rows < hi if kwargs.get("strict_max") else rows <= hi
    return bool(ok)


# --------------------------------------------------------------------------------------------- checks


def quality_checks(
    result: QualityResult, *, max_null_fraction: float, max_duplicate_row_fraction: float
) -> tuple[list[Check], list[Finding]]:
    """Every expectation as a check (pass / fail; ``inconclusive`` when a column is missing or the
    expectation cannot be merged; ``error`` when GX could not evaluate it), plus null fractions per
    column and the duplicate-row fraction. Findings for everything that did not pass."""
    checks: list[Check] = []
    findings: list[Finding] = []
    for e in result.expectations:
        check, finding = _expectation_check(e)
        checks.append(check)
        if finding is not None:
            findings.append(finding)

    for column in result.columns:
        n, nulls = result.column_rows.get(column, 0), result.null_counts.get(column, 0)
        frac = nulls / n if n else 0.0
        ok = frac <= max_null_fraction
        cid = f"data.quality.nulls.{column}"
        checks.append(
            Check(
                id=cid,
                title=f"Null values in {column}",
                category=CATEGORY,
                outcome=Outcome.PASS if ok else Outcome.FAIL,
                message=f"{nulls} of {n} values are null ({frac:.2%}); at most {max_null_fraction:.2%} allowed",
                metrics=[
                    Metric(name="null_count", value=nulls, n=n),
                    Metric(name="null_fraction", value=round(frac, 6), n=n),
                ],
                threshold=Threshold(metric="null_fraction", op="<=", value=max_null_fraction),
                evidence_kind=EVIDENCE_KIND,
                details={"column": column},
            )
        )
        if not ok:
            findings.append(
                Finding(
                    id=f"quality.nulls.{column}",
                    severity=Severity.MEDIUM,
                    category=CATEGORY,
                    check_id=cid,
                    message=f"column {column}: {frac:.2%} of values are null (policy allows {max_null_fraction:.2%})",
                    location={"column": column},
                    count=nulls,
                    remediation="fill or drop the missing values, or raise the null allowance for this column with a reason",
                )
            )

    frac = result.duplicate_rows / result.rows if result.rows else 0.0
    ok = frac <= max_duplicate_row_fraction
    checks.append(
        Check(
            id="data.quality.duplicate_rows",
            title="Duplicate rows",
            category=CATEGORY,
            outcome=Outcome.PASS if ok else Outcome.FAIL,
            message=f"{result.duplicate_rows} of {result.rows} rows repeat an earlier row ({frac:.2%}); "
            f"at most {max_duplicate_row_fraction:.2%} allowed",
            metrics=[
                Metric(name="duplicate_rows", value=result.duplicate_rows, n=result.rows),
                Metric(name="duplicate_row_fraction", value=round(frac, 6), n=result.rows),
            ],
            threshold=Threshold(metric="duplicate_row_fraction", op="<=", value=max_duplicate_row_fraction),
            evidence_kind=EVIDENCE_KIND,
            details={"examples": result.duplicate_examples, "partitions": result.partitions},
        )
    )
    if not ok:
        findings.append(
            Finding(
                id="quality.duplicate_rows",
                severity=Severity.MEDIUM,
                category=CATEGORY,
                check_id="data.quality.duplicate_rows",
                message=f"{result.duplicate_rows} duplicate rows ({frac:.2%}; policy allows {max_duplicate_row_fraction:.2%})",
                location={"rows": ", ".join(e.split()[1] for e in result.duplicate_examples)},
                count=result.duplicate_rows,
                examples=result.duplicate_examples,
                remediation="deduplicate the dataset (duplicates leak between train and test splits and overweight records)",
            )
        )
    return checks, findings


def _expectation_check(e: ExpectationResult) -> tuple[Check, Finding | None]:
    mostly = e.kwargs.get("mostly", 1.0)
    mostly = float(mostly) if isinstance(mostly, (int, float)) else 1.0
    described = _describe(e)
    where = e.column or "the table"
    if e.error is not None:
        missing = _MISSING_COLUMN in e.error or "not mergeable" in e.error
        outcome = Outcome.INCONCLUSIVE if missing else Outcome.ERROR
        message = f"could not be evaluated: {e.error}"
    elif e.success:
        outcome, message = Outcome.PASS, _summary(e, mostly)
    else:
        outcome, message = Outcome.FAIL, _summary(e, mostly)
    metrics = [
        Metric(name="element_count", value=e.element_count),
        Metric(name="unexpected_count", value=e.unexpected_count, n=e.element_count - e.missing_count),
        Metric(
            name="unexpected_fraction",
            value=None if e.unexpected_fraction is None else round(e.unexpected_fraction, 6),
            n=e.element_count - e.missing_count,
        ),
    ]
    if e.missing_count:
        metrics.append(Metric(name="missing_count", value=e.missing_count))
    if isinstance(e.observed_value, (int, float, str)) and not isinstance(e.observed_value, bool):
        metrics.append(Metric(name="observed_value", value=e.observed_value))
    threshold = None
    if e.kind in (MAP, UNIQUE, COMPOUND_UNIQUE, EXIST, SCHEMA):
        threshold = Threshold(metric="unexpected_fraction", op="<=", value=round(1.0 - mostly, 6))
    check = Check(
        id=e.check_id,
        title=f"{e.suite}: {e.type.removeprefix('expect_').replace('_', ' ')} ({where})",
        category=CATEGORY,
        outcome=outcome,
        message=f"{described}: {message}",
        metrics=metrics,
        threshold=threshold,
        evidence_kind=EVIDENCE_KIND,
        details={
            "expectation_type": e.type,
            "kwargs": e.kwargs,
            "suite": e.suite,
            "kind": e.kind,
            "examples": e.examples,
            "observed_value": e.observed_value,
            "error": e.error,
            "partitions": e.partitions,
            "why": e.meta.get("why"),
        },
    )
    if outcome == Outcome.PASS:
        return check, None
    finding = Finding(
        id=e.check_id.removeprefix("data."),
        severity=Severity.MEDIUM if outcome == Outcome.FAIL else Severity.LOW,
        category=CATEGORY,
        check_id=e.check_id,
        message=f"{described} on {where}: {message}",
        location={"column": e.column} if e.column else {"table": "(whole table)"},
        count=e.unexpected_count if outcome == Outcome.FAIL else None,
        examples=list(e.examples),
        remediation=("fix the data or the expectation (suite " + e.suite + ")")
        if outcome == Outcome.FAIL
        else "make the suite fit the data (column names, types) so that the expectation can be evaluated",
    )
    return check, finding


def _describe(e: ExpectationResult) -> str:
    shown = []
    for key, value in e.kwargs.items():
        if value is None or key in (
            "column",
            "column_A",
            "column_B",
            "column_list",
            "result_format",
            "catch_exceptions",
        ):
            continue
        text = json.dumps(value, default=str, ensure_ascii=False)
        shown.append(f"{key}={text if len(text) <= 80 else text[:77] + '...'}")
    return f"{e.type}({', '.join(shown)})" if shown else e.type


def _summary(e: ExpectationResult, mostly: float) -> str:
    if e.kind == ROW_COUNT:
        return f"{e.observed_value} rows"
    if e.kind in (EXIST, SCHEMA):
        if e.success:
            return "holds in every partition" if e.partitions > 1 else "holds"
        return f"does not hold for {e.unexpected_count} of {e.element_count} rows (observed: {e.observed_value})"
    if e.kind == AGGREGATE:
        return f"observed {e.observed_value}"
    considered = e.element_count - e.missing_count
    frac = e.unexpected_fraction or 0.0
    return f"{e.unexpected_count} of {considered} values unexpected ({frac:.2%}); allowed {1 - mostly:.2%}"


def _plain(value: Any) -> Any:
    """JSON-safe plain Python (numpy scalars and arrays, dates as text)."""

    def default(o: Any) -> Any:
        if isinstance(o, np.generic):
            return o.item()
        if isinstance(o, np.ndarray):
            return o.tolist()
        return str(o)

    if value is None:
        return None
    return json.loads(json.dumps(value, default=default, allow_nan=True))
