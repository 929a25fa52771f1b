"""Partials merged in row order into exact results."""

from __future__ import annotations

import json
from typing import Any

import numpy as np

from govgate.checks.quality.constants import AGGREGATE, COMPOUND_UNIQUE, EXAMPLES, EXIST, MAP, ROW_COUNT, SCHEMA, UNIQUE
from govgate.checks.quality.partitions import columns_of
from govgate.checks.quality.results import ExpectationPartial, ExpectationResult, QualityPartial, QualityResult
from govgate.errors import InputError

# --------------------------------------------------------------------------------------------- merge


def merge_quality(partials: list[QualityPartial]) -> QualityResult:
    """Merge the partials of one dataset (any order). Equal to checking the whole table at once, except
    that aggregate expectations become inconclusive when there is more than one partition."""
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

    lines = all(p.text_lines for p in partials)
    duplicate_rows, duplicate_examples = _duplicate_rows(partials, rows, "line" if lines else "row")
    return QualityResult(
        rows=rows,
        columns=columns,
        column_rows=column_rows,
        null_counts=null_counts,
        duplicate_rows=duplicate_rows,
        duplicate_examples=duplicate_examples,
        expectations=_merged_expectations(partials, rows),
        partitions=len(partials),
        unit="line" if lines else "row",
    )


def _duplicate_rows(partials: list[QualityPartial], rows: int, unit: str = "row") -> tuple[int, list[str]]:
    """Rows that repeat an earlier row (by 64-bit row hash, across partitions), and a few examples: 0-based
    dataset rows, or 1-based lines of a text file (``unit="line"``)."""
    import pandas as pd

    hashes = np.concatenate([p.row_hashes for p in partials]) if rows else np.zeros(0, dtype=np.uint64)
    dup = pd.Series(hashes).duplicated(keep="first").to_numpy() if rows else np.zeros(0, dtype=bool)
    if rows:  # blank lines of a text file are layout, not repeated records
        dup = dup & ~np.concatenate(
            [p.blank_rows if p.blank_rows is not None else np.zeros(p.rows, bool) for p in partials]
        )
    examples = []
    for pos in np.flatnonzero(dup)[:EXAMPLES]:
        first = int(np.flatnonzero(hashes == hashes[pos])[0])
        base = 1 if unit == "line" else 0
        examples.append(f"{unit} {int(pos) + base} duplicates {unit} {first + base}")
    return int(dup.sum()), examples


def _merged_expectations(partials: list[QualityPartial], rows: int) -> list[ExpectationResult]:
    """Each expectation's partials merged, with a check id unique within the dataset."""
    results = []
    ids: dict[str, int] = {}
    for i, spec in enumerate(partials[0].expectations):
        kind = partials[0].kinds[i]
        merged = _merge_one(kind, spec, [p.results[i] for p in partials], rows)
        suite = str(spec["meta"].get("suite") or "custom")
        column = "+".join(columns_of(spec["kwargs"])) or None
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
    return results


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
        return {
            **out,
            "error": errors[0]
            if len(set(errors)) == 1
            else f"{errors[0]} (and {len(errors) - 1} more partition errors)",
        }
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
            hint = "evaluate it on the whole table (one partition)"
            return {**out, "error": f"{spec['type']} is not mergeable across {len(parts)} partitions; {hint}"}
        out["success"] = parts[0].success
        out["observed_value"] = parts[0].observed_value
    elif kind in (UNIQUE, COMPOUND_UNIQUE):
        out["missing_count"] = sum(p.missing_count for p in parts)
        out["unexpected_count"], out["examples"] = _repeated_values(parts)
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


def _repeated_values(parts: list[ExpectationPartial]) -> tuple[int, list[str]]:
    """Values (by hash, across partitions) that occur more than once: how many rows hold one, and examples."""
    import pandas as pd

    hashes = np.concatenate([p.hashes for p in parts]) if parts else np.zeros(0, dtype=np.uint64)
    rownums = np.concatenate([p.rows for p in parts]) if parts else np.zeros(0, dtype=np.int64)
    mask = pd.Series(hashes).duplicated(keep=False).to_numpy() if len(hashes) else np.zeros(0, dtype=bool)
    examples = []
    for pos in np.flatnonzero(mask)[:EXAMPLES]:
        others = rownums[(hashes == hashes[pos]) & (rownums != rownums[pos])]
        examples.append(f"row {int(rownums[pos])}: value repeated (also row {int(others[0])})")
    return int(mask.sum()), examples


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
