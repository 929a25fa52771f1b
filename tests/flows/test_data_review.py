"""The data-review flow end to end: real Prefect server (harness), S3 on moto's server, SQLite MLflow,
real Presidio, detect-secrets and Great Expectations."""

from __future__ import annotations

import json

import pandas as pd
import pytest
import yaml

from flows.data_review import data_review
from flows.runner import run_flow
from govgate import demo_data
from govgate.store import open_store


@pytest.fixture
def demo_inputs(tmp_path):
    return demo_data.write_demo_inputs(tmp_path / "demo", n=1500)


def _record(store, result) -> dict:
    key = result["record_uri"].split(f"s3://{store.bucket}/{store.prefix}", 1)[1]
    return json.loads(store.get_bytes(key))


def test_planted_secret_and_pii_fail_the_review_without_leaking(prefect_harness, s3_settings, demo_inputs):
    data, sheet = demo_inputs
    result = run_flow(data_review, dataset=str(data), datasheet=str(sheet), chunk_rows=400)
    store = open_store(s3_settings)
    record = _record(store, result)
    outcomes = {c["id"]: c["outcome"] for c in record["checks"]}

    assert result["decision"] == "fail"
    assert outcomes["data.secrets.officer_notes"] == "fail"
    assert record["decision"]["reasons"][0].startswith("data.secrets.officer_notes")
    for column, entity in [("email", "EMAIL_ADDRESS"), ("phone", "VN_PHONE"), ("national_id", "VN_CCCD")]:
        check = next(c for c in record["checks"] if c["id"] == f"data.pii.column.{column}")
        assert check["outcome"] == "warn" and entity in check["details"]["entities"], check
        assert check["details"]["declared_pii"] is True  # the datasheet's pii: true reaches the record
    assert outcomes["data.pii.column.monthly_income"] == "pass"
    assert outcomes["data.pii.ner"] == "inconclusive"  # no NER model configured: said, not silently passed
    assert outcomes["data.legal_basis.direct_identifiers"] == "pass"  # legal basis 'contract' is recorded
    assert outcomes["data.datasheet.required_fields"] == "pass"
    assert outcomes["data.sensitive.declared.sex"] == "pass"
    assert any(k.startswith("data.quality.") for k in outcomes)
    assert record["subject"]["attributes"]["rows"] == 1500
    assert record["subject"]["inputs"][0]["sha256"] and record["parameters"]["chunk_rows"] == 400

    # never raw PII or secrets in the evidence
    frame = pd.read_csv(data)
    everything = "".join(
        store.get_bytes(i.key).decode()
        for i in store.list(result["record_uri"].rsplit("/", 1)[0].split(store.prefix, 1)[1])
    )
    assert demo_data._FAKE_SECRET not in everything and demo_data._FAKE_KEY_ID not in everything
    for value in list(frame["email"][:50]) + list(frame["national_id"][:50]) + list(frame["phone"][:50]):
        assert str(value) not in everything
    assert "## Personal data (measured)" in everything  # the generated datasheet is among the evidence
    assert "| national_id | string | CCCD citizen ID | True |   | yes |" in everything  # declared, beside measured
    # temporary partitions are gone
    assert list(store.list("tmp/")) == []


def test_redacted_copy_is_written_and_passes_review(prefect_harness, s3_settings, demo_inputs, tmp_path):
    data, sheet = demo_inputs
    first = run_flow(data_review, dataset=str(data), datasheet=str(sheet), redact=True, chunk_rows=500)
    store = open_store(s3_settings)
    record = _record(store, first)
    (copy,) = [a for a in record["artifacts"] if a["name"] == "anonymized-copy"]
    assert copy["uri"] == first["anonymized_copy"] and "/anonymized/" in copy["uri"]
    key = copy["uri"].split(f"s3://{store.bucket}/{store.prefix}", 1)[1]
    assert store.head(key).sha256 == copy["sha256"]
    anon = pd.read_parquet(store.download(key, tmp_path / "anon.parquet"))
    original = pd.read_csv(data)
    assert len(anon) == len(original)
    assert not set(anon["email"]) & set(original["email"])
    assert anon["email"].nunique() == original["email"].nunique()  # stable pseudonyms keep joins
    assert not anon["officer_notes"].str.contains(demo_data._FAKE_SECRET, regex=False).any()

    # the anonymized copy, reviewed with its own datasheet, passes (low tier: NER inconclusive only warns)
    anon_sheet = yaml.safe_load(sheet.read_text())
    anon_sheet.update(name="demo-credit-applications-anonymized", tier="low")
    sheet2 = tmp_path / "anon.yaml"
    sheet2.write_text(yaml.safe_dump(anon_sheet))
    second = run_flow(data_review, dataset=copy["uri"], datasheet=str(sheet2))
    assert second["decision"] == "pass", _record(store, second)["decision"]


def test_bad_input_fails_the_run_and_records_an_error(prefect_harness, s3_settings, tmp_path):
    bad = tmp_path / "shop.csv"
    bad.write_text("email,amount\nx@example.com,3\n")
    sheet = tmp_path / "sheet.yaml"
    sheet.write_text("name: shop\ncolumns: [{name: email}, {name: rating}]\n")
    state = data_review(dataset=str(bad), datasheet=str(sheet), return_state=True)
    assert state.is_failed()
    assert "shop.csv: column(s) ['rating'] named in the datasheet do not exist" in state.message
    store = open_store(s3_settings)
    (key,) = [i.key for i in store.list("evidence/") if i.key.endswith("record.json")]
    record = json.loads(store.get_bytes(key))
    assert record["decision"]["outcome"] == "error"
    assert "column(s) ['rating']" in record["decision"]["reasons"][0]
    assert store.exists(key.replace("record.json", "manifest.json"))


def test_missing_s3_key_fails_clearly(prefect_harness, s3_settings):
    bucket = s3_settings.effective_store_url.split("/")[2]
    state = data_review(dataset=f"s3://{bucket}/raw/nothing.csv", return_state=True)
    assert state.is_failed() and f"s3://{bucket}/raw/nothing.csv does not exist" in state.message


def test_reviews_file_from_shared_data(prefect_harness, s3_settings, shared_data, tmp_path):
    """The shared e-commerce reviews (no header row, real reviewer names, free text)."""
    cols = [
        "reviewerID",
        "asin",
        "reviewerName",
        "helpful",
        "reviewText",
        "overall",
        "summary",
        "unixReviewTime",
        "reviewTime",
    ]
    sheet = tmp_path / "reviews.yaml"
    sheet.write_text(
        yaml.safe_dump(
            {
                "name": "musical-instrument-reviews",
                "owner": "shop-data",
                "source": "Amazon 5-core export",
                "collection_method": "public reviews",
                "purpose": "helpfulness model",
                "legal_basis": "legitimate_interests",
                "retention": "P1Y",
                "format": {"header": False},
                "columns": [{"name": c, "type": "text" if c in ("reviewText", "summary") else None} for c in cols],
                "expectation_suites": ["ecommerce_reviews"],
            }
        )
    )
    result = run_flow(
        data_review,
        dataset=str(shared_data / "ecommerce" / "Musical_instruments_reviews.csv"),
        datasheet=str(sheet),
        chunk_rows=2000,
    )
    record = _record(open_store(s3_settings), result)
    ids = {c["id"] for c in record["checks"]}
    assert {"data.pii.column.reviewText", "data.secrets.reviewText", "data.pii.ner"} <= ids
    assert record["subject"]["attributes"]["rows"] == 5050
    assert any(c["id"].startswith("data.quality.ecommerce_reviews") for c in record["checks"])


def test_consent_not_obtained_for_personal_data_is_a_finding(prefect_harness, s3_settings, demo_inputs):
    """consent: {obtained: false} over columns with personal data fails the consent check with a finding
    (consent as the basis); the generated datasheet prints the consent as words, not a Python dict."""
    data, sheet_path = demo_inputs
    sheet = yaml.safe_load(sheet_path.read_text())
    sheet.update(legal_basis="consent", consent={"obtained": False, "mechanism": "web form, never sent"})
    sheet_path.write_text(yaml.safe_dump(sheet))
    result = run_flow(data_review, dataset=str(data), datasheet=str(sheet_path), chunk_rows=1000)
    store = open_store(s3_settings)
    record = _record(store, result)
    check = next(c for c in record["checks"] if c["id"] == "data.datasheet.consent_personal_data")
    assert check["outcome"] == "fail" and {"email", "phone", "national_id"} <= set(check["details"]["columns"])
    assert (check["threshold"]["metric"], check["threshold"]["op"], check["threshold"]["value"]) == (
        "columns_with_personal_data",
        "==",
        0,
    )
    finding = next(f for f in record["findings"] if f["id"] == "datasheet.consent.not_obtained")
    assert finding["severity"] == "high" and "email" in finding["location"]["columns"]
    assert result["decision"] == "fail"
    key = result["record_uri"].split(f"s3://{store.bucket}/{store.prefix}", 1)[1]
    datasheet_md = store.get_bytes(key.rsplit("/", 1)[0] + "/datasheet.md").decode()
    consent_row = next(line for line in datasheet_md.splitlines() if line.startswith("| consent |"))
    assert consent_row == "| consent | **not obtained**; mechanism: web form, never sent |"
    assert "data.datasheet.consent_personal_data" in datasheet_md and "{'obtained'" not in datasheet_md


def test_a_text_file_counts_one_pem_key_once_at_its_line_and_blank_lines_are_no_duplicates(
    prefect_harness, s3_settings, tmp_path
):
    from tests.checks.secrets.helpers import BEGIN, END, PEM_LINES

    token = "gh" + "p_" + "a1B2c3D4e5F6g7H8i9J0k1L2m3N4o5P6q7R8"
    lines = ["import os", "", "", "KEY = '''", BEGIN, *PEM_LINES, END, "'''", "", "", f"TOKEN = '{token}'", ""]
    lines += ["import os"]  # the one repeated line (the blank ones are layout)
    path = tmp_path / "deploy.py"
    path.write_text("\n".join(lines) + "\n")
    result = run_flow(data_review, dataset=str(path), chunk_rows=100)
    record = _record(open_store(s3_settings), result)
    checks = {c["id"]: c for c in record["checks"]}
    assert checks["data.secrets.line"]["details"]["secrets_by_type"] == {"GitHub Token": 1, "Private Key": 1}
    where = {f["message"].split(" in ")[0]: f["location"] for f in record["findings"] if f["category"] == "secret"}
    assert where["1 Private Key(s)"]["lines"] == str(lines.index(BEGIN) + 1)  # 1-based: the BEGIN line
    assert where["1 GitHub Token(s)"]["lines"] == str(lines.index(f"TOKEN = '{token}'") + 1)
    assert checks["data.quality.duplicate_rows"]["metrics"][0]["value"] == 1
    duplicate = next(f for f in record["findings"] if f["id"] == "quality.duplicate_rows")
    assert duplicate["location"] == {"lines": str(len(lines))} and duplicate["examples"] == [
        f"line {len(lines)} duplicates line 1"
    ]
    assert token not in json.dumps(record) and PEM_LINES[0] not in json.dumps(record)


def test_the_datasets_intake_tier_wins_and_is_never_lowered_by_hand(prefect_harness, s3_settings, tmp_path):
    from govgate import protocol
    from govgate.gate import build_record
    from govgate.policy import load_policy
    from govgate.publish import publish
    from govgate.record import AssetKind, Decision, DecisionOutcome, Subject, utcnow
    from govgate.tracking import Tracker

    data = tmp_path / "shop.csv"
    data.write_text("order,amount\n1,3\n2,4\n")
    sheet = tmp_path / "shop.yaml"
    sheet.write_text("name: shop-orders\ntier: low\ncolumns: [{name: order}, {name: amount}]\n")
    intake = build_record(
        gate=protocol.INTAKE,
        subject=Subject(kind=AssetKind.DATASET, id="shop-orders"),
        policy=load_policy(s3_settings.policy),
        tier="high",
        started_at=utcnow(),
        checks=[],
        decision=Decision(outcome=DecisionOutcome.PASS),
        outputs={protocol.OUTPUT_RISK_TIER: {"tier": "high", "reason": "Annex III point 5"}},
    )
    publish(intake, store=open_store(s3_settings), tracker=Tracker.from_settings(s3_settings))
    result = run_flow(data_review, dataset=str(data), datasheet=str(sheet))
    assert _record(open_store(s3_settings), result)["policy"]["tier"] == "high"  # not the datasheet's low
    state = data_review(dataset=str(data), datasheet=str(sheet), tier="medium", return_state=True)
    assert state.is_failed() and "dataset shop-orders: tier 'medium' is lower than 'high'" in state.message
