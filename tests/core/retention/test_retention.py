"""Retention purge core on real stores: the local S3 server (versioning + Object Lock) and a local folder."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from govgate.retention import (
    AUDIT_PREFIX,
    PurgeError,
    RetentionRulesError,
    load_rules,
    run_purge,
    unfinished_purges,
)
from govgate.store import LocalStore, Retention

REPO = Path(__file__).resolve().parents[3]
OLD = "2020-01-01"
RECENT = (datetime.now(UTC) - timedelta(days=1)).date().isoformat()

RULES = """
version: 1
protected_prefixes: [contracts/]
rules:
  - id: raw-by-collection
    prefix: raw/
    from: tag:collected-at
    retain: P90D
    data_class: raw-personal
  - id: tmp-partitions
    prefix: tmp/
    retain: 0d
    data_class: temporary
  - id: anonymized-copies
    prefix: anonymized/
    tags: {govgate-kind: anonymized-copy}
    from: tag:created-at
    retain: P2Y
"""


def write_rules(tmp_path: Path, text: str = RULES) -> Path:
    path = tmp_path / "retention.yaml"
    path.write_text(text)
    return path


def seed(store, versioned: bool) -> dict[str, str]:
    """A mix of objects; returns key -> what must happen to it ('gone' or 'kept')."""
    put = store.put
    expect = {}
    for n in range(3 if versioned else 1):  # three versions of one expired object
        put("raw/expired.csv", f"v{n}", tags={"collected-at": OLD, "data-class": "raw-personal"})
    expect["raw/expired.csv"] = "gone"
    put("raw/recent.csv", b"r", tags={"collected-at": RECENT})
    expect["raw/recent.csv"] = "kept"
    put("raw/held-by-tag.csv", b"h", tags={"collected-at": OLD, "legal-hold": "true"})
    expect["raw/held-by-tag.csv"] = "kept"
    if versioned:
        put("raw/held-by-lock.csv", b"old version", tags={"collected-at": OLD})
    put("raw/held-by-lock.csv", b"l", tags={"collected-at": OLD}, legal_hold=True)
    expect["raw/held-by-lock.csv"] = "kept"
    put(
        "raw/under-retention.csv",
        b"l",
        tags={"collected-at": OLD},
        retention=Retention("GOVERNANCE", datetime.now(UTC) + timedelta(days=365)),
    )
    expect["raw/under-retention.csv"] = "kept"
    put("raw/undated.csv", b"u")
    expect["raw/undated.csv"] = "kept"
    put("raw/bad-date.csv", b"u", tags={"collected-at": "last spring"})
    expect["raw/bad-date.csv"] = "kept"
    for i in range(3):
        put(f"tmp/data-review/r1/part-{i}.parquet", b"p")
        expect[f"tmp/data-review/r1/part-{i}.parquet"] = "gone"
    put("anonymized/copy.parquet", b"a", tags={"govgate-kind": "anonymized-copy", "created-at": OLD})
    expect["anonymized/copy.parquet"] = "gone"
    put("anonymized/untagged.parquet", b"a", tags={"created-at": OLD})
    expect["anonymized/untagged.parquet"] = "kept"
    put("evidence/data-review/r1/record.json", b"{}", tags={"collected-at": OLD})
    expect["evidence/data-review/r1/record.json"] = "kept"
    put("contracts/raw/signed.pdf", b"c", tags={"collected-at": OLD})
    expect["contracts/raw/signed.pdf"] = "kept"
    put("other/x.csv", b"x", tags={"collected-at": OLD})
    expect["other/x.csv"] = "kept"
    if versioned:
        put("raw/deleted-already.csv", b"d", tags={"collected-at": OLD})
        store.client.delete_object(Bucket=store.bucket, Key=store._k("raw/deleted-already.csv"))  # leaves a marker
        expect["raw/deleted-already.csv"] = "gone"
    return expect


def all_versions(store) -> dict[str, int]:
    """key -> number of versions and delete markers still in the store (audit records excluded)."""
    counts: dict[str, int] = {}
    for page in store.list_version_pages(""):
        for info in page:
            if not info.key.startswith(AUDIT_PREFIX):
                counts[info.key] = counts.get(info.key, 0) + 1
    return counts


@pytest.fixture(params=["local", "s3-versioned-object-lock"])
def purge_store(request, tmp_path, make_bucket):
    if request.param == "local":
        return LocalStore(tmp_path / "store")
    return make_bucket(object_lock=True)


def test_execute_deletes_exactly_the_eligible_objects_and_all_their_versions(purge_store, tmp_path):
    versioned = purge_store.versioning() is not None
    expect = seed(purge_store, versioned)
    before = all_versions(purge_store)
    rules = load_rules(write_rules(tmp_path))

    result = run_purge(purge_store, rules, dry_run=False)

    after = all_versions(purge_store)
    for key, fate in expect.items():
        if fate == "gone":
            assert key not in after, f"{key} should be gone with every version"
        else:
            assert after.get(key) == before[key], f"{key} should be intact ({before[key]} versions)"
    cert = result.certificate
    gone_keys = [k for k, f in expect.items() if f == "gone"]
    assert cert["status"] == "complete"
    assert cert["deleted"]["objects"] == len(gone_keys)
    assert cert["deleted"]["versions"] == sum(before[k] for k in gone_keys)
    assert cert["accounted"] == cert["plan"]["entries"] == sum(before[k] for k in gone_keys)
    assert cert["by_rule"]["tmp-partitions"]["deleted"] == 3
    assert cert["by_class"]["temporary"]["deleted"] == 3
    # kept objects are reported with their reason; nothing held was attempted
    assert result.plan.kept["held-tag"] == 1 and result.plan.kept["held-lock"] == 2
    assert result.plan.kept["undated"] == 2
    assert any("last spring" in e for e in result.plan.kept_examples["undated"])
    # audit trail: plan, then certificate, both write-once and readable
    plan_key = cert["plan"]["key"]
    lines = purge_store.get_bytes(plan_key).decode().splitlines()
    header = json.loads(lines[0])
    assert header["mode"] == "execute" and header["rules_sha256"] == rules.sha256
    assert {json.loads(line)["key"] for line in lines[1:]} == set(gone_keys)
    stored = purge_store.get_json(plan_key.replace("plan-execute.jsonl", "certificate.json"))
    assert stored["deleted"] == cert["deleted"]
    assert unfinished_purges(purge_store) == []


def test_dry_run_lists_what_would_go_and_deletes_nothing(purge_store, tmp_path):
    versioned = purge_store.versioning() is not None
    expect = seed(purge_store, versioned)
    before = all_versions(purge_store)
    result = run_purge(purge_store, load_rules(write_rules(tmp_path)), dry_run=True)
    assert all_versions(purge_store) == before
    assert result.certificate is None
    assert {e["key"] for e in result.plan.sample} == {k for k, f in expect.items() if f == "gone"}
    assert result.plan.plan_key.endswith("plan-dry-run.jsonl")
    assert unfinished_purges(purge_store) == []  # a dry run is never resumed


def test_plan_is_written_before_the_first_delete(make_bucket, tmp_path):
    store = make_bucket(versioning=True)
    for i in range(25):
        store.put(f"tmp/p{i:02d}", b"x")
    seen = {}

    def on_batch(n: int) -> None:
        if n == 1:
            pending = unfinished_purges(store)
            seen["pending"] = pending
            purge_id = pending[0][0]
            plan = store.get_bytes(f"{AUDIT_PREFIX}{purge_id}/plan-execute.jsonl").decode().splitlines()
            seen["planned"] = len(plan) - 1

    run_purge(store, load_rules(write_rules(tmp_path)), dry_run=False, batch_size=10, on_batch=on_batch)
    assert seen["planned"] == 25 and len(seen["pending"]) == 1
    assert all_versions(store) == {}


def test_batches_use_one_delete_objects_call_per_thousand_keys(make_bucket, tmp_path):
    store = make_bucket()
    for i in range(2100):
        store.client.put_object(Bucket=store.bucket, Key=f"tmp/{i:05d}", Body=b"")
    store.api_calls = 0
    result = run_purge(store, load_rules(write_rules(tmp_path)), dry_run=False)
    assert result.certificate["delete_calls"] == 3
    assert result.certificate["deleted"]["objects"] == 2100


CRASH_SCRIPT = textwrap.dedent(
    """
    import os, signal, sys
    from govgate.retention import load_rules, run_purge
    from govgate.store import S3Store, LocalStore
    kind, where, rules_path = sys.argv[1:4]
    store = S3Store(where, endpoint_url=os.environ["ENDPOINT"]) if kind == "s3" else LocalStore(where)
    def on_batch(n):
        if n == 5:
            os.kill(os.getpid(), signal.SIGKILL)  # a real crash: no cleanup, no certificate
    run_purge(store, load_rules(rules_path), dry_run=False, batch_size=7, checkpoint_every=2, on_batch=on_batch)
    """
)


@pytest.mark.parametrize("kind", ["local", "s3"])
def test_killed_purge_resumes_and_certifies_every_entry_once(kind, make_bucket, moto_endpoint, tmp_path):
    store = make_bucket(object_lock=True) if kind == "s3" else LocalStore(tmp_path / "store")
    where = store.bucket if kind == "s3" else str(store.root)
    eligible = [f"tmp/part-{i:03d}" for i in range(60)]
    for key in eligible:
        store.put(key, b"x" * 3)
    store.put("raw/recent.csv", b"r", tags={"collected-at": RECENT})
    rules_path = write_rules(tmp_path)
    env = {**os.environ, "ENDPOINT": moto_endpoint, "PYTHONPATH": str(REPO)}
    proc = subprocess.run(
        [sys.executable, "-c", CRASH_SCRIPT, kind, where, str(rules_path)],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert proc.returncode == -9, proc.stderr[-2000:]

    pending = unfinished_purges(store)
    assert len(pending) == 1, "the killed purge left a plan without a certificate"
    purge_id, names = pending[0]
    assert any(n.startswith("progress-") for n in names) and "certificate.json" not in names
    left = sorted(k for k in all_versions(store) if k.startswith("tmp/"))
    assert 0 < len(left) < 60, "the crash happened mid-purge"
    # Between the crash and the resume someone puts one remaining object on legal hold:
    # the resume must keep it even though the plan listed it.
    held = left[-1]
    store.set_tags(held, {"legal-hold": "true"})

    result = run_purge(store, load_rules(rules_path), dry_run=False)

    assert result.resumed and result.purge_id == purge_id
    cert = result.certificate
    assert cert["status"] == "complete" and cert["attempts"] == 2
    assert cert["accounted"] == cert["plan"]["entries"] == 60
    statuses = cert["statuses"]
    assert sum(statuses.values()) == 60
    assert statuses.get("kept") == 1 and cert["kept"][0]["key"] == held and cert["kept"][0]["status"] == "kept:held-tag"
    assert statuses.get("deleted", 0) + statuses.get("gone", 0) == 59
    remaining = all_versions(store)
    assert sorted(k for k in remaining if k.startswith("tmp/")) == [held]
    assert "raw/recent.csv" in remaining
    assert unfinished_purges(store) == []


@pytest.mark.parametrize("kind", ["local", "s3-unversioned"])
def test_resume_keeps_an_object_rewritten_since_the_plan(kind, tmp_path, make_bucket):
    store = LocalStore(tmp_path / "store") if kind == "local" else make_bucket()
    for i in range(20):
        store.put(f"tmp/p{i:02d}", b"x")
    rules = load_rules(write_rules(tmp_path))

    class Crash(BaseException):
        pass

    def crash(n):
        if n == 2:
            raise Crash

    with pytest.raises(Crash):
        run_purge(store, rules, dry_run=False, batch_size=5, checkpoint_every=1, on_batch=crash)
    store.put("tmp/p19", b"new content, not the planned object")
    result = run_purge(store, rules, dry_run=False)
    assert result.certificate["statuses"].get("changed") == 1
    assert store.get_bytes("tmp/p19") == b"new content, not the planned object"
    assert [i.key for i in store.list("tmp/")] == ["tmp/p19"]


@pytest.mark.parametrize(
    ("text", "message"),
    [
        (RULES.replace("retain: P90D", "retain: ninety days"), "rules.0.retain"),
        (RULES.replace("prefix: tmp/", "prefix: evidence/tmp/"), "inside the protected prefix 'evidence/'"),
        (RULES.replace("prefix: tmp/", "prefix: contracts/tmp/"), "inside the protected prefix 'contracts/'"),
        (RULES.replace("prefix: tmp/", "prefix: incidents/"), "inside the protected prefix 'incidents/'"),
        (RULES.replace("data_class: temporary", "data_clas: temporary"), "rules.1.data_clas: unknown key"),
        (RULES.replace("id: tmp-partitions", "id: raw-by-collection"), "unique"),
        (RULES.replace("from: tag:collected-at", "from: landing"), "rules.0.from"),
        ("version: 1\nrules: [\n", "not valid YAML"),
        ("version: 1\n", "no rules"),
    ],
)
def test_rule_file_errors_name_the_file_and_key(tmp_path, text, message):
    path = write_rules(tmp_path, text)
    with pytest.raises(RetentionRulesError) as err:
        load_rules(path)
    assert str(path) in str(err.value) and message in str(err.value)


def test_execute_refuses_a_future_as_of(tmp_path):
    store = LocalStore(tmp_path / "store")
    store.put("tmp/p", b"x")
    future = datetime.now(UTC) + timedelta(days=30)
    with pytest.raises(PurgeError, match="in the future"):
        run_purge(store, load_rules(write_rules(tmp_path)), dry_run=False, as_of=future)
    assert store.exists("tmp/p")
    preview = run_purge(store, load_rules(write_rules(tmp_path)), dry_run=True, as_of=future)
    assert preview.plan.entries == 1


def test_creation_time_rules_count_from_the_object_time(tmp_path):
    store = LocalStore(tmp_path / "store")
    store.put("raw/old.csv", b"o")
    store.put("raw/new.csv", b"n")
    old = (datetime.now(UTC) - timedelta(days=100)).timestamp()
    os.utime(store.root / "raw/old.csv", (old, old))
    rules = load_rules(write_rules(tmp_path, "version: 1\nrules:\n  - {id: raw, prefix: raw/, retain: 90d}\n"))
    result = run_purge(store, rules, dry_run=False)
    assert result.certificate["deleted"]["objects"] == 1
    assert [i.key for i in store.list("raw/")] == ["raw/new.csv"]


def test_default_rule_file_validates():
    rules = load_rules(REPO / "policies" / "retention.yaml")
    assert {r.id for r in rules.rules} >= {"raw-personal-data", "anonymized-copies", "temporary-partitions"}
    assert {"evidence/", "audit/", "incidents/"} <= set(rules.protected)


def test_a_resumed_purge_records_the_same_findings_as_an_uninterrupted_one(tmp_path):
    """Objects kept for want of a date tag (and other kept reasons) are found while listing; a purge that
    crashes after listing must not lose them: the resumed run's checks equal the uninterrupted run's."""
    from tasks.retention import purge_checks

    rules = load_rules(write_rules(tmp_path))

    def fill(store):
        for i in range(40):
            store.put(f"tmp/part-{i:03d}", b"x")
        for i in range(20):
            store.put(f"raw/undated-{i:02d}.csv", b"u")  # no collected-at tag: kept, inconclusive
        store.put("raw/held.csv", b"h", tags={"collected-at": OLD, "legal-hold": "true"})

    whole = LocalStore(tmp_path / "whole")
    fill(whole)
    uninterrupted = run_purge(whole, rules, dry_run=False, batch_size=5)

    class Crash(BaseException):
        pass

    def crash(n):
        if n == 3:
            raise Crash

    broken = LocalStore(tmp_path / "broken")
    fill(broken)
    with pytest.raises(Crash):
        run_purge(broken, rules, dry_run=False, batch_size=5, checkpoint_every=1, on_batch=crash)
    resumed = run_purge(broken, rules, dry_run=False)
    assert resumed.resumed and resumed.plan.kept == uninterrupted.plan.kept
    assert resumed.plan.kept["undated"] == 20 and resumed.plan.kept_examples == uninterrupted.plan.kept_examples

    def outcomes(result):
        return {c.id: (c.outcome, c.message) for c in purge_checks(result, rules) if "resum" not in c.id}

    whole_checks, resumed_checks = outcomes(uninterrupted), outcomes(resumed)
    assert whole_checks["retention.dates"] == resumed_checks["retention.dates"]
    assert whole_checks["retention.dates"][0] == "inconclusive"
    assert {k: v[0] for k, v in whole_checks.items()} == {k: v[0] for k, v in resumed_checks.items()}
