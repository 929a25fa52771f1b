"""The command line as a person meets it when things go wrong: one error line (the traceback in the log
file), and a run that stops within seconds on SIGTERM or Ctrl-C, its local Prefect server with it."""

from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

GOVGATE = [sys.executable, "-c", "from cli.main import main; main()"]


def _env(home: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("PREFECT_", "GOVGATE_"))}
    return {**env, "GOVGATE_HOME": str(home), "PYTHONPATH": str(Path(__file__).resolve().parents[1])}


def _answers(url: str) -> bool:
    try:
        with urllib.request.urlopen(url, timeout=2) as r:
            return r.status == 200
    except OSError:
        return False


def test_a_bad_input_prints_one_error_line_and_logs_the_traceback(tmp_path):
    ragged = tmp_path / "ragged.csv"
    ragged.write_text("a,b\n1,2\n3,4,5\n")
    done = subprocess.run(
        [*GOVGATE, "review-data", str(ragged)], env=_env(tmp_path / "home"), capture_output=True, text=True, timeout=300
    )
    out = done.stdout + done.stderr
    assert done.returncode == 1
    assert "Traceback" not in out, out[-3000:]
    errors = [line for line in out.splitlines() if line.startswith("error:")]
    assert errors == [
        f"error: dataset {ragged} is not well-formed CSV: ParserError: Error tokenizing data. C error: Expected 2 fields in line 3, saw 3"
    ]
    log = (tmp_path / "home" / "logs" / "govgate.log").read_text()
    assert "Traceback (most recent call last)" in log and "Expected 2 fields in line 3" in log


@pytest.mark.parametrize("sig", [signal.SIGTERM, pytest.param(signal.SIGINT, marks=pytest.mark.slow)])
def test_a_signal_stops_a_run_and_its_local_prefect_server_within_seconds(tmp_path, sig):
    big = tmp_path / "big.csv"
    with big.open("w") as f:  # long enough that the review is still running when the signal comes
        f.write("id,email,note\n")
        for i in range(300_000):
            f.write(f"{i},user{i}@example.com,some free text number {i}\n")
    proc = subprocess.Popen(
        [*GOVGATE, "review-data", str(big), "--chunk-rows", "20000"],
        env=_env(tmp_path / "home"),
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    seen, deadline, ui = [], time.monotonic() + 180, None
    while ui is None and time.monotonic() < deadline:
        line = proc.stdout.readline()
        if not line:
            break
        seen.append(line)
        if match := re.search(r"View at (http://127\.0\.0\.1:\d+)/runs", line):
            ui = match.group(1)
    assert ui, "".join(seen)[-3000:]
    assert _answers(f"{ui}/api/health")
    time.sleep(2)  # inside the run's tasks
    started = time.monotonic()
    proc.send_signal(sig)
    rest, _ = proc.communicate(timeout=30)
    stopped_in = time.monotonic() - started
    assert stopped_in < 10, f"took {stopped_in:.1f} s"
    assert proc.returncode in (130, 128 + sig, 1), rest[-2000:]
    assert "Traceback" not in rest, rest[-3000:]
    assert not _answers(f"{ui}/api/health"), "the local Prefect server outlived the command"


def test_commands_use_the_server_govgate_serve_keeps_running_and_say_so(tmp_path):
    """While `govgate serve` runs, a command under the same home uses its Prefect server (its links stay
    valid); when serve stops, its server goes with it and the announcement is removed."""
    import json

    env = _env(tmp_path / "home")
    served = tmp_path / "home" / "prefect" / "served.json"
    serve = subprocess.Popen(
        [*GOVGATE, "serve"], env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True
    )
    try:
        deadline = time.monotonic() + 240
        while not served.is_file() and time.monotonic() < deadline and serve.poll() is None:
            time.sleep(1)
        assert served.is_file(), "govgate serve did not announce its server"
        api_url = json.loads(served.read_text())["api_url"]
        done = subprocess.run([*GOVGATE, "selftest"], env=env, capture_output=True, text=True, timeout=300)
        assert done.returncode == 0, done.stdout[-2000:] + done.stderr[-2000:]
        ui = api_url.removesuffix("/api")
        assert f"using the Prefect server of `govgate serve` at {ui}" in done.stdout
        assert f"Prefect run:    {ui}/runs/flow-run/" in done.stdout
        assert _answers(f"{api_url}/health"), "the selftest stopped the server it borrowed"
    finally:
        serve.send_signal(signal.SIGTERM)
        serve.wait(timeout=30)
    assert not served.exists() and not _answers(f"{api_url}/health")
