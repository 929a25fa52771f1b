"""evidence-selftest: records the health of the store, MLflow, the policy and the control index as an
evidence record, through the same publishing path every gate uses."""

from __future__ import annotations

from prefect import flow

from govgate import __version__
from govgate.errors import GovgateError
from govgate.gate import build_record, unloaded_policy_ref
from govgate.record import AssetKind, Subject, decide, new_record_id, utcnow
from tasks import context
from tasks.evidence import publish_evidence
from tasks.health import check_controls, check_mlflow, check_policy, check_store

GATE = "selftest"


@flow(name="evidence-selftest", log_prints=True)
def evidence_selftest(tier: str | None = None) -> dict:
    """Check that govgate can write evidence: policy, object store, MLflow and controls.

    Args:
        tier: policy risk tier to record (default: the policy's default tier).
    """
    started = utcnow()
    settings = context.settings()
    store = context.store(settings)
    subject = Subject(
        kind=AssetKind.SYSTEM,
        id="govgate",
        version=__version__,
        uris=[store.url, settings.effective_mlflow_tracking_uri],
    )
    policy, checks = check_policy(str(settings.policy), tier)
    checks += check_store(store, f"selftest/{new_record_id(started)}/")
    checks += check_mlflow(context.tracker(settings))
    checks += check_controls()
    decision = decide(checks, inconclusive_blocks=True)
    record = build_record(
        gate=GATE,
        subject=subject,
        policy=policy if policy is not None else unloaded_policy_ref(settings.policy, tier),
        tier=tier,
        started_at=started,
        checks=checks,
        decision=decision,
        parameters={"tier": tier},
        runtime=context.run_ids(),
    )
    if any(c.id in ("store.reachable", "mlflow.reachable") and c.outcome.value == "error" for c in checks):
        # Without a store or MLflow there is nowhere to publish: fail the run with the causes.
        raise GovgateError("selftest cannot publish evidence: " + "; ".join(decision.reasons))
    result = publish_evidence(record)
    if decision.outcome.value in ("error", "fail"):
        raise GovgateError(
            f"selftest {decision.outcome.value}: " + "; ".join(decision.reasons) + f" (record {result['record_uri']})"
        )
    print(f"selftest {result['decision']}: {result['report_uri']}")
    return result
