"""The real Prefect UI in headless Chromium: run the data-review deployment from its parameter form.

A real Prefect server (subprocess) serves the UI and the API; a second subprocess serves only the
data-review deployment (``prefect.serve``), with govgate's embedded defaults (local folder store, SQLite
MLflow) under ``tmp_path``. The browser opens the deployment, fills the "Custom run" form, submits it,
follows the run to Completed and finds the govgate artifacts on the run's Artifacts tab. The Prefect API
then confirms that the run came from the deployment with exactly the typed parameters.

No browser here is a failure, not a skip (CI installs Debian's chromium, see .ci/run), unless
GOVGATE_SKIP_UI_TESTS=1. Every wait is explicit and bounded; the subprocesses are always stopped.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import signal
import subprocess
import sys
import time
import uuid
import warnings
from contextlib import contextmanager
from pathlib import Path

import pytest

from govgate.runtime import free_port, healthy

REPO = Path(__file__).resolve().parents[2]
ARTIFACTS_DIR = REPO / ".govgate-test-artifacts"
CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
DEPLOYMENT = "data-review/data-review"  # <flow name>/<deployment name>

# Generous bounds: CI and shared 2-core machines run other tests at the same time.
SERVER_START_S = 180
SERVE_READY_S = 240
RUN_FINISH_S = 240
UI_ACTION_MS = 60_000
# Gate runs end in states named after the decision (docs/prefect-ui.md); the rest are Prefect's own.
FINAL_STATES = ("Passed", "Needs review", "Gate failed", "Completed", "Failed", "Crashed", "Cancelled")
SUBMIT_ATTEMPTS = 3

SERVE_ONLY_DATA_REVIEW = """
from prefect import serve
from deployments.serve import gate_deployments, plain_optional_parameters

(deployment,) = [d for d in gate_deployments() if d.name == "data-review"]
serve(plain_optional_parameters(deployment))
"""

pytestmark = pytest.mark.ui


def _skip_requested() -> bool:
    """GOVGATE_SKIP_UI_TESTS=1 (tests/conftest.py keeps this one GOVGATE_* variable)."""
    return os.environ.get("GOVGATE_SKIP_UI_TESTS", "").strip().lower() in ("1", "true", "yes")


@pytest.fixture
def browser_context(tmp_path):
    """Headless Debian Chromium driven by Playwright, with a fresh profile."""
    if _skip_requested():
        pytest.skip("GOVGATE_SKIP_UI_TESTS=1")
    if not (os.path.isfile(CHROMIUM) and os.access(CHROMIUM, os.X_OK)):
        pytest.fail(
            f"Chromium not found at {CHROMIUM}: install it (apt-get install -y chromium chromium-driver; .ci/run "
            "does this as root) or set GOVGATE_SKIP_UI_TESTS=1 to skip the browser test knowingly",
            pytrace=False,
        )
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        pytest.fail(
            "the playwright package is missing: pip install -e '.[test]' (no browser download needed)", pytrace=False
        )

    with sync_playwright() as pw:
        context = pw.chromium.launch_persistent_context(
            str(tmp_path / "chromium-profile"),
            executable_path=CHROMIUM,
            headless=True,
            args=CHROMIUM_ARGS,
            viewport={"width": 1400, "height": 1000},
            timeout=UI_ACTION_MS,
        )
        try:
            context.set_default_timeout(UI_ACTION_MS)
            context.set_default_navigation_timeout(UI_ACTION_MS)
            yield context
        finally:
            context.close()


def _tail(path: Path, lines: int = 25) -> str:
    try:
        text = path.read_text(errors="replace").splitlines()
    except OSError:
        return f"({path} unreadable)"
    return "\n".join(f"    {line}" for line in text[-lines:])


def _start(cmd: list[str], env: dict[str, str], log: Path) -> subprocess.Popen:
    with open(log, "ab") as out:
        return subprocess.Popen(cmd, cwd=REPO, env=env, stdout=out, stderr=subprocess.STDOUT, start_new_session=True)


def _stop(proc: subprocess.Popen) -> None:
    """Stop a child started here and everything in its own session (flow-run subprocesses included)."""
    for sig, grace in ((signal.SIGTERM, 30), (signal.SIGKILL, 10)):
        if sig == signal.SIGTERM and proc.poll() is not None:
            continue  # the leader is gone: still kill what is left of its session
        try:
            os.killpg(proc.pid, sig)
        except ProcessLookupError:
            return
        try:
            proc.wait(timeout=grace)
            if sig == signal.SIGTERM:
                return
        except subprocess.TimeoutExpired:
            pass


@pytest.fixture
def prefect_server(tmp_path):
    """A real Prefect server (API + UI) on a free port; yields its API URL."""
    port = free_port()
    api_url = f"http://127.0.0.1:{port}/api"
    log = tmp_path / "prefect-server.log"
    env = {
        **os.environ,
        "PREFECT_HOME": str(tmp_path / "prefect-server-home"),
        "PREFECT_SERVER_ANALYTICS_ENABLED": "false",
        # The UI's own API address: without it the UI calls 127.0.0.1:4200, not this server.
        "PREFECT_SERVER_UI_API_URL": api_url,
        # Pin the classic UI (Prefect 3.8 also ships a preview "V2" UI at /v2).
        "PREFECT_SERVER_UI_V2_ENABLED": "false",
        # SQLite on a busy shared machine: wait for the write lock longer than the 10 s / 5 s defaults,
        # and log the "database is busy" errors the API answers with 503.
        "PREFECT_SERVER_DATABASE_TIMEOUT": "60",
        "PREFECT_SERVER_DATABASE_CONNECTION_TIMEOUT": "30",
        "PREFECT_SERVER_LOG_RETRYABLE_ERRORS": "true",
    }
    env.pop("PREFECT_API_URL", None)
    proc = _start(
        [
            sys.executable,
            "-m",
            "prefect",
            "server",
            "start",
            "--host",
            "127.0.0.1",
            "--port",
            str(port),
            "--no-background",
        ],
        env,
        log,
    )
    try:
        deadline = time.monotonic() + SERVER_START_S
        while not healthy(api_url):
            if proc.poll() is not None:
                pytest.fail(
                    f"the Prefect server exited with code {proc.returncode}; log {log}:\n{_tail(log)}", pytrace=False
                )
            if time.monotonic() > deadline:
                pytest.fail(
                    f"the Prefect server was not healthy within {SERVER_START_S}s; log {log}:\n{_tail(log)}",
                    pytrace=False,
                )
            time.sleep(0.5)
        yield api_url, log
    finally:
        _stop(proc)


@pytest.fixture
def served_data_review(prefect_server, local_settings, tmp_path):
    """Serve only the data-review deployment from a child process; yields (api_url, deployment, logs)."""
    from prefect.client.orchestration import get_client
    from prefect.exceptions import ObjectNotFound
    from prefect.settings import PREFECT_API_URL, temporary_settings

    api_url, server_log = prefect_server
    log = tmp_path / "serve.log"
    env = {
        **os.environ,  # conftest's offline settings; GOVGATE_HOME=<tmp_path>/home from local_settings
        "PREFECT_API_URL": api_url,
        "PREFECT_HOME": str(tmp_path / "prefect-runner-home"),
        "PREFECT_RUNNER_POLL_FREQUENCY": "2",
        "PREFECT_LOGGING_LEVEL": "INFO",  # the run page's Logs tab and serve.log show the flow's progress
        "GOVGATE_HOME": str(local_settings.home_dir),
    }
    proc = _start([sys.executable, "-c", SERVE_ONLY_DATA_REVIEW], env, log)
    logs = {"prefect server": server_log, "serve": log}
    try:
        with temporary_settings({PREFECT_API_URL: api_url}):
            deadline = time.monotonic() + SERVE_READY_S
            deployment = None
            with get_client(sync_client=True) as client:
                while deployment is None:
                    try:
                        deployment = client.read_deployment_by_name(DEPLOYMENT)
                    except ObjectNotFound:
                        if proc.poll() is not None:
                            pytest.fail(
                                f"serve() exited with code {proc.returncode}; log {log}:\n{_tail(log)}", pytrace=False
                            )
                        if time.monotonic() > deadline:
                            pytest.fail(
                                f"{DEPLOYMENT} was not served within {SERVE_READY_S}s; log {log}:\n{_tail(log)}",
                                pytrace=False,
                            )
                        time.sleep(1)
            yield api_url, deployment, logs
    finally:
        _stop(proc)


def _save_screenshot(page, name: str, tmp_path: Path) -> str:
    path = tmp_path / name
    try:
        page.screenshot(path=str(path), full_page=True)
        ARTIFACTS_DIR.mkdir(exist_ok=True)
        shutil.copy2(path, ARTIFACTS_DIR / name)
        return f"{path} (copy: {ARTIFACTS_DIR / name})"
    except Exception as exc:  # noqa: BLE001 - the original failure matters more than the screenshot
        return f"(no screenshot: {exc})"


def _keep(path: Path) -> Path:
    """Copy a log beside the screenshots: tmp_path is deleted when the session ends."""
    try:
        ARTIFACTS_DIR.mkdir(exist_ok=True)
        return Path(shutil.copy2(path, ARTIFACTS_DIR / f"prefect-ui-failure-{path.name}"))
    except OSError:
        return path


def _record_api_errors(page) -> list[str]:
    """What the browser saw go wrong: failed API calls and console errors (shown when a step fails)."""
    seen: list[str] = []

    def on_response(response):
        if response.status >= 400:
            try:
                body = response.text()[:300]
            except Exception:  # noqa: BLE001 - the body is a hint only
                body = ""
            seen.append(f"HTTP {response.status} {response.request.method} {response.url} {body}")

    page.on("response", on_response)
    page.on(
        "requestfailed",
        lambda request: seen.append(f"request failed: {request.method} {request.url} {request.failure}"),
    )
    page.on(
        "console", lambda msg: seen.append(f"console {msg.type}: {msg.text[:300]}") if msg.type == "error" else None
    )
    return seen


@contextmanager
def ui_step(page, what: str, tmp_path: Path, logs: dict[str, Path], browser_errors: list[str]):
    """Name the UI step that failed, with a screenshot, what the browser saw and the subprocess logs."""
    try:
        yield
    except Exception as exc:
        shot = _save_screenshot(page, "prefect-ui-failure.png", tmp_path)
        tails = "\n".join(f"  {name} log {_keep(path)}:\n{_tail(path)}" for name, path in logs.items())
        cause = str(exc).strip().splitlines()
        seen = "\n".join(f"    {line}" for line in browser_errors[-15:]) or "    (none)"
        raise AssertionError(
            f"Prefect UI: {what}\n  cause: {type(exc).__name__}: {' | '.join(cause[:6])}\n"
            f"  page: {page.url}\n  screenshot: {shot}\n  browser errors:\n{seen}\n{tails}"
        ) from exc


def _is_create_flow_run(response) -> bool:
    return response.request.method == "POST" and response.url.endswith("/create_flow_run")


def _parameter_block(page, label: str):
    """The parameter form's block for one parameter, found by its visible label ("datasheet (Optional)")."""
    return page.locator(f'xpath=//label[.//span[normalize-space()="{label}"]]/ancestor::div[.//fieldset][1]')


def _write_inputs(folder: Path) -> tuple[Path, Path]:
    folder.mkdir(parents=True, exist_ok=True)
    data = folder / "ui-small.csv"
    data.write_text("id,amount,city\n1,10.5,Hanoi\n2,20,Hue\n3,7.25,Da Nang\n4,12,Hanoi\n5,3.5,Hue\n")
    sheet = folder / "ui-small.yaml"
    sheet.write_text(
        "name: ui-small\nowner: govgate-tests\nsource: written by the UI test\npurpose: UI smoke test\n"
        "legal_basis: legitimate_interests\nretention: P30D\ntier: low\n"
        "columns: [{name: id}, {name: amount}, {name: city}]\n"
    )
    return data, sheet


def test_data_review_runs_from_the_prefect_ui_form(browser_context, served_data_review, local_settings, tmp_path):
    from playwright.sync_api import expect
    from prefect.client.orchestration import get_client
    from prefect.client.schemas.filters import DeploymentFilter, DeploymentFilterId, FlowRunFilter, FlowRunFilterId
    from prefect.settings import PREFECT_API_URL, temporary_settings

    from govgate.store import open_store
    from tasks.evidence import artifact_key

    api_url, deployment, logs = served_data_review
    ui_url = api_url.removesuffix("/api")
    data, sheet = _write_inputs(tmp_path / "inputs")
    run_name = f"ui-test-{uuid.uuid4().hex[:8]}"
    chunk_rows = 2  # not the default: the API check below proves the typed value arrived
    keys = [artifact_key("data-review", kind) for kind in ("summary", "checks", "evidence")]
    page = browser_context.new_page()
    browser_errors = _record_api_errors(page)
    step = lambda what: ui_step(page, what, tmp_path, logs, browser_errors)  # noqa: E731

    with step("the deployments page does not list data-review"):
        page.goto(f"{ui_url}/deployments")
        row = page.get_by_role("row").filter(has_text="data-review")
        row.get_by_role("link", name="data-review", exact=True).first.click()
        expect(page).to_have_url(re.compile(rf"/deployments/deployment/{deployment.id}"), timeout=UI_ACTION_MS)

    with step('no "Run" button, or no "Custom run" in its menu, on the deployment page'):
        page.get_by_role("button", name="Run", exact=True).click()
        page.get_by_role("button", name="Custom run", exact=True).click()
        expect(page).to_have_url(re.compile(rf"/deployments/deployment/{deployment.id}/run"), timeout=UI_ACTION_MS)

    with step('the run form has no "Run Name" input'):
        page.locator('xpath=//label[.//span[normalize-space()="Run Name"]]/ancestor::div[.//input][1]//input').fill(
            run_name
        )

    with step('the parameter form has no text box for "dataset"'):
        _parameter_block(page, "dataset").locator("textarea").fill(str(data))

    with step('the parameter form has no plain "datasheet (Optional)" text box (no str/None type switch)'):
        block = _parameter_block(page, "datasheet (Optional)")
        expect(block.get_by_role("button", name="None", exact=True)).to_have_count(0)
        block.locator("textarea").fill(str(sheet))
    with step("an optional field of the form reads 'Property is type \"None\"'"):
        expect(page.get_by_text('Property is type "None"')).to_have_count(0)

    with step('the parameter form has no number input for "chunk_rows (Optional)"'):
        _parameter_block(page, "chunk_rows (Optional)").locator("input").fill(str(chunk_rows))

    with step('no "Submit" button, or the UI could not create the run'):
        for attempt in range(1, SUBMIT_ATTEMPTS + 1):
            with page.expect_response(_is_create_flow_run, timeout=UI_ACTION_MS) as created:
                page.get_by_role("button", name="Submit", exact=True).click()
            response = created.value
            # Prefect answers 503 when its SQLite database is busy (nothing is created; the Python client
            # retries such answers, the UI shows "Something went wrong" instead): submit the form again.
            if response.status != 503 or attempt == SUBMIT_ATTEMPTS:
                break
            page.wait_for_timeout(2_000 * attempt)
        assert response.status == 201, f"POST create_flow_run answered {response.status}: {response.text()[:500]}"
        if attempt > 1:
            warnings.warn(
                f"Prefect answered 503 (SQLite busy) to {attempt - 1} submit(s) of the run form; resubmitted",
                stacklevel=1,
            )
        expect(page.get_by_text(f"{run_name} scheduled to start").first).to_be_visible(timeout=UI_ACTION_MS)

    with step(f"no link to the new run {run_name} after submitting"):
        page.get_by_role("link", name=run_name, exact=True).first.click()
        expect(page).to_have_url(re.compile(r"/runs/flow-run/[0-9a-f-]{36}"), timeout=UI_ACTION_MS)
    run_id = re.search(r"/runs/flow-run/([0-9a-f-]{36})", page.url).group(1)

    final = page.get_by_text(re.compile(rf"^({'|'.join(FINAL_STATES)})$")).first
    with step(f"the run page did not show a final state ({', '.join(FINAL_STATES)}) within {RUN_FINISH_S}s"):
        deadline = time.monotonic() + RUN_FINISH_S
        while True:
            try:
                expect(final).to_be_visible(timeout=20_000)
                break
            except AssertionError:
                if time.monotonic() > deadline:
                    raise
                page.reload()  # the page polls by itself; a reload also recovers from a stalled poll
        state = final.inner_text().strip()
    with step(f"the run ended {state}, not Passed"):
        assert state == "Passed", f"run state in the UI: {state}"

    with step("the run page has no Artifacts tab, or it does not list the govgate artifacts"):
        page.get_by_text("Artifacts", exact=True).click()
        for key in keys:
            expect(page.get_by_text(key, exact=True).first).to_be_visible(timeout=UI_ACTION_MS)
    screenshot = _save_screenshot(page, "prefect-ui-run.png", tmp_path)
    assert (tmp_path / "prefect-ui-run.png").stat().st_size > 10_000, screenshot
    assert (ARTIFACTS_DIR / "prefect-ui-run.png").is_file(), screenshot

    # The API view of the same run: created from the deployment, with exactly what was typed.
    with temporary_settings({PREFECT_API_URL: api_url}), get_client(sync_client=True) as client:
        run = client.read_flow_run(uuid.UUID(run_id))
        runs = client.read_flow_runs(deployment_filter=DeploymentFilter(id=DeploymentFilterId(any_=[deployment.id])))
        artifacts = client.read_artifacts(flow_run_filter=FlowRunFilter(id=FlowRunFilterId(any_=[run.id])))
    # the gate renames the run after its subject and decision (docs/prefect-ui.md), whatever name was typed
    gate_name = "data-review: ui-small -> PASS"
    assert [r.name for r in runs] == [gate_name], "the form should have created exactly one run of the deployment"
    assert run.name == gate_name and run.deployment_id == deployment.id
    assert {"govgate", "gate:data-review", "decision:pass", "tier:low"} <= set(run.tags), run.tags
    assert run.state is not None and run.state.is_completed(), run.state
    typed = {k: run.parameters.get(k) for k in ("dataset", "datasheet", "chunk_rows")}
    assert typed == {"dataset": str(data), "datasheet": str(sheet), "chunk_rows": chunk_rows}, run.parameters
    assert set(keys) <= {a.key for a in artifacts}, [a.key for a in artifacts]

    # ... and the evidence it left in the store names this flow run and these inputs.
    store = open_store(local_settings)
    records = [json.loads(store.get_bytes(i.key)) for i in store.list("evidence/") if i.key.endswith("record.json")]
    (record,) = [r for r in records if r["provenance"].get("prefect_flow_run_id") == run_id]
    assert record["gate"] == "data-review" and record["parameters"]["dataset"] == str(data)
    assert record["parameters"]["chunk_rows"] == chunk_rows
