"""The ``govgate`` command. Every command has ``--help``; errors print one clear line and exit non-zero."""

from __future__ import annotations

import json
import os
import sys
from contextlib import contextmanager
from datetime import UTC
from pathlib import Path
from typing import Optional

import typer

from cli import console
from cli.audit import audit_report
from cli.incidents import incidents_app
from cli.intake import intake_app
from cli.inventory import inventory_app
from cli.reassess import reassess
from cli.stack import stack_app
from cli.third_party import third_party_app
from govgate.errors import GovgateError
from govgate.protocol import EVIDENCE_PREFIX
from govgate.settings import load_settings

app = typer.Typer(
    help="govgate: AI governance gates that leave evidence.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)
config_app = typer.Typer(help="Inspect settings.", no_args_is_help=True)
policy_app = typer.Typer(help="Validate and inspect policy-as-code files.", no_args_is_help=True)
store_app = typer.Typer(help="Look into the evidence store.", no_args_is_help=True)
controls_app = typer.Typer(
    help="The control catalog index (NIST AI RMF, ISO/IEC 42001, EU AI Act, Vietnam).", no_args_is_help=True
)
app.add_typer(config_app, name="config")
app.add_typer(policy_app, name="policy")
app.add_typer(store_app, name="store")
app.add_typer(controls_app, name="controls")
app.add_typer(stack_app, name="stack")
webhook_app = typer.Typer(
    help="MLflow model-registry webhooks that trigger reviews through the bridge.", no_args_is_help=True
)
app.add_typer(webhook_app, name="webhook")
app.add_typer(incidents_app, name="incidents")
app.add_typer(inventory_app, name="inventory")
app.command("reassess")(reassess)
app.add_typer(third_party_app, name="third-party")
app.add_typer(intake_app, name="intake")
app.command("audit-report")(audit_report)


@app.callback()
def root(
    debug: bool = typer.Option(False, "--debug", help="print tracebacks on the terminal too (they are always logged)"),
) -> None:
    """govgate: AI governance gates that leave evidence."""
    console.DEBUG = debug


def _fail(message: str, code: int = 1) -> None:
    typer.secho(f"error: {message}", fg=typer.colors.RED, err=True)
    raise typer.Exit(code)


def _settings():
    try:
        return load_settings()
    except GovgateError as exc:
        _fail(str(exc))


@config_app.command("show")
def config_show(as_json: bool = typer.Option(False, "--json", help="print JSON instead of a table")) -> None:
    """Print the effective settings (secrets masked) and where each service is."""
    shown = _settings().describe()
    if as_json:
        typer.echo(json.dumps(shown, indent=2, default=str))
        return
    width = max(len(k) for k in shown)
    for key, value in shown.items():
        typer.echo(f"{key:<{width}}  {value if value is not None else '(unset)'}")


@app.command()
def selftest(
    tier: Optional[str] = typer.Option(None, help="policy tier to record (default: the policy's default)"),
) -> None:
    """Run the evidence-selftest flow: store, MLflow, policy and controls health, published as evidence."""
    _run_gate("flows.selftest:evidence_selftest", exit_on_decision=False, tier=tier)


def _run_gate(target: str, *, exit_on_decision: bool = True, **params) -> dict:
    """Run the flow ``module:function`` on the configured (or a temporary local) Prefect server, print
    where its evidence is, and exit 3 when the decision is not pass (1 when it could not run)."""
    import importlib

    settings = _settings()
    from govgate.runtime import prefect_server

    module, name = target.split(":")
    try:
        with prefect_server(settings, echo=typer.echo) as api_url:
            from flows.runner import run_flow, with_task_runner

            flow_obj = with_task_runner(getattr(importlib.import_module(module), name), settings.dask_address)
            console.route_logs(settings.home_dir)
            result = run_flow(flow_obj, **params)
            _where(result, api_url, settings)
    except GovgateError as exc:
        _fail(str(exc))
    except KeyboardInterrupt as exc:
        _fail(f"{exc or 'interrupted'}; the run is recorded as crashed in Prefect, no evidence was published", 130)
    if exit_on_decision and result["decision"] != "pass":
        raise typer.Exit(3)
    return result


MAX_REASONS = 5  # reasons printed under a decision that is not pass; the report has them all


def _where(result: dict, api_url: str, settings) -> None:
    from govgate.runtime import origin_of, ui_url

    typer.echo(f"decision:       {result['decision']}")
    if result["decision"] != "pass":
        reasons = result.get("reasons") or []
        for reason in reasons[:MAX_REASONS]:
            typer.echo(f"  why:          {reason if len(reason) <= 200 else reason[:197] + '...'}")
        if len(reasons) > MAX_REASONS:
            typer.echo(f"  why:          ... and {len(reasons) - MAX_REASONS} more (see the report)")
    typer.echo(f"evidence:       {result['record_uri']}")
    typer.echo(f"report:         {result['report_uri']}")
    if result.get("report_url"):
        typer.echo(f"report (http):  {result['report_url']}")
    if result.get("mlflow_run_url"):
        typer.echo(f"MLflow run:     {result['mlflow_run_url']}")
    else:
        typer.echo(
            f"MLflow run:     {result['mlflow_run_id']}"
            f" (browse: mlflow ui --backend-store-uri {settings.effective_mlflow_tracking_uri})"
        )
    if origin_of(api_url) == "temporary":
        typer.echo(
            f"Prefect:        {ui_url(api_url)} (this command's own server, stopped now; keep one running with "
            "`govgate stack up` or `govgate serve` and later commands use it, so their links stay valid)"
        )
    elif result.get("prefect_flow_run_id"):
        typer.echo(f"Prefect run:    {ui_url(api_url)}/runs/flow-run/{result['prefect_flow_run_id']}")
    else:
        typer.echo(f"Prefect:        {ui_url(api_url)}/runs")


@app.command()
def schema(
    write: bool = typer.Option(False, help="write the JSON Schema file into the package"),
    check: bool = typer.Option(False, help="exit 1 if the schema file differs from the models"),
) -> None:
    """Print (or write, or check) the JSON Schema of the evidence record."""
    from govgate.record import json_schema

    path = Path(__file__).resolve().parents[1] / "govgate" / "schemas" / "gate-result.schema.json"
    text = json.dumps(json_schema(), indent=2, sort_keys=True) + "\n"
    if write:
        path.write_text(text)
        typer.echo(f"wrote {path}")
    elif check:
        if not path.is_file() or path.read_text() != text:
            _fail(f"{path} does not match the record models; run `govgate schema --write`")
        typer.echo(f"{path} matches the models")
    else:
        typer.echo(text, nl=False)


@policy_app.command("validate")
def policy_validate(
    path: Optional[Path] = typer.Argument(None, help="policy file (default: the configured one)"),
) -> None:
    """Load and validate a policy file; print its tiers and digest."""
    from govgate.policy import load_policy

    try:
        policy = load_policy(path or _settings().policy)
    except GovgateError as exc:
        _fail(str(exc))
    typer.echo(f"{policy.path}: {policy.name} {policy.version} is valid (sha256 {policy.sha256})")
    for name, tier in policy.tiers.items():
        typer.echo(
            f"  {name:<8} gates={','.join(tier.required_gates) or '-'} evidence={','.join(tier.required_evidence) or '-'}"
        )


@store_app.command("ls")
def store_ls(
    prefix: str = typer.Argument(EVIDENCE_PREFIX, help="key prefix"),
    limit: int = typer.Option(100, min=1, help="at most this many keys"),
) -> None:
    """List objects under a prefix of the configured store."""
    from govgate.store import open_store

    try:
        store = open_store(_settings())
        for n, info in enumerate(store.list(prefix)):
            if n >= limit:
                typer.echo(f"... (more than {limit}; use --limit)")
                break
            typer.echo(f"{info.last_modified:%Y-%m-%d %H:%M:%S}  {info.size:>10}  {info.key}")
    except GovgateError as exc:
        _fail(str(exc))


@app.command()
def report(
    record: str = typer.Argument(
        ..., help="record id, Prefect flow-run id, MLflow run id, or a record's URI/prefix in the store"
    ),
    html: bool = typer.Option(False, "--html", help="print the HTML report's location instead of Markdown"),
    open_: bool = typer.Option(False, "--open", help="open the HTML report in a browser (local store)"),
) -> None:
    """Print (or open) the report of one gate run."""
    from govgate.publish import check_record_files, find_record, load_record
    from govgate.render import render_markdown
    from govgate.store import open_store
    from govgate.tracking import Tracker

    try:
        settings = _settings()
        store = open_store(settings)
        key = record
        if "://" in record:
            key = record.split(store.url.rstrip("/") + "/", 1)[-1] if record.startswith(store.url) else None
            if key is None:
                _fail(f"{record} is not in the configured store {store.url}")
        elif "/" not in record:
            # A run id (Prefect or MLflow) leads to its record id through the MLflow run's tags.
            record_id = Tracker.from_settings(settings).record_id_for_run(record) or record
            key = find_record(store, record_id)
        rec = load_record(store, key)
        prefix = rec.evidence_prefix()
        if problems := check_record_files(store, prefix, report_added=False):
            _fail(f"the record at {store.uri(prefix)} was changed after publishing: " + "; ".join(problems[:5]))
        if open_:
            import webbrowser

            location = store.uri(prefix + "report.html")
            if not location.startswith("file://"):
                _fail(f"--open needs a local store; the report is at {location} (use --html to print it)")
            webbrowser.open(location)
            typer.echo(location)
        elif html:
            typer.echo(store.uri(prefix + "report.html"))
        else:
            typer.echo(render_markdown(rec, {"evidence record": store.uri(prefix + "record.json")}))
    except GovgateError as exc:
        _fail(str(exc))


@controls_app.command("build")
def controls_build(
    catalog: Path = typer.Option(..., exists=True, dir_okay=False, help="standards catalog.yaml"),
) -> None:
    """Rebuild the shipped control index from the standards catalog."""
    from govgate.controls import INDEX_PATH, build_index

    index = build_index(catalog)
    INDEX_PATH.write_text(json.dumps(index, indent=1, sort_keys=True, ensure_ascii=False) + "\n", encoding="utf-8")
    typer.echo(f"wrote {INDEX_PATH}: {len(index['controls'])} controls")


@controls_app.command("for")
def controls_for_kind(evidence_kind: str = typer.Argument(..., help="e.g. pii_scan, fairness_eval")) -> None:
    """List the controls a kind of evidence serves."""
    from govgate.controls import control_title, controls_for

    try:
        refs = controls_for(evidence_kind)
    except ValueError as exc:
        _fail(str(exc))
    for ref in refs:
        typer.echo(f"{ref:<40} {control_title(ref)}")


@app.command("review-data")
def review_data(
    dataset: str = typer.Argument(..., help="local path or s3://bucket/key (CSV, Parquet, JSONL or a text file)"),
    meta: Optional[Path] = typer.Option(
        None, "--meta", help="datasheet YAML (owner, source, purpose, legal basis, retention, columns)"
    ),
    tier: Optional[str] = typer.Option(None, help="policy risk tier (default: datasheet's, else policy default)"),
    redact: bool = typer.Option(False, "--redact", help="also write an anonymized copy with stable pseudonyms"),
    suite: list[str] = typer.Option([], "--suite", help="extra expectation suite from expectations/ (repeatable)"),
    ner_model: Optional[str] = typer.Option(None, help="spaCy model name or path for PERSON/LOCATION detection"),
    chunk_rows: int = typer.Option(100_000, min=100, help="rows per partition"),
) -> None:
    """Review a dataset for PII, secrets, quality, sensitive attributes and consent; record the review.

    Exits 0 on pass, 3 on fail or needs-review, 1 when the review could not run."""
    result = _run_gate(
        "flows.data_review:data_review",
        exit_on_decision=False,
        dataset=dataset,
        datasheet=str(meta) if meta else None,
        tier=tier,
        redact=redact,
        suites=list(suite),
        ner_model=ner_model,
        chunk_rows=chunk_rows,
    )
    if result.get("anonymized_copy"):
        typer.echo(f"anonymized copy: {result['anonymized_copy']}")
    if result["decision"] != "pass":
        raise typer.Exit(3)


@app.command("review-model")
def review_model(
    model_uri: Optional[str] = typer.Argument(None, help="models:/NAME/VERSION, models:/NAME@ALIAS or runs:/RUN/PATH"),
    data: Optional[str] = typer.Option(
        None, "--data", help="evaluation data: local path or s3:// (CSV, Parquet, JSONL); not for --task generation"
    ),
    label: Optional[str] = typer.Option(None, "--label", help="label column (not for --task generation)"),
    sensitive: Optional[str] = typer.Option(
        None, "--sensitive", help="sensitive features, comma separated: sex,age>=25 (not for --task generation)"
    ),
    prediction_column: Optional[str] = typer.Option(
        None, "--predictions", help="column of precomputed predictions (no model)"
    ),
    score_column: Optional[str] = typer.Option(None, "--scores", help="column of precomputed scores (no model)"),
    pos_label: str = typer.Option("1", help="the favourable label value"),
    threshold: float = typer.Option(0.5, help="score threshold for a positive decision"),
    task_type: str = typer.Option(
        "classification", "--task", help="classification, regression, or generation (a generative model: leakage probe)"
    ),
    tier: Optional[str] = typer.Option(None, help="policy risk tier"),
    card: Optional[Path] = typer.Option(None, help="YAML with intended_use, out_of_scope_use, limitations, ..."),
    probes: Optional[Path] = typer.Option(
        None, "--probes", help="your own leakage probes, YAML or JSONL: id, prompt, optional expect: [markers]"
    ),
) -> None:
    """Review a model for performance, fairness (with intervals), robustness and leakage; tag the version.

    The model may return labels, scores, or one probability column per class (predict_proba). A generative
    model (--task generation) is reviewed by the leakage probe alone: built-in probes plus --probes FILE.

    Exits 0 on pass, 3 on fail or needs-review, 1 when the review could not run."""
    _run_gate(
        "flows.model_review:model_review",
        model_uri=model_uri,
        data=data or "",
        label=label or "",
        sensitive=sensitive.split(",") if sensitive else None,
        prediction_column=prediction_column,
        score_column=score_column,
        pos_label=pos_label,
        threshold=threshold,
        task_type=task_type,
        tier=tier,
        card=str(card) if card else None,
        probes=str(probes) if probes else None,
    )


@app.command("package-evidence")
def package_evidence(
    model_uri: str = typer.Argument(..., help="models:/NAME/VERSION or models:/NAME@ALIAS"),
    tier: Optional[str] = typer.Option(None, help="policy risk tier (default: the version's govgate.tier tag)"),
    signoffs: Optional[Path] = typer.Option(
        None,
        help="YAML/JSON list of sign-offs (headless); without it the run waits for sign-off in the Prefect UI or `govgate sign-off`",
    ),
    risk_assessment: Optional[str] = typer.Option(None, help="path or s3:// URI of the risk assessment"),
    artifact: list[str] = typer.Option(
        [], "--artifact", help="more files/folders to seal into the package (repeatable)"
    ),
) -> None:
    """Gather, sign off and seal the launch evidence of a model version (signed, hashed, write-once).

    Exits 0 on pass, 3 on fail or needs-review, 1 when it could not run."""
    _run_gate(
        "flows.launch_evidence:launch_evidence",
        model_uri=model_uri,
        tier=tier,
        signoffs=str(signoffs) if signoffs else None,
        risk_assessment=risk_assessment,
        artifacts=list(artifact) or None,
    )


@app.command()
def purge(
    execute: bool = typer.Option(
        False, "--execute/--dry-run", help="delete for real (default: a dry run that only lists)"
    ),
    rules: Optional[Path] = typer.Option(
        None, help="retention rule file (default: GOVGATE_RETENTION_RULES, policies/retention.yaml)"
    ),
    as_of: Optional[str] = typer.Option(
        None, "--as-of", help="decide retention as of this ISO date/time (a dry run may look ahead)"
    ),
    batch_size: int = typer.Option(1000, min=1, max=1000, help="keys per DeleteObjects call"),
) -> None:
    """Run the retention-purge flow: list what is past its retention, write the plan, delete, certify."""
    from datetime import datetime

    when = None
    if as_of:
        try:
            when = datetime.fromisoformat(as_of)
        except ValueError:
            _fail(f"--as-of {as_of!r} is not an ISO date or date-time like 2026-01-31 or 2026-01-31T12:00:00Z")
        when = when if when.tzinfo else when.replace(tzinfo=UTC)
    result = _run_gate(
        "flows.retention_purge:retention_purge",
        exit_on_decision=False,
        dry_run=not execute,
        rules=str(rules) if rules else None,
        as_of=when,
        batch_size=batch_size,
    )
    if result.get("plan_uri"):
        typer.echo(f"plan:           {result['plan_uri']}")
    typer.echo(
        f"purge:          {result['purge_id']} ({result['mode']}{', resumed' if result.get('resumed') else ''}): "
        + (
            f"{result.get('would_delete')} object(s) would go"
            if not execute
            else f"{result.get('deleted')} object(s) deleted"
        )
    )
    if result["decision"] != "pass":
        raise typer.Exit(3)


@app.command("verify-evidence")
def verify_evidence(
    uri: str = typer.Argument(..., help="the package's URI (its package.json or prefix)"),
    public_key: Optional[Path] = typer.Option(
        None, help="PEM public key to trust (besides GOVGATE_TRUSTED_KEYS and the configured signing key)"
    ),
) -> None:
    """Recompute every hash (the package and the gate record beside it), check that the signature is by a
    trusted key (GOVGATE_TRUSTED_KEYS, --public-key or the configured signing key) and the Object Lock
    state; name any file that fails. A package signed by an untrusted key fails."""
    from govgate.package import verify_package

    try:
        report = verify_package(uri, _settings(), str(public_key) if public_key else None)
    except GovgateError as exc:
        _fail(str(exc))
    for line in report.lines():
        typer.echo(line)
    if not report.ok:
        raise typer.Exit(1)


@app.command("sign-off")
def sign_off_cmd(
    flow_run_id: str = typer.Argument(..., help="the waiting launch-evidence flow run"),
    name: str = typer.Option(..., help="approver's name"),
    role: str = typer.Option(..., help="approver's role, e.g. risk_officer"),
    decision: str = typer.Option(..., help="approve or reject"),
    comment: str = typer.Option("", help="comment"),
    accepted_risk: list[str] = typer.Option([], "--accepted-risk", help="residual risk accepted (repeatable)"),
) -> None:
    """Sign off a launch-evidence run that waits for approval (same form as the Prefect UI)."""
    settings = _settings()
    from govgate.runtime import prepare_environment

    prepare_environment(settings)
    from cli.launch import sign_off

    try:
        sign_off(flow_run_id, name, role, decision, comment, list(accepted_risk))
    except GovgateError as exc:
        _fail(str(exc))
    typer.echo(f"signed off {flow_run_id}: {decision} by {name} ({role})")


@app.command()
def bridge(
    host: Optional[str] = typer.Option(None, help="address to listen on (default: GOVGATE_BRIDGE_HOST, 127.0.0.1)"),
    port: Optional[int] = typer.Option(None, help="port to listen on (default: GOVGATE_BRIDGE_PORT, 8085)"),
) -> None:
    """Receive MLflow model-registry webhooks at POST /mlflow, verify them (HMAC signature, timestamp,
    duplicates, size) and emit Prefect events that trigger the model-review deployment."""
    settings = _settings()
    from govgate.bridge import BridgeConfig, serve_bridge
    from govgate.runtime import prepare_environment

    prepare_environment(settings)
    try:
        config = BridgeConfig.from_settings(settings)
    except GovgateError as exc:
        _fail(str(exc))
    host, port = host or settings.bridge_host, port or settings.bridge_port
    typer.echo(f"govgate bridge on http://{host}:{port}/mlflow -> Prefect events at {config.prefect_api_url}")
    serve_bridge(config, host, port)


@webhook_app.command("install")
def webhook_install(
    url: str = typer.Option(
        ..., help="the bridge's address as the MLflow server reaches it, e.g. http://127.0.0.1:8085/mlflow"
    ),
    tracking_uri: Optional[str] = typer.Option(None, help="MLflow server (default: GOVGATE_MLFLOW_TRACKING_URI)"),
    name: str = typer.Option("govgate-bridge", help="webhook name (an existing one of that name is updated)"),
    test: bool = typer.Option(True, "--test/--no-test", help="send MLflow's test delivery through the bridge"),
) -> None:
    """Register (or update) the model-registry webhook on an MLflow server, signed with GOVGATE_BRIDGE_SECRET."""
    from govgate.webhooks import install_webhook

    settings = _settings()
    try:
        result = install_webhook(settings, url=url, tracking_uri=tracking_uri, name=name, test=test)
    except GovgateError as exc:
        _fail(str(exc))
    typer.echo(f"webhook {result['name']} ({result['webhook_id']}) {result['action']}: {result['events']} -> {url}")
    if test:
        typer.echo(f"test delivery: {'ok' if result['test_ok'] else 'FAILED'} {result['test_detail']}")
        if not result["test_ok"]:
            raise typer.Exit(1)


@webhook_app.command("remove")
def webhook_remove(
    tracking_uri: Optional[str] = typer.Option(None, help="MLflow server (default: GOVGATE_MLFLOW_TRACKING_URI)"),
    name: str = typer.Option("govgate-bridge", help="webhook name"),
) -> None:
    """Delete govgate's webhook from an MLflow server."""
    from govgate.webhooks import remove_webhook

    try:
        removed = remove_webhook(_settings(), tracking_uri=tracking_uri, name=name)
    except GovgateError as exc:
        _fail(str(exc))
    typer.echo(f"removed {removed} webhook(s) named {name}")


@app.command()
def serve() -> None:
    """Serve every gate flow as a Prefect deployment (run them from the Prefect UI); Ctrl-C stops."""
    settings = _settings()
    from govgate.runtime import prefect_server, ui_url

    try:
        with prefect_server(settings, announce=True) as api_url, _served_evidence(settings) as evidence_url:
            typer.echo(f"serving govgate deployments; Prefect UI: {ui_url(api_url)}")
            if evidence_url:
                typer.echo(f"evidence reports served read-only at {evidence_url}/evidence/ (linked from each run)")
            from deployments.serve import serve_all

            serve_all()
    except GovgateError as exc:
        _fail(str(exc))
    except KeyboardInterrupt:
        typer.echo("stopped")


@contextmanager
def _served_evidence(settings):
    """The store's evidence/ over http while `govgate serve` runs (flow runs inherit the address through
    GOVGATE_EVIDENCE_HTTP_URL, so their Prefect artifacts link reports that open), for a local folder and an
    S3 bucket alike; the configured address when one is set (say, by `govgate stack up`'s stack.env)."""
    from govgate.evidence_server import serve_evidence

    if settings.evidence_http_url:
        yield settings.evidence_http_url
        return
    with serve_evidence(settings) as url:
        os.environ["GOVGATE_EVIDENCE_HTTP_URL"] = url
        try:
            yield url
        finally:
            os.environ.pop("GOVGATE_EVIDENCE_HTTP_URL", None)


@app.command()
def demo() -> None:
    """Run the demo story on embedded defaults (generated credit data with planted problems) and print
    where to look: reports, MLflow and the Prefect UI."""
    settings = _settings()
    from govgate.runtime import prefect_server, ui_url

    try:
        with prefect_server(settings, echo=typer.echo) as api_url:
            typer.echo(
                f"govgate demo: Prefect UI at {ui_url(api_url)} (while the demo runs), evidence in {settings.effective_store_url}"
            )
            from cli.demo import run_demo

            console.route_logs(settings.home_dir)
            steps = run_demo(settings, typer.echo)
    except GovgateError as exc:
        _fail(str(exc))
    except KeyboardInterrupt as exc:
        _fail(f"{exc or 'interrupted'}", 130)
    typer.echo("\nwhere to look:")
    for title, result in steps:
        typer.echo(f"  {title.split(' (')[0]}: {result.get('decision')}  {result.get('report_uri', '')}")
    typer.echo(f"  MLflow:  mlflow ui --backend-store-uri {settings.effective_mlflow_tracking_uri}")
    typer.echo(f"  store:   govgate store ls evidence/   (folder {settings.effective_store_url})")
    typer.echo("  Prefect: govgate serve   (then open the printed UI address; flow runs and their artifacts are kept)")


def main() -> None:
    console.stop_on_signals()
    try:
        app()
    except GovgateError as exc:  # last resort: never a traceback for an expected error
        typer.secho(f"error: {exc}", fg=typer.colors.RED, err=True)
        sys.exit(1)
    except Exception as exc:  # a defect: one line here, the traceback in the log (or here under --debug)
        if console.DEBUG:
            raise
        home = _home_for_log()
        where = console.record_traceback(home, exc)
        first = (str(exc).strip().splitlines() or [""])[0][:300]
        typer.secho(f"error: {type(exc).__name__}: {first} (traceback in {where})", fg=typer.colors.RED, err=True)
        sys.exit(1)


def _home_for_log() -> Path:
    try:
        return load_settings().home_dir
    except GovgateError:
        return Path(".govgate")


if __name__ == "__main__":
    main()
