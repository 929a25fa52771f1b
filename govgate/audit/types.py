"""The audit's value types: a control's coverage from records, and a governance KPI with its fraction.

Shared by coverage, KPIs, the audit report, OSCAL export, the dashboard and the Prometheus export, so each
reads the same fields. Plain dataclasses; ``asdict`` gives the JSON form.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime

# A control's status on the report date, from records only (never from a claim).
COVERED = "covered"  # every evidence kind the catalog maps has current, verified, passing evidence
PARTIAL = "partial"  # some evidence; some kinds missing, expired or not verifying
NOT_COVERED = "not_covered"  # no current, verified evidence of any mapped kind
NOT_APPLICABLE = "not_applicable"  # with the reason: not yet in force, repealed, no pipeline evidence possible
STATUSES = (COVERED, PARTIAL, NOT_COVERED, NOT_APPLICABLE)


@dataclass
class EvidenceRef:
    """One record serving a control: where it is, when it was decided, and whether it still counts."""

    record_id: str
    uri: str
    gate: str
    subject_id: str
    evidence_kind: str
    decided_at: datetime
    expires: date | None  # decided_at + the policy's validity period for this kind
    fresh: bool  # not expired on the report date
    verified: bool  # manifest (and, for packages, signature) still verifies; False counts as no evidence
    problems: list[str] = field(default_factory=list)


@dataclass
class ControlCoverage:
    ref: str  # "<framework>:<control id>", the catalog's identifiers kept
    framework: str
    control_id: str
    title: str
    status: str  # one of STATUSES
    reason: str  # why this status, in a sentence an auditor can check
    asset_id: str | None = None  # None: the organisation as a whole
    applies_from: str | None = None  # the catalog's effective date (text kept as written)
    evidence_kinds: list[str] = field(default_factory=list)  # what the catalog maps to the control
    served_kinds: list[str] = field(default_factory=list)  # kinds with current, verified evidence
    missing_kinds: list[str] = field(default_factory=list)
    expired_kinds: list[str] = field(default_factory=list)
    evidence: list[EvidenceRef] = field(default_factory=list)


@dataclass
class KPI:
    """A governance KPI: value = numerator / denominator over a period, with what each counts."""

    id: str  # e.g. evaluations_on_time
    name: str
    numerator: float
    denominator: float
    period_start: datetime
    period_end: datetime
    numerator_means: str  # what the numerator counts, e.g. "scheduled reassessments that ran by their due date"
    denominator_means: str
    unit: str = "ratio"  # ratio | hours | days | seconds | count
    higher_is_better: bool = True
    target: float | None = None
    details: dict = field(default_factory=dict)  # items behind the figure (record ids, incident ids), capped

    @property
    def value(self) -> float | None:
        """numerator / denominator for ratios; the mean (numerator = total, denominator = count) otherwise;
        None when there is nothing to count (never 0 or 100% by default)."""
        return None if not self.denominator else self.numerator / self.denominator
