"""The reassessment report's trend charts as a person sees them: headless Chromium at 1280 px, one chart per
series drawn and visible, no horizontal scroll; the screenshot is kept in .govgate-test-artifacts/."""

from __future__ import annotations

import shutil

import pytest

from govgate.render import render_html
from tests.core.test_report_trends import trended_record
from tests.ui.test_prefect_ui import ARTIFACTS_DIR
from tests.ui.test_report_page import WIDTH, browser_page  # noqa: F401 (fixture)

pytestmark = pytest.mark.ui

MEASURE = """() => {
  const trends = document.getElementById('trends');
  const charts = [...document.querySelectorAll('svg.chart.trend')];
  return {
    scrollWidth: document.documentElement.scrollWidth,
    innerWidth: window.innerWidth,
    charts: charts.filter(e => e.checkVisibility()).length,
    widths: charts.map(e => Math.round(e.getBoundingClientRect().width)),
    lines: charts.map(e => e.querySelectorAll('line.baseline, line.limit').length),
    belowChecks: trends !== null && [...document.querySelectorAll('details.concern')]
      .every(d => d.compareDocumentPosition(trends) & Node.DOCUMENT_POSITION_FOLLOWING),
  };
}"""


def test_trend_charts_read_at_1280px(tmp_path, browser_page):  # noqa: F811 (the fixture imported above)
    record, trends = trended_record(6)
    path = tmp_path / "trends-report.html"
    path.write_text(render_html(record))
    browser_page.goto(path.as_uri())
    browser_page.locator("#trends").scroll_into_view_if_needed()
    shot = tmp_path / "trends-report.png"
    browser_page.screenshot(path=str(shot), full_page=True)
    ARTIFACTS_DIR.mkdir(exist_ok=True)
    shutil.copy2(shot, ARTIFACTS_DIR / "report-reassessment-trends.png")
    m = browser_page.evaluate(MEASURE)
    assert m["scrollWidth"] <= m["innerWidth"] == WIDTH, m
    assert m["charts"] == len(trends["series"]) == 2 and m["lines"] == [2, 2], m
    assert all(300 <= w <= 560 for w in m["widths"]), m  # small multiples side by side, not page-wide
    assert m["belowChecks"], m


RATES_MEASURE = """() => {
  const charts = [...document.querySelectorAll('svg.chart.rates')];
  const figures = charts.map(e => e.closest('figure').getBoundingClientRect());
  return {
    scrollWidth: document.documentElement.scrollWidth,
    innerWidth: window.innerWidth,
    visible: charts.filter(e => e.checkVisibility()).length,
    widths: charts.map(e => Math.round(e.getBoundingClientRect().width)),
    perRow: new Set(figures.map(f => Math.round(f.top))).size,
    legends: charts.map(e => e.querySelectorAll('g.legend').length),
    legendFont: charts.length ? parseFloat(getComputedStyle(charts[0].querySelector('g.legend text')).fontSize) : 0,
  };
}"""


def test_group_rate_charts_read_at_1280px(tmp_path, browser_page):  # noqa: F811 (the fixture imported above)
    """Every group's raw rates: small multiples (several per row, not page-wide), a legend per chart."""
    from tests.core.test_report_group_rates import rated_record

    record, trends = rated_record(6, extra_groups=3)
    path = tmp_path / "rates-report.html"
    path.write_text(render_html(record))
    browser_page.goto(path.as_uri())
    browser_page.locator("#group-rates").scroll_into_view_if_needed()
    shot = tmp_path / "rates-report.png"
    browser_page.screenshot(path=str(shot), full_page=True)
    ARTIFACTS_DIR.mkdir(exist_ok=True)
    shutil.copy2(shot, ARTIFACTS_DIR / "report-reassessment-group-rates.png")
    m = browser_page.evaluate(RATES_MEASURE)
    charts = trends["group_rates"]["charts"]
    assert m["scrollWidth"] <= m["innerWidth"] == WIDTH, m
    assert m["visible"] == len(charts) == 8, m  # sex and age, 4 rates each
    assert all(330 <= w <= 420 for w in m["widths"]), m  # three side by side
    assert m["perRow"] == 3, m  # 8 charts in rows of 3
    assert m["legends"] == [len(c["groups"]) for c in charts], m
