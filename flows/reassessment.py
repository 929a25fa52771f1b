"""reassessment: has a deployed model version drifted or regressed against the evidence it was approved on?

For every version an MLflow alias marks as deployed (or one model, or one tier): its last passing
model-review record (digest checked), fresh production data of the window, performance and fairness
against the baseline where outcomes have matured, drift, overdue and unapproved versions; a regression or
a hard drift failure opens an incident. One gate record per version; overdue legal clocks are escalated.
"""

from __future__ import annotations

from datetime import UTC, date, datetime

from prefect import flow

from govgate.errors import GovgateError
from govgate.protocol import REASSESSMENT
from tasks.gate_run import GateRun
from tasks.incidents import escalate_overdue_task
from tasks.reassessment import (
    assess_status,
    assess_version,
    batch_state,
    find_targets,
    metrics_table,
    open_incidents,
    record_uri,
    subject,
    trend_files,
)

GATE = REASSESSMENT


@flow(name="reassessment", log_prints=True)
def reassessment(
    model_name: str | None = None,
    tier: str | None = None,
    alias: str | None = None,
    data: str | None = None,
    as_of: date | None = None,
) -> list[dict]:
    """Reassess deployed model versions and record one gate result per version. The run ends Failed when
    any version's decision is in its tier's ``fail_run_on`` (the result list is the state's data:
    ``flows.runner.run_flow`` returns it).

    Args:
        model_name: one registered model (default: every model with the alias).
        tier: only versions of this risk tier (the schedules pass their tier).
        alias: the MLflow alias that marks deployed versions (default: the policy's, `production`).
        data: fresh data location (default: the version's govgate.reassessment.data tag, else the policy).
        as_of: the last day of the data window (default: today, UTC).
    """
    as_of = as_of or datetime.now(UTC).date()
    escalated = escalate_overdue_task()
    results, fails_run, failed = [], [], []
    for target in find_targets(model_name, tier, alias):
        try:  # one version that cannot be reassessed (its error record is published) stops no other
            result, state = reassess_version(target, data, as_of, {"model_name": model_name, "tier": tier}, escalated)
            results.append(result)
            fails_run.append(state.is_failed())
        except GovgateError as exc:
            failed.append(f"{target.label}: {exc}")
    if failed:
        raise GovgateError(f"{len(failed)} version(s) could not be reassessed: " + "; ".join(failed))
    return batch_state(results, fails_run, tier)


def reassess_version(target, data, as_of, asked: dict, escalated: list):
    """One deployed version: status, fresh data, regression and drift, incidents, one published record."""
    version = (target.model, target.version) if target.version else None
    params = {**asked, "alias": target.alias, "data": data, "as_of": str(as_of)}
    with GateRun(GATE, subject(target), params, tier=target.tier, model_version=version) as run:
        rules = run.load_policy().tier(run.use_tier(target.tier))
        a = assess_status(target, rules, run.started_at)
        assess_version(a, rules, data, as_of)
        run.subject = subject(target, a.fresh)
        open_incidents(a, record_uri(run))
        a.outputs["escalated_clocks"] = escalated
        result = run.finish(a.checks, findings=a.findings, outputs=a.outputs, extra_files=trend_files(a))
    metrics_table(a, result)
    print(f"reassessment of {target.label}: {result['decision']} ({result['report_uri']})")
    result = {**result, "model": target.model, "version": target.version, "incidents": a.outputs.get("incidents", [])}
    return result, run.final_state(result)
