"""Process environment for govgate commands: quiet, offline defaults and the local Prefect server.

When no Prefect API URL is configured, govgate starts a real local Prefect server (SQLite under
``<home>/prefect``) for the duration of a command and stops it afterwards. Prefect's ephemeral mode is
avoided on purpose: it drops events (FIELD-NOTES). This module must run before ``prefect`` is imported,
because Prefect reads its settings from the environment at import time.
"""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

from govgate.errors import ConfigError

# Each avoids a network call or a write outside the work folder (FIELD-NOTES).
QUIET_ENV = {
    "PREFECT_SERVER_ANALYTICS_ENABLED": "false",
    "MLFLOW_DISABLE_TELEMETRY": "true",
    "DO_NOT_TRACK": "true",
    "GX_ANALYTICS_ENABLED": "false",
    "TLDEXTRACT_PUBLIC_SUFFIX_LIST_URLS": "",
}


def prepare_environment(settings) -> None:
    """Set offline/quiet defaults (without overriding what the user set) and Prefect's home."""
    home = settings.home_dir
    for key, value in QUIET_ENV.items():
        os.environ.setdefault(key, value)
    os.environ.setdefault("TLDEXTRACT_CACHE", str(home / "cache" / "tldextract"))
    os.environ.setdefault("MLFLOW_HTTP_REQUEST_MAX_RETRIES", str(settings.mlflow_max_retries))
    os.environ.setdefault("PREFECT_HOME", str(home / "prefect"))
    if settings.prefect_api_url:
        os.environ["PREFECT_API_URL"] = settings.prefect_api_url


# Local servers started by this process, so that a stop signal can end them whatever the run is doing.
_started: set[subprocess.Popen] = set()
_started_lock = threading.Lock()


def stop_process_group(proc: subprocess.Popen, grace: float = 5.0) -> None:
    """TERM the server's process group, KILL it after ``grace`` seconds."""
    for sig, wait in ((signal.SIGTERM, grace), (signal.SIGKILL, 5.0)):
        try:
            os.killpg(proc.pid, sig)
        except (ProcessLookupError, PermissionError):
            return
        try:
            proc.wait(timeout=wait)
            return
        except subprocess.TimeoutExpired:
            continue


def stop_started_servers(grace: float = 1.0) -> None:
    with _started_lock:
        procs = list(_started)
    for proc in procs:
        stop_process_group(proc, grace)


def free_port() -> int:
    """A free TCP port on 127.0.0.1 (for servers started here and in tests)."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def healthy(api_url: str) -> bool:
    """Whether a Prefect API answers ``<api_url>/health``."""
    try:
        with urllib.request.urlopen(f"{api_url}/health", timeout=2) as r:
            return r.status == 200
    except (urllib.error.URLError, OSError):
        return False


# Where each API URL handed out came from: "configured", "govgate stack", "govgate serve" or "temporary".
_origins: dict[str, str] = {}


def origin_of(api_url: str) -> str:
    return _origins.get(api_url, "configured")


def served_file(settings) -> Path:
    """Where `govgate serve` announces its local server, so that other commands under the same home use it."""
    return settings.home_dir / "prefect" / "served.json"


def running_prefect(settings) -> tuple[str, str] | None:
    """(API URL, origin) of a healthy Prefect server kept running under this home by `govgate stack up`
    or `govgate serve`, else None."""
    from govgate.stack import Stack  # the stack module imports this one

    for service in Stack(settings.home_dir).status().services:
        if service.name == "prefect" and service.state == "healthy" and service.url:
            return f"{service.url}/api", "govgate stack"
    try:
        served = json.loads(served_file(settings).read_text())
    except (OSError, ValueError):
        return None
    url = served.get("api_url") if isinstance(served, dict) else None
    return (url, "govgate serve") if isinstance(url, str) and healthy(url) else None


@contextmanager
def prefect_server(
    settings, timeout: float = 90.0, *, announce: bool = False, echo: Callable[[str], None] | None = None
) -> Iterator[str]:
    """Yield a Prefect API URL: the configured one; else a server `govgate stack` or `govgate serve` keeps
    running under this home (said through ``echo``); else a local server started and stopped here, which
    ``announce`` makes visible to other commands while it runs (for `govgate serve`)."""
    prepare_environment(settings)
    configured = os.environ.get("PREFECT_API_URL")
    if configured:
        if not healthy(configured):
            raise ConfigError(f"the Prefect server at PREFECT_API_URL={configured} does not answer {configured}/health")
        yield configured
        return
    running = None if announce else running_prefect(settings)
    if running:
        api_url, origin = running
        _origins[api_url] = origin
        if echo:
            echo(f"using the Prefect server of `{origin}` at {ui_url(api_url)}")
        os.environ["PREFECT_API_URL"] = api_url
        try:
            yield api_url
        finally:
            os.environ.pop("PREFECT_API_URL", None)
        return
    with _local_server(settings, timeout) as api_url:
        _origins[api_url] = "govgate serve" if announce else "temporary"
        if announce:
            served_file(settings).parent.mkdir(parents=True, exist_ok=True)
            served_file(settings).write_text(json.dumps({"api_url": api_url, "pid": os.getpid()}))
        try:
            yield api_url
        finally:
            if announce:
                served_file(settings).unlink(missing_ok=True)


@contextmanager
def _local_server(settings, timeout: float) -> Iterator[str]:
    """A real local Prefect server (SQLite under <home>/prefect) for the duration of the block."""
    home = settings.home_dir
    (home / "logs").mkdir(parents=True, exist_ok=True)
    port = settings.prefect_server_port or free_port()
    api_url = f"http://127.0.0.1:{port}/api"
    log_path = home / "logs" / "prefect-server.log"
    # The UI otherwise calls 127.0.0.1:4200/api, whatever port the server is on.
    env = {
        **os.environ,
        "PREFECT_HOME": os.environ["PREFECT_HOME"],
        "PREFECT_SERVER_ANALYTICS_ENABLED": "false",
        "PREFECT_SERVER_UI_API_URL": api_url,
    }
    env.pop("PREFECT_API_URL", None)
    with open(log_path, "ab") as log:
        proc = subprocess.Popen(
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
            stdout=log,
            stderr=subprocess.STDOUT,
            env=env,
            start_new_session=True,
        )
    with _started_lock:
        _started.add(proc)
    try:
        deadline = time.monotonic() + timeout
        while not healthy(api_url):
            if proc.poll() is not None:
                raise ConfigError(f"the local Prefect server exited with code {proc.returncode}; see {log_path}")
            if time.monotonic() > deadline:
                raise ConfigError(f"the local Prefect server did not become healthy in {timeout:.0f}s; see {log_path}")
            time.sleep(0.5)
        os.environ["PREFECT_API_URL"] = api_url
        yield api_url
    finally:
        if os.environ.get("PREFECT_API_URL") == api_url:
            del os.environ["PREFECT_API_URL"]
        stop_process_group(proc)  # its whole group: the server's own workers too
        with _started_lock:
            _started.discard(proc)


def ui_url(api_url: str) -> str:
    return api_url[: -len("/api")] if api_url.endswith("/api") else api_url


__all__ = ["free_port", "healthy", "origin_of", "prefect_server", "prepare_environment", "running_prefect", "ui_url"]
