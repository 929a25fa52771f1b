"""Shared fixtures: real services only.

- Prefect: ``prefect_test_harness`` (a real temporary server), once per session.
- S3: moto's server over HTTP on 127.0.0.1, once per session; a fresh bucket per test.
- MLflow: a SQLite tracking store, artifacts on the local S3 server.

The environment below (FIELD-NOTES) keeps everything offline and inside a temporary folder; it is set
before anything imports Prefect, which reads its settings at import time.
"""

from __future__ import annotations

import atexit
import os
import shutil
import tempfile
import uuid
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
SHARED = REPO.parent / "shared"
_TMP = Path(tempfile.mkdtemp(prefix="govgate-tests-", dir=os.environ.get("GOVGATE_TEST_TMP") or None))
# Registered before Prefect's harness registers its own clean-up, so it runs after it (atexit is LIFO).
atexit.register(shutil.rmtree, _TMP, ignore_errors=True)

os.environ.update(
    {
        "PREFECT_HOME": str(_TMP / "prefect-home"),
        "PREFECT_SERVER_ANALYTICS_ENABLED": "false",
        "PREFECT_LOGGING_LEVEL": "WARNING",
        "MLFLOW_DISABLE_TELEMETRY": "true",
        "DO_NOT_TRACK": "true",
        "GX_ANALYTICS_ENABLED": "false",
        "TLDEXTRACT_PUBLIC_SUFFIX_LIST_URLS": "",
        "TLDEXTRACT_CACHE": str(_TMP / "tldextract"),
        "MLFLOW_HTTP_REQUEST_MAX_RETRIES": "0",
        "TMPDIR": str(_TMP),
        "AWS_ACCESS_KEY_ID": "testing",
        "AWS_SECRET_ACCESS_KEY": "testing",
        "AWS_DEFAULT_REGION": "us-east-1",
        "GOVGATE_HOME": str(_TMP / "govgate-home"),
    }
)
os.environ.pop("PREFECT_API_URL", None)
for key in [
    k
    for k in os.environ
    if k.startswith("GOVGATE_") and k not in ("GOVGATE_HOME", "GOVGATE_TEST_TMP", "GOVGATE_SKIP_UI_TESTS")
]:
    del os.environ[key]
tempfile.tempdir = str(_TMP)

import logging  # noqa: E402

import pytest  # noqa: E402

logging.getLogger("werkzeug").setLevel(logging.WARNING)  # moto's server logs every request

from govgate.store import LocalStore, S3Store  # noqa: E402


@pytest.fixture(scope="session")
def prefect_harness():
    from prefect.testing.utilities import prefect_test_harness

    with prefect_test_harness(server_startup_timeout=90):
        yield


@pytest.fixture(scope="session")
def moto_endpoint():
    from moto.server import ThreadedMotoServer

    server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    host, port = server.get_host_and_port()
    yield f"http://{host}:{port}"
    server.stop()


def _bucket_name() -> str:
    return f"govgate-test-{uuid.uuid4().hex[:12]}"


@pytest.fixture
def make_bucket(moto_endpoint):
    """Create a fresh bucket (optionally with Object Lock / versioning) and return an S3Store on it."""

    def make(object_lock: bool = False, versioning: bool = False, prefix: str = "") -> S3Store:
        name = _bucket_name()
        store = S3Store(name, prefix, endpoint_url=moto_endpoint, max_attempts=2)
        kwargs = {"Bucket": name}
        if object_lock:
            kwargs["ObjectLockEnabledForBucket"] = True
        store.client.create_bucket(**kwargs)
        if versioning and not object_lock:
            store.client.put_bucket_versioning(Bucket=name, VersioningConfiguration={"Status": "Enabled"})
        store.api_calls = 0
        return store

    return make


@pytest.fixture(params=["local", "s3"])
def any_store(request, tmp_path, make_bucket):
    """The same test against both backends."""
    if request.param == "local":
        return LocalStore(tmp_path / "store")
    return make_bucket(prefix="team-a")


@pytest.fixture(params=["local", "s3-object-lock"])
def locking_store(request, tmp_path, make_bucket):
    if request.param == "local":
        return LocalStore(tmp_path / "store")
    return make_bucket(object_lock=True)


@pytest.fixture
def s3_settings(monkeypatch, tmp_path, moto_endpoint, make_bucket):
    """GOVGATE_* settings pointing at a fresh bucket on the local S3 server and a SQLite MLflow whose
    artifacts also live on that server."""
    from govgate.settings import load_settings

    store = make_bucket(object_lock=True)
    monkeypatch.setenv("GOVGATE_HOME", str(tmp_path / "home"))
    monkeypatch.setenv("GOVGATE_STORE_URL", f"s3://{store.bucket}/govgate")
    monkeypatch.setenv("GOVGATE_S3_ENDPOINT_URL", moto_endpoint)
    monkeypatch.setenv("GOVGATE_S3_ACCESS_KEY_ID", "testing")
    monkeypatch.setenv("GOVGATE_S3_SECRET_ACCESS_KEY", "testing")
    monkeypatch.setenv("GOVGATE_MLFLOW_TRACKING_URI", f"sqlite:///{tmp_path / 'mlflow.db'}")
    monkeypatch.setenv("GOVGATE_MLFLOW_ARTIFACT_LOCATION", f"s3://{store.bucket}/mlflow")
    monkeypatch.setenv("MLFLOW_S3_ENDPOINT_URL", moto_endpoint)
    return load_settings()


@pytest.fixture
def local_settings(monkeypatch, tmp_path):
    """Embedded defaults under a temporary home."""
    from govgate.settings import load_settings

    monkeypatch.setenv("GOVGATE_HOME", str(tmp_path / "home"))
    return load_settings()


@pytest.fixture(scope="session")
def shared_data() -> Path:
    """``../shared/data`` when it is beside the clone (CI); otherwise the vendored German credit file and
    seeded stand-ins for the e-commerce files in the same layout (tests/data/README.md), so a fresh clone
    runs every test."""
    from tests.data.generate import data_dir

    return data_dir(SHARED / "data", _TMP / "data")
