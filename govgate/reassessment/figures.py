"""The per-group figures of a record as the performance estimator names them (``{metric: {group: value}}``,
metrics accuracy / tpr / fpr / precision, groups ``overall`` and ``column=value``): the approved baseline
an estimate is judged against, and the realized figures an earlier estimate is reconciled with once
labels mature. Also finds the earlier estimate of the same version among its past reassessment records."""

from __future__ import annotations

from govgate.checks.estimated import METRICS, OVERALL
from govgate.checks.estimated_checks import PREFIX
from govgate.record import Check, GateResult, Metric

# the fairness report's names of the group metrics, as the estimator names them
REPORT_NAMES = {
    "accuracy": "accuracy",
    "true_positive_rate": "tpr",
    "false_positive_rate": "fpr",
    "precision": "precision",
}
# the performance checks' metric names (overall figures) that mean the same
OVERALL_NAMES = {**REPORT_NAMES, "tpr": "tpr", "recall": "tpr", "fpr": "fpr", "f1": "f1", "roc_auc": "roc_auc"}
PERFORMANCE_CHECKS = ("performance.accuracy", "performance.classification", "performance.roc_auc")


def group_figures(report: dict | None, checks: list[Check]) -> dict[str, dict[str, Metric]]:
    """``{metric: {group: Metric}}`` from a fairness report's per-group metrics (each sensitive feature on
    its own; intersections left out, the estimator does not form them) and the overall performance checks."""
    out: dict[str, dict[str, Metric]] = {m: {} for m in METRICS}
    for c in checks:
        if c.id in PERFORMANCE_CHECKS:
            for m in c.metrics:
                name = OVERALL_NAMES.get(m.name)
                if name and isinstance(m.value, (int, float)):
                    out[name].setdefault(OVERALL, m)
    report = report or {}
    intersection = report.get("intersection")
    for key, feature in (report.get("features") or {}).items():
        if key == intersection:
            continue
        for g in feature.get("groups") or []:
            for name, est in (g.get("metrics") or {}).items():
                metric = REPORT_NAMES.get(name)
                if metric and (est or {}).get("value") is not None:
                    group = g["name"] if "=" in g["name"] else f"{key}={g['name']}"  # the report says sex=female
                    out[metric][group] = Metric(
                        name=metric, value=float(est["value"]), lower=est.get("lower"), upper=est.get("upper")
                    )
    return out


def approved_values(report: dict | None, checks: list[Check]) -> dict[str, dict[str, float]]:
    """The baseline mapping ``estimated_baseline_checks`` takes: the approved value of each figure."""
    return {m: {g: float(v.value) for g, v in groups.items()} for m, groups in group_figures(report, checks).items()}


def is_estimate(check: Check) -> bool:
    """An estimated metric check (not the calibration check, not a reconciliation)."""
    return (
        bool(check.details.get("estimated")) and check.id.startswith(PREFIX) and check.details.get("metric") in METRICS
    )


def earlier_estimates(past: list[GateResult]) -> tuple[str | None, list[Check]]:
    """The most recent past reassessment record (oldest first in ``past``) that estimated figures without
    labels: its record id and its estimated checks; (None, []) when there is none."""
    for record in reversed(past):
        estimated = [c for c in record.checks if is_estimate(c)]
        if estimated:
            return record.record_id, estimated
    return None, []
