"""A vendor's third-party review submission (YAML), validated strictly against the checklist.

Strict because it is evidence of a legal duty: an unknown key, an item the checklist does not have, an
answer of the wrong type, a bad date, an expiry before the issue date, a duplicate item or a listed
evidence file that does not exist is one ``InputError`` naming the file and the dotted key. A missing
*item* is not an input error: it is what the review is for (a finding).
"""

from __future__ import annotations

import re
from datetime import date
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

from govgate.errors import InputError
from govgate.thirdparty.checklist import AnswerSpec, Checklist
from govgate.yamlio import describe_validation, load_yaml

_ID = r"^[a-z0-9][a-z0-9._\-]*$"
_COUNTRY = re.compile(r"^[A-Z]{2}$")


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


def _country(value: str) -> str:
    if not _COUNTRY.match(value):
        raise ValueError(f"{value!r} is not an ISO 3166 alpha-2 country code like VN, SG or US")
    return value


class Location(_Strict):
    country: str
    purpose: str = Field("", description="what happens there: inference, storage, support, training ...")

    _country = field_validator("country")(classmethod(lambda cls, v: _country(v)))


class ItemEvidence(_Strict):
    evidence: list[str] = Field(..., min_length=1, description="files, relative to the submission's folder")
    issued: date
    expires: date | None = None
    answers: dict[str, Any] = Field(default_factory=dict)

    @model_validator(mode="after")
    def _dates(self) -> ItemEvidence:
        if self.expires is not None and self.expires < self.issued:
            raise ValueError(f"expires {self.expires} is before issued {self.issued}")
        return self

    @field_validator("evidence")
    @classmethod
    def _distinct(cls, value: list[str]) -> list[str]:
        if len(set(value)) != len(value):
            raise ValueError("the same file is listed twice")
        return value


class Submission(_Strict):
    id: str = Field(..., pattern=_ID, description="the tool's id, as in the inventory")
    vendor: str = Field(..., min_length=1)
    service: str = Field(..., min_length=1)
    tier: str | None = None
    ai_act_role: Literal["provider", "deployer"]
    personal_data: bool
    data_subjects: list[str] = Field(default_factory=list, description="where the people are: VN, EU, or a country")
    data_locations: list[Location] = Field(..., min_length=1)
    items: dict[str, ItemEvidence] = Field(default_factory=dict)

    path: str = Field("", exclude=True)

    @field_validator("data_subjects")
    @classmethod
    def _subjects(cls, value: list[str]) -> list[str]:
        return [v if v == "EU" else _country(v) for v in value]

    @model_validator(mode="after")
    def _personal_data_subjects(self) -> Submission:
        if self.personal_data and not self.data_subjects:
            raise ValueError("data_subjects: personal_data is true, so say whose (VN, EU or country codes)")
        return self

    @property
    def folder(self) -> Path:
        return Path(self.path).parent


def load_submission(path: str | Path, checklist: Checklist) -> Submission:
    """Read, validate and check a submission against the checklist; one ``InputError`` per bad file."""
    path = Path(path)
    what = f"third-party submission {path}"
    if not path.is_file():
        raise InputError(f"{what} does not exist")
    raw = path.read_bytes()
    data = load_yaml(raw, what=str(path))  # an impossible date (2026-02-30) is named there, by line
    if not isinstance(data, dict):
        raise InputError(f"{path}: expected a mapping with keys id, vendor, service, items; got {type(data).__name__}")
    try:
        sub = Submission.model_validate(data).model_copy(update={"path": str(path)})
    except ValidationError as exc:
        raise InputError(f"{path}: " + "; ".join(describe_validation(e) for e in exc.errors())) from None
    problems = [*_item_problems(sub, checklist), *_missing_files(sub)]
    if problems:
        raise InputError(f"{path}: " + "; ".join(problems))
    return sub


def _item_problems(sub: Submission, checklist: Checklist) -> list[str]:
    problems = []
    for item_id, given in sub.items.items():
        spec = checklist.items.get(item_id)
        if spec is None:
            problems.append(
                f"items.{item_id}: not an item of checklist {checklist.name} ({', '.join(checklist.items)})"
            )
            continue
        for name in given.answers:
            if name not in spec.answers:
                problems.append(f"items.{item_id}.answers.{name}: unknown key (expected {sorted(spec.answers)})")
        for name, answer_spec in spec.answers.items():
            key = f"items.{item_id}.answers.{name}"
            problems += answer_problems(key, given.answers.get(name), answer_spec)
    return problems


def answer_problems(key: str, value: Any, spec: AnswerSpec) -> list[str]:
    """What is wrong with one answer (empty when it fits its declared type)."""
    if value is None:
        return [f"{key}: required key is missing"] if spec.required else []
    expected = {
        "date": lambda v: isinstance(v, date),
        "integer": lambda v: isinstance(v, int) and not isinstance(v, bool),
        "boolean": lambda v: isinstance(v, bool),
        "text": lambda v: isinstance(v, str),
        "choice": lambda v: v in spec.choices,
        "organisations": lambda v: _list_of(v, {"name", "country"}, {"name", "country"}),
        "contacts": lambda v: _list_of(v, {"role"}, {"role", "name", "email", "phone"}),
    }[spec.type]
    if not expected(value):
        shape = {
            "choice": f"one of {spec.choices}",
            "organisations": "a list of {name, country}",
            "contacts": "a list of {role, name?, email?, phone?}",
            "date": "a date like 2026-12-31",
        }.get(spec.type, f"a {spec.type}")
        return [f"{key}: expected {shape}"]
    if spec.type == "organisations":
        return [f"{key}[{i}].country: {e}" for i, o in enumerate(value) for e in _country_error(o["country"])]
    if spec.type == "contacts":
        return [
            f"{key}[{i}]: give an email or a phone"
            for i, c in enumerate(value)
            if not (c.get("email") or c.get("phone"))
        ]
    return []


def _list_of(value: Any, required: set[str], allowed: set[str]) -> bool:
    return (
        isinstance(value, list)
        and bool(value)
        and all(
            isinstance(v, dict) and required <= set(v) <= allowed and all(isinstance(x, str) for x in v.values())
            for v in value
        )
    )


def _country_error(value: str) -> list[str]:
    return [] if _COUNTRY.match(value) else [f"{value!r} is not an ISO 3166 alpha-2 country code"]


def _missing_files(sub: Submission) -> list[str]:
    """Evidence files must exist inside the submission's folder: a path out of it (absolute, ``..``, a
    link elsewhere) would copy any readable file of the machine into the evidence store."""
    problems = []
    folder = sub.folder.resolve()
    for item_id, given in sub.items.items():
        for i, name in enumerate(given.evidence):
            file = (sub.folder / name).resolve()
            key = f"items.{item_id}.evidence[{i}]"
            if Path(name).is_absolute() or not file.is_relative_to(folder):
                problems.append(f"{key}: {name} is outside the submission's folder {sub.folder}")
            elif not file.is_file():
                problems.append(f"{key}: file {name} does not exist (looked in {sub.folder})")
    return problems
