"""Write-once per key on S3 (moto's server over HTTP): a multipart upload is completed with
``If-None-Match: *``, so a key another writer created meanwhile refuses it; every request govgate sends to
write under evidence/ or audit/ carries the condition that infra/bucket-policy.json requires."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from govgate.errors import WriteOnceError
from govgate.store import s3 as s3_store

REPO = Path(__file__).resolve().parents[3]
MIB = 1024 * 1024


def _versions(store, key: str) -> list[dict]:
    listing = store.client.list_object_versions(Bucket=store.bucket, Prefix=store._k(key))
    return listing.get("Versions", []) + listing.get("DeleteMarkers", [])


@pytest.fixture
def small_parts(monkeypatch):
    """Multipart from 5 MiB on, in 5 MiB parts (S3's smallest), so a test file of 11 MiB has three parts."""
    monkeypatch.setattr(s3_store, "SINGLE_PUT_LIMIT", 5 * MIB)
    monkeypatch.setattr(s3_store, "PART_SIZE", 5 * MIB)


def test_a_key_written_during_a_multipart_upload_refuses_its_completion(make_bucket, tmp_path, small_parts):
    """The race the early HEAD cannot close: another writer creates the key after the check, while the
    parts upload. The completion's If-None-Match makes S3 refuse it; the other writer's object stays the
    only version and the unfinished upload is aborted."""
    store = make_bucket(versioning=True)
    big = tmp_path / "model.bin"
    big.write_bytes(bytes(range(256)) * (11 * MIB // 256))
    key = "evidence/m/1/model-review/r1/model.bin"
    upload_parts = store._upload_parts

    def parts_then_another_writer(full, upload_id, data):
        parts = upload_parts(full, upload_id, data)
        store.client.put_object(Bucket=store.bucket, Key=full, Body=b"the other writer's object")
        return parts

    store._upload_parts = parts_then_another_writer
    with pytest.raises(WriteOnceError, match=key):
        store.put(key, big, write_once=True)
    assert store.get_bytes(key) == b"the other writer's object"
    assert len(_versions(store, key)) == 1, "a refused upload must not add a version"
    assert store.client.list_multipart_uploads(Bucket=store.bucket).get("Uploads", []) == []


def test_multipart_evidence_comes_back_whole_with_its_version(make_bucket, tmp_path, small_parts):
    store = make_bucket(versioning=True)
    big = tmp_path / "model.bin"
    big.write_bytes(bytes(range(256)) * (11 * MIB // 256) + b"tail")
    info = store.put("evidence/x/model.bin", big)
    assert store.get_bytes("evidence/x/model.bin") == big.read_bytes()
    head = store.head("evidence/x/model.bin")
    assert info.version_id and head.version_id == info.version_id and head.sha256 == info.sha256
    with pytest.raises(WriteOnceError):
        store.put("evidence/x/model.bin", big)  # the early check
    assert len(_versions(store, "evidence/x/model.bin")) == 1


def test_outside_evidence_a_plain_multipart_put_may_replace(make_bucket, tmp_path, small_parts):
    store = make_bucket(versioning=True)
    big = tmp_path / "data.bin"
    big.write_bytes(b"a" * (6 * MIB))
    store.put("raw/data.bin", big)
    big.write_bytes(b"b" * (6 * MIB))
    store.put("raw/data.bin", big)
    assert store.get_bytes("raw/data.bin")[:1] == b"b" and len(_versions(store, "raw/data.bin")) == 2


def test_every_evidence_write_carries_the_condition_the_bucket_policy_requires(make_bucket, tmp_path, small_parts):
    """infra/bucket-policy.json denies PutObject (and CompleteMultipartUpload, which S3 authorises as
    PutObject) under evidence/ and audit/ without If-None-Match. moto does not evaluate bucket policies,
    so the test records the requests govgate sends to a real server and checks each one against the
    policy's condition: govgate's own writes must never be the ones the policy refuses."""
    store = make_bucket(object_lock=True)
    sent: list[tuple[str, str, str | None]] = []

    def record(request, **_):
        condition = request.headers.get("If-None-Match")
        sent.append((request.method, request.url, condition.decode() if isinstance(condition, bytes) else condition))

    store.client.meta.events.register("before-send.s3", record)
    big = tmp_path / "big.bin"
    big.write_bytes(b"z" * (11 * MIB))
    store.put("evidence/a/record.json", b"{}")
    store.put("evidence/a/model.bin", big)
    store.put("audit/retention-purge/p1/plan-execute.jsonl", b"{}\n")
    store.put("raw/free.csv", b"a,b\n")  # outside the protected prefixes: no condition needed
    creating = [
        (method, url, cond)
        for method, url, cond in sent
        if ("/evidence/" in url or "/audit/" in url)
        and ((method == "PUT" and "?" not in url) or (method == "POST" and "uploadId=" in url))
    ]
    assert len(creating) == 3, creating  # two single PUTs and one multipart completion
    assert all(cond == "*" for _, _, cond in creating), creating
    # the parts and the upload's creation carry none (S3 does not accept it there): the policy exempts them
    assert any("partNumber=" in url for m, url, _ in sent if m == "PUT")


def test_the_bucket_policy_denies_unconditional_writes_and_deletes_of_evidence():
    policy = json.loads((REPO / "infra" / "bucket-policy.json").read_text())
    by_sid = {s["Sid"]: s for s in policy["Statement"]}
    put = by_sid["EvidenceAndAuditAreWrittenOnlyWithIfNoneMatch"]
    assert put["Effect"] == "Deny" and put["Action"] == "s3:PutObject" and put["Principal"] == "*"
    assert put["Condition"]["Null"] == {"s3:if-none-match": "true"}
    # CreateMultipartUpload and UploadPart take no condition header: they must stay allowed
    assert put["Condition"]["Bool"] == {"s3:ObjectCreationOperation": "true"}
    delete = by_sid["EvidenceAndAuditAreNeverDeleted"]
    assert delete["Effect"] == "Deny" and {"s3:DeleteObject", "s3:DeleteObjectVersion"} <= set(delete["Action"])
    for statement in (put, delete):
        assert sorted(r.rsplit("/", 2)[-2] for r in statement["Resource"]) == ["audit", "evidence"]
    iam = json.loads((REPO / "infra" / "iam-policy.json").read_text())
    denied = {a for s in iam["Statement"] if s["Effect"] == "Deny" for a in s["Action"]}
    # an upload with Object Lock headers needs s3:PutObjectRetention (MinIO checks it; AWS documents it);
    # without s3:BypassGovernanceRetention it can only lengthen a retention, never shorten or remove it
    assert "s3:PutObjectRetention" not in denied and "s3:BypassGovernanceRetention" in denied
