"""The registration bridge over real HTTP (uvicorn on 127.0.0.1), posting to the real Prefect server
(harness): signatures, timestamps, replays, sizes, and what reaches Prefect."""

from __future__ import annotations

import json
import logging
import threading
import time
import uuid

import httpx
import pytest

from govgate.bridge import (
    REGISTRATION_EVENT,
    TEST_EVENT,
    BridgeConfig,
    Rejected,
    create_app,
    event_id_for,
    sign,
    verify_delivery,
)
from govgate.runtime import free_port

SECRET = "s3cret-for-tests-0123456789abcdef-xyz"


def _prefect_api_url() -> str:
    from prefect.settings import PREFECT_API_URL

    return PREFECT_API_URL.value()


def run_bridge(config: BridgeConfig):
    import uvicorn

    port = free_port()
    server = uvicorn.Server(uvicorn.Config(create_app(config), host="127.0.0.1", port=port, log_level="warning"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 20
    while not server.started:
        assert time.monotonic() < deadline, "bridge did not start"
        time.sleep(0.05)
    return server, thread, f"http://127.0.0.1:{port}"


@pytest.fixture
def bridge(prefect_harness, tmp_path):
    config = BridgeConfig(
        secret=SECRET,
        prefect_api_url=_prefect_api_url(),
        state_dir=tmp_path / "bridge",
        max_body_bytes=4096,
        tolerance=300,
        watch_seconds=0,
    )
    server, thread, url = run_bridge(config)
    yield url, config
    server.should_exit = True
    thread.join(10)


def delivery(
    name="credit-scorer",
    version="3",
    *,
    delivery_id=None,
    stamp=None,
    secret=SECRET,
    entity="model_version",
    action="created",
    body=None,
):
    delivery_id = delivery_id or str(uuid.uuid4())
    stamp = str(int(time.time()) if stamp is None else stamp)
    if body is None:
        data = {
            "name": name,
            "version": version,
            "source": "models:/m-1",
            "run_id": None,
            "tags": {},
            "description": None,
        }
        body = json.dumps(
            {"entity": entity, "action": action, "timestamp": "2026-11-27T00:00:00+00:00", "data": data}
        ).encode()
    headers = {
        "Content-Type": "application/json",
        "X-MLflow-Delivery-Id": delivery_id,
        "X-MLflow-Timestamp": stamp,
        "X-MLflow-Signature": sign(secret, delivery_id, stamp, body),
    }
    return headers, body


def events_named(name: str, since_id: str | None = None) -> list[dict]:
    response = httpx.post(
        f"{_prefect_api_url()}/events/filter",
        json={"filter": {"event": {"name": [name]}, "occurred": {"since": "2020-01-01T00:00:00Z"}}, "limit": 50},
    )
    response.raise_for_status()
    return response.json()["events"]


def wait_for_event(event_id: str, name: str, timeout: float = 20.0) -> dict:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        found = [e for e in events_named(name) if e["id"] == event_id]
        if found:
            return found[0]
        time.sleep(0.5)
    raise AssertionError(f"event {event_id} ({name}) never reached Prefect")


def test_verify_delivery_checks_each_header():
    headers, body = delivery()
    lower = {k.lower(): v for k, v in headers.items()}
    parsed = verify_delivery(SECRET, lower, body, now=time.time(), tolerance=300)
    assert (parsed.entity, parsed.action, parsed.data["name"]) == ("model_version", "created", "credit-scorer")
    cases = [
        (
            {
                **lower,
                "x-mlflow-signature": sign(
                    "other" * 8, lower["x-mlflow-delivery-id"], lower["x-mlflow-timestamp"], body
                ),
            },
            body,
            401,
            "signature",
        ),
        (lower, body + b" ", 401, "signature"),
        ({k: v for k, v in lower.items() if k != "x-mlflow-signature"}, body, 401, "missing x-mlflow-signature"),
        ({k: v for k, v in lower.items() if k != "x-mlflow-delivery-id"}, body, 400, "delivery-id"),
        ({**lower, "x-mlflow-timestamp": "yesterday"}, body, 400, "not a Unix timestamp"),
    ]
    for hdrs, raw, status, words in cases:
        with pytest.raises(Rejected) as info:
            verify_delivery(SECRET, hdrs, raw, now=time.time(), tolerance=300)
        assert info.value.status == status and words in info.value.reason
    with pytest.raises(Rejected, match="outside the 300 s window") as info:
        verify_delivery(SECRET, lower, body, now=time.time() + 301, tolerance=300)
    assert info.value.status == 401


def test_bridge_emits_one_event_per_delivery_and_rejects_the_rest(bridge, caplog):
    url, _ = bridge
    caplog.set_level(logging.INFO, logger="govgate.bridge")
    headers, body = delivery(version="7")
    ok = httpx.post(f"{url}/mlflow", content=body, headers=headers)
    assert ok.status_code == 200, ok.text
    event_id = ok.json()["event_id"]
    assert event_id == event_id_for(headers["X-MLflow-Delivery-Id"])
    event = wait_for_event(event_id, REGISTRATION_EVENT)
    assert event["payload"]["name"] == "credit-scorer" and event["payload"]["version"] == "7"
    assert event["resource"]["prefect.resource.id"] == "mlflow.model-version.credit-scorer.7"

    # the same delivery again: MLflow's retry or an attacker's replay -> 409, no second event
    again = httpx.post(f"{url}/mlflow", content=body, headers=headers)
    assert again.status_code == 409
    stale_h, stale_b = delivery(stamp=int(time.time()) - 3600)
    forged_h, forged_b = delivery(secret="guessed-guessed-guessed-guessed-guessed")
    big_h, big_b = delivery(body=b"{" + b" " * 5000 + b"}")
    junk_h, junk_b = delivery(body=b"not json")
    responses = {
        "stale": httpx.post(f"{url}/mlflow", content=stale_b, headers=stale_h),
        "forged": httpx.post(f"{url}/mlflow", content=forged_b, headers=forged_h),
        "tampered": httpx.post(f"{url}/mlflow", content=body.replace(b'"7"', b'"8"'), headers=headers),
        "oversize": httpx.post(f"{url}/mlflow", content=big_b, headers=big_h),
        "junk": httpx.post(f"{url}/mlflow", content=junk_b, headers=junk_h),
        "unsigned": httpx.post(
            f"{url}/mlflow", content=body, headers={k: v for k, v in delivery()[0].items() if k != "X-MLflow-Signature"}
        ),
    }
    assert {k: r.status_code for k, r in responses.items()} == {
        "stale": 401,
        "forged": 401,
        "tampered": 401,
        "oversize": 413,
        "junk": 400,
        "unsigned": 401,
    }
    assert "outside the 300 s window" in responses["stale"].json()["error"]
    # every rejection is logged with its reason and delivery id, never with the body
    rejected = [r.getMessage() for r in caplog.records if r.getMessage().startswith("rejected delivery")]
    assert len(rejected) == 7 and any(stale_h["X-MLflow-Delivery-Id"] in m for m in rejected)
    assert not any("credit-scorer" in m for m in rejected)
    # events govgate does not act on are acknowledged (no MLflow retries) but not emitted
    tag_h, tag_b = delivery(entity="model_version_tag", action="set")
    assert httpx.post(f"{url}/mlflow", content=tag_b, headers=tag_h).status_code == 202

    health = httpx.get(f"{url}/health").json()
    assert health["emitted"] == 1 and health["ignored"] == 1
    assert health["rejected"] == {"409": 1, "401": 4, "413": 1, "400": 1}
    mine = [
        e
        for e in events_named(REGISTRATION_EVENT)
        if e["payload"].get("delivery_id") == headers["X-MLflow-Delivery-Id"]
    ]
    assert len(mine) == 1


def test_mlflow_test_delivery_is_not_a_registration(bridge):
    url, _ = bridge
    body = json.dumps(
        {
            "entity": "model_version",
            "action": "created",
            "timestamp": "x",
            "data": {
                "name": "example_model",
                "version": "1",
                "source": "models:/123",
                "run_id": "abcd1234abcd5678",
                "tags": {},
                "description": None,
            },
        }
    ).encode()
    headers, _ = delivery(body=body)
    response = httpx.post(f"{url}/mlflow", content=body, headers=headers)
    assert response.status_code == 200 and response.json()["event"] == TEST_EVENT
    wait_for_event(response.json()["event_id"], TEST_EVENT)


def test_delivery_is_released_when_prefect_is_down_so_the_retry_succeeds(prefect_harness, tmp_path):
    state = tmp_path / "bridge"
    down = BridgeConfig(
        secret=SECRET, prefect_api_url=f"http://127.0.0.1:{free_port()}/api", state_dir=state, watch_seconds=0
    )
    headers, body = delivery(version="11")
    server, thread, url = run_bridge(down)
    try:
        response = httpx.post(f"{url}/mlflow", content=body, headers=headers)
        assert response.status_code == 503 and "retry" in response.json()["error"]
    finally:
        server.should_exit = True
        thread.join(10)
    up = BridgeConfig(secret=SECRET, prefect_api_url=_prefect_api_url(), state_dir=state, watch_seconds=0)
    server, thread, url = run_bridge(up)
    try:
        retry = httpx.post(f"{url}/mlflow", content=body, headers=headers)  # same delivery id, same ledger
        assert retry.status_code == 200, retry.text
        wait_for_event(retry.json()["event_id"], REGISTRATION_EVENT)
    finally:
        server.should_exit = True
        thread.join(10)


def test_bridge_refuses_to_start_without_a_secret(monkeypatch, tmp_path):
    from govgate.errors import ConfigError
    from govgate.settings import load_settings

    monkeypatch.setenv("GOVGATE_HOME", str(tmp_path))
    monkeypatch.setenv("GOVGATE_PREFECT_API_URL", "http://127.0.0.1:4200/api")
    with pytest.raises(ConfigError, match="GOVGATE_BRIDGE_SECRET"):
        BridgeConfig.from_settings(load_settings())
    for weak in (" ", "x", "a" * 31):
        monkeypatch.setenv("GOVGATE_BRIDGE_SECRET", weak)
        with pytest.raises(ConfigError, match="GOVGATE_BRIDGE_SECRET"):
            BridgeConfig.from_settings(load_settings())
    monkeypatch.setenv("GOVGATE_BRIDGE_SECRET", SECRET)
    assert BridgeConfig.from_settings(load_settings()).secret == SECRET
    with pytest.raises(ConfigError, match="at least 32"):
        BridgeConfig(secret="short", prefect_api_url="http://127.0.0.1:1/api", state_dir=tmp_path)


def _signed(url: str, body: bytes, stamp: str | None = None):
    headers, _ = delivery(body=body, stamp=stamp)
    return httpx.post(f"{url}/mlflow", content=body, headers=headers)


def _created(name, version) -> bytes:
    data = {"name": name, "version": version, "source": "models:/m-1"}
    return json.dumps({"entity": "model_version", "action": "created", "data": data}).encode()


def test_bridge_answers_hostile_requests_with_a_counted_4xx_and_no_traceback(prefect_harness, tmp_path):
    config = BridgeConfig(
        secret=SECRET,
        prefect_api_url=_prefect_api_url(),
        state_dir=tmp_path / "bridge",
        max_body_bytes=1_000_000,
        watch_seconds=0,
    )
    server, thread, url = run_bridge(config)
    deep = b'{"entity": "model_version", "action": "created", "data": ' + b"[" * 100_000 + b"]" * 100_000 + b"}"
    try:
        unsigned = {"X-MLflow-Delivery-Id": "d-1", "X-MLflow-Signature": "v1,AAAA"}
        answers = {
            "superscript stamp": httpx.post(
                f"{url}/mlflow", content=b"{}", headers={**unsigned, "X-MLflow-Timestamp": "\u00b2".encode("latin-1")}
            ),
            "5,000-digit stamp": httpx.post(
                f"{url}/mlflow", content=b"{}", headers={**unsigned, "X-MLflow-Timestamp": "9" * 5000}
            ),
            "100,000-deep body": _signed(url, deep),
            "NaN version": _signed(
                url, b'{"entity": "model_version", "action": "created", "data": {"name": "m", "version": NaN}}'
            ),
            "object version": _signed(url, _created("m", {"v": 1})),
            "bool version": _signed(url, _created("m", True)),
            "zero version": _signed(url, _created("m", "0")),
            "100 KB name": _signed(url, _created("m" * 100_000, "1")),
            "control name": _signed(url, _created("m\n1", "1")),
            "blank name": _signed(url, _created("  ", "1")),
        }
        codes = {case: r.status_code for case, r in answers.items()}
        assert codes == {case: 400 for case in answers}, codes
        for case, r in answers.items():
            assert "Traceback" not in r.text and len(r.text) < 500, (case, r.text[:500])
        health = httpx.get(f"{url}/health").json()
        assert health["rejected"] == {"400": len(answers)} and health["emitted"] == 0
        ok = _signed(url, _created("credit-scorer", 12))  # an integer version is how MLflow may send it
        assert ok.status_code == 200, ok.text
    finally:
        server.should_exit = True
        thread.join(10)
