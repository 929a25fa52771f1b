"""A read-only HTTP view of a local evidence store, so that report links open from the Prefect UI.

``govgate serve`` and ``govgate stack up`` run it on 127.0.0.1 and publish its address as
``GOVGATE_EVIDENCE_HTTP_URL``; gate runs then link ``http://127.0.0.1:<port>/evidence/...`` instead of a
``file://`` path a browser page may not open. Only the store's ``evidence/`` prefix is served (records,
reports, datasheets, model cards: never raw data, anonymized copies or the store's own metadata), GET and
HEAD only, files only (no listings), and nothing that resolves outside that folder.
"""

from __future__ import annotations

import threading
import urllib.parse
from collections.abc import Iterator
from contextlib import contextmanager
from http import HTTPStatus
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

from govgate.errors import ConfigError
from govgate.protocol import EVIDENCE_PREFIX, EVIDENCE_ROUTE

HOST = "127.0.0.1"


def local_evidence_root(settings) -> Path | None:
    """The evidence folder of a local (file://) store, None for an object store (S3 has its own URLs)."""
    url = settings.effective_store_url
    if not url.startswith("file://"):
        return None
    return Path(urllib.parse.unquote(urllib.parse.urlparse(url).path)) / EVIDENCE_PREFIX.rstrip("/")


class _EvidenceHandler(SimpleHTTPRequestHandler):
    root: Path  # set per server by make_server

    def translate_path(self, path: str) -> str:
        route = urllib.parse.unquote(urllib.parse.urlsplit(path).path)
        if not route.startswith(EVIDENCE_ROUTE):
            return ""
        target = (self.root / route[len(EVIDENCE_ROUTE) :]).resolve()
        return str(target) if target.is_file() and target.is_relative_to(self.root.resolve()) else ""

    def send_head(self):
        if not self.translate_path(self.path):
            self.send_error(HTTPStatus.NOT_FOUND, "not an evidence file")
            return None
        return super().send_head()

    def end_headers(self) -> None:
        self.send_header("X-Content-Type-Options", "nosniff")
        super().end_headers()

    def do_POST(self) -> None:  # noqa: N802 - http.server's naming
        self.send_error(HTTPStatus.METHOD_NOT_ALLOWED, "read-only")

    do_PUT = do_DELETE = do_PATCH = do_POST

    def log_message(self, format: str, *args) -> None:  # noqa: A002 - quiet: the Prefect UI polls nothing here
        pass


def make_server(settings, host: str = HOST, port: int = 0) -> ThreadingHTTPServer:
    root = local_evidence_root(settings)
    if root is None:
        raise ConfigError(
            f"the evidence store {settings.effective_store_url} is not a local folder; only a local store is "
            "served over http (an S3 store's objects have their own addresses)"
        )
    root.mkdir(parents=True, exist_ok=True)
    handler = type("EvidenceHandler", (_EvidenceHandler,), {"root": root})
    return ThreadingHTTPServer((host, port), handler)


@contextmanager
def serve_evidence(settings, host: str = HOST, port: int = 0) -> Iterator[str]:
    """Serve the local store's evidence in a background thread; yields the base URL (no trailing slash)."""
    server = make_server(settings, host, port)
    thread = threading.Thread(target=server.serve_forever, name="govgate-evidence-http", daemon=True)
    thread.start()
    try:
        yield f"http://{host}:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()
