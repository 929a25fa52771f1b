"""The model review's baseline reader: the fairness report of an earlier record, from its named output
(schema 1.1.0) or from the ``fairness.report`` check a 1.0.0 record carried it in."""

from __future__ import annotations

from datetime import UTC, datetime

from govgate.gate import build_record
from govgate.policy import load_policy
from govgate.record import (
    FAIRNESS_REPORT,
    LEGACY_FAIRNESS_CHECK,
    AssetKind,
    Check,
    GateResult,
    Outcome,
    Subject,
    decide,
)
from govgate.settings import DEFAULT_POLICY
from tasks.model_review import baseline_report

REPORT = {"features": {"sex": {"disparities": {"demographic_parity_difference": {"value": 0.1}}}}}


def _record(checks, outputs=None) -> GateResult:
    return build_record(
        gate="model-review",
        subject=Subject(kind=AssetKind.MODEL, id="credit-scorer", version="1"),
        policy=load_policy(DEFAULT_POLICY),
        tier="high",
        started_at=datetime(2026, 11, 22, tzinfo=UTC),
        checks=checks,
        decision=decide(checks),
        outputs=outputs,
    )


def test_baseline_is_read_from_the_output():
    assert baseline_report(_record([], {FAIRNESS_REPORT: REPORT})) == REPORT


def test_baseline_of_a_1_0_0_record_is_read_from_its_payload_check():
    legacy = Check(
        id=LEGACY_FAIRNESS_CHECK, title="t", category="fairness", outcome=Outcome.PASS, details={"report": REPORT}
    )
    data = _record([legacy]).model_dump(mode="json")
    data["schema_version"] = "1.0.0"
    del data["outputs"]
    assert baseline_report(GateResult.model_validate(data)) == REPORT


def test_no_report_means_no_baseline():
    assert baseline_report(_record([])) is None


# ------------------------------------------------------------------------------------------------------
# end to end: version 2 compared with the approved version 1


def _register(df, features, y, settings):
    import mlflow
    from mlflow.models import infer_signature
    from sklearn.linear_model import LogisticRegression
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import StandardScaler

    from govgate.tracking import Tracker, ensure_experiment

    model = make_pipeline(StandardScaler(), LogisticRegression(max_iter=500)).fit(df[features], y)
    mlflow.set_tracking_uri(settings.effective_mlflow_tracking_uri)
    mlflow.set_registry_uri(settings.effective_mlflow_tracking_uri)
    Tracker.from_settings(settings)
    mlflow.set_experiment(
        experiment_id=ensure_experiment(
            mlflow.MlflowClient(), "training", f"{settings.effective_mlflow_artifact_location}/training"
        )
    )
    with mlflow.start_run():
        mlflow.sklearn.log_model(
            model,
            name="model",
            pip_requirements=["scikit-learn"],
            serialization_format="cloudpickle",
            signature=infer_signature(df[features], model.predict(df[features])),
            registered_model_name="credit-scorer",
        )
    versions = mlflow.MlflowClient().search_model_versions("name = 'credit-scorer'")
    return str(max(int(v.version) for v in versions))


def _record_of(result, settings) -> dict:
    import json

    from govgate.store import open_store

    store = open_store(settings)
    key = result["record_uri"].split(f"s3://{store.bucket}/{store.prefix}", 1)[1]
    return json.loads(store.get_bytes(key))


def _artifact(result, name: str, settings) -> str:
    from govgate.store import open_store

    store = open_store(settings)
    key = result["record_uri"].split(f"s3://{store.bucket}/{store.prefix}", 1)[1].rsplit("/", 1)[0] + "/" + name
    return store.get_bytes(key).decode()


def test_version_2_is_compared_with_approved_version_1(prefect_harness, s3_settings, shared_data, tmp_path):
    """Version 1 is approved (low tier); version 2, trained on inverted labels, is far less accurate. Its
    review fails on ``performance.accuracy.vs_baseline``, and every baseline check names version 1 and its
    record (the threshold's baseline_record is that record's id, no longer None)."""
    import numpy as np
    import pandas as pd

    from flows.model_review import model_review
    from flows.runner import run_flow

    features = ["month", "credit_amount", "investment_as_income_percentage", "residence_since", "age"]
    df = pd.read_csv(shared_data / "german_credit" / "german.csv")
    df["sex"] = np.where(df["personal_status"].isin(["A92", "A95"]), "female", "male")
    path = tmp_path / "german_eval.csv"
    df[[*features, "sex", "credit"]].to_csv(path, index=False)
    args = dict(data=str(path), label="credit", sensitive=["sex"], pos_label="1", tier="low")

    v1 = _register(df, features, df["credit"], s3_settings)
    first = run_flow(model_review, model_uri=f"models:/credit-scorer/{v1}", **args)
    assert first["decision"] == "pass", first
    v1_record = _record_of(first, s3_settings)
    v1_acc = next(c for c in v1_record["checks"] if c["id"] == "performance.accuracy")["metrics"][0]["value"]
    # the model card's details come from the loaded model: algorithm, flavor, features, training run
    model = next(c for c in v1_record["checks"] if c["id"] == "model_card.documentation")["details"]["model"]
    assert model["algorithm"] == "Pipeline(StandardScaler, LogisticRegression)" and model["flavor"] == "sklearn"
    assert [f["name"] for f in model["features"]] == features and model["run_id"]
    card = _artifact(first, "model_card.md", s3_settings)
    assert "| Algorithm | Pipeline(StandardScaler, LogisticRegression) |" in card
    assert f"| Version | {v1} |" in card and "| Label and favourable label | credit = 1 is favourable |" in card

    v2 = _register(df, features, df["credit"].map({1: 2, 2: 1}), s3_settings)  # learns the opposite
    second = run_flow(model_review, model_uri=f"models:/credit-scorer/{v2}", **args)
    record = _record_of(second, s3_settings)
    checks = {c["id"]: c for c in record["checks"]}
    acc = checks["performance.accuracy.vs_baseline"]
    assert acc["outcome"] == "fail" and second["decision"] == "fail"
    assert acc["threshold"]["baseline_record"] == v1_record["record_id"]
    assert f"baseline {v1_acc:.4f} from credit-scorer version {v1} (record {v1_record['record_id']})" in acc["message"]
    assert acc["details"]["baseline"]["version"] == v1 and acc["details"]["baseline"]["uri"] == first["record_uri"]
    baseline_checks = [c for c in record["checks"] if c["id"].endswith(".vs_baseline")]
    assert any(c["id"].startswith("fairness.sex.") for c in baseline_checks)
    assert all(c["threshold"]["baseline_record"] == v1_record["record_id"] for c in baseline_checks if c["threshold"])
    assert any(r.startswith("performance.accuracy.vs_baseline") for r in record["decision"]["reasons"])
