"""The inventory-sync flow end to end: the real Prefect server (harness), MLflow on SQLite, the store on moto's
S3 server over HTTP, an inventory/ YAML folder. Assets in every state: approved (passing model review,
reassessed, deployed), deployed but never reviewed, overdue reassessment, a third-party tool without a
review, one whose review items expired, a dataset without a datasheet, a training dataset without a data
review, a YAML asset without an owner. The gaps, tiers and their reasons are asserted exactly; a second
sync after deleting a registered model reports it disappeared."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

from govgate import protocol
from govgate.inventory.snapshot import read_snapshot
from govgate.policy import load_policy
from govgate.record import AssetKind, InputDigest
from govgate.store import open_store
from govgate.tracking import Tracker
from tests.core.inventory.sources_helpers import register

OWNER = "risk-team@example.com"


def record(store, tracker, policy, *, gate, kind, subject_id, version, when, tier="medium", inputs=None, outputs=None):
    """One real gate record, published (store + MLflow run) as a gate would, started and finished at ``when``."""
    from govgate.gate import build_record
    from govgate.publish import publish
    from govgate.record import Check, Outcome, Subject, decide, new_record_id

    checks = [Check(id="x.c", title="c", category="x", outcome=Outcome.PASS, evidence_kind="data_quality")]
    result = build_record(
        gate=gate,
        subject=Subject(kind=kind, id=subject_id, version=version, inputs=inputs or []),
        policy=policy,
        tier=tier,
        started_at=when,
        checks=checks,
        decision=decide(checks),
        outputs=outputs,
        record_id=new_record_id(when),
    )
    result.finished_at = when + timedelta(minutes=2)  # a past run: it finished then, not now
    return publish(result, store=store, tracker=tracker).record


def _portfolio(settings, folder):
    """Registry, records and YAML as described in the module docstring; the record ids that reasons cite."""
    now = datetime.now(UTC)
    policy = load_policy(settings.policy)
    store, tracker = open_store(settings), Tracker.from_settings(settings)
    client = tracker.client
    exp = tracker.experiment_id("training")
    owner = {protocol.MODEL_OWNER: OWNER}
    register(
        client,
        exp,
        "credit",
        1,
        tags={**owner, protocol.MODEL_PURPOSE: "credit scoring"},
        aliases={"production": 1},
        datasets=[("loans", "d-loans", "s3://data/loans.csv")],
    )
    register(
        client,
        exp,
        "churn",
        1,
        tags={**owner, protocol.MODEL_TIER: "medium"},
        aliases={"production": 1},
        datasets=[("clicks", "d-clicks", "s3://data/clicks.csv")],
    )
    register(client, exp, "fraud", 1, tags={**owner, protocol.MODEL_TIER: "medium"}, aliases={"production": 1})
    register(client, exp, "legacy", 1, tags={**owner, protocol.MODEL_TIER: "low"})

    def rec(gate, kind, subject, version, days, **kw):
        return record(
            store,
            tracker,
            policy,
            gate=gate,
            kind=kind,
            subject_id=subject,
            version=version,
            when=now - timedelta(days=days),
            **kw,
        )

    risk = {"tier": "high", "rule": "eu-ai-act.annex-iii.5b", "citations": ["EU AI Act Art. 6(2)", "Annex III 5(b)"]}
    intake = rec(
        protocol.INTAKE, AssetKind.MODEL, "credit", None, 10, tier="high", outputs={protocol.OUTPUT_RISK_TIER: risk}
    )
    rec(protocol.MODEL_REVIEW, AssetKind.MODEL, "credit", "1", 5, tier="high")
    rec(protocol.REASSESSMENT, AssetKind.MODEL, "credit", "1", 2, tier="high")
    rec(protocol.MODEL_REVIEW, AssetKind.MODEL, "fraud", "1", 60)
    fraud_reassessed = rec(protocol.REASSESSMENT, AssetKind.MODEL, "fraud", "1", 40)
    sheet = InputDigest(uri="s3://data/loans.datasheet.yaml", sha256="ab" * 32, role="datasheet")
    rec(protocol.DATA_REVIEW, AssetKind.DATASET, "loans", None, 20, inputs=[sheet])
    notes = rec(protocol.DATA_REVIEW, AssetKind.DATASET, "notes", None, 3, tier="low")
    items = [
        {
            "item": "dpa",
            "status": "received",
            "sha256": "cd" * 32,
            "expires": (now - timedelta(days=3)).date().isoformat(),
        },
        {
            "item": "model_card",
            "status": "received",
            "sha256": "ef" * 32,
            "expires": (now + timedelta(days=300)).date().isoformat(),
        },
    ]
    ocr = rec(
        protocol.THIRD_PARTY_REVIEW,
        AssetKind.THIRD_PARTY_TOOL,
        "tool:ocr-cloud",
        None,
        200,
        tier="low",
        outputs={protocol.OUTPUT_THIRD_PARTY_ITEMS: items},
    )
    folder.mkdir()
    (folder / "tools.yaml").write_text(
        f"""assets:
  - {{id: tool:chat-vendor, kind: third_party_tool, name: Chat vendor, owner: {OWNER}, tier: medium, status: deployed}}
  - {{id: tool:ocr-cloud, kind: third_party_tool, name: OCR cloud, owner: {OWNER}, tier: low, status: deployed}}
  - {{id: feature:faq-bot, kind: ai_feature, name: FAQ bot, tier: low, status: development}}
overrides:
  - {{id: model:credit, owner: {OWNER}}}
  - {{id: dataset:loans, owner: {OWNER}, tier: high}}
  - {{id: dataset:clicks, owner: {OWNER}, tier: medium}}
  - {{id: dataset:notes, owner: {OWNER}, tier: low}}
"""
    )
    return {"intake": intake, "fraud_reassessed": fraud_reassessed, "notes": notes, "ocr": ocr, "now": now}


def _mine(doc: dict) -> dict:
    """Assets and gaps of the test's portfolio (pipelines other tests deployed on the shared server aside)."""
    assets = {a["id"]: a for a in doc["assets"] if a["kind"] != "pipeline"}
    gaps = sorted(
        (g["rule"], g["asset_id"], g["message"]) for g in doc["gaps"] if not g["asset_id"].startswith("pipeline:")
    )
    return {"assets": assets, "gaps": gaps}


def test_sync_finds_every_gap_and_then_what_disappeared(prefect_harness, s3_settings, tmp_path):
    from flows.inventory_sync import inventory_sync
    from flows.runner import run_flow

    folder = tmp_path / "inventory"
    made = _portfolio(s3_settings, folder)
    tools = folder / "tools.yaml"
    first = run_flow(inventory_sync, yaml_dir=str(folder))
    store = open_store(s3_settings)
    doc = read_snapshot(store, first["sync_id"])
    mine = _mine(doc)
    day = lambda r: r.record_id[:4] + "-" + r.record_id[4:6] + "-" + r.record_id[6:8]  # noqa: E731
    fraud_days = (datetime.fromisoformat(doc["synced_at"]) - made["fraud_reassessed"].started_at).days
    assert mine["gaps"] == sorted(
        [
            ("deployed-without-passing-review", "model:churn/1", "model:churn/1 is deployed: no model-review record"),
            (
                "reassessment-overdue",
                "model:fraud/1",
                f"model:fraud/1: last reassessed {fraud_days} days ago ({day(made['fraud_reassessed'])}); tier medium allows 35 days",
            ),
            (
                "dataset-without-data-review",
                "dataset:clicks",
                "dataset:clicks trained model:churn/1: no data-review record",
            ),
            (
                "dataset-without-datasheet",
                "dataset:notes",
                f"dataset dataset:notes was reviewed (record {made['notes'].record_id}) without a datasheet",
            ),
            ("third-party-unreviewed", "tool:chat-vendor", "third_party_tool tool:chat-vendor: no third-party review"),
            ("third-party-review-expired", "tool:ocr-cloud", "tool:ocr-cloud: third-party review items expired: dpa"),
            ("no-owner", "feature:faq-bot", "ai_feature feature:faq-bot has no owner"),
        ]
    )
    tiers = {i: (a["tier"], a["tier_reason"]) for i, a in mine["assets"].items()}
    assert tiers == {
        "model:credit/1": (
            "high",
            f"intake {made['intake'].record_id}: eu-ai-act.annex-iii.5b (EU AI Act Art. 6(2), Annex III 5(b))",
        ),
        "model:churn/1": ("medium", "tag"),
        "model:fraud/1": ("medium", "tag"),
        "model:legacy/1": ("low", "tag"),
        "dataset:loans": ("high", f"inventory YAML {tools}: overrides[1]"),
        "dataset:clicks": ("medium", f"inventory YAML {tools}: overrides[2]"),
        "dataset:notes": ("low", f"inventory YAML {tools}: overrides[3]"),
        "tool:chat-vendor": ("medium", f"inventory YAML {tools}"),
        "tool:ocr-cloud": ("low", f"inventory YAML {tools}"),
        "feature:faq-bot": ("low", f"inventory YAML {tools}"),
    }
    credit = mine["assets"]["model:credit/1"]
    assert credit["status"] == "deployed" and credit["owner"] == OWNER
    assert {g: s["decision"] for g, s in credit["gates"].items()} == {
        "intake": "pass",
        "model-review": "pass",
        "reassessment": "pass",
    }
    assert [(x["relation"], x["to_id"]) for x in credit["lineage"]][1:] == [("used_dataset", "dataset:loans")]
    assert mine["assets"]["model:legacy/1"]["status"] == "development"

    # the gate record: one check per rule, its count judged against the limit; severity decides fail or warn
    record = json.loads(store.get_bytes(first["record_uri"].split(f"s3://{store.bucket}/{store.prefix}", 1)[1]))
    outcomes = {c["id"].removeprefix("inventory.gaps."): c["outcome"] for c in record["checks"]}
    pipelines = sum(1 for a in doc["assets"] if a["kind"] == "pipeline")
    assert outcomes == {
        "deployed-without-passing-review": "fail",
        "reassessment-overdue": "fail",
        "dataset-without-data-review": "fail",
        "dataset-without-datasheet": "warn",
        "third-party-unreviewed": "fail",
        "third-party-review-expired": "fail",
        "no-owner": "warn",
        "no-tier": "warn" if pipelines else "pass",
        "record-not-verified": "pass",
        "package-not-verified": "pass",
        "disappeared": "pass",
    }
    assert record["decision"]["outcome"] == "fail" and first["decision"] == "fail"
    assert (
        record["outputs"][protocol.OUTPUT_INVENTORY]["snapshot_key"]
        == f"audit/inventory/{first['sync_id']}/inventory.json"
    )
    assert record["gate"] == protocol.INVENTORY_SYNC and first["mlflow_run_id"]
    run = Tracker.from_settings(s3_settings).client.get_run(first["mlflow_run_id"])
    assert run.data.tags[protocol.RUN_DECISION] == "fail"
    boms = [k for k in doc["files"] if k.startswith("cyclonedx/")]
    assert sorted(boms) == [f"cyclonedx/model-{m}-1.cdx.json" for m in ("churn", "credit", "fraud", "legacy")]
    from cyclonedx.schema import SchemaVersion
    from cyclonedx.validation.json import JsonStrictValidator

    bom_text = store.get_bytes(f"audit/inventory/{first['sync_id']}/cyclonedx/model-credit-1.cdx.json").decode()
    assert JsonStrictValidator(SchemaVersion.V1_6).validate_str(bom_text) is None
    bom = json.loads(bom_text)
    assert bom["metadata"]["component"]["modelCard"]["modelParameters"]["datasets"] == [{"ref": "dataset:loans"}]
    assert [c["bom-ref"] for c in bom["components"]] == ["dataset:loans"]
    page = store.get_bytes(f"audit/inventory/{first['sync_id']}/inventory.html").decode()
    assert "model:churn/1" in page and "deployed-without-passing-review" in page
    from tests.ui.test_prefect_ui import ARTIFACTS_DIR

    ARTIFACTS_DIR.mkdir(exist_ok=True)
    (ARTIFACTS_DIR / "inventory-e2e.html").write_text(page, encoding="utf-8")  # for a person to open

    # second sync: the registered model "legacy" was deleted from MLflow
    Tracker.from_settings(s3_settings).client.delete_registered_model("legacy")
    second = run_flow(inventory_sync, yaml_dir=str(folder))
    doc2 = read_snapshot(store)
    assert doc2["sync_id"] == second["sync_id"] != first["sync_id"]
    gone = [g for g in doc2["gaps"] if g["rule"] == "disappeared"]
    assert [(g["asset_id"], g["message"]) for g in gone] == [
        (
            "model:legacy/1",
            f"model_version model:legacy/1 is no longer reported by mlflow; last seen {doc['synced_at']} (sync {first['sync_id']})",
        )
    ]
    assert [d["id"] for d in doc2["disappeared"]] == ["model:legacy/1"]
    assert "model:legacy/1" not in {a["id"] for a in doc2["assets"]}
    assert _mine(doc2)["gaps"] == sorted([*mine["gaps"], ("disappeared", "model:legacy/1", gone[0]["message"])])
    assert read_snapshot(store, first["sync_id"])["sync_id"] == first["sync_id"]  # the past state stays readable

    # Prefect artifacts of the second run: the assets table, the gaps table, a link to the page
    arts = _artifacts(second["sync_id"])
    assert set(arts) == {"inventory-sync-assets", "inventory-sync-gaps", "inventory-sync-page"}
    rows = {r["asset"]: r for r in arts["inventory-sync-assets"].data}
    assert rows["model:fraud/1"]["gates"].endswith("reassessment pass · 40 d · overdue")
    assert rows["model:churn/1"]["gaps"] == "deployed-without-passing-review"
    assert ("disappeared", "model:legacy/1") in {(r["rule"], r["asset"]) for r in arts["inventory-sync-gaps"].data}
    link = arts["inventory-sync-page"].data  # markdown: [Inventory page of sync <id>](<uri>)
    assert link.startswith(f"[Inventory page of sync {second['sync_id']}](") and link.endswith("/inventory.html)")
    page_key = link[:-1].split(f"s3://{store.bucket}/{store.prefix}", 1)[1]
    assert page_key == second["record_uri"].split(f"s3://{store.bucket}/{store.prefix}", 1)[1].replace(
        "record.json", "inventory.html"
    )
    assert b"model:legacy/1" in store.get_bytes(page_key)


def _artifacts(sync_id: str) -> dict:
    import asyncio

    from prefect.client.orchestration import get_client
    from prefect.client.schemas.filters import ArtifactFilter, ArtifactFilterKey

    keys = ["inventory-sync-assets", "inventory-sync-gaps", "inventory-sync-page"]

    async def read():
        async with get_client() as client:
            return await client.read_artifacts(artifact_filter=ArtifactFilter(key=ArtifactFilterKey(any_=keys)))

    found = {}
    for a in asyncio.run(read()):
        if sync_id in (a.description or "") or sync_id in json.dumps(a.data if not isinstance(a.data, str) else a.data):
            a.data = json.loads(a.data) if a.key != "inventory-sync-page" and isinstance(a.data, str) else a.data
            found[a.key] = a
    return found


def test_the_schedule_comes_from_policy(tmp_path):
    from deployments.serve import gate_deployments
    from govgate.settings import DEFAULT_POLICY

    (sync,) = [d for d in gate_deployments(load_policy(DEFAULT_POLICY)) if d.name == "inventory-sync"]
    assert [s.schedule.cron for s in sync.schedules] == ["0 * * * *"] and "inventory" in sync.tags
    path = tmp_path / "policy.yaml"
    path.write_text(DEFAULT_POLICY.read_text().replace('cron: "0 * * * *"', 'cron: "15 */6 * * *"'))
    (sync,) = [d for d in gate_deployments(load_policy(path)) if d.name == "inventory-sync"]
    assert [s.schedule.cron for s in sync.schedules] == ["15 */6 * * *"]
    off = tmp_path / "off.yaml"
    text = DEFAULT_POLICY.read_text()
    block = text[text.index("  inventory_sync:") : text.index("\n\n", text.index("  inventory_sync:"))]
    off.write_text(text.replace(block, "  inventory_sync: null"))
    (sync,) = [d for d in gate_deployments(load_policy(off)) if d.name == "inventory-sync"]
    assert sync.schedules == []  # still served, for manual runs


def test_bad_inventory_yaml_stops_the_sync_with_an_error_record_naming_file_and_key(
    prefect_harness, s3_settings, tmp_path
):
    import pytest

    from flows.inventory_sync import inventory_sync
    from flows.runner import run_flow
    from govgate.errors import GovgateError
    from govgate.evidence_index import scan_records

    folder = tmp_path / "bad"
    folder.mkdir()
    (folder / "tools.yaml").write_text("assets:\n  - {id: tool:x, kind: third_party_tool, name: X, owner: nobody}\n")
    with pytest.raises(GovgateError, match=r"tools.yaml: assets\.0\.owner.*'nobody' is not an e-mail address"):
        run_flow(inventory_sync, yaml_dir=str(folder))
    store = open_store(s3_settings)
    [entry] = scan_records(store, gates=[protocol.INVENTORY_SYNC]).entries
    assert entry.decision == "error" and entry.verified
    assert read_snapshot(store) is None  # nothing half-written: no snapshot for a sync that could not run
