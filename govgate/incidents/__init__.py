"""Incidents with legal reporting clocks, stored as append-only, write-once events (no Prefect here).

Modules, in the order an incident lives: ``model`` (events and the folded state), ``rules`` (the legal
clocks as data, policies/legal_clocks.yaml), ``clocks`` (due times and status), ``ledger`` (events in the
store, compare-and-append), ``fold`` (state from events), ``lifecycle`` (open / acknowledge / classify /
report / close / note), ``escalation`` (overdue clocks, escalated once), ``render`` (HTML and Markdown).
"""

from __future__ import annotations

from govgate.incidents.clocks import clock_view, due_at, plan_clocks
from govgate.incidents.escalation import Escalation, escalate_overdue
from govgate.incidents.fold import fold
from govgate.incidents.ledger import IncidentNotFound, incident_ids, read_events
from govgate.incidents.lifecycle import (
    Opened,
    acknowledge,
    add_note,
    classify,
    close,
    latest_for_cause,
    list_incidents,
    load_incident,
    open_incident,
    record_report,
)
from govgate.incidents.model import (
    Asset,
    ClockPlan,
    ClockStatus,
    ClockView,
    EventKind,
    Incident,
    IncidentEvent,
    IncidentKind,
    IncidentStatus,
    Jurisdiction,
)
from govgate.incidents.render import render_html, render_markdown
from govgate.incidents.rules import DEFAULT_LEGAL_CLOCKS, LegalClocks, load_legal_clocks

__all__ = [
    "DEFAULT_LEGAL_CLOCKS",
    "Asset",
    "ClockPlan",
    "ClockStatus",
    "ClockView",
    "Escalation",
    "EventKind",
    "Incident",
    "IncidentEvent",
    "IncidentKind",
    "IncidentNotFound",
    "IncidentStatus",
    "Jurisdiction",
    "LegalClocks",
    "Opened",
    "acknowledge",
    "add_note",
    "classify",
    "clock_view",
    "close",
    "due_at",
    "escalate_overdue",
    "fold",
    "incident_ids",
    "latest_for_cause",
    "list_incidents",
    "load_incident",
    "load_legal_clocks",
    "open_incident",
    "plan_clocks",
    "read_events",
    "record_report",
    "render_html",
    "render_markdown",
]
