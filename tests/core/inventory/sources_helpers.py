"""Builders for the inventory source tests: a real MLflow registry (SQLite or a server) with training runs and
their dataset inputs, and real gate records published to a real store."""

from __future__ import annotations

from datetime import datetime

from mlflow.entities import Dataset, DatasetInput, InputTag
from mlflow.tracking import MlflowClient

from govgate import protocol
from govgate.gate import build_record
from govgate.policy import Policy
from govgate.publish import publish
from govgate.record import AssetKind, Check, InputDigest, Outcome, Subject, decide, new_record_id


def training_run(client: MlflowClient, experiment_id: str, datasets: list[tuple[str, str, str]]) -> str:
    """A run with dataset inputs (name, digest, source URI) logged as MLflow 3 keeps them."""
    run = client.create_run(experiment_id)
    inputs = [
        DatasetInput(
            Dataset(name=n, digest=d, source_type="s3", source=f'{{"uri": "{s}"}}'),
            tags=[InputTag(protocol.MLFLOW_DATASET_CONTEXT_TAG, "training")],
        )
        for n, d, s in datasets
    ]
    if inputs:
        client.log_inputs(run.info.run_id, datasets=inputs)
    client.set_terminated(run.info.run_id)
    return run.info.run_id


def register(
    client: MlflowClient,
    experiment_id: str,
    name: str,
    versions: int,
    *,
    tags: dict[str, str] | None = None,
    aliases: dict[str, int] | None = None,
    datasets: list[tuple[str, str, str]] | None = None,
    version_tags: dict[int, dict[str, str]] | None = None,
) -> list[str]:
    """A registered model with ``versions`` versions, each trained by its own run on ``datasets``."""
    client.create_registered_model(name, tags=tags or {})
    run_ids = []
    for v in range(1, versions + 1):
        run_id = training_run(client, experiment_id, datasets or [])
        client.create_model_version(name, f"runs:/{run_id}/model", run_id, tags=(version_tags or {}).get(v))
        run_ids.append(run_id)
    for alias, version in (aliases or {}).items():
        client.set_registered_model_alias(name, alias, str(version))
    return run_ids


def record(
    store,
    tracker,
    policy: Policy,
    *,
    gate: str,
    kind: AssetKind,
    subject_id: str,
    version: str | None,
    when: datetime,
    outcome: Outcome = Outcome.PASS,
    tier: str = "medium",
    inputs: list[InputDigest] | None = None,
    outputs: dict | None = None,
):
    """One real gate record, published (store + MLflow run) as a gate would."""
    checks = [Check(id="x.c", title="c", category="x", outcome=outcome, evidence_kind="data_quality")]
    result = build_record(
        gate=gate,
        subject=Subject(kind=kind, id=subject_id, version=version, inputs=inputs or []),
        policy=policy,
        tier=tier,
        started_at=when,
        checks=checks,
        decision=decide(checks),
        outputs=outputs,
        record_id=new_record_id(when),
    )
    return publish(result, store=store, tracker=tracker).record
