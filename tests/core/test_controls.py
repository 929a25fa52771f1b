from __future__ import annotations

import json

import pytest

from govgate.controls import EVIDENCE_KINDS, INDEX_PATH, build_index, control_title, controls_for
from tests.conftest import SHARED


def test_shipped_index_matches_the_shared_catalog():
    catalog = SHARED / "standards" / "catalog.yaml"
    if not catalog.is_file():
        pytest.skip("../shared/standards/catalog.yaml is not beside this clone")
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
