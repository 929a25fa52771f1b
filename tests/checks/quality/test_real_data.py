"""The shipped suites on the shared files (or their stand-ins in a fresh clone, tests/data/README.md)."""

from __future__ import annotations

import pandas as pd

from govgate.checks.quality import (
    generic_expectations,
    load_suite,
    quality_checks,
)
from govgate.record import Outcome
from tests.checks.quality.helpers import REVIEW_COLUMNS, check_in_partitions

# ------------------------------------------------------------------------------------------ real data


def test_german_credit_suite_passes_on_the_real_file_in_partitions(shared_data):
    df = pd.read_csv(shared_data / "german_credit" / "german.csv")
    expectations = load_suite("german_credit") + generic_expectations(
        [{"name": "age", "nullable": False, "min": 18}], list(df.columns)
    )
    result = check_in_partitions(df, expectations, [250, 500, 750])
    assert result == check_in_partitions(df, expectations)
    checks, findings = quality_checks(result, max_null_fraction=0.0, max_duplicate_row_fraction=0.0)
    assert all(c.outcome == Outcome.PASS for c in checks), [c.id for c in checks if c.outcome != Outcome.PASS]
    assert not findings


def test_ecommerce_reviews_suite_on_the_real_file(shared_data):
    df = pd.read_csv(shared_data / "ecommerce" / "Musical_instruments_reviews.csv", header=None, names=REVIEW_COLUMNS)
    result = check_in_partitions(df, load_suite("ecommerce_reviews"), [1700, 3400])
    checks, _ = quality_checks(result, max_null_fraction=0.01, max_duplicate_row_fraction=0.0)
    outcomes = {c.id: c.outcome for c in checks}
    assert (
        outcomes["data.quality.ecommerce_reviews.expect_compound_columns_to_be_unique.reviewerID+asin"] == Outcome.PASS
    )
    assert outcomes["data.quality.ecommerce_reviews.expect_column_values_to_be_in_set.overall"] == Outcome.PASS
    assert all(o == Outcome.PASS for o in outcomes.values()), [k for k, o in outcomes.items() if o != Outcome.PASS]


def test_blank_lines_of_a_text_file_are_not_duplicate_rows():
    """A code file's empty lines are layout: only a repeated non-blank line counts (across partitions)."""
    lines = ["import os", "", "def f():", "    return 1", "", "   ", "", "import os", ""]
    df = pd.DataFrame({"line": lines})
    result = check_in_partitions(df, [], [4])
    assert result.duplicate_rows == 1 and result.duplicate_examples == ["row 7 duplicates row 0"]
    from govgate.checks.quality import merge_quality, quality_partition

    parts = [
        quality_partition(df.iloc[:4], [], text_lines=True),
        quality_partition(df.iloc[4:], [], row_offset=4, text_lines=True),
    ]
    as_lines = merge_quality(parts)
    assert as_lines.duplicate_examples == ["line 8 duplicates line 1"]  # 1-based, as an editor shows them
    checks, findings = quality_checks(as_lines, max_null_fraction=1.0, max_duplicate_row_fraction=0.0)
    assert next(f for f in findings if f.id == "quality.duplicate_rows").location == {"lines": "8"}
    table = pd.DataFrame({"a": [None, None, 1.0], "b": [None, None, 2.0]})  # a table's empty rows still count
    assert check_in_partitions(table, []).duplicate_rows == 1
