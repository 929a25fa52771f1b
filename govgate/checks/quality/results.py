"""Result types of the quality checks: per-partition partials and the merged result (picklable)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np

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
    # rows whose every value is a blank string (a text file's empty lines): not records, so never duplicates
    blank_rows: np.ndarray | None = None
    text_lines: bool = False  # the rows are a text file's lines: named by 1-based line number


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
    unit: str = "row"  # "line" for a text file: examples and locations are 1-based line numbers

    def expectation(self, check_id: str) -> ExpectationResult:
        for e in self.expectations:
            if e.check_id == check_id:
                return e
        raise KeyError(check_id)
