"""The evidence index: every record folder found by paged listing, the period chosen from record ids before
any read, each record checked against its manifest (a changed or missing file is a problem, not a pass)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from govgate.evidence_index import record_time, scan_records
from govgate.gate import build_record
from govgate.policy import load_policy
from govgate.publish import publish
from govgate.record import AssetKind, Check, Outcome, Subject, decide, new_record_id
from govgate.settings import DEFAULT_POLICY
from govgate.store import open_store
from govgate.tracking import Tracker


def _publish(store, tracker, subject_id, gate, when, outcome=Outcome.PASS):
    checks = [Check(id="x.c", title="c", category="x", outcome=outcome, evidence_kind="data_quality")]
    record = build_record(
        gate=gate,
        subject=Subject(kind=AssetKind.DATASET, id=subject_id, version="1"),
        policy=load_policy(DEFAULT_POLICY),
        tier="medium",
        started_at=when,
        checks=checks,
        decision=decide(checks),
    )
    record.record_id = new_record_id(when)
    return publish(record, store=store, tracker=tracker)


@pytest.fixture
def published(s3_settings):
    store, tracker = open_store(s3_settings), Tracker.from_settings(s3_settings)
    t0 = datetime(2026, 11, 1, tzinfo=UTC)
    made = [
        _publish(store, tracker, "loans", "data-review", t0),
        _publish(store, tracker, "loans", "data-review", t0 + timedelta(days=10), Outcome.FAIL),
        _publish(store, tracker, "claims", "model-review", t0 + timedelta(days=20)),
    ]
    return store, made


def test_every_record_is_found_and_summarised(published):
    store, made = published
    index = scan_records(store)
    assert [e.record_id for e in index.entries] == [p.record.record_id for p in made]
    first = index.entries[0]
    assert (first.gate, first.subject_id, first.subject_version, first.decision, first.tier) == (
        "data-review",
        "loans",
        "1",
        "pass",
        "medium",
    )
    assert first.verified and first.evidence_kinds() == {"data_quality"}
    assert index.latest("loans", "data-review").decision == "fail"
    assert index.unreadable == [] and index.incomplete == []


def test_a_period_is_chosen_before_reading(published):
    store, made = published
    index = scan_records(store, since=datetime(2026, 11, 5, tzinfo=UTC), until=datetime(2026, 11, 15, tzinfo=UTC))
    assert [e.record_id for e in index.entries] == [made[1].record.record_id]
    assert index.reads == 2  # manifest + record of the one record in the period


def test_a_changed_or_removed_file_is_a_problem(published):
    store, made = published
    # an attacker with plain S3 access: a newer version over a sealed file, a delete marker over another
    store.client.put_object(
        Bucket=store.bucket, Key=store._k(made[0].prefix + "report.html"), Body=b"<html>PASS</html>"
    )
    store.client.delete_object(Bucket=store.bucket, Key=store._k(made[2].prefix + "report.md"))
    problems = {e.record_id: e.problems for e in scan_records(store).entries}
    assert any("report.html" in p for p in problems[made[0].record.record_id])
    assert any("report.md" in p and "missing" in p for p in problems[made[2].record.record_id])
    assert problems[made[1].record.record_id] == ()


def test_a_corrupt_record_is_named_not_fatal(published):
    store, made = published
    store.client.put_object(Bucket=store.bucket, Key=store._k(made[1].prefix + "manifest.json"), Body=b"not json")
    index = scan_records(store)
    assert [u.prefix for u in index.unreadable] == [made[1].prefix]
    assert len(index.entries) == 2


def test_record_time_reads_the_id():
    assert record_time("20261122T220600Z-1a2b3c4d") == datetime(2026, 11, 22, 22, 6, tzinfo=UTC)
    assert record_time("custom-id") is None
