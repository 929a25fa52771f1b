"""Prefect deployments for the inventory: read with the Prefect client in pages, handed to the core
(govgate/inventory/sources/prefect_deployments.py) as plain dicts.

Calls: ceil(deployments/page) for the deployments, one per page for their flows' names, and one per
deployment for its last finished run (Prefect has no "latest run of each deployment" query; deployments are
tens, not thousands, so this stays small and is counted).
"""

from __future__ import annotations

from typing import Any

from tasks.govgate_task import govgate_task as task

PAGE = 200  # Prefect's default API page limit
_NOT_RUN = ("SCHEDULED", "PENDING")  # states of a run that has not started: not a "last run"


def schedule_text(schedule: Any) -> str:
    """A deployment schedule as one line: its cron, interval (seconds) or RRule."""
    for attr in ("cron", "rrule"):
        value = getattr(schedule, attr, None)
        if value:
            return f"{attr} {value}" + (f" ({schedule.timezone})" if getattr(schedule, "timezone", None) else "")
    interval = getattr(schedule, "interval", None)
    if interval is not None:
        return f"every {int(interval.total_seconds())} s"
    return str(schedule)


def deployment_dict(deployment: Any, flow_name: str, last_run: Any | None) -> dict[str, Any]:
    return {
        "id": str(deployment.id),
        "name": deployment.name,
        "flow_name": flow_name,
        "tags": list(deployment.tags or []),
        "description": deployment.description or None,
        "paused": bool(getattr(deployment, "paused", False)),
        "parameters": dict(deployment.parameters or {}),
        "schedules": [
            {"schedule": schedule_text(s.schedule), "active": bool(s.active)} for s in deployment.schedules or []
        ],
        "last_run": None
        if last_run is None
        else {
            "id": str(last_run.id),
            "state": last_run.state.name if last_run.state else None,
            "time": (last_run.end_time or last_run.start_time or last_run.expected_start_time).isoformat()
            if (last_run.end_time or last_run.start_time or last_run.expected_start_time)
            else None,
        },
    }


def read_deployments(client: Any, page: int = PAGE) -> tuple[list[dict[str, Any]], int]:
    """(every deployment as a dict, API calls made) through a synchronous Prefect client."""
    from prefect.client.schemas.filters import (
        DeploymentFilter,
        DeploymentFilterId,
        FlowFilter,
        FlowFilterId,
        FlowRunFilter,
        FlowRunFilterState,
        FlowRunFilterStateType,
    )
    from prefect.client.schemas.objects import StateType
    from prefect.client.schemas.sorting import FlowRunSort

    found, calls, offset = [], 0, 0
    started = FlowRunFilter(
        state=FlowRunFilterState(
            type=FlowRunFilterStateType(not_any_=[StateType[s] for s in _NOT_RUN]),
        )
    )
    while True:
        deployments = client.read_deployments(limit=page, offset=offset)
        calls += 1
        flow_ids = sorted({d.flow_id for d in deployments}, key=str)
        names = {}
        if flow_ids:
            names = {f.id: f.name for f in client.read_flows(flow_filter=FlowFilter(id=FlowFilterId(any_=flow_ids)))}
            calls += 1
        for d in deployments:
            last = client.read_flow_runs(
                deployment_filter=DeploymentFilter(id=DeploymentFilterId(any_=[d.id])),
                flow_run_filter=started,
                sort=FlowRunSort.START_TIME_DESC,
                limit=1,
            )
            calls += 1
            found.append(deployment_dict(d, names.get(d.flow_id, "flow"), last[0] if last else None))
        if len(deployments) < page:
            return found, calls
        offset += page


@task(name="read-prefect-deployments", retries=1, retry_delay_seconds=5)
def prefect_deployments() -> dict[str, Any]:
    """Every Prefect deployment (pipelines for the inventory) with its schedules, tags and last run;
    ``{"deployments": [...], "calls": n}``."""
    from prefect.client.orchestration import get_client

    with get_client(sync_client=True) as client:
        deployments, calls = read_deployments(client)
    return {"deployments": deployments, "calls": calls}
