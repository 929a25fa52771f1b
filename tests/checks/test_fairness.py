"""Fairness engine: figures equal Fairlearn's public API to 1e-9 on the shared German credit data; the
intervals, small groups, thresholds, baseline and serialisation behave as documented."""

from __future__ import annotations

import json
import pickle

import numpy as np
import pandas as pd
import pytest

from govgate.checks.fairness import (
    DISPARITIES,
    GROUP_METRICS,
    FairnessReport,
    baseline_checks,
    fairness_checks,
    fairness_report,
)
from govgate.errors import InputError
from govgate.policy import ModelReviewRules
from govgate.record import Check

FEATURES = ["month", "credit_amount", "investment_as_income_percentage", "residence_since", "age", "number_of_credits"]
RULES = ModelReviewRules(
    max_demographic_parity_difference=0.1,
    min_demographic_parity_ratio=0.8,
    max_equalized_odds_difference=0.1,
    min_group_size=30,
)


@pytest.fixture(scope="module")
def german_frame(shared_data) -> pd.DataFrame:
    return pd.read_csv(shared_data / "german_credit" / "german.csv")


@pytest.fixture(scope="module")
def german(german_frame):
    """Labels (1 = good credit), a deterministic logistic regression's predictions, sex and age>=25."""
    from sklearn.linear_model import LogisticRegression
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import StandardScaler

    df = german_frame
    y = (df["credit"] == 1).astype(int).to_numpy()
    model = make_pipeline(StandardScaler(), LogisticRegression(max_iter=1000)).fit(df[FEATURES], y)
    pred = model.predict(df[FEATURES])
    sens = pd.DataFrame(
        {
            "sex": np.where(df["personal_status"].isin(["A92", "A95"]), "female", "male"),
            "age>=25": np.where(df["age"] >= 25, "yes", "no"),
        }
    )
    assert 0 < pred.mean() < 1
    return y, pred, sens


def _name(sens: pd.DataFrame, cols: list[str], group) -> str:
    group = group if isinstance(group, tuple) else (group,)
    return " & ".join(f"{c}={v}" for c, v in zip(cols, group))


@pytest.mark.parametrize("cols", [["sex"], ["age>=25"], ["sex", "age>=25"]])
def test_agrees_with_fairlearn_to_1e9(german, cols):
    from fairlearn.metrics import (
        MetricFrame,
        demographic_parity_difference,
        demographic_parity_ratio,
        equalized_odds_difference,
        equalized_odds_ratio,
        false_negative_rate,
        false_positive_rate,
        selection_rate,
        true_negative_rate,
        true_positive_rate,
    )
    from sklearn.metrics import accuracy_score, precision_score

    y, pred, sens = german
    report = fairness_report(y, pred, sens, min_group_size=1, n_boot=200)
    key = " & ".join(cols)
    ours = report.features[key]
    sf = sens[cols] if len(cols) > 1 else sens[cols[0]]
    mf = MetricFrame(
        metrics={
            "selection_rate": selection_rate,
            "true_positive_rate": true_positive_rate,
            "false_positive_rate": false_positive_rate,
            "false_negative_rate": false_negative_rate,
            "true_negative_rate": true_negative_rate,
            "accuracy": accuracy_score,
            "precision": precision_score,
        },
        y_true=y,
        y_pred=pred,
        sensitive_features=sf,
    )
    assert len(mf.by_group) == len(ours.groups) == {1: 2, 2: 4}[len(cols)]
    for group, row in mf.by_group.iterrows():
        g = ours.group(_name(sens, cols, group))
        assert g.status == "ok"
        for metric, value in row.items():
            assert abs(g.metrics[metric].value - value) < 1e-9, (key, g.name, metric)
    disp = {name: e.value for name, e in ours.disparities.items()}
    assert (
        abs(disp["demographic_parity_difference"] - demographic_parity_difference(y, pred, sensitive_features=sf))
        < 1e-9
    )
    assert abs(disp["demographic_parity_ratio"] - demographic_parity_ratio(y, pred, sensitive_features=sf)) < 1e-9
    assert abs(disp["equalized_odds_difference"] - equalized_odds_difference(y, pred, sensitive_features=sf)) < 1e-9
    assert abs(disp["equalized_odds_ratio"] - equalized_odds_ratio(y, pred, sensitive_features=sf)) < 1e-9
    diff = mf.difference()
    assert abs(disp["true_positive_rate_difference"] - diff["true_positive_rate"]) < 1e-9
    assert abs(disp["false_positive_rate_difference"] - diff["false_positive_rate"]) < 1e-9
    assert abs(disp["accuracy_difference"] - diff["accuracy"]) < 1e-9
    # the counts behind the figures are the rows
    assert sum(g.n for g in ours.groups) == len(y) and sum(g.positives for g in ours.groups) == y.sum()


def test_raw_labels_with_pos_label_and_series_input(german, german_frame):
    y, pred, sens = german
    raw_y = german_frame["credit"]  # 1 = good, 2 = bad
    raw_pred = pd.Series(np.where(pred == 1, 1, 2), name="decision")
    a = fairness_report(y, pred, sens, min_group_size=30, n_boot=50, seed=1)
    b = fairness_report(raw_y, raw_pred, sens, min_group_size=30, n_boot=50, seed=1, pos_label=1)
    assert a.to_dict() == b.to_dict()
    words = fairness_report(
        np.where(y == 1, "good", "bad"),
        np.where(pred == 1, "good", "bad"),
        sens,
        min_group_size=30,
        n_boot=50,
        seed=1,
        pos_label="good",
    )
    assert {k: f.disparities for k, f in words.features.items()} == {k: f.disparities for k, f in a.features.items()}


def test_intersection_cells_and_each_feature_alone():
    rng = np.random.default_rng(5)
    n = 4000
    sens = pd.DataFrame(
        {"sex": rng.choice(["female", "male"], n), "age_group": rng.choice(["<25", "25-39", "40-59", "60+"], n)}
    )
    y, pred = rng.integers(0, 2, n), rng.integers(0, 2, n)
    report = fairness_report(y, pred, sens, min_group_size=30, n_boot=100)
    assert list(report.features) == ["sex", "age_group", "sex & age_group"] and report.intersection == "sex & age_group"
    cells = report.features["sex & age_group"].groups
    assert len(cells) == 8 and "sex=female & age_group=<25" in {g.name for g in cells}
    assert {g.name for g in report.features["sex"].groups} == {"sex=female", "sex=male"}
    assert len(report.features["age_group"].groups) == 4
    # marginals of the cell table are the features on their own
    for g in report.features["sex"].groups:
        assert g.n == sum(c.n for c in cells if c.levels["sex"] == g.levels["sex"])
        assert g.tp == sum(c.tp for c in cells if c.levels["sex"] == g.levels["sex"])
    # a categorical keeps its category order and its unused category (an empty, inconclusive group)
    cat = sens.assign(age_group=pd.Categorical(sens["age_group"], ["<25", "25-39", "40-59", "60+", "75+"]))
    r = fairness_report(y, pred, cat, min_group_size=30, n_boot=0)
    ages = r.features["age_group"].groups
    assert [g.levels["age_group"] for g in ages] == ["<25", "25-39", "40-59", "60+", "75+"]
    assert (
        ages[-1].n == 0 and ages[-1].status == "empty" and len(r.features["sex & age_group"].groups) == 8
    )  # no row: not a cell
    assert (
        r.features["age_group"].disparities["demographic_parity_difference"].value
        == report.features["age_group"].disparities["demographic_parity_difference"].value
    )


def test_intervals_contain_estimates_shrink_with_n_and_repeat(german):
    y, pred, sens = german
    a = fairness_report(y, pred, sens, min_group_size=30, n_boot=500, seed=3)
    for f in a.features.values():
        estimates = [e for g in f.groups for e in g.metrics.values()] + list(f.disparities.values())
        assert f.disparities and all(e.lower is not None for e in estimates if e.value is not None)
        for e in estimates:
            assert e.lower <= e.value <= e.upper, (f.key, e)
    assert a.to_dict() == fairness_report(y, pred, sens, min_group_size=30, n_boot=500, seed=3).to_dict()
    assert a.to_dict() != fairness_report(y, pred, sens, min_group_size=30, n_boot=500, seed=4).to_dict()

    def width(r, key="sex", name="demographic_parity_difference"):
        e = r.features[key].disparities[name]
        return e.upper - e.lower

    big = fairness_report(
        np.tile(y, 10),
        np.tile(pred, 10),
        pd.concat([sens] * 10, ignore_index=True),
        min_group_size=30,
        n_boot=500,
        seed=3,
    )
    for name in ("demographic_parity_difference", "equalized_odds_difference", "accuracy_difference"):
        assert width(big, name=name) < 0.5 * width(a, name=name)  # about 1/sqrt(10)
    g_small, g_big = a.features["sex"].group("sex=female").metrics, big.features["sex"].group("sex=female").metrics
    assert g_big["selection_rate"].upper - g_big["selection_rate"].lower < 0.5 * (
        g_small["selection_rate"].upper - g_small["selection_rate"].lower
    )
    assert (
        fairness_report(y, pred, sens, min_group_size=30, n_boot=0)
        .features["sex"]
        .disparities["demographic_parity_difference"]
        .lower
        is None
    )


def test_group_rate_intervals_agree_with_resampling_rows(german):
    """A group's rate interval (Wilson, from stats) agrees with a bootstrap over raw rows to 0.01."""
    y, pred, sens = german
    female = (sens["sex"] == "female").to_numpy()
    report = fairness_report(y, pred, sens[["sex"]], min_group_size=30, n_boot=4000, seed=0)
    rng = np.random.default_rng(1)
    rates = []
    for _ in range(4000):
        idx = rng.integers(0, len(y), len(y))
        f = female[idx]
        rates.append(pred[idx][f].mean())
    ours = report.features["sex"].group("sex=female").metrics["selection_rate"]
    lo, hi = np.percentile(rates, [2.5, 97.5])
    assert abs(ours.lower - lo) < 0.01 and abs(ours.upper - hi) < 0.01


def test_small_groups_are_inconclusive_not_pass_or_fail(german):
    y, pred, sens = german
    report = fairness_report(y, pred, sens, min_group_size=200, n_boot=100)
    checks, findings = fairness_checks(report, RULES.model_copy(update={"min_group_size": 200}))
    by_id = {c.id: c for c in checks}
    inter = report.features["sex & age>=25"]
    small = [g for g in inter.groups if g.n < 200]
    assert small and all(g.status == "small" and g.name not in inter.compared["demographic_parity"] for g in small)
    groups = by_id["fairness.groups.sex & age>=25"]
    assert groups.outcome.value == "inconclusive" and all(
        f"{g.name} (n={g.n} < min_group_size 200)" in groups.message for g in small
    )
    # the small cells are left out of the disparities, not compared; the rest is still compared
    eligible = [g for g in inter.groups if g.n >= 200]
    dp = inter.disparities.get("demographic_parity_difference")
    if len(eligible) >= 2:
        rates = [g.metrics["selection_rate"].value for g in eligible]
        assert dp.value == pytest.approx(max(rates) - min(rates), abs=1e-12)
    # fewer than two comparable groups: inconclusive, naming the small ones
    tiny = fairness_report(y[:80], pred[:80], sens[:80], min_group_size=30, n_boot=50)
    tchecks, tfindings = fairness_checks(tiny, RULES)
    for c in tchecks:
        if c.id.startswith("fairness.sex & age>=25.") or c.id.startswith("fairness.age>=25."):
            assert c.outcome.value == "inconclusive" and "fewer than 2 groups" in c.message and "n=" in c.message
    assert not [f for f in tfindings if f.location["feature"] in ("age>=25", "sex & age>=25")]


def test_zero_members_and_zero_positives():
    n = 400
    sex = np.array(["f"] * 200 + ["m"] * 200)
    y = np.r_[np.zeros(200, int), np.tile([0, 1], 100)]  # group f has no positives: TPR undefined
    pred = np.tile([0, 1, 1, 0], n // 4)
    report = fairness_report(
        y, pred, pd.DataFrame({"sex": pd.Categorical(sex, ["f", "m", "x"])}), min_group_size=30, n_boot=100
    )
    f = report.features["sex"]
    assert [g.status for g in f.groups] == ["no_positives", "ok", "empty"]
    assert f.group("sex=f").metrics["true_positive_rate"].value is None
    assert "demographic_parity_difference" in f.disparities  # sexes f and m compared on selection rate
    assert (
        "equalized_odds_difference" not in f.disparities
        and "fewer than 2 groups" in f.inconclusive["equalized_odds_difference"]
    )
    checks, _ = fairness_checks(report, RULES)
    by_id = {c.id: c for c in checks}
    assert by_id["fairness.sex.equalized_odds_difference"].outcome.value == "inconclusive"
    assert "sex=f (no positive labels" in by_id["fairness.sex.equalized_odds_difference"].message
    assert (
        by_id["fairness.groups.sex"].outcome.value == "inconclusive"
        and "sex=x (no members)" in by_id["fairness.groups.sex"].message
    )


def _planted(rates: dict[str, float], per_group: int) -> tuple[np.ndarray, np.ndarray, pd.DataFrame]:
    """Exact selection rates per group (deterministic), labels independent of the group."""
    ys, ps, gs = [], [], []
    for group, rate in rates.items():
        k = round(rate * per_group)
        ps.append(np.r_[np.ones(k, int), np.zeros(per_group - k, int)])
        ys.append(np.tile([1, 0], per_group // 2))
        gs += [group] * per_group
    return np.concatenate(ys), np.concatenate(ps), pd.DataFrame({"sex": gs})


def test_thresholds_fail_warn_pass_and_findings():
    outcome = {}
    for case, rates, per_group in (
        ("fail", {"f": 0.30, "m": 0.60}, 2000),
        ("warn", {"f": 0.42, "m": 0.50}, 300),
        ("pass", {"f": 0.50, "m": 0.52}, 20000),
    ):
        y, pred, sens = _planted(rates, per_group)
        checks, findings = fairness_checks(fairness_report(y, pred, sens, min_group_size=30, n_boot=500), RULES)
        dp = next(c for c in checks if c.id == "fairness.sex.demographic_parity_difference")
        outcome[case] = dp.outcome.value
        assert isinstance(dp, Check) and dp.evidence_kind == "fairness_eval" and dp.controls
        assert dp.threshold.metric == "value" and dp.threshold.op == "<=" and dp.threshold.value == 0.1
        value = dp.metrics[0]
        assert value.name == "value" and value.confidence == 0.95 and value.lower <= value.value <= value.upper
        assert value.n == 2 * per_group
        groups = next(c for c in checks if c.id == "fairness.groups.sex")
        assert groups.outcome.value == "pass"
        rate = next(m for m in groups.metrics if m.name == "selection_rate[sex=f]")
        assert rate.value == pytest.approx(rates["f"]) and rate.n == per_group and rate.lower < rate.value < rate.upper
        if case == "fail":
            assert value.value > 0.1
            f = next(f for f in findings if f.check_id == dp.id)
            assert f.severity.value == "high" and f.location == {"feature": "sex", "group": "sex=f"}
            # who is worse off, in words, with both rates and their intervals
            assert "people in sex=f receive the favourable decision (1) less often: selection rate 0.300 [" in f.message
            assert "vs 0.600 [" in f.message and "for sex=m" in f.message
            assert "Worse off: people in sex=f" in dp.message and "2 of 2 groups compared" in dp.message
            ratio = next(c for c in checks if c.id == "fairness.sex.demographic_parity_ratio")
            assert ratio.outcome.value == "fail" and ratio.threshold.op == ">=" and ratio.threshold.value == 0.8
        elif case == "warn":
            assert value.value <= 0.1 < value.upper and "uncertain" in dp.message
            assert not [f for f in findings if f.check_id == dp.id]
        else:
            assert value.upper <= 0.1 and not findings
    assert outcome == {"fail": "fail", "warn": "warn", "pass": "pass"}


def test_bad_labels_are_clear_errors():
    s = pd.DataFrame({"s": ["a", "b", "a"]})
    with pytest.raises(InputError, match=r"y_true has 1 missing \(NaN\) value\(s\), first at row\(s\) \[1\]"):
        fairness_report(np.array([1.0, np.nan, 0.0]), np.array([1, 0, 0]), s, min_group_size=1)
    with pytest.raises(InputError, match=r"y_pred \(column 'decision'\) has 1 missing"):
        fairness_report([1, 0, 1], pd.Series([1, None, 0], name="decision", dtype=object), s, min_group_size=1)
    with pytest.raises(
        InputError, match=r"y_pred has 3 distinct values \[0, 1, 2\]; it must be binary .*; offending: \[2\]"
    ):
        fairness_report(np.array([1, 0, 1]), np.array([1, 2, 0]), s, min_group_size=1)
    with pytest.raises(
        InputError,
        match=r"y_true \(column 'credit'\) has no value equal to the positive label 1; .*\['bad', 'good'\]",
    ):
        fairness_report(pd.Series(["good", "bad", "good"], name="credit"), [1, 0, 1], s, min_group_size=1)
    with pytest.raises(InputError, match="differ in length"):
        fairness_report([1, 0], [1, 0, 1], s, min_group_size=1)
    with pytest.raises(InputError, match="no sensitive feature"):
        fairness_report([1, 0, 1], [1, 0, 1], pd.DataFrame(index=range(3)), min_group_size=1)


def test_baseline_comparison(german):
    from govgate.checks.baseline import BaselineRef

    y, pred, sens = german
    ref = BaselineRef("credit-scorer", "1", "r-1", "s3://b/r-1/record.json")
    base = json.loads(json.dumps(fairness_report(y, pred, sens[["sex"]], min_group_size=30, n_boot=0).to_dict()))
    worse = pred.copy()
    worse[(sens["sex"] == "female").to_numpy()] = 0  # nobody female is approved any more
    checks = baseline_checks(
        fairness_report(y, worse, sens[["sex"]], min_group_size=30, n_boot=300), base, 0.02, ref=ref
    )
    by_id = {c.id: c for c in checks}
    assert set(by_id) == {f"fairness.sex.{d}.vs_baseline" for d in DISPARITIES}
    dp = by_id["fairness.sex.demographic_parity_difference.vs_baseline"]
    assert dp.outcome.value == "fail" and dp.threshold.baseline_record == "r-1" and dp.threshold.op == "<="
    # the version and record compared with are named in the message and the details
    assert "from credit-scorer version 1 (record r-1)" in dp.message
    assert dp.details["baseline"] == {
        "model": "credit-scorer",
        "version": "1",
        "record_id": "r-1",
        "uri": ref.record_uri,
    }
    # judged on the current figure's interval: the worsening carries one
    w = dp.metrics[0]
    assert w.name == "worsening" and w.lower is not None and w.lower <= w.value <= w.upper and w.lower > 0.02
    assert by_id["fairness.sex.demographic_parity_ratio.vs_baseline"].outcome.value == "fail"  # a ratio that fell
    same = baseline_checks(fairness_report(y, pred, sens[["sex"]], min_group_size=30, n_boot=0), base, 0.02, ref=ref)
    assert {c.outcome.value for c in same} == {"pass"}
    # the same figures with intervals: never a fail; a wide interval reaching past the tolerance warns
    same = baseline_checks(fairness_report(y, pred, sens[["sex"]], min_group_size=30, n_boot=300), base, 0.02)
    assert {c.outcome.value for c in same} <= {"pass", "warn"}
    assert all(c.metrics[0].lower <= 0 <= c.metrics[0].upper for c in same if c.metrics)
    # a disparity missing in either report: inconclusive
    both = baseline_checks(fairness_report(y, pred, sens, min_group_size=30, n_boot=0), base, 0.02, ref=ref)
    assert {c.outcome.value for c in both if c.id.startswith("fairness.age>=25.")} == {"inconclusive"}
    assert all("missing in the baseline" in c.message for c in both if c.id.startswith("fairness.age>=25."))
    assert all("credit-scorer version 1" in c.message for c in both if c.id.startswith("fairness.age>=25."))
    assert {
        c.outcome.value
        for c in baseline_checks(fairness_report(y, pred, sens[["sex"]], min_group_size=30, n_boot=0), {}, 0.02)
    } == {"inconclusive"}


def test_to_dict_round_trips_through_json_and_pickle(german):
    y, pred, sens = german
    report = fairness_report(y, pred, sens, min_group_size=30, n_boot=200)
    data = report.to_dict()
    again = json.loads(json.dumps(data, allow_nan=False))
    assert again == data and FairnessReport.from_dict(again) == report
    assert pickle.loads(pickle.dumps(report)) == report
    g = data["features"]["sex & age>=25"]["groups"][0]
    assert set(g["metrics"]) == set(GROUP_METRICS) and set(g["metrics"]["accuracy"]) == {"value", "lower", "upper"}
    # checks and findings are valid record parts
    checks, findings = fairness_checks(report, RULES)
    assert len({c.id for c in checks}) == len(checks) == 3 * 4
    assert all(json.loads(c.model_dump_json()) for c in checks) and all(f.model_dump_json() for f in findings)


def test_who_is_worse_off_is_named_for_each_judged_metric(german):
    """Equalized odds names the group refused more often among the qualified (TPR) and the group wrongly
    approved more often (FPR), with intervals; the favourable label is the one the review was given."""
    y, pred, sens = german
    report = fairness_report(y, pred, sens[["sex"]], min_group_size=30, n_boot=200, pos_label=1)
    checks, _ = fairness_checks(report, RULES)
    by_id = {c.id: c for c in checks}
    f = report.features["sex"]
    tpr = {g.name: g.metrics["true_positive_rate"].value for g in f.groups}
    fpr = {g.name: g.metrics["false_positive_rate"].value for g in f.groups}
    low_tpr, high_fpr = min(tpr, key=tpr.get), max(fpr, key=fpr.get)
    eo = by_id["fairness.sex.equalized_odds_difference"]
    assert f"qualified people in {low_tpr} (true label 1) are refused the favourable decision more often" in eo.message
    assert f"true positive rate {tpr[low_tpr]:.3f} [" in eo.message
    assert f"people in {high_fpr} without the favourable label (1) are wrongly given it more often" in eo.message
    worse = {h["metric"]: h for h in eo.details["worse_off"]}
    assert worse["true_positive_rate"]["group"] == low_tpr and worse["false_positive_rate"]["group"] == high_fpr
    assert worse["true_positive_rate"]["value"] == pytest.approx(tpr[low_tpr])
    sel = {g.name: g.metrics["selection_rate"].value for g in f.groups}
    dp = by_id["fairness.sex.demographic_parity_ratio"]
    assert f"people in {min(sel, key=sel.get)} receive the favourable decision (1) less often" in dp.message
    # another favourable label is named as given
    named = fairness_report(
        np.where(y == 1, "good", "bad"),
        np.where(pred == 1, "good", "bad"),
        sens[["sex"]],
        min_group_size=30,
        n_boot=0,
        pos_label="good",
    )
    checks, _ = fairness_checks(named, RULES)
    assert (
        "favourable decision (good)"
        in next(c for c in checks if c.id.endswith("sex.demographic_parity_difference")).message
    )


def test_intersection_says_how_many_groups_were_compared(german):
    """With a minimum of 120, two of the four sex x age cells are too small: each disparity of the
    intersection says it compared 2 of 4 groups and which were too small."""
    y, pred, sens = german
    report = fairness_report(y, pred, sens, min_group_size=120, n_boot=100)
    inter = report.features["sex & age>=25"]
    small = [g.name for g in inter.groups if g.small]
    assert len(inter.groups) == 4 and len(small) == 2, [(g.name, g.n) for g in inter.groups]
    checks, _ = fairness_checks(report, RULES.model_copy(update={"min_group_size": 120}))
    for c in checks:
        if c.id.startswith("fairness.sex & age>=25.") and c.outcome.value != "inconclusive":
            assert "2 of 4 groups compared; 2 too small (n < 120) or empty" in c.message, c.message
            assert c.details["coverage"]["compared"] == 2 and sorted(c.details["coverage"]["too_small"]) == sorted(
                small
            )
            assert all(name in c.message for name in small)


def test_equal_rates_name_nobody_as_worse_off():
    y, pred, sens = _planted({"f": 0.5, "m": 0.5}, 400)
    checks, _ = fairness_checks(fairness_report(y, pred, sens, min_group_size=30, n_boot=0), RULES)
    dp = next(c for c in checks if c.id == "fairness.sex.demographic_parity_difference")
    assert "Worse off" not in dp.message and dp.details["worse_off"] == [] and "2 of 2 groups compared" in dp.message
