"""The retention-purge flow on a real Prefect server (test harness), S3 on moto's server with versioning and
Object Lock, and MLflow on SQLite with run artifacts on the same S3 server."""

from __future__ import annotations

import json
import tempfile
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from flows.retention_purge import retention_purge
from govgate.retention import AUDIT_PREFIX, PURGED_RUN_TAG
from govgate.store import open_store
from govgate.tracking import Tracker, ensure_experiment

RULES = """
version: 1
rules:
  - id: raw-by-collection
    prefix: raw/
    from: tag:collected-at
    retain: P90D
    data_class: raw-personal
  - id: tmp-partitions
    prefix: tmp/
    retain: 0d
    data_class: temporary
mlflow_artifacts:
  - id: training-raw-data
    experiments: [demo-training]
    artifact_path: raw-data
    retain: P90D
"""


def _artifacts(flow_run_id):
    from prefect.client.orchestration import get_client
    from prefect.client.schemas.filters import ArtifactFilter, ArtifactFilterFlowRunId

    with get_client(sync_client=True) as client:
        arts = client.read_artifacts(
            artifact_filter=ArtifactFilter(flow_run_id=ArtifactFilterFlowRunId(any_=[flow_run_id]))
        )
    return {a.key: a for a in arts}


def _run_with_artifacts(client, experiment_id: str, started: datetime) -> str:
    run = client.create_run(experiment_id, start_time=int(started.timestamp() * 1000))
    with tempfile.TemporaryDirectory() as tmp:
        (Path(tmp) / "sample.csv").write_text("email\nbuyer@example.com\n")
        (Path(tmp) / "model.txt").write_text("weights")
        client.log_artifact(run.info.run_id, str(Path(tmp) / "sample.csv"), "raw-data")
        client.log_artifact(run.info.run_id, str(Path(tmp) / "model.txt"), "model")
    client.set_terminated(run.info.run_id)
    return run.info.run_id


@pytest.fixture
def seeded(s3_settings, tmp_path):
    store = open_store(s3_settings)
    store.put("raw/old.csv", b"a", tags={"collected-at": "2020-01-01", "data-class": "raw-personal"})
    store.put("raw/old.csv", b"b", tags={"collected-at": "2020-01-01", "data-class": "raw-personal"})  # 2 versions
    store.put("raw/held.csv", b"h", tags={"collected-at": "2020-01-01", "legal-hold": "yes"})
    store.put("raw/locked.csv", b"l", tags={"collected-at": "2020-01-01"}, legal_hold=True)
    store.put("raw/fresh.csv", b"f", tags={"collected-at": datetime.now(UTC).date().isoformat()})
    store.put("tmp/data-review/x/part-0.parquet", b"p")
    tracker = Tracker.from_settings(s3_settings)
    exp = ensure_experiment(
        tracker.client, "demo-training", f"{s3_settings.effective_mlflow_artifact_location}/demo-training"
    )
    old_run = _run_with_artifacts(tracker.client, exp, datetime(2020, 1, 1, tzinfo=UTC))
    new_run = _run_with_artifacts(tracker.client, exp, datetime.now(UTC) - timedelta(days=1))
    rules = tmp_path / "retention.yaml"
    rules.write_text(RULES)
    return store, tracker, old_run, new_run, rules


def _artifact_paths(tracker, run_id, path):
    return [f.path for f in tracker.client.list_artifacts(run_id, path)]


def test_dry_run_reports_what_would_go_and_deletes_nothing(prefect_harness, seeded):
    store, tracker, old_run, _, rules = seeded
    before = sorted((i.key, i.version_id) for p in store.list_version_pages("") for i in p)
    state = retention_purge(rules=str(rules), return_state=True)
    assert state.is_completed(), state.message
    result = state.result()
    assert (
        result["mode"] == "dry-run" and result["would_delete"] == 2 + 1
    )  # raw/old.csv, tmp part, one run folder object
    after = sorted(
        (i.key, i.version_id)
        for p in store.list_version_pages("")
        for i in p
        if not i.key.startswith(("evidence/", AUDIT_PREFIX))
    )
    assert after == before
    assert _artifact_paths(tracker, old_run, "raw-data") == ["raw-data/sample.csv"]
    arts = _artifacts(state.state_details.flow_run_id)
    listing = arts["retention-purge-dry-run"].data
    assert (
        "`raw/old.csv`" in listing
        and "`tmp/data-review/x/part-0.parquet`" in listing
        and "raw-data/sample.csv" in listing
    )
    assert "raw/held.csv" not in listing and "raw/fresh.csv" not in listing
    table = arts["retention-purge-counts"].data
    table = json.loads(table) if isinstance(table, str) else table
    by = {(r["by"], r["name"]): r for r in table}
    assert by[("rule", "raw-by-collection")]["would_delete_objects"] == 1
    assert by[("rule", "raw-by-collection")]["versions"] == 2
    assert by[("class", "temporary")]["would_delete_objects"] == 1
    record = json.loads(store.get_bytes(result["record_uri"].split("/govgate/", 1)[1]))
    outcomes = {c["id"]: c["outcome"] for c in record["checks"]}
    assert outcomes["retention.deletion"] == "skipped" and outcomes["retention.plan"] == "pass"
    assert outcomes["retention.legal_hold"] == "pass"
    held = next(c for c in record["checks"] if c["id"] == "retention.legal_hold")
    assert {m["name"]: m["value"] for m in held["metrics"]} == {"held_by_tag": 1, "held_by_object_lock": 1}


def test_execute_purges_store_and_mlflow_artifacts_and_certifies(prefect_harness, seeded):
    store, tracker, old_run, new_run, rules = seeded
    state = retention_purge(dry_run=False, rules=str(rules), return_state=True)
    assert state.is_completed(), state.message
    result = state.result()
    assert result["decision"] == "pass", result
    left = {i.key for p in store.list_version_pages("") for i in p}
    assert "raw/old.csv" not in left and "tmp/data-review/x/part-0.parquet" not in left
    assert {"raw/held.csv", "raw/locked.csv", "raw/fresh.csv"} <= left
    # the old run lost its raw data (all versions), kept its model, and says so; the new run is untouched
    assert _artifact_paths(tracker, old_run, "raw-data") == []
    assert _artifact_paths(tracker, old_run, "model") == ["model/model.txt"]
    assert tracker.client.get_run(old_run).data.tags[f"{PURGED_RUN_TAG}.training-raw-data"] == result["purge_id"]
    assert _artifact_paths(tracker, new_run, "raw-data") == ["raw-data/sample.csv"]
    # certificate in the audit prefix and among the record's evidence files
    cert = store.get_json(f"{AUDIT_PREFIX}{result['purge_id']}/certificate.json")
    assert cert["deleted"]["objects"] == 3 and cert["accounted"] == cert["plan"]["entries"]
    record_prefix = result["record_uri"].split("/govgate/", 1)[1].rsplit("/", 1)[0]
    assert store.get_json(f"{record_prefix}/certificate.json")["purge_id"] == result["purge_id"]
    arts = _artifacts(state.state_details.flow_run_id)
    table = arts["retention-purge-counts"].data
    table = json.loads(table) if isinstance(table, str) else table
    by = {(r["by"], r["name"]): r for r in table}
    assert by[("rule", "raw-by-collection")]["deleted"] == 2  # two versions
    assert by[("rule", "training-raw-data")]["deleted"] == 1
    # a second execute run finds nothing more to do (the run is tagged, the rest is kept)
    again = retention_purge(dry_run=False, rules=str(rules))
    assert again["deleted"] == 0


def test_rule_file_error_fails_the_run_before_anything_is_deleted(prefect_harness, seeded):
    store, _, _, _, rules = seeded
    rules.write_text(RULES.replace("retain: 0d", "retain: soon"))
    before = {(i.key, i.version_id) for p in store.list_version_pages("") for i in p}
    state = retention_purge(dry_run=False, rules=str(rules), return_state=True)
    assert state.is_failed()
    assert str(rules) in state.message and "rules.1.retain" in state.message
    after = {(i.key, i.version_id) for p in store.list_version_pages("") for i in p}
    assert before <= after  # nothing deleted; only the error record was added
    records = [
        i.key
        for i in store.list("evidence/")
        if i.key.endswith("/retention-purge/" + i.key.split("/")[-2] + "/record.json")
    ]
    (key,) = records
    record = store.get_json(key)
    assert record["decision"]["outcome"] == "error" and "rules.1.retain" in record["decision"]["reasons"][0]
    assert not list(store.list(AUDIT_PREFIX))


def test_a_certified_purge_without_its_record_is_published_by_the_next_run(prefect_harness, local_settings, tmp_path):
    """Killed between the certificate and publishing: the deletions are certified in audit/ but no evidence
    record names them. The selftest says so, and the next purge run publishes the record (marked late)."""
    from flows.selftest import evidence_selftest
    from govgate.retention import load_rules, run_purge, unrecorded_purges

    rules_path = tmp_path / "retention.yaml"
    rules_path.write_text(RULES.split("mlflow_artifacts:")[0])
    store = open_store(local_settings)
    for i in range(30):
        store.put(f"tmp/part-{i:02d}", b"x")
    orphan = run_purge(store, load_rules(rules_path), dry_run=False)  # the core alone: certified, never published
    assert unrecorded_purges(store) == [orphan.purge_id]

    state = evidence_selftest(return_state=True)  # a failing selftest fails its run, with its record
    assert state.is_failed() and "retention.records" in state.message
    (key,) = [i.key for i in store.list("evidence/") if "/selftest/" in i.key and i.key.endswith("record.json")]
    check = next(c for c in json.loads(store.get_bytes(key))["checks"] if c["id"] == "retention.records")
    assert check["outcome"] == "fail" and orphan.purge_id in check["message"]

    result = retention_purge(dry_run=False, rules=str(rules_path))
    assert unrecorded_purges(store) == []
    late = [i.key for i in store.list("evidence/") if f"/{orphan.purge_id}/retention-purge/" in i.key]
    assert any(k.endswith("record.json") for k in late), late
    late_record = json.loads(store.get_bytes(next(k for k in late if k.endswith("record.json"))))
    assert any(c["id"] == "retention.late_record" for c in late_record["checks"])
    assert late_record["subject"]["attributes"]["purge_id"] == orphan.purge_id
    assert result["decision"] in ("pass", "needs-review")
