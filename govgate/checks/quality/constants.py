"""Settings of the quality checks shared by their modules: where suites live, example limits, and how each kind of expectation is evaluated so that partials merge exactly."""

from __future__ import annotations

from pathlib import Path

EXPECTATIONS_DIR = Path(__file__).resolve().parents[3] / "expectations"
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


MISSING_COLUMN = "is not in the data"
