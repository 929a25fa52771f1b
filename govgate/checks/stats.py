"""Statistics every check uses: label and decision coding, confusion cells and rates, seeded resampling,
and confidence intervals.

One home, so that every check reports its uncertainty the same way and every resample can be replayed:
a seed is derived from the check's inputs (never Python's per-process salted ``hash()``), so the same
review of the same data gives the same record in a new process.

Why these intervals. Fairness disparities are absolute gaps (>= 0) and min/max ratios (<= 1): the
statistic sits on a boundary exactly where it matters (equal rates, gap 0). A bias-corrected (BC)
bootstrap breaks there: every resample of |p1 - p2| is >= 0, so the estimate 0 lies at the bottom of the
resampling distribution, the bias correction z0 runs to -infinity and both percentiles collapse onto 0
(``0 [0, 0]``, which passes any limit). The fix is to build the interval on the *signed* statistic, which
has no boundary at 0, and fold it: if the signed interval contains 0 the gap's interval is
[0, max(|lo|, |hi|)], else [min(|lo|, |hi|), max(|lo|, |hi|)]. Folding never loses coverage: whenever
the signed interval covers the signed truth, the folded one covers its absolute value.

- a rate: Wilson score interval (stays in [0, 1], keeps coverage at 0 and 1 and in small groups);
- a difference of two rates: Newcombe's hybrid score interval (method 10, built from the two Wilson
  intervals) on the signed difference, folded; close to nominal coverage even at p = 0 or 1 and n = 10;
- a ratio of two rates: MOVER-R (Donner & Zou 2012) from the same Wilson intervals, on the smaller rate
  over the larger, folded at 1 (the ratio min/max of the pair is <= 1);
- anything without a closed form (the max - min over more than two groups, equalized odds as the larger
  of two gaps): a seeded percentile bootstrap over the confusion cells (see ``multinomial_resamples``),
  on the signed statistic of the pair that is extreme in the data, folded; its far bound is widened to
  the resampled range, so a gap between other groups is not missed. The caller relaxes its near bound
  to the simultaneous pairwise (Bonferroni) closed-form bound, which reaches 0 (ratio: 1) at equal rates
  where the extreme pair, picked for being extreme, does not reliably.

Coverage (tests/checks/test_stats.py simulates it): two groups of 10 to 60 rows, rates 0 to 1 including
equal ones, 95% intervals cover the absolute gap and the ratio in >= 93% of datasets pooled.
"""

from __future__ import annotations

import hashlib
import math
import warnings
from collections.abc import Iterator
from statistics import NormalDist

import numpy as np
import pandas as pd

from govgate.errors import InputError

# Confusion cells, in this order along the last axis: index = 2 * label + decision.
CELLS = ("tn", "fp", "fn", "tp")
_RESAMPLE_CHUNK_ENTRIES = 20_000_000  # resamples x cells drawn at once (bounds memory, ~160 MB)


# --------------------------------------------------------------------------------------------- seeds


def seed_from(*parts: object) -> int:
    """A 63-bit seed from the inputs it describes (data digest, check id, group, ...): stable across
    processes and machines, unlike ``hash()``. Arrays enter by their bytes, dtype and shape."""
    h = hashlib.sha256()
    for p in parts:
        if isinstance(p, np.ndarray):
            a = np.ascontiguousarray(p)
            h.update(f"ndarray:{a.dtype.str}:{a.shape}:".encode())
            h.update(a.tobytes())
        else:
            h.update(repr(p).encode("utf-8"))
        h.update(b"\x1f")
    return int.from_bytes(h.digest()[:8], "big") >> 1


def rng_for(*parts: object) -> np.random.Generator:
    """A generator seeded from the inputs (see ``seed_from``)."""
    return np.random.default_rng(seed_from(*parts))


# --------------------------------------------------------------------------------------------- coding


def _column_label(values, name: str) -> str:
    col = getattr(values, "name", None)
    return f"{name} (column {col!r})" if isinstance(values, pd.Series) and col is not None else name


def _equal(a, b) -> bool:
    try:
        return bool(a == b)
    except (TypeError, ValueError):
        return False


def _show(values, limit: int = 10) -> str:
    vals = [v.item() if isinstance(v, np.generic) else v for v in values]
    try:
        vals = sorted(vals)
    except TypeError:
        pass
    more = f" (+{len(vals) - limit} more)" if len(vals) > limit else ""
    return repr(vals[:limit]) + more


def _missing_mask(arr: np.ndarray) -> np.ndarray | None:
    if arr.dtype.kind == "f":
        return np.isnan(arr)
    if arr.dtype.kind in "mM":
        return np.isnat(arr)
    if arr.dtype.kind == "O":
        return np.asarray(pd.isna(arr), dtype=bool)
    return None


def binary_codes(values, name: str, pos_label=1) -> np.ndarray:
    """0/1 as int8 (1 = ``pos_label``) from labels or decisions. A missing value, or values that are not
    binary, is an InputError naming ``name`` (and the column) and the offending values. A value matches
    ``pos_label`` by equality, else by its text ("1" matches 1). One value only, not ``pos_label``: all 0."""
    label = _column_label(values, name)
    arr = values.to_numpy() if isinstance(values, (pd.Series, pd.Index)) else np.asarray(values)
    if arr.ndim == 2 and arr.shape[1] == 1:
        arr = arr[:, 0]
    if arr.ndim != 1:
        raise InputError(f"{label} must be one-dimensional; got shape {arr.shape}")
    one = pos_label is True or (not isinstance(pos_label, str) and _equal(pos_label, 1))
    if arr.dtype.kind in "biu" and arr.size and one and arr.min() >= 0 and arr.max() <= 1:
        return arr.astype(np.int8, copy=False)  # the common case, no hashing
    missing = _missing_mask(arr)
    if missing is not None and missing.any():
        rows = np.flatnonzero(missing)
        raise InputError(
            f"{label} has {rows.size} missing (NaN) value(s), first at row(s) {rows[:5].tolist()}; "
            "a binary value is needed on every row"
        )
    distinct = pd.unique(arr)
    hit = [v for v in distinct if _equal(v, pos_label)]
    as_text = not hit and any(str(v) == str(pos_label) for v in distinct)
    others = [v for v in distinct if not (_equal(v, pos_label) or (as_text and str(v) == str(pos_label)))]
    if len(distinct) > 2:
        offending = [v for v in others if not _equal(v, 0)] if any(_equal(v, 0) for v in others) else others
        raise InputError(
            f"{label} has {len(distinct)} distinct values {_show(distinct)}; it must be binary (positive label "
            f"{pos_label!r} and one other value); offending: {_show(offending)}"
        )
    if len(distinct) == 2 and not (hit or as_text):
        raise InputError(
            f"{label} has no value equal to the positive label {pos_label!r}; found {len(distinct)} distinct "
            f"value(s) {_show(distinct)}"
        )
    if as_text:
        return np.array([str(v) == str(pos_label) for v in arr], dtype=np.int8)
    return (arr == pos_label).astype(np.int8) if hit else np.zeros(arr.shape, np.int8)


def binary_labels(values: pd.Series, pos_label, column: str) -> np.ndarray:
    """0/1 labels from a label column (see ``binary_codes``); errors name ``label column '<column>'``."""
    return binary_codes(pd.Series(values).rename(None), f"label column '{column}'", pos_label)


def scores_to_decisions(scores, threshold: float) -> np.ndarray:
    """Scores -> 0/1 decisions (int8): 1 when ``score >= threshold``; a NaN score decides 0."""
    with np.errstate(invalid="ignore"):
        return (np.asarray(scores, dtype=float) >= threshold).astype(np.int8)


def decisions_and_scores(pred: pd.Series, pos_label, threshold: float) -> tuple[np.ndarray, np.ndarray | None]:
    """Model output -> (0/1 decisions, scores or None). Floats in [0, 1] that are not all 0/1 are scores
    (decided by ``threshold``); otherwise the values are decisions, 1 where they equal ``pos_label``."""
    pred = pd.Series(pred).reset_index(drop=True)
    numeric = pd.to_numeric(pred, errors="coerce")
    if numeric.notna().all() and numeric.between(0, 1).all() and not numeric.isin([0, 1]).all():
        scores = numeric.to_numpy(dtype=float)
        return scores_to_decisions(scores, threshold), scores
    if numeric.isna().any() and pred.isna().any():
        raise InputError(f"the model returned {int(pred.isna().sum())} missing prediction(s)")
    if pred.isin([pos_label]).any() or pred.astype(str).isin([str(pos_label)]).any():
        return (pred.astype(str) == str(pos_label)).to_numpy(dtype=np.int8), None
    return scores_to_decisions(numeric.fillna(0).to_numpy(), 0.5), None


# --------------------------------------------------------------------------------------------- confusion


def confusion_cells(y: np.ndarray, d: np.ndarray, groups: np.ndarray | None = None, n_groups: int = 1) -> np.ndarray:
    """Counts (n_groups, 4) over ``CELLS`` (tn, fp, fn, tp) of 0/1 labels ``y`` and decisions ``d``, by
    group code (0..n_groups-1; all rows in group 0 when ``groups`` is None)."""
    entry = np.asarray(y, dtype=np.int64) * 2 + np.asarray(d, dtype=np.int64)
    if groups is not None:
        entry = entry + np.asarray(groups, dtype=np.int64) * 4
    return np.bincount(entry, minlength=n_groups * 4).reshape(n_groups, 4)


# Each rate as (numerator cells, denominator cells): every one is a proportion, so Wilson applies.
RATE_PARTS = {
    "selection_rate": ((1, 3), (0, 1, 2, 3)),
    "true_positive_rate": ((3,), (2, 3)),
    "false_positive_rate": ((1,), (0, 1)),
    "false_negative_rate": ((2,), (2, 3)),
    "true_negative_rate": ((0,), (0, 1)),
    "accuracy": ((0, 3), (0, 1, 2, 3)),
    "precision": ((3,), (1, 3)),
    "recall": ((3,), (2, 3)),
}


def rate_parts(cells: np.ndarray, name: str) -> tuple[np.ndarray, np.ndarray]:
    """(successes, trials) of rate ``name`` from counts [..., 4]."""
    num, den = RATE_PARTS[name]
    c = np.asarray(cells, dtype=np.float64)
    return c[..., list(num)].sum(-1), c[..., list(den)].sum(-1)


def confusion_rates(cells: np.ndarray) -> dict[str, np.ndarray]:
    """Every rate of ``RATE_PARTS`` and F1 from counts [..., 4] (any leading shape: groups; resamples x
    groups). A zero denominator gives NaN (undefined)."""
    out = {}
    with np.errstate(divide="ignore", invalid="ignore"):
        for name in RATE_PARTS:
            k, n = rate_parts(cells, name)
            out[name] = k / n
        c = np.asarray(cells, dtype=np.float64)
        out["f1"] = 2 * c[..., 3] / (2 * c[..., 3] + c[..., 1] + c[..., 2])
    return out


def rate_estimates(cells: np.ndarray, names, confidence: float) -> dict[str, tuple[np.ndarray, ...]]:
    """Per group (leading axes of ``cells``): each named rate with its Wilson interval, as
    (value, lower, upper) arrays; NaN where the rate is undefined. The one source of per-group rates."""
    out = {}
    for name in names:
        k, n = rate_parts(cells, name)
        lo, hi = wilson_bounds(k, n, confidence)
        with np.errstate(divide="ignore", invalid="ignore"):
            out[name] = (k / n, lo, hi)
    return out


# --------------------------------------------------------------------------------------------- resampling


def multinomial_resamples(counts: np.ndarray, n_boot: int, rng: np.random.Generator) -> Iterator[np.ndarray]:
    """Bootstrap resamples of the rows behind a count table, in chunks of shape (b, *counts.shape).

    Resampling rows with replacement is drawing multinomial counts over the table's entries, so each
    chunk is one vectorised draw whatever the number of rows."""
    counts = np.asarray(counts)
    flat = counts.ravel()
    total = int(flat.sum())
    if n_boot <= 0 or total == 0:
        return
    nz = np.flatnonzero(flat)
    p = flat[nz] / total
    chunk = max(1, _RESAMPLE_CHUNK_ENTRIES // max(flat.size, 1))
    for start in range(0, n_boot, chunk):
        b = min(chunk, n_boot - start)
        draws = np.zeros((b, flat.size))
        draws[:, nz] = rng.multinomial(total, p, size=b)
        yield draws.reshape(b, *counts.shape)


def percentile_interval(samples: np.ndarray, confidence: float) -> tuple[np.ndarray, np.ndarray]:
    """Percentile interval over axis 0, leaving out NaN resamples (statistic undefined there)."""
    alpha = (1 - confidence) / 2
    with warnings.catch_warnings():  # a statistic undefined in every resample is NaN, said once by the caller
        warnings.simplefilter("ignore", RuntimeWarning)
        lo, hi = np.nanquantile(np.asarray(samples, dtype=np.float64), [alpha, 1 - alpha], axis=0)
    return lo, hi


# --------------------------------------------------------------------------------------------- intervals


def _z(confidence: float) -> float:
    return NormalDist().inv_cdf(0.5 + confidence / 2)


def wilson_bounds(k, n, confidence: float = 0.95) -> tuple[np.ndarray, np.ndarray]:
    """Wilson score interval of k/n, vectorised; NaN where n == 0."""
    k, n = np.asarray(k, dtype=np.float64), np.asarray(n, dtype=np.float64)
    z = _z(confidence)
    with np.errstate(divide="ignore", invalid="ignore"):
        p = np.clip(k / n, 0.0, 1.0)
        denom = 1 + z * z / n
        centre = (p + z * z / (2 * n)) / denom
        half = z * np.sqrt(p * (1 - p) / n + z * z / (4 * n * n)) / denom
        lo, hi = np.maximum(0.0, centre - half), np.minimum(1.0, centre + half)
    # p = 0 or 1: the bound on the boundary side is exact
    lo = np.where(p == 0, 0.0, lo)
    hi = np.where(p == 1, 1.0, hi)
    return lo, hi


def wilson_interval(k: float, n: int, confidence: float = 0.95) -> tuple[float, float]:
    """Wilson score interval of a proportion k/n (k may be a mean of per-row shares times n); [0, 1] when
    n is 0.

    Chosen over the normal (Wald) interval because it stays inside [0, 1] and keeps its coverage at
    proportions of 0 and 1 and in small samples."""
    if n <= 0:
        return 0.0, 1.0
    z = _z(confidence)
    p = min(max(k / n, 0.0), 1.0)
    denom = 1 + z * z / n
    centre = (p + z * z / (2 * n)) / denom
    half = z * math.sqrt(p * (1 - p) / n + z * z / (4 * n * n)) / denom
    return max(0.0, centre - half), min(1.0, centre + half)


def newcombe_difference(k1, n1, k2, n2, confidence: float = 0.95) -> tuple[np.ndarray, np.ndarray]:
    """Newcombe's hybrid score interval (method 10) of the signed difference p1 - p2, vectorised."""
    k1, n1, k2, n2 = (np.asarray(x, dtype=np.float64) for x in (k1, n1, k2, n2))
    l1, u1 = wilson_bounds(k1, n1, confidence)
    l2, u2 = wilson_bounds(k2, n2, confidence)
    with np.errstate(divide="ignore", invalid="ignore"):
        p1, p2 = k1 / n1, k2 / n2
    d = p1 - p2
    return d - np.sqrt((p1 - l1) ** 2 + (u2 - p2) ** 2), d + np.sqrt((u1 - p1) ** 2 + (p2 - l2) ** 2)


def fold_difference(lo, hi) -> tuple[np.ndarray, np.ndarray]:
    """An interval of a signed difference -> an interval of its absolute value."""
    lo, hi = np.asarray(lo, dtype=np.float64), np.asarray(hi, dtype=np.float64)
    a, b = np.abs(lo), np.abs(hi)
    spans_zero = (lo <= 0) & (hi >= 0)
    return np.where(spans_zero, 0.0, np.minimum(a, b)), np.maximum(a, b)


def gap_interval(k1, n1, k2, n2, confidence: float = 0.95) -> tuple[np.ndarray, np.ndarray]:
    """Interval of the absolute gap |p1 - p2|: Newcombe on the signed difference, folded."""
    return fold_difference(*newcombe_difference(k1, n1, k2, n2, confidence))


def mover_ratio(k1, n1, k2, n2, confidence: float = 0.95) -> tuple[np.ndarray, np.ndarray]:
    """MOVER-R interval (Donner & Zou 2012, Wilson limits) of the ratio p1 / p2; NaN when p2 is 0."""
    k1, n1, k2, n2 = (np.asarray(x, dtype=np.float64) for x in (k1, n1, k2, n2))
    l1, u1 = wilson_bounds(k1, n1, confidence)
    l2, u2 = wilson_bounds(k2, n2, confidence)
    with np.errstate(divide="ignore", invalid="ignore"):
        p1, p2 = k1 / n1, k2 / n2
        pp = p1 * p2
        lower = (pp - np.sqrt(np.maximum(pp**2 - l1 * u2 * (2 * p1 - l1) * (2 * p2 - u2), 0))) / (u2 * (2 * p2 - u2))
        denom = l2 * (2 * p2 - l2)
        upper = np.where(
            denom > 0,
            (pp + np.sqrt(np.maximum(pp**2 - u1 * l2 * (2 * p1 - u1) * (2 * p2 - l2), 0))) / denom,
            np.inf,
        )
    undefined = ~(p2 > 0)
    return np.where(undefined, np.nan, np.maximum(lower, 0.0)), np.where(undefined, np.nan, upper)


def fold_ratio(lo, hi) -> tuple[np.ndarray, np.ndarray]:
    """An interval of a ratio q (any side of 1) -> an interval of min(q, 1/q), which lies in [0, 1]."""
    lo, hi = np.asarray(lo, dtype=np.float64), np.asarray(hi, dtype=np.float64)
    with np.errstate(divide="ignore"):
        inv_hi, inv_lo = 1 / hi, np.where(lo > 0, 1 / np.maximum(lo, 1e-300), np.inf)
    spans_one = (lo <= 1) & (hi >= 1)
    below = hi < 1
    new_lo = np.where(spans_one, np.minimum(lo, inv_hi), np.where(below, lo, inv_hi))
    new_hi = np.where(spans_one, 1.0, np.where(below, hi, np.minimum(inv_lo, 1.0)))
    return new_lo, new_hi


def ratio_interval(k1, n1, k2, n2, confidence: float = 0.95) -> tuple[np.ndarray, np.ndarray]:
    """Interval of min(p1, p2) / max(p1, p2): MOVER-R of the smaller over the larger rate, folded at 1."""
    k1, n1, k2, n2 = (np.asarray(x, dtype=np.float64) for x in (k1, n1, k2, n2))
    with np.errstate(divide="ignore", invalid="ignore"):
        swap = k1 / n1 > k2 / n2
    a = (np.where(swap, k2, k1), np.where(swap, n2, n1))
    b = (np.where(swap, k1, k2), np.where(swap, n1, n2))
    return fold_ratio(*mover_ratio(*a, *b, confidence))


def bootstrap_gap(signed, spread, point, confidence: float) -> tuple[np.ndarray, np.ndarray]:
    """Percentile interval of a gap (>= 0) without a closed form, from resamples (axis 0) of the signed gap
    of the pair extreme in the data (``signed``) and of the gap itself (``spread``, e.g. max - min):
    the signed interval, folded, gives the near bound (0 stays reachable); the far bound is the larger of
    it and the spread's. The interval always contains ``point``."""
    lo, hi = fold_difference(*percentile_interval(signed, confidence))
    hi = np.fmax(hi, percentile_interval(spread, confidence)[1])
    return np.fmin(lo, point), np.fmax(hi, point)


def bootstrap_ratio(signed, spread, point, confidence: float) -> tuple[np.ndarray, np.ndarray]:
    """As ``bootstrap_gap`` for a min/max ratio (<= 1): ``signed`` resamples the ratio of the pair extreme
    in the data (may exceed 1), folded at 1; the far (low) bound is the smaller of it and the spread's."""
    lo, hi = fold_ratio(*percentile_interval(signed, confidence))
    lo = np.fmin(lo, percentile_interval(spread, confidence)[0])
    return np.fmin(lo, point), np.fmax(hi, point)
