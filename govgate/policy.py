"""Policy-as-code: risk tiers with thresholds, required gates and required evidence, as YAML.

A policy file is validated strictly: an unknown key, a missing tier or a bad value is a ``PolicyError``
that names the file and the dotted key. The file's SHA-256 goes into every record.
"""

from __future__ import annotations

from datetime import UTC, datetime
from functools import cached_property
from pathlib import Path
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from govgate.controls import EVIDENCE_KINDS
from govgate.digest import sha256_bytes
from govgate.errors import PolicyError
from govgate.protocol import TIER_REFUSED
from govgate.record import PolicyRef
from govgate.yamlio import load_validated_file

GATES = ("data_review", "model_review", "launch_evidence", "reassessment", "retention_purge")
REQUIRED_TIERS = ("low", "medium", "high")


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class DataReviewRules(_Strict):
    max_secret_findings: int = Field(0, ge=0, description="secrets found above this fail the review")
    direct_identifiers_require_legal_basis: bool = True
    undeclared_sensitive_attribute: Literal["fail", "warn"] = "warn"
    max_null_fraction: float = Field(0.2, ge=0, le=1)
    max_duplicate_row_fraction: float = Field(0.01, ge=0, le=1)
    pii_sample_rows: int = Field(2000, ge=10, description="rows sampled per structured column to classify it")
    pii_min_prevalence: float = Field(0.05, ge=0, le=1, description="share of sampled values that makes a column PII")
    required_datasheet_fields: list[str] = Field(
        default_factory=lambda: ["owner", "source", "purpose", "legal_basis", "retention"]
    )


class ModelReviewRules(_Strict):
    min_accuracy: float | None = Field(None, ge=0, le=1)
    min_roc_auc: float | None = Field(None, ge=0, le=1)
    max_demographic_parity_difference: float = Field(0.1, ge=0, le=1)
    min_demographic_parity_ratio: float = Field(0.8, ge=0, le=1)
    max_equalized_odds_difference: float = Field(0.1, ge=0, le=1)
    min_group_size: int = Field(30, ge=1, description="smaller groups are reported inconclusive")
    bootstrap_resamples: int = Field(1000, ge=0)
    confidence_level: float = Field(0.95, gt=0, lt=1)
    baseline_tolerance: float = Field(0.02, ge=0, le=1, description="allowed worsening against the approved baseline")
    max_flip_rate: float = Field(0.05, ge=0, le=1, description="share of decisions flipped by small perturbations")
    sensitive_importance_top_k: int = Field(3, ge=1, description="warn when a sensitive feature ranks this high")


class LaunchRules(_Strict):
    required_signoffs: int = Field(1, ge=0)
    signoff_roles: list[str] = Field(default_factory=list)
    signoff_timeout_hours: float = Field(72, gt=0)
    object_lock_mode: Literal["GOVERNANCE", "COMPLIANCE"] | None = "GOVERNANCE"
    object_lock_days: int = Field(365, ge=0)


class ReassessmentRules(_Strict):
    cron: str = Field("0 6 1 * *", description="when deployed versions of this tier are reassessed")
    max_psi: float = Field(0.2, ge=0, description="population stability index above this is drift")
    max_performance_drop: float = Field(0.05, ge=0, le=1)
    max_fairness_regression: float = Field(0.05, ge=0, le=1)
    # which versions, which data, how often (added for the reassessment flow)
    deployed_alias: str = Field("production", min_length=1, description="the MLflow alias that marks deployed")
    data: str | None = Field(None, description="fresh data location; {model} is replaced by the model name")
    window_days: int = Field(30, ge=1, description="fresh data of the last N days is reassessed")
    label_delay_days: int = Field(0, ge=0, description="outcomes younger than this do not count yet")
    max_age_days: int = Field(35, ge=1, description="a deployed version reassessed longer ago is overdue")
    overdue_outcome: Literal["fail", "warn"] = Field(
        "warn", description="overdue or never-approved deployed versions: fail the run or warn"
    )

    @field_validator("cron")
    @classmethod
    def _cron(cls, value: str) -> str:
        return check_cron(value)


def check_cron(value: str) -> str:
    """A 5-field cron expression that a scheduler can run (fields and ranges checked, not just counted)."""
    from cronsim import CronSim, CronSimError

    if len(value.split()) != 5:
        raise ValueError(f"{value!r} is not a 5-field cron expression (minute hour day month weekday)")
    try:
        CronSim(value, datetime.now(UTC))
    except CronSimError as exc:
        raise ValueError(f"{value!r} is not a valid cron expression: {exc}") from None
    return value


class ScheduleRule(_Strict):
    cron: str = Field(..., description="5-field cron expression")
    timezone: str = Field("UTC", description="IANA time zone of the cron expression")
    active: bool = True

    _cron = field_validator("cron")(classmethod(lambda cls, v: check_cron(v)))

    @field_validator("timezone")
    @classmethod
    def _tz(cls, value: str) -> str:
        from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

        try:
            ZoneInfo(value)
        except (ZoneInfoNotFoundError, ValueError):
            raise ValueError(f"{value!r} is not an IANA time zone like UTC or Asia/Ho_Chi_Minh") from None
        return value


class PurgeSchedule(ScheduleRule):
    execute: bool = Field(True, description="scheduled runs delete (manual runs stay dry runs)")


class ThirdPartySchedule(ScheduleRule):
    """Re-check vendors' evidence expiries: one scheduled third-party review per submission file."""

    submissions: list[str] = Field(..., min_length=1, description="submission YAML paths, one run each")


class Schedules(_Strict):
    """When the scheduled gates run. Reassessment runs per tier (tiers.<tier>.reassessment.cron)."""

    retention_purge: PurgeSchedule | None = Field(
        default_factory=lambda: PurgeSchedule(cron="0 2 * * *"), description="daily retention purge"
    )
    model_review_poll: ScheduleRule | None = Field(
        default_factory=lambda: ScheduleRule(cron="*/15 * * * *"),
        description="the registration fallback: review model versions that no webhook event reviewed",
    )
    third_party_review: ThirdPartySchedule | None = Field(
        None, description="re-check third-party submissions (expiries) on a schedule; none by default"
    )
    inventory_sync: ScheduleRule | None = Field(
        default_factory=lambda: ScheduleRule(cron="0 * * * *"),
        description="the inventory sync: every AI asset checked against MLflow, the store and Prefect",
    )
    dashboard: ScheduleRule | None = Field(
        default_factory=lambda: ScheduleRule(cron="0 * * * *"),
        description="the governance dashboard page (and its Prometheus text) regenerated from records",
    )


class EvidenceRules(_Strict):
    lock_mode: Literal["GOVERNANCE", "COMPLIANCE"] | None = Field(
        None, description="S3 Object Lock mode for every evidence object of this tier (null: write-once only)"
    )
    lock_days: int = Field(0, ge=0, description="retention of evidence objects, in days")


class Tier(_Strict):
    description: str = ""
    required_gates: list[str] = Field(default_factory=list)
    required_evidence: list[str] = Field(default_factory=list)
    inconclusive_blocks: bool = Field(True, description="an inconclusive check makes the decision needs-review")
    data_review: DataReviewRules = Field(default_factory=DataReviewRules)
    model_review: ModelReviewRules = Field(default_factory=ModelReviewRules)
    launch: LaunchRules = Field(default_factory=LaunchRules)
    reassessment: ReassessmentRules = Field(default_factory=ReassessmentRules)
    evidence: EvidenceRules = Field(default_factory=EvidenceRules)
    fail_run_on: list[Literal["fail", "needs-review"]] = Field(
        default_factory=lambda: ["fail"],
        description="decisions that end the Prefect flow run Failed (red); the others end it Completed under a "
        "state name that says the decision (Passed, Needs review, Gate failed)",
    )

    @field_validator("required_gates")
    @classmethod
    def _gates(cls, value: list[str]) -> list[str]:
        bad = [g for g in value if g not in GATES]
        if bad:
            raise ValueError(f"unknown gate(s) {bad}; expected some of {list(GATES)}")
        return value

    @field_validator("required_evidence")
    @classmethod
    def _evidence(cls, value: list[str]) -> list[str]:
        bad = [e for e in value if e not in EVIDENCE_KINDS]
        if bad:
            raise ValueError(f"unknown evidence kind(s) {bad}; expected some of {list(EVIDENCE_KINDS)}")
        return value


DEFAULT_VALIDITY_DAYS = {
    "default": 365,  # a yearly review cycle (ISO/IEC 42001 clause 9: audits at planned intervals)
    "reassessment": 35,  # monthly reassessment and a margin
    "drift_monitoring": 35,
    "inventory": 35,
    "retention_purge": 35,
}


class AuditRules(_Strict):
    """How the audit judges evidence and process from records (issue 18: control coverage and KPIs)."""

    evidence_validity_days: dict[str, int] = Field(
        default_factory=lambda: dict(DEFAULT_VALIDITY_DAYS),
        description="days a record stays current evidence, per evidence kind; 'default' for the others",
    )
    reassessment_grace_hours: float = Field(
        24, gt=0, description="a scheduled reassessment counts as on time this late"
    )
    sla_days: dict[str, float] = Field(
        default_factory=lambda: {"intake": 5, "third-party-review": 10},
        description="days to answer, per gate: from the request (a `requested_at` parameter, else the start) to the decision",
    )
    model_card_max_age_days: int = Field(30, ge=0, description="a release's model card is fresh when this recent")
    drift_confirmation_days: int = Field(30, ge=0, description="a drift alert is confirmed by a regression this soon")

    @field_validator("evidence_validity_days")
    @classmethod
    def _validity(cls, value: dict[str, int]) -> dict[str, int]:
        bad = [k for k in value if k != "default" and k not in EVIDENCE_KINDS]
        if bad:
            raise ValueError(f"unknown evidence kind(s) {bad}; expected 'default' or some of {list(EVIDENCE_KINDS)}")
        if any(v < 1 for v in value.values()):
            raise ValueError("every validity period is at least 1 day")
        return {**DEFAULT_VALIDITY_DAYS, **value}

    def validity_days(self, kind: str) -> int:
        return self.evidence_validity_days.get(kind, self.evidence_validity_days["default"])


# The intake's legal classes (govgate/intake) and the word for "may not be used at all".
LEGAL_CLASSES = ("prohibited", "high-risk", "gpai-systemic-risk", "gpai", "transparency", "minimal")
REFUSED = TIER_REFUSED


class IntakeRules(_Strict):
    """How an intake's legal class becomes a policy tier (the tier then picks gates, thresholds, schedule)."""

    rules: str = Field("risk_rules.yaml", description="the legal decision tree, relative to the policy file")
    class_tiers: dict[str, str] = Field(
        default_factory=lambda: {
            "prohibited": REFUSED,
            "high-risk": "high",
            "gpai-systemic-risk": "high",
            "gpai": "medium",
            "transparency": "medium",
            "minimal": "low",
        },
        description="legal class -> policy tier, or 'refused' (the asset may not be used)",
    )
    tier_order: list[str] = Field(
        default_factory=lambda: ["low", "medium", "high"], description="policy tiers from least to most strict"
    )
    retier_outcome: Literal["fail", "warn"] = Field(
        "warn", description="gate records decided under another tier than the new intake's: fail or warn"
    )

    @field_validator("class_tiers")
    @classmethod
    def _classes(cls, value: dict[str, str]) -> dict[str, str]:
        missing = [c for c in LEGAL_CLASSES if c not in value]
        unknown = [c for c in value if c not in LEGAL_CLASSES]
        if missing or unknown:
            raise ValueError(
                f"legal classes must be exactly {list(LEGAL_CLASSES)} (missing {missing}, unknown {unknown})"
            )
        return value


GAP_SEVERITIES = ("low", "medium", "high", "critical")


class InventoryRules(_Strict):
    """How the inventory-sync gate judges its gaps: one check per gap rule, its count against a limit."""

    max_gaps: dict[str, int] = Field(
        default_factory=dict, description="gap rule -> gaps allowed before its check fails or warns (default 0)"
    )
    fail_severities: list[Literal["low", "medium", "high", "critical"]] = Field(
        default_factory=lambda: ["high", "critical"],
        description="a rule over its limit fails the sync when its severity is listed here, else warns",
    )

    @field_validator("max_gaps")
    @classmethod
    def _limits(cls, value: dict[str, int]) -> dict[str, int]:
        bad = {k: v for k, v in value.items() if v < 0}
        if bad:
            raise ValueError(f"limits must be >= 0, got {bad}")
        return value


class Policy(_Strict):
    name: str = Field(..., min_length=1)
    version: str = Field(..., min_length=1)
    description: str = ""
    default_tier: str = "medium"
    tiers: dict[str, Tier]
    schedules: Schedules = Field(default_factory=Schedules)
    audit: AuditRules = Field(default_factory=AuditRules)
    intake: IntakeRules = Field(default_factory=IntakeRules)
    inventory: InventoryRules = Field(default_factory=InventoryRules)

    # set by load_policy, not by the file
    path: str = Field("", exclude=True)
    sha256: str = Field("", exclude=True)

    @model_validator(mode="after")
    def _tiers(self) -> Policy:
        missing = [t for t in REQUIRED_TIERS if t not in self.tiers]
        if missing:
            raise ValueError(f"tiers: missing tier(s) {missing}; a policy defines at least {list(REQUIRED_TIERS)}")
        if self.default_tier not in self.tiers:
            raise ValueError(f"default_tier: {self.default_tier!r} is not one of the tiers {list(self.tiers)}")
        if "intake" not in self.model_fields_set:
            return self  # a policy without an intake section keeps working whatever its tiers
        named = [t for t in [*self.intake.class_tiers.values(), *self.intake.tier_order] if t != REFUSED]
        if bad := sorted({t for t in named if t not in self.tiers}):
            raise ValueError(f"intake: tier(s) {bad} are not tiers of this policy {list(self.tiers)}")
        if sorted(self.intake.tier_order) != sorted(self.tiers):
            raise ValueError(f"intake.tier_order: must list every tier once {list(self.tiers)}")
        return self

    def tier(self, name: str | None = None) -> Tier:
        name = name or self.default_tier
        if name not in self.tiers:
            raise PolicyError(f"{self.path}: unknown risk tier {name!r}; the policy defines {list(self.tiers)}")
        return self.tiers[name]

    def ref(self, tier: str | None = None) -> PolicyRef:
        tier = tier or self.default_tier
        self.tier(tier)
        return PolicyRef(name=self.name, version=self.version, tier=tier, path=self.path, sha256=self.sha256)

    @cached_property
    def tier_names(self) -> list[str]:
        return list(self.tiers)


def load_policy(path: str | Path) -> Policy:
    """Read and validate a policy file; every problem names the file and the key."""
    policy, raw = load_validated_file(
        path, Policy, what="policy file", expected="a mapping with keys name, version, tiers", error=PolicyError
    )
    return policy.model_copy(update={"path": str(path), "sha256": sha256_bytes(raw)})
