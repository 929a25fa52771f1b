"""Every group's raw rates over past reassessments (``group_rates`` in ``REASSESSMENT_TRENDS``): read from
past records' fairness reports and estimated checks, numbers only, bounded (groups and attributes capped,
what was left out said), drawn in report.html as one chart per rate and attribute with groups as lines.
The page in a browser: tests/ui/test_report_trends_page.py."""

from __future__ import annotations

import json
import re
from datetime import UTC, datetime, timedelta

from govgate.gate import build_record
from govgate.policy import load_policy
from govgate.reassessment.group_rates import MAX_ATTRIBUTES, MAX_GROUPS, RATES, record_rates
from govgate.reassessment.trends import trend_series
from govgate.record import FAIRNESS_REPORT, REASSESSMENT_TRENDS, AssetKind, Check, Metric, Outcome, Subject, decide
from govgate.render import render_html
from govgate.settings import DEFAULT_POLICY
from tests.core.test_report_trends import HOSTILE, _checks

START = datetime(2026, 9, 1, 8, 0, tzinfo=UTC)


def _group(name: str, n: int, fpr: float) -> dict:
    """A fairness-report group of ``n`` rows, half positives, whose FPR is ``fpr`` (TPR 0.8)."""
    pos = neg = n // 2
    tp, fp = round(0.8 * pos), round(fpr * neg)
    fn, tn = pos - tp, neg - fp
    rate = lambda v, d: {"value": v, "lower": max(v - 1 / d**0.5, 0), "upper": min(v + 1 / d**0.5, 1)}  # noqa: E731
    return {
        "name": name, "levels": {}, "n": n, "tp": tp, "fp": fp, "fn": fn, "tn": tn, "status": "ok", "reason": "",
        "metrics": {
            "selection_rate": rate((tp + fp) / n, n), "true_positive_rate": rate(tp / pos, pos),
            "false_positive_rate": rate(fp / neg, neg), "accuracy": rate((tp + tn) / n, n),
            "precision": rate(tp / (tp + fp), tp + fp),
        },
    }  # fmt: skip


def fairness_report(run: int, extra_groups: int = 0) -> dict:
    """Women's FPR rising run by run, men's steady; ``extra_groups`` small age bands beside."""
    ages = [_group(f"age={i}", 40 + i, 0.1) for i in range(extra_groups)]
    return {
        "features": {
            "sex": {"groups": [_group("female", 400, 0.10 + 0.05 * run), _group("male", 600, 0.10)]},
            "age": {"groups": ages},
            "sex & age": {"groups": [_group("female & 1", 50, 0.5)]},
        },
        "intersection": "sex & age",
    }


def _estimated(group: str, rate: float, n: int) -> Check:
    return Check(
        id=f"reassessment.estimated.fpr.{group}", title="estimated", category="performance", outcome=Outcome.PASS,
        message="estimated", metrics=[Metric(name="selection_rate_observed", value=rate, n=n)],
        details={"estimated": True, "metric": "fpr", "group": group},
    )  # fmt: skip


def _record(run: int, outputs: dict, checks: list[Check] | None = None):
    checks = checks or _checks(run)
    return build_record(
        gate="reassessment", subject=Subject(kind=AssetKind.MODEL, id="credit-scorer", version="4"),
        policy=load_policy(DEFAULT_POLICY), tier="high", started_at=START + timedelta(days=30 * run), checks=checks,
        decision=decide(checks), outputs=outputs,
    )  # fmt: skip


def rated_record(past_runs: int = 4, extra_groups: int = 0):
    """A reassessment record whose trends (judged and raw rates) come from ``past_runs`` earlier records."""
    past = [_record(i, {FAIRNESS_REPORT: fairness_report(i, extra_groups)}) for i in range(past_runs)]
    outputs = {FAIRNESS_REPORT: fairness_report(past_runs, extra_groups)}
    trends = trend_series(past, _checks(past_runs), outputs=outputs)
    return _record(past_runs, {**outputs, REASSESSMENT_TRENDS: trends}), trends


def test_each_groups_rates_over_runs_show_which_group_moved():
    _, trends = rated_record(4)
    rates = trends["group_rates"]
    assert rates["runs"] == trends["runs"] and len(rates["runs"]) == 5
    fpr = next(c for c in rates["charts"] if c["metric"] == "false_positive_rate" and c["attribute"] == "sex")
    by_group = {g["group"]: [round(p["value"], 3) for p in g["points"]] for g in fpr["groups"]}
    assert by_group == {"female": [0.1, 0.15, 0.2, 0.25, 0.3], "male": [0.1] * 5}
    assert all(p["n"] == 200 for p in fpr["groups"][1]["points"])  # FPR's n is the group's negatives
    assert {c["metric"] for c in rates["charts"] if c["attribute"] == "sex"} == set(RATES)
    assert not any("&" in c["attribute"] for c in rates["charts"])  # intersections are not charted
    assert rates["left_out"] == []


def test_numbers_only_and_no_raw_rows():
    _, trends = rated_record(2)
    text = json.dumps(trends["group_rates"])
    points = [p for c in trends["group_rates"]["charts"] for g in c["groups"] for p in g["points"]]
    assert all(set(p) == {"run", "value", "lower", "upper", "n"} for p in points)
    assert "tp" not in text and "levels" not in text  # counts and row-level fields stay in the fairness report


def test_groups_and_attributes_are_capped_and_the_rest_is_named():
    _, trends = rated_record(2, extra_groups=MAX_GROUPS + 2)
    rates = trends["group_rates"]
    age = [c for c in rates["charts"] if c["attribute"] == "age"]
    assert age and all(len(c["groups"]) == MAX_GROUPS for c in age)
    drawn = {g["group"] for g in age[0]["groups"]}
    assert drawn == {str(i) for i in range(2, MAX_GROUPS + 2)}  # the largest groups drawn
    assert any("2 smaller group(s)" in x and "'0'" in x for x in rates["left_out"]), rates["left_out"]
    many = {"features": {f"a{i}": {"groups": [_group("x", 100, 0.1)]} for i in range(MAX_ATTRIBUTES + 1)}}
    from govgate.reassessment.group_rates import rate_trends

    out = rate_trends([("r", record_rates({FAIRNESS_REPORT: many}, []))])
    assert len({c["attribute"] for c in out["charts"]}) == MAX_ATTRIBUTES and len(out["left_out"]) == 1


def test_selection_rate_pools_labelled_rows_and_rows_awaiting_labels():
    """Run without labels: the selection rate comes from the estimated checks; with some labelled rows
    too, both are pooled (Wilson interval over all rows of the window)."""
    only_waiting = record_rates({}, [_estimated("sex=female", 0.25, 200), _estimated("overall", 0.3, 500)])
    assert set(only_waiting) == {"sex"}  # "overall" is not a sensitive attribute
    sel = only_waiting["sex"]["female"]["selection_rate"]
    assert sel["value"] == 0.25 and sel["n"] == 200 and sel["lower"] < 0.25 < sel["upper"]
    assert set(only_waiting["sex"]["female"]) == {"selection_rate"}  # no labels: no realized TPR, FPR, accuracy
    report = {"features": {"sex": {"groups": [_group("female", 400, 0.1)]}}}
    pooled = record_rates({FAIRNESS_REPORT: report}, [_estimated("sex=female", 0.25, 200)])
    labelled = 0.8 * 200 + 0.1 * 200  # selected among the 400 labelled rows: TP + FP
    assert pooled["sex"]["female"]["selection_rate"]["n"] == 600
    assert abs(pooled["sex"]["female"]["selection_rate"]["value"] - (labelled + 50) / 600) < 1e-12


def test_report_draws_one_chart_per_rate_and_attribute_with_a_legend():
    record, trends = rated_record(4)
    html = render_html(record)
    section = html.split('<h2 id="group-rates">', 1)[1].split("<h2>", 1)[0]
    svgs = re.findall(r'<svg [^>]*class="chart rates".*?</svg>', section, flags=re.S)
    assert len(svgs) == len(trends["group_rates"]["charts"]) == 4  # sex x 4 rates (age has no groups)
    for svg in svgs:
        assert svg.count('class="group"') == 2 and svg.count('class="legend"') == 2
        assert svg.count('class="point"') == 10 and ">female<" in svg and ">male<" in svg
    assert "false positive rate by sex (2 groups)" in section


def test_hostile_group_names_are_escaped_and_bad_points_dropped():
    report = {"features": {"sex": {"groups": [_group(HOSTILE, 100, 0.1), _group("male", 100, 0.1)]}}}
    past = [_record(0, {FAIRNESS_REPORT: report})]
    trends = trend_series(past, _checks(1), outputs={FAIRNESS_REPORT: report})
    trends["group_rates"]["charts"][0]["groups"][1]["points"].append({"run": "x", "value": "NaN"})
    html = render_html(_record(1, {REASSESSMENT_TRENDS: trends}))
    assert "<script>alert" not in html and "&lt;script&gt;" in html
