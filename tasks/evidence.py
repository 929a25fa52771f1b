"""Publishing a gate's record: store + MLflow (core), then Prefect artifacts for the UI."""

from __future__ import annotations

import re
from pathlib import Path

from prefect import get_run_logger
from prefect.artifacts import create_link_artifact, create_markdown_artifact, create_table_artifact
from prefect.cache_policies import NO_CACHE

from govgate.protocol import REPORT_HTML
from govgate.publish import Published, publish
from govgate.record import GateResult
from govgate.summary import browsable, checks_rows, summary_markdown
from tasks import context
from tasks.govgate_task import govgate_task as task
from tasks.run_view import emit_decided, label_run


def artifact_key(gate: str, kind: str) -> str:
    # Prefect artifact keys: lowercase letters, digits and dashes only.
    return re.sub(r"[^a-z0-9-]+", "-", f"{gate}-{kind}".lower()).strip("-")


@task(name="publish-evidence", cache_policy=NO_CACHE)
def publish_evidence(
    record: GateResult,
    extra_files: dict[str, bytes | Path] | None = None,
    model_version: tuple[str, str] | None = None,
) -> dict[str, str | None]:
    """Write the record once, log it to MLflow, and publish a summary, a checks table and links."""
    logger = get_run_logger()
    s = context.settings()
    published = publish(
        record,
        store=context.store(s),
        tracker=context.tracker(s),
        extra_files=extra_files,
        model_version=model_version,
        retention=_retention_for(record, s),
    )
    links = evidence_links(published, s)
    publish_artifacts(published, links)
    label_run(record.gate, record.subject, record.policy.tier, record.decision.outcome.value)
    emit_decided(record, {"record_uri": published.record_uri, "report_uri": published.report_uri, **links})
    logger.info(
        "%s decision %s: record %s, report %s",
        record.gate,
        record.decision.outcome.value,
        published.record_uri,
        published.report_uri,
    )
    return {
        "decision": record.decision.outcome.value,
        "reasons": list(record.decision.reasons),
        "record_id": record.record_id,
        "record_uri": published.record_uri,
        "report_uri": published.report_uri,
        "mlflow_run_id": published.mlflow_run_id,
        "mlflow_run_url": published.mlflow_run_url,
        **({"report_url": links["report_url"]} if links.get("report_url") else {}),
        "prefect_flow_run_id": record.provenance.prefect_flow_run_id,
    }


def _retention_for(record: GateResult, settings):
    """Evidence retention from the record's policy tier; none when the policy could not be loaded."""
    from govgate.errors import GovgateError
    from govgate.policy import load_policy
    from govgate.publish import evidence_retention

    if record.policy.name == "(not loaded)":
        return None
    try:
        policy = load_policy(record.policy.path or settings.policy)
        return evidence_retention(policy, record.policy.tier)
    except GovgateError:
        return None


def evidence_links(published: Published, settings) -> dict[str, str | None]:
    """Addresses a browser opens from the Prefect UI: the report and record through the evidence server
    (local store) or as given (http), the MLflow run on an http tracking server; None where there is none."""
    store_url, served = settings.effective_store_url, settings.evidence_http_url
    return {
        "report_url": browsable(published.report_uri, store_url, served),
        "record_url": browsable(published.record_uri, store_url, served),
        "mlflow_run_url": published.mlflow_run_url,
    }


def publish_artifacts(published: Published, links: dict[str, str | None] | None = None) -> None:
    """A short summary (decision, why, top findings, links), a narrow checks table and a link artifact."""
    record = published.record
    links = links or {}
    mlflow_uri = published.mlflow_run_url or (
        f"MLflow run id {published.mlflow_run_id}" if published.mlflow_run_id else None
    )
    create_markdown_artifact(
        key=artifact_key(record.gate, "summary"),
        markdown=summary_markdown(
            record,
            [
                ("HTML report", published.report_uri, links.get("report_url")),
                ("evidence record (JSON)", published.record_uri, links.get("record_url")),
                ("MLflow run", mlflow_uri, published.mlflow_run_url),
            ],
        ),
        description=f"{record.gate} {record.decision.outcome.value}: {record.subject.id}",
    )
    create_table_artifact(
        key=artifact_key(record.gate, "checks"),
        table=checks_rows(record),
        description=f"All {len(record.checks)} checks of record {record.record_id}, worst first (full text in {REPORT_HTML})",
    )
    report = links.get("report_url") or published.report_uri
    create_link_artifact(
        key=artifact_key(record.gate, "evidence"),
        link=report,
        link_text=f"HTML report of record {record.record_id}",
        description=f"evidence record: {links.get('record_url') or published.record_uri}"
        + (
            f"; MLflow run: {published.mlflow_run_url}"
            if published.mlflow_run_url
            else f"; MLflow run id {published.mlflow_run_id}"
        ),
    )
