"""MLflow tracking adapter: one MLflow run per gate run, in an experiment per gate.

Uses an explicit ``MlflowClient`` (no global active run), so concurrent gate runs in one process do not
share state.
"""

from __future__ import annotations

import os
import re
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from govgate import protocol
from govgate.errors import TrackingError
from govgate.record import GateResult

_METRIC_NAME = re.compile(r"[^A-Za-z0-9_\-. /]")


def metric_key(name: str) -> str:
    return _METRIC_NAME.sub("_", name)[:250]


def ensure_experiment(client, name: str, artifact_location: str) -> str:
    """Id of the experiment ``name``, created with an explicit artifact location (MLflow's default for a
    SQLite store is ./mlruns in whatever folder the process runs in)."""
    exp = client.get_experiment_by_name(name)
    if exp is not None:
        return exp.experiment_id
    try:
        return client.create_experiment(name, artifact_location=artifact_location)
    except Exception:
        exp = client.get_experiment_by_name(name)  # created concurrently by another run
        if exp is None:
            raise
        return exp.experiment_id


class Tracker:
    def __init__(self, tracking_uri: str, artifact_location: str, experiment_prefix: str = "govgate"):
        from mlflow.tracking import MlflowClient

        self.tracking_uri = tracking_uri
        self.artifact_location = artifact_location.rstrip("/")
        self.experiment_prefix = experiment_prefix
        self.client = MlflowClient(tracking_uri=tracking_uri, registry_uri=tracking_uri)

    @classmethod
    def from_settings(cls, settings) -> Tracker:
        # MLflow reads its HTTP retry budget and S3 endpoint only from the environment.
        os.environ.setdefault("MLFLOW_HTTP_REQUEST_MAX_RETRIES", str(settings.mlflow_max_retries))
        if settings.s3_endpoint_url:
            os.environ.setdefault("MLFLOW_S3_ENDPOINT_URL", settings.s3_endpoint_url)
        if settings.s3_access_key_id and settings.s3_secret_access_key:
            os.environ.setdefault("AWS_ACCESS_KEY_ID", settings.s3_access_key_id)
            os.environ.setdefault("AWS_SECRET_ACCESS_KEY", settings.s3_secret_access_key.get_secret_value())
        if settings.effective_mlflow_tracking_uri.startswith("sqlite:///"):
            Path(settings.effective_mlflow_tracking_uri[len("sqlite:///") :]).parent.mkdir(parents=True, exist_ok=True)
        return cls(
            settings.effective_mlflow_tracking_uri,
            settings.effective_mlflow_artifact_location,
            settings.mlflow_experiment_prefix,
        )

    @contextmanager
    def _errors(self, action: str) -> Iterator[None]:
        try:
            yield
        except TrackingError:
            raise
        except Exception as exc:  # MLflow raises MlflowException, requests errors, sqlalchemy errors
            detail = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
            raise TrackingError(f"MLflow at {self.tracking_uri} failed to {action}: {detail}") from None

    def experiment_name(self, gate: str) -> str:
        return f"{self.experiment_prefix}/{gate}"

    def experiment_id(self, gate: str) -> str:
        name = self.experiment_name(gate)
        with self._errors(f"find or create experiment {name!r}"):
            return ensure_experiment(self.client, name, f"{self.artifact_location}/{gate}")

    def start_run(self, record: GateResult) -> tuple[str, str]:
        """Create the MLflow run of a gate run; returns (experiment_id, run_id)."""
        exp_id = self.experiment_id(record.gate)
        with self._errors(f"create a run in experiment {self.experiment_name(record.gate)!r}"):
            run = self.client.create_run(
                exp_id, run_name=f"{record.gate}-{record.record_id}", tags=self.subject_tags(record)
            )
        return exp_id, run.info.run_id

    @staticmethod
    def subject_tags(record: GateResult) -> dict[str, str]:
        s = record.subject
        tags = {
            protocol.RUN_GATE: record.gate,
            protocol.RUN_RECORD_ID: record.record_id,
            protocol.RUN_SUBJECT_KIND: s.kind.value,
            protocol.RUN_SUBJECT_ID: s.id,
            protocol.RUN_POLICY_NAME: record.policy.name,
            protocol.RUN_POLICY_TIER: record.policy.tier,
            protocol.RUN_POLICY_SHA256: record.policy.sha256,
        }
        if s.version:
            tags[protocol.RUN_SUBJECT_VERSION] = s.version
        if record.provenance.prefect_flow_run_id:
            tags[protocol.RUN_PREFECT_FLOW_RUN_ID] = record.provenance.prefect_flow_run_id
        return tags

    def log_result(self, run_id: str, record: GateResult, record_uri: str, files: dict[str, bytes]) -> None:
        """Metrics of every check, the decision as tags, and the record and reports as artifacts."""
        from mlflow.entities import Metric, Param, RunTag

        now_ms = int(record.started_at.timestamp() * 1000)
        metrics = []
        for check in record.checks:
            for m in check.metrics:
                if isinstance(m.value, bool) or not isinstance(m.value, (int, float)):
                    continue
                metrics.append(Metric(metric_key(f"{check.id}.{m.name}"), float(m.value), now_ms, 0))
        counts = record.outcome_counts()
        metrics += [Metric(f"checks.{k}", float(v), now_ms, 0) for k, v in counts.items()]
        tags = [
            RunTag(protocol.RUN_DECISION, record.decision.outcome.value),
            RunTag(protocol.RUN_RECORD_URI, record_uri),
            RunTag(protocol.RUN_NOTE, "; ".join(record.decision.reasons)[:4000] or record.decision.outcome.value),
        ]
        params = [Param(metric_key(f"param.{k}"), str(v)[:6000]) for k, v in sorted(record.parameters.items())]
        with self._errors(f"log results to run {run_id}"):
            for i in range(0, max(len(metrics), 1), 1000):
                self.client.log_batch(
                    run_id, metrics=metrics[i : i + 1000], tags=tags if i == 0 else [], params=params if i == 0 else []
                )
            with tempfile.TemporaryDirectory(prefix="govgate-mlflow-") as tmp:
                for name, content in files.items():
                    (Path(tmp) / name).write_bytes(content)
                self.client.log_artifacts(run_id, tmp, artifact_path="evidence")

    def end_run(self, run_id: str, ok: bool) -> None:
        with self._errors(f"end run {run_id}"):
            self.client.set_terminated(run_id, status="FINISHED" if ok else "FAILED")

    def set_model_version_tags(self, name: str, version: str | int, tags: dict[str, str]) -> None:
        with self._errors(f"tag model version {name}/{version}"):
            for key, value in tags.items():
                self.client.set_model_version_tag(name, str(version), key, value)

    def unreviewed_versions(
        self, gate: str, *, models: list[str] | None, created_after_ms: int, created_before_ms: int
    ) -> list[tuple[str, str]]:
        """(name, version) of registered versions created in the window that carry no ``govgate.<gate>.decision``
        tag (publishing a review sets it, an error record included), oldest first."""
        decision_tag = protocol.gate_tag(gate, protocol.DECISION)
        quoted = [m.replace("'", "''") for m in models or []]
        filters = [f"name = '{m}'" for m in quoted] or [""]
        found: list[tuple[int, str, str]] = []
        with self._errors("search model versions"):
            for filter_string in filters:
                token = None
                while True:
                    page = self.client.search_model_versions(filter_string or None, max_results=200, page_token=token)
                    for mv in page:
                        created = int(mv.creation_timestamp or 0)
                        if created_after_ms <= created < created_before_ms and decision_tag not in (mv.tags or {}):
                            found.append((created, mv.name, str(mv.version)))
                    token = page.token
                    if not token:
                        break
        return [(name, version) for _, name, version in sorted(found)]

    def record_id_for_run(self, run_ref: str) -> str | None:
        """The record id of a gate run, given its Prefect flow-run id (UUID) or its MLflow run id (32 hex)."""
        ref = run_ref.strip().lower()
        with self._errors(f"find the gate run {run_ref}"):
            if re.fullmatch(r"[0-9a-f]{32}", ref):
                from mlflow.exceptions import MlflowException

                try:
                    return self.client.get_run(ref).data.tags.get(protocol.RUN_RECORD_ID)
                except MlflowException:
                    return None
            if re.fullmatch(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}", ref):
                experiments = [
                    e.experiment_id
                    for e in self.client.search_experiments(filter_string=f"name LIKE '{self.experiment_prefix}/%'")
                ]
                if not experiments:
                    return None
                runs = self.client.search_runs(
                    experiments, filter_string=f"tags.`{protocol.RUN_PREFECT_FLOW_RUN_ID}` = '{ref}'", max_results=1
                )
                return runs[0].data.tags.get(protocol.RUN_RECORD_ID) if runs else None
        return None

    def run_url(self, experiment_id: str, run_id: str) -> str | None:
        if self.tracking_uri.startswith(("http://", "https://")):
            return f"{self.tracking_uri.rstrip('/')}/#/experiments/{experiment_id}/runs/{run_id}"
        return None

    def check(self) -> str:
        with self._errors("answer a search for experiments"):
            self.client.search_experiments(max_results=1)
        return self.tracking_uri
