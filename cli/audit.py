"""``govgate audit-report``: the signed audit report of a period (runs the audit-report flow).

Prints where the report folder is and how to verify it; exits 0 when the report's own record passes, 3 when
it does not (records that could not be read, an unknown framework or asset, KPIs below target), 1 when it
could not run.
"""

from __future__ import annotations

from datetime import date
from typing import Optional

import typer

from govgate.errors import GovgateError
from govgate.settings import load_settings


def _day(value: str, option: str) -> date:
    try:
        return date.fromisoformat(value)
    except ValueError:
        _fail(f"{option} {value!r}: expected a date like 2026-11-30")


def audit_report(
    date_from: str = typer.Option(..., "--from", help="first day of the period, YYYY-MM-DD (UTC)"),
    date_to: str = typer.Option(..., "--to", help="last day of the period, YYYY-MM-DD (included)"),
    asset: Optional[str] = typer.Option(None, "--asset", help="one asset's id (default: the organisation)"),
    framework: list[str] = typer.Option(
        [], "--framework", help="a catalog framework to cover (repeatable; default: all)"
    ),
) -> None:
    """Build the audit report of a period from records alone: a signed HTML report and OSCAL export."""
    from cli import console

    start, end = _day(date_from, "--from"), _day(date_to, "--to")
    if end < start:
        _fail(f"--to {end} is before --from {start}: the period is empty")
    try:
        settings = load_settings()
        from govgate.runtime import prefect_server

        with prefect_server(settings, echo=typer.echo):
            from flows.audit_report import audit_report as flow_fn
            from flows.runner import run_flow, with_task_runner

            console.route_logs(settings.home_dir)
            result = run_flow(
                with_task_runner(flow_fn, settings.dask_address),
                date_from=start,
                date_to=end,
                asset=asset,
                frameworks=framework or None,
            )
    except GovgateError as exc:
        _fail(str(exc))
    typer.echo(f"decision:       {result['decision']}")
    for reason in (result.get("reasons") or [])[:5] if result["decision"] != "pass" else []:
        typer.echo(f"  why:          {reason if len(reason) <= 200 else reason[:197] + '...'}")
    typer.echo(f"report:         {result['report']}")
    typer.echo(f"OSCAL:          {result['oscal']}")
    typer.echo(f"record:         {result['record_uri']}")
    typer.echo(f"verify with:    govgate verify-evidence {result['folder']}")
    if result["decision"] != "pass":
        raise typer.Exit(3)


def _fail(message: str) -> None:
    typer.secho(f"error: {message}", fg=typer.colors.RED, err=True)
    raise typer.Exit(1)
