"""The registration bridge: MLflow model-registry webhooks in, Prefect events out (``govgate bridge``).

The open-source Prefect server has no incoming webhooks (FIELD-NOTES), so this small receiver checks each
MLflow delivery and turns it into a Prefect event that a ``DeploymentEventTrigger`` on the model-review
deployment turns into a run. What it checks, in order, and what the sender gets back:

- body larger than ``max_body_bytes``                          -> 413
- missing delivery id / timestamp headers, a timestamp that is
  not 1-12 ASCII digits                                        -> 400
- timestamp further than ``tolerance`` seconds from now        -> 401 (a captured delivery replayed later)
- missing or wrong ``X-MLflow-Signature`` (HMAC-SHA256)        -> 401
- a delivery id already accepted                               -> 409 (MLflow retries; replays)
- body that is not an MLflow webhook JSON object (or nests
  deeper than JSON parsing allows)                             -> 400
- a model name that is empty, over 256 characters or holds
  control characters; a version that is not a positive integer -> 400
- an event govgate does not act on                             -> 202, nothing emitted
- Prefect did not take the event                               -> 503 and the delivery id is released,
                                                                  so MLflow's retry can succeed
- anything unforeseen                                          -> 500 with a one-line reason (no
                                                                  traceback to the sender), counted

Every refusal is counted in ``GET /health`` under its status.

The event is posted to Prefect's REST API (``POST /api/events``) and acknowledged only after the server
accepted it; ``prefect.events.emit_event`` would queue it on a background worker and acknowledge a delivery
that may still be lost. The event id is derived from the delivery id, which lets the failure watcher tie a
``prefect.automation.action.failed`` event (a trigger whose parameters failed validation creates no run)
back to the model version it was for. Nothing here imports Prefect.
"""

from __future__ import annotations

import asyncio
import base64
import contextlib
import hashlib
import hmac
import json
import logging
import os
import sqlite3
import threading
import time
import uuid
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from govgate import protocol
from govgate.errors import ConfigError

log = logging.getLogger("govgate.bridge")

DELIVERY_HEADER = "x-mlflow-delivery-id"
TIMESTAMP_HEADER = "x-mlflow-timestamp"
SIGNATURE_HEADER = "x-mlflow-signature"
# Event ids are uuid5(delivery id) in this namespace: stable across retries of one delivery.
EVENT_NAMESPACE = uuid.UUID("5d1e6c2a-8f4b-4c1e-9a57-0b6f2d4e9c11")
REGISTRATION_EVENT = protocol.REGISTRATION_EVENT
TEST_EVENT = protocol.BRIDGE_TEST_EVENT
# An HMAC key shorter than its hash's output is guessable sooner than it need be (RFC 2104, section 3).
MIN_SECRET_BYTES = 32
MAX_MODEL_NAME = 256
MAX_TIMESTAMP_DIGITS = 12  # seconds since 1970 fit in 11 digits until the year 5138
FAILED_ACTION_EVENT = protocol.FAILED_ACTION_EVENT
# MLflow's test_webhook() sends its documented example payload; it proves the path, it is no registration.
MLFLOW_EXAMPLE_VERSION = {
    "name": "example_model",
    "version": "1",
    "source": "models:/123",
    "run_id": "abcd1234abcd5678",
}


class Rejected(Exception):
    """A delivery the bridge refuses; ``status`` is the HTTP status returned to the sender."""

    def __init__(self, status: int, reason: str):
        super().__init__(reason)
        self.status = status
        self.reason = reason


@dataclass(frozen=True)
class Delivery:
    delivery_id: str
    timestamp: int
    entity: str
    action: str
    data: dict[str, Any]


def sign(secret: str, delivery_id: str, timestamp: str, body: bytes) -> str:
    """MLflow's signature: ``v1,`` + base64(HMAC-SHA256(secret, "<delivery_id>.<timestamp>.<body>"))."""
    content = f"{delivery_id}.{timestamp}.".encode() + body
    return "v1," + base64.b64encode(hmac.new(secret.encode(), content, hashlib.sha256).digest()).decode()


def verify_delivery(secret: str, headers: dict[str, str], body: bytes, *, now: float, tolerance: int) -> Delivery:
    """Check one delivery (headers with lower-case names) and parse it, or raise ``Rejected``."""
    delivery_id = headers.get(DELIVERY_HEADER, "").strip()
    stamp = headers.get(TIMESTAMP_HEADER, "").strip()
    if not delivery_id or len(delivery_id) > 128:
        raise Rejected(400, f"missing or oversized {DELIVERY_HEADER} header")
    # str.isdigit() accepts "²" and int() refuses 5,000 digits: both must be a 400, not a crash.
    if not (stamp.isascii() and stamp.isdigit() and len(stamp) <= MAX_TIMESTAMP_DIGITS):
        raise Rejected(400, f"{TIMESTAMP_HEADER} header {stamp[:32]!r} is not a Unix timestamp")
    if abs(now - int(stamp)) > tolerance:
        raise Rejected(
            401, f"timestamp {stamp} is {int(now - int(stamp))} s from now, outside the {tolerance} s window"
        )
    given = headers.get(SIGNATURE_HEADER, "")
    if not given:
        raise Rejected(401, f"missing {SIGNATURE_HEADER} header (the webhook must be created with a secret)")
    if not hmac.compare_digest(given.encode(), sign(secret, delivery_id, stamp, body).encode()):
        raise Rejected(401, "signature does not match (wrong secret, or the body was altered)")
    try:
        message = json.loads(body)
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise Rejected(400, f"body is not JSON: {exc}") from None
    except RecursionError:
        raise Rejected(400, "body nests deeper than JSON parsing allows") from None
    if not isinstance(message, dict) or not isinstance(message.get("data"), dict):
        raise Rejected(400, "body is not an MLflow webhook message: expected an object with entity, action and data")
    entity, action = message.get("entity"), message.get("action")
    if not isinstance(entity, str) or not isinstance(action, str):
        raise Rejected(400, "body lacks the string fields entity and action")
    return Delivery(delivery_id=delivery_id, timestamp=int(stamp), entity=entity, action=action, data=message["data"])


def model_name(value: Any) -> str:
    """A registered model's name as the bridge accepts it, or ``Rejected`` (400)."""
    if not isinstance(value, str) or not value.strip():
        raise Rejected(400, "model_version.created without a data.name string")
    if len(value) > MAX_MODEL_NAME or any(ord(c) < 32 or ord(c) == 127 for c in value):
        raise Rejected(400, f"data.name is over {MAX_MODEL_NAME} characters or holds control characters")
    return value


def model_version(value: Any) -> str:
    """A model version as MLflow numbers them (a positive integer, as a number or a string), or ``Rejected``."""
    text = str(value) if isinstance(value, (str, int)) and not isinstance(value, bool) else ""
    if not (text.isascii() and text.isdigit() and 0 < len(text) <= 10 and int(text) > 0):
        raise Rejected(400, f"data.version {str(value)[:32]!r} is not a positive integer")
    return str(int(text))


def check_secret(secret: str | None) -> str:
    """The webhook's shared secret, refused when missing, blank or too short to be a key."""
    if secret is None or not secret.strip():
        raise ConfigError(
            "the bridge needs the webhook's shared secret: set GOVGATE_BRIDGE_SECRET (the same secret "
            "`govgate webhook install` gives MLflow); unsigned deliveries would let anyone start reviews"
        )
    if len(secret.encode()) < MIN_SECRET_BYTES:
        raise ConfigError(
            f"GOVGATE_BRIDGE_SECRET is {len(secret.encode())} bytes: use at least {MIN_SECRET_BYTES} random bytes "
            "(e.g. python -c 'import secrets; print(secrets.token_urlsafe(32))')"
        )
    return secret


def event_id_for(delivery_id: str) -> str:
    return str(uuid.uuid5(EVENT_NAMESPACE, delivery_id))


def prefect_event(delivery: Delivery, tracking_uri: str | None = None) -> dict[str, Any] | None:
    """The Prefect event for a delivery, or None when govgate does not act on it."""
    data = delivery.data
    if (delivery.entity, delivery.action) != ("model_version", "created"):
        return None
    name, version = model_name(data.get("name")), model_version(data.get("version"))
    is_test = all(data.get(k) == v for k, v in MLFLOW_EXAMPLE_VERSION.items())
    labels = {"mlflow.model.name": name, "mlflow.model.version": version}
    if tracking_uri:
        labels["mlflow.tracking_uri"] = tracking_uri
    return {
        "id": event_id_for(delivery.delivery_id),
        "occurred": datetime.fromtimestamp(delivery.timestamp, UTC).isoformat(),
        "event": TEST_EVENT if is_test else REGISTRATION_EVENT,
        "resource": {
            "prefect.resource.id": f"mlflow.model-version.{name}.{version}",
            "prefect.resource.name": f"{name} v{version}",
            **labels,
        },
        "related": [
            {"prefect.resource.id": f"mlflow.registered-model.{name}", "prefect.resource.role": "registered-model"}
        ],
        # Only what a trigger needs: tags and descriptions may hold anything and events are kept 7 days.
        "payload": {
            "name": name,
            "version": version,
            "run_id": data.get("run_id"),
            "source": data.get("source"),
            "delivery_id": delivery.delivery_id,
        },
    }


class DeliveryLedger:
    """Delivery ids already turned into events (SQLite, survives restarts), kept for ``keep_days``."""

    def __init__(self, path: Path, keep_days: int = 14):
        path.parent.mkdir(parents=True, exist_ok=True)
        self._db = sqlite3.connect(str(path), check_same_thread=False, isolation_level=None)
        self._lock = threading.Lock()
        self._db.execute("PRAGMA journal_mode=WAL")
        self._db.execute(
            "CREATE TABLE IF NOT EXISTS deliveries (delivery_id TEXT PRIMARY KEY, event_id TEXT, model TEXT, "
            "version TEXT, received REAL)"
        )
        self._db.execute("CREATE INDEX IF NOT EXISTS deliveries_event ON deliveries (event_id)")
        self._db.execute("DELETE FROM deliveries WHERE received < ?", (time.time() - keep_days * 86400,))

    def claim(self, delivery_id: str, event_id: str, model: str, version: str) -> bool:
        """True when the id is new (and now taken); False for a duplicate."""
        with self._lock:
            cur = self._db.execute(
                "INSERT OR IGNORE INTO deliveries VALUES (?, ?, ?, ?, ?)",
                (delivery_id, event_id, model, version, time.time()),
            )
            return cur.rowcount == 1

    def release(self, delivery_id: str) -> None:
        with self._lock:
            self._db.execute("DELETE FROM deliveries WHERE delivery_id = ?", (delivery_id,))

    def by_event(self, event_id: str) -> tuple[str, str, str] | None:
        with self._lock:
            row = self._db.execute(
                "SELECT delivery_id, model, version FROM deliveries WHERE event_id = ?", (event_id,)
            ).fetchone()
        return tuple(row) if row else None

    def close(self) -> None:
        self._db.close()


@dataclass
class BridgeConfig:
    secret: str
    prefect_api_url: str
    state_dir: Path
    max_body_bytes: int = 256 * 1024
    tolerance: int = 300
    tracking_uri: str | None = None
    watch_seconds: float = 5.0
    prefect_auth: str | None = field(default_factory=lambda: os.environ.get("PREFECT_API_AUTH_STRING"))

    def __post_init__(self) -> None:
        check_secret(self.secret)

    @classmethod
    def from_settings(cls, settings, **overrides) -> BridgeConfig:
        check_secret(settings.bridge_secret.get_secret_value() if settings.bridge_secret else None)
        api = settings.prefect_api_url or os.environ.get("PREFECT_API_URL")
        if not api:
            raise ConfigError(
                "the bridge posts events to a Prefect server: set GOVGATE_PREFECT_API_URL (e.g. http://127.0.0.1:4200/api)"
            )
        values = dict(
            secret=settings.bridge_secret.get_secret_value(),
            prefect_api_url=api.rstrip("/"),
            state_dir=settings.home_dir / "bridge",
            max_body_bytes=settings.bridge_max_body_bytes,
            tolerance=settings.bridge_timestamp_tolerance,
            tracking_uri=settings.mlflow_tracking_uri or None,
        )
        return cls(**{**values, **overrides})


@dataclass
class BridgeStats:
    started: str = field(default_factory=lambda: datetime.now(UTC).isoformat())
    accepted: int = 0
    emitted: int = 0
    ignored: int = 0
    tests: int = 0
    rejected: dict[str, int] = field(default_factory=dict)
    trigger_failures: int = 0
    last_failure: dict[str, Any] | None = None


def create_app(config: BridgeConfig):
    """The bridge's ASGI app: ``POST /mlflow`` for deliveries, ``GET /health`` with counters,
    ``GET /failures`` with the trigger failures seen."""
    from starlette.applications import Starlette
    from starlette.routing import Route

    bridge = Bridge(config)
    return Starlette(
        routes=[
            Route("/mlflow", bridge.receive, methods=["POST"]),
            Route("/health", bridge.health),
            Route("/failures", bridge.failures),
        ],
        lifespan=bridge.lifespan,
    )


class Bridge:
    """One running bridge: its ledger, counters and Prefect client, and the handlers of its routes."""

    def __init__(self, config: BridgeConfig):
        import httpx

        self.config = config
        self.ledger = DeliveryLedger(config.state_dir / "deliveries.sqlite")
        self.stats = BridgeStats()
        self.failures_path = config.state_dir / "trigger-failures.jsonl"
        auth = None
        if config.prefect_auth and ":" in config.prefect_auth:
            auth = tuple(config.prefect_auth.split(":", 1))
        self.client = httpx.AsyncClient(base_url=config.prefect_api_url, timeout=10.0, auth=auth)

    def reject(self, request, status: int, reason: str, delivery_id: str = ""):
        from starlette.responses import JSONResponse

        key = str(status)
        self.stats.rejected[key] = self.stats.rejected.get(key, 0) + 1
        peer = request.client.host if request.client else "?"
        log.warning("rejected delivery %s from %s: %d %s", delivery_id or "(no id)", peer, status, reason)
        return JSONResponse({"error": reason}, status_code=status)

    async def read_body(self, request) -> bytes:
        limit = self.config.max_body_bytes
        declared = request.headers.get("content-length")
        if declared and declared.isdigit() and int(declared) > limit:
            raise Rejected(413, f"body of {declared} bytes exceeds the {limit}-byte limit")
        chunks, size = [], 0
        async for chunk in request.stream():
            size += len(chunk)
            if size > limit:
                raise Rejected(413, f"body exceeds the {limit}-byte limit")
            chunks.append(chunk)
        return b"".join(chunks)

    async def receive(self, request):
        from starlette.responses import JSONResponse

        delivery_id = request.headers.get(DELIVERY_HEADER, "")[:128]
        try:
            body = await self.read_body(request)
            headers = {k.lower(): v for k, v in request.headers.items()}
            now = time.time()
            delivery = verify_delivery(self.config.secret, headers, body, now=now, tolerance=self.config.tolerance)
            event = prefect_event(delivery, self.config.tracking_uri)
        except Rejected as exc:
            return self.reject(request, exc.status, exc.reason, delivery_id)
        except Exception as exc:  # a defect here must not hand the sender a traceback, and must be counted
            log.exception("delivery %s: unexpected failure", delivery_id or "(no id)")
            return self.reject(request, 500, f"internal error ({type(exc).__name__})", delivery_id)
        if event is None:
            self.stats.ignored += 1
            log.info("delivery %s: %s.%s is not acted on", delivery.delivery_id, delivery.entity, delivery.action)
            return JSONResponse({"ignored": f"{delivery.entity}.{delivery.action}"}, status_code=202)
        name, version = event["payload"]["name"], event["payload"]["version"]
        if not self.ledger.claim(delivery.delivery_id, event["id"], name, version):
            return self.reject(request, 409, "delivery id already accepted (retry or replay)", delivery.delivery_id)
        return await self.emit(delivery, event)

    async def emit(self, delivery: Delivery, event: dict[str, Any]):
        """Post the event; acknowledge only what Prefect took (else 503 and the id is released)."""
        import httpx
        from starlette.responses import JSONResponse

        try:
            response = await self.client.post("/events", json=[event])
            response.raise_for_status()
        except httpx.HTTPError as exc:
            self.ledger.release(delivery.delivery_id)  # let MLflow's retry through
            log.error("delivery %s: Prefect did not take the event: %s", delivery.delivery_id, exc)
            return JSONResponse({"error": "Prefect server unavailable; retry"}, status_code=503)
        self.stats.accepted += 1
        if event["event"] == TEST_EVENT:
            self.stats.tests += 1
        else:
            self.stats.emitted += 1
        payload = event["payload"]
        log.info(
            "delivery %s: %s for %s v%s emitted as event %s",
            delivery.delivery_id,
            event["event"],
            payload["name"],
            payload["version"],
            event["id"],
        )
        return JSONResponse({"event": event["event"], "event_id": event["id"]}, status_code=200)

    async def health(self, request):
        from starlette.responses import JSONResponse

        return JSONResponse({"status": "ok", **self.stats.__dict__})

    async def failures(self, request):
        from starlette.responses import JSONResponse

        path = self.failures_path
        rows = [json.loads(line) for line in path.read_text().splitlines()] if path.exists() else []
        return JSONResponse(rows)

    async def watch_failed_triggers(self) -> None:
        """Report every automation action that failed (e.g. trigger parameters that did not validate),
        naming the model version when the triggering event came from this bridge."""
        import httpx

        since = datetime.now(UTC) - timedelta(minutes=1)
        seen: set[str] = set()
        while True:
            try:
                body = {
                    "filter": {"event": {"name": [FAILED_ACTION_EVENT]}, "occurred": {"since": since.isoformat()}},
                    "limit": 50,
                }
                response = await self.client.post("/events/filter", json=body)
                response.raise_for_status()
                for ev in response.json().get("events", []):
                    if ev["id"] not in seen:
                        seen.add(ev["id"])
                        self.note_failure(failure_report(ev, self.ledger))
            except (httpx.HTTPError, ValueError, KeyError) as exc:
                log.warning("could not read failed automation actions from Prefect: %s", exc)
            await asyncio.sleep(self.config.watch_seconds)

    def note_failure(self, report: dict[str, Any]) -> None:
        self.stats.trigger_failures += 1
        self.stats.last_failure = report
        with self.failures_path.open("a") as f:
            f.write(json.dumps(report) + "\n")
        log.error("trigger failed: automation %r for %s: %s", report["automation"], report["subject"], report["reason"])

    @contextlib.asynccontextmanager
    async def lifespan(self, app):
        watcher = asyncio.create_task(self.watch_failed_triggers()) if self.config.watch_seconds > 0 else None
        try:
            yield
        finally:
            if watcher:
                watcher.cancel()
            await self.client.aclose()
            self.ledger.close()


def failure_report(event: dict[str, Any], ledger: DeliveryLedger) -> dict[str, Any]:
    resource = event.get("resource", {})
    triggering = next(
        (
            r["prefect.resource.id"].removeprefix("prefect.event.")
            for r in event.get("related", [])
            if r.get("prefect.resource.role") == "triggering-event"
        ),
        None,
    )
    known = ledger.by_event(triggering) if triggering else None
    return {
        "occurred": event.get("occurred"),
        "automation": resource.get("prefect.resource.name"),
        "automation_id": resource.get("prefect.resource.id"),
        "reason": str(event.get("payload", {}).get("reason", ""))[:2000],
        "triggering_event": triggering,
        "subject": f"{known[1]} v{known[2]} (delivery {known[0]})" if known else "an event not from this bridge",
    }


def serve_bridge(config: BridgeConfig, host: str, port: int) -> None:
    import uvicorn

    config.state_dir.mkdir(parents=True, exist_ok=True)
    uvicorn.run(create_app(config), host=host, port=port, log_level="info", access_log=False)
