"""``govgate.incident.opened`` on a real Prefect server: the event arrives (read back through the client),
a re-run that finds the open incident emits nothing, and the documented automation
(deployments/incident_automation.py) fires: the server calls a webhook on a local HTTP server."""

from __future__ import annotations

import json
import threading
import time
from datetime import UTC, datetime, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from govgate.incidents import Asset, IncidentKind, Jurisdiction
from govgate.protocol import INCIDENT_OPENED_EVENT, INCIDENT_RESOURCE_PREFIX
from govgate.record import AssetKind, Severity
from govgate.store import LocalStore


@pytest.fixture
def webhook_receiver():
    """A local HTTP server that keeps every POST body it receives."""
    received: list[dict] = []

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self):
            body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
            received.append({"path": self.path, "body": body.decode("utf-8", "replace")})
            self.send_response(200)
            self.end_headers()

        def log_message(self, *args):
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}/notify", received
    server.shutdown()
    server.server_close()


def _opened_events(client, incident_id: str) -> list:
    from prefect.events.filters import EventFilter, EventNameFilter, EventOccurredFilter, EventResourceFilter

    page = client.read_events(
        EventFilter(
            occurred=EventOccurredFilter(since=datetime.now(UTC) - timedelta(hours=1)),
            event=EventNameFilter(name=[INCIDENT_OPENED_EVENT]),
            resource=EventResourceFilter(id=[INCIDENT_RESOURCE_PREFIX + incident_id]),
        ),
        limit=50,
    )
    return page.events


def test_an_opened_incident_emits_one_event_and_the_automation_notifies(prefect_harness, tmp_path, webhook_receiver):
    from prefect import flow
    from prefect.client.orchestration import get_client

    from deployments.incident_automation import install
    from flows.runner import drain
    from tasks.incidents import open_incident_task

    url, received = webhook_receiver
    automation = install(url, name="incident-test-automation", block_name="incident-test-webhook")
    time.sleep(4)  # the server's trigger service loads new automations
    store = LocalStore(tmp_path / "store")
    asset = Asset(kind=AssetKind.MODEL, id="credit-scorer", version="7")

    @flow(name="incident-event-test")
    def reassess() -> dict:
        return open_incident_task(
            asset=asset,
            cause="fairness.fpr_gap",
            summary='FPR for "women" rose by 0.09 over the baseline',
            severity=Severity.HIGH,
            by="reassessment",
            evidence=["s3://bucket/evidence/model/credit-scorer/7/reassessment/r1/record.json"],
            kinds=[IncidentKind.SERIOUS_INCIDENT],
            jurisdictions=[Jurisdiction.EU, Jurisdiction.VN],
            store=store,
        )

    first, second = reassess(), reassess()
    drain()
    assert first["created"] and first["event_id"]
    assert not second["created"] and second["event_id"] is None and second["incident_id"] == first["incident_id"]

    with get_client(sync_client=True) as client:
        deadline = time.monotonic() + 60
        while not (events := _opened_events(client, first["incident_id"])) and time.monotonic() < deadline:
            time.sleep(1)
        assert len(events) == 1, events  # the re-run emitted nothing
        event = events[0]
        assert str(event.id) == first["event_id"]
        assert event.resource.id == INCIDENT_RESOURCE_PREFIX + first["incident_id"]
        # Prefect adds the flow run and task run as related resources; the asset is ours
        (related,) = [r for r in event.related if r.role == "asset"]
        assert "flow-run" in {r.role for r in event.related}
        assert related.id == "govgate.asset.model.credit-scorer" and related.role == "asset"
        assert event.payload["severity"] == "high" and event.payload["asset"]["version"] == "7"
        assert {c["id"] for c in event.payload["clocks"]} == {"eu-ai-act-art73-2", "vn-ai-law-art12"}

        deadline = time.monotonic() + 90
        while not received and time.monotonic() < deadline:
            time.sleep(1)
        assert received, "the automation did not call the webhook within 90 s"
        body = json.loads(received[0]["body"])
        assert body["event"] == INCIDENT_OPENED_EVENT
        assert body["incident"]["incident_id"] == first["incident_id"]
        assert f"govgate incident {first['incident_id']} opened (high) on credit-scorer v7" in body["text"]
        assert '"women"' in body["text"]  # quotes in a summary stay valid JSON
        time.sleep(3)
        assert len(received) == 1  # one incident, one notification
        client.delete_automation(automation.id)
