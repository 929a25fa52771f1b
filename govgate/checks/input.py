"""Checks on the input file itself, before its values: bytes and a header that make values ambiguous.

A NUL byte in a text format truncates or hides a value in many readers (C strings, some databases), and a
header that names a column twice makes "the amount column" mean two things; pandas silently renames the
second one (``amount.1``). Both are recorded as failed checks so that the review does not read as clean.
"""

from __future__ import annotations

from govgate.datasets import DatasetInfo
from govgate.record import Check, Metric, Threshold


def input_checks(info: DatasetInfo) -> list[Check]:
    return [_nul_bytes_check(info), _duplicate_columns_check(info)]


def _nul_bytes_check(info: DatasetInfo) -> Check:
    threshold = Threshold(metric="nul_bytes", op="<=", value=0)
    if info.format == "parquet":
        return Check(
            id="data.input.nul_bytes",
            title="No NUL bytes in a text file",
            category="quality",
            outcome="skipped",
            message="Parquet is a binary format: NUL bytes are part of its encoding",
        )
    found = info.nul_bytes
    return Check(
        id="data.input.nul_bytes",
        title="No NUL bytes in a text file",
        category="quality",
        outcome=threshold.judge(found),
        message=(
            f"{found:,} NUL byte(s) in {info.format.upper()} text: values holding them are truncated or hidden by "
            "many readers; find and remove them at the source"
            if found
            else f"no NUL bytes in {info.size:,} bytes"
        ),
        metrics=[Metric(name="nul_bytes", value=found)],
        threshold=threshold,
    )


def _duplicate_columns_check(info: DatasetInfo) -> Check:
    threshold = Threshold(metric="duplicate_column_names", op="<=", value=0)
    dups = info.duplicate_columns
    return Check(
        id="data.input.duplicate_columns",
        title="Each column named once",
        category="quality",
        outcome=threshold.judge(len(dups)),
        message=(
            f"column name(s) {dups[:20]} appear more than once in the header; the later copies were read as "
            f"{[c for c in info.columns if c.rsplit('.', 1)[0] in dups and c not in dups][:20]}: rename them at the source"
            if dups
            else f"{len(info.columns)} distinct column names"
        ),
        metrics=[Metric(name="duplicate_column_names", value=len(dups))],
        threshold=threshold,
        details={"duplicate_columns": dups[:100]},
    )
