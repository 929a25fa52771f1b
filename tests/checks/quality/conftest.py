"""Fixtures of the quality tests: a small messy frame and its expectations."""

from __future__ import annotations

import pandas as pd
import pytest

from govgate.checks.quality import (
    generic_expectations,
)

# ------------------------------------------------------------------------------------------ partitions


@pytest.fixture
def messy() -> pd.DataFrame:
    """10 rows: nulls, an out-of-range age, row 8 = row 1 (split across partitions 0-4 / 5-9),
    code 'C7' in rows 2 and 7 (split), the (code, city) pair of rows 2 and 7 repeated."""
    return pd.DataFrame(
        {
            "id": [1, 2, 3, 4, 5, 6, 7, 8, 2, 10],
            "age": [30, 41, 17, 55, None, 62, 38, 200, 41, 25],
            "sex": ["female", "male", "male", "female", "x", "male", None, "female", "male", "female"],
            "code": ["A1", "B2", "C7", "D4", "E5", "F6", "G7", "C7", "B2x", "J0"],
            "city": ["Hanoi", "Hue", "Hue", "Hanoi", "Hue", "Da Nang", "Hanoi", "Hue", "Hue", "Hue"],
        }
    )


@pytest.fixture
def messy_expectations() -> list[dict]:
    sheet = [
        {"name": "id", "nullable": False, "unique": True},
        {"name": "age", "min": 18, "max": 120, "nullable": False},
        {"name": "sex", "allowed_values": ["female", "male"]},
        {"name": "code", "unique": True},
    ]
    return generic_expectations(sheet, ["id", "age", "sex", "code", "city"]) + [
        {
            "type": "expect_compound_columns_to_be_unique",
            "kwargs": {"column_list": ["code", "city"]},
            "meta": {"suite": "custom"},
        },
        {
            "type": "expect_column_values_to_match_regex",
            "kwargs": {"column": "code", "regex": "^[A-Z][0-9]$"},
            "meta": {"suite": "custom"},
        },
    ]
