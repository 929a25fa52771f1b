"""The Presidio analyzer: built offline, cached, NER models from installed packages or folders only."""

from __future__ import annotations

import pytest

from govgate.checks.pii import (
    build_analyzer,
)
from govgate.errors import InputError


def test_build_analyzer_offline_and_cached():
    first, ner = build_analyzer(None)
    assert ner is False
    assert build_analyzer(None)[0] is first and build_analyzer("")[0] is first
    entities = set(first.get_supported_entities("en"))
    assert {"EMAIL_ADDRESS", "PHONE_NUMBER", "CREDIT_CARD", "VN_CCCD", "VN_CMND", "VN_PHONE", "VN_TAX_CODE"} <= entities
    assert "PERSON" not in entities


def test_unknown_ner_model_is_an_input_error():
    with pytest.raises(InputError, match="en_core_web_nonexistent"):
        build_analyzer("en_core_web_nonexistent")


def test_spacy_engine_from_a_model_folder(tmp_path):
    import spacy

    spacy.blank("en").to_disk(tmp_path / "blank-en")  # a real spaCy pipeline without an NER component
    engine, ner = build_analyzer(str(tmp_path / "blank-en"))
    assert ner is False  # loaded through the spacy engine, but it cannot find names
    assert [r.entity_type for r in engine.analyze("write to a@example.com", language="en")] == ["EMAIL_ADDRESS", "URL"]
