"""Partition scans: planted PII found, nothing raw returned, partials merge and pickle, sampling is seeded."""

from __future__ import annotations

import json
import pickle

import pandas as pd

from govgate.checks.pii import (
    merge_pii,
    pii_checks,
    plan_columns,
    scan_pii_partition,
)
from govgate.record import Outcome, Severity
from tests.checks.pii.helpers import column_check


def test_scan_finds_planted_pii(frame):
    df, planted = frame
    plan = plan_columns(df)
    part = scan_pii_partition(df, plan, sample_rows=100, ner_model=None, seed=3)
    assert part.rows == len(df)
    assert part.columns["email"].scanned == 100 and part.columns["email"].values == len(df)
    assert part.columns["email"].counts == {"EMAIL_ADDRESS": 100}
    assert part.columns["phone"].counts["VN_PHONE"] == 100  # some are also checksum-valid UK_NHS numbers
    assert part.columns["cccd"].counts == {"VN_CCCD": 100}
    note = part.columns["note"]
    assert note.scanned == len(df)  # text: every row
    assert note.counts == {"EMAIL_ADDRESS": len(planted["note"])}
    assert part.columns["quantity"].counts == {} and part.columns["price"].counts == {}

    checks, findings = pii_checks(merge_pii([part]), min_prevalence=0.05, confidence=0.95, ner_available=False)
    assert {c.id: c.outcome for c in checks} == {
        "data.pii.column.email": Outcome.WARN,
        "data.pii.column.phone": Outcome.WARN,
        "data.pii.column.cccd": Outcome.WARN,
        "data.pii.column.note": Outcome.WARN,
        "data.pii.column.quantity": Outcome.PASS,
        "data.pii.column.price": Outcome.PASS,
        "data.pii.ner": Outcome.INCONCLUSIVE,
    }
    email = column_check(checks, "email")
    assert email.details["kind"] == "structured" and email.details["sampled"] is True
    assert set(email.details["entities"]) == {"EMAIL_ADDRESS"}
    prevalence = next(m for m in email.metrics if m.name == "EMAIL_ADDRESS.prevalence")
    assert prevalence.value == 1.0 and prevalence.n == 100 and prevalence.confidence == 0.95
    assert 0.95 < prevalence.lower < 1.0 and prevalence.upper == 1.0
    assert email.evidence_kind == "pii_scan" and email.controls  # catalog controls attached
    note_check = column_check(checks, "note")
    assert note_check.details == {**note_check.details, "kind": "text", "sampled": False}
    assert next(m for m in note_check.metrics if m.name == "EMAIL_ADDRESS.count").value == len(planted["note"])

    by_column = {f.location["column"]: f for f in findings}
    assert set(by_column) == {"email", "phone", "cccd", "note"}
    assert all(f.severity == Severity.HIGH for f in findings)
    assert by_column["note"].count == len(planted["note"])
    assert by_column["email"].examples[0].startswith("<EMAIL_ADDRESS> hmac-sha256:")
    assert all("<EMAIL_ADDRESS>" in e for e in by_column["note"].examples)
    assert len(by_column["note"].examples) == 3 and all(len(e) <= 82 for e in by_column["note"].examples)


def test_no_raw_pii_in_checks_or_findings(frame):
    df, planted = frame
    part = scan_pii_partition(df, plan_columns(df), sample_rows=500, ner_model=None)
    checks, findings = pii_checks(merge_pii([part]), min_prevalence=0.05, ner_available=False)
    dumped = json.dumps([c.model_dump(mode="json") for c in checks] + [f.model_dump(mode="json") for f in findings])
    for values in planted.values():
        for value in values:
            assert value not in dumped
            assert value.split("@")[0] not in dumped
    assert "@" not in dumped


def test_merge_of_partitions_equals_one_scan(frame):
    df, _ = frame
    plan = plan_columns(df)
    whole = merge_pii([scan_pii_partition(df, plan, sample_rows=10_000, ner_model=None)])
    halves = [df.iloc[:100], df.iloc[100:]]
    merged = merge_pii(
        [scan_pii_partition(h, plan, sample_rows=10_000, ner_model=None, seed=i) for i, h in enumerate(halves)]
    )
    assert merged.columns == whole.columns
    assert merged.rows == whole.rows == len(df) and merged.partitions == 2
    assert pii_checks(merged, min_prevalence=0.05, ner_available=False) == pii_checks(
        whole, min_prevalence=0.05, ner_available=False
    )


def test_partials_are_picklable_plain_data(frame):
    df, _ = frame
    part = scan_pii_partition(df.head(30), plan_columns(df), sample_rows=10, ner_model=None)
    assert pickle.loads(pickle.dumps(part)) == part
    result = merge_pii([part, part])
    assert pickle.loads(pickle.dumps(result)) == result
    assert result.columns["email"].scanned == 20


def test_sampling_is_seeded():
    df = pd.DataFrame({"contact": [f"u{i}@example.com" if i % 2 else f"note {i}" for i in range(400)]})
    plan = {"contact": "structured"}
    a = scan_pii_partition(df, plan, sample_rows=50, ner_model=None, seed=5)
    b = scan_pii_partition(df, plan, sample_rows=50, ner_model=None, seed=5)
    c = scan_pii_partition(df, plan, sample_rows=50, ner_model=None, seed=6)
    assert a == b and a.columns["contact"].scanned == c.columns["contact"].scanned == 50
    assert 10 < a.columns["contact"].counts["EMAIL_ADDRESS"] < 40


def test_numbers_in_numeric_columns_are_scanned():
    df = pd.DataFrame(
        {"contact_number": [912345678 + i for i in range(40)], "phone": [84912345678.0 + i for i in range(40)]}
    )
    part = scan_pii_partition(df, plan_columns(df), sample_rows=100, ner_model=None)
    assert part.columns["phone"].kind == "numeric"
    assert part.columns["phone"].counts.get("VN_PHONE") == 40  # +84 numbers stored as floats
    checks, _ = pii_checks(merge_pii([part]), min_prevalence=0.05, ner_available=False)
    assert column_check(checks, "phone").outcome == Outcome.WARN


def test_shared_customers_email_column(shared_data):
    df = pd.read_csv(shared_data / "ecommerce" / "ecommerce_customers.csv")
    plan = plan_columns(df)
    assert plan["Email"] == "structured" and plan["Address"] == "text"
    part = scan_pii_partition(df, plan, sample_rows=200, ner_model=None)
    checks, findings = pii_checks(merge_pii([part]), min_prevalence=0.05, ner_available=False)
    email = column_check(checks, "Email")
    assert email.outcome == Outcome.WARN and "EMAIL_ADDRESS" in email.details["entities"]
    assert column_check(checks, "Avg. Session Length").outcome == Outcome.PASS  # fractional numbers are no ids
    assert next(f for f in findings if f.location["column"] == "Email").severity == Severity.HIGH
    dumped = json.dumps([c.model_dump(mode="json") for c in checks] + [f.model_dump(mode="json") for f in findings])
    assert not any(e in dumped for e in df["Email"])
