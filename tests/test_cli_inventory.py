"""`govgate inventory`: sync on demand, list / show / export any snapshot (by sync id or date), one-line errors."""

from __future__ import annotations

import csv
import io
import json
import os
import subprocess
import sys
from datetime import timedelta

import pytest
from typer.testing import CliRunner

from cli.main import app
from govgate.inventory.cyclonedx import inventory_boms
from govgate.inventory.gaps import find_gaps
from govgate.inventory.page import render_page
from govgate.inventory.snapshot import Snapshot, write_snapshot
from govgate.policy import load_policy
from govgate.store import open_store
from tests.core.inventory.assets import NOW, portfolio


@pytest.fixture
def two_snapshots(local_settings):
    store = open_store(local_settings)
    assets, index = portfolio()
    gaps = find_gaps(assets, index, load_policy("policies/default.yaml"), NOW)
    for sync_id, when, chosen in (
        ("20261206T120000Z-aaaaaaaa", NOW - timedelta(days=1), assets[:2]),
        ("20261207T120000Z-bbbbbbbb", NOW, assets),
    ):
        mine = [g for g in gaps if g.asset_id in {a.id for a in chosen}]
        snap = Snapshot(sync_id, when, chosen, mine)
        boms = inventory_boms(chosen, mine, sync_id=sync_id, synced_at=when)
        write_snapshot(store, snap, html=render_page(snap.to_dict()), boms=boms)
    return store


def test_list_filters_and_past_snapshots(two_snapshots):
    runner = CliRunner()
    out = runner.invoke(app, ["inventory", "list"]).output
    assert out.startswith("snapshot 20261207T120000Z-bbbbbbbb") and "10 of 10 assets" in out
    deployed_gaps = runner.invoke(app, ["inventory", "list", "--kind", "model_version", "--gaps"]).output
    assert [line.split()[0] for line in deployed_gaps.splitlines()[1:]] == [
        "model:credit/2",
        "model:churn/1",
        "model:fraud/1",
    ]
    assert "gaps=deployed-without-passing-review,reassessment-overdue" in deployed_gaps
    untiered = json.loads(runner.invoke(app, ["inventory", "list", "--tier", "none", "--json"]).output)
    assert [a["id"] for a in untiered] == ["faq-bot"]
    old = runner.invoke(app, ["inventory", "list", "--at", "2026-12-06"]).output
    assert "snapshot 20261206T120000Z-aaaaaaaa" in old and "2 of 2 assets" in old
    by_id = runner.invoke(app, ["inventory", "list", "--at", "20261206T120000Z-aaaaaaaa"]).output
    assert by_id == old
    none = runner.invoke(app, ["inventory", "list", "--at", "2026-01-01"])
    assert none.exit_code == 1 and "no inventory snapshot on or before 2026-01-01" in none.output
    bad = runner.invoke(app, ["inventory", "list", "--at", "last week"])
    assert bad.exit_code == 1 and "--at 'last week': expected a sync id" in bad.output


def test_show_an_asset_with_its_gates_lineage_and_gaps(two_snapshots):
    runner = CliRunner()
    out = runner.invoke(app, ["inventory", "show", "model:churn/1"]).output
    assert "tier: medium   why: policy default_tier" in out and "status: deployed" in out
    assert "GAP critical deployed-without-passing-review: model:churn/1 is deployed: no model-review record" in out
    assert "lineage: model:churn/1 -used_dataset-> dataset:clicks" in out
    credit = runner.invoke(app, ["inventory", "show", "model:credit/2"]).output
    assert (
        "gate reassessment: pass 20 days ago  s3://govgate/evidence/credit/2/reassessment/r-credit2-ra/record.json"
        in credit
    )
    missing = runner.invoke(app, ["inventory", "show", "model:nope/1"])
    assert missing.exit_code == 1 and "no asset 'model:nope/1' in snapshot 20261207T120000Z-bbbbbbbb" in missing.output


def test_export_json_csv_and_cyclonedx(two_snapshots, tmp_path):
    from cyclonedx.schema import SchemaVersion
    from cyclonedx.validation.json import JsonStrictValidator

    runner = CliRunner()
    doc = json.loads(runner.invoke(app, ["inventory", "export", "--format", "json"]).output)
    assert doc["sync_id"] == "20261207T120000Z-bbbbbbbb" and len(doc["assets"]) == 10
    rows = list(
        csv.DictReader(
            io.StringIO(runner.invoke(app, ["inventory", "export", "--format", "csv", "--at", "2026-12-06"]).output)
        )
    )
    assert [r["id"] for r in rows] == ["model:credit/3", "model:credit/2"]
    out = runner.invoke(app, ["inventory", "export", "--format", "cyclonedx", "--out", str(tmp_path / "boms")])
    assert out.exit_code == 0 and "4 CycloneDX BOM(s)" in out.output
    files = sorted(p.name for p in (tmp_path / "boms").iterdir())
    assert files == [
        "model-churn-1.cdx.json",
        "model-credit-2.cdx.json",
        "model-credit-3.cdx.json",
        "model-fraud-1.cdx.json",
    ]
    for f in (tmp_path / "boms").iterdir():
        assert JsonStrictValidator(SchemaVersion.V1_6).validate_str(f.read_text()) is None
    bad = runner.invoke(app, ["inventory", "export", "--format", "xml"])
    assert bad.exit_code == 1 and "--format 'xml': expected json, csv or cyclonedx" in bad.output


def test_sync_on_its_own_prefect_server_finds_the_unreviewed_tool(tmp_path):
    """A fresh home (embedded MLflow, local store, temporary Prefect server) and one YAML vendor: exit 3."""
    folder = tmp_path / "inventory"
    folder.mkdir()
    (folder / "vendors.yaml").write_text(
        "assets:\n  - {id: tool:chat, kind: third_party_tool, name: Chat, owner: a@example.com, tier: low}\n"
    )
    env = {k: v for k, v in os.environ.items() if not k.startswith(("PREFECT_API", "GOVGATE_"))}
    env["GOVGATE_HOME"] = str(tmp_path / "home")
    env["PREFECT_HOME"] = str(tmp_path / "prefect-home")
    cmd = [sys.executable, "-m", "cli.main", "inventory", "sync", "--yaml-dir", str(folder)]
    proc = subprocess.run(cmd, env=env, capture_output=True, text=True, timeout=300)
    assert proc.returncode == 3, proc.stdout[-3000:] + proc.stderr[-3000:]
    assert "  third-party-unreviewed: 1" in proc.stdout and "decision: fail" in proc.stdout
    listed = subprocess.run(
        [sys.executable, "-m", "cli.main", "inventory", "list"], env=env, capture_output=True, text=True, timeout=120
    )
    assert (
        "tool:chat  third_party_tool  tier=low  unknown  owner=a@example.com  gaps=third-party-unreviewed"
        in listed.stdout
    )
