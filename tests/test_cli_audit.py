"""`govgate audit-report` and `govgate verify-evidence` on a report folder, from the command line."""

from __future__ import annotations

import os
import subprocess
import sys

from typer.testing import CliRunner

from cli.main import app


def test_audit_report_refuses_bad_dates():
    runner = CliRunner()
    assert runner.invoke(app, ["audit-report", "--help"]).exit_code == 0
    bad = runner.invoke(app, ["audit-report", "--from", "2026-13-01", "--to", "2026-11-30"])
    assert bad.exit_code == 1 and "--from '2026-13-01': expected a date like 2026-11-30" in bad.output
    empty = runner.invoke(app, ["audit-report", "--from", "2026-11-30", "--to", "2026-11-01"])
    assert empty.exit_code == 1 and "--to 2026-11-01 is before --from 2026-11-30" in empty.output


def test_audit_report_end_to_end_then_verify_and_tamper(tmp_path):
    """On its own temporary Prefect server and a local store: an empty period is reported (exit 3: nothing to
    audit), the folder it prints verifies with verify-evidence, and a changed byte is named."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("PREFECT_API", "GOVGATE_"))}
    env["GOVGATE_HOME"] = str(tmp_path / "home")
    env["PREFECT_HOME"] = str(tmp_path / "prefect-home")
    cmd = [sys.executable, "-m", "cli.main", "audit-report", "--from", "2026-11-01", "--to", "2026-11-30"]
    proc = subprocess.run(cmd, env=env, capture_output=True, text=True, timeout=400)
    assert proc.returncode == 3, proc.stdout[-3000:] + proc.stderr[-3000:]
    assert "decision:       needs-review" in proc.stdout and "no gate records in the period" in proc.stdout
    folder = next(
        line.split("verify-evidence ", 1)[1] for line in proc.stdout.splitlines() if "verify-evidence" in line
    )
    ok = subprocess.run(
        [sys.executable, "-m", "cli.main", "verify-evidence", folder],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert ok.returncode == 0 and ok.stdout.startswith("OK: package"), ok.stdout + ok.stderr
    page = folder.removeprefix("file://") + "index.html"
    with open(page, "ab") as f:
        f.write(b"<!-- edited -->")
    bad = subprocess.run(
        [sys.executable, "-m", "cli.main", "verify-evidence", folder],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert bad.returncode == 1 and "PROBLEM: index.html: content changed" in bad.stdout, bad.stdout
