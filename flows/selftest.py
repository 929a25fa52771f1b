"""evidence-selftest: records the health of the store, MLflow, the policy and the control index as an
evidence record, through the same publishing path every gate uses."""

from __future__ import annotations

from prefect import flow

from govgate.errors import GovgateError
from govgate.protocol import SELFTEST
from tasks import context
from tasks.gate_run import GateRun
from tasks.health import (
    check_controls,
    check_mlflow,
    check_policy,
    check_retention_records,
    check_store,
    nowhere_to_publish,
    selftest_subject,
)

GATE = SELFTEST


@flow(name="evidence-selftest", log_prints=True)
def evidence_selftest(tier: str | None = None) -> dict:
    """Check that govgate can write evidence: policy, object store, MLflow and controls.

    Args:
        tier: policy risk tier to record (default: the policy's default tier).
    """
    settings = context.settings()
    store = context.store(settings)
    # error_record=False: a selftest that cannot publish has nowhere to put an error record either
    with GateRun(GATE, selftest_subject(store, settings), {"tier": tier}, tier=tier, error_record=False) as run:
        run.policy, checks = check_policy(str(settings.policy), tier)
        checks += check_store(store, f"selftest/{run.record_id}/")
        checks += check_retention_records(store)
        checks += check_mlflow(context.tracker(settings))
        checks += check_controls()
        decision = run.decide(checks, inconclusive_blocks=True)
        if nowhere_to_publish(checks):
            raise GovgateError("selftest cannot publish evidence: " + "; ".join(decision.reasons))
        result = run.finish(checks, decision=decision)
    if decision.outcome.value in ("error", "fail"):
        raise GovgateError(
            f"selftest {decision.outcome.value}: " + "; ".join(decision.reasons) + f" (record {result['record_uri']})"
        )
    print(f"selftest {result['decision']}: {result['report_uri']}")
    return run.final_state(result)
