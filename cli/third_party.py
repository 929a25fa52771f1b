"""``govgate third-party review|template``: review a vendor model or AI service against the checklist.

``review`` prints the decision, each checklist item's status and where the evidence is; it exits 0 on a
pass, 3 on any other decision, 1 when the review could not run (the error names the file and key).
"""

from __future__ import annotations

from datetime import date
from pathlib import Path
from typing import Optional

import typer

from govgate.errors import GovgateError
from govgate.settings import load_settings

third_party_app = typer.Typer(help="Third-party AI review: vendor models and AI services.", no_args_is_help=True)


@third_party_app.command("review")
def review_cmd(
    submission: Path = typer.Argument(..., help="the submission YAML (see `govgate third-party template`)"),
    tier: Optional[str] = typer.Option(None, help="risk tier (default: the submission's, else the policy's)"),
    as_of: Optional[str] = typer.Option(None, "--as-of", help="judge expiries on this day, YYYY-MM-DD"),
    checklist: Optional[Path] = typer.Option(None, help="checklist YAML (default: the shipped one)"),
) -> None:
    """Check a submission's items, hash and attach its evidence, and record the review."""
    from cli import console

    try:
        day = date.fromisoformat(as_of) if as_of else None
    except ValueError:
        _fail(f"--as-of {as_of!r}: expected a date like 2026-11-30")
    try:
        settings = load_settings()
        from govgate.runtime import prefect_server

        with prefect_server(settings, echo=typer.echo):
            from flows.runner import run_flow
            from flows.third_party_review import third_party_review

            console.route_logs(settings.home_dir)
            result = run_flow(
                third_party_review,
                submission=str(submission),
                tier=tier,
                as_of=day,
                checklist=str(checklist) if checklist else None,
            )
    except GovgateError as exc:
        _fail(str(exc))
    typer.echo(f"decision: {result['decision']}")
    for reason in result.get("reasons", [])[:8] if result["decision"] != "pass" else []:
        typer.echo(f"  why: {reason if len(reason) <= 200 else reason[:197] + '...'}")
    typer.echo(f"record: {result['record_uri']}")
    typer.echo(f"report: {result.get('report_url') or result['report_uri']}")
    if result["decision"] != "pass":
        raise typer.Exit(3)


@third_party_app.command("template")
def template_cmd(
    checklist: Optional[Path] = typer.Option(None, help="checklist YAML (default: the shipped one)"),
) -> None:
    """Print a commented submission covering every checklist item, to copy and fill in."""
    from govgate.thirdparty import load_checklist, template

    try:
        typer.echo(template(load_checklist(checklist)), nl=False)
    except GovgateError as exc:
        _fail(str(exc))


def _fail(message: str) -> None:
    typer.secho(f"error: {message}", fg=typer.colors.RED, err=True)
    raise typer.Exit(1)
