"""Great Expectations, imported once under a lock: expectations validated and run on one partition, with redacted examples."""

from __future__ import annotations

import hashlib
import json
import math
import threading
from typing import TYPE_CHECKING, Any

import numpy as np

from govgate.checks.quality.constants import EXAMPLES, MAP, MAX_SHOWN_NUMBER
from govgate.checks.quality.results import ExpectationPartial
from govgate.errors import InputError

if TYPE_CHECKING:
    import pandas as pd

_INDEX_META = "_govgate_index"


_gx_lock = threading.RLock()
_gx_state: dict[str, Any] = {}


def gx_expectation(type_: str, kwargs: dict, meta: dict, where: str):
    gx_batch_definition()
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


# --------------------------------------------------------------------------------------------- GX


def gx_batch_definition():
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


def run_gx(frame: pd.DataFrame, specs: list[dict]) -> dict[int, ExpectationPartial]:
    gx_batch_definition()  # first, like every GX entry point (see gx_batch_definition)
    from great_expectations.core import ExpectationSuite

    expectations = [
        gx_expectation(s["type"], s["kwargs"], {_INDEX_META: s["index"]}, f"expectations[{s['index']}]") for s in specs
    ]
    by_index = {s["index"]: s for s in specs}
    out: dict[int, ExpectationPartial] = {}
    with _gx_lock:  # one shared ephemeral context; GX is not documented as thread-safe
        batch = gx_batch_definition().get_batch(batch_parameters={"dataframe": frame})
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
            observed = plain_json(result.get("observed_value"))
            partial.observed_value = _observed(observed) if _of_cells(spec["type"]) else observed
        out[i] = partial
    missing = set(by_index) - set(out)
    for i in missing:  # should not happen; never let an expectation vanish
        out[i] = ExpectationPartial(element_count=len(frame), error="Great Expectations returned no result")
    return out


# column expectations whose observed value is a type name, not a cell
_TYPE_RESULTS = ("expect_column_values_to_be_of_type", "expect_column_values_to_be_in_type_list")


def _of_cells(type_: str) -> bool:
    """Whether an expectation's observed value is made of the column's cells (table-level ones observe
    column names and counts)."""
    return type_.startswith("expect_column") and type_ not in _TYPE_RESULTS


def _observed(value: Any) -> Any:
    """An aggregate's observed value for evidence: numbers, booleans and their lists as measured; text
    withheld (the most common value, a max or a sum of a text column is a cell, or all of them joined)."""
    if isinstance(value, str):
        return f"<text withheld: {len(value)} characters>"
    if isinstance(value, list):
        return [_observed(v) for v in value]
    if isinstance(value, dict):
        return {k: _observed(v) for k, v in value.items()}
    return value


def _gx_error(info: Any) -> str | None:
    if not isinstance(info, dict):
        return None
    # GX's text is pandas' ("Could not convert '<a cell>' to numeric"): its shape only, never a cell
    from govgate.library_errors import shape_of

    if info.get("raised_exception"):
        return shape_of(info.get("exception_message") or "exception without a message")
    for value in info.values():
        if isinstance(value, dict) and value.get("raised_exception"):
            return shape_of(value.get("exception_message") or "exception without a message")
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


def plain_json(value: Any) -> Any:
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
