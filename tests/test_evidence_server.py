"""The read-only evidence server over a real local store and a real S3 store (moto over HTTP): evidence
objects yes, with their content type and nosniff; other prefixes, listings, climbing keys and writes no."""

from __future__ import annotations

import urllib.error
import urllib.request

import pytest

from govgate.evidence_server import serve_evidence
from govgate.store import open_store
from govgate.summary import browsable


def _get(url: str, method: str = "GET") -> tuple[int, dict, bytes]:
    try:
        with urllib.request.urlopen(urllib.request.Request(url, method=method), timeout=10) as r:
            return r.status, dict(r.headers), r.read()
    except urllib.error.HTTPError as exc:
        return exc.code, dict(exc.headers), b""


@pytest.fixture(params=["local", "s3"])
def settings(request):
    return request.getfixturevalue("local_settings" if request.param == "local" else "s3_settings")


def test_serves_evidence_of_the_configured_store_only(settings):
    store = open_store(settings)
    report = store.uri("evidence/data_review/r1/report.html")
    store.put("evidence/data_review/r1/report.html", b"<html>report</html>")
    store.put("evidence/data_review/r1/record.json", b'{"a": 1}')
    store.put("evidence/data_review/r1/chart.svg", b"<svg/>")
    store.put("raw/customers.csv", b"name\nAnn\n")

    with serve_evidence(settings) as base:
        url = browsable(report, settings.effective_store_url, base)
        assert url == f"{base}/evidence/data_review/r1/report.html"  # s3:// and file:// links alike
        code, headers, body = _get(url)
        assert (code, body) == (200, b"<html>report</html>")
        assert headers["Content-Type"].startswith("text/html") and headers["X-Content-Type-Options"] == "nosniff"
        assert _get(f"{base}/evidence/data_review/r1/record.json")[1]["Content-Type"] == "application/json"
        assert _get(f"{base}/evidence/data_review/r1/chart.svg")[1]["Content-Type"] == "image/svg+xml"
        code, headers, body = _get(url, "HEAD")
        assert code == 200 and body == b"" and headers["Content-Length"] == str(len(b"<html>report</html>"))
        assert _get(f"{base}/evidence/data_review/r1/missing.html")[0] == 404
        assert _get(f"{base}/evidence/data_review/r1/")[0] == 404  # no listings
        assert _get(f"{base}/evidence/")[0] == 404
        assert _get(f"{base}/raw/customers.csv")[0] == 404  # raw data is never served
        assert _get(f"{base}/evidence/../raw/customers.csv")[0] == 404
        assert _get(f"{base}/evidence/%2e%2e/raw/customers.csv")[0] == 404
        assert _get(url, "POST")[0] == 405
        assert _get(url, "PUT")[0] == 405
        assert _get(f"{base}/health")[0] == 200
    # an object outside evidence/ is never given a link
    assert browsable(store.uri("raw/customers.csv"), settings.effective_store_url, base) is None


def test_a_local_symlink_out_of_evidence_is_not_served(local_settings):
    store = open_store(local_settings)
    store.put("raw/customers.csv", b"name\nAnn\n")
    (store.root / "evidence").mkdir(exist_ok=True)
    (store.root / "evidence" / "leak.csv").symlink_to(store.root / "raw" / "customers.csv")
    with serve_evidence(local_settings) as base:
        assert _get(f"{base}/evidence/leak.csv")[0] == 404
