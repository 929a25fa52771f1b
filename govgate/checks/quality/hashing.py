"""64-bit hashes of column values and rows, for uniqueness and duplicate rows across partitions."""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

if TYPE_CHECKING:
    import pandas as pd

_NULL_HASH = np.uint64(0x9E3779B97F4A7C15)


# --------------------------------------------------------------------------------------------- hashing


def _column_hashes(series: pd.Series) -> np.ndarray:
    """uint64 per value, equal for equal values whatever the chunk's dtype (int 2 = float 2.0, nulls alike)."""
    import pandas as pd

    s = series
    if pd.api.types.is_bool_dtype(s.dtype) or pd.api.types.is_integer_dtype(s.dtype):
        values = s.dropna()
        if len(values) == 0 or values.abs().max() <= 2**53:
            s = s.astype("float64")
    elif pd.api.types.is_float_dtype(s.dtype):
        s = s.astype("float64")
    try:
        h = pd.util.hash_pandas_object(s, index=False).to_numpy(dtype=np.uint64, copy=True)
    except TypeError:  # mixed objects that pandas cannot hash: hash their text
        h = pd.util.hash_pandas_object(s.astype(str), index=False).to_numpy(dtype=np.uint64, copy=True)
    na = s.isna().to_numpy()
    if na.any():
        h[na] = _NULL_HASH
    return h


def hash_rows(frame: pd.DataFrame) -> np.ndarray:
    """uint64 per row over all columns (in name order, so the column order of a chunk does not matter)."""
    acc = np.full(len(frame), 0x345678, dtype=np.uint64)
    for i, j in enumerate(sorted(range(frame.shape[1]), key=lambda j: str(frame.columns[j]))):
        acc = (acc * np.uint64(1000003)) ^ _column_hashes(frame.iloc[:, j]) ^ np.uint64(i)
    return acc
