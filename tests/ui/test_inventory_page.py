"""The inventory page as a reader sees it, in headless Debian Chromium at 1280 px, opened from a file with
the network refused: filters change the visible rows, the page never scrolls sideways, and a failing or
overdue gate looks failed (red chip, red row edge, red banner). Screenshots go to .govgate-test-artifacts/."""

from __future__ import annotations

import os
import shutil

import pytest

from govgate.inventory.diff import diff_snapshots
from govgate.inventory.gaps import find_gaps
from govgate.inventory.model import Asset
from govgate.inventory.page import render_page
from govgate.inventory.snapshot import Snapshot
from govgate.policy import load_policy
from tests.core.inventory.assets import NOW, portfolio
from tests.ui.test_prefect_ui import ARTIFACTS_DIR, CHROMIUM, CHROMIUM_ARGS, _skip_requested

pytestmark = pytest.mark.ui

RED = "rgb(185, 28, 28)"
VISIBLE = "() => Array.from(document.querySelectorAll('#assets tr.asset')).filter(r => !r.hidden).map(r => r.querySelector('.id').textContent)"
MEASURE = """() => {
  const row = id => Array.from(document.querySelectorAll('#assets tr.asset')).find(r => r.querySelector('.id').textContent === id);
  const chip = (id, gate) => row(id).querySelector('.chip[data-gate="' + gate + '"]');
  return {
    scrollWidth: document.documentElement.scrollWidth, innerWidth: window.innerWidth,
    banner: getComputedStyle(document.querySelector('header.banner')).backgroundColor,
    verdict: document.querySelector('header.banner .verdict').textContent.trim(),
    overdueChip: getComputedStyle(chip('model:credit/2', 'reassessment')).backgroundColor,
    overdueText: chip('model:credit/2', 'reassessment').textContent,
    missingReview: chip('model:churn/1', 'model-review').textContent,
    missingReviewBg: getComputedStyle(chip('model:churn/1', 'model-review')).backgroundColor,
    passChip: getComputedStyle(chip('model:credit/3', 'model-review')).backgroundColor,
    gapEdge: getComputedStyle(row('model:churn/1').querySelector('td')).borderLeftColor,
    cleanEdge: getComputedStyle(row('model:credit/3').querySelector('td')).borderLeftColor,
    gapRows: document.querySelectorAll('#gaps tr.gap').length,
    disappeared: Array.from(document.querySelectorAll('#disappeared tbody tr')).map(r => r.textContent),
    external: Array.from(document.querySelectorAll('link[href], script[src], img[src]')).length,
  };
}"""


def inventory_doc() -> dict:
    assets, index = portfolio()
    gone = Asset("model_version", "model:legacy/4", "legacy/4", status="deployed", sources=["mlflow"])
    previous = Snapshot("20261207T100000Z-aaaaaaaa", NOW, [*assets, gone], []).to_dict()
    diff = diff_snapshots(previous, assets, NOW.isoformat())
    gaps = find_gaps(assets, index, load_policy("policies/default.yaml"), NOW) + diff.gaps
    # a long reason and purpose must wrap, never widen the page
    assets[0].tier_reason = "EU AI Act Art. 6(2) and Annex III point 5(b): evaluating creditworthiness " * 3
    assets[0].purpose = "x" * 300
    return Snapshot("20261207T120000Z-bbbbbbbb", NOW, assets, gaps, diff.disappeared).to_dict()


def test_filters_fit_and_failed_gates_look_failed(tmp_path):
    if _skip_requested():
        pytest.skip("GOVGATE_SKIP_UI_TESTS=1")
    if not (os.path.isfile(CHROMIUM) and os.access(CHROMIUM, os.X_OK)):
        pytest.fail(f"Chromium not found at {CHROMIUM}: apt-get install -y chromium", pytrace=False)
    from playwright.sync_api import sync_playwright

    page_file = tmp_path / "inventory.html"
    page_file.write_text(render_page(inventory_doc()), encoding="utf-8")
    requests: list[str] = []
    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS)
        try:
            page = browser.new_page(viewport={"width": 1280, "height": 900})
            page.on("request", lambda r: requests.append(r.url))
            page.goto(page_file.as_uri())
            seen = page.evaluate(MEASURE)
            everything = page.evaluate(VISIBLE)
            page.screenshot(path=str(tmp_path / "all.png"), full_page=True)
            page.select_option("#f-kind", "model_version")
            models = page.evaluate(VISIBLE)
            page.check("#f-gaps")
            models_with_gaps = page.evaluate(VISIBLE)
            shown = page.text_content("#shown")
            page.screenshot(path=str(tmp_path / "filtered.png"), full_page=True)
            page.uncheck("#f-gaps")
            page.select_option("#f-kind", "")
            page.select_option("#f-tier", "high")
            high = page.evaluate(VISIBLE)
            page.select_option("#f-tier", "")
            page.select_option("#f-status", "deployed")
            deployed = page.evaluate(VISIBLE)
            page.select_option("#f-status", "")
            page.fill("#f-text", "OCR")
            searched = page.evaluate(VISIBLE)
            page.fill("#f-text", "")
            page.select_option("#f-tier", "(none)")
            untiered = page.evaluate(VISIBLE)
        finally:
            browser.close()
    ARTIFACTS_DIR.mkdir(exist_ok=True)
    shutil.copy(tmp_path / "all.png", ARTIFACTS_DIR / "inventory-page.png")
    shutil.copy(tmp_path / "filtered.png", ARTIFACTS_DIR / "inventory-page-filtered.png")

    assert requests == [page_file.as_uri()]  # offline: nothing else is fetched
    assert seen["external"] == 0
    assert seen["scrollWidth"] <= seen["innerWidth"], seen
    assert seen["verdict"] == "GAPS" and seen["banner"] == RED
    assert seen["overdueChip"] == RED and "overdue" in seen["overdueText"]
    assert seen["missingReview"] == "model-review: none" and seen["missingReviewBg"] == RED
    assert seen["passChip"] == "rgb(217, 242, 225)"
    assert seen["gapEdge"] == RED and seen["cleanEdge"] == "rgb(21, 128, 61)"
    assert seen["gapRows"] == 13  # 12 gap findings + the disappeared model
    assert len(seen["disappeared"]) == 1 and "model:legacy/4" in seen["disappeared"][0]
    assert len(everything) == 10
    assert models == ["model:credit/3", "model:credit/2", "model:churn/1", "model:fraud/1"]
    assert models_with_gaps == ["model:credit/2", "model:churn/1", "model:fraud/1"]
    assert shown == "3 of 10 shown"
    assert high == ["model:credit/3", "model:credit/2", "dataset:loans"]
    assert deployed == [
        "model:credit/3",
        "model:credit/2",
        "model:churn/1",
        "model:fraud/1",
        "chat-vendor",
        "ocr-cloud",
    ]
    assert searched == ["ocr-cloud"]
    assert untiered == ["faq-bot"]
