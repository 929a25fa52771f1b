"""The datasheet a dataset arrives with: who owns it, where it came from, why and on what legal basis it
may be used, how long it is kept, which columns it has and which are sensitive.

Loading is lenient about *missing* fields (they become findings of the review, not crashes) and strict
about *wrong* ones (an unknown key or a value of the wrong form is an ``InputError`` naming the file and
the key), so that a typo never silently drops a declaration.
"""

from __future__ import annotations

import difflib
import re
from datetime import timedelta
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from govgate.errors import InputError
from govgate.yamlio import load_yaml

LEGAL_BASES = (
    "consent",
    "contract",
    "legal_obligation",
    "vital_interests",
    "public_task",
    "legitimate_interests",
    "research_exemption",
    "none",
)


class ColumnSpec(BaseModel):
    model_config = ConfigDict(extra="forbid")

    name: str = Field(..., min_length=1)
    description: str = ""
    type: (
        Literal["string", "text", "integer", "float", "number", "boolean", "date", "datetime", "category", "id"] | None
    ) = None
    nullable: bool = True
    min: float | None = None
    max: float | None = None
    allowed_values: list[Any] | None = None
    unique: bool = False
    pii: bool | None = Field(None, description="declared to hold personal data")


class FileFormat(BaseModel):
    model_config = ConfigDict(extra="forbid")

    type: Literal["csv", "parquet", "jsonl", "text"] | None = Field(
        None, description="default: from the file extension"
    )
    header: bool = True
    delimiter: str = Field(",", min_length=1, max_length=1)
    encoding: str = "utf-8"


class Consent(BaseModel):
    model_config = ConfigDict(extra="forbid")

    obtained: bool
    mechanism: str = ""
    evidence: str = Field("", description="where the consent records are")
    withdrawal_process: str = ""


#: entity types left in free text unless the datasheet turns them on (``anonymization.text_also``): links,
#: dates, organisations (brands) and nationalities/religious/political groups rarely single a person out,
#: and replacing them makes prose unreadable
LOW_RISK_IN_TEXT = ("URL", "DATE_TIME", "ORGANIZATION", "NRP")
_ENTITY_NAME = r"^[A-Z][A-Z0-9_]*$"


class Anonymization(BaseModel):
    """How the review's anonymized copy (``--redact``) treats each column. Identifier columns are replaced
    whole, free text entity by entity, every other column is copied as it is (docs/anonymized-copy.md)."""

    model_config = ConfigDict(extra="forbid")

    text_entities: list[str] | None = Field(
        None, description="allow-list of entity types replaced in free text (default: every type but the low-risk ones)"
    )
    text_also: list[str] = Field(
        default_factory=list, description="low-risk types (URL, DATE_TIME, ORGANIZATION, NRP) replaced in text too"
    )
    text_operator: Literal["placeholder", "pseudonym"] = Field(
        "placeholder", description="placeholder: <PERSON>; pseudonym: a stable keyed pseudonym"
    )
    identifier_operator: Literal["pseudonym", "placeholder"] = Field(
        "pseudonym", description="how identifier columns are replaced (pseudonyms keep joins)"
    )
    identifier_min_share: float = Field(
        0.5, gt=0, le=1, description="a column in which at least this share of values holds PII is an identifier"
    )
    columns: dict[str, Literal["identifier", "text", "keep"]] = Field(
        default_factory=dict, description="column -> identifier (replace whole) | text (entity by entity) | keep"
    )

    @field_validator("text_entities", "text_also")
    @classmethod
    def _entity_names(cls, value: list[str] | None) -> list[str] | None:
        bad = [v for v in value or [] if not re.match(_ENTITY_NAME, v)]
        if bad:
            raise ValueError(f"{bad} are not entity type names like PERSON or EMAIL_ADDRESS")
        return value


class Datasheet(BaseModel):
    model_config = ConfigDict(extra="forbid")

    name: str | None = None
    version: str | None = None
    description: str = ""
    owner: str | None = None
    source: str | None = None
    collection_method: str | None = None
    purpose: str | None = None
    legal_basis: str | None = None
    consent: Consent | None = None
    retention: str | None = Field(None, description="ISO 8601 duration (P2Y, P90D) or 90d / 2y")
    license: str | None = None
    tier: str | None = None
    sensitive_attributes: list[str] = Field(default_factory=list)
    columns: list[ColumnSpec] = Field(default_factory=list)
    format: FileFormat = Field(default_factory=FileFormat)
    expectation_suites: list[str] = Field(default_factory=list)
    anonymization: Anonymization = Field(default_factory=Anonymization)

    path: str | None = Field(None, exclude=True)

    @field_validator("legal_basis")
    @classmethod
    def _basis(cls, value: str | None) -> str | None:
        if value is not None and value not in LEGAL_BASES:
            # A legal basis is a legal claim: suggest, never correct.
            close = difflib.get_close_matches(re.sub(r"[\s-]+", "_", str(value).lower()), LEGAL_BASES, n=1)
            hint = f"; did you mean {close[0]!r}?" if close else ""
            raise ValueError(f"{value!r} is not one of {list(LEGAL_BASES)}{hint}")
        return value

    @field_validator("columns", mode="before")
    @classmethod
    def _columns_by_name(cls, value: Any) -> Any:
        # Also accept the mapping form, column name -> its spec (the spec may be empty).
        if isinstance(value, dict):
            return [
                {"name": str(name), **(spec if isinstance(spec, dict) else {"description": spec or ""})}
                for name, spec in value.items()
            ]
        return value

    @field_validator("retention")
    @classmethod
    def _retention(cls, value: str | None) -> str | None:
        if value is not None:
            parse_retention(value)
        return value

    def column(self, name: str) -> ColumnSpec | None:
        return next((c for c in self.columns if c.name == name), None)

    def missing_fields(self, required: list[str]) -> list[str]:
        return [f for f in required if getattr(self, f, None) in (None, "", [])]

    @property
    def retention_period(self) -> timedelta | None:
        return parse_retention(self.retention) if self.retention else None


def parse_retention(text: str) -> timedelta:
    """'P2Y', 'P90D', 'P6M', '90d', '2y', '6m', '12w' -> timedelta (a year is 365 days, a month 30)."""
    unit_days = {"y": 365, "m": 30, "w": 7, "d": 1}
    t = text.strip().lower()
    if m := re.fullmatch(r"(\d+)\s*([ymwd])", t):
        return timedelta(days=int(m[1]) * unit_days[m[2]])
    if m := re.fullmatch(r"p(?:(\d+)y)?(?:(\d+)m)?(?:(\d+)w)?(?:(\d+)d)?", t):
        if any(m.groups()):
            y, mo, w, d = (int(g or 0) for g in m.groups())
            return timedelta(days=y * 365 + mo * 30 + w * 7 + d)
    raise ValueError(f"{text!r} is not a retention period like P2Y, P90D, 90d or 2y")


# the expected form, added to a "wrong type" error of these keys
_EXPECTED = {
    "consent": " (expected a mapping: obtained, mechanism, evidence, withdrawal_process)",
    "columns": " (expected a list of {name, type, description, ...} or a mapping column name -> {type, description, ...})",
    "format": " (expected a mapping: type, header, delimiter, encoding)",
    "sensitive_attributes": " (expected a list of column names)",
    "expectation_suites": " (expected a list of suite names)",
    "anonymization": " (expected a mapping: text_entities, text_also, text_operator, identifier_operator, "
    "identifier_min_share, columns)",
}


def load_datasheet(path: str | Path | None) -> Datasheet:
    """Read a datasheet YAML; ``None`` gives an empty datasheet (every required field then missing)."""
    if path is None:
        return Datasheet()
    path = Path(path)
    if not path.is_file():
        raise InputError(f"datasheet {path} does not exist")
    data = load_yaml(path, what=f"datasheet {path}")
    if data is None:
        data = {}
    if not isinstance(data, dict):
        raise InputError(
            f"datasheet {path}: expected a mapping of fields (owner, source, ...), got {type(data).__name__}"
        )
    try:
        sheet = Datasheet.model_validate(data)
    except ValidationError as exc:
        problems = []
        names = list(data["columns"]) if isinstance(data.get("columns"), dict) else None
        for err in exc.errors():
            loc = list(err["loc"])
            if names and len(loc) > 1 and loc[0] == "columns" and isinstance(loc[1], int):
                loc[1] = names[loc[1]]  # the mapping form: name the column, not its position
            key = ".".join(str(p) for p in loc)
            if err["type"] == "extra_forbidden":
                problems.append(f"{key}: unknown key")
                continue
            msg = err["msg"].removeprefix("Value error, ")
            expected = _EXPECTED.get(key, "") if err["type"].endswith("_type") else ""
            problems.append(f"{key}: {msg}{expected}")
        raise InputError(f"datasheet {path}: " + "; ".join(problems)) from None
    sheet.path = str(path)
    return sheet
