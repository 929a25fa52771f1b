"""Partition-wise checks whose merge equals the one-shot result (uniqueness and duplicates across partitions)."""

from __future__ import annotations

import pandas as pd

from govgate.checks.quality import (
    merge_quality,
    quality_checks,
    quality_partition,
)
from govgate.record import Outcome
from tests.checks.quality.helpers import check_in_partitions


def test_merged_partitions_equal_the_one_shot_result(messy, messy_expectations):
    one = check_in_partitions(messy, messy_expectations)
    for cuts in ([5], [3, 5, 8], [1, 2, 3, 4, 5, 6, 7, 8, 9]):
        assert check_in_partitions(messy, messy_expectations, cuts) == one, cuts

    get = {(e.type, e.column): e for e in one.expectations}
    assert one.rows == 10 and one.null_counts["age"] == 1 and one.null_counts["sex"] == 1
    assert one.duplicate_rows == 0  # row 8 differs from row 1 in 'code'
    assert get[("expect_column_values_to_be_between", "age")].unexpected_count == 2  # 17 and 200
    assert get[("expect_column_values_to_not_be_null", "age")].unexpected_count == 1
    assert get[("expect_column_values_to_be_in_set", "sex")].unexpected_count == 1  # 'x'; the null is not counted
    assert get[("expect_column_values_to_be_unique", "id")].unexpected_count == 2  # rows 1 and 8
    assert get[("expect_column_values_to_be_unique", "code")].unexpected_count == 2  # rows 2 and 7
    assert get[("expect_compound_columns_to_be_unique", "code+city")].unexpected_count == 2
    assert get[("expect_column_values_to_be_unique", "code")].examples == [
        "row 2: value repeated (also row 7)",
        "row 7: value repeated (also row 2)",
    ]
    assert get[("expect_column_values_to_match_regex", "code")].unexpected_count == 1  # 'B2x'
    assert get[("expect_table_row_count_to_be_between", None)].success is True


def test_uniqueness_and_map_counts_agree_with_gx_on_the_whole_table(messy, messy_expectations):
    """Our cross-partition hashing gives GX's own numbers on the unsplit frame."""
    import great_expectations as gx
    from great_expectations.core import ExpectationSuite
    from great_expectations.expectations.expectation_configuration import ExpectationConfiguration

    ctx = gx.get_context(mode="ephemeral")
    batch = (
        ctx.data_sources.add_pandas("check")
        .add_dataframe_asset("whole")
        .add_batch_definition_whole_dataframe("w")
        .get_batch(batch_parameters={"dataframe": messy})
    )
    exps = [e for e in messy_expectations if e["type"] != "expect_column_to_exist"]
    suite = ExpectationSuite(
        name="whole",
        expectations=[
            ExpectationConfiguration(type=e["type"], kwargs=e["kwargs"], meta={"i": i}).to_domain_obj()
            for i, e in enumerate(exps)
        ],
    )
    gx_result = {int(r.expectation_config.meta["i"]): r for r in batch.validate(suite).results}
    merged = check_in_partitions(messy, exps, [3, 7])
    for i, e in enumerate(merged.expectations):
        assert e.success == gx_result[i].success, e.check_id
        if "unexpected_count" in gx_result[i].result:
            assert e.unexpected_count == gx_result[i].result["unexpected_count"], e.check_id


def test_duplicate_row_split_across_partitions_is_found():
    df = pd.DataFrame({"a": [1, 2, 3, 4, 2, 6], "b": ["x", "y", "z", "w", "y", "v"]})
    expectations = [{"type": "expect_column_values_to_not_be_null", "kwargs": {"column": "a"}, "meta": {"suite": "t"}}]
    parts = [
        quality_partition(df.iloc[:3], expectations),
        quality_partition(df.iloc[3:].reset_index(drop=True), expectations, row_offset=3),
    ]
    # the second chunk came back from Parquet with 'a' as float because of a null elsewhere: still equal
    parts[1] = quality_partition(
        df.iloc[3:].astype({"a": "float64"}).reset_index(drop=True), expectations, row_offset=3
    )
    result = merge_quality(parts)
    assert result.duplicate_rows == 1 and result.duplicate_examples == ["row 4 duplicates row 1"]
    checks, findings = quality_checks(result, max_null_fraction=0.2, max_duplicate_row_fraction=0.1)
    dup = next(c for c in checks if c.id == "data.quality.duplicate_rows")
    assert dup.outcome == Outcome.FAIL and dup.threshold.value == 0.1
    assert {m.name: m.value for m in dup.metrics}["duplicate_rows"] == 1
    assert next(f for f in findings if f.check_id == "data.quality.duplicate_rows").examples == [
        "row 4 duplicates row 1"
    ]
