"""A new model version gets reviewed without anyone asking: through a real ``mlflow server`` webhook,
``govgate bridge`` and a Prefect trigger on the served model-review deployment; and, for MLflow setups
without webhooks, through the model-review-poll fallback."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path

import httpx
import numpy as np
import pandas as pd
import pytest

from govgate.runtime import free_port

REPO = Path(__file__).resolve().parents[2]
MODEL = "credit-scorer-e2e"


def eval_data(path: Path, n: int = 600) -> Path:
    rng = np.random.default_rng(3)
    sex = rng.choice(["female", "male"], n)
    income = rng.normal(50, 15, n).round(1)
    debt = rng.normal(20, 8, n).round(1)
    label = ((income - debt + np.where(sex == "male", 8, 0) + rng.normal(0, 10, n)) > 30).astype(int)
    pd.DataFrame({"income": income, "debt": debt, "sex": sex, "approved": label}).to_csv(path, index=False)
    return path


def register_version(tracking_uri: str, data: Path, name: str = MODEL) -> str:
    """Tag the registered model with its evaluation data first (a registration event carries only name and
    version), then log and register a version."""
    import mlflow
    from mlflow.models import infer_signature
    from sklearn.linear_model import LogisticRegression

    client = mlflow.MlflowClient(tracking_uri=tracking_uri, registry_uri=tracking_uri)
    if not client.search_registered_models(f"name = '{name}'"):
        client.create_registered_model(
            name, tags={"govgate.eval_data": str(data), "govgate.label": "approved", "govgate.sensitive": "sex"}
        )
    frame = pd.read_csv(data)
    X = frame[["income", "debt"]]
    model = LogisticRegression(max_iter=200).fit(X, frame["approved"])
    mlflow.set_tracking_uri(tracking_uri)
    mlflow.set_registry_uri(tracking_uri)
    experiment = client.get_experiment_by_name("training") or client.get_experiment(
        client.create_experiment("training")
    )
    with mlflow.start_run(experiment_id=experiment.experiment_id):
        mlflow.sklearn.log_model(
            model,
            name="model",
            pip_requirements=["scikit-learn"],
            serialization_format="cloudpickle",
            signature=infer_signature(X, model.predict(X)),
            registered_model_name=name,
        )
    return str(max(int(v.version) for v in client.search_model_versions(f"name = '{name}'")))


def test_poll_fallback_reviews_versions_nobody_reviewed(prefect_harness, local_settings, tmp_path):
    from flows.model_review_poll import model_review_poll
    from govgate.tracking import Tracker

    uri = local_settings.effective_mlflow_tracking_uri
    Tracker.from_settings(local_settings)
    version = register_version(uri, eval_data(tmp_path / "eval.csv"))
    young = model_review_poll(grace_minutes=10)  # just registered: the event path gets its chance first
    assert young["found"] == 0 and young["reviewed"] == []

    first = model_review_poll(grace_minutes=0)
    assert first["found"] == 1
    (row,) = first["reviewed"]
    assert (row["model"], row["version"]) == (MODEL, version) and row["decision"] in ("pass", "fail")
    import mlflow

    tags = mlflow.MlflowClient(tracking_uri=uri, registry_uri=uri).get_model_version(MODEL, version).tags
    assert tags["govgate.model_review.decision"] == row["decision"] and tags["govgate.model_review.record_uri"]
    # the review read its inputs from the registered model's tags, sensitive feature included
    assert "sex" in Path(tags["govgate.model_review.record_uri"].removeprefix("file://")).read_text()
    assert model_review_poll(grace_minutes=0)["found"] == 0  # reviewed versions are not reviewed again


def test_model_without_eval_tags_gets_an_error_review_naming_the_tags(prefect_harness, local_settings, tmp_path):
    import mlflow

    from flows.model_review import model_review
    from govgate.errors import InputError
    from govgate.tracking import Tracker

    uri = local_settings.effective_mlflow_tracking_uri
    Tracker.from_settings(local_settings)
    client = mlflow.MlflowClient(tracking_uri=uri, registry_uri=uri)
    client.create_registered_model("untagged-model")
    version = register_version(uri, eval_data(tmp_path / "eval.csv"), name="untagged-model")
    with pytest.raises(InputError, match="govgate.eval_data and govgate.label"):
        model_review(model_name="untagged-model", model_version=version)
    assert client.get_model_version("untagged-model", version).tags["govgate.model_review.decision"] == "error"


SERVE_SCRIPT = """
from prefect import serve
from prefect.events import DeploymentEventTrigger
from deployments.serve import gate_deployments
from flows.model_review import model_review

(review,) = [d for d in gate_deployments() if d.name == "model-review"]
# A trigger whose parameters cannot validate (a name as a float): Prefect creates no run, only a
# prefect.automation.action.failed event, which the bridge must notice and report.
broken = model_review.to_deployment(name="model-review-broken-trigger", triggers=[DeploymentEventTrigger(
    name="broken-on-registration", expect={"mlflow.model_version.created"},
    parameters={"model_name": "{{ event.payload.name }}", "threshold": "{{ event.payload.name }}"})])
serve(review, broken)
"""


def _start(cmd: list[str], env: dict, log: Path) -> subprocess.Popen:
    return subprocess.Popen(
        cmd, env=env, stdout=log.open("wb"), stderr=subprocess.STDOUT, cwd=REPO, start_new_session=True
    )


def _wait_http(url: str, proc: subprocess.Popen, log: Path, timeout: float = 120) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise AssertionError(f"{url} exited with {proc.returncode}:\n{log.read_text()[-3000:]}")
        try:
            if httpx.get(url, timeout=2).status_code == 200:
                return
        except httpx.HTTPError:
            pass
        time.sleep(0.5)
    raise AssertionError(f"{url} did not answer within {timeout} s:\n{log.read_text()[-3000:]}")


def test_registration_on_a_real_mlflow_server_triggers_a_model_review(prefect_harness, tmp_path):
    from cryptography.fernet import Fernet
    from prefect.client.orchestration import get_client
    from prefect.client.schemas.filters import DeploymentFilter, DeploymentFilterName
    from prefect.settings import PREFECT_API_URL
    from typer.testing import CliRunner

    from cli.main import app

    api_url = PREFECT_API_URL.value()
    mlflow_port, bridge_port = free_port(), free_port()
    tracking_uri = f"http://127.0.0.1:{mlflow_port}"
    secret = "e2e-webhook-secret-0123456789abcdef"
    home = tmp_path / "home"
    base = {k: v for k, v in os.environ.items() if not k.startswith("GOVGATE_")}
    env = {
        **base,
        "GOVGATE_HOME": str(home),
        "PREFECT_API_URL": api_url,
        "GOVGATE_PREFECT_API_URL": api_url,
        "GOVGATE_MLFLOW_TRACKING_URI": tracking_uri,
        "GOVGATE_BRIDGE_SECRET": secret,
    }
    logs = {name: tmp_path / f"{name}.log" for name in ("mlflow", "bridge", "serve")}
    procs = []
    try:
        procs.append(
            mlflow := _start(
                [
                    sys.executable,
                    "-m",
                    "mlflow",
                    "server",
                    "--host",
                    "127.0.0.1",
                    "--port",
                    str(mlflow_port),
                    "--workers",
                    "1",
                    "--backend-store-uri",
                    f"sqlite:///{tmp_path / 'mlflow.db'}",
                    "--artifacts-destination",
                    str(tmp_path / "mlartifacts"),
                ],
                {
                    **env,
                    "MLFLOW_WEBHOOK_SECRET_ENCRYPTION_KEY": Fernet.generate_key().decode(),
                    "MLFLOW_WEBHOOK_ALLOWED_SCHEMES": "http,https",
                    "MLFLOW_WEBHOOK_ALLOW_PRIVATE_IPS": "true",
                },
                logs["mlflow"],
            )
        )
        procs.append(
            bridge := _start(
                [sys.executable, "-m", "cli.main", "bridge", "--port", str(bridge_port)], env, logs["bridge"]
            )
        )
        procs.append(
            serve := _start(
                [sys.executable, "-c", SERVE_SCRIPT], {**env, "PREFECT_RUNNER_POLL_FREQUENCY": "2"}, logs["serve"]
            )
        )
        _wait_http(f"{tracking_uri}/health", mlflow, logs["mlflow"])
        _wait_http(f"http://127.0.0.1:{bridge_port}/health", bridge, logs["bridge"])

        # govgate webhook install: registers the signed webhook and sends MLflow's test delivery through the bridge
        result = CliRunner().invoke(
            app,
            ["webhook", "install", "--url", f"http://127.0.0.1:{bridge_port}/mlflow", "--tracking-uri", tracking_uri],
            env={"GOVGATE_BRIDGE_SECRET": secret},
        )
        assert result.exit_code == 0, result.output
        assert "created" in result.output and "test delivery: ok" in result.output
        again = CliRunner().invoke(
            app,
            [
                "webhook",
                "install",
                "--url",
                f"http://127.0.0.1:{bridge_port}/mlflow",
                "--tracking-uri",
                tracking_uri,
                "--no-test",
            ],
            env={"GOVGATE_BRIDGE_SECRET": secret},
        )
        assert again.exit_code == 0 and "updated" in again.output  # idempotent: one webhook, updated

        with get_client(sync_client=True) as client:  # both deployments are served before the registration
            deadline = time.monotonic() + 90
            while (
                len(
                    client.read_deployments(
                        deployment_filter=DeploymentFilter(
                            name=DeploymentFilterName(any_=["model-review", "model-review-broken-trigger"])
                        )
                    )
                )
                < 2
            ):
                assert time.monotonic() < deadline and serve.poll() is None, logs["serve"].read_text()[-3000:]
                time.sleep(1)
            time.sleep(3)  # the automations are loaded by the server's trigger service

            version = register_version(tracking_uri, eval_data(tmp_path / "eval.csv"))

            deadline = time.monotonic() + 240
            run = None
            while time.monotonic() < deadline:
                runs = client.read_flow_runs(
                    deployment_filter=DeploymentFilter(name=DeploymentFilterName(any_=["model-review"]))
                )
                run = runs[0] if runs else None
                if run is not None and run.state is not None and run.state.is_final():
                    break
                time.sleep(2)
            else:
                pytest.fail(
                    f"no finished model-review run (last: {run and run.state}).\nbridge:\n{logs['bridge'].read_text()[-2000:]}"
                    f"\nserve:\n{logs['serve'].read_text()[-3000:]}\nmlflow:\n{logs['mlflow'].read_text()[-2000:]}"
                )
            assert run.parameters["model_name"] == MODEL and run.parameters["model_version"] == version
            assert run.state.is_completed(), f"{run.state}: {logs['serve'].read_text()[-3000:]}"
            broken_runs = client.read_flow_runs(
                deployment_filter=DeploymentFilter(name=DeploymentFilterName(any_=["model-review-broken-trigger"]))
            )
            assert broken_runs == []

        import mlflow

        tags = (
            mlflow.MlflowClient(tracking_uri=tracking_uri, registry_uri=tracking_uri)
            .get_model_version(MODEL, version)
            .tags
        )
        assert tags["govgate.model_review.decision"] in ("pass", "fail") and tags["govgate.model_review.record_id"]

        # the broken trigger left only a prefect.automation.action.failed event: the bridge reports it
        deadline = time.monotonic() + 60
        while (health := httpx.get(f"http://127.0.0.1:{bridge_port}/health").json())["trigger_failures"] < 1:
            assert time.monotonic() < deadline, (
                f"failed trigger not reported: {health}\n{logs['bridge'].read_text()[-2000:]}"
            )
            time.sleep(1)
        assert health["emitted"] == 1 and health["tests"] == 1 and health["rejected"] == {}
        (failure,) = httpx.get(f"http://127.0.0.1:{bridge_port}/failures").json()
        assert failure["automation"] == "broken-on-registration" and f"{MODEL} v{version}" in failure["subject"]
        assert "trigger failed" in logs["bridge"].read_text()
    finally:
        for proc in procs:
            if proc.poll() is None:
                os.killpg(proc.pid, 15)
        for proc in procs:
            try:
                proc.wait(15)
            except subprocess.TimeoutExpired:
                os.killpg(proc.pid, 9)
