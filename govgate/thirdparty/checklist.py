"""The third-party checklist as policy data (policies/third_party_checklist.yaml), validated strictly.

Which items a vendor must show depends on the risk tier and on facts of the submission (personal data,
a transfer out of Vietnam or the EU, our EU AI Act role); every citation is a control id of the shared
catalog, checked on load, so a typo never cites a control that does not exist.
"""

from __future__ import annotations

from pathlib import Path
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from govgate.controls import load_index
from govgate.digest import sha256_bytes
from govgate.errors import PolicyError
from govgate.settings import REPO_ROOT
from govgate.yamlio import load_validated_file

#: the file in a clone; the package's copy (kept identical by a test) where there is no clone
REPO_CHECKLIST = REPO_ROOT / "policies" / "third_party_checklist.yaml"
PACKAGED_CHECKLIST = Path(__file__).resolve().parents[1] / "data" / "third_party_checklist.yaml"

#: facts of a submission an item's ``when`` may name (govgate.thirdparty.review.facts computes them)
FACTS = ("personal_data", "transfer_from_vn", "transfer_from_eu", "deployer", "provider")
ANSWER_TYPES = ("date", "integer", "boolean", "text", "choice", "organisations", "contacts")


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


def _known_controls(value: list[str]) -> list[str]:
    known = load_index()["controls"]
    bad = [c for c in value if c not in known]
    if bad:
        raise ValueError(
            f"{bad} are not control ids of the catalog (framework:control, e.g. 'vn-pdpl-91-2025:Art. 20')"
        )
    return value


class PerTier(_Strict):
    """A number per risk tier: ``default`` and any tier that differs."""

    model_config = ConfigDict(extra="allow", frozen=True)
    default: int | float

    def for_tier(self, tier: str) -> int | float:
        value = (self.model_extra or {}).get(tier, self.default)
        if not isinstance(value, (int, float)) or isinstance(value, bool):
            raise PolicyError(f"per-tier value for {tier!r} is not a number: {value!r}")
        return value


class AnswerSpec(_Strict):
    type: Literal["date", "integer", "boolean", "text", "choice", "organisations", "contacts"]
    required: bool = False
    choices: list[str] = Field(default_factory=list)
    help: str = ""

    @model_validator(mode="after")
    def _choices(self) -> AnswerSpec:
        if (self.type == "choice") != bool(self.choices):
            raise ValueError("choices: give them for type 'choice', and only for it")
        return self


class Limit(_Strict):
    """An answer judged against a value (per tier), e.g. notification_hours <= 24."""

    answer: str
    title: str
    op: Literal["<=", "<", ">=", ">"]
    value: PerTier
    controls: list[str] = Field(default_factory=list)

    _controls = field_validator("controls")(classmethod(lambda cls, v: _known_controls(v)))


class Deadline(_Strict):
    """Days from one answer date to another (or to the review date while it is empty) at most ``days``."""

    title: str
    start: str = Field(..., alias="from")
    done: str
    days: int = Field(..., ge=0)
    controls: list[str] = Field(default_factory=list)

    _controls = field_validator("controls")(classmethod(lambda cls, v: _known_controls(v)))


class Item(_Strict):
    title: str = Field(..., min_length=1)
    tiers: list[str] = Field(..., min_length=1)
    when: list[Literal["personal_data", "transfer_from_vn", "transfer_from_eu", "deployer", "provider"]] = Field(
        default_factory=list
    )
    expiry: Literal["required", "optional"] = "optional"
    controls: list[str] = Field(default_factory=list)
    references: list[str] = Field(default_factory=list)
    answers: dict[str, AnswerSpec] = Field(default_factory=dict)
    limits: list[Limit] = Field(default_factory=list)
    deadline: Deadline | None = None
    remediation: str = ""

    _controls = field_validator("controls")(classmethod(lambda cls, v: _known_controls(v)))

    @model_validator(mode="after")
    def _answers_named(self) -> Item:
        named = [lim.answer for lim in self.limits] + (
            [self.deadline.start, self.deadline.done] if self.deadline else []
        )
        bad = [a for a in named if a not in self.answers]
        if bad:
            raise ValueError(f"limits/deadline name answers {bad} that the item does not declare")
        return self


class Checklist(_Strict):
    name: str = Field(..., min_length=1)
    version: str = Field(..., min_length=1)
    expiry_notice_days: PerTier
    items: dict[str, Item] = Field(..., min_length=1)

    path: str = Field("", exclude=True)
    sha256: str = Field("", exclude=True)

    @field_validator("items")
    @classmethod
    def _item_ids(cls, value: dict[str, Item]) -> dict[str, Item]:
        bad = [k for k in value if not k.replace("_", "").isalnum() or not k[0].isalpha() or k != k.lower()]
        if bad:
            raise ValueError(f"item ids {bad} must be lower-case letters, digits and underscores")
        return value


def default_checklist_path() -> Path:
    return REPO_CHECKLIST if REPO_CHECKLIST.is_file() else PACKAGED_CHECKLIST


def load_checklist(path: str | Path | None = None) -> Checklist:
    """Read and validate a checklist (default: the shipped one); every problem names the file and key."""
    path = Path(path) if path else default_checklist_path()
    checklist, raw = load_validated_file(
        path,
        Checklist,
        what="third-party checklist",
        expected="a mapping with keys name, version, items",
        error=PolicyError,
    )
    return checklist.model_copy(update={"path": str(path), "sha256": sha256_bytes(raw)})
