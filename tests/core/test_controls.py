from __future__ import annotations

import json

import pytest

from govgate.controls import EVIDENCE_KINDS, INDEX_PATH, build_index, control_title, controls_for
from tests.conftest import SHARED


def test_shipped_index_is_whole():
    """The product reads only the shipped index (a fresh clone has no catalog): every control an evidence
    kind names exists, with its framework and a title, and every evidence kind of the vocabulary is there."""
    index = json.loads(INDEX_PATH.read_text())
    assert set(index["by_evidence_kind"]) == set(EVIDENCE_KINDS)
    refs = {ref for kind_refs in index["by_evidence_kind"].values() for ref in kind_refs}
    assert refs and refs <= set(index["controls"])
    for ref, control in index["controls"].items():
        assert ref == f"{control['framework']}:{control['id']}" and control["title"]
        assert control["framework"] in index["frameworks"]
    assert index["source"]["title"] and index["source"]["dated_up_to"]


def test_shipped_index_matches_the_shared_catalog():
    """Where the catalog is beside the clone (CI), the shipped index is exactly what it builds; a fresh
    clone rebuilds nothing and checks the index on its own (above)."""
    catalog = SHARED / "standards" / "catalog.yaml"
    if not catalog.is_file():
        index = json.loads(INDEX_PATH.read_text())
        assert controls_for("pii_scan") == index["by_evidence_kind"]["pii_scan"]  # served from the shipped copy
        return
    rebuilt = json.loads(json.dumps(build_index(catalog), sort_keys=True))
    assert json.loads(INDEX_PATH.read_text()) == rebuilt, (
        "run `govgate controls build --catalog ../shared/standards/catalog.yaml`"
    )
    assert set(rebuilt["by_evidence_kind"]) == set(EVIDENCE_KINDS)


def test_pii_scan_serves_privacy_controls():
    refs = controls_for("pii_scan")
    assert "nist-ai-rmf-1.0:MEASURE 2.10" in refs
    assert any(r.startswith("eu-ai-act:") for r in refs)
    assert any(r.startswith("vn-pdpl-91-2025:") for r in refs)
    assert control_title("nist-ai-rmf-1.0:MEASURE 2.10") == "Examine and document privacy risk"


def test_unknown_evidence_kind():
    with pytest.raises(ValueError, match="unknown evidence kind 'vibes'"):
        controls_for("vibes")


def test_each_control_carries_its_kinds_position_and_parsed_dates():
    """Additive fields (issue 18): a control's own evidence kinds agree with the by-kind index, every control
    keeps its catalog position, and a free-text effective date keeps its text beside the parsed dates."""
    index = json.loads(INDEX_PATH.read_text())
    for kind, refs in index["by_evidence_kind"].items():
        assert all(kind in index["controls"][ref]["evidence_kinds"] for ref in refs)
    assert all(isinstance(c["position"], int) for c in index["controls"].values())
    art9 = index["controls"]["eu-ai-act:Art. 9"]
    assert (art9["applies_from"], art9["applies_from_date"], art9["applies_from_later_dates"]) == (
        "2027-12-02 (Annex III) / 2028-08-02 (Annex I)",
        "2027-12-02",
        ["2028-08-02"],
    )
    assert index["frameworks"]["vn-decree-13-2023"]["in_force_until"] == "2025-12-31"
