"""The decision where people look in Prefect, on a real Prefect server (harness): the flow run's name,
tags and final state, the short summary and checks-table artifacts, and the ``govgate.gate.decided``
event an automation can fire on (one created through the client here, and seen to fire)."""

from __future__ import annotations

import json
import time
from uuid import UUID

import pytest

from flows.data_review import data_review
from flows.runner import run_flow
from govgate import demo_data
from govgate.protocol import GATE_DECIDED_EVENT
from govgate.summary import CELL_CHARS
from tasks.evidence import artifact_key

SERVED = "http://127.0.0.1:8599"  # links are built from the setting; nothing needs to listen in this test
SHEET = (
    "name: {name}\nowner: govgate-tests\nsource: written by the test\npurpose: visibility test\n"
    "legal_basis: legitimate_interests\nretention: P30D\ntier: low\n"
    "columns: [{{name: id}}, {{name: amount}}, {{name: note}}]\n"
)


def _inputs(folder, leak: bool):
    folder.mkdir(parents=True, exist_ok=True)
    name = "leaky-notes" if leak else "clean-notes"
    note = f"aws_secret_access_key={demo_data._FAKE_SECRET}" if leak else "fine"
    rows = [f"{i},{10 + i},{note if i == 3 else 'fine'}" for i in range(1, 8)]
    data = folder / f"{name}.csv"  # the datasheet name is the subject
    data.write_text("id,amount,note\n" + "\n".join(rows) + "\n")
    sheet = folder / f"{name}.yaml"
    sheet.write_text(SHEET.format(name=name))
    return data, sheet


@pytest.fixture
def served_settings(local_settings, monkeypatch):
    monkeypatch.setenv("GOVGATE_EVIDENCE_HTTP_URL", SERVED)
    return local_settings


def _server_view(flow_run_id: UUID):
    from prefect.client.orchestration import get_client
    from prefect.client.schemas.filters import FlowRunFilter, FlowRunFilterId

    with get_client(sync_client=True) as client:
        run = client.read_flow_run(flow_run_id)
        artifacts = client.read_artifacts(flow_run_filter=FlowRunFilter(id=FlowRunFilterId(any_=[flow_run_id])))
    return run, {a.key: a for a in artifacts}


def _decided_events(record_id: str, timeout: float = 30.0) -> list:
    from prefect.client.orchestration import get_client
    from prefect.events.filters import EventFilter, EventNameFilter, EventResourceFilter

    flt = EventFilter(
        event=EventNameFilter(name=[GATE_DECIDED_EVENT]),
        resource=EventResourceFilter(id=[f"govgate.gate-run.{record_id}"]),
    )
    deadline = time.monotonic() + timeout
    with get_client(sync_client=True) as client:
        while True:
            events = client.read_events(filter=flt, limit=50).events  # the server allows at most 50
            if events or time.monotonic() > deadline:
                return events
            time.sleep(1)


def test_a_failing_gate_run_is_red_named_tagged_and_summarised(prefect_harness, served_settings, tmp_path):
    data, sheet = _inputs(tmp_path / "in", leak=True)
    state = data_review(dataset=str(data), datasheet=str(sheet), return_state=True)

    assert state.is_failed() and state.name == "Gate failed", (state.type, state.name)
    result = state.result(raise_on_failure=False)  # the gate's result rides on the Failed state
    assert result["decision"] == "fail" and result["report_url"].startswith(f"{SERVED}/evidence/")
    assert state.message.startswith("FAIL: data.secrets.note")

    run, artifacts = _server_view(state.state_details.flow_run_id)
    assert run.state.type.value == "FAILED" and run.state.name == "Gate failed"
    assert run.name == "data-review: leaky-notes -> FAIL"
    assert {"govgate", "gate:data-review", "decision:fail", "tier:low"} <= set(run.tags), run.tags

    summary = artifacts[artifact_key("data-review", "summary")].data
    assert summary.startswith("## FAIL: data-review of leaky-notes")
    assert "**Why**" in summary and "data.secrets.note" in summary
    assert f"[HTML report]({result['report_url']})" in summary and "file://" not in summary
    assert len(summary) < 3000, "the summary is short; the report has the rest"
    assert demo_data._FAKE_SECRET not in summary

    rows = artifacts[artifact_key("data-review", "checks")].data
    rows = rows if isinstance(rows, list) else json.loads(rows)
    assert rows[0]["outcome"] == "fail" and "secret" in rows[0]["check"].lower() + rows[0]["concern"].lower()
    for row in rows:
        assert set(row) == {"outcome", "concern", "check", "value", "threshold"}
        for column, limit in CELL_CHARS.items():
            assert len(row[column]) <= limit, (column, row[column])
    assert f"({result['report_url']})" in artifacts[artifact_key("data-review", "evidence")].data

    (event,) = _decided_events(result["record_id"])
    assert event.resource["govgate.decision"] == "fail" and event.resource["govgate.gate"] == "data-review"
    assert event.resource["govgate.tier"] == "low"
    assert event.payload["report_url"] == result["report_url"]
    assert any(r.id == f"prefect.flow-run.{run.id}" for r in event.related)


def test_a_passing_gate_run_is_completed_passed_and_callers_get_the_dict(prefect_harness, local_settings, tmp_path):
    data, sheet = _inputs(tmp_path / "in", leak=False)
    result = data_review(dataset=str(data), datasheet=str(sheet))  # a plain call still returns the result
    assert result["decision"] == "pass" and "report_url" not in result  # no evidence server configured

    from prefect.client.orchestration import get_client
    from prefect.client.schemas.filters import FlowRunFilter, FlowRunFilterTags

    with get_client(sync_client=True) as client:
        runs = client.read_flow_runs(
            flow_run_filter=FlowRunFilter(tags=FlowRunFilterTags(all_=["gate:data-review", "decision:pass"]))
        )
    (run,) = [r for r in runs if r.name == "data-review: clean-notes -> PASS"]
    assert run.state.type.value == "COMPLETED" and run.state.name == "Passed"
    _, artifacts = _server_view(run.id)
    summary = artifacts[artifact_key("data-review", "summary")].data
    assert summary.startswith("## PASS: data-review of clean-notes")
    assert "not served over http: run `govgate serve`" in summary  # a local file is said plainly


def test_the_cli_runner_returns_a_failing_gates_result(prefect_harness, local_settings, tmp_path):
    """`govgate data-review` reads the result of a Failed run (exit 3), it does not crash on it."""
    data, sheet = _inputs(tmp_path / "in", leak=True)
    result = run_flow(data_review, dataset=str(data), datasheet=str(sheet))
    assert result["decision"] == "fail" and result["record_uri"].startswith("file://")


def test_an_automation_fires_on_a_failed_gate(prefect_harness, local_settings, tmp_path):
    """The documented automation (docs/prefect-ui.md, deployments/automations.py), created through the
    client, is triggered by the decided event of a failing gate."""
    from prefect.client.orchestration import get_client
    from prefect.events.filters import EventFilter, EventNameFilter, EventResourceFilter

    from deployments.automations import gate_failed_automation

    automation = gate_failed_automation(name=f"gate-failed-{tmp_path.name}", actions=None).create()
    data, sheet = _inputs(tmp_path / "in", leak=True)
    state = data_review(dataset=str(data), datasheet=str(sheet), return_state=True)
    assert state.is_failed()

    flt = EventFilter(
        event=EventNameFilter(prefix=["prefect.automation.triggered", "prefect.automation.action"]),
        resource=EventResourceFilter(id=[f"prefect.automation.{automation.id}"]),
    )
    deadline = time.monotonic() + 90
    with get_client(sync_client=True) as client:
        while not (fired := client.read_events(filter=flt, limit=50).events) and time.monotonic() < deadline:
            time.sleep(2)
    automation.delete()
    assert fired, f"automation {automation.name} did not fire within 90 s of the gate's FAIL"


def test_the_evidence_server_serves_evidence_files_only_read_only(local_settings):
    """`govgate serve`'s http view of a local store: evidence files yes; listings, other prefixes, paths
    that climb out, and writes no."""
    import urllib.error
    import urllib.request

    from govgate.evidence_server import serve_evidence
    from govgate.store import open_store

    store = open_store(local_settings)
    store.put("evidence/x/report.html", b"<html>report</html>")
    store.put("raw/customers.csv", b"name\nAnn\n")

    def status(url: str, method: str = "GET") -> int:
        try:
            with urllib.request.urlopen(urllib.request.Request(url, method=method), timeout=5) as r:
                return r.status
        except urllib.error.HTTPError as exc:
            return exc.code

    with serve_evidence(local_settings) as base:
        assert base.startswith("http://127.0.0.1:")
        with urllib.request.urlopen(f"{base}/evidence/x/report.html", timeout=5) as r:
            assert r.read() == b"<html>report</html>" and r.headers["Content-Type"].startswith("text/html")
        assert status(f"{base}/evidence/x/") == 404  # no listings
        assert status(f"{base}/raw/customers.csv") == 404  # raw data is never served
        assert status(f"{base}/evidence/../raw/customers.csv") == 404
        assert status(f"{base}/evidence/%2e%2e/raw/customers.csv") == 404
        assert status(f"{base}/evidence/x/report.html", "POST") == 405


def test_the_cli_runner_reraises_a_gate_that_could_not_run(prefect_harness, local_settings, tmp_path):
    """A gate that raised (bad input) is re-raised by run_flow with its own error, so the CLI prints it."""
    from govgate.errors import GovgateError

    with pytest.raises(GovgateError, match="nothing.csv"):
        run_flow(data_review, dataset=str(tmp_path / "nothing.csv"))
