"""Robustness checks of the model-review gate, on real sklearn models (and one mlflow.pyfunc model logged to
a SQLite tracking store under tmp_path)."""

from __future__ import annotations

import json
import pickle

import numpy as np
import pandas as pd
import pytest
from sklearn.ensemble import HistGradientBoostingClassifier
from sklearn.linear_model import LogisticRegression
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler
from sklearn.tree import DecisionTreeClassifier

from govgate.checks.robustness import (
    ImportanceReport,
    RobustnessReport,
    explainability_checks,
    permutation_importance_report,
    perturbation_stability,
    robustness_checks,
)
from govgate.record import Outcome
from tests.checks.model_helpers import RULES, by_id, numeric


def test_decision_at_threshold_flips_and_fails():
    """95% of rows sit within 0.001 of the split; noise of 0.05 x std (std ~2) flips about half of them."""
    rng = np.random.default_rng(2)
    n = 3000
    x = np.where(rng.random(n) < 0.95, rng.normal(0, 0.001, n), rng.choice([-10.0, 10.0], n))
    X = pd.DataFrame({"score": x, "age_band": rng.integers(0, 5, n)})
    y = (x > 0).astype(int)
    model = DecisionTreeClassifier(max_depth=1).fit(X, y)
    sensitive = pd.DataFrame({"group": rng.choice(["a", "b"], n)})
    report = perturbation_stability(
        lambda d: model.predict_proba(d)[:, 1],
        X,
        sensitive=sensitive,
        decide=lambda p: (np.asarray(p) >= 0.5).astype(int),
    )
    assert report.decision_rule == "decide=<lambda>"
    # the coarse integer is perturbed too: one-unit steps (noise of 0.05 x std would round to nothing)
    assert report.perturbed_columns == ["score", "age_band"] and report.flip_rate > 0.3
    assert report.skipped_columns == {} and report.perturbation == {"score": "noise", "age_band": "one-unit steps"}
    assert report.lower <= report.flip_rate <= report.upper

    checks, findings = robustness_checks(report, RULES)
    c = by_id(checks)["robustness.perturbation"]
    assert c.outcome == Outcome.FAIL and c.evidence_kind == "robustness_eval"
    rate = next(m for m in c.metrics if m.name == "flip_rate")
    assert rate.n == n and rate.lower is not None and rate.upper is not None and rate.confidence == 0.95
    assert c.threshold.value == 0.05
    assert any(f.id == "robustness.perturbation" for f in findings)


def test_stable_model_on_integer_feature_passes():
    rng = np.random.default_rng(3)
    n = 3000
    X = pd.DataFrame({"n_accounts": rng.integers(0, 10, n), "jitter": rng.normal(size=n)})
    y = (X["n_accounts"] >= 5).astype(int)
    model = HistGradientBoostingClassifier(max_iter=20).fit(X[["n_accounts"]].assign(jitter=0.0), y)
    sensitive = pd.DataFrame({"sex": rng.choice(["F", "M"], n), "age": rng.integers(18, 80, n)})
    report = perturbation_stability(model, X, sensitive=sensitive, n_repeats=3)
    # one-unit steps on 5% of n_accounts cells flip only rows that step across 5 (about 0.5%)
    assert 0 < report.flip_rate < 0.01 and report.decision_rule == "predictions are the decisions (default)"
    assert report.perturbation == {"n_accounts": "one-unit steps", "jitter": "noise"}
    assert set(report.groups) == {"sex", "age"} and len(report.groups["age"]) == 5  # quintiles of age
    checks, findings = robustness_checks(report, RULES)
    c = by_id(checks)
    assert c["robustness.perturbation"].outcome == Outcome.PASS
    assert c["robustness.perturbation.sex"].outcome == Outcome.PASS
    assert c["robustness.perturbation.age"].outcome == Outcome.PASS
    # HistGradientBoosting handles NaN natively: the probe runs, nothing crashes
    assert all(p.error is None for p in report.missing) and len(report.missing) == 2
    assert c["robustness.missing_values"].outcome == Outcome.WARN  # a missing n_accounts flips decisions
    assert [f.location for f in findings] == [{"column": "n_accounts"}]
    # reports are picklable and JSON-able
    assert isinstance(pickle.loads(pickle.dumps(report)), RobustnessReport)
    json.dumps(report.to_dict())


def test_model_failing_on_missing_values_is_recorded_not_raised(proxy_data):
    X, y, sensitive = proxy_data
    Xn = numeric(X)
    model = LogisticRegression(max_iter=500).fit(Xn, y)
    report = perturbation_stability(model, Xn, sensitive=sensitive, missing_rows=200)
    assert len(report.missing) == Xn.shape[1]
    assert all(p.error and p.error.startswith("ValueError: Input X contains NaN") for p in report.missing)
    checks, findings = robustness_checks(report, RULES)
    mv = by_id(checks)["robustness.missing_values"]
    assert mv.outcome == Outcome.WARN and "model fails on missing values in" in mv.message
    (f,) = [f for f in findings if f.check_id == "robustness.missing_values"]  # one finding per distinct error
    assert f.message.startswith("model fails on missing values in columns income, x_proxy")
    checks, _ = robustness_checks(report, RULES, fail_on_missing_crash=True)
    assert by_id(checks)["robustness.missing_values"].outcome == Outcome.FAIL

    # one column only: the finding names it
    model = make_pipeline(StandardScaler(), LogisticRegression())
    guarded = Xn.assign(noise=Xn["noise"].astype("float64"))
    model.fit(guarded, y)

    def fails_on_income(df: pd.DataFrame):
        if df["income"].isna().any():
            raise RuntimeError("income is required")
        return model.predict(df.fillna(0))

    report = perturbation_stability(fails_on_income, guarded, sensitive=None, missing_rows=100)
    _, findings = robustness_checks(report, RULES)
    assert [f.message for f in findings if "fails" in f.message] == [
        "model fails on missing values in column income: RuntimeError: income is required"
    ]


def test_small_groups_are_inconclusive_and_group_gap_warns():
    rng = np.random.default_rng(4)
    n = 2000
    group = np.where(np.arange(n) < 200, "b", "a").astype(object)
    group[:10] = "tiny"
    # group b sits at the threshold, group a far from it
    x = np.where(group == "a", rng.choice([-5.0, 5.0], n), rng.normal(0, 0.001, n))
    X = pd.DataFrame({"x": x})
    model = DecisionTreeClassifier(max_depth=1).fit(X, (x > 0).astype(int))
    sensitive = pd.DataFrame({"group": group})
    report = perturbation_stability(model, X, sensitive=sensitive, min_group_size=30)
    levels = {g.level: g for g in report.groups["group"]}
    assert levels["tiny"].small and levels["tiny"].n == 10 and not levels["a"].small
    assert levels["b"].flip_rate > 0.3 and levels["a"].flip_rate == 0

    checks, findings = robustness_checks(report, RULES)
    c = by_id(checks)["robustness.perturbation.group"]
    assert c.outcome == Outcome.INCONCLUSIVE and "tiny" in c.message
    assert {r["level"]: r["status"] for r in c.details["groups"]} == {
        "a": "ok",
        "b": "above limit",
        "tiny": "inconclusive",
    }
    assert any(f.id == "robustness.perturbation.group" and f.location["group"] == "b" for f in findings)

    # without the tiny group: the gap between a and b warns
    keep = group != "tiny"
    report = perturbation_stability(model, X[keep], sensitive=sensitive[keep])
    checks, _ = robustness_checks(report, RULES)
    c = by_id(checks)["robustness.perturbation.group"]
    assert c.outcome == Outcome.WARN and "gap between groups" in c.message
    assert next(m for m in c.metrics if m.name == "flip_rate_gap").value > 0.3


def test_string_labels_and_categorical_features(proxy_data):
    """Labels as strings, a categorical column (one-hot in the pipeline), probabilities passed as scores."""
    from sklearn.compose import make_column_transformer
    from sklearn.impute import SimpleImputer
    from sklearn.preprocessing import OneHotEncoder

    X, y, sensitive = proxy_data
    labels = np.where(y == 1, "approve", "deny")
    pre = make_column_transformer(
        (make_pipeline(SimpleImputer(strategy="most_frequent"), OneHotEncoder(handle_unknown="ignore")), ["region"]),
        (make_pipeline(SimpleImputer(), StandardScaler()), ["income", "x_proxy", "tenure", "amount", "noise"]),
    )
    model = make_pipeline(pre, LogisticRegression(max_iter=500)).fit(X, labels)
    report = perturbation_stability(model, X, sensitive=sensitive)
    assert report.skipped_columns == {} and report.flip_rate < 0.05
    assert report.perturbation["region"] == "another level" and report.perturbation["tenure"] == "one-unit steps"
    assert all(p.error is None for p in report.missing)  # imputers handle missing values
    imp = permutation_importance_report(model, X, labels, n_repeats=2)
    assert imp.rank_of("x_proxy") <= 2 and {f.feature for f in imp.features} == set(X.columns)
    imp_auc = permutation_importance_report(
        lambda d: model.predict_proba(d)[:, 0], X, y, scoring="roc_auc", n_repeats=2
    )
    assert imp_auc.baseline_score > 0.9 and imp_auc.decision_rule == "raw scores"
    assert isinstance(pickle.loads(pickle.dumps(imp)), ImportanceReport)
    json.dumps(imp.to_dict())


@pytest.mark.filterwarnings("ignore:Hint. Inferred schema contains integer:UserWarning")
def test_mlflow_pyfunc_model(tmp_path, proxy_data):
    import mlflow
    from mlflow.models import infer_signature

    X, y, sensitive = proxy_data
    Xn = numeric(X)
    model = HistGradientBoostingClassifier(max_iter=30).fit(Xn, y)
    previous = mlflow.get_tracking_uri()
    mlflow.set_tracking_uri(f"sqlite:///{tmp_path}/m.db")
    try:
        exp = mlflow.create_experiment("robustness-test", artifact_location=(tmp_path / "artifacts").as_uri())
        with mlflow.start_run(experiment_id=exp):
            info = mlflow.sklearn.log_model(
                model,
                name="model",
                signature=infer_signature(Xn, model.predict(Xn)),
                pip_requirements=["scikit-learn", "pandas"],
                serialization_format="cloudpickle",
            )
        pyfunc = mlflow.pyfunc.load_model(info.model_uri)
    finally:
        mlflow.set_tracking_uri(previous)

    report = perturbation_stability(pyfunc, Xn, sensitive=sensitive, missing_rows=200)
    # int64 columns are perturbed and kept int64 for the schema: "amount" by rounded noise, "tenure"
    # (noise under one unit) by one-unit steps
    assert report.error is None and report.perturbation["amount"] == "integer noise"
    assert report.perturbation["tenure"] == "one-unit steps" and report.skipped_columns == {}
    assert report.flip_rate < 0.1
    # the schema refuses NaN in the int64 column before the model sees it: inconclusive, said so
    probes = {p.column: p for p in report.missing}
    assert probes["tenure"].schema_refused and probes["tenure"].error.startswith("MlflowException")
    # the reason only: MLflow's message quotes the input rows, which must not reach the record
    assert "Incompatible input types for column tenure" in probes["tenure"].error
    assert "Failed to enforce schema of data" not in probes["tenure"].error
    assert probes["income"].error is None
    checks, findings = robustness_checks(report, RULES)
    mv = by_id(checks)["robustness.missing_values"]
    assert mv.outcome == Outcome.INCONCLUSIVE, mv.message
    assert "model fails" not in mv.message and "input schema refused the missing values" in mv.message
    assert "tenure" in mv.message and not any("tenure" in f.message for f in findings)
    assert {m.name for m in mv.metrics} >= {"schema_refused.tenure", "schema_refused.amount"}
    pert = by_id(checks)["robustness.perturbation"]
    assert (
        "Perturbed 5 of 5 features" in pert.message and "one-unit steps in 5.0% of cells on 1 (tenure)" in pert.message
    )

    imp = permutation_importance_report(pyfunc, Xn, y, n_repeats=2, max_rows=1000)
    assert imp.n_rows == 1000 and imp.rank_of("x_proxy") <= 2
    checks, findings = explainability_checks(imp, sensitive=["sex"], X=Xn.join(sensitive), top_k=3)
    assert by_id(checks)["explainability.sensitive_proxies"].outcome == Outcome.WARN


def test_every_german_credit_feature_type_is_perturbed(shared_data):
    """All 20 German credit features are perturbed (1 by rounded noise, 6 coarse integers by one-unit
    steps, 13 categoricals by another observed level; before, 1 of 20), and the check says so; a
    sensitive column in X is left alone and named."""
    from sklearn.compose import make_column_transformer
    from sklearn.preprocessing import OneHotEncoder

    df = pd.read_csv(shared_data / "german_credit" / "german.csv")
    X = df.drop(columns=["credit"])
    categorical = [c for c in X.columns if X[c].dtype.kind not in "if"]
    pre = make_column_transformer((OneHotEncoder(handle_unknown="ignore"), categorical), remainder=StandardScaler())
    model = make_pipeline(pre, LogisticRegression(max_iter=2000)).fit(X, df["credit"])
    report = perturbation_stability(model, X, sensitive=None)
    kinds = pd.Series(report.perturbation).value_counts().to_dict()
    assert kinds == {"another level": 13, "one-unit steps": 6, "integer noise": 1} and not report.skipped_columns
    # each perturbed copy really changes every kind of column, and keeps its dtype
    from govgate.checks.robustness import _perturbable_columns, _perturbed

    _, _, plan = _perturbable_columns(X, set(), None, 0.05)
    Xp = _perturbed(X, plan, 0.05, np.random.default_rng(0))
    assert (Xp.dtypes == X.dtypes).all()
    changed = (Xp != X).mean()
    assert all(0.02 < changed[c] < 0.09 for c in [*categorical, "age", "month"]), changed
    assert (Xp["age"] - X["age"]).abs().max() == 1 and set(Xp["purpose"]) <= set(X["purpose"])
    checks, _ = robustness_checks(report, RULES)
    assert "Perturbed 20 of 20 features" in by_id(checks)["robustness.perturbation"].message

    sex = np.where(df["personal_status"].isin(["A92", "A95"]), "female", "male")
    report = perturbation_stability(
        model, X.assign(sex=sex), sensitive=pd.DataFrame({"sex": sex}), decide=lambda p: np.asarray(p)
    )
    checks, _ = robustness_checks(report, RULES)
    message = by_id(checks)["robustness.perturbation"].message
    assert "Perturbed 20 of 21 features" in message and "not perturbed: sex (sensitive)" in message
