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
    # the reference rows' probabilities as judged: the scores as given, or out of fold when recalibrated
    # (a map scored on the rows it was fitted on would look better than it is): per-group checks use them
    reference_p: np.ndarray | None = field(default=None, repr=False, compare=False)

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


def _out_of_fold(method: str, y: np.ndarray, s: np.ndarray, seed: int) -> np.ndarray | None:
    """``method``'s probabilities of each row from a fit that did not see it; None when a class is too
    rare to fold."""
    if min(int(y.sum()), int(len(y) - y.sum())) < _FOLDS:
        return None
    oof = np.empty(len(y))
    folds = StratifiedKFold(n_splits=_FOLDS, shuffle=True, random_state=seed % (2**32))
    for train, test in folds.split(s.reshape(-1, 1), y):
        oof[test] = _fit(method, y[train], s[train])(s[test])
    return oof


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
        return Calibration("as given", raw, raw, max_ece, len(y), reference_p=s)
    seed = seed_from("estimated.calibration", y, s)
    oof = {m: p for m in ("isotonic", "platt") if (p := _out_of_fold(m, y, s, seed)) is not None}
    tried = {m: calibration_error(y, p, d) for m, p in oof.items()}
    good = sorted((e, m) for m, e in tried.items() if e <= max_ece)
    if good:
        best_ece, method = good[0]
        again = refits(method, y, s, n_refits, seed)
        return Calibration(
            method, raw, best_ece, max_ece, len(y), transform=_fit(method, y, s), tried=tried, resamples=again,
            reference_p=oof[method],
        )  # fmt: skip
    shown = ", ".join(f"{m} {e:.4f} out of fold" for m, e in tried.items()) or "no recalibration could be fitted"
    reason = (
        f"scores are not calibrated on the reference (calibration error {raw:.4f} > {max_ece:g}, n={len(y)}) and recalibration "
        f"does not fix it ({shown}): performance cannot be estimated from them"
    )
    best = min([raw, *tried.values()])  # the best any method reached: what the calibration check judges
    return Calibration(None, raw, best, max_ece, len(y), reason=reason, tried=tried)


# ------------------------------------------------------------------------------------ per group

NULL_DRAWS = 2000  # label draws from the probabilities: the calibration gap noise alone would give
_NULL_CHUNK = 200  # draws held at once (draws x rows floats)
FAMILY_RATE = 0.05  # chance that any calibrated group of one estimate is held back (Bonferroni over groups)
NOISE_CAP = 3.0  # a group whose noise level exceeds NOISE_CAP x the limit is too small to check


@dataclass(frozen=True)
class GroupCalibration:
    """One group's calibration on its reference rows. ``error`` is the larger gap between observed rate and
    mean probability on each decision side (``side_gaps``), ``noise`` the (Bonferroni-corrected) 95th
    percentile of that gap when the labels are drawn from the probabilities themselves (what a perfectly
    calibrated group of this size shows), ``limit`` the larger of the overall limit and the noise;
    ``reason`` says why the group could not be checked (too few reference rows), empty when it was."""

    group: str
    n: int
    error: float | None
    limit: float
    noise: float | None
    max_ece: float
    reason: str = ""

    def describe(self) -> str:
        if self.reason:
            return self.reason
        return (
            f"calibration gap in the group {self.error:.4f} on {self.n} reference rows (limit {self.limit:.4f}: "
            f"the larger of {self.max_ece:g} and the noise level {self.noise:.4f} of a calibrated group this size)"
        )


def side_gaps(labels: np.ndarray, p: np.ndarray, d: np.ndarray) -> np.ndarray:
    """The calibration error a group is judged on, for each row of ``labels`` (draws x rows) at once: the
    larger gap |sum(y - p)| / rows between observed rate and mean probability on each decision side. It
    is what biases CBPE's expected confusion matrix (sums of p per side); the ECE's ten bins on a group
    of a few hundred rows would be mostly noise."""
    resid = labels - p[None, :]
    errors = np.zeros(len(labels))
    for side in (0, 1):
        on = d == side
        if on.any():
            errors = np.maximum(errors, np.abs(resid[:, on].sum(axis=1)) / on.sum())
    return errors


def group_calibration(
    group: str, y: np.ndarray, p: np.ndarray, d: np.ndarray, max_ece: float, min_n: int, seed, family: int = 1
) -> GroupCalibration:
    """Whether a group's reference rows are calibrated enough to estimate it (see ``GroupCalibration``):
    seeded from the inputs; a group with fewer than ``min_n`` reference rows, or whose noise level alone
    is beyond ``NOISE_CAP`` x ``max_ece``, cannot be checked. ``family``: how many groups are checked for
    the same estimate; the noise level is the 1 - FAMILY_RATE / family quantile, so a calibrated model
    has its groups held back with FAMILY_RATE chance at most (as drift corrects across features)."""
    n = len(y)
    if n < min_n:
        why = f"{n} reference rows in the group, fewer than {min_n}: too few to check its calibration"
        return GroupCalibration(group, n, None, max_ece, None, max_ece, why)
    y, p, d = np.asarray(y, dtype=float), np.asarray(p, dtype=float), np.asarray(d)
    error = float(side_gaps(y[None, :], p, d)[0])
    rng = np.random.default_rng(seed_from("estimated.group_calibration", group, seed))
    null = np.concatenate([
        side_gaps((rng.random((_NULL_CHUNK, n)) < p[None, :]).astype(float), p, d)
        for _ in range(NULL_DRAWS // _NULL_CHUNK)
    ])  # fmt: skip
    noise = float(np.quantile(null, 1 - FAMILY_RATE / max(family, 1)))
    if noise > NOISE_CAP * max_ece:
        why = (
            f"{n} reference rows in the group: a calibrated group this size shows a calibration gap up to "
            f"{noise:.4f} from noise alone (more than {NOISE_CAP:g} x the limit {max_ece:g}), too few to check it"
        )
        return GroupCalibration(group, n, error, max_ece, noise, max_ece, why)
    return GroupCalibration(group, n, error, max(max_ece, noise), noise, max_ece)
