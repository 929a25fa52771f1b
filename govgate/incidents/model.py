"""What an incident is: its events (the only thing stored) and its state (a fold of them).

An incident is never a mutable document. Each thing that happens to it (opened, acknowledged, a legal
report filed, a clock escalated, a note, closed) is one write-once event object; the state a reader sees
is computed from the events in order (:mod:`govgate.incidents.fold`).
"""

from __future__ import annotations

from datetime import UTC, datetime
from enum import Enum
from typing import Annotated, Literal

from pydantic import AfterValidator, BaseModel, ConfigDict, Field

from govgate.record import AssetKind, Severity


def _aware(value: datetime) -> datetime:
    """Every instant carries its offset (a naive time would be read in whatever zone the reader is in) and
    is kept in UTC, so stored events and every view of them agree."""
    if value.tzinfo is None or value.utcoffset() is None:
        raise ValueError("a date-time with a time zone offset is required (e.g. 2026-09-01T10:00:00+02:00)")
    return value.astimezone(UTC)


AwareDatetime = Annotated[datetime, AfterValidator(_aware)]


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class IncidentStatus(str, Enum):
    OPEN = "open"
    ACKNOWLEDGED = "acknowledged"
    CLOSED = "closed"


class IncidentKind(str, Enum):
    """Legal classification that decides which reporting clocks run (policies/legal_clocks.yaml)."""

    SERIOUS_INCIDENT = "serious_incident"
    DEATH = "death"
    WIDESPREAD_INFRINGEMENT = "widespread_infringement"
    CRITICAL_INFRASTRUCTURE = "critical_infrastructure"
    PERSONAL_DATA_BREACH = "personal_data_breach"
    LOCATION_OR_BIOMETRIC_BREACH = "location_or_biometric_breach"


class Jurisdiction(str, Enum):
    EU = "EU"
    VN = "VN"


class EventKind(str, Enum):
    OPENED = "opened"
    ACKNOWLEDGED = "acknowledged"
    REPORTED = "reported"  # a legal report was filed for a clock
    CLOCK_ESCALATED = "clock-escalated"
    CLASSIFIED = "classified"  # a legal classification added later: its clocks start from that awareness
    NOTE = "note"
    CLOSED = "closed"


class ClockStatus(str, Enum):
    DUE = "due"
    OVERDUE = "overdue"
    MET = "met"
    NOT_APPLICABLE = "not-applicable"


class Asset(_Strict):
    kind: AssetKind
    id: str = Field(..., min_length=1)
    version: str = Field(..., min_length=1)


class ClockPlan(_Strict):
    """One legal clock of an incident, fixed when the incident opens (a later policy edit moves nothing)."""

    id: str
    framework: str
    article: str
    title: str
    jurisdiction: Jurisdiction
    starts: Literal["aware", "opened"]
    starts_at: AwareDatetime
    due_at: AwareDatetime | None = Field(None, description="null when not applicable")
    within: str = Field(..., description="the period in words: within 72 hours, within 15 days, without delay")
    zone: str
    initial_report_allowed: bool = False
    superseded_by: list[str] = Field(default_factory=list, description="shorter clocks that replace this one")
    applicable: bool = True
    reason: str = Field("", description="why the clock does not apply, when it does not")
    notes: str = ""


class OpenedPayload(_Strict):
    asset: Asset
    cause: str = Field(..., min_length=1, description="what regressed, as a key: a check id, a finding category")
    summary: str = Field(..., min_length=1, description="what regressed, in words")
    severity: Severity
    evidence: list[str] = Field(default_factory=list, description="record URIs that show it")
    kinds: list[IncidentKind] = Field(default_factory=list)
    jurisdictions: list[Jurisdiction] = Field(default_factory=list)
    aware_at: AwareDatetime
    source: str = Field("manual", description="who opened it: reassessment, manual, ...")
    clocks: list[ClockPlan] = Field(default_factory=list)
    clocks_file_sha256: str | None = None


class ClassifiedPayload(_Strict):
    """Kinds and jurisdictions added after opening (a regression found to be a serious incident, say)."""

    kinds: list[IncidentKind] = Field(default_factory=list)
    jurisdictions: list[Jurisdiction] = Field(default_factory=list)
    aware_at: AwareDatetime
    clocks: list[ClockPlan] = Field(default_factory=list, description="the clocks this classification starts")
    clocks_file_sha256: str | None = None


class IncidentEvent(_Strict):
    """One write-once event object under ``incidents/<incident id>/events/<seq>.json``."""

    schema_: str = Field(alias="schema")
    incident_id: str
    seq: int = Field(..., ge=1)
    kind: EventKind
    at: AwareDatetime = Field(..., description="when it happened (a report: when it was filed)")
    recorded_at: AwareDatetime = Field(..., description="when govgate wrote this event")
    by: str = Field(..., min_length=1)
    reason: str = ""
    clock_id: str | None = None
    reference: str = Field("", description="a report's reference at the authority (reported events)")
    complete: bool = Field(True, description="a reported event: false for an initial, incomplete report")
    opened: OpenedPayload | None = None
    classified: ClassifiedPayload | None = None

    model_config = ConfigDict(extra="forbid", frozen=True, populate_by_name=True)


class ClockView(_Strict):
    plan: ClockPlan
    status: ClockStatus
    reported_at: datetime | None = None
    late: bool = False
    escalated_at: datetime | None = None


class Incident(_Strict):
    """The current state: a pure function of the events (and, for clock status, of ``as_of``)."""

    id: str
    asset: Asset
    cause: str
    summary: str
    severity: Severity
    evidence: list[str]
    kinds: list[IncidentKind]
    jurisdictions: list[Jurisdiction]
    source: str
    opened_at: datetime
    opened_by: str
    aware_at: datetime
    status: IncidentStatus
    acknowledged_by: str | None = None
    acknowledged_at: datetime | None = None
    closed_by: str | None = None
    closed_at: datetime | None = None
    close_reason: str | None = None
    clocks: list[ClockView]
    history: list[IncidentEvent]
    as_of: datetime

    @property
    def overdue(self) -> list[ClockView]:
        return [c for c in self.clocks if c.status == ClockStatus.OVERDUE]
