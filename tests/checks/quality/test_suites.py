"""Suites as data: shipped suites load, malformed files are named with their problem, GX round-trips, the datasheet suite."""

from __future__ import annotations

import json

import pytest

from govgate.checks.quality import (
    EXPECTATIONS_DIR,
    generic_expectations,
    load_suite,
)
from govgate.errors import InputError

# ------------------------------------------------------------------------------------------ suites


def test_shipped_suites_load_and_are_tagged_with_their_name():
    for name in ("generic", "german_credit", "ecommerce_reviews"):
        suite = load_suite(name)
        assert suite and all(set(e) == {"type", "kwargs", "meta"} for e in suite)
        assert {e["meta"]["suite"] for e in suite} == {name}
    assert (EXPECTATIONS_DIR / "README.md").is_file()


@pytest.mark.parametrize(
    ("content", "expected"),
    [
        ("{not json", "not valid JSON at line 1"),
        ('["a"]', "expected an object"),
        ('{"name": "other", "expectations": []}', "must be the file's name 'bad'"),
        ('{"name": "bad", "expectations": [], "extra": 1}', "unknown key(s) ['extra']"),
        ('{"name": "bad"}', "'expectations' must be a list"),
        (
            '{"name": "bad", "expectations": [{"type": "expect_nothing_at_all", "kwargs": {}}]}',
            "expectations[0]: unknown expectation type 'expect_nothing_at_all'",
        ),
        (
            '{"name": "bad", "expectations": [{"type": "expect_column_values_to_be_in_set", "kwargs": {"column": "a"}}]}',
            "expectations[0] (expect_column_values_to_be_in_set): invalid kwargs: 1 validation error",
        ),
        (
            '{"name": "bad", "expectations": [{"type": "expect_column_values_to_be_between", "kwargs": {"column": "a", "min_value": 1, "colour": 2}}]}',
            "colour",
        ),
        (
            '{"name": "bad", "expectations": [{"type": "expect_column_values_to_not_be_null", "kwargs": {"column": "a"}, "why": "x"}]}',
            "unknown key(s) ['why']",
        ),
    ],
)
def test_malformed_suite_file_names_the_file_and_the_problem(tmp_path, content, expected):
    (tmp_path / "bad.json").write_text(content)
    with pytest.raises(InputError) as err:
        load_suite("bad", directory=tmp_path)
    assert str(tmp_path / "bad.json") in str(err.value)
    assert expected in str(err.value)


def test_unknown_suite_lists_the_known_ones():
    with pytest.raises(InputError, match=r"no_such_suite.*does not exist; known suites: .*german_credit"):
        load_suite("no_such_suite")
    with pytest.raises(InputError, match="not valid"):
        load_suite("../policies/default")


def test_gx_serialisation_round_trips(tmp_path):
    from great_expectations.core import ExpectationSuite
    from great_expectations.expectations.expectation_configuration import ExpectationConfiguration

    original = load_suite("german_credit")
    gx_suite = ExpectationSuite(
        name="roundtrip",
        expectations=[
            ExpectationConfiguration(type=e["type"], kwargs=e["kwargs"], meta=e["meta"]).to_domain_obj()
            for e in original
        ],
    )
    (tmp_path / "roundtrip.json").write_text(json.dumps(gx_suite.to_json_dict(), default=str))
    again = load_suite("roundtrip", directory=tmp_path)
    assert [(e["type"], e["kwargs"]["column"] if "column" in e["kwargs"] else None) for e in again] == [
        (e["type"], e["kwargs"].get("column")) for e in original
    ]


# ------------------------------------------------------------------------------------------ datasheet suite


def test_generic_expectations_from_datasheet_columns():
    columns = [
        {"name": "id", "type": "id", "nullable": False, "unique": True},
        {"name": "age", "type": "integer", "min": 18, "max": 100, "nullable": False},
        {"name": "sex", "type": "category", "allowed_values": ["female", "male"]},
        {"name": "income", "type": "float", "min": 0},
        {"name": "email", "type": "string", "pii": True},
        {"name": "declared_but_absent", "nullable": False, "min": 0},
    ]
    exps = generic_expectations(columns, ["id", "age", "sex", "income", "email", "extra"])
    got = {(e["type"], e["kwargs"].get("column")) for e in exps}
    assert got == {
        ("expect_table_row_count_to_be_between", None),  # expectations/generic.json
        *[("expect_column_to_exist", c["name"]) for c in columns],
        ("expect_column_values_to_not_be_null", "id"),
        ("expect_column_values_to_be_unique", "id"),
        ("expect_column_values_to_not_be_null", "age"),
        ("expect_column_values_to_be_between", "age"),
        ("expect_column_values_to_be_in_set", "sex"),
        ("expect_column_values_to_be_between", "income"),
    }
    age = next(e for e in exps if e["type"] == "expect_column_values_to_be_between" and e["kwargs"]["column"] == "age")
    assert age["kwargs"]["min_value"] == 18 and age["kwargs"]["max_value"] == 100
    assert all(e["meta"]["suite"] == "generic" for e in exps)
    assert next(e for e in exps if e["kwargs"].get("column") == "email")["meta"]["pii"] is True
    with pytest.raises(InputError, match=r"datasheet columns\[0\]"):
        generic_expectations([{"description": "no name"}], [])
    with pytest.raises(InputError, match="allowed_values must be a list"):
        generic_expectations([{"name": "a", "allowed_values": "x"}], ["a"])
