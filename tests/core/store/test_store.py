"""The store contract, run against the local folder and against S3 (moto's server over HTTP)."""

from __future__ import annotations

import hashlib
import socket
from datetime import UTC, datetime, timedelta

import pytest

from govgate.errors import StoreError, WriteOnceError
from govgate.store import LocalStore, Retention, S3Store
from govgate.store import s3 as s3_store


def test_put_returns_and_records_sha256(any_store):
    body = b"evidence body \x00\x01"
    info = any_store.put("evidence/a/record.json", body, metadata={"gate": "x"}, content_type="application/json")
    assert info.sha256 == hashlib.sha256(body).hexdigest()
    assert info.size == len(body)
    assert any_store.get_bytes("evidence/a/record.json") == body
    head = any_store.head("evidence/a/record.json")
    assert head.sha256 == info.sha256
    assert head.metadata == {"gate": "x"}
    assert head.size == len(body)
    assert any_store.head("evidence/a/missing.json") is None


def test_put_file_streams_and_digests(any_store, tmp_path):
    path = tmp_path / "big.bin"
    path.write_bytes(b"x" * 3_000_000)
    info = any_store.put("data/big.bin", path)
    assert info.sha256 == hashlib.sha256(path.read_bytes()).hexdigest()
    out = any_store.download("data/big.bin", tmp_path / "back.bin")
    assert out.read_bytes() == path.read_bytes()


def test_multipart_upload_of_large_files_keeps_digest_and_write_once(any_store, tmp_path, monkeypatch):
    monkeypatch.setattr(s3_store, "SINGLE_PUT_LIMIT", 1024 * 1024)  # force the multipart path on a small file
    path = tmp_path / "large.bin"
    path.write_bytes(bytes(range(256)) * 40_000)  # ~10 MB
    info = any_store.put("evidence/large.bin", path, write_once=True)
    assert info.sha256 == hashlib.sha256(path.read_bytes()).hexdigest()
    assert any_store.head("evidence/large.bin").sha256 == info.sha256
    with pytest.raises(WriteOnceError):
        any_store.put("evidence/large.bin", path, write_once=True)


def test_write_once_refuses_second_write_and_keeps_first(any_store):
    any_store.put("evidence/r1/record.json", b"first", write_once=True)
    with pytest.raises(WriteOnceError, match="evidence/r1/record.json"):
        any_store.put("evidence/r1/record.json", b"second", write_once=True)
    assert any_store.get_bytes("evidence/r1/record.json") == b"first"


@pytest.mark.parametrize("key", ["evidence/r2/record.json", "audit/retention-purge/p/certificate.json"])
def test_a_plain_put_cannot_replace_evidence_or_audit_objects(any_store, key):
    """Write-once per key, not per call: a caller that forgets write_once=True still cannot overwrite."""
    any_store.put(key, b"first")
    with pytest.raises(WriteOnceError, match=key):
        any_store.put(key, b"second")
    assert any_store.get_bytes(key) == b"first"


def test_plain_put_overwrites_non_evidence_keys(any_store):
    any_store.put("tmp/x", b"1")
    any_store.put("tmp/x", b"2")
    assert any_store.get_bytes("tmp/x") == b"2"


def test_listing_is_paginated_in_key_order(any_store):
    keys = [f"runs/{i:04d}.json" for i in range(250)] + ["runs-other/x", "runs/sub/a", "runsz"]
    for key in keys:
        any_store.put(key, b"{}")
    pages = list(any_store.list_pages("runs/", page_size=100))
    assert [len(p) for p in pages] == [100, 100, 51]
    listed = [i.key for p in pages for i in p]
    assert listed == sorted(k for k in keys if k.startswith("runs/"))
    after = [i.key for i in any_store.list("runs/", start_after="runs/0247.json")]
    assert after == ["runs/0248.json", "runs/0249.json", "runs/sub/a"]
    assert list(any_store.list("nothing-here/")) == []


def test_batched_delete(any_store):
    keys = [f"raw/{i:05d}" for i in range(2_300)]
    for key in keys[:2_300]:
        any_store.put(key, b"")
    if isinstance(any_store, S3Store):
        any_store.api_calls = 0
    report = any_store.delete_many(keys)
    if isinstance(any_store, S3Store):
        assert report.calls == 3  # ceil(2300 / 1000) DeleteObjects calls
        assert any_store.api_calls == 3
    assert len(report.deleted) == 2_300 and not report.errors
    assert list(any_store.list("raw/")) == []


def test_tags_roundtrip(any_store):
    any_store.put("raw/logs/1.json", b"{}", tags={"data_class": "raw_logs", "purpose": "training"})
    assert any_store.get_tags("raw/logs/1.json") == {"data_class": "raw_logs", "purpose": "training"}
    any_store.set_tags("raw/logs/1.json", {"legal_hold": "true"})
    assert any_store.get_tags("raw/logs/1.json") == {"legal_hold": "true"}
    with pytest.raises(StoreError, match="raw/logs/missing"):
        any_store.get_tags("raw/logs/missing")


@pytest.mark.parametrize("key", ["", "/abs", "a/../b", "a//b", ".govgate-meta/x", "a\\b"])
def test_bad_keys_are_refused(any_store, key):
    with pytest.raises(StoreError, match="invalid object key"):
        any_store.put(key, b"x")


def test_missing_object_names_the_uri(any_store):
    with pytest.raises(StoreError, match="no object at .*nope.json"):
        any_store.get_bytes("evidence/nope.json")


def test_retention_blocks_delete_and_overwrite(locking_store):
    assert locking_store.supports_object_lock()
    until = datetime.now(UTC) + timedelta(days=1)
    locking_store.put("evidence/p/manifest.json", b"{}", write_once=True, retention=Retention("COMPLIANCE", until))
    head = locking_store.head("evidence/p/manifest.json")
    assert head.retention is not None and head.retention.mode == "COMPLIANCE"
    report = locking_store.delete_many(["evidence/p/manifest.json"])
    if isinstance(locking_store, S3Store):
        # Deleting the current version of a versioned (locked) bucket only adds a delete marker; deleting the
        # locked version itself is refused.
        report = locking_store.delete_many([("evidence/p/manifest.json", head.version_id)])
    assert report.errors and not report.deleted
    assert "retention" in report.errors[0][1].lower() or "lock" in report.errors[0][1].lower()


def test_legal_hold_blocks_delete(locking_store):
    locking_store.put("raw/held.csv", b"a,b", legal_hold=True)
    head = locking_store.head("raw/held.csv")
    assert head.legal_hold
    target = ("raw/held.csv", head.version_id) if isinstance(locking_store, S3Store) else "raw/held.csv"
    report = locking_store.delete_many([target])
    assert report.errors and not report.deleted
    locking_store.set_legal_hold("raw/held.csv", False)
    assert not locking_store.delete_many([target]).errors


def test_bucket_without_object_lock_says_so(make_bucket):
    assert make_bucket().supports_object_lock() is False


def test_missing_bucket_is_a_clear_error(moto_endpoint):
    store = S3Store("no-such-bucket-govgate", endpoint_url=moto_endpoint, max_attempts=1)
    with pytest.raises(StoreError, match="bucket 'no-such-bucket-govgate' at http://127.0.0.1:.* does not exist"):
        store.check()
    with pytest.raises(StoreError, match="does not exist"):
        store.put("a", b"x")


def test_unreachable_endpoint_is_a_clear_error():
    with socket.socket() as s:  # a port nothing listens on
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    store = S3Store("bucket-x", endpoint_url=f"http://127.0.0.1:{port}", max_attempts=2, connect_timeout=1)
    with pytest.raises(StoreError, match=f"cannot reach the S3 endpoint http://127.0.0.1:{port}"):
        store.check()


def test_local_store_reports_unwritable_root(tmp_path):
    blocker = tmp_path / "file"
    blocker.write_text("not a folder")
    with pytest.raises(StoreError, match="not writable"):
        LocalStore(blocker / "store").check()


def test_local_listing_hides_sidecars(tmp_path):
    store = LocalStore(tmp_path)
    store.put("a/b.txt", b"1", tags={"t": "1"})
    assert [i.key for i in store.list()] == ["a/b.txt"]


def test_transient_s3_errors_are_retried_a_bounded_number_of_times():
    """A server that always answers 503: the store retries exactly max_attempts times, then fails clearly."""
    import threading
    from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

    hits = []

    class Unavailable(BaseHTTPRequestHandler):
        def _reply(self):
            hits.append((self.command, self.headers.get("amz-sdk-request")))
            body = b"<Error><Code>SlowDown</Code><Message>Please reduce your request rate.</Message></Error>"
            self.send_response(503)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            if self.command != "HEAD":
                self.wfile.write(body)

        do_GET = do_PUT = do_HEAD = do_POST = _reply

        def log_message(self, *args):
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Unavailable)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        store = S3Store("bucket-x", endpoint_url=f"http://127.0.0.1:{server.server_port}", max_attempts=3)
        with pytest.raises(StoreError, match="S3 refused to write s3://bucket-x/evidence/k: SlowDown"):
            store.put("evidence/k", b"x")
        assert len(hits) == 3
    finally:
        server.shutdown()


def test_version_listing_follows_the_bucket_versioning(make_bucket):
    plain = make_bucket()
    plain.put("raw/a.csv", b"1")
    plain.api_calls = 0
    (page,) = list(plain.list_version_pages("raw/"))
    assert [(o.key, o.version_id, o.is_latest) for o in page] == [("raw/a.csv", None, True)]
    assert plain.api_calls == 3  # lock configuration, versioning, one ListObjectsV2 page

    suspended = make_bucket(versioning=True)
    suspended.put("raw/a.csv", b"1")
    suspended.client.put_object(Bucket=suspended.bucket, Key="raw/a.csv", Body=b"2")
    suspended.client.put_bucket_versioning(Bucket=suspended.bucket, VersioningConfiguration={"Status": "Suspended"})
    (page,) = list(suspended.list_version_pages("raw/"))
    assert len(page) == 2 and all(o.version_id for o in page) and [o.is_latest for o in page] == [True, False]


def test_multipart_upload_is_locked_like_a_single_put(locking_store, tmp_path, monkeypatch):
    """Evidence larger than the single-PUT limit goes multipart; it must come back with its version id
    and under the same retention and legal hold (moto, like some S3-compatible servers, ignores the lock
    headers of CreateMultipartUpload), so nobody can delete it."""
    monkeypatch.setattr(s3_store, "SINGLE_PUT_LIMIT", 1024 * 1024)
    path = tmp_path / "large.bin"
    path.write_bytes(bytes(range(256)) * 20_000)  # ~5 MB
    until = datetime.now(UTC) + timedelta(days=1)
    info = locking_store.put(
        "evidence/big/model.bin", path, write_once=True, retention=Retention("GOVERNANCE", until), legal_hold=True
    )
    head = locking_store.head("evidence/big/model.bin")
    assert head.retention is not None and head.retention.mode == "GOVERNANCE" and head.legal_hold
    assert abs((head.retention.until - until).total_seconds()) < 1
    if isinstance(locking_store, S3Store):
        assert info.version_id and info.version_id == head.version_id
    report = locking_store.delete_many([("evidence/big/model.bin", head.version_id)])
    assert report.errors and not report.deleted
    assert locking_store.head("evidence/big/model.bin").sha256 == info.sha256


def _http_server(handler_class):
    import threading
    from http.server import ThreadingHTTPServer

    server = ThreadingHTTPServer(("127.0.0.1", 0), handler_class)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server


def test_a_plain_web_server_in_place_of_s3_is_named_not_taken_for_a_missing_object():
    from http.server import SimpleHTTPRequestHandler

    class Quiet(SimpleHTTPRequestHandler):
        def log_message(self, *args):
            pass

    server = _http_server(Quiet)
    try:
        store = S3Store("bucket-x", endpoint_url=f"http://127.0.0.1:{server.server_port}", max_attempts=1)
        with pytest.raises(StoreError, match="does not answer like S3"):
            store.head("raw/data.csv")
    finally:
        server.shutdown()


def test_an_endpoint_that_never_answers_fails_within_the_read_timeout():
    """Connects, then silence: bounded by read_timeout x attempts, not botocore's 60 s default."""
    import time
    from http.server import BaseHTTPRequestHandler

    class Silent(BaseHTTPRequestHandler):
        def handle(self):
            time.sleep(30)

    server = _http_server(Silent)
    try:
        store = S3Store(
            "bucket-x", endpoint_url=f"http://127.0.0.1:{server.server_port}", max_attempts=2, read_timeout=1
        )
        started = time.monotonic()
        with pytest.raises(StoreError, match="S3 failed to inspect"):
            store.head("raw/data.csv")
        assert time.monotonic() - started < 10
    finally:
        server.shutdown()
