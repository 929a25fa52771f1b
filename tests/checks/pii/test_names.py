"""Person names in structured columns without NER (COMPAS-like name/first/last columns), and messages that
never say "no PII" for an entity type that was not looked for."""

from __future__ import annotations

import json
import random

import pandas as pd

from govgate.checks.pii import DIRECT_IDENTIFIERS, merge_pii, pii_checks, plan_columns, scan_pii_partition
from govgate.checks.pii.names import LIKELY_PERSON_NAME, named_as_person_name
from govgate.record import Outcome, Severity

FIRST = "miguel kevon ed marsha edward steven elizabeth bo benjamin kortney jarrod linh".split()
LAST = "hernandez dixon philo miles riddle marsh harlow kimber santos nguyen tran okafor".split()


def _people(rows: int = 300) -> pd.DataFrame:
    rng = random.Random(11)
    first = [rng.choice(FIRST) + rng.choice(["", "a", "o", "y"]) for _ in range(rows)]
    last = [rng.choice(LAST) + rng.choice(["", "s", "er", "son"]) for _ in range(rows)]
    return pd.DataFrame(
        {
            "id": range(rows),
            "name": [f"{a} {b}" for a, b in zip(first, last)],  # lower case, as in ProPublica's export
            "first": first,
            "last": last,
            "defendant": [f"{a.title()} {b.title()}" for a, b in zip(first, last)],
            "c_charge_degree": [rng.choice("FM") for _ in range(rows)],
            "race": [rng.choice(["African-American", "Caucasian", "Hispanic", "Other"]) for _ in range(rows)],
            "city": [rng.choice(["Hanoi", "Da Nang", "Ho Chi Minh City"]) for _ in range(rows)],
            "product_name": [
                f"{rng.choice(['Fender', 'Gibson'])} {rng.choice(['Strat', 'Les Paul'])}" for _ in range(rows)
            ],
        }
    )


def test_names_in_structured_columns_are_likely_person_names_without_ner():
    df = _people()
    part = scan_pii_partition(df, plan_columns(df), sample_rows=200, ner_model=None)
    checks, findings = pii_checks(merge_pii([part]), min_prevalence=0.05, ner_available=False)
    by = {c.id.removeprefix("data.pii.column."): c for c in checks if c.id.startswith("data.pii.column.")}
    for column in ("name", "first", "last", "defendant"):
        check = by[column]
        assert check.outcome == Outcome.WARN, (column, check.message)
        assert "likely person names (not verified by NER)" in check.message
        assert check.details["entities"][LIKELY_PERSON_NAME]["verified"] is False
    assert "the column's name says name" in by["name"].message
    assert "capitalised" in by["defendant"].message  # found by shape alone
    for column in ("c_charge_degree", "race", "city", "product_name"):
        assert by[column].outcome == Outcome.PASS, (column, by[column].message)
        assert "no PII" not in by[column].message and "not checked: person names" in by[column].message
    assert (
        by["id"].outcome == Outcome.PASS and by["id"].message == "no PII in 200 sampled values"
    )  # numbers hold no names
    assert LIKELY_PERSON_NAME in DIRECT_IDENTIFIERS  # the legal-basis rule applies to them
    named = {f.location["column"]: f for f in findings}
    assert set(named) == {"name", "first", "last", "defendant"}
    assert all(f.severity == Severity.HIGH for f in named.values())
    dumped = json.dumps([c.model_dump(mode="json") for c in checks] + [f.model_dump(mode="json") for f in findings])
    assert not any(value in dumped for value in df["name"]) and not any(f" {v}" in dumped for v in df["defendant"])


def test_a_column_name_says_person_name_only_with_person_words():
    for column in ("name", "first", "last", "full_name", "FirstName", "reviewerName", "ho_ten", "ten", "customer name"):
        assert named_as_person_name(column), column
    for column in ("product_name", "file_name", "first_seen", "last_login", "c_charge_degree", "hostname"):
        assert not named_as_person_name(column), column


def test_with_ner_a_clean_column_says_what_was_checked_without_the_caveat():
    df = pd.DataFrame({"amount_band": ["low", "mid", "high"] * 20})
    part = scan_pii_partition(df, plan_columns(df), sample_rows=100, ner_model=None)
    without = pii_checks(merge_pii([part]), min_prevalence=0.05, ner_available=False)[0][0]
    assert without.message.startswith("no identifier found by the pattern recognizers")
    with_ner = pii_checks(merge_pii([part]), min_prevalence=0.05, ner_available=True)[0][0]
    assert with_ner.message == "no PII in 60 values"
