"""``govgate intake``: assign an AI asset its risk tier from intake answers (``run``), or print the
questionnaire to fill in (``template``). ``run`` exits 0 on pass, 3 when the intake fails (a prohibited
practice: the asset is refused) or needs a review (unknown answers), 1 when it could not run."""

from __future__ import annotations

from pathlib import Path
from typing import Optional

import typer

from govgate.errors import GovgateError
from govgate.settings import load_settings

intake_app = typer.Typer(
    help="Intake and risk tiering by the legal decision tree (EU AI Act, Vietnam AI Law).", no_args_is_help=True
)


@intake_app.command("template")
def template_cmd() -> None:
    """Print a commented intake questionnaire (YAML) to fill in."""
    from govgate.intake.template import template

    typer.echo(template(), nl=False)


@intake_app.command("run")
def run_cmd(
    answers: Path = typer.Argument(..., help="the intake answers YAML (govgate intake template prints one)"),
    rules: Optional[str] = typer.Option(None, help="the decision tree (default: the policy's intake.rules)"),
) -> None:
    """Run the intake gate on an answers file: tier, the rules that fired with their articles, a record."""
    from cli import console

    try:
        settings = load_settings()
        from govgate.runtime import prefect_server

        with prefect_server(settings, echo=typer.echo):
            from flows.intake import intake
            from flows.runner import run_flow

            console.route_logs(settings.home_dir)
            result = run_flow(intake, answers=str(answers), rules=rules)
    except GovgateError as exc:
        typer.secho(f"error: {exc}", fg=typer.colors.RED, err=True)
        raise typer.Exit(1) from None
    typer.echo(f"tier: {result['tier']}  decision: {result['decision']}  {result['record_uri']}")
    typer.echo(f"why: {result['reason']}")
    for reason in (result.get("reasons") or [])[:5] if result["decision"] != "pass" else []:
        typer.echo(f"  {reason if len(reason) <= 200 else reason[:197] + '...'}")
    if result["decision"] != "pass":
        raise typer.Exit(3)
