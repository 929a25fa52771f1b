"""Publishing a gate's record: store + MLflow (core), then Prefect artifacts for the UI."""

from __future__ import annotations

import re
from pathlib import Path

from prefect import get_run_logger
from prefect.artifacts import create_link_artifact, create_markdown_artifact, create_table_artifact
from prefect.cache_policies import NO_CACHE

from govgate.publish import Published, publish
from govgate.record import GateResult
from govgate.render import checks_table
from tasks import context
from tasks.govgate_task import govgate_task as task


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
    publish_artifacts(published)
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


def publish_artifacts(published: Published) -> None:
    record = published.record
    create_markdown_artifact(
        key=artifact_key(record.gate, "summary"),
        markdown=published.summary_markdown,
        description=f"{record.gate} {record.decision.outcome.value}: {record.subject.id}",
    )
    create_table_artifact(
        key=artifact_key(record.gate, "checks"),
        table=checks_table(record),
        description=f"All {len(record.checks)} checks of record {record.record_id}",
    )
    create_link_artifact(
        key=artifact_key(record.gate, "evidence"),
        link=published.record_uri,
        link_text=f"evidence record {record.record_id}",
        description=f"HTML report: {published.report_uri}"
        + (
            f"; MLflow run: {published.mlflow_run_url}"
            if published.mlflow_run_url
            else f"; MLflow run id {published.mlflow_run_id}"
        ),
    )
