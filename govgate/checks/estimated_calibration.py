"""Whether a model's scores may be read as probabilities, checked on the approved review's reference data
(scores with labels) before any performance is estimated from them (``govgate.checks.estimated``).

The rule, close to NannyML's CBPE (which calibrates with isotonic regression when that lowers the
expected calibration error on the reference):

The calibration error judged is the larger of the ECE and the gap between mean probability and observed
rate on each side of the decision threshold (calibration in the large per decision side): CBPE sums the
probabilities over each side, so a recalibration that is calibrated bin by bin but pools rows across the
threshold (isotonic on a non-monotone score) would still misplace expected true positives; the side gap
catches that.

1. the calibration error (ECE, 10 equal-width bins, the review's own definition in
   ``govgate.checks.performance.calibration_summary``) of the scores as given; at or below the limit
   (default 0.05: a score of 0.8 is right about 80% +- 5 points of the time, and ECE of a well calibrated
   model on 1,000 reference rows is about 0.02 from noise alone) the scores are used as they are;
2. otherwise an isotonic and a Platt (logistic on the logit) recalibration, each fitted with scikit-learn's
   public API and scored out of fold (5 folds, seeded from the data) so a recalibration cannot pass by
   fitting its own noise; the better one under the limit is refitted on the whole reference and used, and
   the record says so, and the estimate's interval then also carries the uncertainty of the fitted map
   (refitted on ``n_refits`` bootstrap resamples of the reference, see ``govgate.checks.estimated``);
3. otherwise the scores are not probabilities and nothing can be estimated from them: inconclusive, with
   the figures.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np
from sklearn.isotonic import IsotonicRegression
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import StratifiedKFold

from govgate.checks.performance import calibration_summary
from govgate.checks.stats import seed_from

DEFAULT_MAX_ECE = 0.05
_FOLDS = 5
_EPS = 1e-6


def _identity(s: np.ndarray) -> np.ndarray:
    return np.asarray(s, dtype=float)


@dataclass(frozen=True)
class Calibration:
    """How scores become probabilities: ``method`` is ``as given``, ``isotonic`` or ``platt``, or None when
    no method reached the limit (then ``conclusive`` is False and ``reason`` says why)."""

    method: str | None
    ece_raw: float
    ece: float | None
    max_ece: float
    n: int
    reason: str = ""
    transform: Callable[[np.ndarray], np.ndarray] = field(default=_identity, repr=False, compare=False)
    tried: dict[str, float] = field(default_factory=dict)
    resamples: tuple[Callable[[np.ndarray], np.ndarray], ...] = field(default=(), repr=False, compare=False)

    @property
    def conclusive(self) -> bool:
        return self.method is not None

    @property
    def recalibrated(self) -> bool:
        return self.method not in (None, "as given")

    def describe(self) -> str:
        if not self.conclusive:
            return self.reason
        if not self.recalibrated:
            return (
                f"scores used as given (reference calibration error {self.ece_raw:.4f} <= {self.max_ece:g}, n={self.n})"
            )
        return (
            f"scores recalibrated ({self.method}, fitted on the reference): calibration error {self.ece_raw:.4f} as given, "
            f"{self.ece:.4f} out of fold after, limit {self.max_ece:g}, n={self.n}"
        )


def ece(y: np.ndarray, p: np.ndarray) -> float:
    return float(calibration_summary(np.asarray(y, dtype=float), np.asarray(p, dtype=float))["ece"])


def calibration_error(y: np.ndarray, p: np.ndarray, d: np.ndarray) -> float:
    """The larger of the ECE and the |mean p - observed rate| among each side's decisions ``d``."""
    gaps = [abs(float(p[d == k].mean() - y[d == k].mean())) for k in (0, 1) if (d == k).any()]
    return max([ece(y, p), *gaps])


def _logit(s: np.ndarray) -> np.ndarray:
    s = np.clip(np.asarray(s, dtype=float), _EPS, 1 - _EPS)
    return np.log(s / (1 - s)).reshape(-1, 1)


def _fit(method: str, y: np.ndarray, s: np.ndarray) -> Callable[[np.ndarray], np.ndarray]:
    if method == "isotonic":
        iso = IsotonicRegression(y_min=0.0, y_max=1.0, out_of_bounds="clip").fit(s, y)
        return lambda x: np.clip(iso.predict(np.asarray(x, dtype=float)), 0.0, 1.0)
    lr = LogisticRegression(C=1e6).fit(_logit(s), y)
    return lambda x: lr.predict_proba(_logit(x))[:, 1]


def refits(method: str, y: np.ndarray, s: np.ndarray, k: int, seed: int) -> tuple[Callable, ...]:
    """``k`` refits of ``method`` on bootstrap resamples of the reference: the uncertainty of a fitted
    calibration map, which the estimate's interval must carry (a map fitted on 2,000 rows is not exact)."""
    rng = np.random.default_rng(seed)
    out = []
    for _ in range(k):
        rows = rng.integers(0, len(y), len(y))
        if 0 < y[rows].sum() < len(rows):  # a resample with one class cannot be fitted; rare, skipped
            out.append(_fit(method, y[rows], s[rows]))
    return tuple(out)


def _out_of_fold_error(method: str, y: np.ndarray, s: np.ndarray, d: np.ndarray, seed: int) -> float | None:
    """ECE of ``method`` scored on rows its fit did not see; None when a class is too rare to fold."""
    if min(int(y.sum()), int(len(y) - y.sum())) < _FOLDS:
        return None
    oof = np.empty(len(y))
    folds = StratifiedKFold(n_splits=_FOLDS, shuffle=True, random_state=seed % (2**32))
    for train, test in folds.split(s.reshape(-1, 1), y):
        oof[test] = _fit(method, y[train], s[train])(s[test])
    return calibration_error(y, oof, d)


def check_calibration(
    y_ref: np.ndarray,
    s_ref: np.ndarray,
    max_ece: float = DEFAULT_MAX_ECE,
    threshold: float = 0.5,
    n_refits: int = 100,
) -> Calibration:
    """The calibration to estimate with (see the module docstring for the rule); ``threshold`` is the
    model's decision threshold on the raw scores."""
    y, s = np.asarray(y_ref, dtype=np.int8), np.asarray(s_ref, dtype=float)
    d = (s >= threshold).astype(np.int8)
    raw = calibration_error(y, s, d)
    if raw <= max_ece:
        return Calibration("as given", raw, raw, max_ece, len(y))
    seed = seed_from("estimated.calibration", y, s)
    tried = {m: e for m in ("isotonic", "platt") if (e := _out_of_fold_error(m, y, s, d, seed)) is not None}
    good = sorted((e, m) for m, e in tried.items() if e <= max_ece)
    if good:
        best_ece, method = good[0]
        again = refits(method, y, s, n_refits, seed)
        return Calibration(
            method, raw, best_ece, max_ece, len(y), transform=_fit(method, y, s), tried=tried, resamples=again
        )
    shown = ", ".join(f"{m} {e:.4f} out of fold" for m, e in tried.items()) or "no recalibration could be fitted"
    reason = (
        f"scores are not calibrated on the reference (calibration error {raw:.4f} > {max_ece:g}, n={len(y)}) and recalibration "
        f"does not fix it ({shown}): performance cannot be estimated from them"
    )
    best = min([raw, *tried.values()])  # the best any method reached: what the calibration check judges
    return Calibration(None, raw, best, max_ece, len(y), reason=reason, tried=tried)
