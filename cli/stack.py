"""``govgate stack``: start, check and stop a local long-running stack (Prefect, MLflow, bridge, S3)."""

from __future__ import annotations

import json

import typer

from govgate.errors import GovgateError
from govgate.settings import load_settings

stack_app = typer.Typer(
    help="A local stack that outlives commands: Prefect server, MLflow server, the bridge, a read-only evidence "
    "(report) server and (--s3) an S3 server.",
    no_args_is_help=True,
)


def _fail(message: str, code: int = 1) -> None:
    typer.secho(f"error: {message}", fg=typer.colors.RED, err=True)
    raise typer.Exit(code)


def _stack():
    from govgate.stack import Stack

    try:
        return Stack(load_settings().home_dir)
    except GovgateError as exc:
        _fail(str(exc))


@stack_app.command("up")
def stack_up(
    s3: bool = typer.Option(
        False, "--s3", help="also start a local S3 server (moto) with an Object Lock bucket as the evidence store"
    ),
    bridge: bool = typer.Option(True, "--bridge/--no-bridge", help="start the MLflow-to-Prefect bridge"),
    prefect_port: int = typer.Option(4200, "--prefect-port", help="Prefect server port"),
    mlflow_port: int = typer.Option(5000, "--mlflow-port", help="MLflow server port"),
    bridge_port: int = typer.Option(8085, "--bridge-port", help="bridge port"),
    s3_port: int = typer.Option(9000, "--s3-port", help="S3 server port (with --s3)"),
    evidence_port: int = typer.Option(8086, "--evidence-port", help="port of the read-only evidence (report) server"),
    bucket: str = typer.Option("govgate", help="evidence bucket created on the S3 server (with --s3)"),
    timeout: float = typer.Option(120.0, min=1, help="seconds to wait for each service to become healthy"),
) -> None:
    """Start the services (127.0.0.1 only), wait until each is healthy and write stack.env.

    Services that already run and answer are left alone."""
    stack = _stack()
    try:
        result = stack.up(
            ports={
                "prefect": prefect_port,
                "mlflow": mlflow_port,
                "bridge": bridge_port,
                "s3": s3_port,
                "evidence": evidence_port,
            },
            s3=s3,
            bridge=bridge,
            bucket=bucket,
            timeout=timeout,
            echo=typer.echo,
        )
    except GovgateError as exc:
        _fail(str(exc))
    for name in result.already_running:
        typer.echo(f"{name} already running")
    typer.echo(f"\nsource {result.env_file}")
    urls = {s.name: s.url for s in result.status.services if s.url}
    if "prefect" in urls:
        typer.echo(f"Prefect UI:   {urls['prefect']}")
    if "mlflow" in urls:
        typer.echo(f"MLflow UI:    {urls['mlflow']}")
    if "bridge" in urls:
        typer.echo(
            f"bridge:       {urls['bridge']}  (after `source`: govgate webhook install --url {urls['bridge']}/mlflow)"
        )
    if "evidence" in urls:
        typer.echo(f"reports:      {urls['evidence']}/evidence/  (read-only; linked from each gate run)")
    if "s3" in urls:
        typer.echo(f"S3 endpoint:  {urls['s3']}  (evidence store {result.env.get('GOVGATE_STORE_URL')})")
    typer.echo("stop with: govgate stack down")


@stack_app.command("status")
def stack_status(as_json: bool = typer.Option(False, "--json", help="print JSON")) -> None:
    """One line per service: name, pid, URL, state, log. Exits 0 when every started service is healthy."""
    stack = _stack()
    try:
        status = stack.status()
    except GovgateError as exc:
        _fail(str(exc))
    if as_json:
        typer.echo(json.dumps(status.to_dict(), indent=2))
    else:
        for s in status.services:
            extra = f"  ({s.detail})" if s.detail else ""
            typer.echo(f"{s.name:<8} {s.state:<13} pid={s.pid or '-':<8} {s.url or '-':<24} {s.log or '-'}{extra}")
    if not status.ok:
        raise typer.Exit(1)


@stack_app.command("down")
def stack_down(grace: float = typer.Option(15.0, min=0, help="seconds between SIGTERM and SIGKILL")) -> None:
    """Stop every service of the stack; logs and data (databases, artifacts) are kept."""
    stack = _stack()
    try:
        stopped = stack.down(grace=grace, echo=typer.echo)
    except GovgateError as exc:
        _fail(str(exc))
    if not stopped:
        typer.echo("nothing was running")
    typer.echo(f"logs and data kept in {stack.dir}")
