"""The anonymized copy: per-column rules, typed placeholders and stable salted pseudonyms, sentence joins
left alone, a re-scan that finds what is left, and the share of cells changed."""

from __future__ import annotations

import json
import logging
import random
import re

import pandas as pd
import pytest
import yaml
from presidio_analyzer.predefined_recognizers import UrlRecognizer

from govgate.checks.pii import (
    analyze_cells,
    anonymize_frame,
    build_analyzer,
    merge_pii,
    pii_checks,
    plan_columns,
    scan_pii_partition,
)
from govgate.checks.pii.anonymize import changed_cells
from govgate.checks.pii.copy_checks import copy_check, rescan_check
from govgate.checks.pii.copy_rules import copy_rules
from govgate.checks.pii.rescan import merge_rescans, rescan_frame
from govgate.datasheet import Datasheet, load_datasheet
from govgate.errors import InputError
from govgate.record import Outcome
from tests.checks.pii.helpers import SALT, vn_phone
from tests.checks.pii.prose import make_reviews


def test_anonymize_frame_is_stable_and_leaves_no_raw_emails(frame):
    df, planted = frame
    df = pd.concat([df.head(20), df.head(20)], ignore_index=True)  # every value twice
    anon = anonymize_frame(df, plan_columns(df), salt=SALT)
    assert anon.shape == df.shape and list(anon.columns) == list(df.columns)
    assert anon["email"].iloc[3] == anon["email"].iloc[23] != df["email"].iloc[3]
    assert anon["phone"].iloc[5] == anon["phone"].iloc[25] != df["phone"].iloc[5]
    assert anon["email"].nunique() == df["email"].nunique()  # joins survive
    text = anon.to_csv()
    assert "@" not in text
    for value in [*planted["email"][:20], *planted["phone"][:20], *planted["cccd"][:20]]:
        assert value not in text
    assert anon["note"].iloc[0] == df["note"].iloc[0]  # no PII: unchanged
    assert anon["quantity"].tolist() == df["quantity"].tolist() and anon["price"].tolist() == df["price"].tolist()
    again = anonymize_frame(df, plan_columns(df), salt=SALT)
    assert again.equals(anon)
    other = anonymize_frame(df, plan_columns(df), salt=SALT + "x")
    assert other["email"].iloc[0] != anon["email"].iloc[0]
    with pytest.raises(InputError, match="16 bytes"):
        anonymize_frame(df, plan_columns(df), salt="short")
    assert anon["email"].str.fullmatch(r"[a-z]{24}").all()


def test_anonymized_copy_reviews_clean(frame):
    df, _ = frame
    anon = anonymize_frame(df, plan_columns(df), salt=SALT)
    again = scan_pii_partition(anon, plan_columns(anon), sample_rows=1000, ner_model=None)
    assert {name: col.counts for name, col in again.columns.items() if col.counts} == {}


# --------------------------------------------------------------------------------------------------------
# per-column rules, sentence joins, re-scan (generated prose: runs without ../shared/data)


def _review_checks(df: pd.DataFrame, declared: dict[str, bool] | None = None):
    """The review's PII checks of ``df``, as the data-review flow computes them."""
    plan = plan_columns(df, {"summary": "text"} if "summary" in df.columns else {})  # as the datasheets declare
    part = scan_pii_partition(df, plan, sample_rows=1000, ner_model=None)
    checks, _ = pii_checks(merge_pii([part]), min_prevalence=0.05, ner_available=False, declared=declared)
    return plan, checks


def _sheet(**anonymization) -> Datasheet:
    columns = [{"name": "reviewerID", "type": "id"}, {"name": "reviewText", "type": "text"}]
    return Datasheet.model_validate({"columns": columns, "anonymization": anonymization})


@pytest.mark.parametrize(
    ("text", "join"),
    [
        ("had expected.As an added bonus", True),
        ("cheap cable.so far", True),
        ("expected.Asking price", True),
        ("strings...you will", True),
        ("really disappointed.CONSTRUCTION is poor", True),
        ("see amazon.com for more", False),
        ("from Amazon.com.", False),
        ("go to www.example.it today", False),
        ("https://bit.ly/x.It now", False),
        ("soundcloud.com/ljaymusic.", False),
        ("AMAZON.COM rocks", False),
    ],
)
def test_sentence_joins_are_not_urls(analyzer, text, join):
    found = [r for r in analyze_cells(analyzer, [text])[0] if r.entity_type == "URL"]
    assert (not found) is join, (text, found)
    stock = UrlRecognizer().analyze(text, ["URL"])  # Presidio's own recognizer takes all of them
    assert stock


def test_prose_copy_keeps_sentences_and_replaces_planted_pii():
    df, planted = make_reviews()
    plan, checks = _review_checks(df)
    rules = copy_rules(plan, checks, _sheet())
    assert {n: r.treatment for n, r in rules.columns.items()} == {
        "reviewerID": "identifier",  # declared type id
        "reviewerName": "keep",  # no identifier pattern, not declared
        "reviewText": "entities",
        "summary": "entities",
        "reviewTime": "keep",  # a date column
        "unixReviewTime": "keep",
    }
    anon = anonymize_frame(df, rules, salt=SALT)
    changed = anon["reviewText"] != df["reviewText"]
    clean = ~df.index.isin(planted["pii_rows"])
    assert changed[clean].mean() < 0.05 and not changed[clean].any()  # joins and links left readable
    assert changed[~clean].all()
    text = "\n".join(anon["reviewText"])
    assert all(join in text for join in planted["joins"]) and all(link in text for link in planted["links"])
    assert not any(value in text for value in planted["values"])
    assert "<EMAIL_ADDRESS>" in text and "<VN_PHONE>" in text  # typed placeholders
    assert anon["reviewTime"].equals(df["reviewTime"]) and anon["unixReviewTime"].equals(df["unixReviewTime"])
    assert anon["reviewerID"].str.fullmatch(r"[a-z]{24}").all()
    assert anon["reviewerID"].nunique() == df["reviewerID"].nunique()

    # links turned on, names declared: URLs go, and a reviewer signing the summary is replaced there too
    sheet = _sheet(text_also=["URL"], columns={"reviewerName": "identifier"})
    rules = copy_rules(plan, checks, sheet)
    anon = anonymize_frame(df, rules, salt=SALT)
    text = "\n".join(anon["reviewText"])
    assert not any(link in text for link in planted["links"]) and "<URL>" in text
    assert all(join in text for join in planted["joins"])
    for i in planted["signed_rows"]:
        assert df["reviewerName"][i] not in anon["summary"][i] and "<IDENTIFIER>" in anon["summary"][i]
    assert anon["summary"][0] == df["summary"][0]


def test_rules_follow_the_datasheet_and_the_review():
    df, _ = make_reviews(rows=120)
    df["email"] = [f"k{i}@example.vn" if i % 4 else "none" for i in range(len(df))]  # 75% e-mails
    df["contact"] = [f"k{i}@example.vn" if i % 10 == 0 else "none" for i in range(len(df))]  # 10%
    plan, checks = _review_checks(df)
    rules = copy_rules(plan, checks, _sheet())
    why = {n: (r.treatment, r.reason) for n, r in rules.columns.items()}
    assert why["email"] == ("identifier", "EMAIL_ADDRESS in 75% of values (mostly PII)")
    assert rules.columns["email"].entity == "EMAIL_ADDRESS"
    assert why["contact"][0] == "entities"  # some PII: replaced where found, the rest kept
    assert why["unixReviewTime"][0] == "keep" and why["reviewTime"][0] == "keep"

    strict = copy_rules(
        plan,
        checks,
        _sheet(identifier_operator="placeholder", identifier_min_share=0.05, columns={"reviewTime": "identifier"}),
    )
    anon = anonymize_frame(df, strict, salt=SALT)
    assert set(anon["email"]) == {"<EMAIL_ADDRESS>"} and set(anon["contact"]) == {"<EMAIL_ADDRESS>"}
    assert set(anon["reviewTime"]) == {"<IDENTIFIER>"}  # declared: even a date column is replaced
    only_phones = copy_rules(plan, checks, _sheet(text_entities=["VN_PHONE"]))
    assert only_phones.replaces("VN_PHONE") and not only_phones.replaces("EMAIL_ADDRESS")
    with pytest.raises(InputError, match=r"anonymization.columns names column\(s\) \['nope'\]"):
        copy_rules(plan, checks, _sheet(columns={"nope": "keep"}))


@pytest.mark.parametrize(
    ("anonymization", "problem"),
    [
        ({"text_entitys": ["PERSON"]}, "anonymization.text_entitys: unknown key"),
        ({"text_also": ["url"]}, "not entity type names"),
        ({"text_operator": "hash"}, "anonymization.text_operator"),
        ({"identifier_min_share": 0}, "anonymization.identifier_min_share"),
        ({"columns": {"reviewTime": "drop"}}, "anonymization.columns.reviewTime"),
        ("yes", "expected a mapping: text_entities"),
    ],
)
def test_datasheet_anonymization_section_is_strict(tmp_path, anonymization, problem):
    path = tmp_path / "sheet.yaml"
    path.write_text(yaml.safe_dump({"name": "x", "anonymization": anonymization}))
    with pytest.raises(InputError, match=re.escape(problem)):
        load_datasheet(path)


def test_rescan_fails_on_pii_left_and_keeps_only_redacted_examples():
    df, planted = make_reviews(rows=200)
    plan, checks = _review_checks(df)
    rules = copy_rules(plan, checks, _sheet())
    anon = anonymize_frame(df, rules, salt=SALT)
    left = rescan_frame(anon, rules, ner_model=None, key=SALT.encode())
    passed = rescan_check(left, rules)
    assert passed.outcome == Outcome.PASS and passed.metrics[0].value == 0
    assert passed.details["columns"]["reviewText"]["kept_by_rule"].get("URL", 0) >= 1  # counted, not failed

    # what a detector missed while writing (or a copy made another way) is found again
    leaked = anon.copy()
    leaked.loc[3, "reviewText"] += " call 0912345678"
    leaked.loc[5, "reviewerID"] = "x.y@example.vn"
    halves = [rescan_frame(leaked.iloc[:100], rules, ner_model=None, key=b"k" * 16)]
    halves.append(rescan_frame(leaked.iloc[100:], rules, ner_model=None, key=b"k" * 16))
    failed = rescan_check(merge_rescans(halves), rules)
    assert failed.outcome == Outcome.FAIL and failed.metrics[0].value == 2
    per_column = {m.name: m.value for m in failed.metrics}
    assert per_column["reviewText.cells_with_pii_left"] == 1 and per_column["reviewerID.cells_with_pii_left"] == 1
    evidence = json.dumps(failed.model_dump(mode="json"))
    assert "0912345678" not in evidence and "x.y@example.vn" not in evidence
    assert "<VN_PHONE>" in evidence and "<EMAIL_ADDRESS> hmac-sha256:" in evidence


def test_copy_check_records_the_share_of_cells_changed_per_column():
    df, planted = make_reviews(rows=200)
    plan, checks = _review_checks(df)
    rules = copy_rules(plan, checks, _sheet())
    changed = changed_cells(df, anonymize_frame(df, rules, salt=SALT))
    check = copy_check("s3://b/anon.parquet", "ab" * 32, 200, 200, rules, changed)
    shares = {m.name: m.value for m in check.metrics}
    assert check.outcome == Outcome.PASS
    assert shares["reviewerID.changed_share"] == 1.0 and shares["reviewTime.changed_share"] == 0.0
    assert shares["reviewText.changed_share"] == pytest.approx(len(planted["pii_rows"]) / 200)
    assert check.details["columns"]["reviewTime"]["rule"] == "keep"
    assert SALT not in json.dumps(check.model_dump(mode="json"))
    assert copy_check("u", "ab" * 32, 200, 150, rules, changed).outcome == Outcome.FAIL  # rows lost


def test_ner_labels_no_recognizer_uses_are_ignored_not_logged(tmp_path, caplog):
    """A spaCy pipeline (an entity ruler saved to a folder) that tags PRODUCT, CARDINAL, ORG and PERSON:
    Presidio maps what it knows, ignores the rest through its configuration, and logs nothing per hit."""
    import spacy

    nlp = spacy.blank("en")
    ruler = nlp.add_pipe("entity_ruler")
    ruler.add_patterns(
        [
            {"label": "PRODUCT", "pattern": "Fender"},
            {"label": "CARDINAL", "pattern": "three"},
            {"label": "ORG", "pattern": "Acme"},
            {"label": "PERSON", "pattern": "Jake Miller"},
        ]
    )
    nlp.to_disk(tmp_path / "ruler")
    analyzer = build_analyzer(str(tmp_path / "ruler"))[0]
    with caplog.at_level(logging.WARNING):
        found = analyze_cells(analyzer, ["Jake Miller bought three Fender strings from Acme."] * 50)
    assert {r.entity_type for r in found[0]} == {"PERSON", "ORGANIZATION"}
    assert not [r for r in caplog.records if "is not mapped" in r.getMessage()]
    df = pd.DataFrame({"note": ["Jake Miller bought three Fender strings from Acme."] * 3})
    anon = anonymize_frame(df, plan_columns(df), salt=SALT, ner_model=str(tmp_path / "ruler"))
    assert anon["note"][0] == "<PERSON> bought three Fender strings from Acme."  # brands (ORG) stay


def test_reviews_file_copy_keeps_readable_sentences(shared_data):
    """The shared e-commerce reviews: fewer than 5% of review texts change, none of them for a sentence join."""
    cols = [
        "reviewerID",
        "asin",
        "reviewerName",
        "helpful",
        "reviewText",
        "overall",
        "summary",
        "unixTime",
        "reviewTime",
    ]
    df = pd.read_csv(shared_data / "ecommerce" / "Musical_instruments_reviews.csv", header=None, names=cols)
    plan, checks = _review_checks(df)
    rules = copy_rules(plan, checks, _sheet())
    anon = anonymize_frame(df, rules, salt=SALT)
    changed = anon["reviewText"].notna() & (anon["reviewText"] != df["reviewText"])
    assert changed.sum() / df["reviewText"].notna().sum() < 0.05, changed.sum()
    contact = df["reviewText"].fillna("").str.contains(r"@|\d{3}", regex=True)
    assert not (changed & ~contact).any()  # only texts with an e-mail address or a number change
    if "expected.As an added bonus" in str(df["reviewText"][1]):  # the real file (CI), not its stand-in
        assert changed.sum() < 10  # its texts with an e-mail address or phone number (1,060 before joins were fixed)
        assert anon["reviewText"][1] == df["reviewText"][1]
        assert anon["asin"].equals(df["asin"])  # the stand-in's random product codes may look like ids
    assert anon["reviewTime"].equals(df["reviewTime"])
    left = rescan_frame(anon, rules, ner_model=None, key=SALT.encode())
    assert rescan_check(left, rules).outcome == Outcome.PASS


def test_free_text_whose_entity_types_add_up_to_mostly_pii_is_replaced_whole(tmp_path):
    """An address-like text column: e-mail in 40% of rows, a phone in another 40%. No one type reaches
    half the rows, together they do: judged on the first rows, the column is an identifier."""
    rng = random.Random(3)
    notes = []
    for i in range(200):
        extra = f"mail k{i}@example.vn" if i % 5 < 2 else (f"call {vn_phone(rng)}" if i % 5 < 4 else "no contact")
        notes.append(f"Lot {i} Nguyen Trai street, ward {i % 9}, {extra}")
    df = pd.DataFrame({"contact_note": notes})
    plan, checks = _review_checks(df)
    assert plan["contact_note"] == "text"
    sheet = Datasheet()
    assert copy_rules(plan, checks, sheet).columns["contact_note"].treatment == "entities"  # by type: 40%
    rules = copy_rules(plan, checks, sheet, sample=df)
    rule = rules.columns["contact_note"]
    assert (rule.treatment, rule.reason) == ("identifier", "PII in 80% of 200 sampled values (mostly PII)")
    anon = anonymize_frame(df, rules, salt=SALT)
    assert anon["contact_note"].str.fullmatch(r"[a-z]{24}").all()  # the street goes too
    strict = Datasheet.model_validate({"anonymization": {"identifier_min_share": 0.9}})
    assert copy_rules(plan, checks, strict, sample=df).columns["contact_note"].treatment == "entities"


def test_rescan_does_not_take_pseudonyms_for_names(tmp_path):
    """NER reads random letters as names; a model that tags every 24-letter word PERSON stands in for it.
    A pseudonym in an identifier column is not analysed again; a raw value there still is."""
    import spacy

    nlp = spacy.blank("en")
    nlp.add_pipe("entity_ruler").add_patterns([{"label": "PERSON", "pattern": [{"TEXT": {"REGEX": "^[a-z]{24}$"}}]}])
    nlp.to_disk(tmp_path / "names")
    model = str(tmp_path / "names")
    df, _ = make_reviews(rows=60)
    plan, checks = _review_checks(df)
    rules = copy_rules(plan, checks, _sheet())
    anon = anonymize_frame(df, rules, salt=SALT)
    assert analyze_cells(build_analyzer(model)[0], [anon["reviewerID"][0]])[0][0].entity_type == "PERSON"
    assert rescan_check(rescan_frame(anon, rules, ner_model=model, key=b"k" * 16), rules).outcome == Outcome.PASS
    anon.loc[2, "reviewerID"] = "x.y@example.vn"
    failed = rescan_check(rescan_frame(anon, rules, ner_model=model, key=b"k" * 16), rules)
    assert failed.outcome == Outcome.FAIL and failed.details["columns"]["reviewerID"]["entities"] == {
        "EMAIL_ADDRESS": 1
    }
