"""Shared data of the quality tests: the reviews file's column names and checking a frame in partitions."""

from __future__ import annotations

import pandas as pd

from govgate.checks.quality import (
    merge_quality,
    quality_partition,
)

REVIEW_COLUMNS = [
    "reviewerID",
    "asin",
    "reviewerName",
    "helpful",
    "reviewText",
    "overall",
    "summary",
    "unixReviewTime",
    "reviewTime",
]


def split_at(df: pd.DataFrame, cuts: list[int]) -> list[tuple[pd.DataFrame, int]]:
    bounds = [0, *cuts, len(df)]
    return [(df.iloc[a:b].reset_index(drop=True), a) for a, b in zip(bounds, bounds[1:])]


def check_in_partitions(df: pd.DataFrame, expectations: list[dict], cuts: list[int] | None = None):
    parts = split_at(df, cuts or [])
    return merge_quality([quality_partition(p, expectations, row_offset=off) for p, off in reversed(parts)])
