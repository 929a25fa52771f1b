"""The demo story on embedded defaults: each gate on a generated credit dataset with planted problems."""

from __future__ import annotations

import time
from collections.abc import Callable
from datetime import UTC

import yaml

from govgate import demo_data, protocol
from govgate.yamlio import load_yaml

FEATURES = ["age", "monthly_income", "credit_amount", "duration_months"]


def register_demo_model(
    df, tracking_uri: str, artifact_root: str, training_data: str = "", name: str = "demo-credit-scorer"
) -> str:
    """Train a plain logistic regression on the applications and register it; returns the version."""
    import mlflow
    from mlflow.models import infer_signature
    from sklearn.linear_model import LogisticRegression
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import StandardScaler

    X = df[FEATURES].assign(is_female=(df["sex"] == "female").astype(int))  # the planted gap is learned through sex
    model = make_pipeline(StandardScaler(), LogisticRegression(max_iter=500)).fit(X, df["good_credit"])
    mlflow.set_tracking_uri(tracking_uri)
    mlflow.set_registry_uri(tracking_uri)
    from govgate.tracking import ensure_experiment

    mlflow.set_experiment(
        experiment_id=ensure_experiment(
            mlflow.MlflowClient(tracking_uri), "demo-training", f"{artifact_root}/demo-training"
        )
    )
    with mlflow.start_run(run_name="train-demo-credit-scorer"):
        mlflow.log_params({"model": "logistic_regression", "features": ",".join(X.columns)})
        mlflow.sklearn.log_model(
            model,
            name="model",
            pip_requirements=["scikit-learn"],
            serialization_format="cloudpickle",
            signature=infer_signature(X, model.predict(X)),
            registered_model_name=name,
        )
    client = mlflow.MlflowClient()
    version = str(max(int(v.version) for v in client.search_model_versions(f"name = '{name}'")))
    for key, value in {
        "intended_use": "Rank consumer loan applications for review by a credit officer",
        "out_of_scope_use": "Automated rejection without human review; any use outside consumer credit",
        "limitations": "Trained on generated demo data; the label carries a planted bias against women",
        protocol.MODEL_TIER: "high",
        "training_data": training_data or "generated demo applications",
    }.items():
        client.set_model_version_tag(name, version, key, value)
    return version


class DemoSteps:
    """Runs each demo flow, echoes its title and decision with the time since the start, and keeps the results."""

    def __init__(self, echo: Callable[[str], None]):
        self.echo = echo
        self.t0 = time.monotonic()
        self.steps: list[tuple[str, dict]] = []

    def say(self, text: str) -> None:
        self.echo(f"[{time.monotonic() - self.t0:5.0f}s] {text}")

    def __call__(self, title: str, fn, **kw) -> dict:
        from flows.runner import run_flow

        self.say(f"{title} ...")
        state = run_flow(fn, return_state=True, **kw)
        result = state.result(raise_on_failure=False)
        result = result if isinstance(result, dict) else {"decision": "error", "message": str(state.message)}
        self.echo(f"        -> {result.get('decision')}: {result.get('report_uri', result.get('message', ''))}")
        self.steps.append((title, result))
        return result


def run_demo(settings, echo: Callable[[str], None]) -> list[tuple[str, dict]]:
    step = DemoSteps(echo)
    folder = settings.home_dir / "demo"
    data, sheet = demo_data.write_demo_inputs(folder)
    echo(f"generated {data} (2,000 applications with planted PII, a leaked key and a fairness gap)")
    redacted, anon_review = review_demo_data(step, folder, data, sheet)
    version = train_demo_model(step, settings, folder, data, redacted, anon_review)
    review_demo_model(step, folder, data, version)
    package_demo_evidence(step, settings, version)
    purge_demo_store(step, settings, data)
    step.say("done")
    return step.steps


def review_demo_data(step: DemoSteps, folder, data, sheet) -> tuple[dict, dict]:
    """Steps 1-3: the raw export, again with an anonymized copy, then the copy under its own datasheet."""
    from flows.data_review import data_review

    step(
        "1. data review of the raw export (expected: fail on the leaked key)",
        data_review,
        dataset=str(data),
        datasheet=str(sheet),
    )
    redacted = step(
        "2. data review again, writing an anonymized copy",
        data_review,
        dataset=str(data),
        datasheet=str(sheet),
        redact=True,
    )
    anon_sheet = load_yaml(sheet, what=f"datasheet {sheet}") | {
        "name": "demo-credit-applications-anonymized",
        "tier": "low",
    }
    anon_sheet_path = folder / "anonymized.datasheet.yaml"
    anon_sheet_path.write_text(yaml.safe_dump(anon_sheet, sort_keys=False))
    anon_review: dict = {}
    if redacted.get("anonymized_copy"):
        anon_review = step(
            "3. data review of the anonymized copy (expected: pass)",
            data_review,
            dataset=redacted["anonymized_copy"],
            datasheet=str(anon_sheet_path),
        )
    return redacted, anon_review


def train_demo_model(step: DemoSteps, settings, folder, data, redacted: dict, anon_review: dict) -> str:
    """Step 4: train on the anonymized copy that passed review (the raw export if there is none); the version."""
    import pandas as pd

    from govgate.store import store_for_uri

    training = pd.read_csv(data)
    if redacted.get("anonymized_copy"):  # train on the copy that passed review
        store, key = store_for_uri(redacted["anonymized_copy"], settings)
        training = pd.read_parquet(store.download(key, folder / "anonymized.parquet"))
    step.say("4. training demo-credit-scorer on the anonymized copy, registering it in MLflow ...")
    lineage = (
        f"{redacted.get('anonymized_copy')} (data-review record {anon_review.get('record_uri')})"
        if anon_review
        else str(data)
    )
    return register_demo_model(
        training, settings.effective_mlflow_tracking_uri, settings.effective_mlflow_artifact_location, lineage
    )


def review_demo_model(step: DemoSteps, folder, data, version: str) -> None:
    """Step 5: the model review on the raw export with the sensitive attribute as a column."""
    import pandas as pd

    from flows.model_review import model_review

    eval_path = folder / "evaluation.csv"
    ev = pd.read_csv(data)
    ev.assign(is_female=(ev["sex"] == "female").astype(int))[[*FEATURES, "is_female", "sex", "good_credit"]].to_csv(
        eval_path, index=False
    )
    step(
        f"5. model review of models:/demo-credit-scorer/{version} (expected: flags the fairness gap)",
        model_review,
        model_uri=f"models:/demo-credit-scorer/{version}",
        data=str(eval_path),
        label="good_credit",
        sensitive=["sex", "age>=25"],
    )


def package_demo_evidence(step: DemoSteps, settings, version: str) -> None:
    """Steps 6-7: the launch evidence package with demo sign-offs, then its verification."""
    from cli.launch import demo_signoffs
    from flows.launch_evidence import launch_evidence
    from govgate.package import verify_package
    from govgate.policy import load_policy

    signoffs = demo_signoffs(load_policy(settings.policy), "high")
    pkg = step(
        "6. launch evidence package with automatic demo sign-offs (expected: not launchable, evidence sealed)",
        launch_evidence,
        model_uri=f"models:/demo-credit-scorer/{version}",
        signoffs=signoffs,
    )
    if pkg.get("manifest_uri"):
        report = verify_package(pkg["manifest_uri"], settings)
        step.say(
            f"7. verify-evidence {pkg['manifest_uri']}: {'OK' if report.ok else 'FAILED'} "
            f"({report.files_checked} files, signature {report.signature})"
        )


def purge_demo_store(step: DemoSteps, settings, data) -> None:
    """Step 8: land the raw export (once under legal hold) and dry-run the purge 100 days ahead."""
    from datetime import datetime, timedelta

    from flows.retention_purge import retention_purge
    from govgate.store import open_store

    landed = open_store(settings)
    landed.put("raw/demo/credit-applications.csv", data, tags={"data-class": "raw-personal", "source": "demo"})
    landed.put("raw/demo/disputed-applications.csv", data, tags={"data-class": "raw-personal", "legal-hold": "true"})
    look_ahead = datetime.now(UTC) + timedelta(days=100)
    purge = step(
        "8. retention purge dry run as of 100 days from now (expected: the raw export would go, the copy on legal hold stays)",
        retention_purge,
        dry_run=True,
        as_of=look_ahead,
    )
    if purge.get("plan_uri"):
        step.echo(f"        {purge.get('would_delete')} object(s) would go; the list: {purge['plan_uri']}")
