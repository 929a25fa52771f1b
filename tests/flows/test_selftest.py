"""The evidence-selftest flow end to end on a real Prefect server (test harness), S3 on moto's server
and MLflow on SQLite."""

from __future__ import annotations

import json

import pytest

from flows.selftest import evidence_selftest
from govgate.publish import MANIFEST
from govgate.store import open_store
from govgate.tracking import Tracker


def _artifacts(flow_run_id):
    from prefect.client.orchestration import get_client
    from prefect.client.schemas.filters import ArtifactFilter, ArtifactFilterFlowRunId

    with get_client(sync_client=True) as client:
        return client.read_artifacts(
            artifact_filter=ArtifactFilter(flow_run_id=ArtifactFilterFlowRunId(any_=[flow_run_id]))
        )


def _records(store):
    return [i.key for i in store.list("evidence/") if i.key.endswith("record.json")]


def test_selftest_publishes_evidence_everywhere(prefect_harness, s3_settings):
    state = evidence_selftest(return_state=True)
    assert state.is_completed(), state.message
    result = state.result()
    assert result["decision"] == "pass"
    flow_run_id = state.state_details.flow_run_id

    store = open_store(s3_settings)
    (key,) = _records(store)
    record = json.loads(store.get_bytes(key))
    assert record["provenance"]["prefect_flow_run_id"] == str(flow_run_id)
    assert record["provenance"]["mlflow_run_id"] == result["mlflow_run_id"]
    outcomes = {c["id"]: c["outcome"] for c in record["checks"]}
    assert outcomes == {
        "policy.valid": "pass",
        "store.reachable": "pass",
        "store.roundtrip": "pass",
        "store.write_once": "pass",
        "store.listing": "pass",
        "store.object_lock": "pass",
        "retention.records": "pass",
        "mlflow.reachable": "pass",
        "controls.index": "pass",
    }
    assert store.exists(key.replace("record.json", MANIFEST))

    artifacts = {a.key: a for a in _artifacts(flow_run_id)}
    assert set(artifacts) == {"selftest-summary", "selftest-checks", "selftest-evidence"}
    assert "## PASS: selftest of" in artifacts["selftest-summary"].data
    table = artifacts["selftest-checks"].data
    table = json.loads(table) if isinstance(table, str) else table
    assert len(table) == len(outcomes) and {row["outcome"] for row in table} == {"pass"}  # titles, not ids
    assert result["report_uri"] in artifacts["selftest-evidence"].data

    run = Tracker.from_settings(s3_settings).client.get_run(result["mlflow_run_id"])
    assert run.data.tags["govgate.decision"] == "pass"
    assert run.data.tags["govgate.prefect_flow_run_id"] == str(flow_run_id)


def test_policy_typo_fails_the_run_and_records_an_error(prefect_harness, s3_settings, monkeypatch, tmp_path):
    bad = tmp_path / "policy.yaml"
    bad.write_text("name: p\nversion: '1'\ntiers:\n  low: {}\n  medium: {}\n  high: {data_reveiw: {}}\n")
    monkeypatch.setenv("GOVGATE_POLICY", str(bad))
    state = evidence_selftest(return_state=True)
    assert state.is_failed()
    assert "tiers.high.data_reveiw: unknown key" in state.message and str(bad) in state.message
    store = open_store(s3_settings)
    (key,) = _records(store)
    record = json.loads(store.get_bytes(key))
    assert record["decision"]["outcome"] == "error"
    assert record["policy"]["name"] == "(not loaded)" and record["policy"]["path"] == str(bad)


def test_missing_bucket_fails_the_run_with_a_clear_message(prefect_harness, s3_settings, monkeypatch):
    monkeypatch.setenv("GOVGATE_STORE_URL", "s3://govgate-no-such-bucket")
    state = evidence_selftest(return_state=True)
    assert state.is_failed()
    assert "bucket 'govgate-no-such-bucket' at http://127.0.0.1" in state.message
    assert "does not exist" in state.message


@pytest.mark.parametrize("tier", ["low", "high"])
def test_tier_is_recorded(prefect_harness, s3_settings, tier):
    result = evidence_selftest(tier=tier)
    store = open_store(s3_settings)
    record = json.loads(store.get_bytes(_records(store)[0]))
    assert record["policy"]["tier"] == tier and result["decision"] == "pass"


def test_evidence_is_retention_locked_by_tier(prefect_harness, s3_settings):
    evidence_selftest(tier="high")
    store = open_store(s3_settings)
    (key,) = _records(store)
    head = store.head(key)
    assert head.retention is not None and head.retention.mode == "COMPLIANCE"
    assert store.head(key.replace("record.json", MANIFEST)).retention.mode == "COMPLIANCE"
    report = store.delete_many([(key, head.version_id)])
    assert report.errors and not report.deleted  # the locked version cannot be deleted


def test_low_tier_evidence_is_write_once_without_lock(prefect_harness, s3_settings):
    evidence_selftest(tier="low")
    store = open_store(s3_settings)
    (key,) = _records(store)
    assert store.head(key).retention is None
