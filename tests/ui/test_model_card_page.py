"""The model card (model_card.html) as a reader sees it: headless Chromium at 1280 px. It must fit the
window (no horizontal scroll), keep every cell at least 8 characters wide, and draw its charts whole: no
label or axis text cut off at a chart's edge. The screenshot goes to .govgate-test-artifacts/ for a person
to look at."""

from __future__ import annotations

import shutil

import pytest

from govgate.render import render_model_card
from tests.core.test_model_card import record  # noqa: F401 (fixture)
from tests.ui.test_prefect_ui import ARTIFACTS_DIR
from tests.ui.test_report_page import WIDTH, browser_page  # noqa: F401 (fixture)

pytestmark = pytest.mark.ui

MEASURE = """() => {
  const canvas = document.createElement('canvas').getContext('2d');
  const cells = [...document.querySelectorAll('td, th')];
  const narrow = [];
  for (const cell of cells) {
    canvas.font = getComputedStyle(cell).font;
    const eight = canvas.measureText('00000000').width;
    const width = cell.getBoundingClientRect().width;
    if (width < eight) narrow.push([Math.round(width), cell.textContent.trim().slice(0, 40)]);
  }
  // every text of every chart lies inside its SVG's box (nothing cut at the edge)
  const cut = [];
  for (const svg of document.querySelectorAll('svg.chart')) {
    const box = svg.getBoundingClientRect();
    for (const t of svg.querySelectorAll('text')) {
      const r = t.getBoundingClientRect();
      if (r.left < box.left - 0.5 || r.right > box.right + 0.5 || r.top < box.top - 0.5 || r.bottom > box.bottom + 0.5)
        cut.push(t.textContent);
    }
  }
  const body = document.body.getBoundingClientRect();
  const inner = body.right - parseFloat(getComputedStyle(document.body).paddingRight);
  const overflowing = [...document.querySelectorAll('table')].filter(t => t.getBoundingClientRect().right > inner + 1).length;
  return {
    overflowing: overflowing,
    scrollWidth: document.documentElement.scrollWidth,
    innerWidth: window.innerWidth,
    height: document.documentElement.scrollHeight,
    cells: cells.length,
    narrow: narrow,
    charts: document.querySelectorAll('svg.chart').length,
    hatched: document.querySelectorAll('svg.chart rect[fill="url(#small-hatch)"]').length,
    cut: cut,
    sections: [...document.querySelectorAll('h2')].map(h => h.textContent),
  };
}"""


def test_model_card_reads_at_1280px(record, browser_page, tmp_path):  # noqa: F811 (fixtures)
    path = tmp_path / "model_card.html"
    path.write_text(render_model_card(record, "html"))
    browser_page.goto(path.as_uri())
    shot = tmp_path / "model_card.png"
    browser_page.screenshot(path=str(shot), full_page=True)
    ARTIFACTS_DIR.mkdir(exist_ok=True)
    shutil.copy2(shot, ARTIFACTS_DIR / "model-card.png")
    m = browser_page.evaluate(MEASURE)
    assert m["scrollWidth"] <= m["innerWidth"] == WIDTH, m
    assert m["cells"] > 40 and not m["narrow"], m["narrow"]
    assert m["overflowing"] == 0, m  # every table stays inside the page's column
    assert m["charts"] == 9 and not m["cut"], m["cut"]
    assert m["hatched"] == 6, m  # the two small cells of the intersection, in each of its 3 charts
    assert m["sections"][:7] == [
        "Model details",
        "Intended use",
        "Factors",
        "Metrics",
        "Evaluation data",
        "Ethical considerations",
        "Caveats and recommendations",
    ], m["sections"]
