"""Running a flow from the command line against a server that may stop right after."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any


def run_flow(flow_fn: Callable[..., Any], **parameters: Any) -> Any:
    """Call the flow, then deliver its queued logs and events before the caller stops the server."""
    try:
        return flow_fn(**parameters)
    finally:
        drain()


def drain(timeout: float = 10.0) -> None:
    from prefect.events.worker import EventsWorker
    from prefect.logging.handlers import APILogWorker

    APILogWorker.drain_all(timeout=timeout)
    EventsWorker.drain_all(timeout=timeout)


def with_task_runner(flow_obj, dask_address: str | None):
    """The flow on a Dask cluster when an address is configured, else on Prefect's thread pool."""
    if not dask_address:
        return flow_obj
    from prefect_dask import DaskTaskRunner

    return flow_obj.with_options(task_runner=DaskTaskRunner(address=dask_address))
