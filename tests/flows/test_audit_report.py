"""The audit-report and governance-dashboard flows on a real Prefect server (test harness), S3 on moto's
server and MLflow on SQLite: a gate record of its own, a signed report folder that verifies, Prefect
artifacts, bad input named; the dashboard page served by the evidence server at /dashboard."""

from __future__ import annotations

import json
import urllib.request
from datetime import UTC, date, datetime, timedelta

import pytest

from flows.audit_report import audit_report
from flows.dashboard import governance_dashboard
from govgate import protocol
from govgate.audit.report_seal import verify_report
from govgate.evidence_index import scan_records
from govgate.evidence_server import serve_evidence
from govgate.record import Outcome, utcnow
from govgate.store import open_store
from govgate.tracking import Tracker
from tests.core.audit.test_report import publish_one


def _artifacts(flow_run_id):
    from prefect.client.orchestration import get_client
    from prefect.client.schemas.filters import ArtifactFilter, ArtifactFilterFlowRunId

    with get_client(sync_client=True) as client:
        arts = client.read_artifacts(
            artifact_filter=ArtifactFilter(flow_run_id=ArtifactFilterFlowRunId(any_=[flow_run_id]))
        )
    return {a.key: a for a in arts}


@pytest.fixture
def seeded(s3_settings):
    store, tracker = open_store(s3_settings), Tracker.from_settings(s3_settings)
    now = utcnow()
    made = [
        publish_one(store, tracker, "credit-scorer", "data-review", now - timedelta(days=3)),
        publish_one(store, tracker, "credit-scorer", "model-review", now - timedelta(days=2), Outcome.FAIL),
    ]
    return s3_settings, store, made, now


def test_the_flow_publishes_a_record_and_a_signed_report(prefect_harness, seeded):
    settings, store, made, now = seeded
    day = now.date()
    state = audit_report(day - timedelta(days=7), day, return_state=True)
    result = state.result(raise_on_failure=False)
    assert result["records"] == 2 and result["could_not_read"] == 0
    assert verify_report(result["folder"], settings, store=store).ok
    html = store.get_bytes(result["folder"][len(store.url) + 1 :] + protocol.AUDIT_REPORT_HTML).decode()
    assert made[1].record_uri in html and "Audit report" in html
    oscal = json.loads(store.get_bytes(result["folder"][len(store.url) + 1 :] + protocol.AUDIT_REPORT_OSCAL))
    assert oscal["assessment-results"]["metadata"]["version"] == result["record_id"]

    (entry,) = scan_records(store, gates=[protocol.AUDIT_REPORT]).entries
    assert entry.record_id == result["record_id"] and entry.subject_id == "organisation"
    checks = {c.id: c.outcome for c in entry.checks}
    assert checks["audit.records"] == "pass" and checks["audit.readable"] == "pass"
    assert checks["audit.report_signed"] == "pass" and checks["audit.scope"] == "pass"
    assert protocol.OUTPUT_AUDIT_REPORT in entry.output_names
    assert result["mlflow_run_id"]
    assert {"nist-ai-rmf-1.0", "eu-ai-act"} <= set(result["coverage_counts"]) and result["kpis"]
    assert any(c.startswith("audit.coverage.") for c in checks) and any(c.startswith("audit.kpi.") for c in checks)
    key = result["folder"][len(store.url) + 1 :] + protocol.AUDIT_REPORT_HTML
    with serve_evidence(settings) as base, urllib.request.urlopen(f"{base}/{key}") as answer:
        assert answer.read().decode() == html  # govgate serve shows the signed report
    arts = _artifacts(state.state_details.flow_run_id)
    assert {"audit-report-coverage", "audit-report-kpis", "audit-report-report", "audit-report-summary"} <= set(arts)


def test_bad_input_is_named_and_the_report_still_renders(prefect_harness, seeded):
    settings, store, made, now = seeded
    state = audit_report(date(2020, 1, 1), date(2020, 1, 31), asset="ghost", frameworks=["iso-9001"], return_state=True)
    result = state.result(raise_on_failure=False)
    assert result["decision"] == "fail"
    reasons = " ".join(result["reasons"])
    assert "unknown framework 'iso-9001'" in reasons and "unknown asset 'ghost'" in reasons
    html = store.get_bytes(result["folder"][len(store.url) + 1 :] + protocol.AUDIT_REPORT_HTML).decode()
    assert "no gate records in the period 2020-01-01 to 2020-01-31" in html
    assert verify_report(result["folder"], settings, store=store).ok


def test_a_corrupt_record_is_named_in_the_checks(prefect_harness, seeded):
    settings, store, made, now = seeded
    bad = f"evidence/churn/1/model-review/{now - timedelta(days=1):%Y%m%dT%H%M%SZ}-0badf00d/"
    store.put(bad + protocol.RECORD_JSON, b"{broken")
    store.put(bad + protocol.MANIFEST, b'{"files": {"record.json": {"sha256": "x"}}}')
    result = audit_report(now.date() - timedelta(days=7), now.date(), return_state=True).result(raise_on_failure=False)
    assert result["decision"] == "fail" and result["could_not_read"] == 1
    assert any(r.startswith("audit.readable:") and "0badf00d" in r for r in result["reasons"])


def test_the_dashboard_is_written_and_served(prefect_harness, seeded):
    settings, store, made, now = seeded
    result = governance_dashboard(days=7)
    assert result["key"].startswith(protocol.DASHBOARD_PREFIX) and result["records"] == 2
    with serve_evidence(settings) as base:
        with urllib.request.urlopen(base + protocol.DASHBOARD_ROUTE) as answer:
            page = answer.read().decode()
            assert answer.headers["Content-Type"].startswith("text/html")
        with urllib.request.urlopen(base + protocol.METRICS_ROUTE) as answer:
            metrics = answer.read().decode()
    assert "Governance dashboard" in page and "2 records" in page and 'class="kpi"' in page
    assert "govgate_kpi_denominator{" in metrics and 'kpi="evaluations_on_time"' in metrics
    assert datetime.now(UTC) - now < timedelta(minutes=10)
