"""NER is used when a spaCy model is installed: the data review picks it without ``--ner-model`` and says
which model and version in the record; ``ner_model none`` turns it off, and the record then says names were
not checked. The model is a small pipeline made by the test and installed on a temporary ``sys.path`` entry."""

from __future__ import annotations

import pytest

from flows.data_review import data_review
from flows.runner import run_flow
from govgate.checks.pii.engine import resolve_ner_model
from govgate.publish import load_record
from govgate.store import store_for_uri
from tests.checks.pii.fake_spacy_model import install_fake_model

NAMES = ["Alice Martin", "Bob Durand", "Chloe Petit"]


@pytest.fixture
def installed_model(tmp_path, monkeypatch):
    root = tmp_path / "site"
    install_fake_model(root, "en_core_web_md", NAMES, version="3.8.7")
    monkeypatch.syspath_prepend(str(root))
    return "en_core_web_md"


def _ner_check(settings, result) -> dict:
    store, key = store_for_uri(result["record_uri"], settings)
    record = load_record(store, key).model_dump(mode="json")
    return next(c for c in record["checks"] if c["id"] == "data.pii.ner")


def _dataset(tmp_path):
    path = tmp_path / "people.csv"
    rows = [f"{i},{NAMES[i % 3]},the parcel arrived late again" for i in range(60)]
    path.write_text("id,customer,comment\n" + "\n".join(rows) + "\n")
    return str(path)


def test_an_installed_model_is_used_and_named_with_its_version(
    prefect_harness, local_settings, tmp_path, installed_model
):
    assert resolve_ner_model(None) == installed_model
    result = run_flow(data_review, dataset=_dataset(tmp_path))
    ner = _ner_check(local_settings, result)
    assert ner["outcome"] == "pass"
    assert ner["message"] == "PERSON/LOCATION/NRP detection ran with NER model en_core_web_md 3.8.7"
    assert ner["details"] == {"ner_model": "en_core_web_md", "ner_model_version": "3.8.7"}


def test_ner_model_none_turns_it_off(prefect_harness, local_settings, tmp_path, installed_model):
    result = run_flow(data_review, dataset=_dataset(tmp_path), ner_model="none")
    ner = _ner_check(local_settings, result)
    assert ner["outcome"] == "inconclusive"
    assert ner["message"].startswith("PERSON/LOCATION/NRP detection was not run: no NER model installed or configured")


def test_resolution_rules(monkeypatch, tmp_path):
    assert resolve_ner_model("none") is None and resolve_ner_model("OFF") is None
    assert resolve_ner_model(None, "none") is None  # the setting turns it off
    assert resolve_ner_model("my_model", "none") == "my_model"  # asked for: used whatever the setting
    assert resolve_ner_model(None, "/models/x") == "/models/x"
    install_fake_model(tmp_path, "en_core_web_sm", NAMES)
    install_fake_model(tmp_path, "en_core_web_lg", NAMES)
    monkeypatch.syspath_prepend(str(tmp_path))
    assert resolve_ner_model(None) == "en_core_web_lg"  # the best installed first
