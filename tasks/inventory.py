"""Tasks of the inventory-sync gate: build the assets (govgate.inventory.assemble), read the evidence index,
sync (gaps, diff, snapshot), the gate's checks, and the Prefect artifacts (assets, gaps, the page)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from prefect.artifacts import create_link_artifact, create_table_artifact
from prefect.cache_policies import NO_CACHE

from govgate.evidence_index import EvidenceIndex, scan_records
from govgate.inventory.model import Asset
from govgate.inventory.page import gate_chips
from govgate.inventory.sync import SyncResult, sync_inventory
from govgate.policy import Policy
from govgate.record import AssetKind, Subject
from govgate.summary import browsable
from tasks import context
from tasks.evidence import artifact_key
from tasks.govgate_task import govgate_task as task

GATE = "inventory-sync"
ARTIFACT_ROWS = 1000  # rows per Prefect table artifact; the snapshot's CSV and page hold every row
PAGE_FILE = "inventory.html"  # the page's copy in the gate record's folder (served by the evidence server)


def inventory_subject(store_url: str) -> Subject:
    return Subject(kind=AssetKind.SYSTEM, id="ai-inventory", uris=[store_url])


@task(name="build-inventory", cache_policy=NO_CACHE)
def build_assets(
    deployments: list[dict], yaml_dir: str | None, policy: Policy, now: datetime
) -> tuple[list[Asset], dict[str, Any]]:
    """Every asset from MLflow, the store, Prefect deployments and the inventory/ YAML folder."""
    from govgate.inventory.assemble import build_inventory

    s = context.settings()
    return build_inventory(
        mlflow_client=context.tracker(s).client,
        store=context.store(s),
        deployments=deployments,
        yaml_dir=yaml_dir,
        policy=policy,
        now=now,
    )


@task(name="scan-evidence", cache_policy=NO_CACHE)
def scan_evidence(now: datetime) -> EvidenceIndex:
    """Every gate record started before ``now`` (as build_inventory reads them), each checked against its
    manifest (one paged listing)."""
    return scan_records(context.store(), until=now)


@task(name="sync-inventory", cache_policy=NO_CACHE)
def sync_snapshot(
    assets: list[Asset], stats: dict, index: EvidenceIndex, policy: Policy, sync_id: str, now: datetime
) -> SyncResult:
    """Gaps, the diff with the last snapshot, and this sync's write-once snapshot."""
    s = context.settings()
    return sync_inventory(context.store(s), assets, index, policy, sync_id=sync_id, now=now, stats=stats, settings=s)


def asset_rows(result: SyncResult) -> list[dict[str, str]]:
    gaps: dict[str, list] = {}
    for g in result.gaps:
        gaps.setdefault(g.asset_id, []).append(g.to_dict())
    rows = []
    for a in result.assets[:ARTIFACT_ROWS]:
        d = a.to_dict()
        mine = gaps.get(a.id, [])
        rows.append(
            {
                "asset": a.id,
                "kind": a.kind,
                "owner": a.owner or "(none)",
                "tier": f"{a.tier or '(none)'}: {a.tier_reason or ''}".strip(": "),
                "status": a.status,
                "gates": "; ".join(f"{c['gate']} {c['text']}" for c in gate_chips(_plain(d), mine)) or "(none)",
                "gaps": ", ".join(g["rule"] for g in mine) or "none",
            }
        )
    return rows


def _plain(asset: dict) -> dict:
    """Gate times as the page's JSON form has them (ISO strings)."""
    from govgate.inventory.snapshot import jsonable

    return jsonable(asset)


def gap_rows(result: SyncResult) -> list[dict[str, str]]:
    return [
        {"severity": g.severity, "rule": g.rule, "asset": g.asset_id, "what": g.message, "fix": g.fix}
        for g in result.gaps[:ARTIFACT_ROWS]
    ]


@task(name="inventory-artifacts", cache_policy=NO_CACHE)
def publish_inventory_artifacts(result: SyncResult, published: dict) -> None:
    """The assets table, the gaps table and a link to the page (the record's copy when it is served)."""
    s = context.settings()
    more = lambda n: f" (first {ARTIFACT_ROWS} of {n}; all in the snapshot)" if n > ARTIFACT_ROWS else ""  # noqa: E731
    create_table_artifact(
        key=artifact_key(GATE, "assets"),
        table=asset_rows(result),
        description=f"{len(result.assets)} assets of sync {result.sync_id}{more(len(result.assets))}",
    )
    create_table_artifact(
        key=artifact_key(GATE, "gaps"),
        table=gap_rows(result) or [{"severity": "", "rule": "no gaps", "asset": "", "what": "", "fix": ""}],
        description=f"{len(result.gaps)} gaps of sync {result.sync_id}{more(len(result.gaps))}",
    )
    record_page = published["record_uri"].rsplit("/", 1)[0] + "/" + PAGE_FILE
    served = browsable(record_page, s.effective_store_url, s.evidence_http_url)
    create_link_artifact(
        key=artifact_key(GATE, "page"),
        link=served or record_page,
        link_text=f"Inventory page of sync {result.sync_id}",
        description=f"snapshot: {result.written['uri']}",
    )
