"""The inventory's value types: an AI asset, where it came from, its gates, and a gap as a finding.

Shared by the sync (sources -> assets), the gap rules, the snapshot writers (JSON, CSV, HTML, CycloneDX)
and the audit report, so each reads the same fields. Plain dataclasses; ``to_dict`` gives the JSON form.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from datetime import datetime
from typing import Any

# What an asset is. Models and datasets come from the systems; the rest mostly from inventory/ YAML.
ASSET_KINDS = (
    "model",
    "model_version",
    "dataset",
    "pipeline",
    "foundation_model_api",
    "ai_feature",
    "third_party_tool",
)
# Where an asset was found (one asset may be seen by several sources).
SOURCES = ("mlflow", "store", "prefect", "yaml")
STATUSES = ("proposed", "development", "deployed", "retired", "unknown")


@dataclass
class GateStatus:
    """An asset's last record of one gate: its decision and age on the sync date."""

    gate: str
    record_id: str
    record_uri: str
    decision: str
    decided_at: datetime
    age_days: float
    tier: str
    verified: bool  # its manifest still verifies (a record that does not counts as no evidence)


@dataclass
class LineageLink:
    """One edge: ``from_id`` (e.g. a model version) -> ``to_id`` (its training run, a dataset, a data review)."""

    relation: str  # trained_by | used_dataset | reviewed_by | deployed_by | depends_on
    from_id: str
    to_id: str
    uri: str | None = None


@dataclass
class Asset:
    kind: str  # one of ASSET_KINDS
    id: str  # stable: "model:<name>/<version>", "dataset:<slug>", "pipeline:<deployment>", "<yaml id>"
    name: str
    owner: str | None = None  # an e-mail address
    purpose: str | None = None
    tier: str | None = None
    tier_reason: str | None = None  # the rule that fired (with its article) or "policy default_tier"
    status: str = "unknown"  # one of STATUSES
    sources: list[str] = field(default_factory=list)
    attributes: dict[str, Any] = field(default_factory=dict)  # aliases, tags, schedule, vendor, ...
    lineage: list[LineageLink] = field(default_factory=list)
    gates: dict[str, GateStatus] = field(default_factory=dict)  # gate name -> last record

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


@dataclass
class Gap:
    """A finding of the inventory: which asset, which rule, what is wrong and how to fix it."""

    asset_id: str
    rule: str  # e.g. deployed-without-passing-review, reassessment-overdue, no-owner, record-not-verified
    severity: str  # low | medium | high | critical
    message: str
    fix: str
    evidence: list[str] = field(default_factory=list)  # record URIs / keys the finding rests on

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)
