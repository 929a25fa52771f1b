"""A purge on a bucket whose versioning was switched on after objects were written (moto over HTTP): the
versions written before ("null") are deleted for good, not hidden behind a delete marker and reported as
deleted."""

from __future__ import annotations

from govgate.retention import load_rules, run_purge
from tests.core.retention.test_retention import write_rules


def test_versions_from_before_versioning_are_deleted_not_hidden(make_bucket, tmp_path):
    store = make_bucket()
    for i in range(5):
        store.put(f"tmp/part-{i}", b"old")
    store.client.put_bucket_versioning(Bucket=store.bucket, VersioningConfiguration={"Status": "Enabled"})
    store.put("tmp/part-0", b"new")  # one key with a null version and a real one

    result = run_purge(store, load_rules(write_rules(tmp_path)), dry_run=False)

    listing = store.client.list_object_versions(Bucket=store.bucket, Prefix="tmp/")
    assert listing.get("Versions", []) == [] and listing.get("DeleteMarkers", []) == []
    cert = result.certificate
    assert cert["statuses"] == {"deleted": 6} and cert["deleted"] == {**cert["deleted"], "objects": 5, "versions": 6}
