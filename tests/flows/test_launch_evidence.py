"""The launch-evidence flow on the real Prefect server (test harness): headless sign-offs, the pause for a
sign-off resumed through the Prefect API, a sign-off timeout, incomplete evidence, and Object Lock on
moto's S3 server."""

from __future__ import annotations

import json
import threading
import time
from pathlib import Path

import pytest

from cli.launch import demo_signoffs, sign_off, waiting_for_signoff
from flows.launch_evidence import launch_evidence
from flows.runner import run_flow
from govgate.errors import GovgateError
from govgate.package import MANIFEST_NAME, SIGNOFFS_NAME, verify_package
from govgate.policy import load_policy
from govgate.protocol import LAUNCH_EVIDENCE, PACKAGE_URI, read_gate_tag
from govgate.publish import load_record
from govgate.store import open_store, store_for_uri
from govgate.tracking import Tracker
from tests.core.package.test_package import make_model_with_evidence

OWNER = {
    "name": "Ann Owner",
    "role": "model_owner",
    "decision": "approve",
    "comment": "fit for launch",
    "accepted_risks": ["drift"],
}


@pytest.fixture(scope="module")
def model(tmp_path_factory):
    """Local settings (env, for the flow) and one model version with evidence, shared by the local tests."""
    from govgate.settings import load_settings

    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("GOVGATE_HOME", str(tmp_path_factory.mktemp("launch") / "home"))
        settings = load_settings()
        yield settings, make_model_with_evidence(settings)


@pytest.fixture
def local_settings(model):
    return model[0]


def _record(settings, result):
    store, key = store_for_uri(result["record_uri"], settings)
    return load_record(store, key)


def _artifact_keys(flow_run_id):
    from prefect.client.orchestration import get_client
    from prefect.client.schemas.filters import ArtifactFilter, ArtifactFilterFlowRunId

    with get_client(sync_client=True) as client:
        arts = client.read_artifacts(
            artifact_filter=ArtifactFilter(flow_run_id=ArtifactFilterFlowRunId(any_=[flow_run_id]))
        )
    return {a.key for a in arts}


def test_headless_launch_seals_tags_and_verifies(prefect_harness, local_settings, model):
    made = model[1]
    state = launch_evidence(model_uri=made["model_uri"], signoffs=[OWNER], return_state=True)
    assert state.is_completed(), state.message
    result = state.result()
    assert result["decision"] == "pass" and result["missing"] == []
    assert result["package_uri"].endswith(f"/launch-evidence/{result['package_id']}/")

    report = verify_package(result["package_uri"], local_settings)
    assert report.ok, report.problems
    assert report.decision == "pass" and report.subject == made["model_uri"]

    tags = Tracker.from_settings(local_settings).client.get_model_version(made["name"], made["version"]).tags
    # one tag family: govgate.launch_evidence.* (no second govgate.launch.decision)
    assert tags["govgate.launch_evidence.decision"] == "pass" and "govgate.launch.decision" not in tags
    assert tags["govgate.launch_evidence.package_uri"] == result["package_uri"]
    assert tags["govgate.launch_evidence.package_id"] == result["package_id"]
    assert tags["govgate.launch_evidence.manifest_sha256"] == result["manifest_sha256"]
    assert tags["govgate.launch_evidence.record_uri"] == result["record_uri"]
    assert read_gate_tag(tags, LAUNCH_EVIDENCE, PACKAGE_URI) == result["package_uri"]
    record = _record(local_settings, result)
    assert record.record_id == result["package_id"] and record.gate == "launch-evidence"
    assert [s.name for s in record.decision.sign_offs] == ["Ann Owner"] and record.decision.decided_by == "Ann Owner"
    assert record.check("launch.signoff").outcome.value == "pass"
    assert record.check("launch.lineage").outcome.value == "pass"
    assert record.check("launch.package.sealed").details["manifest_sha256"] == result["manifest_sha256"]
    assert {"launch-evidence-completeness", "launch-evidence-package", "launch-evidence-summary"} <= _artifact_keys(
        state.state_details.flow_run_id
    )
    store = open_store(local_settings)
    manifest = json.loads(store.get_bytes(record.evidence_prefix() + MANIFEST_NAME))
    assert manifest["signoffs"][0]["accepted_risks"] == ["drift"]
    assert {r["gate"] for r in manifest["records"]} == {"model-review", "data-review"}
    assert {r["kind"]: r["status"] for r in manifest["completeness"] if r["required"]}["signoff"] == "present"

    # a rejection: a new package, the version's tag follows, the first package stays valid
    rejected = run_flow(
        launch_evidence, model_uri=made["model_uri"], signoffs=[{**OWNER, "decision": "reject", "comment": "not yet"}]
    )
    assert rejected["decision"] == "fail" and rejected["package_id"] != result["package_id"]
    tags = Tracker.from_settings(local_settings).client.get_model_version(made["name"], made["version"]).tags
    assert tags["govgate.launch_evidence.decision"] == "fail"
    assert tags["govgate.launch_evidence.package_uri"] == rejected["package_uri"]
    assert (
        verify_package(result["package_uri"], local_settings).ok
        and verify_package(f"models:/{made['name']}/{made['version']}", local_settings).ok
    )


def test_incomplete_evidence_stops_the_launch_but_seals_what_was_there(prefect_harness, local_settings, model):
    made = model[1]
    result = run_flow(launch_evidence, model_uri=made["model_uri"], tier="high")  # no risk assessment; no pause happens
    assert result["decision"] == "fail"
    assert result["missing"] == ["risk_assessment", "signoff"]
    record = _record(local_settings, result)
    assert record.decision.reasons[0] == "launch stopped: required evidence risk_assessment (missing)"
    assert record.check("launch.evidence.risk_assessment").outcome.value == "fail"
    assert record.check("launch.signoff").outcome.value == "skipped"
    assert [f.id for f in record.findings] == ["launch.evidence.risk_assessment.missing"]
    report = verify_package(result["package_uri"], local_settings)
    assert report.ok and report.files_checked > 10  # the records that were there are sealed

    # the gate record beside the package is verified too: an edit to any of its files is named
    folder = Path(result["package_uri"].removeprefix("file://"))
    record_json = folder / "record.json"
    original = record_json.read_bytes()
    record_json.write_bytes(original.replace(b'"outcome": "fail"', b'"outcome": "pass"'))
    report = verify_package(result["package_uri"], local_settings)
    assert not report.ok and any(p.startswith("gate record: record.json: changed") for p in report.problems)
    record_json.write_bytes(original)
    (folder / "manifest.json").write_text("{}")  # the record's own manifest
    report = verify_package(result["package_uri"], local_settings)
    assert not report.ok and any("gate record:" in p and "not a record manifest" in p for p in report.problems)


def _wait_paused(timeout=30.0):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        runs = waiting_for_signoff()
        if runs:
            return runs[0]
        time.sleep(0.3)
    raise AssertionError("no launch-evidence run paused for a sign-off")


def _resume(run_id, **answer):
    deadline = time.monotonic() + 20
    while True:  # the form (run input schema) is saved just after the run pauses
        try:
            return sign_off(run_id, **answer)
        except GovgateError as exc:
            if "schema not found" not in str(exc) or time.monotonic() > deadline:
                raise
            time.sleep(0.2)


def test_signoff_pauses_the_run_and_resumes_with_input_from_the_api(prefect_harness, local_settings, model, tmp_path):
    made = model[1]
    risk = tmp_path / "risk-assessment.md"
    risk.write_text("# Risk assessment\nResidual risk: drift.\n")
    box: dict = {}
    thread = threading.Thread(
        target=lambda: box.update(
            state=launch_evidence(
                model_uri=made["model_uri"],
                tier="high",
                risk_assessment=str(risk),
                signoff_poll_seconds=1,
                return_state=True,
            )
        )
    )
    thread.start()
    try:
        first = _wait_paused()
        assert first["model_uri"] == made["model_uri"] and first["pause_key"] == "launch-signoff-1"
        _resume(
            first["flow_run_id"],
            name="Ann Owner",
            role="model_owner",
            decision="approve",
            comment="ok",
            accepted_risks=["drift"],
        )
        deadline = time.monotonic() + 30
        while (second := _wait_paused()) and second["pause_key"] != "launch-signoff-2":
            assert time.monotonic() < deadline
            time.sleep(0.3)
        _resume(
            second["flow_run_id"],
            name="Rui Risk",
            role="risk_officer",
            decision="approve",
            accepted_risks=["small groups"],
        )
    finally:
        thread.join(timeout=120)
    state = box["state"]
    assert state.is_completed(), state.message
    result = state.result()
    assert result["decision"] == "pass", result
    store = open_store(local_settings)
    record = _record(local_settings, result)
    signoffs = json.loads(store.get_bytes(record.evidence_prefix() + SIGNOFFS_NAME))["signoffs"]
    assert [(s["name"], s["role"], s["accepted_risks"]) for s in signoffs] == [
        ("Ann Owner", "model_owner", ["drift"]),
        ("Rui Risk", "risk_officer", ["small groups"]),
    ]
    assert record.decision.decided_by == "Ann Owner, Rui Risk"
    assert verify_package(result["package_uri"], local_settings).ok
    with pytest.raises(GovgateError, match="is not waiting for a sign-off"):
        sign_off(first["flow_run_id"], name="Late", role="model_owner", decision="approve")


def test_signoff_timeout_ends_the_run_as_needs_review(prefect_harness, local_settings, model):
    made = model[1]
    state = launch_evidence(
        model_uri=made["model_uri"], signoff_timeout_seconds=2, signoff_poll_seconds=1, return_state=True
    )
    assert state.is_completed(), state.message
    result = state.result()
    assert result["decision"] == "needs-review"
    record = _record(local_settings, result)
    assert record.decision.reasons[0] == "launch needs review: sign-off 1 of 1 timed out after 2 s"
    assert record.check("launch.signoff").outcome.value == "inconclusive"
    assert verify_package(result["package_uri"], local_settings).ok


def test_s3_launch_package_is_retention_locked(prefect_harness, s3_settings, tmp_path):
    made = make_model_with_evidence(s3_settings)
    risk = tmp_path / "risk.md"
    risk.write_text("# Risk assessment\n")
    policy = load_policy(s3_settings.policy)
    result = run_flow(
        launch_evidence,
        model_uri=made["model_uri"],
        tier="high",
        risk_assessment=str(risk),
        signoffs=demo_signoffs(policy, "high"),
    )
    assert result["decision"] == "pass", result
    report = verify_package(result["package_uri"], s3_settings)
    assert report.ok, report.problems
    assert report.object_lock.startswith("COMPLIANCE until") and report.object_lock.endswith("every file")
    store, key = store_for_uri(result["manifest_uri"], s3_settings)
    head = store.head(key)
    assert head.retention.mode == "COMPLIANCE" and head.retention.until.year >= 2030
    assert [s["comment"] for s in json.loads(store.get_bytes(key))["signoffs"]] == [
        "automatic demo sign-off: not a human decision"
    ] * 2
