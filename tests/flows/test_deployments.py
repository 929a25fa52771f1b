"""What `govgate serve` serves: every gate, schedules from policy (never from code)."""

from __future__ import annotations

from deployments.serve import gate_deployments
from govgate.policy import load_policy
from govgate.settings import DEFAULT_POLICY


def test_every_gate_is_a_deployment_with_a_parameter_form():
    deployments = {d.name: d for d in gate_deployments(load_policy(DEFAULT_POLICY))}
    assert {"evidence-selftest", "data-review", "model-review", "launch-evidence", "retention-purge"} <= set(deployments)
    for d in deployments.values():
        assert "govgate" in d.tags and d.description
    # the form the Prefect UI renders comes from the flow's typed signature and docstring
    from flows.retention_purge import retention_purge

    purge = retention_purge.parameters.model_dump()["properties"]
    assert purge["dry_run"]["default"] is True and "dry run" in purge["dry_run"]["description"]
    assert purge["batch_size"]["type"] == "integer"


def test_purge_schedule_comes_from_policy_and_deletes(tmp_path):
    text = DEFAULT_POLICY.read_text().replace('cron: "0 2 * * *"', 'cron: "30 3 * * *"').replace("timezone: UTC", "timezone: Asia/Ho_Chi_Minh")
    path = tmp_path / "policy.yaml"
    path.write_text(text)
    (purge,) = [d for d in gate_deployments(load_policy(path)) if d.name == "retention-purge"]
    (schedule,) = purge.schedules
    assert schedule.schedule.cron == "30 3 * * *" and schedule.schedule.timezone == "Asia/Ho_Chi_Minh"
    assert schedule.parameters == {"dry_run": False}
    # manual runs keep the flow's default: a dry run
    assert purge.parameters.get("dry_run", True) is True

    path.write_text(text.replace("    execute: true", "    execute: false"))
    (purge,) = [d for d in gate_deployments(load_policy(path)) if d.name == "retention-purge"]
    assert purge.schedules[0].parameters == {"dry_run": True}
