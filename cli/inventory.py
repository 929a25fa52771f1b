"""``govgate inventory``: sync the AI asset inventory now, list and show assets of any snapshot, export it.

``sync`` runs the inventory-sync gate (exit 0 when it passes, 3 when it does not, 1 when it could not run);
``list``, ``show`` and ``export`` read a snapshot from the store (the newest, or ``--at`` a sync id or a
date) without starting Prefect. Errors are one line.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any, Optional

import typer

from govgate.errors import GovgateError
from govgate.settings import load_settings

inventory_app = typer.Typer(
    help="The AI asset inventory: models, datasets, pipelines, third-party AI tools, their tiers and gaps.",
    no_args_is_help=True,
)
AT_HELP = "a past snapshot: its sync id (20261207T230000Z-1a2b3c4d) or a date (2026-12-07: that day's last)"


def _fail(message: str) -> None:
    typer.secho(f"error: {message}", fg=typer.colors.RED, err=True)
    raise typer.Exit(1)


def _snapshot(at: str | None) -> tuple[Any, dict]:
    from govgate.inventory.snapshot import read_snapshot
    from govgate.store import open_store

    try:
        store = open_store(load_settings())
        doc = read_snapshot(store, at)
    except GovgateError as exc:
        _fail(str(exc))
    if doc is None:
        _fail("no inventory snapshot " + (f"on or before {at}" if at else "yet") + ": run `govgate inventory sync`")
    return store, doc


@inventory_app.command("sync")
def sync(
    yaml_dir: Optional[str] = typer.Option(None, "--yaml-dir", help="inventory YAML folder (default: the setting)"),
) -> None:
    """Build the inventory from every system now, find its gaps and write a snapshot."""
    from cli import console

    try:
        settings = load_settings()
        from govgate.runtime import prefect_server

        with prefect_server(settings, echo=typer.echo):
            from flows.inventory_sync import inventory_sync
            from flows.runner import run_flow

            console.route_logs(settings.home_dir)
            result = run_flow(inventory_sync, yaml_dir=yaml_dir)
    except GovgateError as exc:
        _fail(str(exc))
    typer.echo(f"inventory sync {result['sync_id']}: {result['assets']} assets, {result['gaps']} gaps")
    for rule, n in result["gaps_by_rule"].items():
        if n:
            typer.echo(f"  {rule}: {n}")
    typer.echo(f"decision: {result['decision']}  record {result['record_uri']}")
    typer.echo(f"snapshot: {result['snapshot_uri']}")
    if result["decision"] != "pass":
        raise typer.Exit(3)


def _gap_map(doc: dict) -> dict[str, list[dict]]:
    out: dict[str, list[dict]] = {}
    for g in doc["gaps"]:
        out.setdefault(g["asset_id"], []).append(g)
    return out


@inventory_app.command("list")
def list_assets(
    kind: Optional[str] = typer.Option(None, help="only this kind (model_version, dataset, third_party_tool, ...)"),
    tier: Optional[str] = typer.Option(None, help="only this risk tier ('none' for assets without one)"),
    status: Optional[str] = typer.Option(None, help="only this status (deployed, development, ...)"),
    gaps: bool = typer.Option(False, "--gaps", help="only assets with gaps"),
    at: Optional[str] = typer.Option(None, "--at", help=AT_HELP),
    as_json: bool = typer.Option(False, "--json", help="print the matching assets as JSON"),
) -> None:
    """The assets of a snapshot, with their tier, status, owner and gaps."""
    _, doc = _snapshot(at)
    gap_map = _gap_map(doc)
    chosen = [
        a
        for a in doc["assets"]
        if (kind is None or a["kind"] == kind)
        and (tier is None or (a.get("tier") or "none") == tier)
        and (status is None or a["status"] == status)
        and (not gaps or a["id"] in gap_map)
    ]
    if as_json:
        typer.echo(json.dumps(chosen, indent=1))
        return
    typer.echo(f"snapshot {doc['sync_id']} ({doc['synced_at']}): {len(chosen)} of {len(doc['assets'])} assets")
    for a in chosen:
        rules = ",".join(sorted({g["rule"] for g in gap_map.get(a["id"], [])})) or "-"
        typer.echo(
            f"{a['id']}  {a['kind']}  tier={a.get('tier') or 'none'}  {a['status']}  "
            f"owner={a.get('owner') or 'none'}  gaps={rules}"
        )


@inventory_app.command("show")
def show(
    asset_id: str = typer.Argument(..., help="the asset id, e.g. model:credit/3 or dataset:loans"),
    at: Optional[str] = typer.Option(None, "--at", help=AT_HELP),
) -> None:
    """One asset: tier and why, status, each gate's last record, lineage and gaps."""
    _, doc = _snapshot(at)
    asset = next((a for a in doc["assets"] if a["id"] == asset_id), None)
    gone = next((d for d in doc["disappeared"] if d["id"] == asset_id), None)
    if asset is None and gone is None:
        _fail(f"no asset {asset_id!r} in snapshot {doc['sync_id']}: `govgate inventory list` shows the ids")
    if asset is None:
        typer.echo(f"{asset_id}: DISAPPEARED (last seen {gone['last_seen']} by {', '.join(gone['sources'])})")
        return
    typer.echo(f"{asset['id']}  ({asset['kind']}) {asset['name']}   snapshot {doc['sync_id']}")
    typer.echo(f"  owner: {asset.get('owner') or 'NONE'}   purpose: {asset.get('purpose') or '-'}")
    typer.echo(f"  tier: {asset.get('tier') or 'NONE'}   why: {asset.get('tier_reason') or '-'}")
    typer.echo(f"  status: {asset['status']}   sources: {', '.join(asset['sources'])}")
    for gate, s in sorted(asset["gates"].items()):
        verified = "" if s.get("verified", True) else "  NOT VERIFIED"
        typer.echo(f"  gate {gate}: {s['decision']} {s['age_days']:.0f} days ago  {s['record_uri']}{verified}")
    for link in asset["lineage"]:
        typer.echo(f"  lineage: {link['from_id']} -{link['relation']}-> {link['to_id']}")
    for g in _gap_map(doc).get(asset_id, []):
        typer.secho(f"  GAP {g['severity']} {g['rule']}: {g['message']}", fg=typer.colors.RED)
        typer.echo(f"    fix: {g['fix']}")


@inventory_app.command("export")
def export(
    fmt: str = typer.Option("json", "--format", help="json | csv | cyclonedx"),
    out: Optional[Path] = typer.Option(None, "--out", help="file (json, csv) or folder (cyclonedx); default stdout"),
    at: Optional[str] = typer.Option(None, "--at", help=AT_HELP),
) -> None:
    """A snapshot as written: inventory.json, inventory.csv, or every model's CycloneDX ML-BOM."""
    from govgate.inventory.snapshot import CYCLONEDX_DIR, INVENTORY_CSV, INVENTORY_JSON, snapshot_prefix

    if fmt not in ("json", "csv", "cyclonedx"):
        _fail(f"--format {fmt!r}: expected json, csv or cyclonedx")
    store, doc = _snapshot(at)
    prefix = snapshot_prefix(doc["sync_id"])
    if fmt == "cyclonedx":
        folder = out or Path(f"cyclonedx-{doc['sync_id']}")
        folder.mkdir(parents=True, exist_ok=True)
        names = [n for n in sorted(doc["files"]) if n.startswith(CYCLONEDX_DIR)]
        for name in names:
            (folder / name[len(CYCLONEDX_DIR) :]).write_bytes(store.get_bytes(prefix + name))
        typer.echo(f"{len(names)} CycloneDX BOM(s) of snapshot {doc['sync_id']} written to {folder}")
        return
    body = store.get_bytes(prefix + (INVENTORY_JSON if fmt == "json" else INVENTORY_CSV))
    if out is None:
        typer.echo(body.decode("utf-8"), nl=False)
    else:
        out.write_bytes(body)
        typer.echo(f"{fmt} of snapshot {doc['sync_id']} written to {out}", err=True)
