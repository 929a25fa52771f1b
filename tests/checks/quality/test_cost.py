"""Cost: importing the package does not import GX; a million rows stay fast."""

from __future__ import annotations

import subprocess
import sys
import time

import numpy as np
import pandas as pd

from govgate.checks.quality import (
    merge_quality,
    quality_partition,
)

# ------------------------------------------------------------------------------------------ cost


def test_importing_the_module_does_not_import_gx():
    code = "import sys, govgate.checks.quality\nassert 'great_expectations' not in sys.modules"
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert result.returncode == 0, result.stderr[-2000:]


def test_three_expectations_on_a_million_rows_stay_fast():
    rng = np.random.default_rng(0)
    n = 1_000_000
    df = pd.DataFrame({"a": rng.integers(0, 100, n).astype(float), "s": rng.choice(["x", "y", "z"], n)})
    df.loc[::1000, "a"] = None
    expectations = [
        {"type": "expect_column_values_to_not_be_null", "kwargs": {"column": "a"}, "meta": {"suite": "t"}},
        {
            "type": "expect_column_values_to_be_between",
            "kwargs": {"column": "a", "min_value": 0, "max_value": 90},
            "meta": {"suite": "t"},
        },
        {
            "type": "expect_column_values_to_be_in_set",
            "kwargs": {"column": "s", "value_set": ["x", "y"]},
            "meta": {"suite": "t"},
        },
    ]
    quality_partition(df.head(10), expectations)  # warm up (GX import, context)
    start = time.perf_counter()
    result = merge_quality([quality_partition(df, expectations)])
    elapsed = time.perf_counter() - start
    assert result.expectations[0].unexpected_count == 1000
    assert elapsed < 3.0, f"{elapsed:.2f} s"  # about 0.5 s here, row hashes and null counts included
