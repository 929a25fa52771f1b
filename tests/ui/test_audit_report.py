"""The audit report and the dashboard as a person sees them, in headless Chromium: the report opens offline
(no request leaves the file), prints to an A4 PDF with one section per page and the runs table's header
repeated on every page it spans, and shows failures in words; the dashboard renders its KPIs, overdue items
and incidents. Screenshots and the PDF go to .govgate-test-artifacts/ for a person to look at."""

from __future__ import annotations

import re
import shutil
import zlib
from dataclasses import replace
from datetime import timedelta

import pytest

from govgate.audit.dashboard import render_dashboard
from govgate.audit.report_html import render_report
from tests.core.audit.test_report import gathered, world  # noqa: F401 (fixture)
from tests.ui.test_prefect_ui import ARTIFACTS_DIR
from tests.ui.test_report_page import WIDTH, browser_page  # noqa: F401 (fixture)

pytestmark = pytest.mark.ui
SECTIONS = ("summary", "inventory", "runs", "signoffs", "incidents", "retention", "coverage", "kpis", "unread")

PRINT_LAYOUT = """() => {
  const css = e => getComputedStyle(e);
  return {
    sections: [...document.querySelectorAll('section')].map(s => [s.id, css(s).breakBefore]),
    thead: [...document.querySelectorAll('thead')].map(t => css(t).display),
    rows: [...document.querySelectorAll('tr')].map(r => css(r).breakInside),
    notCoveredText: [...document.querySelectorAll('.tag.st-not_covered')].map(t => t.textContent.trim()),
    notCoveredColour: [...document.querySelectorAll('.tag.st-not_covered')].map(t => css(t).backgroundColor),
  };
}"""


def many_runs(data, n: int):
    """The period's runs repeated ``n`` times (new ids), so the runs table spans pages when printed."""
    base = data.runs
    data.index.entries = [
        replace(e, record_id=f"{e.record_id}-{i:03d}", started_at=e.started_at + timedelta(minutes=i))
        for i in range(n)
        for e in base
    ]
    data.__dict__.pop("runs", None)  # AuditData.runs is cached from the index it was gathered with
    return data


def pdf_facts(pdf: bytes) -> tuple[int, list[str]]:
    """(pages, outline titles) of a Chromium PDF: page objects, and the /Title strings of its outline (from
    the file and its Flate streams)."""
    pages = len(re.findall(rb"/Type\s*/Page(?![s\w])", pdf))
    texts = [pdf]
    for stream in re.findall(rb"stream\r?\n(.*?)\r?\nendstream", pdf, re.S):
        try:
            texts.append(zlib.decompress(stream))
        except zlib.error:
            continue
    titles = []
    for blob in texts:
        for raw in re.findall(rb"/Title\s*(<[0-9A-Fa-f]+>|\((?:\\.|[^\\)])*\))", blob):
            if raw.startswith(b"<"):
                b = bytes.fromhex(raw[1:-1].decode())
                titles.append(b.decode("utf-16") if b.startswith(b"\xfe\xff") else b.decode("latin-1"))
            else:
                titles.append(raw[1:-1].decode("latin-1"))
    return pages, titles


def test_report_opens_offline_and_prints_to_a4_pdf(world, browser_page, tmp_path):  # noqa: F811
    data = many_runs(gathered(world), 40)
    path = tmp_path / "audit-report.html"
    path.write_text(render_report(data))
    requests = []
    browser_page.on("request", lambda r: requests.append(r.url))
    browser_page.goto(path.as_uri())
    assert requests == [path.as_uri()], requests  # nothing but the file itself: opens offline

    ARTIFACTS_DIR.mkdir(exist_ok=True)
    assert browser_page.evaluate("document.documentElement.scrollWidth") <= WIDTH
    shot = tmp_path / "audit-report.png"
    browser_page.screenshot(path=str(shot), full_page=True)
    shutil.copy2(shot, ARTIFACTS_DIR / "audit-report.png")

    browser_page.emulate_media(media="print")
    layout = browser_page.evaluate(PRINT_LAYOUT)
    assert [s for s, _ in layout["sections"]] == list(SECTIONS)
    assert all(b == "page" for s, b in layout["sections"] if s != "summary"), layout["sections"]
    assert set(layout["thead"]) == {"table-header-group"} and set(layout["rows"]) == {"avoid"}
    assert layout["notCoveredText"] and all("NOT COVERED" in t for t in layout["notCoveredText"])
    assert all(c == "rgb(254, 226, 226)" for c in layout["notCoveredColour"])  # red as well as words
    print_shot = tmp_path / "audit-report-print.png"
    browser_page.set_viewport_size({"width": 794, "height": 1123})  # A4 at 96 dpi
    browser_page.screenshot(path=str(print_shot), full_page=True)
    shutil.copy2(print_shot, ARTIFACTS_DIR / "audit-report-print.png")

    pdf = browser_page.pdf(format="A4", print_background=True, outline=True, tagged=True)
    (ARTIFACTS_DIR / "audit-report.pdf").write_bytes(pdf)
    pages, titles = pdf_facts(pdf)
    assert pdf.startswith(b"%PDF-") and pages >= len(SECTIONS) + 1, pages  # a page per section, runs span two
    for heading in (
        "1. Inventory",
        "2. Gate runs",
        "3. Sign-offs",
        "4. Incidents",
        "5. Retention",
        "6. Control coverage",
        "7. Governance KPIs",
        "8. Could not read",
    ):
        assert any(t.startswith(heading) for t in titles), (heading, titles)


def test_dashboard_renders_kpis_overdue_and_incidents(world, browser_page, tmp_path):  # noqa: F811
    data = gathered(world)
    path = tmp_path / "dashboard.html"
    path.write_text(render_dashboard(data))
    requests = []
    browser_page.on("request", lambda r: requests.append(r.url))
    browser_page.goto(path.as_uri())
    assert requests == [path.as_uri()]
    shot = tmp_path / "dashboard.png"
    browser_page.screenshot(path=str(shot), full_page=True)
    ARTIFACTS_DIR.mkdir(exist_ok=True)
    shutil.copy2(shot, ARTIFACTS_DIR / "dashboard.png")
    m = browser_page.evaluate("""() => ({
      scroll: document.documentElement.scrollWidth,
      kpis: [...document.querySelectorAll('div.kpi')].filter(e => e.checkVisibility()).length,
      fraction: document.querySelector('#kpi-evaluations_on_time .fraction').textContent.trim(),
      charts: document.querySelectorAll('.kpi svg.chart circle.point').length,
      incidents: document.querySelector('#count-incidents b').textContent.trim(),
      gaps: document.querySelectorAll('table.gaps tbody tr').length,
    })""")
    assert m["scroll"] <= WIDTH and m["kpis"] == 1 and m["fraction"] == "13 / 16" and m["charts"] == 4, m
    assert m["incidents"] == "1" and m["gaps"] == 1, m
