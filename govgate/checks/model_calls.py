"""Calling a model safely and reading what it returns: a predict callable from a model object, predictions
as arrays, decisions that changed, error text fit for evidence, seeded sampling of rows, JSON-able reports.

Shared by the robustness and explainability checks (no Prefect import)."""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import Any

import numpy as np
import pandas as pd

Predict = Callable[[pd.DataFrame], Any]


def jsonable(obj: Any) -> Any:
    if isinstance(obj, dict):
        return {str(k): jsonable(v) for k, v in obj.items()}
    if isinstance(obj, list | tuple):
        return [jsonable(v) for v in obj]
    if isinstance(obj, np.generic):
        obj = obj.item()
    if isinstance(obj, float) and not math.isfinite(obj):
        return None
    return obj


# --------------------------------------------------------------------------------------------------------
# predictions and decisions


def as_predict(model: Any) -> Predict:
    """``model.predict`` for a model object, the callable itself otherwise."""
    if hasattr(model, "predict") and callable(model.predict):
        return model.predict
    if callable(model):
        return model
    raise TypeError(f"expected a model with predict(DataFrame) or a callable, got {type(model).__name__}")


def to_array(pred: Any) -> np.ndarray:
    if isinstance(pred, pd.DataFrame):
        pred = pred.iloc[:, 0] if pred.shape[1] == 1 else pred.to_numpy()
    if isinstance(pred, pd.Series):
        pred = pred.to_numpy()
    arr = np.asarray(pred)
    if arr.ndim == 2 and arr.shape[1] == 1:
        arr = arr[:, 0]
    return arr


def changed_decisions(base: np.ndarray, new: np.ndarray) -> np.ndarray:
    flipped = np.asarray(base != new, dtype=bool)
    both_nan = pd.isna(base) & pd.isna(new)  # NaN != NaN is not a flip
    return flipped & ~np.asarray(both_nan, dtype=bool)


def error_text(exc: BaseException, limit: int = 300) -> str:
    """A model's error for a record: its type and the shape of its message (a model's text can quote the
    rows or the answer it failed on; see govgate.library_errors)."""
    from govgate.library_errors import described

    return described(exc, limit)


def sample_positions(n: int, max_rows: int, seed: int) -> np.ndarray:
    if n <= max_rows:
        return np.arange(n)
    return np.sort(np.random.default_rng(seed).choice(n, size=max_rows, replace=False))


def is_numeric(s: pd.Series) -> bool:
    return pd.api.types.is_numeric_dtype(s.dtype) and not pd.api.types.is_bool_dtype(s.dtype)
