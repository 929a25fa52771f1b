"""Checks from an ``Estimation`` (``govgate.checks.estimated``): the calibration that allows it, each
estimated metric per group against the approved baseline (one-sided on the interval, ``vs_baseline_check``,
judged by ``Threshold.judge``), and, once labels mature, each estimate reconciled with the realized value.

Ids: ``reassessment.estimated.calibration``, ``reassessment.estimated.<metric>.<group>`` (group
``overall`` or ``column=value``) and ``reassessment.estimated.<metric>.<group>.reconciled``. Every title
and message says "estimated"; the metrics carry the method, n and the calibration error.
"""

from __future__ import annotations

from collections.abc import Mapping

from govgate.checks.baseline import BaselineRef, missing_baseline_check, vs_baseline_check
from govgate.checks.estimated import (
    HIGHER_IS_BETTER,
    METHOD,
    METRICS,
    Estimation,
    GroupEstimate,
    calibrated_enough,
    calibration_threshold,
)
from govgate.checks.estimated_calibration import GroupCalibration
from govgate.record import Check, Metric, Outcome, Threshold

PREFIX = "reassessment.estimated"
CATEGORY = "performance"
EVIDENCE = "reassessment"
NAMES = {
    "accuracy": "accuracy",
    "tpr": "true positive rate",
    "fpr": "false positive rate",
    "precision": "precision",
    "f1": "F1",
    "roc_auc": "ROC AUC",
}
JUDGED_WHERE_APPROVED = ("f1", "roc_auc")  # the fairness report has no per-group value: judged only where
# the baseline record has one (overall); elsewhere the estimate stays in the record's estimated figures


def calibration_check(estimation: Estimation) -> Check:
    """The reference calibration the estimates rest on, judged against the ECE limit. Poor calibration is
    inconclusive, not a failure: it says the estimates cannot be trusted, not that the model regressed."""
    cal = estimation.calibration
    threshold = Threshold(metric="ece", op="<=", value=cal.max_ece)
    outcome = threshold.judge(cal.ece)
    message = f"for estimated performance: {cal.describe()}"
    if outcome != Outcome.PASS:  # a limit missed never passes; the estimates are inconclusive too
        outcome = Outcome.INCONCLUSIVE
        message += (
            f"; ECE {cal.ece:.4f} above the limit {cal.max_ece:g}: the estimate cannot be trusted, "
            "so estimated performance is inconclusive (not a regression)"
        )
    return Check(
        id=f"{PREFIX}.calibration",
        title="Scores calibrated enough to estimate performance without labels (estimated)",
        category=CATEGORY,
        outcome=outcome,
        message=message,
        metrics=[
            Metric(name="ece", value=cal.ece, n=cal.n),
            Metric(name="ece_as_given", value=cal.ece_raw, n=cal.n),
            *[Metric(name=f"ece_{m}_out_of_fold", value=e, n=cal.n) for m, e in cal.tried.items()],
        ],
        threshold=threshold,
        evidence_kind=EVIDENCE,
        details={
            "calibration_method": cal.method,
            "recalibrated": cal.recalibrated,
            "judged_outcome": threshold.judge(cal.ece).value,
        },
    )


def _context(estimation: Estimation, g: GroupEstimate) -> list[Metric]:
    cal = estimation.calibration
    return [
        Metric(name="n", value=g.n),
        Metric(name="calibration_ece", value=cal.ece, n=cal.n),
        Metric(name="selection_rate_observed", value=g.selection_rate, n=g.n),
    ]


def _details(estimation: Estimation, g: GroupEstimate, metric: str) -> dict:
    cal = estimation.calibration
    return {
        "estimated": True,
        "method": METHOD,
        "metric": metric,
        "group": g.group,
        "calibration": cal.method or "not calibrated",
        "recalibrated": cal.recalibrated,
        "interval_correction": _interval_correction(estimation),
        "expected_confusion": g.expected,
        "assumption": "the calibration learnt on the reference still holds on the current window",
    }


def _interval_correction(estimation: Estimation) -> dict | None:
    """What the interval adds beyond the simulated outcomes, so a reader sees it; None when the scores were
    used as given (no calibration term)."""
    if not estimation.calibration.recalibrated:
        return None
    return {
        "calibration_term_scale": estimation.settings.calibration_widening,
        "refits": len(estimation.calibration.resamples),
        "why": "bootstrap refits of the calibration map understate its error by about a fifth in sd; "
        "scale measured by seeded simulation with known truth (docs/estimated-performance.md, Limits)",
    }


def estimated_check(
    estimation: Estimation, g: GroupEstimate, metric: str, old: float | None, tolerance: float, ref
) -> Check:
    """One estimated metric of one group against its approved value."""
    name = NAMES[metric]
    common = dict(
        cid=f"{PREFIX}.{metric}.{g.group}",
        title=f"Estimated {name} ({g.group}) no worse than the approved version",
        category=CATEGORY,
        evidence_kind=EVIDENCE,
        tolerance=tolerance,
        baseline=ref,
    )
    current = g.metrics.get(metric)
    if current is None or old is None:
        where = (["the estimate"] if current is None else []) + (["the baseline record"] if old is None else [])
        check = missing_baseline_check(**common, where=where, why=g.reasons.get(metric))
        message = f"estimated {name} not judged: {check.message}"
        if current is not None:  # the estimate is kept, so it can still be reconciled with the realized value
            check = check.model_copy(update={"metrics": [current.model_copy(update={"name": "current"})]})
    else:
        check = vs_baseline_check(**common, current=current, old=old, higher_is_better=HIGHER_IS_BETTER[metric])
        message = f"estimated {name} from scores, no labels; {estimation.calibration.describe()}; {check.message}"
    return check.model_copy(
        update={
            "message": message,
            "metrics": [*check.metrics, *_context(estimation, g)],
            "details": {**check.details, **_details(estimation, g, metric)},
        }
    )


def estimated_baseline_checks(
    estimation: Estimation,
    baseline: Mapping[str, Mapping[str, float]],
    tolerance: float,
    *,
    ref: BaselineRef | None = None,
) -> list[Check]:
    """The calibration check, then every estimated metric of every group against ``baseline``
    (``{metric: {group: approved value}}``), one-sided with the tier's ``tolerance``."""
    checks = [calibration_check(estimation)]
    checks += [group_calibration_check(gc) for gc in estimation.group_calibration.values()]
    for g in estimation.groups.values():
        for metric in METRICS:
            old = baseline.get(metric, {}).get(g.group)
            if old is None and metric in JUDGED_WHERE_APPROVED:
                continue
            checks.append(estimated_check(estimation, g, metric, old, tolerance, ref))
    return checks


def group_calibration_check(gc: GroupCalibration) -> Check:
    """One group's calibration on its reference rows (``govgate.checks.estimated_calibration``), judged
    against its limit; poor, or too few rows to check, is inconclusive (the group is not estimated)."""
    threshold = calibration_threshold(gc)
    judged = threshold.judge(gc.error)
    ok = calibrated_enough(gc)
    message = f"for estimated performance of {gc.group}: {gc.describe()}"
    if not ok:
        message += "; its performance is not estimated (inconclusive, not a regression)"
    return Check(
        id=f"{PREFIX}.calibration.{gc.group}",
        title=f"Scores calibrated within {gc.group} on the reference (estimated)",
        category=CATEGORY,
        outcome=Outcome.PASS if ok else Outcome.INCONCLUSIVE,
        message=message,
        metrics=[
            Metric(name="group_calibration_error", value=gc.error, n=gc.n),
            Metric(name="noise_level_95", value=gc.noise, n=gc.n),
            Metric(name="max_ece", value=gc.max_ece),
        ],
        threshold=threshold,
        evidence_kind=EVIDENCE,
        details={"group": gc.group, "judged_outcome": judged.value, "reason": gc.reason or None},
    )


def _figure(check: Check, name: str) -> Metric | None:
    return next((m for m in check.metrics if m.name == name), None)


def reconcile_check(estimated: Check, realized: Metric | float | None, tolerance: float, ref=None) -> Check:
    """Did the realized value (labels matured) fall in the estimated interval, and does the realized figure
    confirm the estimated verdict against the baseline? Judged on the distance outside the interval <= 0."""
    metric, group = estimated.details["metric"], estimated.details["group"]
    est, old = _figure(estimated, "current"), _figure(estimated, "baseline")
    r = realized if isinstance(realized, Metric) or realized is None else Metric(name=metric, value=float(realized))
    threshold = Threshold(metric="distance_outside_estimated_interval", op="<=", value=0)
    cid, title = f"{estimated.id}.reconciled", f"Estimated {NAMES[metric]} ({group}) vs realized after labels"
    if est is None or est.lower is None or r is None or r.value is None:
        missing = "no estimate" if est is None or est.lower is None else "no realized value"
        return Check(
            id=cid, title=title, category=CATEGORY, outcome=Outcome.INCONCLUSIVE, threshold=threshold,
            message=f"estimate vs realized not compared: {missing}", evidence_kind=EVIDENCE,
            details={"metric": metric, "group": group, "estimated_check": estimated.id},
        )  # fmt: skip
    distance = round(max(est.lower - r.value, r.value - est.upper, 0.0), 12)
    inside = "inside" if distance <= 0 else f"outside (by {distance:.4f})"
    verdict = _verdict(estimated, r, old, tolerance, ref)
    return Check(
        id=cid,
        title=title,
        category=CATEGORY,
        outcome=threshold.judge(distance),
        message=f"estimated {est.value:.4f} [{est.lower:.4f}, {est.upper:.4f}] before labels; realized "
        f"{r.value:.4f}" + (f" (n={r.n})" if r.n else "") + f" after: {inside} the estimated interval. {verdict[0]}",
        metrics=[Metric(name="distance_outside_estimated_interval", value=distance), est.model_copy(), r.model_copy(
            update={"name": "realized"})],
        threshold=threshold,
        evidence_kind=EVIDENCE,
        details={"metric": metric, "group": group, "estimated_check": estimated.id, **verdict[1]},
    )  # fmt: skip


def _verdict(estimated: Check, realized: Metric, old: Metric | None, tolerance: float, ref) -> tuple[str, dict]:
    """The realized figure judged against the same baseline, and whether it confirms the estimated verdict."""
    if old is None:
        return "No baseline to compare verdicts.", {"estimated_outcome": estimated.outcome.value}
    metric = estimated.details["metric"]
    real = vs_baseline_check(
        cid="_", title="_", category=CATEGORY, evidence_kind=EVIDENCE, current=realized, old=float(old.value),
        higher_is_better=HIGHER_IS_BETTER[metric], tolerance=tolerance, baseline=ref,
    )  # fmt: skip
    e, r = estimated.outcome, real.outcome
    if e == Outcome.FAIL and r == Outcome.FAIL:
        text = "The regression estimated before labels is confirmed by the realized value."
    elif e == Outcome.FAIL:
        text = f"The regression estimated before labels is NOT confirmed: realized verdict {r.value}."
    elif r == Outcome.FAIL:
        text = f"The realized value is a regression the estimate judged {e.value}."
    else:
        text = f"Estimated verdict {e.value}, realized verdict {r.value}."
    return text, {"estimated_outcome": e.value, "realized_outcome": r.value, "confirmed": e == r}


def reconcile_checks(
    estimated: list[Check], realized: Mapping[str, Mapping[str, Metric | float]], tolerance: float, *, ref=None
) -> list[Check]:
    """Every estimated metric check of a past window against the realized ``{metric: {group: value}}``."""
    out = []
    for c in estimated:
        if c.details.get("estimated") and c.details.get("metric") in METRICS:
            value = realized.get(c.details["metric"], {}).get(c.details["group"])
            out.append(reconcile_check(c, value, tolerance, ref))
    return out
