"""The incident page (govgate incidents show --html) as a reader sees it, in headless Debian Chromium at
1280 px: an overdue legal clock must look failed (red badge, red row edge, red banner), a met clock green,
a running one amber; the page fits the window. The screenshot goes to .govgate-test-artifacts/."""

from __future__ import annotations

import os
import shutil
from datetime import UTC, datetime, timedelta

import pytest

from govgate.incidents import (
    Asset,
    IncidentKind,
    Jurisdiction,
    escalate_overdue,
    load_incident,
    load_legal_clocks,
    open_incident,
    record_report,
    render_html,
)
from govgate.record import AssetKind, Severity
from govgate.store import LocalStore
from tests.ui.test_prefect_ui import ARTIFACTS_DIR, CHROMIUM, CHROMIUM_ARGS, _skip_requested

pytestmark = pytest.mark.ui

T0 = datetime(2026, 9, 1, 10, 0, tzinfo=UTC)

MEASURE = """() => {
  const row = id => document.querySelector('#clock-' + id);
  const badge = id => getComputedStyle(row(id).querySelector('.badge')).backgroundColor;
  const edge = id => getComputedStyle(row(id).querySelector('td')).borderLeftColor;
  return {
    scrollWidth: document.documentElement.scrollWidth,
    innerWidth: window.innerWidth,
    banner: getComputedStyle(document.querySelector('header.banner')).backgroundColor,
    verdict: document.querySelector('header.banner .verdict').textContent.trim(),
    overdueBadge: badge('vn-pdpl-art23'), overdueEdge: edge('vn-pdpl-art23'),
    metBadge: badge('gdpr-art33'), metEdge: edge('gdpr-art33'), lateEdge: edge('vn-ai-law-art12'), dueBadge: badge('eu-ai-act-art73-2'), naBadge: badge('vn-decree13-art23'),
    overdueText: row('vn-pdpl-art23').textContent,
  };
}"""


def incident_page(tmp_path) -> str:
    store = LocalStore(tmp_path / "store")
    opened = open_incident(
        store,
        load_legal_clocks(),
        asset=Asset(kind=AssetKind.MODEL, id="credit-scorer", version="7"),
        cause="fairness.fpr_gap",
        summary="False positive rate for women rose 0.09 above the approved baseline (limit 0.05)",
        severity=Severity.HIGH,
        by="reassessment",
        evidence=["s3://govgate/evidence/model/credit-scorer/7/reassessment/20260901T095500Z-1a2b3c4d/record.json"],
        kinds=[IncidentKind.SERIOUS_INCIDENT, IncidentKind.PERSONAL_DATA_BREACH],
        jurisdictions=[Jurisdiction.EU, Jurisdiction.VN],
        aware_at=T0 - timedelta(hours=1),
        now=T0,
    ).incident
    record_report(
        store, opened.id, clock_id="gdpr-art33", by="dpo", reference="DPA-2026-118", now=T0 + timedelta(days=2)
    )
    record_report(store, opened.id, clock_id="vn-ai-law-art12", by="dpo", now=T0 + timedelta(hours=5))
    escalate_overdue(store, T0 + timedelta(days=4))
    return render_html(load_incident(store, opened.id, T0 + timedelta(days=4)))


def test_an_overdue_clock_looks_failed(tmp_path):
    if _skip_requested():
        pytest.skip("GOVGATE_SKIP_UI_TESTS=1")
    if not (os.path.isfile(CHROMIUM) and os.access(CHROMIUM, os.X_OK)):
        pytest.fail(f"Chromium not found at {CHROMIUM}: apt-get install -y chromium", pytrace=False)
    from playwright.sync_api import sync_playwright

    page_file = tmp_path / "incident.html"
    page_file.write_text(incident_page(tmp_path), encoding="utf-8")
    shot = tmp_path / "incident.png"
    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS)
        try:
            page = browser.new_page(viewport={"width": 1280, "height": 900})
            page.goto(page_file.as_uri())
            seen = page.evaluate(MEASURE)
            page.screenshot(path=str(shot), full_page=True)
        finally:
            browser.close()
    ARTIFACTS_DIR.mkdir(exist_ok=True)
    shutil.copy(shot, ARTIFACTS_DIR / "incident-page.png")

    red = "rgb(185, 28, 28)"
    assert seen["scrollWidth"] <= seen["innerWidth"], seen
    assert seen["verdict"] == "OVERDUE" and seen["banner"] == red
    assert seen["overdueBadge"] == red and seen["overdueEdge"] == red
    assert "no report recorded" in seen["overdueText"] and "escalated" in seen["overdueText"]
    assert seen["metBadge"] == "rgb(217, 242, 225)" and seen["metEdge"] == "rgb(21, 128, 61)"  # green
    assert seen["lateEdge"] == red  # met, but after the due time
    assert seen["dueBadge"] == "rgb(253, 236, 200)"  # amber
    assert seen["naBadge"] == "rgb(238, 238, 238)"  # grey
