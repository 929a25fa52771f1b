"""The CycloneDX ML-BOM of each model version: written by cyclonedx-python-lib, model card added, and the
whole document validated by the library's strict JSON validator (a broken card is refused)."""

from __future__ import annotations

import json

import pytest

from govgate.inventory.cyclonedx import BomError, inventory_boms, model_bom, validate_bom
from govgate.inventory.gaps import find_gaps
from govgate.policy import load_policy
from tests.core.inventory.assets import NOW, portfolio


def boms():
    assets, index = portfolio()
    gaps = find_gaps(assets, index, load_policy("policies/default.yaml"), NOW)
    return assets, gaps, inventory_boms(assets, gaps, sync_id="20261207T120000Z-aaaaaaaa", synced_at=NOW)


def test_one_valid_bom_per_model_version_with_its_card_and_datasets():
    from cyclonedx.schema import SchemaVersion
    from cyclonedx.validation.json import JsonStrictValidator

    assets, _, out = boms()
    assert sorted(out) == ["model:churn/1", "model:credit/2", "model:credit/3", "model:fraud/1"]
    for text in out.values():  # the library's own validator, independently of model_bom's check
        assert JsonStrictValidator(SchemaVersion.V1_6).validate_str(text) is None
    churn = json.loads(out["model:churn/1"])
    assert churn["bomFormat"] == "CycloneDX" and churn["specVersion"] == "1.6"
    model = churn["metadata"]["component"]
    assert model["type"] == "machine-learning-model" and model["name"] == "churn" and model["version"] == "1"
    assert model["authors"] == [{"email": "ml-team@example.com"}]
    props = {p["name"]: p["value"] for p in model["properties"]}
    assert props["govgate:tier"] == "medium" and props["govgate:tier_reason"] == "policy default_tier"
    card = model["modelCard"]
    assert card["modelParameters"] == {"task": "classification", "datasets": [{"ref": "dataset:clicks"}]}
    assert card["considerations"]["useCases"] == ["churn scoring"]
    rules = [c["name"].split(":")[0] for c in card["considerations"]["ethicalConsiderations"]]
    assert rules == ["deployed-without-passing-review", "reassessment-overdue"]
    assert [c["bom-ref"] for c in churn["components"]] == ["dataset:clicks"]
    assert churn["components"][0]["type"] == "data"
    assert churn["dependencies"] == [
        {"ref": "dataset:clicks"},
        {"dependsOn": ["dataset:clicks"], "ref": "model:churn/1"},
    ]
    assert churn["metadata"]["timestamp"] == "2026-12-07T12:00:00+00:00"
    credit = json.loads(out["model:credit/3"])["metadata"]["component"]
    assert (
        "considerations" not in credit["modelCard"]
        or "ethicalConsiderations" not in credit["modelCard"]["considerations"]
    )
    gates = {p["name"]: p["value"] for p in credit["properties"] if p["name"].startswith("govgate:gate:")}
    assert gates == {"govgate:gate:model-review": "pass 2026-11-07", "govgate:gate:reassessment": "pass 2026-12-05"}
    evidence = {p["name"]: p["value"] for p in credit["properties"] if p["name"].startswith("govgate:evidence:")}
    assert (
        evidence["govgate:evidence:model-review"]
        == "s3://govgate/evidence/credit/3/model-review/r-credit3-mr/record.json"
    )


def test_same_inputs_same_bom():
    assert boms()[2] == boms()[2]


def test_an_invalid_card_is_refused():
    assets, gaps, _ = boms()
    doc = model_bom(assets[0], [], [], sync_id="s", synced_at=NOW)
    doc["metadata"]["component"]["modelCard"]["modelParameters"] = {"task": 42}
    with pytest.raises(BomError, match="CycloneDX BOM of model:credit/3 does not validate"):
        validate_bom(doc, "model:credit/3")
