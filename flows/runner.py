"""Running a flow from the command line against a server that may stop right after."""

from __future__ import annotations

import asyncio
import inspect
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import Any


def run_flow(flow_fn: Callable[..., Any], **parameters: Any) -> Any:
    """Call the flow, then deliver its queued logs and events before the caller stops the server.

    A gate whose decision fails its run (policy ``fail_run_on``) ends in a Failed state that still carries
    the gate's result: that result is returned; a run that raised re-raises its error. With
    ``return_state=True`` the state itself is returned."""
    try:
        if parameters.get("return_state"):
            return flow_fn(**parameters)
        return gate_result(flow_fn(return_state=True, **parameters))
    finally:
        drain()


def gate_result(state) -> Any:
    """The value a gate flow run returned, also from a Failed state; the run's exception when it raised."""
    result = state.result(raise_on_failure=False)
    if inspect.iscoroutine(
        result
    ):  # under a running event loop (e.g. Playwright's sync API) Prefect hands back a coroutine
        with ThreadPoolExecutor(1) as pool:
            result = pool.submit(asyncio.run, result).result()
    if isinstance(result, BaseException):
        raise result
    return result


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
