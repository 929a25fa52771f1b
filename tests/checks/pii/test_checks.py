"""PII evidence: prevalence thresholds, intervals, the NER check, direct identifiers, datasheet declarations, Unix times."""

from __future__ import annotations

import random

import pandas as pd
import pytest

from govgate.checks.pii import (
    DIRECT_IDENTIFIERS,
    ColumnPii,
    PiiPartial,
    anonymize_frame,
    merge_pii,
    pii_checks,
    plan_columns,
    scan_pii_partition,
)
from govgate.checks.stats import wilson_interval
from govgate.record import Outcome, Severity
from tests.checks.pii.helpers import SALT, column_check, vn_phone


def test_wilson_interval():
    lo, hi = wilson_interval(50, 100, 0.95)
    assert lo == pytest.approx(0.4038, abs=1e-3) and hi == pytest.approx(0.5962, abs=1e-3)
    lo, hi = wilson_interval(0, 100, 0.95)
    assert lo == 0 and hi == pytest.approx(0.0370, abs=1e-3)
    assert wilson_interval(0, 0) == (0.0, 1.0)


def test_prevalence_threshold_structured_vs_text():
    values = ["abc"] * 199 + ["x@example.com"]
    df = pd.DataFrame({"code": values, "comment": [v + " " + " ".join(["word"] * 6) for v in values]})
    part = scan_pii_partition(df, plan_columns(df), sample_rows=1000, ner_model=None)
    checks, findings = pii_checks(merge_pii([part]), min_prevalence=0.05, ner_available=False)
    code = column_check(checks, "code")
    assert code.outcome == Outcome.PASS and code.details["entities"] == {}
    assert code.details["below_threshold"]["EMAIL_ADDRESS"]["count"] == 1
    assert column_check(checks, "comment").outcome == Outcome.WARN  # text: any hit
    assert [f.location["column"] for f in findings] == ["comment"]


def test_ner_check():
    result = merge_pii([PiiPartial(columns={"a": ColumnPii(kind="structured")}, rows=0)])
    checks, _ = pii_checks(result, min_prevalence=0.05, ner_available=False)
    ner = checks[-1]
    assert ner.id == "data.pii.ner" and ner.outcome == Outcome.INCONCLUSIVE
    assert ner.message.startswith("PERSON/LOCATION/NRP detection was not run: no NER model installed or configured")
    result.ner_model = "en_core_web_sm"
    ner_ok = pii_checks(result, min_prevalence=0.05, ner_available=True)[0][-1]
    assert ner_ok.outcome == Outcome.PASS and "en_core_web_sm" in ner_ok.message
    assert column_check(checks, "a").outcome == Outcome.PASS


def test_direct_identifiers():
    assert {
        "EMAIL_ADDRESS",
        "PHONE_NUMBER",
        "VN_PHONE",
        "VN_CCCD",
        "VN_CMND",
        "VN_TAX_CODE",
        "US_SSN",
        "CREDIT_CARD",
        "IBAN_CODE",
        "PERSON",
    } <= DIRECT_IDENTIFIERS
    assert "DATE_TIME" not in DIRECT_IDENTIFIERS and "URL" not in DIRECT_IDENTIFIERS


def test_unix_times_in_a_time_column_are_explained_not_counted(shared_data):
    """Unix times match phone, tax-code and NHS patterns by their digits; in a column named as a time where
    every value is one, the check passes with the counts kept and the reason given. The same numbers under
    another name, or phone numbers under a time name, still warn."""
    reviews = pd.read_csv(
        shared_data / "ecommerce" / "Musical_instruments_reviews.csv", header=None, usecols=[7], nrows=800
    )
    times = reviews[7]
    phones = pd.Series([vn_phone(random.Random(i)) for i in range(len(times))])
    df = pd.DataFrame({"unixReviewTime": times, "customer_ref": times, "contact_time": phones})
    part = scan_pii_partition(df, plan_columns(df), sample_rows=400, ner_model=None)
    checks, findings = pii_checks(merge_pii([part]), min_prevalence=0.05, ner_available=False)
    by_id = {c.id: c for c in checks}
    explained = by_id["data.pii.column.unixReviewTime"]
    assert explained.outcome == Outcome.PASS and "are Unix times" in explained.message
    assert "PHONE_NUMBER" in explained.details["explained"] and explained.details["entities"] == {}
    assert any(m.name == "PHONE_NUMBER.count" and m.value > 100 for m in explained.metrics)
    assert by_id["data.pii.column.customer_ref"].outcome == Outcome.WARN
    assert by_id["data.pii.column.contact_time"].outcome == Outcome.WARN
    assert {f.location["column"] for f in findings} == {"customer_ref", "contact_time"}


def test_datasheet_pii_declarations(shared_data):
    """A column declared personal data is one whatever the scan finds (and a Unix-time column declared so is
    not explained away); a column declared not personal data keeps what the scan finds, flagged as a
    disagreement; the anonymized copy replaces a declared column's values whole."""
    reviews = pd.read_csv(
        shared_data / "ecommerce" / "Musical_instruments_reviews.csv", header=None, usecols=[0, 7], nrows=300
    )
    df = pd.DataFrame(
        {
            "customer_ref": reviews[0],
            "event_time": reviews[7],
            "email": [f"khach{i}@example.vn" for i in range(len(reviews))],
            "note": ["the order arrived late but works well"] * len(reviews),
        }
    )
    part = scan_pii_partition(df, plan_columns(df), sample_rows=300, ner_model=None)
    declared = {"customer_ref": True, "event_time": True, "email": False, "note": False}
    checks, findings = pii_checks(merge_pii([part]), min_prevalence=0.05, ner_available=False, declared=declared)
    by_id = {c.id.removeprefix("data.pii.column."): c for c in checks}
    assert by_id["customer_ref"].outcome == Outcome.WARN and by_id["customer_ref"].details["declared_pii"] is True
    assert "declared personal data in the datasheet" in by_id["customer_ref"].message
    assert by_id["event_time"].outcome == Outcome.WARN and "explained" not in by_id["event_time"].details
    assert by_id["email"].outcome == Outcome.WARN and "declares it not personal data" in by_id["email"].message
    assert by_id["note"].outcome == Outcome.PASS
    severity = {f.location["column"]: f.severity for f in findings}
    assert severity["customer_ref"] == Severity.HIGH and "is declared personal data" in next(
        f.message for f in findings if f.location["column"] == "customer_ref"
    )
    without = pii_checks(merge_pii([part]), min_prevalence=0.05, ner_available=False)[0]
    assert next(c for c in without if c.id.endswith(".customer_ref")).outcome == Outcome.PASS

    anon = anonymize_frame(df, plan_columns(df), salt=SALT, whole={"customer_ref", "note"})
    assert not set(anon["customer_ref"]) & set(df["customer_ref"])
    assert anon["customer_ref"].nunique() == df["customer_ref"].nunique()  # stable: joins survive
    assert anon["note"].tolist() == df["note"].tolist()  # free text is never replaced whole
