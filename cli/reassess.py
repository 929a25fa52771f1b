"""``govgate reassess``: reassess deployed model versions now (the scheduled gate, on demand).

Every version the alias marks as deployed (or one model, or one tier) gets its own record; the command
prints each decision and where its evidence is, and exits 0 when all pass, 3 when any does not, 1 when
the run could not start.
"""

from __future__ import annotations

from datetime import date
from typing import Optional

import typer

from govgate.errors import GovgateError
from govgate.settings import load_settings


def reassess(
    model: Optional[str] = typer.Option(None, "--model", help="one registered model (default: every deployed one)"),
    tier: Optional[str] = typer.Option(None, help="only versions of this risk tier"),
    alias: Optional[str] = typer.Option(None, help="the alias that marks deployed versions (default: policy's)"),
    data: Optional[str] = typer.Option(None, help="fresh data: folder or s3:// prefix of dated files"),
    as_of: Optional[str] = typer.Option(None, "--as-of", help="last day of the data window, YYYY-MM-DD"),
) -> None:
    """Reassess deployed versions against their approved baseline: fresh data, regression, drift."""
    from cli import console

    try:
        day = date.fromisoformat(as_of) if as_of else None
    except ValueError:
        _fail(f"--as-of {as_of!r}: expected a date like 2026-11-30")
    try:
        settings = load_settings()
        from govgate.runtime import prefect_server

        with prefect_server(settings, echo=typer.echo):
            from flows.reassessment import reassessment
            from flows.runner import run_flow, with_task_runner

            flow_obj = with_task_runner(reassessment, settings.dask_address)
            console.route_logs(settings.home_dir)
            results = run_flow(flow_obj, model_name=model, tier=tier, alias=alias, data=data, as_of=day)
    except GovgateError as exc:
        _fail(str(exc))
    if not results:
        typer.echo("no deployed version matched")
    for r in results:
        opened = [i["incident_id"] for i in r.get("incidents", []) if i.get("created")]
        typer.echo(f"{r['model']} version {r['version'] or '(none)'}: {r['decision']}  {r['record_uri']}")
        for reason in (r.get("reasons") or [])[:3] if r["decision"] != "pass" else []:
            typer.echo(f"  why: {reason if len(reason) <= 200 else reason[:197] + '...'}")
        for incident in opened:
            typer.echo(f"  incident opened: {incident}")
    if any(r["decision"] != "pass" for r in results):
        raise typer.Exit(3)


def _fail(message: str) -> None:
    typer.secho(f"error: {message}", fg=typer.colors.RED, err=True)
    raise typer.Exit(1)
