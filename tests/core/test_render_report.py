"""The gate report (report.html, report.md) from hand-built records: decision and why first, checks grouped by
concern with readings and rules in words, charts with the limit and small groups, everything escaped and
offline. The page as a browser lays it out is tested in tests/ui/test_report_page.py."""

from __future__ import annotations

import re
from datetime import UTC, datetime

import pytest

from govgate.charts import Row, group_charts, interval_svg, judged_chart
from govgate.gate import build_record
from govgate.policy import load_policy
from govgate.record import AssetKind, Check, Finding, Metric, Outcome, Severity, Subject, Threshold, decide
from govgate.render import render_html, render_markdown
from govgate.report_view import concerns, reading, rule_in_words
from govgate.settings import DEFAULT_POLICY

HOSTILE = '<script>alert("x")</script>'


def _group_check(small_n: int = 12) -> Check:
    metrics = [
        Metric(name="selection_rate[sex=female]", value=0.40, lower=0.33, upper=0.47, confidence=0.95, n=200),
        Metric(name="selection_rate[sex=male]", value=0.55, lower=0.49, upper=0.61, confidence=0.95, n=260),
        Metric(name=f"selection_rate[sex={HOSTILE}]", value=0.5, lower=0.25, upper=0.75, confidence=0.95, n=small_n),
    ]
    return Check(
        id="fairness.groups.sex",
        title="Metrics by group: sex",
        category="fairness",
        outcome=Outcome.PASS,
        message="3 of 3 group(s) assessed",
        metrics=metrics,
        threshold=Threshold(metric="n", op=">=", value=50),
    )


def _checks() -> list[Check]:
    return [
        Check(
            id="fairness.sex.demographic_parity_difference",
            title="demographic parity difference by sex",
            category="fairness",
            outcome=Outcome.FAIL,
            message="0.15 > 0.10",
            metrics=[Metric(name="value", value=0.15, lower=0.12, upper=0.19, confidence=0.95, n=480)],
            threshold=Threshold(metric="value", op="<=", value=0.10),
            evidence_kind="fairness_eval",
        ),
        _group_check(),
        Check(
            id="performance.accuracy",
            title="Accuracy on the evaluation data",
            category="performance",
            outcome=Outcome.WARN,
            message="straddles",
            metrics=[Metric(name="accuracy", value=0.72, lower=0.68, upper=0.76, confidence=0.95, n=1000)],
            threshold=Threshold(metric="accuracy", op=">=", value=0.7),
        ),
        Check(
            id="performance.precision",
            title="Precision",
            category="performance",
            outcome=Outcome.PASS,
            metrics=[Metric(name="precision", value=0.8)],
        ),
        Check(
            id="data.quality.nulls.email",
            title=f"Null values in {HOSTILE}",
            category="data_quality",
            outcome=Outcome.PASS,
            message=f"0 nulls in {HOSTILE}",
            metrics=[Metric(name="null_fraction", value=0.0, n=1500)],
            threshold=Threshold(metric="null_fraction", op="<=", value=0.05),
        ),
    ]


def _record():
    checks = _checks()
    return build_record(
        gate="model-review",
        subject=Subject(kind=AssetKind.MODEL, id="credit-model", version="3"),
        policy=load_policy(DEFAULT_POLICY),
        tier="high",
        started_at=datetime.now(UTC),
        checks=checks,
        decision=decide(checks),
        findings=[
            Finding(
                id="f1",
                severity=Severity.HIGH,
                category="fairness",
                message=f"selection rates differ ({HOSTILE})",
                check_id="fairness.sex.demographic_parity_difference",
                remediation="re-weight the training data and review the decision threshold",
            )
        ],
    )


def test_reading_and_rule_in_words():
    m = Metric(name="value", value=0.12, lower=0.08, upper=0.17, confidence=0.95, n=480)
    assert reading(m) == "0.12 (95% CI 0.08–0.17, n=480)"
    assert reading(Metric(name="rows", value=1500)) == "1,500"
    check = _checks()[0]
    assert rule_in_words(check) == "must be ≤ 0.1"
    assert rule_in_words(_checks()[2]) == "accuracy must be ≥ 0.7"
    assert rule_in_words(_group_check()) == "each group's size n must be ≥ 50"


def test_failing_report_shows_the_decision_and_why_first_then_findings_then_checks():
    html = render_html(_record())
    banner = re.search(r'<header class="banner (\S+)">\s*<div class="verdict">(\w+)</div>', html)
    assert banner and banner.groups() == ("fail", "FAIL")
    order = [
        html.index(s) for s in ('class="banner', "<h2>Why</h2>", "How to read this report", "Findings: what to fix")
    ]
    order.append(html.index("Checks by concern"))
    assert order == sorted(order)
    why = html[html.index("<h2>Why</h2>") : html.index("How to read this report")]
    assert "demographic parity difference by sex" in why and 'href="#check-fairness.sex.demographic' in why
    assert "re-weight the training data" in html  # remediation beside the finding
    for check in _checks():  # every check appears, passed or not
        assert f'id="check-{check.id}"' in html


def test_concerns_put_failing_groups_first_open_and_passing_checks_behind_a_count():
    groups = concerns(_record())
    assert [g.category for g in groups] == ["fairness", "performance", "data_quality"]
    assert [g.open for g in groups] == [True, True, False]
    performance = groups[1]
    assert [v.check.id for v in performance.attention] == ["performance.accuracy"]
    assert [v.check.id for v in performance.passing] == ["performance.precision"]
    # a passing check with per-group charts stays in view: the groups are what a reader must see
    assert "fairness.groups.sex" in [v.check.id for v in groups[0].attention]
    html = render_html(_record())
    assert '<details class="concern fail" open>' in html and '<details class="concern pass">' in html
    assert "1 more passing or skipped check</summary>" in html


def test_how_to_read_box_states_the_interval_rule_and_multiple_testing():
    html = render_html(_record())
    box = html[html.index('<details class="howto">') : html.index("</details>", html.index('<details class="howto">'))]
    assert "passes only when its whole interval is on the allowed side of the limit" in box
    assert "fails when the whole interval\nlies beyond the limit" in box
    assert "warns when the interval straddles the limit" in box
    assert "same on both sides" in box and "1 time in 20" in box and "Bonferroni" in box
    assert "fewer than 50 rows" in box  # the policy's minimum group size, read from the record


def test_controls_are_a_count_with_the_list_collapsed():
    html = render_html(_record())
    check = _checks()[0]
    n = len(check.controls)
    assert n > 1
    assert f'<details class="controls"><summary>{n} controls</summary>' in html


def test_judged_chart_draws_interval_limit_and_the_failing_side():
    svg = str(judged_chart(_checks()[0]).svg)
    limit_x = float(re.search(r'<line x1="([\d.]+)" y1="\d+" x2="\1" y2="\d+" stroke="#b91c1c"', svg)[1])
    shade_x = float(re.search(r'<rect x="([\d.]+)" y="\d+" width="[\d.]+" height="\d+" fill="#fde2e2"', svg)[1])
    assert shade_x == limit_x  # "must be <= 0.10": the failing side starts at the limit and runs right
    assert "limit &lt;= 0.1" in svg and "n=480" in svg
    ge = judged_chart(_checks()[2])
    rect = re.search(r'<rect x="([\d.]+)" y="\d+" width="([\d.]+)" height="\d+" fill="#fde2e2"', str(ge.svg))
    ge_limit = float(re.search(r'<line x1="([\d.]+)" y1="\d+" x2="\1" y2="\d+" stroke="#b91c1c"', str(ge.svg))[1])
    assert float(rect[1]) + float(rect[2]) == pytest.approx(ge_limit, abs=0.2)  # ">=": the failing side is left


def test_judged_chart_needs_an_interval_and_a_numeric_limit():
    assert judged_chart(_checks()[4]) is None  # no interval: the table says it all
    assert judged_chart(_group_check()) is None  # judged on n: drawn as groups instead


def test_group_chart_marks_small_groups_and_escapes_their_names():
    (chart,) = group_charts(_group_check(small_n=12), min_n=50)
    svg = str(chart.svg)
    assert svg.count("small, n=12") == 1 and 'fill="url(#small-hatch)"' in svg
    assert svg.count('fill="#fff"') == 1  # the small group's point is hollow
    assert HOSTILE not in svg and "&lt;script&gt;" in svg
    (big,) = group_charts(_group_check(small_n=400), min_n=50)
    assert "small" not in str(big.svg).replace("small-hatch", "")


def test_chart_axis_holds_every_point_limit_and_interval():
    rows = [Row("a", 0.02, 0.0, 0.06, 300), Row("b", 0.3, 0.2, 0.45, 40, small=True)]
    svg = str(interval_svg(rows, limit=0.1, op="<="))
    xs = [float(x) for x in re.findall(r'cx="([\d.]+)"', svg)]
    width = float(re.search(r'viewBox="0 0 ([\d.]+)', svg)[1])
    assert all(0 < x < width for x in xs) and xs[0] < xs[1]


def test_user_strings_are_escaped_everywhere_and_the_page_is_self_contained():
    html = render_html(_record())
    assert HOSTILE not in html and "&lt;script&gt;alert(" in html
    assert "<script" not in html and "<link" not in html
    assert not re.search(r'\bsrc="', html)  # no image, script or frame fetched from anywhere
    assert html.count('<pattern id="small-hatch"') == 1  # defined once, outside collapsed sections


def test_markdown_report_leads_with_the_decision_and_groups_checks():
    md = render_markdown(_record())
    assert md.startswith("# model-review: **FAIL**")
    assert md.index("**Why:**") < md.index("## Findings") < md.index("## Checks by concern")
    assert "### Fairness across groups: fail" in md
    assert "| fail | demographic parity difference by sex (`fairness.sex.demographic_parity_difference`) |" in md
    assert "0.15 (95% CI 0.12–0.19, n=480) | must be ≤ 0.1 |" in md


def test_a_passing_report_looks_passed():
    checks = [c for c in _checks() if c.outcome == Outcome.PASS]
    record = build_record(
        gate="data-review",
        subject=Subject(kind=AssetKind.DATASET, id="d"),
        policy=load_policy(DEFAULT_POLICY),
        tier="high",
        started_at=datetime.now(UTC),
        checks=checks,
        decision=decide(checks),
    )
    html = render_html(record)
    assert '<header class="banner pass">' in html and ">PASS</div>" in html
    assert "This dataset passed the data-review gate." in html
