"""What every task needs from its surroundings: settings, the store, the tracker, run ids."""

from __future__ import annotations

from govgate.settings import Settings, load_settings
from govgate.store import ObjectStore, open_store
from govgate.tracking import Tracker


def settings() -> Settings:
    return load_settings()


def store(s: Settings | None = None) -> ObjectStore:
    return open_store(s or settings())


def tracker(s: Settings | None = None) -> Tracker:
    return Tracker.from_settings(s or settings())


def run_ids() -> dict[str, str | None]:
    """Prefect flow-run id and flow name of the current run (None outside a run)."""
    from prefect import runtime

    run_id = runtime.flow_run.id
    return {
        "prefect_flow_run_id": str(run_id) if run_id else None,
        "prefect_flow_name": runtime.flow_run.flow_name or None,
    }
