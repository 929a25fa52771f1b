"""A local, long-running service stack for development: ``govgate stack up|down|status``.

Unlike the per-command server of ``govgate.runtime``, these services outlive the command that started
them: each is a detached process (its own session, so ``down`` can stop the whole process tree with one
signal) with its log under ``<home>/stack/logs/`` and its pid under ``<home>/stack/<service>.pid``.
Everything listens on 127.0.0.1 only. Prefect is deliberately not imported here (core layer): the
services are started as subprocesses of the current interpreter.
"""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from govgate.errors import GovgateError
from govgate.runtime import QUIET_ENV
from govgate.settings import kept_secret

HOST = "127.0.0.1"
SERVICES = ("s3", "evidence", "prefect", "mlflow", "bridge")
DEFAULT_PORTS = {"prefect": 4200, "mlflow": 5000, "bridge": 8085, "s3": 9000, "evidence": 8086}
DEFAULT_BUCKET = "govgate"
# Credentials for the local moto server, which accepts any; never used against a real endpoint.
LOCAL_S3_KEY = "govgate-local"
# Words expected in a service's command line: a recycled pid must never be mistaken for (or killed as) ours.
_CMDLINE_MARK = {
    "prefect": "prefect",
    "mlflow": "mlflow",
    "bridge": "cli.main",
    "s3": "moto.server",
    "evidence": "govgate.evidence_server",
}


class StackError(GovgateError):
    """The local stack could not be started, checked or stopped."""


@dataclass
class ServiceState:
    name: str
    state: str  # healthy | unhealthy | stopped | not started
    pid: int | None = None
    url: str | None = None
    log: str | None = None
    detail: str = ""


@dataclass
class StackStatus:
    home: str
    services: list[ServiceState] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        """True when something was started and every started service is healthy."""
        started = [s for s in self.services if s.state != "not started"]
        return bool(started) and all(s.state == "healthy" for s in started)

    def to_dict(self) -> dict[str, Any]:
        return {"home": self.home, "ok": self.ok, "services": [asdict(s) for s in self.services]}


@dataclass
class UpResult:
    env_file: Path
    env: dict[str, str]
    started: list[str]
    already_running: list[str]
    status: StackStatus


class Stack:
    """The stack kept under ``<home>/stack``."""

    def __init__(self, home: Path):
        self.home = Path(home).expanduser().resolve()
        self.dir = self.home / "stack"
        self.log_dir = self.dir / "logs"
        self.manifest_path = self.dir / "stack.json"
        self.env_file = self.dir / "stack.env"

    # files ----------------------------------------------------------------------------------------
    def pid_file(self, name: str) -> Path:
        return self.dir / f"{name}.pid"

    def log_file(self, name: str) -> Path:
        return self.log_dir / f"{name}.log"

    def read_manifest(self) -> dict[str, Any]:
        if not self.manifest_path.is_file():
            return {"services": {}}
        try:
            return json.loads(self.manifest_path.read_text())
        except (OSError, json.JSONDecodeError) as exc:
            raise StackError(
                f"{self.manifest_path} is unreadable ({exc}); remove it and run `govgate stack up` again"
            ) from None

    def _write_manifest(self, manifest: dict[str, Any]) -> None:
        self.dir.mkdir(parents=True, exist_ok=True)
        tmp = self.manifest_path.with_suffix(".json.tmp")
        tmp.write_text(json.dumps(manifest, indent=2, sort_keys=True) + "\n")
        tmp.replace(self.manifest_path)

    def read_pid(self, name: str) -> int | None:
        path = self.pid_file(name)
        try:
            return int(path.read_text().strip())
        except FileNotFoundError:
            return None
        except ValueError:
            raise StackError(f"{path} does not hold a process id; remove it") from None

    def running_pid(self, name: str) -> int | None:
        """The pid of this service's live process, or None (stale pid files do not count)."""
        pid = self.read_pid(name)
        return pid if pid is not None and _alive(pid, _CMDLINE_MARK[name]) else None

    # status ---------------------------------------------------------------------------------------
    def status(self) -> StackStatus:
        manifest = self.read_manifest()
        out = StackStatus(home=str(self.home))
        for name in SERVICES:
            entry = manifest["services"].get(name)
            if entry is None:
                out.services.append(ServiceState(name, "not started"))
                continue
            pid = self.running_pid(name)
            url = entry["url"]
            if pid is None:
                state = "stopped"
            else:
                state = "healthy" if _healthy(name, url) else "unhealthy"
            out.services.append(ServiceState(name, state, pid, url, str(self.log_file(name))))
        return out

    # up -------------------------------------------------------------------------------------------
    def up(
        self,
        *,
        ports: dict[str, int] | None = None,
        s3: bool = False,
        bridge: bool = True,
        bucket: str = DEFAULT_BUCKET,
        timeout: float = 120.0,
        echo: Callable[[str], None] = lambda _msg: None,
    ) -> UpResult:
        ports = {**DEFAULT_PORTS, **(ports or {})}
        for name, port in ports.items():
            if not 0 < int(port) < 65536:
                raise StackError(f"--{name}-port {port} is not a TCP port (1-65535)")
        self.dir.mkdir(parents=True, exist_ok=True)
        self.log_dir.mkdir(parents=True, exist_ok=True)
        manifest = self.read_manifest()
        wanted = ["prefect", "mlflow"] + (["s3"] if s3 else [])
        urls = {name: self._url(name, ports[name]) for name in SERVICES}
        wanted.append("evidence")
        self._stop_evidence_of_another_store(manifest, s3, bucket, echo)
        already = self._still_running(manifest, wanted + ["bridge"], urls, timeout)
        to_start = [n for n in wanted if n not in already]
        start_bridge = bridge and "bridge" not in already
        self._check_ports_free(to_start + (["bridge"] if start_bridge else []), urls)
        stack_env = self._stack_env(urls, s3, bucket, bridge or "bridge" in already)
        started: list[tuple[str, subprocess.Popen]] = []
        try:
            self._start_services(started, to_start, urls, s3=s3, bucket=bucket, timeout=timeout, echo=echo)
            if "evidence" in to_start:
                # After S3 (it reads the bucket); with the stack's store settings, as CLI runs get them.
                started.append(("evidence", self._spawn("evidence", urls["evidence"], extra_env=stack_env)))
                self._await(started[-1], urls["evidence"], timeout)
                echo(f"started evidence at {urls['evidence']} (reports served read-only)")
            if start_bridge:
                # Last: it sends events to the Prefect server started above.
                started.append(("bridge", self._spawn("bridge", urls["bridge"], extra_env=stack_env)))
                self._await(started[-1], urls["bridge"], timeout)
                echo(f"started bridge at {urls['bridge']}")
        except BaseException:
            # Stop only what this call started; services that were already running stay up.
            for name, proc in reversed(started):
                _stop_group(proc.pid, grace=10)
                _reap(proc)
                self.pid_file(name).unlink(missing_ok=True)
            raise
        services = self._services_after_up(
            manifest, wanted, urls, already, started_bridge=start_bridge, s3=s3, bucket=bucket
        )
        self._write_manifest({"services": services, "s3": s3, "bucket": bucket if s3 else None})
        self._write_env(stack_env)
        return UpResult(self.env_file, stack_env, [n for n, _ in started], already, self.status())

    def _stop_evidence_of_another_store(self, manifest: dict, s3: bool, bucket: str, echo) -> None:
        """The evidence service serves the store it was started with: when this `up` switches between the
        local store and S3 (or another bucket), it is restarted, else reports would be looked up in the wrong place."""
        entry = manifest["services"].get("evidence")
        if not entry or entry.get("store") == _store_label(s3, bucket):
            return
        pid = self.running_pid("evidence")
        if pid is not None:
            _stop_group(pid, grace=10)
            echo(f"stopped evidence (pid {pid}): it served {entry.get('store')}")
        self.pid_file("evidence").unlink(missing_ok=True)
        manifest["services"].pop("evidence", None)

    def _still_running(self, manifest: dict, names: list[str], urls: dict[str, str], timeout: float) -> list[str]:
        """Services an earlier `up` left healthy; they keep their address (``urls`` is updated), whatever
        ports were asked for now. One that runs but does not answer is an error, not restarted."""
        already = []
        for name in names:
            entry = manifest["services"].get(name)
            if not (entry and entry.get("url") and self.running_pid(name) is not None):
                continue
            if _healthy(name, entry["url"]) or _wait_healthy(name, entry["url"], timeout=min(timeout, 30)):
                urls[name] = entry["url"]
                already.append(name)
                continue
            raise StackError(
                f"{name} (pid {self.read_pid(name)}) is running but does not answer at {entry['url']}; "
                f"run `govgate stack down` first; log tail of {self.log_file(name)}:\n{_tail(self.log_file(name))}"
            )
        return already

    def _check_ports_free(self, names: list[str], urls: dict[str, str]) -> None:
        """Every port checked before anything starts, so a taken port never leaves half a stack behind."""
        for name in names:
            port = _port_of(urls[name])
            if not _port_free(port):
                hint = ", or use --no-bridge" if name == "bridge" else ""
                raise StackError(
                    f"port {port} for the {name} service on {HOST} is already in use by another process; "
                    f"free it or choose another port with --{name}-port{hint}"
                )

    def _start_services(self, started, to_start, urls, *, s3: bool, bucket: str, timeout: float, echo) -> None:
        """S3 first (the MLflow server proxies artifacts into its bucket), then Prefect and MLflow in
        parallel (each takes several seconds); ``started`` collects each process as it starts."""
        if "s3" in to_start:
            started.append(("s3", self._spawn("s3", urls["s3"])))
            self._await(started[-1], urls["s3"], timeout)
        if s3:
            _ensure_bucket(urls["s3"], bucket)
            echo(f"bucket s3://{bucket} (Object Lock enabled) on {urls['s3']}")
        parallel = []
        for name in ("prefect", "mlflow"):
            if name in to_start:
                proc = self._spawn(name, urls[name], s3_url=urls["s3"] if s3 else None, bucket=bucket)
                started.append((name, proc))
                parallel.append((name, proc))
        for name, proc in parallel:
            self._await((name, proc), urls[name], timeout)
        for name in to_start:
            if name != "evidence":
                echo(f"started {name} at {urls[name]}")

    def _services_after_up(
        self, manifest, wanted, urls, already, *, started_bridge: bool, s3: bool, bucket: str
    ) -> dict[str, Any]:
        services: dict[str, Any] = {name: {"url": urls[name], "port": _port_of(urls[name])} for name in wanted}
        services["evidence"]["store"] = _store_label(s3, bucket)
        if "bridge" in already:
            services["bridge"] = manifest["services"]["bridge"]
        elif started_bridge:
            services["bridge"] = {"url": urls["bridge"], "port": _port_of(urls["bridge"])}
        # A service left running by an earlier `up` (say, s3 when --s3 is not given now) stays visible to
        # status; `down` stops it either way through its pid file.
        for name, entry in manifest["services"].items():
            if name not in services and entry.get("url") and self.running_pid(name) is not None:
                services[name] = entry
        return services

    def _url(self, name: str, port: int) -> str:
        return f"http://{HOST}:{port}"

    def _stack_env(self, urls: dict[str, str], s3: bool, bucket: str, bridge: bool) -> dict[str, str]:
        env = {
            "GOVGATE_HOME": str(self.home),
            "GOVGATE_PREFECT_API_URL": f"{urls['prefect']}/api",
            "GOVGATE_MLFLOW_TRACKING_URI": urls["mlflow"],
            # Artifacts go through the tracking server's proxy, which writes them to its destination.
            "GOVGATE_MLFLOW_ARTIFACT_LOCATION": "mlflow-artifacts:/govgate",
            # Report links in the Prefect UI open through the stack's evidence service.
            "GOVGATE_EVIDENCE_HTTP_URL": urls["evidence"],
        }
        if bridge:
            env["GOVGATE_BRIDGE_SECRET"] = self.bridge_secret()
        if s3:
            env.update(
                {
                    "GOVGATE_STORE_URL": f"s3://{bucket}/govgate",
                    "GOVGATE_S3_ENDPOINT_URL": urls["s3"],
                    "GOVGATE_S3_ACCESS_KEY_ID": LOCAL_S3_KEY,
                    "GOVGATE_S3_SECRET_ACCESS_KEY": LOCAL_S3_KEY,
                }
            )
        return env

    def _write_env(self, env: dict[str, str]) -> None:
        lines = ["# written by `govgate stack up`: settings that point govgate at the local stack"]
        lines += [f"export {k}={_shell_quote(v)}" for k, v in env.items()]
        # 0600: it may hold the bridge's webhook secret.
        fd = os.open(self.env_file, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "w") as f:
            f.write("\n".join(lines) + "\n")
        os.chmod(self.env_file, 0o600)

    def _command(self, name: str, url: str, s3_url: str | None, bucket: str) -> list[str]:
        port = str(_port_of(url))
        py = sys.executable
        if name == "prefect":
            return [py, "-m", "prefect", "server", "start", "--host", HOST, "--port", port, "--no-background"]
        if name == "mlflow":
            destination = f"s3://{bucket}/mlflow" if s3_url else str(self.dir / "mlartifacts")
            return [
                py,
                "-m",
                "mlflow",
                "server",
                "--host",
                HOST,
                "--port",
                port,
                "--backend-store-uri",
                f"sqlite:///{self.dir / 'mlflow.db'}",
                "--artifacts-destination",
                destination,
                "--serve-artifacts",
                "--workers",
                "1",
            ]  # one worker: a dev stack, and each worker costs memory
        if name == "bridge":
            return [py, "-m", "cli.main", "bridge", "--host", HOST, "--port", port]
        if name == "s3":
            return [py, "-m", "moto.server", "-H", HOST, "-p", port]
        if name == "evidence":
            return [py, "-m", "govgate.evidence_server", "--host", HOST, "--port", port]
        raise StackError(f"unknown stack service {name!r}; expected one of {', '.join(SERVICES)}")

    def _spawn(
        self,
        name: str,
        url: str,
        *,
        s3_url: str | None = None,
        bucket: str = DEFAULT_BUCKET,
        extra_env: dict[str, str] | None = None,
    ) -> subprocess.Popen:
        env = {**os.environ, **QUIET_ENV}
        # A stack service must never talk to a server named by the caller's environment.
        for key in ("PREFECT_API_URL",):
            env.pop(key, None)
        if name == "prefect":
            env["PREFECT_HOME"] = str(self.home / "prefect")
            # The UI otherwise calls 127.0.0.1:4200/api, whatever port the server is on.
            env["PREFECT_SERVER_UI_API_URL"] = f"{url.rstrip('/')}/api"
        if name == "mlflow":
            env.update(
                {
                    "MLFLOW_WEBHOOK_SECRET_ENCRYPTION_KEY": self.webhook_key(),
                    "MLFLOW_WEBHOOK_ALLOWED_SCHEMES": "http,https",
                    "MLFLOW_WEBHOOK_ALLOW_PRIVATE_IPS": "true",
                    # Job execution costs about 2 GB of memory (FIELD-NOTES) and govgate does not use it.
                    "MLFLOW_SERVER_ENABLE_JOB_EXECUTION": "false",
                }
            )
            if s3_url:
                env.update(
                    {
                        "MLFLOW_S3_ENDPOINT_URL": s3_url,
                        "AWS_ACCESS_KEY_ID": LOCAL_S3_KEY,
                        "AWS_SECRET_ACCESS_KEY": LOCAL_S3_KEY,
                        "AWS_DEFAULT_REGION": "us-east-1",
                    }
                )
        if name in ("bridge", "evidence"):
            env.update(extra_env or {})
        if name == "bridge":
            env["PREFECT_API_URL"] = env["GOVGATE_PREFECT_API_URL"]
        log_path = self.log_file(name)
        cmd = self._command(name, url, s3_url, bucket)
        with open(log_path, "ab") as log:
            log.write(f"\n=== {time.strftime('%Y-%m-%dT%H:%M:%S')} govgate stack up: {' '.join(cmd)}\n".encode())
            log.flush()
            proc = subprocess.Popen(
                cmd,
                stdout=log,
                stderr=subprocess.STDOUT,
                stdin=subprocess.DEVNULL,
                env=env,
                cwd=self.dir,
                start_new_session=True,
            )
        self.pid_file(name).write_text(f"{proc.pid}\n")
        return proc

    def _await(self, started: tuple[str, subprocess.Popen], url: str, timeout: float) -> None:
        name, proc = started
        deadline = time.monotonic() + timeout
        while not _healthy(name, url):
            if proc.poll() is not None:
                raise StackError(
                    f"{name} exited with code {proc.returncode} before answering at {url}; "
                    f"log tail of {self.log_file(name)}:\n{_tail(self.log_file(name))}"
                )
            if time.monotonic() > deadline:
                raise StackError(
                    f"{name} did not become healthy at {url} within {timeout:.0f}s; "
                    f"log tail of {self.log_file(name)}:\n{_tail(self.log_file(name))}"
                )
            time.sleep(0.3)

    def webhook_key(self) -> str:
        """The MLflow server's webhook-secret encryption key: generated once and kept (0600), because
        webhook secrets stored under one key cannot be decrypted after a restart with another."""

        def fernet_key() -> str:
            from cryptography.fernet import Fernet

            return Fernet.generate_key().decode()

        return kept_secret(self.dir / "webhook-encryption.key", fernet_key)

    def bridge_secret(self) -> str:
        """The webhook's shared HMAC secret: GOVGATE_BRIDGE_SECRET when set, else one generated once and
        kept (0600), so the bridge and `govgate webhook install` agree across restarts."""
        configured = os.environ.get("GOVGATE_BRIDGE_SECRET")
        if configured:
            return configured
        import secrets

        return kept_secret(self.dir / "bridge-secret", lambda: secrets.token_urlsafe(32))

    # down -----------------------------------------------------------------------------------------
    def down(self, grace: float = 15.0, echo: Callable[[str], None] = lambda _msg: None) -> list[str]:
        """Stop every service (SIGTERM to its process group, SIGKILL after ``grace`` s); keep logs and data."""
        stopped = []
        for name in reversed(SERVICES):  # dependents first
            pid = self.read_pid(name)
            if pid is None:
                continue
            if _alive(pid, _CMDLINE_MARK[name]):
                how = _stop_group(pid, grace)
                stopped.append(name)
                echo(
                    f"stopped {name} (pid {pid}{', killed after ' + str(int(grace)) + 's' if how == 'killed' else ''})"
                )
            else:
                echo(f"{name} (pid {pid}) was not running; removed its pid file")
            self.pid_file(name).unlink(missing_ok=True)
        return stopped


# helpers ------------------------------------------------------------------------------------------
def _port_of(url: str) -> int:
    return int(url.rsplit(":", 1)[1].split("/", 1)[0])


def _health_url(name: str, url: str) -> str:
    return {
        "prefect": f"{url}/api/health",
        "mlflow": f"{url}/health",
        "bridge": f"{url}/health",
        "s3": f"{url}/",
        "evidence": f"{url}/health",
    }[name]


def _healthy(name: str, url: str) -> bool:
    try:
        with urllib.request.urlopen(_health_url(name, url), timeout=2) as r:
            return r.status == 200
    except urllib.error.HTTPError as exc:
        # moto answers / with 200 or 403 depending on version and credentials: either means it serves S3.
        return name == "s3" and exc.code in (200, 403)
    except (urllib.error.URLError, OSError, ValueError):
        return False


def _wait_healthy(name: str, url: str, timeout: float) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if _healthy(name, url):
            return True
        time.sleep(0.5)
    return False


def _port_free(port: int) -> bool:
    # What a server does: SO_REUSEADDR (connections in TIME_WAIT do not count), bind, then listen, which
    # also fails when the port is the local end of a live outgoing connection.
    with socket.socket() as s:
        s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            s.bind((HOST, port))
            s.listen(1)
        except OSError:
            return False
    return True


def _reap(proc_or_pid: subprocess.Popen | int) -> bool:
    """Collect an exited child of this process (else it lingers as a zombie that looks alive)."""
    if isinstance(proc_or_pid, subprocess.Popen):
        return proc_or_pid.poll() is not None
    try:
        done, _ = os.waitpid(proc_or_pid, os.WNOHANG)
        return done == proc_or_pid
    except ChildProcessError:  # not our child: its parent reaps it
        return False


def _alive(pid: int, mark: str | None = None) -> bool:
    if _reap(pid):
        return False
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # exists but belongs to someone else: not ours
        return False
    cmdline = Path(f"/proc/{pid}/cmdline")
    if mark and cmdline.exists():
        try:
            raw = cmdline.read_bytes()
        except OSError:
            return False
        if not raw:  # a zombie has an empty command line
            return False
        return mark.encode() in raw
    return True


def _group_alive(pgid: int) -> bool:
    _reap(pgid)
    try:
        os.killpg(pgid, 0)
    except (ProcessLookupError, PermissionError):
        return False
    # killpg(0) still succeeds while only zombies remain; count only members that are not zombies.
    proc = Path("/proc")
    if not proc.is_dir():
        return True
    for entry in proc.iterdir():
        if not entry.name.isdigit():
            continue
        try:
            fields = (entry / "stat").read_text().rsplit(")", 1)[1].split()
        except (OSError, IndexError):
            continue
        if int(fields[2]) == pgid and fields[0] != "Z":
            return True
    return False


def _stop_group(pgid: int, grace: float) -> str:
    """SIGTERM the process group (the service and the workers it spawned), SIGKILL after ``grace`` s."""
    try:
        os.killpg(pgid, signal.SIGTERM)
    except ProcessLookupError:
        return "gone"
    deadline = time.monotonic() + grace
    while time.monotonic() < deadline:
        if not _group_alive(pgid):
            return "terminated"
        time.sleep(0.2)
    try:
        os.killpg(pgid, signal.SIGKILL)
    except ProcessLookupError:
        return "terminated"
    for _ in range(50):
        if not _group_alive(pgid):
            break
        time.sleep(0.1)
    return "killed"


def _tail(path: Path, lines: int = 30) -> str:
    try:
        text = path.read_text(errors="replace")
    except OSError:
        return "(no log)"
    return "\n".join("    " + line for line in text.splitlines()[-lines:])


def _ensure_bucket(s3_url: str, bucket: str) -> None:
    """Create the evidence bucket with Object Lock (which also turns versioning on); keep an existing one."""
    import boto3
    from botocore.config import Config
    from botocore.exceptions import BotoCoreError, ClientError

    client = boto3.client(
        "s3",
        endpoint_url=s3_url,
        region_name="us-east-1",
        aws_access_key_id=LOCAL_S3_KEY,
        aws_secret_access_key=LOCAL_S3_KEY,
        config=Config(retries={"max_attempts": 3}),
    )
    try:
        client.create_bucket(Bucket=bucket, ObjectLockEnabledForBucket=True)
    except ClientError as exc:
        if exc.response.get("Error", {}).get("Code") not in ("BucketAlreadyOwnedByYou", "BucketAlreadyExists"):
            raise StackError(f"could not create bucket {bucket!r} on {s3_url}: {exc}") from None
    except BotoCoreError as exc:
        raise StackError(f"could not create bucket {bucket!r} on {s3_url}: {exc}") from None


def _store_label(s3: bool, bucket: str) -> str:
    return f"s3://{bucket}" if s3 else "local"


def _shell_quote(value: str) -> str:
    import shlex

    return shlex.quote(value)


__all__ = ["DEFAULT_PORTS", "SERVICES", "Stack", "StackError", "StackStatus", "UpResult"]
