"""Fairness figures agree with Fairlearn's public API to 1e-9 on the shared German credit data."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest

from govgate.errors import InputError
from govgate.policy import load_policy
from govgate.settings import DEFAULT_POLICY
from tasks.fairness import baseline_checks, fairness_checks, fairness_report

FEATURES = ["month", "credit_amount", "investment_as_income_percentage", "residence_since", "age", "number_of_credits"]


@pytest.fixture(scope="module")
def german(shared_data_module):
    from sklearn.linear_model import LogisticRegression

    df = pd.read_csv(shared_data_module / "german_credit" / "german.csv")
    y = (df["credit"] == 1).astype(int).to_numpy()
    pred = LogisticRegression(max_iter=1000).fit(df[FEATURES], y).predict(df[FEATURES])
    sens = pd.DataFrame({
        "sex": np.where(df["personal_status"].isin(["A92", "A95"]), "female", "male"),
        "age>=25": np.where(df["age"] >= 25, "yes", "no"),
    })  # fmt: skip
    return y, pred, sens


@pytest.fixture(scope="module")
def shared_data_module():
    from tests.conftest import SHARED

    if not (SHARED / "data").is_dir():
        pytest.skip("../shared/data is not beside this clone")
    return SHARED / "data"


def test_agrees_with_fairlearn_to_1e9(german):
    from fairlearn.metrics import (
        MetricFrame,
        demographic_parity_difference,
        demographic_parity_ratio,
        equalized_odds_difference,
        equalized_odds_ratio,
        false_positive_rate,
        selection_rate,
        true_positive_rate,
    )
    from sklearn.metrics import accuracy_score

    y, pred, sens = german
    report = fairness_report(y, pred, sens, min_group_size=1, n_boot=0)
    joined = sens["sex"] + " & " + sens["age>=25"]
    cases = [("sex", sens["sex"], "sex="), ("age>=25", sens["age>=25"], "age>=25="), ("sex & age>=25", sens, "")]
    for key, sf, prefix in cases:
        mf = MetricFrame(metrics={"selection_rate": selection_rate, "true_positive_rate": true_positive_rate,
                                  "false_positive_rate": false_positive_rate, "accuracy": accuracy_score},
                         y_true=y, y_pred=pred, sensitive_features=sf)  # fmt: skip
        ours = {g.name: g for g in report.features[key].groups}
        for group, row in mf.by_group.iterrows():
            name = prefix + group if isinstance(group, str) else " & ".join(f"{c}={v}" for c, v in zip(sens.columns, group))
            for metric, value in row.items():
                assert abs(ours[name].metrics[metric].value - value) < 1e-9, (key, name, metric)
        disp = report.features[key].disparities
        assert abs(disp["demographic_parity_difference"].value - demographic_parity_difference(y, pred, sensitive_features=sf)) < 1e-9
        assert abs(disp["demographic_parity_ratio"].value - demographic_parity_ratio(y, pred, sensitive_features=sf)) < 1e-9
        assert abs(disp["equalized_odds_difference"].value - equalized_odds_difference(y, pred, sensitive_features=sf)) < 1e-9
        assert abs(disp["equalized_odds_ratio"].value - equalized_odds_ratio(y, pred, sensitive_features=sf)) < 1e-9
    assert len(joined.unique()) == len(report.features["sex & age>=25"].groups) == 4


def test_intervals_contain_estimates_shrink_with_n_and_repeat(german):
    y, pred, sens = german
    a = fairness_report(y, pred, sens[["sex"]], min_group_size=30, n_boot=500, seed=3)
    b = fairness_report(y, pred, sens[["sex"]], min_group_size=30, n_boot=500, seed=3)
    assert a.to_dict() == b.to_dict()
    dp = a.features["sex"].disparities["demographic_parity_difference"]
    assert dp.lower <= dp.value <= dp.upper
    big = fairness_report(np.tile(y, 10), np.tile(pred, 10), pd.concat([sens[["sex"]]] * 10, ignore_index=True),
                          min_group_size=30, n_boot=500, seed=3).features["sex"].disparities["demographic_parity_difference"]  # fmt: skip
    assert (big.upper - big.lower) < (dp.upper - dp.lower) * 0.5


def test_small_groups_are_inconclusive_not_pass_or_fail(german):
    y, pred, sens = german
    rules = load_policy(DEFAULT_POLICY).tier("high").model_review
    report = fairness_report(y, pred, sens, min_group_size=200, n_boot=100)
    checks, _ = fairness_checks(report, rules)
    by_id = {c.id: c for c in checks}
    inter = by_id["fairness.sex & age>=25.small_groups"]
    assert inter.outcome.value == "inconclusive" and "n=" in inter.message
    tiny = fairness_report(y[:40], pred[:40], sens[:40], min_group_size=30, n_boot=50)
    tchecks, _ = fairness_checks(tiny, rules)
    assert {c.outcome.value for c in tchecks if c.id.endswith("demographic_parity_difference")} == {"inconclusive"}


def test_thresholds_fail_warn_pass_and_findings():
    rng = np.random.default_rng(0)
    n = 20000
    sex = rng.choice(["f", "m"], n)
    y = rng.integers(0, 2, n)
    pred = (rng.random(n) < np.where(sex == "f", 0.3, 0.6)).astype(int)  # a large planted gap
    rules = load_policy(DEFAULT_POLICY).tier("medium").model_review
    checks, findings = fairness_checks(fairness_report(y, pred, pd.DataFrame({"sex": sex}), min_group_size=30, n_boot=200), rules)
    dp = next(c for c in checks if c.id == "fairness.sex.demographic_parity_difference")
    assert dp.outcome.value == "fail" and dp.threshold.value == rules.max_demographic_parity_difference
    assert findings and "sex=f" in findings[0].message and "sex=m" in findings[0].message
    fair = (rng.random(n) < 0.5).astype(int)
    checks, _ = fairness_checks(fairness_report(y, fair, pd.DataFrame({"sex": sex}), min_group_size=30, n_boot=200), rules)
    assert next(c for c in checks if c.id == "fairness.sex.demographic_parity_difference").outcome.value == "pass"


def test_baseline_comparison_and_json_round_trip(german):
    y, pred, sens = german
    base = json.loads(json.dumps(fairness_report(y, pred, sens[["sex"]], min_group_size=30, n_boot=0).to_dict()))
    worse = pred.copy()
    worse[(sens["sex"] == "female").to_numpy()] = 0
    checks = baseline_checks(fairness_report(y, worse, sens[["sex"]], min_group_size=30, n_boot=0), base, 0.02)
    assert next(c for c in checks if c.id == "fairness.sex.demographic_parity_difference.vs_baseline").outcome.value == "fail"
    same = baseline_checks(fairness_report(y, pred, sens[["sex"]], min_group_size=30, n_boot=0), base, 0.02)
    assert {c.outcome.value for c in same} == {"pass"}


def test_bad_labels_are_clear_errors():
    with pytest.raises(InputError, match="y_true has 1 NaN"):
        fairness_report(np.array([1.0, np.nan]), np.array([1, 0]), pd.DataFrame({"s": ["a", "b"]}), min_group_size=1)
    with pytest.raises(InputError, match="y_pred must be 0/1"):
        fairness_report(np.array([1, 0]), np.array([1, 2]), pd.DataFrame({"s": ["a", "b"]}), min_group_size=1)
