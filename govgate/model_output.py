"""What a model returns, read one way for every check: labels, scores, probabilities or text.

A pyfunc model may return 1-D labels (``predict``), 1-D scores in [0, 1], one probability column per class
(``pyfunc_predict_fn="predict_proba"``: a 2-D array or a DataFrame), or text (a generative model). The shape
is detected once, on the evaluation data, and the same reading is applied to every later call (the
robustness and explainability checks predict again on perturbed rows). Anything else is refused with one
error that names the model and the shape it returned. No Prefect here.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from govgate.errors import InputError

LABELS, SCORES, PROBABILITIES, TEXT = "labels", "scores", "probabilities", "text"
_ROW_SUM_TOLERANCE = 1e-3  # one probability per class: each row sums to 1


@dataclass(frozen=True)
class OutputReading:
    """How a model's output is read: its kind and, for probabilities, which column is the positive label."""

    kind: str  # labels | scores | probabilities | text
    columns: int = 1  # columns of a probability output
    classes: tuple | None = None  # class per column (probabilities), when known
    positive_column: int | None = None  # the column holding P(positive label); None: multi-class without it
    note: str = ""  # how the positive column was chosen, for the record

    @property
    def multiclass(self) -> bool:
        return self.kind == PROBABILITIES and self.columns > 2


@dataclass
class ModelOutput:
    """One value per row as the checks compare them, and the reading that produced it."""

    reading: OutputReading
    values: pd.Series  # labels, scores or texts; probabilities: P(positive) (binary) or the argmax label
    scores: np.ndarray | None = None  # P(positive label) per row when the model gives it
    shape: tuple = ()


def describe_shape(raw) -> str:
    if isinstance(raw, pd.DataFrame):
        return f"a DataFrame of shape {raw.shape} with columns {[str(c) for c in raw.columns][:8]}"
    arr = np.asarray(raw, dtype=object) if not hasattr(raw, "shape") else raw
    return f"{type(raw).__name__} of shape {tuple(arr.shape)}"


def as_matrix(raw, rows: int, where: str) -> tuple[np.ndarray, list | None]:
    """The output as a 2-D array (rows x columns) and its column names (a DataFrame's), or an InputError."""
    names = None
    if isinstance(raw, pd.DataFrame) and "prediction" in raw.columns and raw.shape[1] > 1:
        raw = raw["prediction"]  # a custom model's named prediction beside other columns
    if isinstance(raw, pd.DataFrame):
        names = list(raw.columns)
        arr = raw.to_numpy()
    elif isinstance(raw, pd.Series):
        arr = raw.to_numpy()
    else:
        arr = np.asarray(raw if hasattr(raw, "shape") else list(raw), dtype=None if hasattr(raw, "shape") else object)
    if arr.ndim == 1:
        arr = arr.reshape(-1, 1)
    if arr.ndim != 2 or arr.shape[0] != rows:
        raise InputError(
            f"{where} returned {describe_shape(raw)} for {rows} rows: expected one label, score or text per row, "
            "or one probability column per class"
        )
    return arr, names


def first_reading(raw, rows: int, *, classes, pos_label, where: str) -> OutputReading:
    """Detect how to read a model's first output (``classes``: the model's own, e.g. sklearn ``classes_``)."""
    arr, names = as_matrix(raw, rows, where)
    if arr.shape[1] == 1:
        column = pd.Series(arr[:, 0])
        if _is_text(column):
            return OutputReading(TEXT)
        _check_scalars(column, raw, where)
        numeric = pd.to_numeric(column, errors="coerce")
        if numeric.notna().all() and numeric.between(0, 1).all() and not numeric.isin([0, 1]).all():
            return OutputReading(SCORES)
        return OutputReading(LABELS)
    return _probability_reading(arr, names, classes, pos_label, where, raw)


def _probability_reading(arr, names, classes, pos_label, where: str, raw) -> OutputReading:
    """Probabilities: numbers in [0, 1], each row summing to 1; the positive column by the model's classes,
    else by the DataFrame's column names, else (binary only) the last column, said in the note."""
    probs = pd.DataFrame(arr).apply(pd.to_numeric, errors="coerce")
    sums = probs.sum(axis=1)
    if probs.isna().any().any() or not ((probs >= 0) & (probs <= 1)).all().all():
        raise InputError(f"{where} returned {describe_shape(raw)} that is not one probability (0..1) per class")
    if not np.allclose(sums, 1.0, atol=_ROW_SUM_TOLERANCE):
        raise InputError(
            f"{where} returned {describe_shape(raw)} whose rows do not sum to 1: "
            "expected one probability column per class (predict_proba)"
        )
    k = arr.shape[1]
    for source, labels in (("the model's classes", classes), ("the output's column names", names)):
        if labels is not None and len(labels) == k:
            found = [i for i, c in enumerate(labels) if str(c) == str(pos_label)]
            if found:
                note = f"probability of '{pos_label}' is column {found[0] + 1} of {k} ({source}: {[str(c) for c in labels]})"
                return OutputReading(PROBABILITIES, k, tuple(labels), found[0], note)
            if source == "the model's classes":
                raise InputError(
                    f"{where}: the favourable label '{pos_label}' is not one of the model's classes {[str(c) for c in labels]}"
                )
    if k == 2:
        note = (
            f"the model does not name its classes: the last of 2 probability columns is taken as the "
            f"probability of '{pos_label}'"
        )
        return OutputReading(PROBABILITIES, k, None, k - 1, note)
    note = f"the model does not name its {k} classes: labels are column numbers 0..{k - 1} (argmax)"
    return OutputReading(PROBABILITIES, k, tuple(range(k)), _index_of(pos_label, k), note)


def _index_of(pos_label, k: int) -> int | None:
    try:
        i = int(str(pos_label))
    except ValueError:
        return None
    return i if 0 <= i < k else None


def read_output(raw, rows: int, reading: OutputReading, where: str) -> ModelOutput:
    """One value per row by ``reading`` (an output of another shape than the first is refused)."""
    arr, _ = as_matrix(raw, rows, where)
    if arr.shape[1] != reading.columns:
        raise InputError(
            f"{where} returned {describe_shape(raw)}, unlike its first output ({reading.columns} column(s), {reading.kind})"
        )
    if reading.kind != PROBABILITIES:
        column = pd.Series(arr[:, 0])
        scores = pd.to_numeric(column).to_numpy(dtype=float) if reading.kind == SCORES else None
        return ModelOutput(reading, column, scores, tuple(np.shape(raw)))
    probs = arr.astype(float)
    positive = probs[:, reading.positive_column] if reading.positive_column is not None else None
    if not reading.multiclass:
        return ModelOutput(reading, pd.Series(positive), positive, probs.shape)
    classes = np.asarray(reading.classes or tuple(range(reading.columns)), dtype=object)
    return ModelOutput(reading, pd.Series(classes[probs.argmax(axis=1)]), positive, probs.shape)


def _is_text(column: pd.Series) -> bool:
    sample = column.dropna().head(50)
    return len(sample) > 0 and all(isinstance(v, str) for v in sample) and sample.str.len().mean() > 20


def _check_scalars(column: pd.Series, raw, where: str) -> None:
    bad = next((v for v in column.head(200) if isinstance(v, (list, tuple, dict, set, np.ndarray))), None)
    if bad is not None:
        raise InputError(
            f"{where} returned {describe_shape(raw)} holding {type(bad).__name__} values: expected one label, "
            "score or text per row"
        )
