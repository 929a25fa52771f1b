"""inventory-sync: every AI asset the systems and the inventory/ YAML know, checked against the evidence.

Builds the inventory (MLflow registry and training runs, the evidence store, Prefect deployments, the YAML
folder), finds its gaps, compares it with the last snapshot (what disappeared is reported), writes this
sync's snapshot once (JSON, CSV, page, CycloneDX ML-BOMs) and publishes a gate record with one check per
gap rule. Scheduled from policy (schedules.inventory_sync) and run by hand (govgate inventory sync).
"""

from __future__ import annotations

from pathlib import Path

from prefect import flow

from govgate.inventory.sync import gap_checks, gap_findings
from govgate.protocol import INVENTORY_SYNC, OUTPUT_INVENTORY
from tasks import context
from tasks.gate_run import GateRun
from tasks.inventory import (
    PAGE_FILE,
    build_assets,
    inventory_subject,
    publish_inventory_artifacts,
    scan_evidence,
    sync_snapshot,
)
from tasks.inventory_sources import prefect_deployments

GATE = INVENTORY_SYNC


@flow(name="inventory-sync", log_prints=True)
def inventory_sync(yaml_dir: str | None = None) -> dict:
    """Sync the AI asset inventory and record its gaps.

    Args:
        yaml_dir: folder of inventory YAML files (default: the GOVGATE_INVENTORY_DIR setting; none = no YAML).
    """
    settings = context.settings()
    folder = yaml_dir or (str(settings.inventory_dir) if settings.inventory_dir else None)
    with GateRun(GATE, inventory_subject(settings.effective_store_url), {"yaml_dir": folder}) as run:
        policy = run.load_policy()
        run.use_tier(policy.default_tier)
        read = prefect_deployments()
        assets, stats = build_assets(read["deployments"], Path(folder) if folder else None, policy, run.started_at)
        stats["prefect_calls"] = read["calls"]
        synced = sync_snapshot(assets, stats, scan_evidence(run.started_at), policy, run.record_id, run.started_at)
        result = run.finish(
            gap_checks(synced.gaps, policy),
            findings=gap_findings(synced.gaps),
            outputs={OUTPUT_INVENTORY: synced.output()},
            extra_files={PAGE_FILE: synced.html.encode("utf-8")},
        )
    publish_inventory_artifacts(synced, result)
    counts = synced.counts()
    print(f"inventory sync {synced.sync_id}: {counts['assets']} assets, {counts['gaps']} gaps: {result['decision']}")
    return run.final_state({**result, "sync_id": synced.sync_id, "snapshot_uri": synced.written["uri"], **counts})
