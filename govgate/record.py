"""The evidence record: one ``GateResult`` per gate run, the single source every renderer reads.

Rules (DESIGN.md): the record never holds raw PII or secrets (examples are redacted or hashed); it is
written once (a re-run is a new record); every check that ran is in it, passed or not.
Bump ``SCHEMA_VERSION`` on any change of shape and regenerate the JSON Schema (``govgate schema --write``).
"""

from __future__ import annotations

import re
import uuid
from datetime import UTC, datetime
from enum import Enum
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

from govgate import protocol

SCHEMA_VERSION = "1.1.0"
# 1.1.0 added ``outputs`` (named payloads that are not checks); 1.0.0 records still read (``schema_version``).

Scalar = float | int | str | bool | None

# Named outputs of the model review, and the check ids that carried them in 1.0.0 records.
FAIRNESS_REPORT = "fairness_report"
REFERENCE_DISTRIBUTIONS = "reference_distributions"
DRIFT_PROFILE = "drift_profile"  # the fine reference of drift (govgate.checks.drift.profile.profile_to_dict)
REASSESSMENT_TRENDS = "reassessment_trends"  # judged metric per group over past runs (govgate.reassessment.trends)
LEGACY_FAIRNESS_CHECK = "fairness.report"  # its details["report"]
LEGACY_REFERENCE_CHECK = "reference.distributions"  # its details


class Outcome(str, Enum):
    """Outcome of one check. ``inconclusive`` = could not be decided (no model, group too small)."""

    PASS = "pass"
    FAIL = "fail"
    WARN = "warn"
    INCONCLUSIVE = "inconclusive"
    ERROR = "error"
    SKIPPED = "skipped"


class DecisionOutcome(str, Enum):
    PASS = "pass"
    FAIL = "fail"
    NEEDS_REVIEW = "needs-review"
    ERROR = "error"


class Severity(str, Enum):
    INFO = "info"
    LOW = "low"
    MEDIUM = "medium"
    HIGH = "high"
    CRITICAL = "critical"


class AssetKind(str, Enum):
    DATASET = "dataset"
    MODEL = "model"
    PIPELINE = "pipeline"
    THIRD_PARTY_TOOL = "third_party_tool"
    SERVICE = "service"
    SYSTEM = "system"


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid", use_enum_values=False)


class InputDigest(_Model):
    """One input the gate read, pinned by content."""

    uri: str
    sha256: str | None = Field(None, description="hex SHA-256 of the content; null when it could not be read")
    size: int | None = None
    role: str = Field("input", description="what the input is to the gate: data, model, datasheet, ...")


class Subject(_Model):
    kind: AssetKind
    id: str = Field(..., min_length=1)
    version: str | None = None
    uris: list[str] = Field(default_factory=list)
    inputs: list[InputDigest] = Field(default_factory=list)
    attributes: dict[str, Scalar] = Field(default_factory=dict)


class PolicyRef(_Model):
    name: str
    version: str
    tier: str
    path: str
    sha256: str


class Provenance(_Model):
    govgate_version: str
    git_commit: str | None = None
    python: str
    platform: str
    packages: dict[str, str] = Field(default_factory=dict)
    prefect_flow_run_id: str | None = None
    prefect_flow_name: str | None = None
    mlflow_run_id: str | None = None
    mlflow_experiment_id: str | None = None
    mlflow_tracking_uri: str | None = None


class Threshold(_Model):
    """What a metric is compared with: a fixed value, or a baseline value plus a tolerance.

    A threshold is evaluated, never just recorded: ``judge`` turns the metric it names into the check's
    outcome by the one rule below, so the recorded limit and the outcome cannot disagree."""

    metric: str
    op: Literal["<=", "<", ">=", ">", "==", "!="]
    value: Scalar
    baseline_record: str | None = Field(None, description="record id the value was derived from, when relative")

    def holds(self, x: Scalar) -> bool:
        """Whether a single value satisfies the limit."""
        limit = self.value
        if self.op == "==":
            return x == limit
        if self.op == "!=":
            return x != limit
        ops = {"<=": lambda a, b: a <= b, "<": lambda a, b: a < b, ">=": lambda a, b: a >= b, ">": lambda a, b: a > b}
        return bool(ops[self.op](x, limit))

    def judge(self, value: Scalar, lower: float | None = None, upper: float | None = None) -> Outcome:
        """The outcome of a value (and its interval) against this threshold, by the one rule:

        - no value (None, NaN) -> inconclusive: nothing was measured, so nothing passes;
        - without an interval: pass when the value satisfies the limit, fail otherwise;
        - with an interval: pass only when the whole interval satisfies the limit, fail only when the whole
          interval violates it, warn when it straddles the limit -- the same on both sides of the limit.
        """
        if _missing(value):
            return Outcome.INCONCLUSIVE
        if lower is None or upper is None or _missing(lower) or _missing(upper) or self.op in ("==", "!="):
            return Outcome.PASS if self.holds(value) else Outcome.FAIL
        low_ok, high_ok = self.holds(lower), self.holds(upper)
        if low_ok and high_ok:
            return Outcome.PASS
        if not low_ok and not high_ok:
            return Outcome.FAIL
        return Outcome.WARN

    def judge_metric(self, metric: Metric) -> Outcome:
        return self.judge(metric.value, metric.lower, metric.upper)


def _missing(x: Any) -> bool:
    return x is None or (isinstance(x, float) and x != x)


class Metric(_Model):
    name: str
    value: Scalar
    lower: float | None = Field(None, description="lower bound of the confidence interval")
    upper: float | None = None
    confidence: float | None = Field(None, description="interval level, e.g. 0.95")
    n: int | None = Field(None, description="observations the value rests on")


class Check(_Model):
    id: str = Field(..., description="stable dotted id, e.g. data.pii.column.email")
    title: str
    category: str
    outcome: Outcome
    message: str = ""
    metrics: list[Metric] = Field(default_factory=list)
    threshold: Threshold | None = None
    evidence_kind: str | None = Field(None, description="catalog evidence kind this check produces")
    controls: list[str] = Field(default_factory=list, description="framework:control ids this check serves")
    details: dict[str, Any] = Field(default_factory=dict)

    @model_validator(mode="after")
    def _controls_from_evidence_kind(self) -> Check:
        # A check that names its evidence kind serves the catalog's controls for that kind.
        if self.evidence_kind and not self.controls:
            from govgate.controls import controls_for

            self.controls = controls_for(self.evidence_kind)
        return self


class Finding(_Model):
    id: str
    severity: Severity
    category: str
    message: str
    check_id: str | None = None
    location: dict[str, str] = Field(default_factory=dict, description="file, column, key, row range ...")
    count: int | None = None
    examples: list[str] = Field(default_factory=list, description="redacted or hashed examples only")
    remediation: str = ""


class SignOff(_Model):
    name: str
    role: str
    decision: Literal["approve", "reject"]
    comment: str = ""
    accepted_risks: list[str] = Field(default_factory=list)
    signed_at: datetime


class Decision(_Model):
    outcome: DecisionOutcome
    reasons: list[str] = Field(default_factory=list)
    decided_by: str = Field("policy", description="'policy' or the human who decided")
    sign_offs: list[SignOff] = Field(default_factory=list)


class ArtifactRef(_Model):
    name: str
    uri: str
    sha256: str
    size: int
    media_type: str = "application/octet-stream"


class GateResult(_Model):
    """The evidence record of one gate run."""

    schema_version: Literal["1.0.0", "1.1.0"] = SCHEMA_VERSION
    record_id: str
    gate: str = Field(..., pattern=r"^[a-z][a-z0-9_\-]*$")
    subject: Subject
    policy: PolicyRef
    started_at: datetime
    finished_at: datetime | None = None
    provenance: Provenance
    checks: list[Check] = Field(default_factory=list)
    findings: list[Finding] = Field(default_factory=list)
    decision: Decision
    artifacts: list[ArtifactRef] = Field(default_factory=list, description="rendered reports and other outputs")
    parameters: dict[str, Scalar | list[Scalar]] = Field(default_factory=dict, description="the gate's run parameters")
    outputs: dict[str, Any] = Field(
        default_factory=dict,
        description="named payloads the gate produced that are not checks (a fairness report, reference "
        "distributions), as JSON; since schema 1.1.0",
    )

    def outcome_counts(self) -> dict[str, int]:
        counts = {o.value: 0 for o in Outcome}
        for check in self.checks:
            counts[check.outcome.value] += 1
        return counts

    def check(self, check_id: str) -> Check:
        for c in self.checks:
            if c.id == check_id:
                return c
        raise KeyError(check_id)

    def output(self, name: str, legacy_check: str | None = None, legacy_key: str | None = None) -> Any:
        """A named output; for a 1.0.0 record, the payload its ``legacy_check`` carried (in ``details``, or
        under ``details[legacy_key]``). None when the record has neither."""
        if name in self.outputs:
            return self.outputs[name]
        old = next((c for c in self.checks if c.id == legacy_check), None) if legacy_check else None
        if old is None:
            return None
        return old.details.get(legacy_key) if legacy_key else old.details

    def evidence_prefix(self) -> str:
        """Store prefix of this record: evidence/<asset>/<version>/<gate>/<record_id>/."""
        version = self.subject.version or "unversioned"
        return f"{protocol.EVIDENCE_PREFIX}{slug(self.subject.id)}/{slug(version)}/{self.gate}/{self.record_id}/"


def slug(text: str) -> str:
    """A store-safe path segment (keeps it readable; never empty)."""
    cleaned = re.sub(r"[^A-Za-z0-9._\-]+", "-", text).strip("-.")
    return cleaned[:120] or "x"


def new_record_id(now: datetime | None = None) -> str:
    """Sortable, unique: 20261122T220600Z-1a2b3c4d."""
    now = now or utcnow()
    return f"{now:%Y%m%dT%H%M%SZ}-{uuid.uuid4().hex[:8]}"


def utcnow() -> datetime:
    return datetime.now(UTC)


# Categories whose failures are listed first in a decision's reasons: what to fix first.
FIRST_TO_FIX = ("secrets", "privacy")


def decide(checks: list[Check], *, inconclusive_blocks: bool = True) -> Decision:
    """The one decision rule of every gate: any error -> error; any fail -> fail; any inconclusive ->
    needs-review when the policy says inconclusive blocks; otherwise pass. Skipped checks do not count.
    Reasons name the checks (failures of FIRST_TO_FIX categories first; warnings listed under a pass)."""
    counted = [c for c in checks if c.outcome != Outcome.SKIPPED]

    def with_outcome(outcome: Outcome) -> list[Check]:
        return [c for c in counted if c.outcome == outcome]

    def reasons(found: list[Check]) -> list[str]:
        return [f"{c.id}: {c.message}" for c in found]

    if errors := with_outcome(Outcome.ERROR):
        return Decision(outcome=DecisionOutcome.ERROR, reasons=reasons(errors))
    if fails := with_outcome(Outcome.FAIL):
        first = [c for c in fails if c.category in FIRST_TO_FIX]
        return Decision(outcome=DecisionOutcome.FAIL, reasons=reasons(first + [c for c in fails if c not in first]))
    if inconclusive_blocks and (unsure := with_outcome(Outcome.INCONCLUSIVE)):
        return Decision(outcome=DecisionOutcome.NEEDS_REVIEW, reasons=reasons(unsure))
    warned = [f"warning: {r}" for r in reasons(with_outcome(Outcome.WARN))][:10]
    return Decision(outcome=DecisionOutcome.PASS, reasons=[f"{len(counted)} checks: none failed", *warned])


def json_schema() -> dict[str, Any]:
    schema = GateResult.model_json_schema()
    schema["$id"] = f"https://govgate.dev/schemas/gate-result/{SCHEMA_VERSION}.json"
    schema["$schema"] = "https://json-schema.org/draft/2020-12/schema"
    return schema
