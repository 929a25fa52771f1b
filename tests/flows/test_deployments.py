"""What `govgate serve` serves: every gate, schedules from policy (never from code)."""

from __future__ import annotations

from deployments.serve import gate_deployments
from govgate.policy import load_policy
from govgate.settings import DEFAULT_POLICY


def test_every_gate_is_a_deployment_with_a_parameter_form():
    deployments = {d.name: d for d in gate_deployments(load_policy(DEFAULT_POLICY))}
    assert {
        "evidence-selftest",
        "data-review",
        "model-review",
        "launch-evidence",
        "retention-purge",
        "model-review-poll",
    } <= set(deployments)
    for d in deployments.values():
        assert "govgate" in d.tags and d.description
    # the form the Prefect UI renders comes from the flow's typed signature and docstring
    from flows.retention_purge import retention_purge

    purge = retention_purge.parameters.model_dump()["properties"]
    assert purge["dry_run"]["default"] is True and "dry run" in purge["dry_run"]["description"]
    assert purge["batch_size"]["type"] == "integer"


def test_purge_schedule_comes_from_policy_and_deletes(tmp_path):
    text = (
        DEFAULT_POLICY.read_text()
        .replace('cron: "0 2 * * *"', 'cron: "30 3 * * *"')
        .replace("timezone: UTC", "timezone: Asia/Ho_Chi_Minh")
    )
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


def test_prefect_yaml_matches_the_flows_and_served_deployments():
    """prefect.yaml (work pool + worker) deploys exactly what `govgate serve` serves, with the policy's schedule."""
    import importlib

    import yaml
    from prefect import Flow
    from prefect.cli.deploy._models import PrefectYamlModel
    from prefect.events.schemas.deployment_triggers import DeploymentEventTrigger

    from govgate.settings import REPO_ROOT

    raw = yaml.safe_load((REPO_ROOT / "prefect.yaml").read_text())
    project = PrefectYamlModel.model_validate(raw)  # the model `prefect deploy` reads the file with
    (clone, *install) = raw["pull"]
    assert (
        "prefect.deployments.steps.git_clone" in clone
        and "{{" in clone["prefect.deployments.steps.git_clone"]["repository"]
    )
    assert install, "the pull steps must install govgate after cloning it"

    served = {d.name: d for d in gate_deployments(load_policy(DEFAULT_POLICY))}
    deployed = {d.name: d for d in project.deployments}
    assert set(deployed) == set(served)
    for name, d in deployed.items():
        path, func = d.entrypoint.split(":")
        assert (REPO_ROOT / path).is_file(), f"{name}: entrypoint file {path} does not exist"
        flow_obj = getattr(importlib.import_module(path.removesuffix(".py").replace("/", ".")), func)
        assert isinstance(flow_obj, Flow), f"{name}: {d.entrypoint} is not a Prefect flow"
        assert flow_obj.name == served[name].flow_name == name
        assert d.work_pool.name == "govgate" and "govgate" in d.tags
        assert set(d.tags) == set(served[name].tags), name

        # schedules are the policy's (the served ones are built from it), e.g. the purge deletes on schedule
        mine = [(s.cron, s.timezone, s.active, s.parameters) for s in d.schedules or []]
        theirs = [
            (s.schedule.cron, s.schedule.timezone, s.active, s.parameters or {}) for s in served[name].schedules or []
        ]
        assert mine == theirs, f"{name}: prefect.yaml schedules {mine} differ from the policy's {theirs}"
    assert deployed["retention-purge"].schedules[0].parameters == {"dry_run": False}

    # a registration event triggers the model review with the version it names, as under `govgate serve`
    (trigger,) = [DeploymentEventTrigger(**t) for t in deployed["model-review"].triggers]
    assert trigger.expect == {"mlflow.model_version.created"}
    assert trigger.parameters == {
        "model_name": "{{ event.payload.name }}",
        "model_version": "{{ event.payload.version }}",
    }
    (served_trigger,) = served["model-review"].triggers
    assert (trigger.name, trigger.match, trigger.expect) == (
        served_trigger.name,
        served_trigger.match,
        served_trigger.expect,
    )
    from flows.model_review import model_review

    assert {"model_name", "model_version"} <= set(model_review.parameters.properties)


def test_model_review_fires_on_registration_events_and_the_poll_is_scheduled_from_policy(tmp_path):
    deployments = {d.name: d for d in gate_deployments(load_policy(DEFAULT_POLICY))}
    (trigger,) = deployments["model-review"].triggers
    assert trigger.expect == {"mlflow.model_version.created"}
    assert trigger.parameters == {
        "model_name": "{{ event.payload.name }}",
        "model_version": "{{ event.payload.version }}",
    }
    # the templated parameters are strings in the flow's signature: they always validate
    from flows.model_review import model_review

    props = model_review.parameters.model_dump()["properties"]
    assert {"string", "null"} <= {t["type"] for t in props["model_version"]["anyOf"]}
    (poll,) = deployments["model-review-poll"].schedules
    assert poll.schedule.cron == "*/15 * * * *"

    path = tmp_path / "policy.yaml"
    path.write_text(DEFAULT_POLICY.read_text().replace('cron: "*/15 * * * *"', 'cron: "0 * * * *"'))
    (poll,) = [d for d in gate_deployments(load_policy(path)) if d.name == "model-review-poll"][0].schedules
    assert poll.schedule.cron == "0 * * * *"


def test_reassessment_is_scheduled_per_tier_from_policy(tmp_path):
    """One schedule per risk tier, each passing its tier; the crons are the policy's."""
    text = DEFAULT_POLICY.read_text().replace('cron: "0 6 * * 1"                 # weekly', 'cron: "0 5 * * 2"')
    path = tmp_path / "policy.yaml"
    path.write_text(text)
    (reassess,) = [d for d in gate_deployments(load_policy(path)) if d.name == "reassessment"]
    got = {s.parameters["tier"]: s.schedule.cron for s in reassess.schedules}
    assert got == {"low": "0 6 1 */3 *", "medium": "0 6 1 * *", "high": "0 5 * * 2"}
    from flows.reassessment import reassessment

    form = reassessment.parameters.model_dump()["properties"]
    assert {"model_name", "tier", "alias", "data", "as_of"} <= set(form)
