"""Explainability evidence: permutation importance, sensitive features and their proxies among the top features, association measures."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from sklearn.linear_model import LogisticRegression
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

from govgate.checks.explainability import (
    association,
    explainability_checks,
    permutation_importance_report,
)
from govgate.record import Outcome
from tests.checks.model_helpers import by_id, numeric


def test_proxy_of_sensitive_attribute_in_top_k_warns(proxy_data):
    X, y, sensitive = proxy_data
    Xn = numeric(X)
    model = make_pipeline(StandardScaler(), LogisticRegression()).fit(Xn, y)
    imp = permutation_importance_report(model, Xn, y, n_repeats=3)
    assert [f.feature for f in imp.features][:2] == ["x_proxy", "income"] or imp.rank_of("x_proxy") <= 2
    assert imp.method == "sklearn.inspection.permutation_importance" and imp.baseline_score > 0.8

    checks, findings = explainability_checks(imp, sensitive=["sex"], X=Xn.join(sensitive), top_k=3)
    c = by_id(checks)
    ranking = c["explainability.permutation_importance"]
    assert ranking.outcome == Outcome.PASS and ranking.evidence_kind == "explainability" and ranking.controls
    names = [m.name for m in ranking.metrics if m.name.startswith("importance.")]
    assert names[0] == f"importance.{imp.features[0].feature}" and len(names) == Xn.shape[1]

    proxies = c["explainability.sensitive_proxies"]
    assert proxies.outcome == Outcome.WARN
    assert "x_proxy" in proxies.message and "sex" in proxies.message
    flagged = proxies.details["flagged"]
    assert [r["feature"] for r in flagged] == ["x_proxy"]
    assert flagged[0]["association"] > 0.9 and flagged[0]["measure"] == "point_biserial"
    (f,) = findings
    assert f.id == "explainability.sensitive_proxy.x_proxy"
    assert f.location == {"feature": "x_proxy", "rank": str(imp.rank_of("x_proxy")), "sensitive": "sex"}
    assert "proxy of sensitive attribute sex" in f.message and "0.9" in f.message


def test_sensitive_feature_used_by_model_warns_and_clean_model_passes(proxy_data):
    X, y, sensitive = proxy_data
    with_sex = numeric(X).drop(columns=["x_proxy"]).assign(sex=(sensitive["sex"] == "F").astype(int))
    model = LogisticRegression(max_iter=500).fit(with_sex, y)
    imp = permutation_importance_report(model, with_sex, y, n_repeats=3)
    checks, findings = explainability_checks(imp, sensitive=["sex"], X=with_sex, top_k=2)
    assert by_id(checks)["explainability.sensitive_proxies"].outcome == Outcome.WARN
    assert [f.id for f in findings] == ["explainability.sensitive_feature.sex"]

    # without sex or its proxy: income drives the model, nothing to flag
    clean = numeric(X).drop(columns=["x_proxy"])
    model = LogisticRegression(max_iter=500).fit(clean, y)
    imp = permutation_importance_report(model, clean, y, n_repeats=3)
    checks, findings = explainability_checks(imp, sensitive=["sex"], X=clean.join(sensitive), top_k=3)
    assert by_id(checks)["explainability.sensitive_proxies"].outcome == Outcome.PASS and not findings
    # sensitive column not available to compute associations -> inconclusive, said so
    checks, _ = explainability_checks(imp, sensitive=["sex"], X=clean, top_k=3)
    assert by_id(checks)["explainability.sensitive_proxies"].outcome == Outcome.INCONCLUSIVE


def test_association_measures():
    rng = np.random.default_rng(0)
    g = pd.Series(rng.choice(["a", "b", "c"], 3000))
    same = g.map({"a": "x", "b": "y", "c": "z"})
    assert association(same, g) == (pytest.approx(1.0, abs=0.01), "cramers_v")
    indep = pd.Series(rng.choice(["x", "y"], 3000))
    assert association(indep, g)[0] < 0.1
    num = g.map({"a": 0.0, "b": 5.0, "c": 10.0}) + rng.normal(0, 0.1, 3000)
    value, measure = association(num, g)
    assert value > 0.99 and measure == "correlation_ratio"
    age = pd.Series(rng.normal(40, 10, 3000))
    assert association(age * 2 + 1, age) == (pytest.approx(1.0), "pearson")


def test_every_sensitive_feature_raw_or_derived_is_looked_for_proxies(shared_data):
    """``--sensitive "sex,age>=25"`` on German credit: ``sex`` (derived by the user from personal_status,
    not a model feature) still takes part, so personal_status is named as its proxy (Cramér's V 1.00);
    ``age`` (a model feature) and the derived split ``age>=25`` take part too."""
    from sklearn.compose import make_column_transformer
    from sklearn.preprocessing import OneHotEncoder

    from govgate.checks.explainability import proxy_inputs
    from tasks.model_review import sensitive_groups

    frame = pd.read_csv(shared_data / "german_credit" / "german.csv")
    frame["sex"] = np.where(frame["personal_status"].isin(["A92", "A95"]), "female", "male")
    X = frame.drop(columns=["credit", "sex"])
    y = (frame["credit"] == 1).astype(int).to_numpy()
    categorical = [c for c in X.columns if X[c].dtype.kind not in "if"]
    pre = make_column_transformer((OneHotEncoder(handle_unknown="ignore"), categorical), remainder=StandardScaler())
    model = make_pipeline(pre, LogisticRegression(max_iter=2000)).fit(X, y)
    groups, raw, _ = sensitive_groups(frame, ["sex", "age>=25"], "german.csv")

    with_sensitive, names = proxy_inputs(X, frame, groups, raw)
    assert names == ["sex", "age", "age>=25"] and {"sex", "age>=25"} <= set(with_sensitive.columns)
    imp = permutation_importance_report(model, X, y, n_repeats=2)
    checks, _ = explainability_checks(imp, sensitive=names, X=with_sensitive, top_k=len(X.columns))
    proxies = by_id(checks)["explainability.sensitive_proxies"]
    assert proxies.details["sensitive"] == ["sex", "age", "age>=25"] and not proxies.details["unavailable_sensitive"]
    rank = imp.rank_of("personal_status")
    assert f"personal_status (rank {rank}) proxies sex (cramers_v 1.00)" in proxies.message
    assert "age (rank" in proxies.message and "is sensitive" in proxies.message
