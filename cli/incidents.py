"""``govgate incidents``: list, show, open, acknowledge, record a legal report, close, escalate.

Every change is one write-once event in the store (never an edit); ``show`` folds them into the current
state with each legal clock's due time and status. ``--json`` prints machine-readable output; errors are
one line.
"""

from __future__ import annotations

import json
import os
from datetime import UTC, datetime
from pathlib import Path
from typing import Optional

import typer

from govgate.errors import GovgateError, InputError
from govgate.incidents import (
    Asset,
    ClockStatus,
    Incident,
    IncidentKind,
    IncidentStatus,
    Jurisdiction,
    acknowledge,
    add_note,
    classify,
    close,
    escalate_overdue,
    list_incidents,
    load_incident,
    load_legal_clocks,
    open_incident,
    record_report,
    render_html,
    render_markdown,
)
from govgate.record import AssetKind, Severity
from govgate.settings import load_settings

incidents_app = typer.Typer(
    help="Incidents with legal reporting clocks (EU AI Act Art. 73, GDPR Art. 33, Vietnam's PDP and AI laws).",
    no_args_is_help=True,
)

STATUS_COLOURS = {"overdue": typer.colors.RED, "due": typer.colors.YELLOW, "met": typer.colors.GREEN}


def _fail(message: str) -> None:
    typer.secho(f"error: {message}", fg=typer.colors.RED, err=True)
    raise typer.Exit(1)


def _store():
    from govgate.store import open_store

    return open_store(load_settings())


def _when(value: str | None, option: str) -> datetime | None:
    """An ISO date-time with an offset; a bare one is refused rather than guessed."""
    if value is None:
        return None
    try:
        when = datetime.fromisoformat(value)
    except ValueError:
        raise InputError(f"{option} {value!r} is not an ISO date-time like 2026-09-01T10:00:00+02:00") from None
    if when.tzinfo is None:
        raise InputError(f"{option} {value!r} has no time zone offset: add one, e.g. +02:00 or Z")
    return when


def _emit(result, as_json: bool) -> None:
    if as_json:
        typer.echo(json.dumps(result, indent=2, default=str))


def _clock_line(c) -> str:
    due = (
        f"due {c.plan.due_at:%Y-%m-%d %H:%M}Z ({c.plan.within})"
        if c.plan.due_at
        else f"not applicable: {c.plan.reason}"
    )
    extra = f", report filed {c.reported_at:%Y-%m-%d %H:%M}Z" if c.reported_at else ""
    extra += " (late)" if c.late else ""
    extra += f", escalated {c.escalated_at:%Y-%m-%d %H:%M}Z" if c.escalated_at else ""
    return f"{c.plan.id:<20} {c.plan.framework} {c.plan.article}: {due}{extra}"


def _print_incident(i: Incident) -> None:
    typer.echo(f"incident   {i.id}  [{i.status.value}]  severity {i.severity.value}")
    typer.echo(f"asset      {i.asset.kind.value} {i.asset.id} v{i.asset.version}")
    typer.echo(f"cause      {i.cause}: {i.summary}")
    typer.echo(f"aware      {i.aware_at:%Y-%m-%d %H:%M:%S}Z; opened {i.opened_at:%Y-%m-%d %H:%M:%S}Z by {i.opened_by}")
    if i.closed_by:
        typer.echo(f"closed     {i.closed_at:%Y-%m-%d %H:%M:%S}Z by {i.closed_by}: {i.close_reason}")
    for uri in i.evidence:
        typer.echo(f"evidence   {uri}")
    typer.echo(
        f"clocks     (as of {i.as_of:%Y-%m-%d %H:%M:%S}Z)" if i.clocks else "clocks     none (no legal classification)"
    )
    for c in i.clocks:
        typer.secho(f"  {c.status.value.upper():<15}{_clock_line(c)}", fg=STATUS_COLOURS.get(c.status.value))
    typer.echo("history")
    for e in i.history:
        classified = "classified as " + ", ".join(k.value for k in e.classified.kinds) if e.classified else ""
        what = " ".join(
            x for x in (e.clock_id or "", e.reason, f"ref {e.reference}" if e.reference else "", classified) if x
        )
        typer.echo(f"  {e.seq:>3} {e.kind.value:<16}{e.at:%Y-%m-%d %H:%M:%S}Z  {e.by}  {what}")


@incidents_app.command("list")
def list_cmd(
    status: Optional[IncidentStatus] = typer.Option(None, help="only incidents in this status"),
    as_of: Optional[str] = typer.Option(None, "--as-of", help="clock status as of this ISO date-time"),
    as_json: bool = typer.Option(False, "--json", help="print JSON"),
) -> None:
    """List incidents with their status and legal clocks (overdue ones first in each line)."""
    try:
        found = list_incidents(_store(), _when(as_of, "--as-of"), status)
    except GovgateError as exc:
        _fail(str(exc))
    if as_json:
        return _emit([i.model_dump(mode="json", exclude={"history"}) for i in found], True)
    if not found:
        typer.echo("no incidents" + (f" with status {status.value}" if status else ""))
    for i in found:
        counts = {s: sum(c.status == s for c in i.clocks) for s in (ClockStatus.OVERDUE, ClockStatus.DUE)}
        clocks = f"{counts[ClockStatus.OVERDUE]} overdue, {counts[ClockStatus.DUE]} due" if i.clocks else "no clocks"
        line = (
            f"{i.id}  {i.status.value:<12} {i.severity.value:<8} {i.asset.id} v{i.asset.version}  {i.cause}  [{clocks}]"
        )
        typer.secho(line, fg=typer.colors.RED if counts[ClockStatus.OVERDUE] else None)


@incidents_app.command("show")
def show_cmd(
    incident: str = typer.Argument(..., help="incident id (or its unique start)"),
    as_of: Optional[str] = typer.Option(None, "--as-of", help="clock status as of this ISO date-time"),
    html: Optional[Path] = typer.Option(None, "--html", help="also write the incident page (HTML) to this file"),
    markdown: bool = typer.Option(False, "--markdown", help="print Markdown instead of text"),
    as_json: bool = typer.Option(False, "--json", help="print JSON (state and history)"),
) -> None:
    """Show one incident: what happened, each legal clock's due time and status, the full history."""
    try:
        state = load_incident(_store(), incident, _when(as_of, "--as-of"))
    except GovgateError as exc:
        _fail(str(exc))
    if html:
        html.write_text(render_html(state), encoding="utf-8")
    if as_json:
        return _emit(state.model_dump(mode="json", by_alias=True), True)
    if markdown:
        return typer.echo(render_markdown(state), nl=False)
    _print_incident(state)
    if html:
        typer.echo(f"page       {html}")


@incidents_app.command("open")
def open_cmd(
    asset: str = typer.Option(..., "--asset", help="asset id, e.g. a registered model name"),
    version: str = typer.Option(..., "--version", help="asset version"),
    cause: str = typer.Option(..., help="what regressed, as a key (a check id, e.g. fairness.fpr_gap)"),
    summary: str = typer.Option(..., help="what regressed, in words"),
    severity: Severity = typer.Option(..., help="severity"),
    by: str = typer.Option(..., help="who reports it"),
    asset_kind: AssetKind = typer.Option(AssetKind.MODEL, "--asset-kind", help="kind of asset"),
    aware_at: Optional[str] = typer.Option(
        None, "--aware-at", help="when it became known (ISO, with offset); default now"
    ),
    evidence: list[str] = typer.Option([], "--evidence", help="record URI that shows it (repeatable)"),
    kind: list[IncidentKind] = typer.Option([], "--kind", help="legal classification (repeatable)"),
    jurisdiction: list[Jurisdiction] = typer.Option([], "--jurisdiction", help="EU or VN (repeatable)"),
    clocks: Optional[Path] = typer.Option(None, help="legal clock file (default: policies/legal_clocks.yaml)"),
    as_json: bool = typer.Option(False, "--json", help="print JSON"),
) -> None:
    """Open an incident by hand (a manual report); a second report on the same open cause finds the first."""
    try:
        opened = open_incident(
            _store(),
            load_legal_clocks(clocks),
            asset=Asset(kind=asset_kind, id=asset, version=version),
            cause=cause,
            summary=summary,
            severity=severity,
            by=by,
            aware_at=_when(aware_at, "--aware-at"),
            evidence=list(evidence),
            kinds=list(kind),
            jurisdictions=list(jurisdiction),
            source="manual",
        )
        event_id = _announce(opened.incident) if opened.created else None
    except GovgateError as exc:
        _fail(str(exc))
    if as_json:
        return _emit({"incident_id": opened.incident.id, "created": opened.created, "event_id": event_id}, True)
    typer.echo(f"{'opened' if opened.created else 'already open'}: {opened.incident.id}")
    for c in opened.incident.clocks:
        typer.secho(f"  {c.status.value.upper():<15}{_clock_line(c)}", fg=STATUS_COLOURS.get(c.status.value))


def _announce(incident: Incident) -> str | None:
    """The opened event, on a Prefect server that outlives this command (configured or `govgate stack`);
    a temporary server would drop it with nobody's automation listening."""
    from govgate.runtime import prefect_server, running_prefect

    settings = load_settings()
    if not (os.environ.get("PREFECT_API_URL") or running_prefect(settings)):
        typer.echo(
            "note: no Prefect server running (PREFECT_API_URL or `govgate stack up`): no event emitted", err=True
        )
        return None
    with prefect_server(settings):
        from flows.runner import drain
        from tasks.incidents import emit_opened

        event_id = emit_opened(incident, _store())
        drain()
    return event_id


@incidents_app.command("ack")
def ack_cmd(
    incident: str = typer.Argument(..., help="incident id (or its unique start)"),
    by: str = typer.Option(..., help="who takes it on"),
    note: str = typer.Option("", help="a note"),
) -> None:
    """Acknowledge an open incident (recorded as an event: who and when)."""
    try:
        state = acknowledge(_store(), incident, by=by, note=note)
    except GovgateError as exc:
        _fail(str(exc))
    typer.echo(f"acknowledged {state.id} by {state.acknowledged_by} at {state.acknowledged_at:%Y-%m-%d %H:%M:%S}Z")


@incidents_app.command("close")
def close_cmd(
    incident: str = typer.Argument(..., help="incident id (or its unique start)"),
    by: str = typer.Option(..., help="who closes it"),
    reason: str = typer.Option(..., help="why it is closed"),
) -> None:
    """Close an incident: who, when (now) and why are recorded; the history stays as it was."""
    try:
        state = close(_store(), incident, by=by, reason=reason)
    except GovgateError as exc:
        _fail(str(exc))
    typer.echo(f"closed {state.id} by {state.closed_by} at {state.closed_at:%Y-%m-%d %H:%M:%S}Z: {state.close_reason}")
    if overdue := state.overdue:
        typer.secho(
            f"  note: {len(overdue)} legal clock(s) closed without a report: " + ", ".join(c.plan.id for c in overdue),
            fg=typer.colors.RED,
        )


@incidents_app.command("report")
def report_cmd(
    incident: str = typer.Argument(..., help="incident id (or its unique start)"),
    clock: str = typer.Option(..., help="the clock the report answers, e.g. gdpr-art33 (see `show`)"),
    by: str = typer.Option(..., help="who filed it"),
    filed_at: Optional[str] = typer.Option(
        None, "--filed-at", help="when it was filed (ISO, with offset); default now"
    ),
    reference: str = typer.Option("", help="the authority's reference"),
    initial: bool = typer.Option(False, "--initial", help="an initial, incomplete report (where the law allows it)"),
    note: str = typer.Option("", help="a note"),
) -> None:
    """Record that the legal report for one clock was filed: the clock is met (late if after its due time)."""
    try:
        state = record_report(
            _store(),
            incident,
            clock_id=clock,
            by=by,
            filed_at=_when(filed_at, "--filed-at"),
            reference=reference,
            complete=not initial,
            note=note,
        )
    except GovgateError as exc:
        _fail(str(exc))
    view = next(c for c in state.clocks if c.plan.id == clock)
    typer.secho(f"{state.id}: {_clock_line(view)}", fg=typer.colors.RED if view.late else typer.colors.GREEN)


@incidents_app.command("classify")
def classify_cmd(
    incident: str = typer.Argument(..., help="incident id (or its unique start)"),
    by: str = typer.Option(..., help="who classifies it"),
    kind: list[IncidentKind] = typer.Option(..., "--kind", help="legal classification (repeatable)"),
    jurisdiction: list[Jurisdiction] = typer.Option(..., "--jurisdiction", help="EU or VN (repeatable)"),
    aware_at: Optional[str] = typer.Option(
        None, "--aware-at", help="when it became known to be of this kind (ISO, with offset); default now"
    ),
    clocks: Optional[Path] = typer.Option(None, help="legal clock file (default: policies/legal_clocks.yaml)"),
) -> None:
    """Add a legal classification to an open incident: the clocks it brings start from --aware-at."""
    try:
        state = classify(
            _store(),
            load_legal_clocks(clocks),
            incident,
            kinds=list(kind),
            jurisdictions=list(jurisdiction),
            by=by,
            aware_at=_when(aware_at, "--aware-at"),
        )
    except GovgateError as exc:
        _fail(str(exc))
    typer.echo(f"classified {state.id} as {', '.join(k.value for k in state.kinds)}")
    for c in state.clocks:
        typer.secho(f"  {c.status.value.upper():<15}{_clock_line(c)}", fg=STATUS_COLOURS.get(c.status.value))


@incidents_app.command("note")
def note_cmd(
    incident: str = typer.Argument(..., help="incident id (or its unique start)"),
    by: str = typer.Option(..., help="who writes it"),
    text: str = typer.Option(..., help="the note"),
) -> None:
    """Add a note to an incident's history."""
    try:
        state = add_note(_store(), incident, by=by, text=text)
    except GovgateError as exc:
        _fail(str(exc))
    typer.echo(f"noted on {state.id} (event {state.history[-1].seq})")


@incidents_app.command("escalate")
def escalate_cmd(
    as_of: Optional[str] = typer.Option(None, "--as-of", help="escalate as of this ISO date-time (default now)"),
    as_json: bool = typer.Option(False, "--json", help="print JSON"),
) -> None:
    """Escalate overdue legal clocks: one clock-escalated event per clock, the first time it is found overdue."""
    try:
        done = escalate_overdue(_store(), _when(as_of, "--as-of") or datetime.now(UTC))
    except GovgateError as exc:
        _fail(str(exc))
    if as_json:
        return _emit([e.__dict__ for e in done], True)
    typer.echo(f"{len(done)} clock(s) escalated")
    for e in done:
        typer.secho(f"  {e.incident_id}  {e.clock_id}  due {e.due_at:%Y-%m-%d %H:%M}Z", fg=typer.colors.RED)
