"""The model-review flow end to end on the shared German credit data: a real sklearn model logged and
registered in MLflow (SQLite, artifacts on the local S3 server), the real Prefect server (harness)."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest

from flows.model_review import model_review
from flows.runner import run_flow
from govgate.store import open_store
from govgate.tracking import Tracker

FEATURES = ["month", "credit_amount", "investment_as_income_percentage", "residence_since", "age", "number_of_credits"]


@pytest.fixture
def credit_eval(shared_data, tmp_path):
    df = pd.read_csv(shared_data / "german_credit" / "german.csv")
    df["sex"] = np.where(df["personal_status"].isin(["A92", "A95"]), "female", "male")
    path = tmp_path / "german_eval.csv"
    df[[*FEATURES, "sex", "credit"]].to_csv(path, index=False)
    return df, path


@pytest.fixture
def registered_model(s3_settings, credit_eval):
    import mlflow
    from mlflow.models import infer_signature
    from sklearn.linear_model import LogisticRegression
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import StandardScaler

    df, _ = credit_eval
    model = make_pipeline(StandardScaler(), LogisticRegression(max_iter=500)).fit(df[FEATURES], df["credit"])
    mlflow.set_tracking_uri(s3_settings.effective_mlflow_tracking_uri)
    mlflow.set_registry_uri(s3_settings.effective_mlflow_tracking_uri)
    Tracker.from_settings(s3_settings)  # sets the S3 endpoint for MLflow's artifact client
    from govgate.tracking import ensure_experiment

    mlflow.set_experiment(
        experiment_id=ensure_experiment(
            mlflow.MlflowClient(), "training", f"{s3_settings.effective_mlflow_artifact_location}/training"
        )
    )
    with mlflow.start_run():
        info = mlflow.sklearn.log_model(
            model,
            name="model",
            pip_requirements=["scikit-learn"],
            serialization_format="cloudpickle",
            signature=infer_signature(df[FEATURES], model.predict(df[FEATURES])),
            registered_model_name="credit-scorer",
        )
    client = mlflow.MlflowClient()
    version = str(client.search_model_versions("name = 'credit-scorer'")[0].version)
    client.set_model_version_tag(
        "credit-scorer", version, "intended_use", "Rank consumer loan applications for manual review"
    )
    client.set_model_version_tag("credit-scorer", version, "out_of_scope_use", "Fully automated rejection")
    client.set_model_version_tag(
        "credit-scorer", version, "limitations", "Trained on 1,000 historical German applications"
    )
    return model, version, info


def test_credit_model_review_tags_version_and_writes_card(prefect_harness, s3_settings, credit_eval, registered_model):
    from fairlearn.metrics import MetricFrame, selection_rate

    df, path = credit_eval
    model, version, _ = registered_model
    result = run_flow(
        model_review,
        model_uri=f"models:/credit-scorer/{version}",
        data=str(path),
        label="credit",
        sensitive=["sex", "age>=25"],
        pos_label="1",
        tier="high",
    )
    store = open_store(s3_settings)
    prefix = result["record_uri"].split(f"s3://{store.bucket}/{store.prefix}", 1)[1].rsplit("/", 1)[0] + "/"
    record = json.loads(store.get_bytes(prefix + "record.json"))
    ids = {c["id"]: c for c in record["checks"]}
    assert {
        "performance.accuracy",
        "performance.roc_auc",
        "performance.by_group.sex",
        "model_card.documentation",
        "leakage.probe",
        "robustness.perturbation",
    } <= set(ids)
    # payloads that are not checks travel as named outputs
    assert not {"fairness.report", "reference.distributions"} & set(ids)
    assert set(record["outputs"]) == {"fairness_report", "reference_distributions", "drift_profile"}
    assert record["schema_version"] == "1.1.0"
    assert set(record["outputs"]["fairness_report"]["features"]) == {"sex", "age>=25", "sex & age>=25"}
    assert any(i.startswith("fairness.sex") for i in ids) and any("age>=25" in i for i in ids)
    assert ids["leakage.probe"]["outcome"] == "skipped" and "tabular" in ids["leakage.probe"]["message"]
    assert ids["performance.roc_auc"]["outcome"] == "inconclusive"  # labels only; the high tier requires it
    assert ids["model_card.documentation"]["outcome"] == "pass"

    # selection rate by sex agrees with Fairlearn's public API to 1e-9
    pred = (model.predict(df[FEATURES]) == 1).astype(int)
    mf = MetricFrame(
        metrics=selection_rate, y_true=(df["credit"] == 1).astype(int), y_pred=pred, sensitive_features=df["sex"]
    )
    rates = {m["name"]: m["value"] for c in record["checks"] if c["id"] == "fairness.groups.sex" for m in c["metrics"]}
    for group, value in mf.by_group.items():
        assert abs(rates[f"selection_rate[sex={group}]"] - value) < 1e-9

    # reference distributions: binned, no raw rows
    ref = record["outputs"]["reference_distributions"]
    assert ref["rows"] == 1000 and set(ref["features"]) == set(FEATURES)

    # the version carries the decision and the record
    tags = Tracker.from_settings(s3_settings).client.get_model_version("credit-scorer", version).tags
    assert tags["govgate.model_review.decision"] == record["decision"]["outcome"] == result["decision"]
    assert tags["govgate.model_review.record_uri"] == result["record_uri"]
    card = store.get_bytes(prefix + "model_card.html").decode()
    assert "<svg" in card and "Rank consumer loan applications" in card and "Fully automated rejection" in card
    card_md = store.get_bytes(prefix + "model_card.md").decode()
    assert "Intended use" in card_md
    assert "| sex | sex=female |" in card_md  # the fairness table, from the fairness_report output

    # every check family ran as its own task run of this flow run
    expected_tasks = {
        "load-model",
        "load-evaluation-data",
        "predict",
        "performance",
        "fairness",
        "fairness-vs-baseline",
        "robustness",
        "explainability",
        "leakage",
        "reference-distributions",
        "model-card",
        "publish-evidence",
    }
    assert expected_tasks <= _task_run_names(record["provenance"]["prefect_flow_run_id"], expected_tasks)


def _task_run_names(flow_run_id: str, expected: set[str]) -> set[str]:
    """Names of the task runs of a flow run, from the Prefect server (task run names are NAME-xxx).
    Task runs reach the server as events: wait a little for the last ones."""
    import time

    from prefect.client.orchestration import get_client
    from prefect.client.schemas.filters import FlowRunFilter, FlowRunFilterId

    deadline = time.monotonic() + 30
    with get_client(sync_client=True) as client:
        while True:
            runs = client.read_task_runs(flow_run_filter=FlowRunFilter(id=FlowRunFilterId(any_=[flow_run_id])))
            names = {r.name.rsplit("-", 1)[0] for r in runs}
            if expected <= names or time.monotonic() > deadline:
                return names
            time.sleep(0.5)


def test_precomputed_scores_without_a_model(prefect_harness, s3_settings, credit_eval, tmp_path):
    df, _ = credit_eval
    rng = np.random.default_rng(1)
    scored = df[[*FEATURES, "sex", "credit"]].assign(
        score=np.clip(0.6 + 0.2 * (df["credit"] == 1) + rng.normal(0, 0.2, len(df)), 0, 1)
    )
    path = tmp_path / "scored.csv"
    scored.to_csv(path, index=False)
    result = run_flow(
        model_review, data=str(path), label="credit", sensitive=["sex"], score_column="score", tier="medium"
    )
    store = open_store(s3_settings)
    key = result["record_uri"].split(f"s3://{store.bucket}/{store.prefix}", 1)[1]
    ids = {c["id"]: c for c in json.loads(store.get_bytes(key))["checks"]}
    assert ids["performance.roc_auc"]["outcome"] in ("pass", "warn", "fail")  # judged on its interval
    assert ids["performance.roc_auc"]["metrics"][0]["lower"] is not None
    assert ids["robustness.perturbation"]["outcome"] == "skipped"


@pytest.mark.parametrize(
    "kwargs,message",
    [
        ({"model_uri": "models:/no-such-model/1"}, "model models:/no-such-model/1 does not exist"),
        ({"sensitive": ["religion"]}, "sensitive feature 'religion' does not exist"),
        ({"label": "month"}, "label column 'month' has"),
    ],
)
def test_bad_inputs_fail_clearly(prefect_harness, s3_settings, credit_eval, kwargs, message):
    _, path = credit_eval
    params = {
        "data": str(path),
        "label": "credit",
        "sensitive": ["sex"],
        "score_column": None,
        "prediction_column": "credit",
    }
    params.update(kwargs)
    if "model_uri" in kwargs:
        params.pop("prediction_column")
    state = model_review(**params, return_state=True)
    assert state.is_failed() and message in state.message, state.message
