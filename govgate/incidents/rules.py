"""The legal-clock rules as data (policies/legal_clocks.yaml), validated strictly.

A typo in a law's clock must never fall back to a default: unknown keys, a period that is not exactly one
of hours / days / immediate, an unknown time zone or a superseding clock that does not exist are errors that
name the file and the key.
"""

from __future__ import annotations

from datetime import date
from pathlib import Path
from typing import Literal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from govgate.digest import sha256_bytes
from govgate.errors import PolicyError
from govgate.incidents.model import IncidentKind, Jurisdiction
from govgate.settings import REPO_ROOT
from govgate.yamlio import load_validated_file

DEFAULT_LEGAL_CLOCKS = REPO_ROOT / "policies" / "legal_clocks.yaml"


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Period(_Strict):
    """Exactly one of: elapsed hours, calendar days in the clock's zone, or immediately."""

    hours: int | None = Field(None, ge=1)
    days: int | None = Field(None, ge=1)
    immediate: Literal[True] | None = None

    @model_validator(mode="after")
    def _one(self) -> Period:
        given = [k for k in ("hours", "days", "immediate") if getattr(self, k) is not None]
        if len(given) != 1:
            raise ValueError(f"give exactly one of hours, days, immediate (got {given or 'none'})")
        return self

    def words(self) -> str:
        if self.immediate:
            return "without delay"
        if self.hours is not None:
            return f"within {self.hours} hours"
        return f"within {self.days} days"


class ClockRule(_Strict):
    id: str = Field(..., pattern=r"^[a-z0-9][a-z0-9-]*$")
    framework: str = Field(..., min_length=1, description="catalog framework id (gdpr: not in the catalog)")
    article: str = Field(..., min_length=1, description="catalog control id")
    title: str = Field(..., min_length=1)
    jurisdiction: Jurisdiction
    kinds: list[IncidentKind] = Field(..., min_length=1, description="the clock runs for any of these kinds")
    superseded_by: list[str] = Field(default_factory=list, description="shorter clocks that replace this one")
    starts: Literal["aware", "opened"] = "aware"
    within: Period
    zone: str = Field(..., description="IANA time zone in which days are counted and in-force dates are read")
    in_force_from: date
    in_force_until: date | None = None
    initial_report_allowed: bool = False
    notes: str = ""

    @field_validator("zone")
    @classmethod
    def _zone(cls, value: str) -> str:
        try:
            ZoneInfo(value)
        except (ZoneInfoNotFoundError, ValueError):
            raise ValueError(f"{value!r} is not an IANA time zone like Europe/Brussels or Asia/Ho_Chi_Minh") from None
        return value


class LegalClocks(_Strict):
    version: Literal[1]
    description: str = ""
    clocks: list[ClockRule] = Field(..., min_length=1)

    # set by load_legal_clocks, not by the file
    path: str = Field("", exclude=True)
    sha256: str = Field("", exclude=True)

    @model_validator(mode="after")
    def _references(self) -> LegalClocks:
        ids = [c.id for c in self.clocks]
        if dupes := sorted({i for i in ids if ids.count(i) > 1}):
            raise ValueError(f"clocks: duplicate id(s) {dupes}")
        for n, clock in enumerate(self.clocks):
            if unknown := [s for s in clock.superseded_by if s not in ids]:
                raise ValueError(f"clocks[{n}] ({clock.id}).superseded_by: unknown clock id(s) {unknown}")
            if clock.in_force_until and clock.in_force_until < clock.in_force_from:
                raise ValueError(f"clocks[{n}] ({clock.id}): in_force_until is before in_force_from")
        return self

    def rule(self, clock_id: str) -> ClockRule:
        return next(c for c in self.clocks if c.id == clock_id)


def load_legal_clocks(path: str | Path | None = None) -> LegalClocks:
    """Read and validate a legal-clock file (default: the shipped policies/legal_clocks.yaml)."""
    path = Path(path or DEFAULT_LEGAL_CLOCKS)
    clocks, raw = load_validated_file(
        path, LegalClocks, what="legal clock file", expected="a mapping with keys version, clocks", error=PolicyError
    )
    return clocks.model_copy(update={"path": str(path), "sha256": sha256_bytes(raw)})
