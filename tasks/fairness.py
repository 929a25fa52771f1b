"""Fairness by group with bootstrap intervals, exact and fast.

Rows are collapsed to counts of (group cell, y_true, y_pred): every confusion-matrix metric of every
group is a function of those counts, so the figures equal Fairlearn's MetricFrame on raw rows (tests hold
them to 1e-9), at a cost independent of the number of rows. Resampling rows with replacement is the same
as drawing multinomial counts over the cells, so 1,000 bootstrap resamples are one (1000 x cells) draw.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field

import numpy as np
import pandas as pd

from govgate.errors import InputError
from govgate.record import Check, Finding, Metric, Outcome, Severity, Threshold

GROUP_METRICS = ("selection_rate", "true_positive_rate", "false_positive_rate", "false_negative_rate", "accuracy", "precision")
DISPARITIES = ("demographic_parity_difference", "demographic_parity_ratio", "equalized_odds_difference",
               "equalized_odds_ratio", "true_positive_rate_difference", "false_positive_rate_difference", "accuracy_difference")  # fmt: skip
LOWER_IS_BETTER = {d for d in DISPARITIES if d.endswith("difference")}


@dataclass
class Estimate:
    value: float | None
    lower: float | None = None
    upper: float | None = None


@dataclass
class GroupStats:
    name: str
    n: int
    positives: int
    small: bool
    metrics: dict[str, Estimate] = field(default_factory=dict)


@dataclass
class FeatureFairness:
    key: str  # "sex", "age>=25" or "sex & age>=25"
    groups: list[GroupStats]
    disparities: dict[str, Estimate]
    small_groups: list[str]
    extremes: dict[str, tuple[str, str]] = field(default_factory=dict)  # metric -> (group with max, group with min)


@dataclass
class FairnessReport:
    features: dict[str, FeatureFairness]
    n: int
    n_boot: int
    confidence: float
    min_group_size: int

    def to_dict(self) -> dict:
        return asdict(self)


def _rates(c: np.ndarray) -> dict[str, np.ndarray]:
    """Metrics from counts [..., 4] = (tn, fp, fn, tp); any leading shape (groups, resamples x groups)."""
    tn, fp, fn, tp = (c[..., i].astype(np.float64) for i in range(4))
    n = tn + fp + fn + tp
    with np.errstate(divide="ignore", invalid="ignore"):
        return {
            "selection_rate": (tp + fp) / n,
            "true_positive_rate": tp / (tp + fn),
            "false_positive_rate": fp / (fp + tn),
            "false_negative_rate": fn / (tp + fn),
            "accuracy": (tp + tn) / n,
            "precision": tp / (tp + fp),
        }


def _disparities(r: dict[str, np.ndarray]) -> dict[str, np.ndarray]:
    """Over the last axis (groups), as Fairlearn defines them (equalized odds: the worse of TPR and FPR)."""
    with np.errstate(divide="ignore", invalid="ignore"):
        sel, tpr, fpr, acc = r["selection_rate"], r["true_positive_rate"], r["false_positive_rate"], r["accuracy"]
        tpr_d = np.nanmax(tpr, -1) - np.nanmin(tpr, -1)
        fpr_d = np.nanmax(fpr, -1) - np.nanmin(fpr, -1)
        return {
            "demographic_parity_difference": np.nanmax(sel, -1) - np.nanmin(sel, -1),
            "demographic_parity_ratio": np.nanmin(sel, -1) / np.nanmax(sel, -1),
            "equalized_odds_difference": np.maximum(tpr_d, fpr_d),
            "equalized_odds_ratio": np.minimum(np.nanmin(tpr, -1) / np.nanmax(tpr, -1), np.nanmin(fpr, -1) / np.nanmax(fpr, -1)),
            "true_positive_rate_difference": tpr_d,
            "false_positive_rate_difference": fpr_d,
            "accuracy_difference": np.nanmax(acc, -1) - np.nanmin(acc, -1),
        }


def _as_binary(values, name: str) -> np.ndarray:
    arr = np.asarray(values)
    if arr.dtype.kind == "f" and np.isnan(arr).any():
        raise InputError(f"{name} has {int(np.isnan(arr).sum())} NaN value(s); fairness metrics need complete 0/1 values")
    bad = np.setdiff1d(np.unique(arr), [0, 1])
    if bad.size:
        raise InputError(f"{name} must be 0/1 after applying the positive label; found {bad[:5].tolist()}")
    return arr.astype(np.int64)


def fairness_report(y_true, y_pred, sensitive: pd.DataFrame, *, min_group_size: int, n_boot: int = 1000,
                    confidence: float = 0.95, seed: int = 0, pos_label=1) -> FairnessReport:  # fmt: skip
    """Per-group metrics and disparities with bootstrap intervals, for each sensitive feature on its own
    and, when there are several, for their intersection."""
    y = _as_binary(np.asarray(y_true) == pos_label if pos_label != 1 else y_true, "y_true")
    d = _as_binary(np.asarray(y_pred) == pos_label if pos_label != 1 else y_pred, "y_pred")
    if len(y) != len(d) or len(y) != len(sensitive):
        raise InputError(f"labels ({len(y)}), predictions ({len(d)}) and sensitive features ({len(sensitive)}) differ in length")
    if sensitive.shape[1] == 0:
        raise InputError("no sensitive feature given")
    # Integer codes per feature (pd.factorize), combined arithmetically for the intersection: no per-row
    # strings, so the cost is a few vectorised passes over the rows whatever the number of groups.
    coded = []
    for col in sensitive.columns:
        codes, uniques = pd.factorize(sensitive[col], sort=True)
        values = [str(u) for u in uniques]
        if (codes < 0).any():
            codes = np.where(codes < 0, len(values), codes)
            values.append("(missing)")
        coded.append((str(col), codes.astype(np.int64), values))
    keys = [(name, codes, [f"{name}={v}" for v in values]) for name, codes, values in coded]
    if len(coded) > 1:
        combined = np.zeros(len(y), dtype=np.int64)
        labels = [""]
        for name, codes, values in coded:
            combined = combined * len(values) + codes
            labels = [f"{prev} & {name}={v}" if prev else f"{name}={v}" for prev in labels for v in values]
        keys.append((" & ".join(name for name, _, _ in coded), combined, labels))
    rng = np.random.default_rng(seed)
    features = {}
    for key, codes, names in keys:
        features[key] = _feature(key, codes, names, y, d, min_group_size=min_group_size, n_boot=n_boot,
                                 confidence=confidence, rng=rng)  # fmt: skip
    return FairnessReport(features=features, n=len(y), n_boot=n_boot, confidence=confidence, min_group_size=min_group_size)


def _feature(key, codes, all_names, y, d, *, min_group_size, n_boot, confidence, rng) -> FeatureFairness:
    counts = np.bincount(codes * 4 + y * 2 + d, minlength=len(all_names) * 4).reshape(len(all_names), 4)
    present = counts.sum(1) > 0  # intersections that no row has are not groups
    counts = counts[present]
    names = [n for n, p in zip(all_names, present) if p]
    n_g = counts.sum(1)
    eligible = n_g >= min_group_size
    point = _rates(counts)
    alpha = (1 - confidence) / 2
    boot = None
    if n_boot > 0:
        total = int(counts.sum())
        draws = rng.multinomial(total, counts.ravel() / total, size=n_boot).reshape(n_boot, len(names), 4)
        boot = _rates(draws)
    groups = []
    for i, name in enumerate(names):
        est = {}
        for m in GROUP_METRICS:
            v = point[m][i]
            lo = hi = None
            if boot is not None and not np.isnan(v):
                lo, hi = (float(x) for x in np.nanquantile(boot[m][:, i], [alpha, 1 - alpha]))
            est[m] = Estimate(None if np.isnan(v) else float(v), lo, hi)
        groups.append(GroupStats(name=name, n=int(n_g[i]), positives=int(counts[i, 2] + counts[i, 3]),
                                 small=not eligible[i], metrics=est))  # fmt: skip
    small = [f"{g.name} (n={g.n})" for g in groups if g.small]
    disparities: dict[str, Estimate] = {}
    extremes = {}
    if eligible.sum() >= 2:
        pe = {m: v[eligible] for m, v in point.items()}
        dp = _disparities(pe)
        bd = _disparities({m: v[:, eligible] for m, v in boot.items()}) if boot is not None else None
        for name, value in dp.items():
            v = float(value)
            lo = hi = None
            if bd is not None and not np.isnan(v):
                lo, hi = (float(x) for x in np.nanquantile(bd[name], [alpha, 1 - alpha]))
            disparities[name] = Estimate(None if np.isnan(v) else v, lo, hi)
        kept = [g.name for g in groups if not g.small]
        for m in ("selection_rate", "true_positive_rate", "false_positive_rate"):
            vals = pe[m]
            if not np.all(np.isnan(vals)):
                extremes[m] = (kept[int(np.nanargmax(vals))], kept[int(np.nanargmin(vals))])
    return FeatureFairness(key=key, groups=groups, disparities=disparities, small_groups=small, extremes=extremes)


def _metric(name: str, e: Estimate, confidence: float, n: int | None = None) -> Metric:
    return Metric(name=name, value=e.value, lower=e.lower, upper=e.upper,
                  confidence=confidence if e.lower is not None else None, n=n)  # fmt: skip


def fairness_checks(report: FairnessReport, rules) -> tuple[list[Check], list[Finding]]:
    """Per-group tables, small groups (inconclusive), and the disparities against the tier's thresholds.
    Fail when the point estimate breaks the threshold; warn when only the interval crosses it."""
    checks: list[Check] = []
    findings: list[Finding] = []
    limits = [("demographic_parity_difference", "<=", rules.max_demographic_parity_difference),
              ("demographic_parity_ratio", ">=", rules.min_demographic_parity_ratio),
              ("equalized_odds_difference", "<=", rules.max_equalized_odds_difference)]  # fmt: skip
    for key, f in report.features.items():
        metrics = [_metric(f"{m}[{g.name}]", g.metrics[m], report.confidence, g.n) for g in f.groups if not g.small for m in GROUP_METRICS]
        checks.append(Check(
            id=f"fairness.groups.{key}", title=f"Metrics by group: {key}", category="fairness", outcome=Outcome.PASS,
            message=f"{sum(not g.small for g in f.groups)} group(s) assessed" + (f"; too small to assess: {', '.join(f.small_groups)}" if f.small_groups else ""),
            metrics=metrics, evidence_kind="fairness_eval",
            details={"groups": {g.name: {"n": g.n, "positives": g.positives, "small": g.small} for g in f.groups}},
        ))  # fmt: skip
        if f.small_groups:
            checks.append(Check(
                id=f"fairness.{key}.small_groups", title=f"Groups too small to assess: {key}", category="fairness",
                outcome=Outcome.INCONCLUSIVE, evidence_kind="fairness_eval",
                message=f"below min_group_size {report.min_group_size}: {', '.join(f.small_groups)}; neither pass nor fail",
                metrics=[Metric(name="small_groups", value=len(f.small_groups))],
                threshold=Threshold(metric="n", op=">=", value=report.min_group_size),
            ))  # fmt: skip
        for name, op, limit in limits:
            cid = f"fairness.{key}.{name}"
            est = f.disparities.get(name)
            if est is None or est.value is None:
                checks.append(Check(id=cid, title=name.replace("_", " "), category="fairness", outcome=Outcome.INCONCLUSIVE,
                                    message=f"fewer than two groups of {key} have at least {report.min_group_size} members",
                                    threshold=Threshold(metric="value", op=op, value=limit), evidence_kind="fairness_eval"))  # fmt: skip
                continue
            ok = est.value <= limit if op == "<=" else est.value >= limit
            worst = est.upper if op == "<=" else est.lower
            unsure = worst is not None and (worst > limit if op == "<=" else worst < limit)
            outcome = Outcome.FAIL if not ok else (Outcome.WARN if unsure else Outcome.PASS)
            metric = "selection_rate" if "parity" in name else "true_positive_rate"
            hi, lo = f.extremes.get(metric, ("?", "?"))
            msg = f"{est.value:.4f} (interval {est.lower:.4f}..{est.upper:.4f}); limit {op} {limit}" if est.lower is not None else f"{est.value:.4f}; limit {op} {limit}"
            if outcome != Outcome.PASS:
                msg += f"; highest {metric.replace('_', ' ')}: {hi}, lowest: {lo}"
            checks.append(Check(id=cid, title=name.replace("_", " "), category="fairness", outcome=outcome, message=msg,
                                metrics=[_metric("value", est, report.confidence, report.n)],
                                threshold=Threshold(metric="value", op=op, value=limit), evidence_kind="fairness_eval"))  # fmt: skip
            if outcome == Outcome.FAIL:
                findings.append(Finding(id=f"{cid}.exceeded", severity=Severity.HIGH, category="fairness", check_id=cid,
                                        message=f"{name.replace('_', ' ')} by {key} is {est.value:.3f}, beyond {limit}: {hi} vs {lo}",
                                        location={"feature": key},
                                        remediation="investigate the gap (label bias, proxies, sampling); mitigate (reweighing, thresholds per policy) and re-review"))  # fmt: skip
    return checks, findings


def baseline_checks(report: FairnessReport, baseline: dict, tolerance: float) -> list[Check]:
    """One-sided: no disparity worse than the last approved version's by more than ``tolerance``."""
    checks = []
    base_features = baseline.get("features", {})
    for key, f in report.features.items():
        for name in ("demographic_parity_difference", "equalized_odds_difference", "demographic_parity_ratio"):
            cid = f"fairness.{key}.{name}.vs_baseline"
            cur = f.disparities.get(name)
            old = (base_features.get(key, {}).get("disparities", {}) or {}).get(name) or {}
            if cur is None or cur.value is None or old.get("value") is None:
                checks.append(Check(id=cid, title=f"{name.replace('_', ' ')} vs baseline", category="fairness", outcome=Outcome.INCONCLUSIVE,
                                    message="missing in the current or the baseline report", evidence_kind="fairness_eval"))  # fmt: skip
                continue
            worse = cur.value - old["value"] if name in LOWER_IS_BETTER else old["value"] - cur.value
            checks.append(Check(
                id=cid, title=f"{name.replace('_', ' ')} no worse than the approved baseline", category="fairness",
                outcome=Outcome.FAIL if worse > tolerance else Outcome.PASS,
                message=f"now {cur.value:.4f}, baseline {old['value']:.4f}, worsening {worse:+.4f} (tolerance {tolerance})",
                metrics=[Metric(name="worsening", value=float(worse)), Metric(name="baseline", value=float(old["value"]))],
                threshold=Threshold(metric="worsening", op="<=", value=tolerance), evidence_kind="fairness_eval",
            ))  # fmt: skip
    return checks
