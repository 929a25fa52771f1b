"""The govgate command as a user runs it."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from typer.testing import CliRunner

from cli.main import app

runner = CliRunner()

COMMANDS = [
    [],
    ["config"],
    ["config", "show"],
    ["selftest"],
    ["schema"],
    ["report"],
    ["demo"],
    ["policy"],
    ["policy", "validate"],
    ["serve"],
    ["review-data"],
    ["review-model"],
    ["package-evidence"],
    ["verify-evidence"],
    ["sign-off"],
    ["store"],
    ["store", "ls"],
    ["controls"],
    ["controls", "build"],
    ["controls", "for"],
    ["purge"],
    ["bridge"],
    ["webhook"],
    ["webhook", "install"],
    ["webhook", "remove"],
    ["stack"],
    ["stack", "up"],
    ["stack", "down"],
    ["stack", "status"],
]


@pytest.mark.parametrize("command", COMMANDS, ids=lambda c: " ".join(c) or "govgate")
def test_every_command_has_help(command):
    result = runner.invoke(app, [*command, "--help"])
    assert result.exit_code == 0, result.output
    assert "Usage" in result.output


def test_config_show_masks_secrets(monkeypatch, local_settings):
    monkeypatch.setenv("GOVGATE_S3_SECRET_ACCESS_KEY", "do-not-print-me")
    result = runner.invoke(app, ["config", "show", "--json"])
    assert result.exit_code == 0
    shown = json.loads(result.output)
    assert shown["s3_secret_access_key"] == "********"
    assert "do-not-print-me" not in result.output
    assert shown["store_url"].startswith("file://")


def test_bad_setting_exits_non_zero_with_one_clear_line(monkeypatch):
    monkeypatch.setenv("GOVGATE_STORE_URL", "ftp://nope")
    result = runner.invoke(app, ["config", "show"])
    assert result.exit_code == 1
    assert "error: invalid govgate settings: store_url (GOVGATE_STORE_URL)" in result.output
    assert "Traceback" not in result.output


def test_policy_validate(tmp_path):
    assert runner.invoke(app, ["policy", "validate"]).exit_code == 0
    bad = tmp_path / "p.yaml"
    bad.write_text("name: p\nversion: '1'\ntiers: {low: {}, medium: {}, high: {launch: {object_lock_mode: FOREVER}}}\n")
    result = runner.invoke(app, ["policy", "validate", str(bad)])
    assert result.exit_code == 1
    assert f"{bad}: tiers.high.launch.object_lock_mode" in result.output


def test_schema_check_passes():
    result = runner.invoke(app, ["schema", "--check"])
    assert result.exit_code == 0, result.output


def test_controls_for():
    result = runner.invoke(app, ["controls", "for", "fairness_eval"])
    assert result.exit_code == 0 and "eu-ai-act:" in result.output
    assert runner.invoke(app, ["controls", "for", "vibes"]).exit_code == 1


def test_selftest_command_starts_and_stops_its_own_prefect_server(tmp_path):
    """No PREFECT_API_URL: govgate starts a real local server, runs the flow, reports, and stops it."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("PREFECT_API", "GOVGATE_"))}
    env["GOVGATE_HOME"] = str(tmp_path / "home")
    env["PREFECT_HOME"] = str(tmp_path / "prefect-home")
    proc = subprocess.run(
        [sys.executable, "-m", "cli.main", "selftest"], env=env, capture_output=True, text=True, timeout=300
    )
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-3000:]
    assert "decision:       pass" in proc.stdout
    report_line = next(line for line in proc.stdout.splitlines() if line.startswith("report:"))
    assert (tmp_path / "home" / "store" / "evidence").is_dir()
    assert report_line.split()[-1].startswith("file://")
    assert (tmp_path / "home" / "logs" / "prefect-server.log").is_file()
    assert "Error logging to API" not in proc.stderr  # logs were delivered before the server stopped

    # the report command finds the record again, by id
    record_id = report_line.split("/")[-2]
    result = subprocess.run(
        [sys.executable, "-m", "cli.main", "report", record_id], env=env, capture_output=True, text=True, timeout=60
    )
    assert result.returncode == 0, result.stderr
    assert "# selftest: **PASS**" in result.stdout and "store.write_once" in result.stdout
    # ... and by the run ids an auditor is handed: the Prefect flow run's and the MLflow run's
    record_json = json.loads((Path(report_line.split()[-1].removeprefix("file://")).parent / "record.json").read_text())
    mlflow_run = next(line for line in proc.stdout.splitlines() if line.startswith("MLflow run:")).split()[2]
    for run_ref in (record_json["provenance"]["prefect_flow_run_id"], mlflow_run):
        by_run = subprocess.run(
            [sys.executable, "-m", "cli.main", "report", "--html", run_ref],
            env=env,
            capture_output=True,
            text=True,
            timeout=60,
        )
        assert by_run.returncode == 0, by_run.stderr
        assert by_run.stdout.strip() == report_line.split()[-1]

    missing = subprocess.run(
        [sys.executable, "-m", "cli.main", "report", "20200101T000000Z-deadbeef"],
        env=env,
        capture_output=True,
        text=True,
    )
    assert missing.returncode == 1 and "no complete record with id" in missing.stderr


def test_unreachable_prefect_server_is_a_clear_error(tmp_path):
    env = {k: v for k, v in os.environ.items() if not k.startswith(("PREFECT_API", "GOVGATE_"))}
    env.update(GOVGATE_HOME=str(tmp_path / "home"), GOVGATE_PREFECT_API_URL="http://127.0.0.1:9/api")
    proc = subprocess.run(
        [sys.executable, "-m", "cli.main", "selftest"], env=env, capture_output=True, text=True, timeout=120
    )
    assert proc.returncode == 1
    assert "the Prefect server at PREFECT_API_URL=http://127.0.0.1:9/api does not answer" in proc.stderr


def test_purge_command_dry_run_then_execute(tmp_path):
    """`govgate purge` lists without deleting; `--execute` deletes what is past retention and prints the plan."""
    from govgate.store import LocalStore

    env = {k: v for k, v in os.environ.items() if not k.startswith(("PREFECT_API", "GOVGATE_"))}
    env["GOVGATE_HOME"] = str(tmp_path / "home")
    env["PREFECT_HOME"] = str(tmp_path / "prefect-home")
    store = LocalStore(tmp_path / "home" / "store")
    store.put("raw/logs/2020-01-01.log", b"x", tags={"collected-at": "2020-01-01"})
    store.put("raw/logs/kept.log", b"x", tags={"collected-at": "2020-01-01", "legal-hold": "true"})
    rules = tmp_path / "rules.yaml"
    rules.write_text("version: 1\nrules:\n  - {id: logs, prefix: raw/logs/, from: 'tag:collected-at', retain: 90d}\n")
    cmd = [sys.executable, "-m", "cli.main", "purge", "--rules", str(rules)]

    dry = subprocess.run(cmd, env=env, capture_output=True, text=True, timeout=300)
    assert dry.returncode == 0, dry.stdout[-3000:] + dry.stderr[-3000:]
    assert "(dry-run): 1 object(s) would go" in dry.stdout and "plan-dry-run.jsonl" in dry.stdout
    assert store.exists("raw/logs/2020-01-01.log")

    done = subprocess.run([*cmd, "--execute"], env=env, capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    assert "(execute): 1 object(s) deleted" in done.stdout
    assert not store.exists("raw/logs/2020-01-01.log") and store.exists("raw/logs/kept.log")

    bad = subprocess.run([*cmd, "--as-of", "next tuesday"], env=env, capture_output=True, text=True, timeout=60)
    assert bad.returncode == 1 and "--as-of 'next tuesday' is not an ISO date" in bad.stderr


def test_bridge_and_webhook_refuse_unsafe_or_impossible_setups(monkeypatch, local_settings):
    result = runner.invoke(app, ["bridge"])
    assert result.exit_code == 1 and "GOVGATE_BRIDGE_SECRET" in result.output
    monkeypatch.setenv("GOVGATE_BRIDGE_SECRET", "x")
    result = runner.invoke(app, ["bridge"])
    assert result.exit_code == 1 and "at least 32" in result.output
    monkeypatch.setenv("GOVGATE_BRIDGE_SECRET", "a-long-enough-secret-for-the-webhook-0123")
    result = runner.invoke(app, ["webhook", "install", "--url", "http://127.0.0.1:8085/mlflow"])
    assert (
        result.exit_code == 1
        and "only from an MLflow tracking server" in result.output
        and "model-review-poll" in result.output
    )
    result = runner.invoke(app, ["webhook", "install", "--url", "ftp://x", "--tracking-uri", "http://127.0.0.1:1"])
    assert result.exit_code == 1 and "--url 'ftp://x'" in result.output


def test_review_data_prints_why_a_review_did_not_pass(prefect_harness, local_settings, tmp_path):
    """A decision that is not pass comes with its reasons on the console (exit 3), not only in the report."""
    data = tmp_path / "shop.csv"
    data.write_text("email,amount\n" + "".join(f"khach{i}@example.vn,{i}\n" for i in range(40)))
    result = runner.invoke(app, ["review-data", str(data)])
    assert result.exit_code == 3, result.output
    lines = result.output.splitlines()
    decision = next(i for i, line in enumerate(lines) if line.startswith("decision:"))
    assert lines[decision].split()[-1] in ("fail", "needs-review")
    why = [line for line in lines[decision + 1 :] if line.startswith("  why:")]
    assert why and any("data.legal_basis.direct_identifiers" in line for line in why), result.output
    assert "khach1@example.vn" not in result.output
