"""NER tags depend on the neighbouring words, which the copy changes: a name not tagged in the original can
be tagged in the copy. The copy's cells in which the re-scan finds PII are anonymized again (at most
EXTRA_PASSES more passes), and only what is left after the last pass fails the re-scan; the record says how
many cells needed another pass. The model: a small spaCy pipeline that tags two known names and any
capitalised word after "by", "from" or a closing bracket, so replacing "Alice Martin" with "<PERSON>" makes
the next capitalised word a PERSON."""

from __future__ import annotations

import json

import pandas as pd
import pytest

from govgate.checks.pii import anonymize
from govgate.checks.pii.anonymize import anonymize_partition, rules_for_plan
from govgate.checks.pii.copy_checks import rescan_check
from govgate.record import Outcome
from tests.checks.pii.fake_spacy_model import install_fake_model
from tests.checks.pii.helpers import SALT

MODEL = "ctx_copy_model"


@pytest.fixture
def model(tmp_path, monkeypatch):
    install_fake_model(tmp_path / "site", MODEL, ["Alice Martin", "Bob Durand"], after_by=True)
    monkeypatch.syspath_prepend(str(tmp_path / "site"))
    return MODEL


def _reviews(surnames: int) -> pd.DataFrame:
    """Every third review names "Alice Martin" then ``surnames`` capitalised words NER only tags after a
    replacement before them; the rest hold no PII."""
    chain = ["Kendall", "Moore", "Lee", "Quinn"][:surnames]
    texts = [
        f"Review by Alice Martin {' '.join(chain)} liked the strings" if i % 3 == 0 else "good strings, fast delivery"
        for i in range(30)
    ]
    return pd.DataFrame({"reviewText": texts})


def _copy(df: pd.DataFrame, model: str):
    return anonymize_partition(df, rules_for_plan({"reviewText": "text"}), ["reviewText"], salt=SALT, ner_model=model)


def test_names_tagged_only_in_the_copy_are_replaced_in_another_pass(model):
    done = _copy(_reviews(surnames=1), model)
    check = rescan_check(done.left, rules_for_plan({"reviewText": "text"}))
    assert check.outcome == Outcome.PASS, check.message
    assert done.left["reviewText"].repassed == 10  # the ten reviews whose "Kendall" was tagged in the copy
    assert check.details["cells_anonymized_again"] == 10
    assert check.details["columns"]["reviewText"]["needed_another_pass"] == 10
    assert "10 cell(s) needed another pass" in check.message
    assert not done.frame["reviewText"].str.contains("Kendall|Alice").any()
    assert done.frame["reviewText"][0] == "Review by <PERSON> <PERSON> liked the strings"
    assert done.frame["reviewText"][1] == "good strings, fast delivery"  # clean rows untouched
    assert done.changed["reviewText"] == (30, 10)


def test_without_extra_passes_the_copy_fails(model, monkeypatch):
    """The control: one pass leaves "Kendall" tagged in the copy, and the re-scan fails on it."""
    monkeypatch.setattr(anonymize, "EXTRA_PASSES", 0)
    done = _copy(_reviews(surnames=1), model)
    check = rescan_check(done.left, rules_for_plan({"reviewText": "text"}))
    assert check.outcome == Outcome.FAIL and check.metrics[0].value == 10
    assert "Kendall" not in json.dumps(check.model_dump(mode="json"))  # examples are redacted


def test_passes_are_bounded_and_what_is_left_after_the_last_fails(model):
    """Four names chained: the first pass and two more replace three; the fourth is left, and counted."""
    done = _copy(_reviews(surnames=3), model)
    assert done.left["reviewText"].with_pii == 10 and done.left["reviewText"].repassed == 10
    check = rescan_check(done.left, rules_for_plan({"reviewText": "text"}))
    assert check.outcome == Outcome.FAIL
    assert done.frame["reviewText"][0] == "Review by <PERSON> <PERSON> <PERSON> Lee liked the strings"


def _name_column_rules(column: str, model: str):
    """The copy's rules for ``column`` of reviewer names, 40% of which the model tags as PERSON."""
    from govgate.checks.pii import merge_pii, pii_checks, plan_columns, scan_pii_partition
    from govgate.checks.pii.copy_rules import copy_rules
    from govgate.datasheet import Datasheet

    tagged = ["Alice Martin", "Bob Durand"]  # the model knows these two ...
    untagged = ["Kim Ngo", "Sam Hale", "Lou Park"]  # ... and not these
    df = pd.DataFrame({column: [(tagged + untagged)[i % 5] + f" {chr(65 + i % 26)}." for i in range(100)]})
    df[column] = [v if i % 5 >= 2 else (tagged + untagged)[i % 5] for i, v in enumerate(df[column])]
    plan = plan_columns(df, {})
    part = scan_pii_partition(df, plan, sample_rows=1000, ner_model=model)
    checks, _ = pii_checks(merge_pii([part]), min_prevalence=0.05, ner_available=True)
    return copy_rules(plan, checks, Datasheet()).columns[column]


def test_a_column_named_as_a_name_with_names_below_the_identifier_share_is_replaced_whole(model):
    rule = _name_column_rules("reviewerName", model)
    assert rule.treatment == "identifier", rule
    assert rule.reason == "named as a person's name, PERSON in 40% of values"


def test_the_same_values_under_another_name_stay_entity_by_entity(model):
    rule = _name_column_rules("tags", model)
    assert rule.treatment != "identifier", rule
