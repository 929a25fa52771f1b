"""Drift results as evidence: a check per column and scope, a dataset-drift check per scope, findings."""

from __future__ import annotations

from govgate.checks.drift.constants import (
    CATEGORY,
    DATASET_DRIFT_SHARE,
    DISTANCE_THRESHOLD,
    EVIDENCE_KIND,
    KS,
    MIN_GROUP_ROWS,
    P_VALUE_THRESHOLD,
    PREDICTION,
    PSI_BANDS,
    WASSERSTEIN,
)
from govgate.checks.drift.correction import holm
from govgate.checks.drift.evaluate import ColumnResult, evaluate_column
from govgate.checks.drift.profile import ROWS, DriftProfile
from govgate.checks.drift.summary import OVERALL, DriftSummary, Scope, scope_label
from govgate.record import Check, Finding, Metric, Outcome, Severity, Threshold

STATISTIC_NAMES = {
    KS: "ks_statistic",
    "chisquare": "chi_square",
    "z": "z",
    WASSERSTEIN: "wasserstein_distance_norm",
    "jensenshannon": "jensenshannon_distance",
}


def drift_results(
    profile: DriftProfile, current: DriftSummary, *, min_group_rows: int = MIN_GROUP_ROWS
) -> dict[Scope, list[ColumnResult]]:
    """Every planned column tested in every scope (all rows, then each group value seen on either side),
    Holm-adjusted within each scope."""
    scopes = [OVERALL] + sorted(
        {s for s in list(profile.reference.columns) + list(current.columns) if s != OVERALL and s[0] in profile.groups}
    )
    out = {}
    for scope in scopes:
        ref_cols, cur_cols = profile.reference.columns.get(scope), current.columns.get(scope, {})
        results = []
        for name, plan in profile.plans.items():
            if ref_cols is None:
                result = ColumnResult(scope=scope, column=name, kind=plan.kind)
                result.inconclusive = _no_reference_scope(profile, scope)
            else:
                minimum = 0 if scope == OVERALL else min_group_rows
                result = evaluate_column(plan, scope, ref_cols.get(name), cur_cols.get(name), minimum)
            if name in current.missing_columns and cur_cols.get(name) is None:
                result.inconclusive = f"column {name!r} is missing in current data"
            elif scope[0] in current.missing_columns and scope not in current.columns:
                result.inconclusive = f"group column {scope[0]!r} is missing in current data"
            results.append(result)
        tested = [r for r in results if r.is_p_value]
        for r, adjusted in zip(tested, holm([r.p_value for r in tested]), strict=True):
            r.p_adjusted = adjusted
        out[scope] = results
    return out


def _no_reference_scope(profile: DriftProfile, scope: Scope) -> str:
    if profile.source != ROWS:
        return f"no reference for {scope_label(scope)}: {profile.notes[-1]}"
    return f"group {scope_label(scope)} does not occur in the reference data"


def drift_checks(
    profile: DriftProfile,
    current: DriftSummary,
    *,
    alpha: float = P_VALUE_THRESHOLD,
    limit: float = DISTANCE_THRESHOLD,
    drift_share: float = DATASET_DRIFT_SHARE,
    min_group_rows: int = MIN_GROUP_ROWS,
) -> tuple[list[Check], list[Finding]]:
    """Checks for every column in every scope and a dataset-drift check per scope; findings for drift,
    missing columns and empty current data."""
    checks, findings = [], []
    rows = current.rows.get(OVERALL, 0)
    if rows == 0:
        findings.append(_finding("drift.no_rows", Severity.HIGH, "current data has no rows: drift was not tested"))
    for name, n in sorted(current.missing_columns.items()):
        message = f"column {name!r} is missing in current data ({n} of {rows} rows lack it); the reference has it"
        findings.append(_finding(f"drift.missing_column.{name}", Severity.HIGH, message, f"drift.{name}"))
    for scope, results in drift_results(profile, current, min_group_rows=min_group_rows).items():
        for result in results:
            check = column_check(result, alpha, limit)
            checks.append(check)
            if check.outcome in (Outcome.FAIL, Outcome.WARN):
                severity = Severity.MEDIUM if check.outcome == Outcome.FAIL else Severity.LOW
                findings.append(_finding(check.id, severity, check.message, check.id))
        checks.append(dataset_check(scope, results, alpha, limit, drift_share, rows))
    return checks, findings


def _finding(fid: str, severity: Severity, message: str, check_id: str | None = None) -> Finding:
    return Finding(
        id=fid,
        severity=severity,
        category=CATEGORY,
        message=message,
        check_id=check_id,
        remediation="compare the drifted columns with the reference; reassess the model if the shift is real",
    )


def check_id(column: str, scope: Scope) -> str:
    return f"drift.{column}" if scope == OVERALL else f"drift.{column}.{scope[0]}={scope[1]}"


def _threshold(result: ColumnResult, alpha: float, limit: float) -> Threshold:
    if result.is_p_value:
        # no drift while the adjusted p-value stays above alpha (KS: > alpha, chi-square and Z: >= alpha)
        return Threshold(metric="p_value_holm", op=">" if result.test == KS else ">=", value=alpha)
    metric = STATISTIC_NAMES.get(result.test or "", "drift_distance")
    return Threshold(metric=metric, op="<", value=limit)


def column_check(result: ColumnResult, alpha: float, limit: float) -> Check:
    threshold = _threshold(result, alpha, limit)
    what = "predictions" if result.column == PREDICTION else result.column
    title = f"Drift of {what} ({scope_label(result.scope)})"
    details = {
        "column": result.column,
        "scope": scope_label(result.scope),
        "kind": result.kind,
        "test": result.test,
        "n_values": result.n_values,
        "evidently_drift": result.evidently_drift(alpha, limit),
    }
    if result.approximate:
        details["approximate"] = result.approximate
    base = dict(id=check_id(result.column, result.scope), title=title, category=CATEGORY, threshold=threshold)
    if result.inconclusive:
        return Check(
            **base,
            outcome=threshold.judge(None),
            message=f"{what} ({scope_label(result.scope)}): not tested: {result.inconclusive}",
            metrics=_counts(result),
            evidence_kind=EVIDENCE_KIND,
            details=details,
        )
    metrics = [Metric(name=STATISTIC_NAMES[result.test], value=result.statistic)]
    if result.is_p_value:
        metrics += [Metric(name="p_value", value=result.p_value), Metric(name="p_value_holm", value=result.p_adjusted)]
        if result.p_value_evidently != result.p_value:
            metrics.append(Metric(name="p_value_evidently", value=result.p_value_evidently))
            details["evidently_statistic"] = result.extra.get("chi_square_evidently")
        outcome = threshold.judge(result.p_adjusted)
    else:
        metrics[0] = Metric(name=metrics[0].name, value=result.distance, lower=result.lower, upper=result.upper)
        outcome = threshold.judge(result.distance, result.lower, result.upper)
        if result.std is not None:
            details["reference_std"] = result.std
    metrics += [Metric(name="psi", value=result.psi)] + _counts(result)
    details["psi_band"] = next(label for bound, label in PSI_BANDS if result.psi < bound)
    return Check(
        **base,
        outcome=outcome,
        message=_message(result, what, outcome, threshold),
        metrics=metrics,
        evidence_kind=EVIDENCE_KIND,
        details=details,
    )


def _counts(result: ColumnResult) -> list[Metric]:
    return [
        Metric(name="n_reference", value=result.n_reference),
        Metric(name="n_current", value=result.n_current),
        Metric(name="missing_current", value=result.missing_current),
    ]


def _message(result: ColumnResult, what: str, outcome: Outcome, threshold: Threshold) -> str:
    verdict = {
        Outcome.PASS: "no drift",
        Outcome.FAIL: "drifted",
        Outcome.WARN: "undecided (binning bounds straddle the limit)",
    }
    if result.is_p_value:
        value = f"{result.test} p = {result.p_value:.3g}, Holm-adjusted {result.p_adjusted:.3g}"
    else:
        value = f"{threshold.metric} = {result.distance:.4g}"
        if result.lower is not None and result.upper - result.lower > 1e-12:
            value += f" [{result.lower:.4g}, {result.upper:.4g}]"
    return (
        f"{what} ({scope_label(result.scope)}): {value}, limit {threshold.op} {threshold.value}: "
        f"{verdict.get(outcome, outcome.value)}; PSI {result.psi:.3g}; "
        f"{result.n_reference} reference and {result.n_current} current values"
    )


def dataset_check(
    scope: Scope, results: list[ColumnResult], alpha: float, limit: float, drift_share: float, rows: int
) -> Check:
    """Dataset drift: the share of tested columns that drifted, against ``drift_share`` (Evidently: drift
    when at least half of the columns drift). Inconclusive columns are left out of the share."""
    tested = [r for r in results if not r.inconclusive]
    drifted = [r.column for r in tested if column_check(r, alpha, limit).outcome == Outcome.FAIL]
    evidently = [r.column for r in tested if r.evidently_drift(alpha, limit)]
    share = len(drifted) / len(tested) if tested else None
    threshold = Threshold(metric="drifted_share", op="<", value=drift_share)
    label = scope_label(scope)
    if tested:
        message = f"{len(drifted)} of {len(tested)} tested columns drifted ({label}): {', '.join(drifted) or 'none'}"
    else:
        message = f"no column could be tested ({label})" + ("" if rows else ": current data has no rows")
    return Check(
        id="drift.dataset" if scope == OVERALL else f"drift.dataset.{scope[0]}={scope[1]}",
        title=f"Dataset drift ({label})",
        category=CATEGORY,
        outcome=threshold.judge(share),
        message=message,
        metrics=[
            Metric(name="drifted_share", value=share, n=len(tested)),
            Metric(name="drifted_columns", value=len(drifted)),
            Metric(name="untested_columns", value=len(results) - len(tested)),
        ],
        threshold=threshold,
        evidence_kind=EVIDENCE_KIND,
        details={"drifted": drifted, "evidently_drifted": evidently, "scope": label},
    )
