"""MLflow adapter and the publishing path, on a SQLite tracking store with artifacts on the local S3
server, and the record in an S3 bucket with Object Lock (and in a local folder)."""

from __future__ import annotations

import json
import socket
from datetime import UTC, datetime

import pytest

from govgate.errors import TrackingError, WriteOnceError
from govgate.gate import build_record
from govgate.policy import load_policy
from govgate.publish import MANIFEST, find_record, load_record, publish
from govgate.record import AssetKind, Check, Metric, Outcome, Subject, Threshold, decide
from govgate.settings import DEFAULT_POLICY
from govgate.store import LocalStore, open_store
from govgate.tracking import Tracker


def _record(subject_id="credit-model", version="3"):
    checks = [
        Check(
            id="fairness.dp_difference",
            title="Demographic parity difference",
            category="fairness",
            outcome=Outcome.FAIL,
            message="0.21 > 0.05",
            metrics=[Metric(name="value", value=0.21, lower=0.15, upper=0.27, confidence=0.95, n=1000)],
            threshold=Threshold(metric="value", op="<=", value=0.05),
            evidence_kind="fairness_eval",
        ),
        Check(
            id="performance.accuracy",
            title="Accuracy",
            category="performance",
            outcome=Outcome.PASS,
            message="ok",
            metrics=[Metric(name="value", value=0.81)],
        ),
        Check(
            id="robustness.flip",
            title="Flip rate",
            category="robustness",
            outcome=Outcome.INCONCLUSIVE,
            message="group 'age<25' has 12 members, below min_group_size 50",
        ),
    ]
    return build_record(
        gate="model-review",
        subject=Subject(kind=AssetKind.MODEL, id=subject_id, version=version),
        policy=load_policy(DEFAULT_POLICY),
        tier="high",
        started_at=datetime.now(UTC),
        checks=checks,
        decision=decide(checks),
        parameters={"label": "credit", "sensitive": ["sex", "age"]},
    )


@pytest.fixture
def tracker(s3_settings):
    return Tracker.from_settings(s3_settings)


def test_publish_writes_record_reports_and_manifest_and_logs_to_mlflow(s3_settings, tracker, tmp_path):
    store = open_store(s3_settings)
    assert store.supports_object_lock()
    record = _record()
    published = publish(record, store=store, tracker=tracker, extra_files={"plots/groups.svg": b"<svg/>"})

    prefix = published.prefix
    assert prefix.startswith("evidence/credit-model/3/model-review/")
    names = {i.key[len(prefix) :] for i in store.list(prefix)}
    assert names == {"record.json", "report.md", "report.html", MANIFEST, "plots/groups.svg"}
    manifest = json.loads(store.get_bytes(prefix + MANIFEST))
    for name, entry in manifest["files"].items():
        assert store.head(prefix + name).sha256 == entry["sha256"]
    stored = load_record(store, prefix)
    assert stored.provenance.mlflow_run_id == published.mlflow_run_id
    assert stored.decision.outcome.value == "fail"
    assert [a.name for a in stored.artifacts] == ["plots/groups.svg"]
    html = store.get_bytes(prefix + "report.html").decode()
    for check in record.checks:  # every check appears, passed or not
        assert check.id in html
    assert "[95% CI 0.15, 0.27]" in html and "nist-ai-rmf-1.0" in html
    assert find_record(store, record.record_id) == prefix

    run = tracker.client.get_run(published.mlflow_run_id)
    assert run.info.status == "FINISHED"
    assert run.data.tags["govgate.decision"] == "fail"
    assert run.data.tags["govgate.subject.id"] == "credit-model"
    assert run.data.tags["govgate.record_uri"] == published.record_uri
    assert run.data.metrics["fairness.dp_difference.value"] == pytest.approx(0.21)
    assert run.data.metrics["checks.inconclusive"] == 1
    assert run.data.params["param.label"] == "credit"
    exp = tracker.client.get_experiment(run.info.experiment_id)
    assert exp.name == "govgate/model-review"
    assert exp.artifact_location.startswith(f"s3://{store.bucket}/mlflow/")
    local = tracker.client.download_artifacts(published.mlflow_run_id, "evidence/record.json", str(tmp_path))
    assert json.loads(open(local).read())["record_id"] == record.record_id


def test_republishing_a_record_never_overwrites(s3_settings, tracker):
    store = open_store(s3_settings)
    record = _record()
    first = publish(record, store=store, tracker=tracker)
    original = store.get_bytes(first.prefix + "record.json")
    with pytest.raises(WriteOnceError):
        publish(record, store=store, tracker=tracker)
    assert store.get_bytes(first.prefix + "record.json") == original


def test_model_version_gets_governance_tags(s3_settings, tracker):
    client = tracker.client
    client.create_registered_model("credit-scorer")
    mv = client.create_model_version("credit-scorer", source="s3://somewhere/model", run_id=None)
    version = str(mv.version)  # an int in-process, a str through a server: normalise
    store = open_store(s3_settings)
    published = publish(
        _record("credit-scorer", version), store=store, tracker=tracker, model_version=("credit-scorer", version)
    )
    tags = client.get_model_version("credit-scorer", version).tags
    assert tags["govgate.model_review.decision"] == "fail"
    assert tags["govgate.model_review.record_uri"] == published.record_uri


def test_local_store_and_sqlite_defaults(local_settings):
    store = open_store(local_settings)
    assert isinstance(store, LocalStore)
    published = publish(_record(), store=store, tracker=Tracker.from_settings(local_settings))
    assert published.record_uri.startswith("file://")
    assert load_record(store, published.prefix).record_id == published.record.record_id


def test_unreachable_mlflow_server_is_a_clear_error():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    tracker = Tracker(f"http://127.0.0.1:{port}", "file:///tmp/x")
    with pytest.raises(TrackingError, match=f"MLflow at http://127.0.0.1:{port} failed to"):
        tracker.check()


def test_every_kind_of_record_file_edit_is_caught_and_named(local_settings):
    """Each file a reader trusts, edited after publishing (the local store lets a hand reach the bytes)."""
    from govgate.errors import TamperedError
    from govgate.publish import check_record_files

    store = open_store(local_settings)
    tracker = Tracker.from_settings(local_settings)
    published = publish(_record(), store=store, tracker=tracker)
    assert check_record_files(store, published.prefix) == []
    folder = store.root / published.prefix
    for name in ("record.json", "report.html", "report.md"):
        fresh = publish(_record(), store=store, tracker=tracker)
        path = store.root / fresh.prefix / name
        path.write_bytes(path.read_bytes().replace(b"fail", b"pass"))
        assert check_record_files(store, fresh.prefix) == [
            f"{name}: changed after publishing (sha256 differs from the record's {MANIFEST})"
        ]
        if name == "record.json":
            with pytest.raises(TamperedError, match="record.json does not match the sha256 in its manifest.json"):
                load_record(store, fresh.prefix)
    removed = publish(_record(), store=store, tracker=tracker)
    (store.root / removed.prefix / "report.md").unlink()
    assert check_record_files(store, removed.prefix) == [f"report.md: listed in the record's {MANIFEST} but missing"]
    (folder / "extra.html").write_text("<p>PASS</p>")
    assert check_record_files(store, published.prefix) == ["extra.html: added after publishing (in neither manifest)"]
    broken = publish(_record(), store=store, tracker=tracker)
    (store.root / broken.prefix / MANIFEST).write_text("{}")
    with pytest.raises(TamperedError, match="is not a record manifest"):
        load_record(store, broken.prefix)
