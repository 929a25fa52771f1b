"""Deletes on a versioned bucket are reported as they happened (moto's server over HTTP): a version removed,
a delete marker placed over versions that are all still there, or a locked version refused."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from govgate.store import Retention


def _versions(store, key: str) -> tuple[list[str], list[str]]:
    listing = store.client.list_object_versions(Bucket=store.bucket, Prefix=store._k(key))
    return [v["VersionId"] for v in listing.get("Versions", [])], [
        m["VersionId"] for m in listing.get("DeleteMarkers", [])
    ]


def test_a_bare_delete_on_a_versioned_bucket_is_a_marker_not_a_deletion(make_bucket):
    store = make_bucket(versioning=True)
    first = store.put("raw/a.csv", b"1").version_id
    report = store.delete_many(["raw/a.csv"])
    assert report.deleted == [] and len(report.markers) == 1 and report.markers[0][0] == "raw/a.csv"
    versions, markers = _versions(store, "raw/a.csv")
    assert versions == [first] and markers == [report.markers[0][1]]
    # by version id, the version and the marker go for good
    report = store.delete_many([("raw/a.csv", first), ("raw/a.csv", markers[0])])
    assert sorted(report.deleted) == sorted([("raw/a.csv", first), ("raw/a.csv", markers[0])]) and not report.markers
    assert _versions(store, "raw/a.csv") == ([], [])


def test_the_version_written_before_versioning_is_deleted_by_its_null_id(make_bucket):
    store = make_bucket()
    store.put("raw/old.csv", b"from before versioning")
    store.client.put_bucket_versioning(Bucket=store.bucket, VersioningConfiguration={"Status": "Enabled"})
    store._keeps_versions = None
    assert store.delete_many([("raw/old.csv", "null")]).deleted == [("raw/old.csv", "null")]
    assert _versions(store, "raw/old.csv") == ([], [])


def test_an_object_locked_version_is_refused_and_named_as_locked(make_bucket):
    store = make_bucket(object_lock=True)
    until = datetime.now(UTC) + timedelta(days=1)
    version = store.put("raw/locked.csv", b"l", retention=Retention("COMPLIANCE", until)).version_id
    report = store.delete_many([("raw/locked.csv", version)])
    assert report.deleted == [] and len(report.errors) == 1
    key, reason = report.errors[0]
    assert key == "raw/locked.csv" and reason.startswith("object-locked version")
    assert _versions(store, "raw/locked.csv") == ([version], [])
