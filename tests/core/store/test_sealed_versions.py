"""Records on a versioned bucket (moto's server over HTTP) are read by the version their manifest lists, and
a later plain put or delete marker over a sealed key is reported by name: what an auditor reads cannot be
changed by writing over a key (the S3 bucket policy refuses such writes; this holds without it too)."""

from __future__ import annotations

import json

from govgate.publish import MANIFEST, check_record_files, load_record, publish
from govgate.tracking import Tracker
from tests.core.test_tracking_publish import _record


def test_manifest_lists_version_ids_and_readers_fetch_the_sealed_version(make_bucket, tmp_path):
    store = make_bucket(object_lock=True)
    tracker = Tracker(f"sqlite:///{tmp_path / 'mlflow.db'}", (tmp_path / "artifacts").as_uri())
    published = publish(_record(), store=store, tracker=tracker)
    prefix = published.prefix
    manifest = json.loads(store.get_bytes(prefix + MANIFEST))
    for name, entry in manifest["files"].items():
        assert entry["version_id"] == store.head(prefix + name).version_id, name
    assert published.versions[MANIFEST] == store.head(prefix + MANIFEST).version_id
    assert check_record_files(store, prefix) == []

    # Someone without the bucket policy writes over the record and hides the HTML report.
    sealed = store.get_bytes(prefix + "record.json")
    full = store._k(prefix + "record.json")
    store.client.put_object(Bucket=store.bucket, Key=full, Body=sealed.replace(b'"fail"', b'"pass"'))
    store.client.delete_object(Bucket=store.bucket, Key=store._k(prefix + "report.html"))

    assert load_record(store, prefix).model_dump_json(indent=2).encode() == sealed  # the sealed version
    problems = check_record_files(store, prefix)
    record_version = manifest["files"]["record.json"]["version_id"]
    assert any(
        p.startswith("record.json: a newer version") and f"sealed version {record_version}" in p for p in problems
    ), problems
    assert any(p.startswith("report.html: a delete marker hides the sealed version") for p in problems), problems
    assert (
        "record.json: written over after sealing (2 version(s), 0 delete marker(s); a sealed key has one version)"
        in (problems)
    )
    assert not any(p.startswith("report.md") for p in problems)


def test_a_manifest_written_over_is_reported(make_bucket, tmp_path):
    store = make_bucket(versioning=True)
    tracker = Tracker(f"sqlite:///{tmp_path / 'mlflow.db'}", (tmp_path / "artifacts").as_uri())
    prefix = publish(_record(), store=store, tracker=tracker).prefix
    forged = json.loads(store.get_bytes(prefix + MANIFEST))
    forged["decision"] = "pass"
    store.client.put_object(Bucket=store.bucket, Key=store._k(prefix + MANIFEST), Body=json.dumps(forged).encode())
    assert check_record_files(store, prefix) == [
        f"{MANIFEST}: written over after sealing (2 version(s), 0 delete marker(s); a sealed key has one version)"
    ]
