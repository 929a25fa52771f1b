"""Incident tasks: open an incident (and announce it as a Prefect event), escalate overdue legal clocks.

Thin wrappers over govgate.incidents. The ``govgate.incident.opened`` event is what a Prefect automation
turns into a notification (docs/incidents.md, deployments/incident_automation.py); it is emitted only
when an incident is created, never for a re-run that found the open one. Prefect keeps events for days:
the store's events are the record, the Prefect event only the signal.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from prefect import get_run_logger
from prefect.cache_policies import NO_CACHE
from prefect.events import emit_event

from govgate.incidents import (
    Asset,
    Incident,
    IncidentKind,
    Jurisdiction,
    escalate_overdue,
    load_legal_clocks,
    open_incident,
)
from govgate.protocol import (
    INCIDENT_ASSET_RESOURCE_PREFIX,
    INCIDENT_LABEL_ASSET_VERSION,
    INCIDENT_LABEL_CAUSE,
    INCIDENT_LABEL_SEVERITY,
    INCIDENT_OPENED_EVENT,
    INCIDENT_RESOURCE_PREFIX,
    INCIDENTS_PREFIX,
)
from govgate.record import Severity
from govgate.store import ObjectStore
from tasks import context
from tasks.govgate_task import govgate_task as task


def incident_resource(incident: Incident) -> dict[str, str]:
    return {
        "prefect.resource.id": INCIDENT_RESOURCE_PREFIX + incident.id,
        "prefect.resource.name": f"incident {incident.id}",
        INCIDENT_LABEL_SEVERITY: incident.severity.value,
        INCIDENT_LABEL_CAUSE: incident.cause,
    }


def asset_resource(incident: Incident) -> dict[str, str]:
    a = incident.asset
    return {
        "prefect.resource.id": f"{INCIDENT_ASSET_RESOURCE_PREFIX}{a.kind.value}.{a.id}",
        "prefect.resource.role": "asset",
        "prefect.resource.name": f"{a.id} v{a.version}",
        INCIDENT_LABEL_ASSET_VERSION: a.version,
    }


def opened_payload(incident: Incident, store_uri: str) -> dict[str, Any]:
    """What a notification needs, without another lookup: what, where, how bad, and the clocks."""
    return {
        "incident_id": incident.id,
        "summary": incident.summary,
        "severity": incident.severity.value,
        "cause": incident.cause,
        "asset": {"kind": incident.asset.kind.value, "id": incident.asset.id, "version": incident.asset.version},
        "aware_at": incident.aware_at.isoformat(),
        "evidence": incident.evidence,
        "incident_uri": store_uri,
        "clocks": [
            {
                "id": c.plan.id,
                "law": f"{c.plan.framework} {c.plan.article}",
                "status": c.status.value,
                "due_at": c.plan.due_at.isoformat() if c.plan.due_at else None,
            }
            for c in incident.clocks
        ],
    }


def emit_opened(incident: Incident, store: ObjectStore) -> str | None:
    """Emit ``govgate.incident.opened``; the event id, or None when no Prefect API is configured."""
    event = emit_event(
        event=INCIDENT_OPENED_EVENT,
        resource=incident_resource(incident),
        related=[asset_resource(incident)],
        payload=opened_payload(incident, store.uri(f"{INCIDENTS_PREFIX}{incident.id}/")),
    )
    return str(event.id) if event else None


@task(name="open-incident", cache_policy=NO_CACHE)
def open_incident_task(
    *,
    asset: Asset,
    cause: str,
    summary: str,
    severity: Severity,
    by: str,
    aware_at: datetime | None = None,
    evidence: list[str] | None = None,
    kinds: list[IncidentKind] | None = None,
    jurisdictions: list[Jurisdiction] | None = None,
    source: str = "reassessment",
    clocks_file: str | None = None,
    store: ObjectStore | None = None,
) -> dict[str, Any]:
    """Open (or find the open) incident on this cause; a new one is announced as a Prefect event."""
    store = store or context.store()
    opened = open_incident(
        store,
        load_legal_clocks(clocks_file),
        asset=asset,
        cause=cause,
        summary=summary,
        severity=severity,
        by=by,
        aware_at=aware_at,
        evidence=evidence,
        kinds=kinds,
        jurisdictions=jurisdictions,
        source=source,
    )
    event_id = emit_opened(opened.incident, store) if opened.created else None
    verb = "opened" if opened.created else "already open:"
    get_run_logger().info("incident %s %s (%s on %s v%s)", verb, opened.incident.id, cause, asset.id, asset.version)
    return {"incident_id": opened.incident.id, "created": opened.created, "event_id": event_id}


@task(name="escalate-overdue-clocks", cache_policy=NO_CACHE)
def escalate_overdue_task(now: datetime | None = None, store: ObjectStore | None = None) -> list[dict[str, Any]]:
    """One clock-escalated event per newly overdue legal clock (the daily reassessment runs this)."""
    done = escalate_overdue(store or context.store(), now)
    logger = get_run_logger()
    for e in done:
        logger.warning("incident %s: legal clock %s overdue since %s: escalated", e.incident_id, e.clock_id, e.due_at)
    return [{"incident_id": e.incident_id, "clock_id": e.clock_id, "due_at": e.due_at.isoformat()} for e in done]
