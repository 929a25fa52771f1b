"""Robustness evidence of the model-review gate (explainability is :mod:`govgate.checks.explainability`,
re-exported here).

Plain functions (no Prefect import; the flow wraps them in tasks) whose reports are picklable
dataclasses with a JSON-able ``to_dict()``.

The model is anything with ``predict(DataFrame)`` (an ``mlflow.pyfunc`` model, an sklearn estimator or
pipeline) or a bare callable. Predictions may be labels (0/1, strings) or scores; ``decide(pred) ->
labels`` turns them into decisions. Without ``decide`` the rule is fixed from the first (baseline)
prediction: a 2-D score matrix -> argmax column; 1-D non-integral scores in [0, 1] -> ``score >= 0.5``;
anything else is taken as the decisions themselves. The rule used is recorded in the report.

- :func:`perturbation_stability`: small perturbations of every feature type (never the sensitive or
  excluded columns): Gaussian noise of ``numeric_noise`` x column std on float columns and on integer
  columns whose noise scale reaches one unit (rounded back to their dtype so schema-enforcing pyfunc
  models accept them); on an integer column with a smaller scale, ``discrete_share`` of the cells move by
  one unit (inside the observed range), since rounding tiny noise would change nothing; on a categorical
  (or boolean) column, ``discrete_share`` of the cells take another observed level. Re-predict
  ``n_repeats`` times and count flipped decisions, overall and per level of each sensitive feature, with
  Wilson intervals; then a missing-value probe (one column at a time set to missing on a sample). A model
  that raises on the missing values is recorded, not propagated; when MLflow's schema enforcement refused
  the input (the model never saw it) the probe says so and is inconclusive for that column.
- :func:`robustness_checks`: the gate's checks and findings.

Intervals: a row's flip share over the repeats is averaged; the Wilson interval uses the number of rows
(not rows x repeats) as n, which is conservative because repeats of one row are correlated.
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass, field
from typing import Any

import numpy as np
import pandas as pd

# explainability lived here; its names stay importable from this module
from govgate.checks.explainability import (  # noqa: F401
    ASSOCIATION_ROWS,
    PROXY_THRESHOLD,
    FeatureImportance,
    ImportanceReport,
    association,
    explainability_checks,
    permutation_importance_report,
)
from govgate.checks.model_calls import (
    Predict,
    as_predict,
    changed_decisions,
    error_text,
    is_numeric,
    jsonable,
    sample_positions,
    to_array,
)
from govgate.checks.outcomes import advisory, worst
from govgate.checks.stats import scores_to_decisions, wilson_interval
from govgate.record import Check, Finding, Metric, Outcome, Severity, Threshold

MAX_GROUP_LEVELS = 20  # a numeric sensitive feature with more distinct values is cut into quantile bins


MISSING = "<missing>"


# --------------------------------------------------------------------------------------------------------
# reports


@dataclass
class GroupFlip:
    feature: str
    level: str
    n: int  # rows of this group in the sample
    flips: int  # flipped decisions over n x repeats evaluations
    flip_rate: float
    lower: float
    upper: float
    small: bool  # n < min_group_size


@dataclass
class MissingProbe:
    column: str
    n: int
    flips: int
    flip_rate: float | None  # None when the model raised
    lower: float | None
    upper: float | None
    error: str | None = None  # "<ExceptionType>: <message>" when the model failed on the missing values
    schema_refused: bool = False  # the error came from the input schema's enforcement, not from the model


@dataclass
class RobustnessReport:
    n_total: int  # rows of X
    n_rows: int  # rows evaluated (sample of at most max_rows)
    n_repeats: int
    numeric_noise: float
    seed: int
    confidence: float
    min_group_size: int
    decision_rule: str
    perturbed_columns: list[str]
    skipped_columns: dict[str, str]  # column -> why it was not perturbed
    evaluations: int  # n_rows x n_repeats
    flips: int
    flip_rate: float
    lower: float
    upper: float
    rows_flipped_any: int  # rows whose decision flipped in at least one repeat
    groups: dict[str, list[GroupFlip]] = field(default_factory=dict)  # sensitive feature -> levels
    missing_rows: int = 0
    missing: list[MissingProbe] = field(default_factory=list)
    error: str | None = None  # the perturbed predictions failed (the report then holds no flip counts)
    seconds: float = 0.0
    discrete_share: float = 0.0  # share of the cells of one-unit-step and categorical columns changed
    perturbation: dict[str, str] = field(default_factory=dict)  # perturbed column -> how (PERTURBATION_KINDS)

    @property
    def n_features(self) -> int:
        return len(self.perturbed_columns) + len(self.skipped_columns)

    def to_dict(self) -> dict[str, Any]:
        return jsonable(asdict(self))


class _Decider:
    """Predictions -> decisions; without a user rule, the rule is fixed from the first call."""

    def __init__(self, decide: Callable[[Any], Any] | None):
        self.decide = decide
        self.mode: str | None = None
        self.rule = getattr(decide, "__name__", type(decide).__name__) if decide is not None else ""
        if decide is not None:
            self.rule = f"decide={self.rule}"

    def __call__(self, pred: Any) -> np.ndarray:
        if self.decide is not None:
            return to_array(self.decide(pred))
        arr = to_array(pred)
        if self.mode is None:
            if arr.ndim == 2:
                self.mode, self.rule = "argmax", "argmax of the predicted score columns (default)"
            elif arr.dtype.kind == "f" and np.isfinite(arr).any() and not np.all(np.mod(arr[np.isfinite(arr)], 1) == 0):
                finite = arr[np.isfinite(arr)]
                if finite.min() < 0 or finite.max() > 1:
                    raise ValueError(
                        "the model returns scores outside [0, 1]; pass decide= to turn them into decisions"
                    )
                self.mode, self.rule = "threshold", "score >= 0.5 (default)"
            else:
                self.mode, self.rule = "identity", "predictions are the decisions (default)"
        if self.mode == "argmax":
            return np.asarray(arr).argmax(axis=1)
        if self.mode == "threshold":
            return scores_to_decisions(arr, 0.5)
        return arr


# --------------------------------------------------------------------------------------------------------
# perturbation stability


def _levels(s: pd.Series) -> pd.Series:
    """Group labels (strings) of a sensitive feature; many-valued numeric features are cut into quintiles."""
    if is_numeric(s) and s.nunique(dropna=True) > MAX_GROUP_LEVELS:
        s = pd.qcut(s, 5, duplicates="drop")
    labels = s.astype(object).map(lambda v: MISSING if pd.isna(v) else str(v))
    return labels.astype(object)


def _all_missing(s: pd.Series) -> pd.Series:
    """The column with every value missing, keeping its dtype where the dtype can hold a missing value."""
    dtype = s.dtype
    if pd.api.types.is_bool_dtype(dtype) and dtype == np.dtype(bool):
        return pd.Series(np.nan, index=s.index, dtype="float64")
    if pd.api.types.is_integer_dtype(dtype) and isinstance(dtype, np.dtype):
        return pd.Series(np.nan, index=s.index, dtype="float64")
    try:
        out = pd.Series([None] * len(s), index=s.index, dtype=dtype)
        if out.isna().all():
            return out
    except (TypeError, ValueError):
        pass
    return pd.Series([None] * len(s), index=s.index, dtype=object)


def perturbation_stability(
    predict: Predict | Any,
    X: pd.DataFrame,
    *,
    sensitive: pd.DataFrame | pd.Series | None,
    numeric_noise: float = 0.05,
    n_repeats: int = 3,
    seed: int = 0,
    decide: Callable[[Any], Any] | None = None,
    min_group_size: int = 30,
    exclude: Sequence[str] = (),
    max_rows: int = 5000,
    missing_rows: int = 1000,
    confidence: float = 0.95,
    discrete_share: float = 0.05,
) -> RobustnessReport:
    """Share of decisions flipped by small perturbations of every feature (noise on numbers, one-unit
    steps on coarse integers, another observed level on categoricals: see the module docstring), overall
    and per sensitive group, plus a one-column-at-a-time missing-value probe.

    ``sensitive`` is aligned with ``X`` by row position; its columns (and ``exclude``, e.g. the label)
    are never perturbed when they are also in ``X``. At most ``max_rows`` rows are evaluated (seeded
    sample) and ``missing_rows`` of them are used for the missing-value probe. A failure of the baseline
    prediction propagates (the model cannot score this data at all); a failure on perturbed data is
    recorded in ``error``, one on missing values in ``missing[].error``.

    Long because its ten settings and the report's twenty fields are spelled out one per line; the work is
    done by the helpers below it.
    """
    started = time.perf_counter()
    predict = as_predict(predict)
    if n_repeats < 1:
        raise ValueError("n_repeats must be at least 1")
    if not 0 < discrete_share <= 1:
        raise ValueError(f"discrete_share must be in (0, 1]; got {discrete_share!r}")
    rng = np.random.default_rng(seed)
    Xs, sens = _sampled_rows(X, sensitive, max_rows, seed)
    decider = _Decider(decide)
    base = decider(predict(Xs))
    n = len(Xs)

    perturbed, skipped, plan = _perturbable_columns(Xs, set(exclude), sens, numeric_noise)
    per_row, any_flip, error = _noise_flips(predict, decider, Xs, base, plan, discrete_share, n_repeats, rng)
    evaluations = n * n_repeats if perturbed and not error else 0
    flips = int(per_row.sum())
    rate = flips / evaluations if evaluations else 0.0
    lo, hi = wilson_interval(rate * n, n, confidence) if evaluations else (0.0, 1.0)
    groups: dict[str, list[GroupFlip]] = {}
    if sens is not None and evaluations:
        groups = _group_flips(sens, per_row, n_repeats, confidence, min_group_size)

    probes = _missing_probe(predict, decider, Xs, base, exclude, missing_rows, confidence)
    return RobustnessReport(
        n_total=len(X),
        n_rows=n,
        n_repeats=n_repeats,
        numeric_noise=numeric_noise,
        seed=seed,
        confidence=confidence,
        min_group_size=min_group_size,
        decision_rule=decider.rule,
        perturbed_columns=[str(c) for c in perturbed],
        skipped_columns={str(k): v for k, v in skipped.items()},
        evaluations=evaluations,
        flips=flips,
        flip_rate=rate,
        lower=lo,
        upper=hi,
        rows_flipped_any=int(any_flip.sum()),
        groups=groups,
        missing_rows=min(n, missing_rows),
        missing=probes,
        error=error,
        seconds=round(time.perf_counter() - started, 3),
        discrete_share=discrete_share,
        perturbation={str(c): how for c, how in plan.how.items()},
    )


def _sampled_rows(
    X: pd.DataFrame, sensitive: pd.DataFrame | pd.Series | None, max_rows: int, seed: int
) -> tuple[pd.DataFrame, pd.DataFrame | None]:
    """At most ``max_rows`` rows of ``X`` (seeded), and the same rows of ``sensitive`` (aligned by position)."""
    if isinstance(sensitive, pd.Series):
        sensitive = sensitive.to_frame()
    if sensitive is not None and len(sensitive) != len(X):
        raise ValueError(f"sensitive has {len(sensitive)} rows, X has {len(X)}; they must be aligned by position")
    pos = sample_positions(len(X), max_rows, seed)
    sens = sensitive.iloc[pos].reset_index(drop=True) if sensitive is not None else None
    return X.iloc[pos].reset_index(drop=True), sens


# How a perturbed column changes, in the words the check uses.
NOISE, INTEGER_NOISE, UNIT_STEP, OTHER_LEVEL = "noise", "integer noise", "one-unit steps", "another level"
PERTURBATION_KINDS = (NOISE, INTEGER_NOISE, UNIT_STEP, OTHER_LEVEL)


@dataclass
class _Plan:
    """How each perturbed column changes: Gaussian noise of a scale (floats, and integers whose scale
    reaches one unit: rounded), one-unit steps inside the observed range, or another observed level."""

    noise: dict[str, float] = field(default_factory=dict)
    steps: dict[str, tuple[float, float]] = field(default_factory=dict)
    levels: dict[str, np.ndarray] = field(default_factory=dict)
    how: dict[str, str] = field(default_factory=dict)

    def __bool__(self) -> bool:
        return bool(self.how)


def _plan_column(s: pd.Series, numeric_noise: float, plan: _Plan, col: str) -> str | None:
    """Adds ``col`` to the plan; or why it cannot be perturbed."""
    if not is_numeric(s):
        observed = pd.unique(s.dropna())
        if len(observed) < 2:
            return "constant"
        plan.levels[col], plan.how[col] = np.asarray(observed, dtype=object), OTHER_LEVEL
        return None
    values = pd.to_numeric(s, errors="coerce").astype("float64")
    std = float(values.std(ddof=0)) if len(s) else 0.0
    if not math.isfinite(std) or std == 0:
        return "constant"
    if pd.api.types.is_integer_dtype(s.dtype) and numeric_noise * std < 1:
        plan.steps[col], plan.how[col] = (float(values.min()), float(values.max())), UNIT_STEP
    else:
        plan.noise[col] = numeric_noise * std
        plan.how[col] = INTEGER_NOISE if pd.api.types.is_integer_dtype(s.dtype) else NOISE
    return None


def _perturbable_columns(
    Xs: pd.DataFrame, exclude: set, sens: pd.DataFrame | None, numeric_noise: float
) -> tuple[list[str], dict[str, str], _Plan]:
    """The columns that get perturbed, the others with why not, and how each perturbed column changes."""
    protected = exclude | set(sens.columns if sens is not None else ())
    skipped: dict[str, str] = {}
    plan = _Plan()
    for col in Xs.columns:
        if col in protected:
            skipped[col] = "sensitive" if sens is not None and col in sens.columns else "excluded"
        elif why := _plan_column(Xs[col], numeric_noise, plan, col):
            skipped[col] = why
    return [c for c in Xs.columns if c in plan.how], skipped, plan


def _perturbed(Xs: pd.DataFrame, plan: _Plan, share: float, rng) -> pd.DataFrame:
    """One perturbed copy of ``Xs`` (every column keeps its dtype, so a schema-enforcing model accepts it)."""
    n = len(Xs)
    Xp = Xs.copy()
    for col, scale in plan.noise.items():
        s = Xs[col]
        noisy = s.astype("float64") + rng.normal(0.0, scale, size=n)
        Xp[col] = (noisy.round() if pd.api.types.is_integer_dtype(s.dtype) else noisy).astype(s.dtype)
    for col, (lo, hi) in plan.steps.items():
        s = Xs[col]
        v = s.astype("float64").to_numpy()
        step = np.where(rng.random(n) < 0.5, -1.0, 1.0)
        step = np.where((v + step < lo) | (v + step > hi), -step, step)  # stay inside the observed range
        moved = np.where(rng.random(n) < share, v + step, v)
        Xp[col] = pd.Series(moved, index=s.index).astype(s.dtype)
    for col, levels in plan.levels.items():
        s = Xs[col]
        codes = pd.Categorical(s, categories=levels).codes
        move = (rng.random(n) < share) & (codes >= 0)
        draw = rng.integers(0, len(levels) - 1, size=n)
        other = np.where(draw >= codes, draw + 1, draw)  # uniform over the levels other than the row's own
        values = s.to_numpy(dtype=object, copy=True)
        values[move] = levels[other[move]]
        Xp[col] = pd.Series(values, index=s.index, dtype=object).astype(s.dtype)
    return Xp


def _noise_flips(
    predict: Predict, decider, Xs: pd.DataFrame, base: np.ndarray, plan: _Plan, share: float, n_repeats: int, rng
) -> tuple[np.ndarray, np.ndarray, str | None]:
    """Flips per row over ``n_repeats`` perturbed copies of ``Xs``, whether each row flipped at least once,
    and the error when the model failed on perturbed data (the counts are then zero)."""
    n = len(Xs)
    per_row = np.zeros(n, dtype=float)
    any_flip = np.zeros(n, dtype=bool)
    if not plan or not n:
        return per_row, any_flip, None
    for _ in range(n_repeats):
        Xp = _perturbed(Xs, plan, share, rng)
        try:
            flipped = changed_decisions(base, decider(predict(Xp)))
        except Exception as exc:  # noqa: BLE001 - a model failing on perturbed data is evidence
            return (
                np.zeros(n, dtype=float),
                np.zeros(n, dtype=bool),
                f"the model failed on perturbed data: {error_text(exc)}",
            )
        per_row += flipped
        any_flip |= flipped
    return per_row, any_flip, None


def _group_flips(
    sens: pd.DataFrame, per_row: np.ndarray, n_repeats: int, confidence: float, min_group_size: int
) -> dict[str, list[GroupFlip]]:
    """Flip rates (with Wilson intervals over the group's rows) per level of each sensitive feature."""
    share = per_row / n_repeats
    groups: dict[str, list[GroupFlip]] = {}
    for feature in sens.columns:
        frame = pd.DataFrame({"level": _levels(sens[feature]).to_numpy(), "share": share, "flips": per_row})
        rows = []
        for level, g in frame.groupby("level", sort=True):
            gn = len(g)
            g_rate = float(g["share"].mean())
            g_lo, g_hi = wilson_interval(g_rate * gn, gn, confidence)
            rows.append(
                GroupFlip(str(feature), str(level), gn, int(g["flips"].sum()), g_rate, g_lo, g_hi, gn < min_group_size)
            )
        groups[str(feature)] = rows
    return groups


def schema_refusal(exc: BaseException) -> bool:
    """Whether MLflow's schema enforcement refused the input before the model saw it (a missing value in
    an integer column, say): then nothing is known about how the model itself handles the input.
    Recognised by type name and message, so this module needs no MLflow import."""
    text = str(exc).lower()
    return type(exc).__name__ == "MlflowException" and "schema" in text


def schema_reason(exc: BaseException) -> str:
    """The reason of a schema refusal without the data: MLflow's message quotes the whole input frame
    ("Failed to enforce schema of data '<rows>' with schema '...'. Error: <reason>"), which must not reach
    a record."""
    text = " ".join(str(exc).split())
    reason = text.rsplit("Error: ", 1)[1] if "Error: " in text else "the input does not match the model's schema"
    return f"{type(exc).__name__}: {reason}"[:300]


def _missing_probe(predict, decider, Xs, base, exclude, rows, confidence) -> list[MissingProbe]:
    m = min(len(Xs), rows)
    if m == 0:
        return []
    Xm = Xs.iloc[:m]  # Xs is already a random sample
    base_m = base[:m]
    probes = []
    for col in Xs.columns:
        if col in exclude:
            continue
        Xc = Xm.copy()
        Xc[col] = _all_missing(Xm[col])
        try:
            flipped = changed_decisions(base_m, decider(predict(Xc)))
        except Exception as exc:  # noqa: BLE001 - the failure is the finding
            refused = schema_refusal(exc)
            text = schema_reason(exc) if refused else error_text(exc)
            probes.append(MissingProbe(str(col), m, 0, None, None, None, text, refused))
            continue
        k = int(flipped.sum())
        lo, hi = wilson_interval(k, m, confidence)
        probes.append(MissingProbe(str(col), m, k, k / m, lo, hi))
    return probes


# --------------------------------------------------------------------------------------------------------
# robustness checks


def _pct(x: float | None) -> str:
    return "n/a" if x is None else f"{100 * x:.1f}%"


def _ci(confidence: float, lo: float | None, hi: float | None) -> str:
    return f"{int(round(confidence * 100))}% CI {_pct(lo)}-{_pct(hi)}"


def _rate_metric(name: str, rate: float, lo: float, hi: float, confidence: float, n: int) -> Metric:
    return Metric(name=name, value=round(rate, 6), lower=round(lo, 6), upper=round(hi, 6), confidence=confidence, n=n)


def robustness_checks(
    report: RobustnessReport,
    rules: Any,
    *,
    max_missing_flip_rate: float = 0.2,
    fail_on_missing_crash: bool = False,
) -> tuple[list[Check], list[Finding]]:
    """Checks ``robustness.perturbation``, ``robustness.perturbation.<feature>`` (per sensitive
    feature) and ``robustness.missing_values``. ``rules`` is a ``ModelReviewRules`` (``max_flip_rate``,
    ``min_group_size``). A column whose missing values flip more than ``max_missing_flip_rate`` of the
    decisions warns; one that makes the model raise warns (fails with ``fail_on_missing_crash``)."""
    max_flip = float(rules.max_flip_rate)
    common = {
        "n_rows": report.n_rows,
        "n_total": report.n_total,
        "n_repeats": report.n_repeats,
        "numeric_noise": report.numeric_noise,
        "decision_rule": report.decision_rule,
        "seed": report.seed,
    }
    built = [_perturbation_check(report, max_flip, common)]
    for feature, groups in report.groups.items():
        built.append(_group_stability_check(report, feature, groups, max_flip, int(rules.min_group_size), common))
    built.append(_missing_values_check(report, max_missing_flip_rate, fail_on_missing_crash, common))
    return [check for check, _ in built], [f for _, found in built for f in found]


def _perturbation_check(report: RobustnessReport, max_flip: float, common: dict) -> tuple[Check, list[Finding]]:
    """``robustness.perturbation``: the flip rate and its interval judged against ``max_flip``."""
    cid = "robustness.perturbation"
    threshold = Threshold(metric="flip_rate", op="<=", value=max_flip)
    rate = _rate_metric("flip_rate", report.flip_rate, report.lower, report.upper, report.confidence, report.n_rows)
    metrics = [
        rate,
        Metric(name="rows_flipped_any", value=report.rows_flipped_any, n=report.n_rows),
        Metric(name="evaluations", value=report.evaluations),
    ]
    findings: list[Finding] = []
    if report.error:
        outcome, message, metrics = Outcome.ERROR, report.error, []
    elif not report.n_rows:
        outcome, message = Outcome.INCONCLUSIVE, "no rows to evaluate"
    elif not report.perturbed_columns:
        outcome, message = Outcome.SKIPPED, f"no feature could be perturbed ({coverage_text(report)})"
    else:
        outcome = threshold.judge_metric(rate)
        message = (
            f"{_pct(report.flip_rate)} of decisions flipped ({_ci(report.confidence, report.lower, report.upper)}; "
            f"{report.rows_flipped_any} of {report.n_rows} rows flipped at least once), {report.n_repeats} "
            f"repeats; limit {_pct(max_flip)}. {coverage_text(report)}"
        )
        if outcome in (Outcome.FAIL, Outcome.WARN):
            findings.append(_perturbation_finding(report, max_flip, outcome))
    check = Check(
        id=cid,
        title="Decisions are stable under small perturbations of the features",
        category="robustness",
        outcome=outcome,
        message=message,
        metrics=metrics,
        threshold=threshold,
        evidence_kind="robustness_eval",
        details={
            **common,
            "perturbed_columns": report.perturbed_columns,
            "skipped_columns": report.skipped_columns,
            "perturbation": report.perturbation,
            "discrete_share": report.discrete_share,
        },
    )
    return check, findings


def coverage_text(report: RobustnessReport) -> str:
    """How many features were perturbed, how, and which were not (and why)."""
    how = {
        NOISE: f"Gaussian noise of {report.numeric_noise:g} x std",
        INTEGER_NOISE: f"Gaussian noise of {report.numeric_noise:g} x std, rounded",
        UNIT_STEP: f"one-unit steps in {_pct(report.discrete_share)} of cells",
        OTHER_LEVEL: f"another observed level in {_pct(report.discrete_share)} of cells",
    }
    parts = []
    for kind in PERTURBATION_KINDS:
        cols = [c for c, k in report.perturbation.items() if k == kind]
        if cols:
            parts.append(f"{how[kind]} on {len(cols)} ({', '.join(cols)})")
    text = f"Perturbed {len(report.perturbed_columns)} of {report.n_features} features"
    text += (": " + "; ".join(parts)) if parts else ""
    if report.skipped_columns:
        text += "; not perturbed: " + ", ".join(f"{c} ({why})" for c, why in report.skipped_columns.items())
    return text


def _perturbation_finding(report: RobustnessReport, max_flip: float, outcome: Outcome) -> Finding:
    straddles = "" if outcome == Outcome.FAIL else " (its interval reaches over the limit)"
    return Finding(
        id="robustness.perturbation",
        severity=Severity.HIGH if outcome == Outcome.FAIL else Severity.MEDIUM,
        category="robustness",
        check_id="robustness.perturbation",
        count=report.flips,
        message=f"{_pct(report.flip_rate)} of decisions flip under small perturbations of "
        f"{len(report.perturbed_columns)} features (limit {_pct(max_flip)}){straddles}",
        remediation="decisions sit close to the threshold for many rows: regularise or calibrate the model, "
        "add a review band around the threshold, or justify a higher limit in the policy",
    )


def _group_stability_check(
    report: RobustnessReport, feature: str, groups: list[GroupFlip], max_flip: float, min_n: int, common: dict
) -> tuple[Check, list[Finding]]:
    """``robustness.perturbation.<feature>``: the gap between the flip rates of the groups of ``feature``
    judged against ``max_flip`` (advisory: a breach warns), and each group's own rate against the same
    limit; inconclusive while a group is under ``min_n`` rows."""
    cid = f"robustness.perturbation.{feature}"
    conf = report.confidence
    threshold = Threshold(metric="flip_rate_gap", op="<=", value=max_flip)
    rate_limit = Threshold(metric="flip_rate", op="<=", value=max_flip)
    large = [g for g in groups if g.n >= min_n]
    small = [g for g in groups if g.n < min_n]
    metrics = [_rate_metric(f"flip_rate.{g.level}", g.flip_rate, g.lower, g.upper, conf, g.n) for g in groups]
    gap = (max(g.flip_rate for g in large) - min(g.flip_rate for g in large)) if len(large) >= 2 else None
    if gap is not None:
        metrics.append(Metric(name="flip_rate_gap", value=round(gap, 6), n=sum(g.n for g in large)))
    gap_outcome = threshold.judge(None if gap is None else round(gap, 6))
    above = [g for g in large if rate_limit.judge(g.flip_rate) == Outcome.FAIL]
    problems = []
    if gap_outcome == Outcome.FAIL:
        problems.append(f"gap between groups {_pct(gap)} > {_pct(max_flip)}")
    if above:
        problems.append(f"{', '.join(g.level for g in above)} above {_pct(max_flip)}")
    by_group = ", ".join(f"{g.level} {_pct(g.flip_rate)} (n={g.n})" for g in groups)
    outcome = worst(
        [
            advisory(gap_outcome),
            Outcome.WARN if above else Outcome.PASS,
            Outcome.INCONCLUSIVE if small else Outcome.PASS,
        ]
    )
    message = f"flip rates {by_group}" + (f"; {'; '.join(problems)}" if problems else "")
    if small:
        message = f"groups under {min_n} rows cannot be assessed: {', '.join(g.level for g in small)}; {message}"
    findings = [_group_finding(feature, cid, large, problems)] if problems else []
    rows = [_group_row(g, g.n < min_n, g in above) for g in groups]
    check = Check(
        id=cid,
        title=f"Decision stability is similar across {feature} groups",
        category="robustness",
        outcome=outcome,
        message=message,
        metrics=metrics,
        threshold=threshold,
        evidence_kind="robustness_eval",
        details={
            **common,
            "feature": feature,
            "min_group_size": min_n,
            "groups": rows,
            "gap": None if gap is None else round(gap, 6),
        },
    )
    return check, findings


def _group_row(g: GroupFlip, small: bool, above: bool) -> dict[str, Any]:
    return {
        "level": g.level,
        "n": g.n,
        "flips": g.flips,
        "flip_rate": round(g.flip_rate, 6),
        "lower": round(g.lower, 6),
        "upper": round(g.upper, 6),
        "status": "inconclusive" if small else ("above limit" if above else "ok"),
    }


def _group_finding(feature: str, cid: str, large: list[GroupFlip], problems: list[str]) -> Finding:
    worst_group = max(large, key=lambda g: g.flip_rate)
    return Finding(
        id=cid,
        severity=Severity.MEDIUM,
        category="robustness",
        check_id=cid,
        location={"feature": str(feature), "group": worst_group.level},
        message=f"decisions for {feature}={worst_group.level} are less stable than for other groups: "
        f"{'; '.join(problems)}",
        remediation="check whether this group's scores cluster near the threshold (fewer or noisier "
        "examples in training) and whether its decisions need a review band",
    )


def _missing_values_check(
    report: RobustnessReport, limit: float, fail_on_crash: bool, common: dict
) -> tuple[Check, list[Finding]]:
    """``robustness.missing_values``: each column's flip rate (with its interval) judged against ``limit``
    (advisory: a breach warns); a model that raises on missing values warns, or fails with ``fail_on_crash``."""
    cid = "robustness.missing_values"
    threshold = Threshold(metric="flip_rate", op="<=", value=limit)
    conf = report.confidence
    refused = [p for p in report.missing if p.error and p.schema_refused]
    crashed = [p for p in report.missing if p.error and not p.schema_refused]
    judged = [p for p in report.missing if not p.error]
    rates = {p.column: _rate_metric(f"flip_rate.{p.column}", p.flip_rate, p.lower, p.upper, conf, p.n) for p in judged}
    verdicts = {column: threshold.judge_metric(m) for column, m in rates.items()}
    flippy = [p for p in judged if verdicts[p.column] != Outcome.PASS]
    metrics = [
        Metric(name=f"{'schema_refused' if p.schema_refused else 'fails'}.{p.column}", value=1, n=p.n)
        if p.error
        else rates[p.column]
        for p in report.missing
    ]
    findings = _crash_findings(crashed, cid, fail_on_crash) + [_flippy_finding(p, cid, conf) for p in flippy]
    if not report.missing:
        outcome, message = Outcome.SKIPPED, "no rows or no columns to probe"
    else:
        crash_outcome = (Outcome.FAIL if fail_on_crash else Outcome.WARN) if crashed else Outcome.PASS
        refused_outcome = Outcome.INCONCLUSIVE if refused else Outcome.PASS
        outcome = worst([crash_outcome, refused_outcome, *(advisory(v) for v in verdicts.values())])
        message = _missing_message(report, crashed, refused, flippy, limit)
    check = Check(
        id=cid,
        title="The model handles missing values",
        category="robustness",
        outcome=outcome,
        message=message,
        metrics=metrics,
        threshold=threshold,
        evidence_kind="robustness_eval",
        details={
            **common,
            "rows": report.missing_rows,
            "columns": [
                {
                    "column": p.column,
                    "n": p.n,
                    "flips": p.flips,
                    "flip_rate": None if p.flip_rate is None else round(p.flip_rate, 6),
                    "error": p.error,
                    "schema_refused": p.schema_refused,
                }
                for p in report.missing
            ],
        },
    )
    return check, findings


def _missing_message(
    report: RobustnessReport,
    crashed: list[MissingProbe],
    refused: list[MissingProbe],
    flippy: list[MissingProbe],
    limit: float,
) -> str:
    parts = []
    if crashed:
        parts.append(f"model fails on missing values in {', '.join(p.column for p in crashed)}")
    if refused:
        parts.append(
            f"inconclusive for {', '.join(p.column for p in refused)}: the model's input schema refused the "
            f"missing values before the model saw them ({refused[0].error}); the model itself was not tested"
        )
    if flippy:
        parts.append("missing " + ", ".join(f"{p.column} flips {_pct(p.flip_rate)}" for p in flippy))
    message = "; ".join(parts) or (
        f"no single missing column flips more than {_pct(limit)} of decisions "
        f"(max {_pct(max((p.flip_rate for p in report.missing), default=0.0))})"
    )
    return message + f" ({len(report.missing)} columns, {report.missing_rows} rows)"


def _crash_findings(crashed: list[MissingProbe], cid: str, fail_on_crash: bool) -> list[Finding]:
    """One finding per distinct error, naming every column that raised it."""
    by_error: dict[str, list[str]] = {}
    for p in crashed:
        by_error.setdefault(p.error, []).append(p.column)
    findings = []
    for err, cols in by_error.items():
        where = f"column {cols[0]}" if len(cols) == 1 else f"columns {', '.join(cols)}"
        findings.append(
            Finding(
                id=f"{cid}.{cols[0]}" if len(cols) == 1 else f"{cid}.fails.{cols[0]}",
                severity=Severity.HIGH if fail_on_crash else Severity.MEDIUM,
                category="robustness",
                check_id=cid,
                location={"column": cols[0]} if len(cols) == 1 else {"columns": ", ".join(cols)},
                count=len(cols),
                message=f"model fails on missing values in {where}: {err}",
                remediation="impute missing values inside the model pipeline, or validate inputs and route rows with "
                "missing values to a fallback before they reach the model",
            )
        )
    return findings


def _flippy_finding(p: MissingProbe, cid: str, confidence: float) -> Finding:
    return Finding(
        id=f"{cid}.{p.column}",
        severity=Severity.LOW,
        category="robustness",
        check_id=cid,
        location={"column": p.column},
        count=p.flips,
        message=f"a missing {p.column} flips {_pct(p.flip_rate)} of decisions "
        f"({_ci(confidence, p.lower, p.upper)}, n={p.n})",
        remediation="document how missing values of this feature are handled in production and whether such "
        "rows are decided by the model",
    )
