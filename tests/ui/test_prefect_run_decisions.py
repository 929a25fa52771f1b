"""A gate's decision as a person sees it in the real Prefect UI (headless Chromium).

Two data reviews run against a real Prefect server (one leaks a secret and decides FAIL, one passes);
the runs list and the failing run's page must show the failing run as a red "Gate failed", never a green
"Completed"; its summary artifact opens the HTML report through the evidence server; the deployment's
run form shows no 'Property is type "None"'. Screenshots are kept in .govgate-test-artifacts/.
"""

from __future__ import annotations

import re
import urllib.request

import pytest

from flows.data_review import data_review
from flows.runner import run_flow
from govgate.evidence_server import serve_evidence
from tests.flows.test_prefect_visibility import _inputs
from tests.ui.test_prefect_ui import (  # noqa: F401 (fixtures)
    UI_ACTION_MS,
    _record_api_errors,
    _save_screenshot,
    browser_context,
    prefect_server,
    served_data_review,
    ui_step,
)

pytestmark = pytest.mark.ui


def _badge_of(page, run_name: str):
    """The state badge in the runs list row of ``run_name``."""
    row = page.locator(".flow-run-list-item, [class*='list-item']").filter(has_text=run_name).first
    return row.locator("[class*='state-badge']").first


@pytest.fixture
def gate_runs(served_data_review, local_settings, tmp_path, monkeypatch):  # noqa: F811
    """A failing and a passing data review on the served Prefect server, with the evidence store served
    over http. Run before the browser starts: Playwright's sync API keeps an event loop in this thread,
    which turns Prefect's sync calls into coroutines."""
    from prefect.settings import PREFECT_API_URL, temporary_settings

    api_url, _, _ = served_data_review
    with serve_evidence(local_settings, port=0) as evidence_url, temporary_settings({PREFECT_API_URL: api_url}):
        monkeypatch.setenv("GOVGATE_EVIDENCE_HTTP_URL", evidence_url)
        failed = run_flow(data_review, **_kw(_inputs(tmp_path / "fail", leak=True)))
        passed = run_flow(data_review, **_kw(_inputs(tmp_path / "pass", leak=False)))
        assert (failed["decision"], passed["decision"]) == ("fail", "pass")
        yield failed, evidence_url


def test_a_failing_gate_is_red_in_the_prefect_ui(gate_runs, browser_context, served_data_review, tmp_path):  # noqa: F811
    from playwright.sync_api import expect

    api_url, deployment, logs = served_data_review
    ui_url = api_url.removesuffix("/api")
    failed, evidence_url = gate_runs
    page = browser_context.new_page()
    errors = _record_api_errors(page)
    step = lambda what: ui_step(page, what, tmp_path, logs, errors)  # noqa: E731

    with step("the runs list does not show the failing run as a red 'Gate failed'"):
        page.goto(f"{ui_url}/runs")
        fail_badge = _badge_of(page, "data-review: leaky-notes -> FAIL")
        expect(fail_badge).to_have_text(re.compile(r"Gate failed"), timeout=UI_ACTION_MS)
        assert "failed" in fail_badge.get_attribute("class"), fail_badge.get_attribute("class")
        pass_badge = _badge_of(page, "data-review: clean-notes -> PASS")
        expect(pass_badge).to_have_text(re.compile(r"Passed"))
        assert "completed" in pass_badge.get_attribute("class")
        page.wait_for_timeout(1000)
    _save_screenshot(page, "prefect-runs-decisions.png", tmp_path)

    with step("the failing run's page does not show 'Gate failed' in red, or shows a green Completed"):
        page.get_by_role("link", name="data-review: leaky-notes -> FAIL").first.click()
        expect(page).to_have_url(re.compile(r"/runs/flow-run/[0-9a-f-]{36}"), timeout=UI_ACTION_MS)
        header_badge = page.locator("[class*='state-badge']").first
        expect(header_badge).to_have_text(re.compile("Gate failed"), timeout=UI_ACTION_MS)
        color = header_badge.evaluate("e => getComputedStyle(e).backgroundColor")
        assert "failed" in header_badge.get_attribute("class") and color != _completed_color(page), color
        expect(page.get_by_text("Completed", exact=True)).to_have_count(0)
    _save_screenshot(page, "prefect-failed-run.png", tmp_path)

    with step("the failing run's summary artifact does not link to the served HTML report"):
        page.get_by_text("Artifacts", exact=True).click()
        page.get_by_text("data-review-summary", exact=True).first.click()
        link = page.get_by_role("link", name="HTML report").first
        href = link.get_attribute("href")
        assert href == failed["report_url"] and href.startswith(evidence_url), href
        with urllib.request.urlopen(href, timeout=10) as r:  # the link opens: the report is served
            assert r.status == 200 and b"<html" in r.read(2000).lower()
    _save_screenshot(page, "prefect-failed-summary.png", tmp_path)

    with step("the checks table artifact is wider than the page"):
        page.go_back()
        page.get_by_text("Artifacts", exact=True).click()
        page.get_by_text("data-review-checks", exact=True).first.click()
        table = page.locator("table").first
        expect(table).to_be_visible(timeout=UI_ACTION_MS)
        expect(table).to_contain_text("fail")
        overflow = page.evaluate(
            "() => [...document.querySelectorAll('table')].map(t => [t.scrollWidth, t.parentElement.clientWidth])"
        )
        assert all(width <= room + 1 for width, room in overflow), overflow
        assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth"), "page scrolls sideways"
    _save_screenshot(page, "prefect-failed-checks.png", tmp_path)

    with step("the deployment run form shows 'Property is type \"None\"'"):
        page.goto(f"{ui_url}/deployments/deployment/{deployment.id}/run")
        expect(page.get_by_text("datasheet (Optional)").first).to_be_visible(timeout=UI_ACTION_MS)
        expect(page.get_by_text('Property is type "None"')).to_have_count(0)
    _save_screenshot(page, "prefect-run-form.png", tmp_path)


def _kw(inputs) -> dict:
    data, sheet = inputs
    return {"dataset": str(data), "datasheet": str(sheet)}


def _completed_color(page) -> str:
    """The background colour the UI gives a Completed badge (a throwaway element with its classes)."""
    return page.evaluate(
        """() => { const e = document.createElement('span'); e.className = 'state-badge state-badge--completed';
        document.body.appendChild(e); const c = getComputedStyle(e).backgroundColor; e.remove(); return c; }"""
    )
