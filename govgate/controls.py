"""Controls of NIST AI RMF, ISO/IEC 42001, the EU AI Act and Vietnam's laws, indexed by evidence kind.

The index (``govgate/data/controls.json``) is derived from the shared standards catalog with
``govgate controls build --catalog PATH`` and shipped with the package, so a user's clone does not need
the catalog; a test keeps the two in step.
"""

from __future__ import annotations

import json
from functools import lru_cache
from pathlib import Path
from typing import Any

from govgate.errors import ConfigError
from govgate.yamlio import load_yaml

INDEX_PATH = Path(__file__).parent / "data" / "controls.json"

# The catalog's evidence vocabulary: what a check or record can say it is evidence of.
EVIDENCE_KINDS = (
    "data_review",
    "pii_scan",
    "data_quality",
    "datasheet",
    "model_review",
    "fairness_eval",
    "robustness_eval",
    "explainability",
    "model_card",
    "evidence_package",
    "signoff",
    "reassessment",
    "drift_monitoring",
    "retention_purge",
    "inventory",
    "incident_record",
    "third_party_review",
    "risk_assessment",
    "audit_log",
    "policy",
)


def build_index(catalog_path: str | Path) -> dict[str, Any]:
    catalog = load_yaml(Path(catalog_path), what=f"control catalog {catalog_path}", error=ConfigError)
    controls: dict[str, dict[str, Any]] = {}
    by_kind: dict[str, list[str]] = {k: [] for k in catalog["meta"]["evidence_vocabulary"]}
    frameworks = {}
    for fw in catalog["frameworks"]:
        frameworks[fw["framework"]] = {"name": fw["name"], "binding": fw.get("binding"), "status": fw.get("status")}
        for ctl in fw["controls"]:
            ref = f"{fw['framework']}:{ctl['id']}"
            controls[ref] = {
                "framework": fw["framework"],
                "id": str(ctl["id"]),
                "title": ctl["title"],
                **{k: str(ctl[k]) for k in ("applies_from", "status", "level") if ctl.get(k) is not None},
            }
            for kind in ctl.get("evidence_kinds") or []:
                by_kind.setdefault(kind, []).append(ref)
    return {
        "source": {
            "title": catalog["meta"]["title"],
            "dated_up_to": str(catalog["meta"]["compiled_from_sources_dated_up_to"]),
        },
        "frameworks": frameworks,
        "controls": controls,
        "by_evidence_kind": by_kind,
    }


@lru_cache(maxsize=1)
def load_index() -> dict[str, Any]:
    return json.loads(INDEX_PATH.read_text(encoding="utf-8"))


def controls_for(evidence_kind: str | None) -> list[str]:
    """``framework:control`` ids that a piece of evidence of this kind serves."""
    if not evidence_kind:
        return []
    if evidence_kind not in EVIDENCE_KINDS:
        raise ValueError(f"unknown evidence kind {evidence_kind!r}; expected one of {', '.join(EVIDENCE_KINDS)}")
    return list(load_index()["by_evidence_kind"].get(evidence_kind, []))


def control_title(ref: str) -> str:
    return load_index()["controls"].get(ref, {}).get("title", "")
