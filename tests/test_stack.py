"""`govgate stack`: a real local stack (Prefect, MLflow, moto S3 and the bridge when this govgate has
one) started as detached processes in a temporary home on free ports, checked, then stopped."""

from __future__ import annotations

import json
import os
import random
import socket
import stat
from pathlib import Path

import pytest
from typer.testing import CliRunner

from cli.main import app
from govgate.stack import Stack, StackError

runner = CliRunner()


def _free_ports(n: int) -> list[int]:
    """Free ports below Linux's ephemeral range (32768+), where outgoing connections of other processes
    cannot grab them between this check and the server's bind."""
    from govgate.stack import _port_free

    candidates = random.sample(range(20000, 32000), 200)
    return [p for p in candidates if _port_free(p)][:n]


def _port_args(ports: dict[str, int]) -> list[str]:
    return [arg for name, port in ports.items() for arg in (f"--{name}-port", str(port))]


def _status(_home: Path) -> tuple[int, dict]:
    result = runner.invoke(app, ["stack", "status", "--json"])
    assert result.stdout.strip(), result.output
    return result.exit_code, json.loads(result.stdout)


def _pids_gone(pids: list[int]) -> bool:
    for pid in pids:
        cmdline = Path(f"/proc/{pid}/cmdline")
        if cmdline.exists() and cmdline.read_bytes():  # zombies have an empty command line
            return False
    return True


@pytest.fixture
def stack_home(monkeypatch, tmp_path):
    home = tmp_path / "home"
    monkeypatch.setenv("GOVGATE_HOME", str(home))
    monkeypatch.delenv("GOVGATE_BRIDGE_SECRET", raising=False)
    yield home
    Stack(home).down(grace=5)  # never leave services behind, whatever the test did


def test_stack_up_status_down_on_real_services(stack_home):
    from mlflow import MlflowClient

    ports = dict(zip(("prefect", "mlflow", "bridge", "s3", "evidence"), _free_ports(5)))
    result = runner.invoke(app, ["stack", "up", "--s3", *_port_args(ports), "--timeout", "120"])
    assert result.exit_code == 0, result.output
    env_file = stack_home.resolve() / "stack" / "stack.env"
    assert f"source {env_file}" in result.output
    assert (
        f"http://127.0.0.1:{ports['prefect']}" in result.output
        and f"http://127.0.0.1:{ports['mlflow']}" in result.output
    )

    code, status = _status(stack_home)
    assert code == 0 and status["ok"], status
    services = {s["name"]: s for s in status["services"]}
    for name in ("prefect", "mlflow", "s3", "evidence"):
        assert services[name]["state"] == "healthy", services[name]
        assert services[name]["url"] == f"http://127.0.0.1:{ports[name]}"
        assert Path(services[name]["log"]).is_file() and services[name]["pid"]
    assert services["bridge"]["state"] == "healthy", services["bridge"]

    # stack.env points govgate at the stack
    env = dict(
        line.removeprefix("export ").split("=", 1)
        for line in env_file.read_text().splitlines()
        if line.startswith("export ")
    )
    assert env["GOVGATE_PREFECT_API_URL"] == f"http://127.0.0.1:{ports['prefect']}/api"
    assert env["GOVGATE_MLFLOW_TRACKING_URI"] == f"http://127.0.0.1:{ports['mlflow']}"
    assert env["GOVGATE_STORE_URL"] == "s3://govgate/govgate"
    assert env["GOVGATE_S3_ENDPOINT_URL"] == f"http://127.0.0.1:{ports['s3']}"
    assert env["GOVGATE_HOME"] == str(stack_home.resolve())
    assert env["GOVGATE_EVIDENCE_HTTP_URL"] == f"http://127.0.0.1:{ports['evidence']}"
    assert stat.S_IMODE(env_file.stat().st_mode) == 0o600
    key = stack_home / "stack" / "webhook-encryption.key"
    assert stat.S_IMODE(key.stat().st_mode) == 0o600

    # the MLflow server answers its API; the bucket exists with Object Lock
    client = MlflowClient(tracking_uri=env["GOVGATE_MLFLOW_TRACKING_URI"])
    assert "Default" in {e.name for e in client.search_experiments()}
    import boto3

    s3 = boto3.client(
        "s3",
        endpoint_url=env["GOVGATE_S3_ENDPOINT_URL"],
        region_name="us-east-1",
        aws_access_key_id=env["GOVGATE_S3_ACCESS_KEY_ID"],
        aws_secret_access_key=env["GOVGATE_S3_SECRET_ACCESS_KEY"],
    )
    assert (
        s3.get_object_lock_configuration(Bucket="govgate")["ObjectLockConfiguration"]["ObjectLockEnabled"] == "Enabled"
    )

    _evidence_service_serves_the_stack_store(env, s3)

    # idempotent: a second `up` leaves the running services alone
    pids = {name: s["pid"] for name, s in services.items() if s["pid"]}
    again = runner.invoke(app, ["stack", "up", "--s3", *_port_args(ports)])
    assert again.exit_code == 0, again.output
    for name in ("prefect", "mlflow", "s3", "evidence"):
        assert f"{name} already running" in again.output
    _, status = _status(stack_home)
    assert {s["name"]: s["pid"] for s in status["services"] if s["pid"]} == pids

    # an `up` for the local store restarts the evidence service only: it must not serve the bucket's reports
    local = runner.invoke(app, ["stack", "up", *_port_args(ports)])
    assert local.exit_code == 0, local.output
    assert "stopped evidence" in local.output and "started evidence" in local.output
    _, status = _status(stack_home)
    now = {s["name"]: s for s in status["services"]}
    assert now["evidence"]["state"] == "healthy" and now["evidence"]["pid"] != pids["evidence"]
    assert _pids_gone([pids["evidence"]])
    assert "GOVGATE_STORE_URL" not in env_file.read_text()
    pids["evidence"] = now["evidence"]["pid"]

    down = runner.invoke(app, ["stack", "down"])
    assert down.exit_code == 0, down.output
    code, status = _status(stack_home)
    assert code == 1 and not status["ok"]
    for s in status["services"]:
        assert s["state"] == "stopped", s
    assert not list((stack_home / "stack").glob("*.pid"))
    assert _pids_gone(list(pids.values()))
    # logs and data are kept
    assert (stack_home / "stack" / "logs" / "mlflow.log").is_file() and (stack_home / "stack" / "mlflow.db").is_file()


def _evidence_service_serves_the_stack_store(env: dict[str, str], s3) -> None:
    """A report written to the stack's S3 store opens from the link a gate run would publish."""
    import urllib.error
    import urllib.parse
    import urllib.request

    from govgate.summary import browsable

    key = "govgate/evidence/data_review/stack-test/report.html"
    s3.put_object(Bucket="govgate", Key=key, Body=b"<html>stack report</html>")
    url = browsable(f"s3://govgate/{key}", env["GOVGATE_STORE_URL"], env["GOVGATE_EVIDENCE_HTTP_URL"])
    assert url == f"{env['GOVGATE_EVIDENCE_HTTP_URL']}/evidence/data_review/stack-test/report.html"
    with urllib.request.urlopen(url, timeout=10) as r:
        assert r.read() == b"<html>stack report</html>" and r.headers["Content-Type"].startswith("text/html")
    s3.put_object(Bucket="govgate", Key="govgate/raw/customers.csv", Body=b"name\nAnn\n")
    for path, method, code in (("/raw/customers.csv", "GET", 404), (urllib.parse.urlsplit(url).path, "POST", 405)):
        with pytest.raises(urllib.error.HTTPError) as err:
            urllib.request.urlopen(
                urllib.request.Request(env["GOVGATE_EVIDENCE_HTTP_URL"] + path, method=method), timeout=10
            )
        assert err.value.code == code, (path, method)


@pytest.mark.parametrize("service", ["prefect", "mlflow", "s3", "bridge", "evidence"])
def test_a_taken_port_is_named_and_nothing_starts(stack_home, service):
    ports = dict(zip(("prefect", "mlflow", "bridge", "s3", "evidence"), _free_ports(5)))
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        ports[service] = taken.getsockname()[1]
        result = runner.invoke(app, ["stack", "up", "--s3", *_port_args(ports)])
    assert result.exit_code == 1
    assert f"port {ports[service]} for the {service} service on 127.0.0.1 is already in use" in result.output
    assert f"--{service}-port" in result.output
    assert not list((stack_home / "stack").glob("*.pid"))


def test_a_service_that_does_not_get_healthy_is_stopped_with_its_log_tail(stack_home):
    prefect_port, mlflow_port = _free_ports(2)
    stack = Stack(stack_home)
    # one second is far too short for a cold Prefect server: the timeout path runs for real
    with pytest.raises(StackError) as err:
        stack.up(ports={"prefect": prefect_port, "mlflow": mlflow_port}, bridge=False, timeout=1)
    message = str(err.value)
    assert "did not become healthy" in message and "within 1s" in message
    assert "log tail of" in message and "govgate stack up:" in message  # the log's own first line
    assert not list(stack.dir.glob("*.pid"))
    status = stack.status()
    assert not status.ok and {s.state for s in status.services} == {"not started"}


def test_status_before_any_up_exits_1(stack_home):
    code, status = _status(stack_home)
    assert code == 1 and {s["state"] for s in status["services"]} == {"not started"}
    assert runner.invoke(app, ["stack", "down"]).output.startswith("nothing was running")


def test_core_stack_module_is_importable_without_prefect():
    import subprocess
    import sys

    code = "import sys, govgate.stack, cli.stack; assert 'prefect' not in sys.modules"
    assert subprocess.run([sys.executable, "-c", code], env={**os.environ}).returncode == 0
