"""Fixtures of the checks tests: a credit-like frame where one feature is a close proxy of a sensitive attribute."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest


@pytest.fixture(scope="module")
def proxy_data():
    """Credit-like data where ``x_proxy`` is a near-copy of the sensitive attribute ``sex``."""
    rng = np.random.default_rng(1)
    n = 2000
    sex = rng.integers(0, 2, n)
    X = pd.DataFrame(
        {
            "income": rng.normal(50, 10, n),
            "x_proxy": sex + rng.normal(0, 0.15, n),
            "tenure": rng.integers(0, 30, n),
            "amount": rng.integers(1_000, 50_000, n),
            "noise": rng.normal(size=n),
            "region": rng.choice(["north", "south", "east"], n),
        }
    )
    y = ((X["income"] - 50) / 10 + 1.5 * sex + rng.normal(0, 0.5, n) > 0.75).astype(int)
    sensitive = pd.DataFrame({"sex": np.where(sex == 1, "F", "M")})
    return X, y, sensitive
