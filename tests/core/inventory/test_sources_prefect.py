"""Prefect deployments as pipelines: read from a real Prefect server in pages (schedules, tags, the last run
that started), turned into pipeline assets by the core from plain dicts."""

from __future__ import annotations

from uuid import uuid4

from prefect.client.orchestration import get_client
from prefect.client.schemas.actions import DeploymentScheduleCreate
from prefect.client.schemas.schedules import CronSchedule
from prefect.states import Completed

from govgate.inventory.sources.prefect_deployments import pipeline_assets
from tasks.inventory_sources import prefect_deployments, read_deployments


def test_deployments_with_schedules_tags_and_last_run_become_pipelines(prefect_harness):
    flow_name = f"score-loans-{uuid4().hex[:6]}"
    with get_client(sync_client=True) as client:
        flow_id = client.create_flow_from_name(flow_name)
        nightly = client.create_deployment(
            flow_id,
            "nightly",
            tags=["owner:ops@example.com", "govgate"],
            description="scores the day's applications",
            parameters={"model_uri": "models:/credit-risk/3"},
            schedules=[DeploymentScheduleCreate(schedule=CronSchedule(cron="0 2 * * *", timezone="UTC"), active=True)],
        )
        client.create_deployment(flow_id, "manual", paused=True)
        done = client.create_flow_run_from_deployment(nightly)
        client.set_flow_run_state(done.id, Completed(), force=True)
        client.create_flow_run_from_deployment(nightly)  # scheduled, not started: not the last run
        found, calls = read_deployments(client, page=1)  # one deployment per page: pages are followed
    mine = {d["name"]: d for d in found if d["flow_name"] == flow_name}
    assert sorted(mine) == ["manual", "nightly"]
    n = len(found)
    assert calls == n + 1 + n + n  # pages (+ the empty last one), a flow-name read per page, a last run each
    assert mine["nightly"]["schedules"] == [{"schedule": "cron 0 2 * * * (UTC)", "active": True}]
    assert mine["nightly"]["last_run"]["id"] == str(done.id) and mine["nightly"]["last_run"]["state"] == "Completed"
    assert mine["manual"]["last_run"] is None and mine["manual"]["paused"] is True
    nightly_asset, manual_asset = pipeline_assets([mine["nightly"], mine["manual"]])[::-1]
    assert (nightly_asset.id, nightly_asset.owner, nightly_asset.status) == (
        f"pipeline:{flow_name}/nightly",
        "ops@example.com",
        "deployed",
    )
    assert [(lk.relation, lk.to_id) for lk in nightly_asset.lineage] == [("depends_on", "model:credit-risk/3")]
    assert (manual_asset.status, manual_asset.attributes["scheduled"]) == ("development", False)
    assert {d["name"] for d in prefect_deployments.fn()["deployments"]} >= {"nightly", "manual"}
