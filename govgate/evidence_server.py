"""A read-only HTTP view of the evidence store, so that report links open from the Prefect UI.

``govgate serve`` and ``govgate stack up`` run it on 127.0.0.1 and publish its address as
``GOVGATE_EVIDENCE_HTTP_URL``; gate runs then link ``http://127.0.0.1:<port>/evidence/...`` instead of a
``file://`` path or an ``s3://`` URI a browser does not open. It reads through the store API, so a local
folder and an S3 bucket (MinIO, the stack's moto) are served alike. Only the store's ``evidence/`` prefix is
served (records, reports, datasheets, model cards: never raw data, anonymized copies or the store's own
metadata), GET and HEAD only, objects only (no listings), and no key with a ``..`` segment. Also served:
signed audit report folders (``/audit/reports/...``), the newest governance dashboard (``/dashboard``) and
its KPIs as Prometheus text (``/metrics``), both written by the ``governance-dashboard`` flow.
Run as a service: ``python -m govgate.evidence_server --port N`` with the store settings in the environment.
"""

from __future__ import annotations

import argparse
import mimetypes
import shutil
import threading
import urllib.parse
from collections.abc import Iterator
from contextlib import contextmanager
from http import HTTPStatus
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

from govgate.errors import GovgateError
from govgate.protocol import (
    AUDIT_REPORTS_PREFIX,
    AUDIT_REPORTS_ROUTE,
    DASHBOARD_HTML,
    DASHBOARD_PREFIX,
    DASHBOARD_ROUTE,
    EVIDENCE_PREFIX,
    EVIDENCE_ROUTE,
    METRICS_ROUTE,
)
from govgate.store import LocalStore, ObjectStore, open_store
from govgate.store.base import validate_key

HOST = "127.0.0.1"
HEALTH_ROUTE = "/health"
# Types set here rather than guessed from the platform's tables, which differ between machines.
CONTENT_TYPES = {
    ".html": "text/html; charset=utf-8",
    ".json": "application/json",
    ".md": "text/markdown; charset=utf-8",
    ".svg": "image/svg+xml",
    ".png": "image/png",
    ".txt": "text/plain; version=0.0.4; charset=utf-8",  # the Prometheus text format's type
    ".pem": "text/plain; charset=utf-8",
    ".sig": "application/octet-stream",
}


def local_evidence_root(settings) -> Path | None:
    """The evidence folder of a local (file://) store, None for an object store."""
    url = settings.effective_store_url
    if not url.startswith("file://"):
        return None
    return Path(urllib.parse.unquote(urllib.parse.urlparse(url).path)) / EVIDENCE_PREFIX.rstrip("/")


def evidence_key(path: str) -> str | None:
    """The store key an evidence route names, or None when the route is not one evidence object."""
    route = urllib.parse.unquote(urllib.parse.urlsplit(path).path)
    if not route.startswith(EVIDENCE_ROUTE) or route.endswith("/"):
        return None
    key = route[1:]
    try:
        return validate_key(key)
    except GovgateError:
        return None


def served_key(store: ObjectStore, path: str) -> tuple[str | None, str]:
    """(store key, the prefix it must stay inside) of a route: an evidence object, a signed audit report's
    file, or the newest dashboard page (/dashboard) or its Prometheus text (/metrics)."""
    route = urllib.parse.unquote(urllib.parse.urlsplit(path).path)
    if route in (DASHBOARD_ROUTE, DASHBOARD_ROUTE + "/", METRICS_ROUTE):
        from govgate.audit.dashboard import METRICS_NAME, newest

        return newest(store, METRICS_NAME if route == METRICS_ROUTE else DASHBOARD_HTML), DASHBOARD_PREFIX
    if route.startswith(AUDIT_REPORTS_ROUTE) and not route.endswith("/"):
        try:
            return validate_key(route[1:]), AUDIT_REPORTS_PREFIX
        except GovgateError:
            return None, AUDIT_REPORTS_PREFIX
    return evidence_key(path), EVIDENCE_PREFIX


def _content_type(key: str) -> str:
    suffix = Path(key).suffix.lower()
    return CONTENT_TYPES.get(suffix) or mimetypes.guess_type(key)[0] or "application/octet-stream"


def _inside_evidence(store: ObjectStore, key: str, prefix: str = EVIDENCE_PREFIX) -> bool:
    """A local store's object must resolve inside its served folder (a symlink may point elsewhere)."""
    if not isinstance(store, LocalStore):
        return True
    root = (store.root / prefix).resolve()
    target = (store.root / key).resolve()
    return target.is_file() and target.is_relative_to(root)


class _EvidenceHandler(BaseHTTPRequestHandler):
    store: ObjectStore  # set per server by make_server

    def do_GET(self) -> None:  # noqa: N802 - http.server's naming
        self._answer(body=True)

    def do_HEAD(self) -> None:  # noqa: N802
        self._answer(body=False)

    def _answer(self, body: bool) -> None:
        if urllib.parse.urlsplit(self.path).path == HEALTH_ROUTE:
            self._send(HTTPStatus.OK, "text/plain; charset=utf-8", b"ok\n" if body else None, 3)
            return
        try:
            key, prefix = served_key(self.store, self.path)
            found = self.store.open_with_info(key) if key and _inside_evidence(self.store, key, prefix) else None
        except GovgateError as exc:
            self.send_error(HTTPStatus.BAD_GATEWAY, f"the evidence store did not answer: {exc}"[:300])
            return
        if found is None:
            self.send_error(HTTPStatus.NOT_FOUND, "not an evidence file (or no dashboard generated yet)")
            return
        info, stream = found
        with stream:
            self._send(HTTPStatus.OK, _content_type(key), stream if body else None, info.size)

    def _send(self, status: HTTPStatus, content_type: str, content, length: int) -> None:
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(length))
        self.end_headers()
        if isinstance(content, bytes):
            self.wfile.write(content)
        elif content is not None:
            shutil.copyfileobj(content, self.wfile)

    def end_headers(self) -> None:
        self.send_header("X-Content-Type-Options", "nosniff")
        super().end_headers()

    def do_POST(self) -> None:  # noqa: N802
        self.send_error(HTTPStatus.METHOD_NOT_ALLOWED, "read-only")

    do_PUT = do_DELETE = do_PATCH = do_OPTIONS = do_POST

    def log_message(self, format: str, *args) -> None:  # noqa: A002 - quiet: the Prefect UI polls nothing here
        pass


def make_server(settings, host: str = HOST, port: int = 0) -> ThreadingHTTPServer:
    store = open_store(settings)
    root = local_evidence_root(settings)
    if root is not None:
        root.mkdir(parents=True, exist_ok=True)
    handler = type("EvidenceHandler", (_EvidenceHandler,), {"store": store})
    return ThreadingHTTPServer((host, port), handler)


@contextmanager
def serve_evidence(settings, host: str = HOST, port: int = 0) -> Iterator[str]:
    """Serve the store's evidence in a background thread; yields the base URL (no trailing slash)."""
    server = make_server(settings, host, port)
    thread = threading.Thread(target=server.serve_forever, name="govgate-evidence-http", daemon=True)
    thread.start()
    try:
        yield f"http://{host}:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()


def main(argv: list[str] | None = None) -> None:
    """The stack's evidence service: serve the configured store until stopped (SIGTERM)."""
    from govgate.settings import load_settings

    parser = argparse.ArgumentParser(prog="python -m govgate.evidence_server", description=main.__doc__)
    parser.add_argument("--host", default=HOST)
    parser.add_argument("--port", type=int, required=True)
    args = parser.parse_args(argv)
    settings = load_settings()
    server = make_server(settings, args.host, args.port)
    print(f"serving evidence of {settings.effective_store_url} at http://{args.host}:{args.port}/evidence/", flush=True)
    server.serve_forever()


if __name__ == "__main__":
    main()
