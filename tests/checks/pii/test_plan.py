"""The scan plan: free text, structured or numeric columns, declared types."""

from __future__ import annotations

import pandas as pd
import pytest

from govgate.checks.pii import (
    plan_columns,
)
from govgate.errors import InputError


def test_plan_columns(frame):
    df, _ = frame
    df = df.assign(empty=[None] * len(df), when=pd.Timestamp("2024-01-01"), short_note=["ok"] * len(df))
    plan = plan_columns(df)
    assert plan == {
        "email": "structured",
        "phone": "structured",
        "cccd": "structured",
        "note": "text",
        "quantity": "numeric",
        "price": "numeric",
        "empty": "structured",
        "when": "structured",
        "short_note": "structured",
    }
    declared = plan_columns(df, {"short_note": "text", "note": "category", "quantity": "id", "missing": "text"})
    assert (
        declared["short_note"] == "text" and declared["note"] == "structured" and declared["quantity"] == "structured"
    )
    with pytest.raises(InputError, match="note.*blob"):
        plan_columns(df, {"note": "blob"})


def test_plan_columns_words_rule():
    df = pd.DataFrame({"s": ["a b c d e", "f g h i j k"], "t": ["abc", "def"]})
    assert plan_columns(df) == {"s": "text", "t": "structured"}
