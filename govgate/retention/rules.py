"""Retention rules: the strict rule file (prefix rules, MLflow artifact rules, legal holds), the audit names
and the errors of a purge."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from fnmatch import fnmatchcase
from pathlib import Path
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from govgate import protocol
from govgate.datasheet import parse_retention
from govgate.digest import sha256_bytes
from govgate.errors import GovgateError, PolicyError
from govgate.yamlio import load_validated_file

AUDIT_PREFIX = protocol.RETENTION_AUDIT_PREFIX
ALWAYS_PROTECTED = protocol.ALWAYS_PROTECTED
PLAN_KIND = protocol.RETENTION_PLAN_KIND
CERTIFICATE_KIND = protocol.RETENTION_CERTIFICATE_KIND
PURGED_RUN_TAG = protocol.RUN_PURGED


class RetentionRulesError(PolicyError):
    """The retention rule file cannot be read or does not validate: nothing is deleted."""


class PurgeError(GovgateError):
    """The purge cannot go on safely."""


# --------------------------------------------------------------------------------------------------
# rules
# --------------------------------------------------------------------------------------------------


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, populate_by_name=True)


def _check_period(value: str) -> str:
    try:
        parse_retention(value)
    except ValueError as exc:
        raise ValueError(str(exc)) from None
    return value


class PrefixRule(_Strict):
    """Objects under ``prefix`` (and matching ``pattern`` and ``tags``) are kept ``retain`` from ``from``."""

    id: str = Field(..., pattern=r"^[a-z0-9][a-z0-9._-]*$", description="stable rule id, shown in every record")
    description: str = ""
    prefix: str = Field(..., description="key prefix in the store, e.g. raw/clickstream/ ('' = the whole store)")
    pattern: str | None = Field(None, description="glob on the whole key, e.g. '*.csv'")
    tags: dict[str, str | list[str]] = Field(default_factory=dict, description="object tags that must all match")
    retain: str = Field(..., description="ISO 8601 duration (P90D, P2Y) or 90d / 2y")
    start: str = Field("created", alias="from", description="'created' or 'tag:<name>' holding an ISO date")
    data_class: str | None = Field(None, description="class reported when the object has no class tag")

    _retain = field_validator("retain")(classmethod(lambda cls, v: _check_period(v)))

    @field_validator("start")
    @classmethod
    def _start(cls, value: str) -> str:
        if value != "created" and not (value.startswith("tag:") and len(value) > 4):
            raise ValueError(f"{value!r} is neither 'created' nor 'tag:<name>'")
        return value

    @property
    def period(self) -> timedelta:
        return parse_retention(self.retain)

    @property
    def date_tag(self) -> str | None:
        return self.start[4:] if self.start.startswith("tag:") else None

    @property
    def needs_tags(self) -> bool:
        return bool(self.tags) or self.date_tag is not None

    def covers(self, key: str) -> bool:
        return key.startswith(self.prefix) and (self.pattern is None or fnmatchcase(key, self.pattern))

    def tags_match(self, tags: dict[str, str]) -> bool:
        for name, wanted in self.tags.items():
            allowed = [wanted] if isinstance(wanted, str) else wanted
            if tags.get(name) not in allowed:
                return False
        return True


class MlflowArtifactRule(_Strict):
    """Artifacts under ``artifact_path`` of runs in ``experiments`` are kept ``retain`` from the run's start."""

    id: str = Field(..., pattern=r"^[a-z0-9][a-z0-9._-]*$")
    description: str = ""
    experiments: list[str] = Field(..., min_length=1, description="MLflow experiment names")
    artifact_path: str = Field(..., min_length=1, description="folder inside each run's artifacts, e.g. raw-data")
    retain: str
    data_class: str = "raw-data"

    _retain = field_validator("retain")(classmethod(lambda cls, v: _check_period(v)))

    @field_validator("artifact_path")
    @classmethod
    def _path(cls, value: str) -> str:
        if value.startswith("/") or ".." in value.split("/"):
            raise ValueError(f"{value!r} must be a relative folder inside the run's artifacts")
        return value.strip("/")

    @property
    def period(self) -> timedelta:
        return parse_retention(self.retain)


class LegalHoldRules(_Strict):
    tags: dict[str, list[str]] = Field(
        default_factory=lambda: {"legal-hold": ["true", "yes", "on", "1"]},
        description="an object with any of these tag values is on legal hold and never deleted",
    )


class RetentionRules(_Strict):
    version: Literal[1] = 1
    description: str = ""
    protected_prefixes: list[str] = Field(
        default_factory=list, description="never eligible, besides evidence/ and audit/"
    )
    legal_hold: LegalHoldRules = Field(default_factory=LegalHoldRules)
    class_tag: str = Field("data-class", description="object tag that names an object's data class")
    rules: list[PrefixRule] = Field(default_factory=list)
    mlflow_artifacts: list[MlflowArtifactRule] = Field(default_factory=list)

    path: str = Field("", exclude=True)
    sha256: str = Field("", exclude=True)

    @field_validator("protected_prefixes")
    @classmethod
    def _protected(cls, value: list[str]) -> list[str]:
        bad = [p for p in value if not p or not p.endswith("/")]
        if bad:
            raise ValueError(f"{bad} must be folder prefixes ending in '/'")
        return value

    @model_validator(mode="after")
    def _consistent(self) -> RetentionRules:
        if not self.rules and not self.mlflow_artifacts:
            raise ValueError("no rules: give at least one entry under 'rules' or 'mlflow_artifacts'")
        ids = [r.id for r in self.rules] + [r.id for r in self.mlflow_artifacts]
        if dupes := sorted({i for i in ids if ids.count(i) > 1}):
            raise ValueError(f"rule ids must be unique; repeated: {dupes}")
        for n, rule in enumerate(self.rules):
            for protected in self.protected:
                if rule.prefix.startswith(protected):
                    raise ValueError(
                        f"rules[{n}] ({rule.id}).prefix {rule.prefix!r} is inside the protected prefix {protected!r}: "
                        "evidence and audit records are never eligible"
                    )
        return self

    @property
    def protected(self) -> tuple[str, ...]:
        return (*ALWAYS_PROTECTED, *self.protected_prefixes)

    def is_protected(self, key: str) -> bool:
        return key.startswith(self.protected)

    def on_hold(self, tags: dict[str, str]) -> str | None:
        for name, values in self.legal_hold.tags.items():
            if name in tags and tags[name].strip().lower() in [v.lower() for v in values]:
                return f"tag {name}={tags[name]}"
        return None

    @property
    def needs_tags(self) -> bool:
        return bool(self.legal_hold.tags) or any(r.needs_tags for r in self.rules)

    def roots(self) -> list[str]:
        """The fewest prefixes to list so that every rule's objects are seen once, in key order."""
        roots: list[str] = []
        for prefix in sorted({r.prefix for r in self.rules}):
            if not any(prefix.startswith(r) for r in roots):
                roots.append(prefix)
        return roots


def load_rules(path: str | Path) -> RetentionRules:
    """Read and validate a retention rule file; every problem names the file and the key."""
    rules, raw = load_validated_file(
        path,
        RetentionRules,
        what="retention rule file",
        expected="a mapping with a 'rules' list",
        error=RetentionRulesError,
    )
    return rules.model_copy(update={"path": str(path), "sha256": sha256_bytes(raw)})


def parse_tag_date(text: str | None) -> datetime | None:
    """An ISO date or date-time from a tag value; None when missing or unreadable (never a guess)."""
    if not text:
        return None
    try:
        value = datetime.fromisoformat(text.strip().replace("Z", "+00:00"))
    except ValueError:
        try:
            value = datetime.combine(date.fromisoformat(text.strip()), datetime.min.time())
        except ValueError:
            return None
    return value if value.tzinfo else value.replace(tzinfo=UTC)
