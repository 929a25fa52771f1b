"""Trend charts in the reassessment's own report: the record's ``REASSESSMENT_TRENDS`` output built from
past records by ``trend_series`` (numbers only), and report.html drawing one chart per judged metric and
group with the baseline and the limit. The page in a browser: tests/ui/test_report_trends_page.py."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta

from govgate.checks.baseline import vs_baseline_check
from govgate.gate import build_record
from govgate.policy import load_policy
from govgate.reassessment.trends import trend_series
from govgate.record import REASSESSMENT_TRENDS, AssetKind, Check, Metric, Subject, decide
from govgate.render import render_html
from govgate.settings import DEFAULT_POLICY

START = datetime(2026, 9, 1, 8, 0, tzinfo=UTC)
HOSTILE = '<script>alert("g")</script>'


def _check(metric: str, group: str, value: float, old: float, higher: bool) -> Check:
    current = Metric(name=metric, value=value, lower=value - 0.03, upper=value + 0.03, confidence=0.95, n=400)
    return vs_baseline_check(
        cid=f"reassessment.performance.{metric}.{group}.vs_baseline", title=f"{metric} ({group}) vs approved",
        category="performance", evidence_kind="reassessment", current=current, old=old, higher_is_better=higher,
        tolerance=0.05, baseline=None,
    )  # fmt: skip


def _checks(run: int) -> list[Check]:
    """Accuracy of one group sliding down run by run (fails at the end), FPR of another steady."""
    return [
        _check("accuracy", "sex=female", 0.82 - 0.03 * run, 0.82, True),
        _check("fpr", HOSTILE, 0.10 + 0.002 * run, 0.10, False),
    ]


def _record(runs: int, started_at: datetime, outputs: dict | None = None):
    checks = _checks(runs)
    return build_record(
        gate="reassessment", subject=Subject(kind=AssetKind.MODEL, id="credit-scorer", version="4"),
        policy=load_policy(DEFAULT_POLICY), tier="high", started_at=started_at, checks=checks,
        decision=decide(checks), outputs=outputs,
    )  # fmt: skip


def trended_record(past_runs: int = 4):
    """A reassessment record whose trends come from ``past_runs`` earlier records (oldest first)."""
    past = [_record(i, START + timedelta(days=30 * i)) for i in range(past_runs)]
    current = _checks(past_runs)
    trends = trend_series(past, current)
    return _record(past_runs, START + timedelta(days=30 * past_runs), {REASSESSMENT_TRENDS: trends}), trends


def test_trend_series_holds_each_runs_value_the_baseline_and_the_limit():
    _, trends = trended_record(4)
    assert trends["runs"][-1] == "this run" and trends["runs"][0] == "2026-09-01 08:00"
    acc, fpr = trends["series"]  # the failed comparison first
    assert acc["outcome"] == "fail" and acc["group"] == "sex=female" and acc["metric"] == "accuracy"
    assert [round(p["value"], 4) for p in acc["points"]] == [0.82, 0.79, 0.76, 0.73, 0.70]
    assert acc["baseline"] == 0.82 and acc["limit"] == 0.77 and acc["op"] == ">="  # higher is better
    assert fpr["limit"] == 0.15 and fpr["op"] == "<=" and fpr["group"] == HOSTILE  # lower is better
    assert all(set(p) == {"run", "value", "lower", "upper", "n"} for s in trends["series"] for p in s["points"])


def test_report_draws_one_trend_chart_per_series_with_baseline_and_limit():
    record, trends = trended_record(4)
    html = render_html(record)
    section = html.split('<h2 id="trends">', 1)[1].split("<h2>", 1)[0]
    svgs = re.findall(r'<svg [^>]*class="chart trend".*?</svg>', section, flags=re.S)
    assert len(svgs) == len(trends["series"]) == 2
    for svg, s in zip(svgs, trends["series"], strict=True):
        assert svg.count('class="baseline"') == 1 and svg.count('class="limit"') == 1
        assert svg.count('class="run"') == len(s["points"]) == 5
        assert (
            f"baseline {s['baseline']:.4g}" in svg
            and f"limit {s['op'].replace('>', '&gt;').replace('<', '&lt;')}" in svg
        )
    assert "accuracy (sex=female) over 5 runs: baseline 0.82, limit &gt;= 0.77; now fail" in section
    assert HOSTILE not in html and "&lt;script&gt;" in section  # the group name comes from data: escaped


def test_the_failing_side_is_below_the_limit_when_higher_is_better():
    record, _ = trended_record(2)
    svg = re.findall(r'<svg [^>]*class="chart trend".*?</svg>', render_html(record), flags=re.S)[0]
    shade = re.search(r'<rect x="\d+" y="([\d.]+)" width="\d+" height="([\d.]+)" fill="#fde2e2"/>', svg)
    limit_y = float(re.search(r'class="limit" x1="\d+" y1="([\d.]+)"', svg)[1])
    assert float(shade[1]) == limit_y and float(shade[2]) > 0  # from the limit down


def test_records_without_trends_draw_none():
    record = _record(0, START)
    assert 'id="trends"' not in render_html(record)
    broken = _record(0, START, {REASSESSMENT_TRENDS: {"series": [{"points": [{"value": "x"}], "baseline": None}]}})
    assert 'id="trends"' not in render_html(broken)
