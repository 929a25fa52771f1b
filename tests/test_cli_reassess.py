"""`govgate reassess`: the reassessment gate on demand, from the command line."""

from __future__ import annotations

import os
import subprocess
import sys

from typer.testing import CliRunner

from cli.main import app


def test_reassess_has_help_and_refuses_a_bad_date():
    runner = CliRunner()
    assert runner.invoke(app, ["reassess", "--help"]).exit_code == 0
    bad = runner.invoke(app, ["reassess", "--as-of", "next tuesday"])
    assert bad.exit_code == 1 and "--as-of 'next tuesday': expected a date like 2026-11-30" in bad.output


def test_reassess_a_model_that_is_not_registered_is_an_error_record(tmp_path):
    """On its own temporary Prefect server and embedded MLflow: one record naming the cause, exit 3."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("PREFECT_API", "GOVGATE_"))}
    env["GOVGATE_HOME"] = str(tmp_path / "home")
    env["PREFECT_HOME"] = str(tmp_path / "prefect-home")
    cmd = [sys.executable, "-m", "cli.main", "reassess", "--model", "absent-model", "--as-of", "2026-11-30"]
    proc = subprocess.run(cmd, env=env, capture_output=True, text=True, timeout=300)
    assert proc.returncode == 3, proc.stdout[-3000:] + proc.stderr[-3000:]
    assert "absent-model version (none): error" in proc.stdout
    assert "model 'absent-model' is not registered in MLflow" in proc.stdout
