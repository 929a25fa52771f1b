"""Controls of NIST AI RMF, ISO/IEC 42001, the EU AI Act and Vietnam's laws, indexed by evidence kind.

The index (``govgate/data/controls.json``) is derived from the shared standards catalog with
``govgate controls build --catalog PATH`` and shipped with the package, so a user's clone does not need
the catalog; a test keeps the two in step.
"""

from __future__ import annotations

import json
import re
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
    for fw_position, fw in enumerate(catalog["frameworks"], start=1):
        frameworks[fw["framework"]] = {
            "position": fw_position,  # the catalog's order (the JSON is written with sorted keys)
            "name": fw["name"],
            "binding": fw.get("binding"),
            "status": fw.get("status"),
            **framework_dates(fw),
        }
        for position, ctl in enumerate(fw["controls"], start=1):
            ref = f"{fw['framework']}:{_control_id(catalog_path, fw, position, ctl)}"
            controls[ref] = {**_control(fw["framework"], ctl), "position": position}
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


def _control_id(catalog_path, fw: dict, position: int, ctl: Any) -> str:
    """The control's identifier; an entry without one is named by framework and position (never skipped)."""
    if not isinstance(ctl, dict) or ctl.get("id") in (None, ""):
        title = ctl.get("title", "") if isinstance(ctl, dict) else ""
        raise ConfigError(
            f"control catalog {catalog_path}: framework {fw.get('framework')!r}, control entry #{position}"
            + (f" ({title!r})" if title else "")
            + " has no 'id'; every control needs its identifier"
        )
    return str(ctl["id"])


def _control(framework: str, ctl: dict) -> dict[str, Any]:
    """One control as data: identifiers, title, level, evidence kinds and its effective date (text kept)."""
    out: dict[str, Any] = {
        "framework": framework,
        "id": str(ctl["id"]),
        "title": ctl["title"],
        **{k: str(ctl[k]) for k in ("applies_from", "status", "level") if ctl.get(k) is not None},
    }
    # additive fields (issue 18): the mapped kinds, the parent, the effective date parsed
    out["evidence_kinds"] = list(ctl.get("evidence_kinds") or [])
    if ctl.get("parent") is not None:
        out["parent"] = str(ctl["parent"])
    if ctl.get("applies_from") is not None:
        dates = iso_dates(str(ctl["applies_from"]))
        out["applies_from_date"] = dates[0] if dates else None
        out["applies_from_later_dates"] = dates[1:]
    if ctl.get("status") is not None and "repealed" in str(ctl["status"]):
        dates = iso_dates(str(ctl["status"]))
        out["repealed_from"] = dates[0] if dates else None
    return out


_DATE = re.compile(r"\b(\d{4}-\d{2}-\d{2})\b")


def iso_dates(text: str) -> list[str]:
    """Every ISO date in a free-text effective date, earliest first, each once (the text itself is kept)."""
    return sorted(set(_DATE.findall(text)))


def framework_dates(fw: dict) -> dict[str, Any]:
    """When a framework is in force, read from the catalog's own words: ``in force YYYY-MM-DD`` or a
    ``YYYY-MM-DD to YYYY-MM-DD`` span in its name, its ``application_dates.entry_into_force``, and
    ``repealed ... YYYY-MM-DD`` in its status. None where the catalog says nothing (e.g. NIST, voluntary)."""
    name, status = str(fw.get("name", "")), str(fw.get("status", ""))
    span = re.search(r"(\d{4}-\d{2}-\d{2}) to (\d{4}-\d{2}-\d{2})", name)
    in_force = re.search(r"in force (\d{4}-\d{2}-\d{2})", name)
    entry = (fw.get("application_dates") or {}).get("entry_into_force")
    repealed = re.search(r"repealed\b.*?(\d{4}-\d{2}-\d{2})", status)
    return {
        "in_force_from": span.group(1) if span else in_force.group(1) if in_force else (str(entry) if entry else None),
        "in_force_until": span.group(2) if span else None,
        "repealed_from": repealed.group(1) if repealed else None,
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
