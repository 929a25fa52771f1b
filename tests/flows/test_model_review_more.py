"""Model review beyond the tabular classifier: a leaking generative model, regression, aliases, NaN scores."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd

from flows.model_review import model_review
from flows.runner import run_flow
from govgate.store import open_store
from govgate.tracking import Tracker


def _record(settings, result):
    store = open_store(settings)
    return json.loads(store.get_bytes(result["record_uri"].split(f"s3://{store.bucket}/{store.prefix}", 1)[1]))


def _log(settings, python_model, name, input_example):
    import mlflow

    mlflow.set_tracking_uri(settings.effective_mlflow_tracking_uri)
    mlflow.set_registry_uri(settings.effective_mlflow_tracking_uri)
    Tracker.from_settings(settings)
    from govgate.tracking import ensure_experiment

    mlflow.set_experiment(
        experiment_id=ensure_experiment(
            mlflow.MlflowClient(), "training", f"{settings.effective_mlflow_artifact_location}/training"
        )
    )
    with mlflow.start_run():
        mlflow.pyfunc.log_model(
            name="model",
            python_model=python_model,
            pip_requirements=["pandas"],
            registered_model_name=name,
            input_example=input_example,
        )
    client = mlflow.MlflowClient()
    return client, str(max(int(v.version) for v in client.search_model_versions(f"name = '{name}'")))


def test_leaking_generative_model_fails_the_probe_and_findings_are_redacted(prefect_harness, s3_settings, tmp_path):
    import mlflow

    key_id = "AKIA" + "Z7LEAKEDGOVGATE1"

    class CodeModel(mlflow.pyfunc.PythonModel):
        def predict(self, context, model_input, params=None):
            return [
                f"here you go: {key_id} and a long completion text"
                if "AKIA" in p
                else "def add(a, b):\n    return a + b  # done"
                for p in model_input["prompt"]
            ]

    client, version = _log(s3_settings, CodeModel(), "code-model", pd.DataFrame({"prompt": ["x"]}))
    data = tmp_path / "eval.csv"
    pd.DataFrame({"prompt": ["write a function", "sum two numbers"], "label": ["a", "b"]}).to_csv(data, index=False)
    result = run_flow(
        model_review, model_uri=f"models:/code-model/{version}", data=str(data), label="label", sensitive=["label"]
    )
    record = _record(s3_settings, result)
    checks = {c["id"]: c for c in record["checks"]}
    assert checks["leakage.secrets"]["outcome"] == "fail"
    assert result["decision"] == "fail"
    assert key_id not in json.dumps(record)
    assert client.get_model_version("code-model", version).tags["govgate.model_review.decision"] == "fail"


def test_regression_alias_and_group_metrics(prefect_harness, s3_settings, tmp_path):
    import mlflow

    class Doubler(mlflow.pyfunc.PythonModel):
        def predict(self, context, model_input, params=None):
            return (model_input["x"] * 2.0).to_numpy()

    rng = np.random.default_rng(0)
    frame = pd.DataFrame({"x": rng.normal(size=400), "region": rng.choice(["north", "south"], 400)})
    frame["y"] = frame["x"] * 2 + rng.normal(0, 0.1, 400)
    client, version = _log(s3_settings, Doubler(), "doubler", frame[["x"]].head(2))
    client.set_registered_model_alias("doubler", "candidate", version)
    path = tmp_path / "reg.csv"
    frame.to_csv(path, index=False)
    result = run_flow(
        model_review,
        model_uri="models:/doubler@candidate",
        data=str(path),
        label="y",
        sensitive=["region"],
        task_type="regression",
        features=["x"],
        tier="low",
    )
    record = _record(s3_settings, result)
    checks = {c["id"]: c for c in record["checks"]}
    metrics = {m["name"]: m["value"] for m in checks["performance.regression"]["metrics"]}
    assert metrics["r2"] > 0.95 and metrics["mae"] < 0.2
    assert any(m["name"] == "mae[region=north]" for m in checks["performance.by_group.region"]["metrics"])
    assert record["subject"]["version"] == version


def test_nan_scores_make_auc_inconclusive(prefect_harness, s3_settings, tmp_path):
    rng = np.random.default_rng(2)
    frame = pd.DataFrame({"y": rng.integers(0, 2, 300), "g": rng.choice(["a", "b"], 300)})
    frame["score"] = rng.random(300)
    frame.loc[:4, "score"] = np.nan
    path = tmp_path / "s.csv"
    frame.to_csv(path, index=False)
    result = run_flow(model_review, data=str(path), label="y", sensitive=["g"], score_column="score", tier="low")
    auc = {c["id"]: c for c in _record(s3_settings, result)["checks"]}["performance.roc_auc"]
    assert auc["outcome"] == "inconclusive" and "5 score(s) are NaN" in auc["message"]


def test_model_that_fails_to_predict(prefect_harness, s3_settings, tmp_path):
    import mlflow

    class Broken(mlflow.pyfunc.PythonModel):
        def predict(self, context, model_input, params=None):
            raise ValueError("feature 'income' is required")

    _, version = _log(s3_settings, Broken(), "broken", pd.DataFrame({"a": [1.0]}))
    path = tmp_path / "d.csv"
    pd.DataFrame({"a": [1.0, 2.0], "y": [0, 1], "g": ["x", "y"]}).to_csv(path, index=False)
    state = model_review(
        model_uri=f"models:/broken/{version}", data=str(path), label="y", sensitive=["g"], return_state=True
    )
    assert state.is_failed() and "failed to predict on the evaluation data" in state.message
    # the model's own text may quote data values: named by type only (tests/flows/test_task_errors_sanitized.py)
    assert "ValueError" in state.message and "income" not in state.message
    tags = Tracker.from_settings(s3_settings).client.get_model_version("broken", version).tags
    assert tags["govgate.model_review.decision"] == "error"  # never a pass that was not computed
