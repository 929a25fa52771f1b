"""ROC AUC estimated without labels, the CBPE way (NannyML's ``estimate_roc_auc``): at every threshold of
the model's scores the expected true positives are the sum of the calibrated probabilities above it and
the expected false positives the sum of one minus them; the expected ROC curve (expected TPR against
expected FPR) is integrated by the trapezoid rule. Ranked by the raw scores: with a monotone calibration
this is NannyML's curve on the calibrated probabilities (inside a block of tied probabilities the curve
is a straight line either way).

Interval: what the labels will make of it. Given the scores, labels are independent Bernoulli(p_i); the
realized ROC AUC is the Mann-Whitney statistic (R - n1 (n1 + 1) / 2) / (n1 n0) with R the sum of the
positives' mid-ranks, a function of two sums over the drawn labels (n1 and R): drawn Bernoulli by
Bernoulli within the budget, else from their bivariate normal (means and covariances of the Bernoulli
sums). A draw with one class has no AUC (NaN)."""

from __future__ import annotations

import numpy as np
from scipy.stats import rankdata

_CHUNK_ENTRIES = 4_000_000


def curve_blocks(s: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """The order of ``s`` from the highest score down, and the last position of each block of tied scores
    in that order (one threshold per distinct score)."""
    order = np.argsort(-np.asarray(s, dtype=float), kind="stable")
    desc = np.asarray(s, dtype=float)[order]
    ends = np.flatnonzero(np.r_[desc[1:] != desc[:-1], True]) if len(desc) else np.array([], dtype=np.int64)
    return order, ends


def expected_auc_sorted(p_desc: np.ndarray, ends: np.ndarray) -> float:
    """The expected ROC curve's area from probabilities already in descending-score order."""
    if not len(p_desc):
        return float("nan")
    tp, fp = np.cumsum(p_desc)[ends], np.cumsum(1 - p_desc)[ends]
    if tp[-1] <= 0 or fp[-1] <= 0:
        return float("nan")
    tpr, fpr = np.r_[0.0, tp / tp[-1]], np.r_[0.0, fp / fp[-1]]
    return float(np.sum(np.diff(fpr) * (tpr[1:] + tpr[:-1]) / 2))


def expected_auc(p: np.ndarray, s: np.ndarray) -> float:
    order, ends = curve_blocks(s)
    return expected_auc_sorted(np.asarray(p, dtype=float)[order], ends)


def realized_auc(y: np.ndarray, s: np.ndarray) -> float:
    """The ROC AUC the labels give (ties counted half), NaN with one class."""
    y = np.asarray(y, dtype=float)
    n1, n = y.sum(), len(y)
    if n1 == 0 or n1 == n:
        return float("nan")
    return float((rankdata(s) @ y - n1 * (n1 + 1) / 2) / (n1 * (n - n1)))


def draw_auc(p: np.ndarray, s: np.ndarray, n_draws: int, rng: np.random.Generator, exact_budget: int) -> np.ndarray:
    """``n_draws`` realized ROC AUCs with labels drawn from ``p`` (see the module docstring)."""
    p, r = np.asarray(p, dtype=float), rankdata(s)
    n = len(p)
    if n * n_draws > exact_budget:
        v = p * (1 - p)
        mean = np.array([p.sum(), p @ r])
        cov = np.array([[v.sum(), v @ r], [v @ r, v @ (r * r)]])
        n1, rank_sum = rng.multivariate_normal(mean, cov, n_draws, method="cholesky").T
        n1 = np.clip(np.rint(n1), 0, n)
    else:
        n1, rank_sum = np.zeros(n_draws), np.zeros(n_draws)
        step = max(1, _CHUNK_ENTRIES // n_draws)
        for start in range(0, n, step):
            labels = rng.random((n_draws, min(step, n - start))) < p[start : start + step]
            n1 += labels.sum(axis=1)
            rank_sum += labels @ r[start : start + step]
    with np.errstate(divide="ignore", invalid="ignore"):
        auc = (rank_sum - n1 * (n1 + 1) / 2) / (n1 * (n - n1))
    return np.where((n1 > 0) & (n1 < n), np.clip(auc, 0.0, 1.0), np.nan)
