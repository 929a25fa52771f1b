"""Scanning one partition (seeded sample of structured and numeric columns, every row of text columns) and merging partials."""

from __future__ import annotations

import secrets
import time
import zlib
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd
import regex as re

from govgate.checks.pii.analyze import analyze_cells
from govgate.checks.pii.constants import EXAMPLES_PER_ENTITY, KINDS
from govgate.checks.pii.engine import build_analyzer
from govgate.checks.pii.names import alpha_words, full_name_shaped
from govgate.checks.pii.plan import plan_columns
from govgate.checks.pii.redaction import keyed_digest, text_examples
from govgate.checks.pii.results import ColumnPii, PiiPartial, PiiResult
from govgate.errors import InputError

if TYPE_CHECKING:
    from presidio_analyzer import AnalyzerEngine

# key of the example digests when the caller gives none: stable within a process, unguessable outside it,
# so a short digest of a phone number cannot be reversed by enumerating phone numbers
_PROCESS_KEY = secrets.token_bytes(32)


def cell_strings(series: pd.Series) -> list[str]:
    """The non-null values of a column as strings; integral floats without ``.0`` (an id or phone number
    read as float must look like one)."""
    values = series.dropna()
    if pd.api.types.is_float_dtype(values):
        arr = values.to_numpy(dtype="float64")
        integral = np.isfinite(arr) & (np.floor(arr) == arr) & (np.abs(arr) < 1e18)
        return [str(int(v)) if ok else repr(float(v)) for v, ok in zip(arr, integral)]
    if pd.api.types.is_integer_dtype(values) or pd.api.types.is_bool_dtype(values):
        return [str(v) for v in values.tolist()]
    return values.astype(str).tolist()


_INTEGER = re.compile(r"[+-]?\d+")


def analyze_column(analyzer: AnalyzerEngine, name: str, kind: str, distinct: list[str]) -> list[list]:
    """Results per distinct value: text without context; structured with the column name as context;
    numeric likewise, but only integers (a phone number or an id can be stored as a number, a
    fractional value is neither)."""
    if kind == "text":
        return analyze_cells(analyzer, distinct)
    if kind == "structured":
        return analyze_cells(analyzer, distinct, context=[name])
    whole = [i for i, v in enumerate(distinct) if _INTEGER.fullmatch(v)]
    results: list[list] = [[] for _ in distinct]
    for i, found in zip(whole, analyze_cells(analyzer, [distinct[i] for i in whole], context=[name])):
        results[i] = found
    return results


# Unix times in seconds or milliseconds from 2001-09-09 to 2039-09-19: 10 or 13 digits, a range that
# Vietnamese phone numbers read as numbers (9 digits) and North American ones (2..9 x 10^9) leave out.
_UNIX_TIME = re.compile(r"1\d{9}(?:\d{3})?|2[01]\d{8}(?:\d{3})?")
# a column name that says "time": reviewTime, created_at, eventTs, last_updated, dob_date ...
_TIME_WORDS = re.compile(r"time|date|epoch|created|updated|modified|(?:^|_)ts(?:_|$)|_at$")


def _is_unix_time(value: str) -> bool:
    return _UNIX_TIME.fullmatch(value) is not None


def named_as_time(column: str) -> bool:
    words = re.sub(r"([a-z0-9])([A-Z])", r"\1_\2", column).lower().replace("-", "_").replace(" ", "_")
    return _TIME_WORDS.search(words) is not None


def distinct_values(values: list[str]) -> tuple[list[str], list[int]]:
    index: dict[str, int] = {}
    inverse = [index.setdefault(v, len(index)) for v in values]
    return list(index), inverse


def scan_pii_partition(
    df: pd.DataFrame,
    plan: dict[str, str],
    *,
    sample_rows: int,
    ner_model: str | None,
    seed: int = 0,
    example_key: str | None = None,
) -> PiiPartial:
    """Scan one partition.

    Structured and numeric columns: up to ``sample_rows`` non-null values per column, drawn with a
    generator seeded by (``seed``, column name), analysed with the column name as context. Text columns:
    every non-null row. Columns missing from ``plan`` are planned from this partition.

    ``example_key`` keys the digests of structured examples (default: a random key of this process, so
    digests agree within one process only).
    """
    if sample_rows < 1:
        raise InputError(f"sample_rows must be at least 1, got {sample_rows}")
    started = time.perf_counter()
    analyzer, ner = build_analyzer(ner_model)
    key = example_key.encode() if example_key else _PROCESS_KEY
    unplanned = [c for c in df.columns if str(c) not in plan]
    plan = {**plan, **(plan_columns(df[unplanned]) if unplanned else {})}
    columns: dict[str, ColumnPii] = {}
    for col in df.columns:
        name = str(col)
        kind = plan[name]
        if kind not in KINDS:
            raise InputError(f"column {name!r}: unknown plan kind {kind!r} (expected one of {list(KINDS)})")
        columns[name] = _scan_column(analyzer, df[col], name, kind, sample_rows=sample_rows, seed=seed, key=key)
    return PiiPartial(
        columns=columns,
        rows=len(df),
        ner_model=ner_model or None,
        ner_available=ner,
        seconds=time.perf_counter() - started,
    )


def _scan_column(
    analyzer: AnalyzerEngine, series: pd.Series, name: str, kind: str, *, sample_rows: int, seed: int, key: bytes
) -> ColumnPii:
    """One column of a partition: its sample (every value of a text column), analysed, counted."""
    values = cell_strings(series)
    stats = ColumnPii(kind=kind, values=len(values))
    if kind != "text" and len(values) > sample_rows:
        rng = np.random.default_rng([seed & 0xFFFFFFFF, zlib.crc32(name.encode())])
        picks = np.sort(rng.choice(len(values), size=sample_rows, replace=False))
        values = [values[i] for i in picks]
    stats.scanned = len(values)
    if kind != "text":
        stats.unix_times = sum(1 for v in values if _is_unix_time(v))
    distinct, inverse = distinct_values(values)
    if kind == "structured":  # the shape of person names, for names without NER (names.py)
        stats.alpha_words = sum(1 for v in values if alpha_words(v))
        stats.full_names = sum(1 for v in values if full_name_shaped(v))
        stats.distinct_share = len(distinct) / len(values) if values else 0.0
    results = analyze_column(analyzer, name, kind, distinct)
    examples_of: dict[int, dict[str, str]] = {}
    for u in inverse:
        found = results[u]
        if not found:
            continue
        stats.with_pii += 1
        for entity in dict.fromkeys(r.entity_type for r in found):
            stats.counts[entity] = stats.counts.get(entity, 0) + 1
            kept = stats.examples.setdefault(entity, [])
            if len(kept) >= EXAMPLES_PER_ENTITY:
                continue
            if kind == "text":
                if u not in examples_of:
                    examples_of[u] = text_examples(distinct[u], found)
                example = examples_of[u][entity]
            else:
                example = f"<{entity}> {keyed_digest(distinct[u], key)}"
            if example not in kept:
                kept.append(example)
    return stats


def merge_pii(partials: list[PiiPartial]) -> PiiResult:
    """Sum the partials' counts (in the given order, which also orders the examples)."""
    columns: dict[str, ColumnPii] = {}
    for part in partials:
        for name, col in part.columns.items():
            into = columns.setdefault(name, ColumnPii(kind=col.kind))
            into.values += col.values
            into.scanned += col.scanned
            into.with_pii += col.with_pii
            into.unix_times += col.unix_times
            into.alpha_words += col.alpha_words
            into.full_names += col.full_names
            into.distinct_share = max(into.distinct_share, col.distinct_share)
            for entity, count in col.counts.items():
                into.counts[entity] = into.counts.get(entity, 0) + count
            for entity, examples in col.examples.items():
                kept = into.examples.setdefault(entity, [])
                kept += [e for e in examples if e not in kept][: EXAMPLES_PER_ENTITY - len(kept)]
    return PiiResult(
        columns=columns,
        rows=sum(p.rows for p in partials),
        partitions=len(partials),
        ner_model=next((p.ner_model for p in partials if p.ner_model), None),
        ner_available=bool(partials) and all(p.ner_available for p in partials),
        seconds=sum(p.seconds for p in partials),
    )
