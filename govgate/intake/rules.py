"""The legal decision tree as data (policies/risk_rules.yaml): rules, their conditions and citations.

A condition is evaluated in three-valued logic over the answers: True, False, or None (undecided, because
an answer it needs is unknown). ``all`` is False as soon as one part is False, ``any`` True as soon as one
part is True; otherwise an unknown part leaves them undecided.
"""

from __future__ import annotations

from datetime import date
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, model_validator

from govgate.errors import PolicyError
from govgate.intake.answers import Answers
from govgate.policy import LEGAL_CLASSES
from govgate.yamlio import load_validated_file

PACKAGED_RULES = Path(__file__).resolve().parent.parent / "data" / "risk_rules.yaml"
OPS = ("answer", "all", "any", "not", "fired", "fired_any")
TESTS = ("is", "has", "above", "before", "nonempty", "in")


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class DatedFrom(_Strict):
    when: dict[str, Any] | None = None
    date: date


class Rule(_Strict):
    id: str = Field(..., min_length=1)
    framework: str
    family: str
    legal_class: str | None = Field(..., alias="class")
    label: str | None = Field(None, description="the regime's own word for the class (Vietnam: high, medium, low)")
    citation: str = Field(..., min_length=1)
    controls: list[str] = Field(default_factory=list, description="catalog control ids of the framework")
    title: str
    applies_from: date | list[DatedFrom]
    when: dict[str, Any]

    @model_validator(mode="after")
    def _class(self) -> Rule:
        if self.legal_class is not None and self.legal_class not in LEGAL_CLASSES:
            raise ValueError(f"class {self.legal_class!r} is not one of {list(LEGAL_CLASSES)}")
        return self


class Contradiction(_Strict):
    id: str
    # Not named ``keys``: Prefect reads a model with a ``keys`` attribute as a mapping.
    answer_keys: list[str] = Field(..., min_length=1, alias="keys")
    message: str
    when: dict[str, Any]


class RuleBook(_Strict):
    schema_: str = Field(..., alias="schema", pattern=r"^govgate\.risk-rules/1$")
    version: str
    frameworks: dict[str, str]
    rules: list[Rule]
    contradictions: list[Contradiction] = Field(default_factory=list)
    path: str = Field("", exclude=True)
    sha256: str = Field("", exclude=True)

    @model_validator(mode="after")
    def _references(self) -> RuleBook:
        """Every condition well formed, naming questionnaire keys and rules above it; ids unique."""
        seen: set[str] = set()
        for i, rule in enumerate(self.rules):
            if rule.id in seen:
                raise ValueError(f"rules.{i}.id: duplicate rule id {rule.id!r}")
            if rule.framework not in self.frameworks:
                raise ValueError(f"rules.{i}.framework: {rule.framework!r} is not in frameworks")
            check_condition(rule.when, seen, f"rules.{i}.when")
            for j, dated in enumerate(rule.applies_from if isinstance(rule.applies_from, list) else []):
                if dated.when is not None:
                    check_condition(dated.when, seen, f"rules.{i}.applies_from.{j}.when")
            seen.add(rule.id)
        for i, c in enumerate(self.contradictions):
            check_condition(c.when, seen, f"contradictions.{i}.when")
            for key in c.answer_keys:
                _check_key(key, f"contradictions.{i}.keys")
        return self


def _check_key(key: str, where: str) -> None:
    probe = Answers.model_construct()
    node: Any = type(probe)
    for part in key.split("."):
        fields = getattr(node, "model_fields", None)
        if fields is None or part not in fields:
            raise ValueError(f"{where}: {key!r} is not a questionnaire key")
        node = fields[part].annotation
        node = next((a for a in getattr(node, "__args__", ()) if hasattr(a, "model_fields")), node)


def check_condition(cond: Any, earlier: set[str], where: str) -> None:
    if not isinstance(cond, dict) or not cond:
        raise ValueError(f"{where}: a condition is a mapping such as {{answer: KEY, is: true}}")
    op = next((k for k in cond if k in OPS), None)
    if op is None:
        raise ValueError(f"{where}: expected one of {list(OPS)}, got {sorted(cond)}")
    if op == "answer":
        tests = [k for k in cond if k != "answer"]
        if len(tests) != 1 or tests[0] not in TESTS:
            raise ValueError(f"{where}: {{answer: KEY}} takes exactly one of {list(TESTS)}, got {tests}")
        _check_key(cond["answer"], where)
    elif len(cond) != 1:
        raise ValueError(f"{where}: {op!r} stands alone in its mapping, got {sorted(cond)}")
    elif op in ("all", "any"):
        for k, part in enumerate(cond[op]):
            check_condition(part, earlier, f"{where}.{op}.{k}")
    elif op == "not":
        check_condition(cond["not"], earlier, f"{where}.not")
    else:
        names = [cond[op]] if op == "fired" else list(cond[op])
        if missing := [n for n in names if n not in earlier]:
            raise ValueError(f"{where}: {op} names {missing}, which is not a rule above this one")


def evaluate(cond: dict[str, Any], answers: Answers, fired: dict[str, bool | None]) -> bool | None:
    """True, False, or None when an unknown answer leaves it undecided (Kleene's three-valued logic)."""
    if "answer" in cond:
        return _test(answers.value(cond["answer"]), cond)
    if "all" in cond:
        parts = [evaluate(c, answers, fired) for c in cond["all"]]
        return False if False in parts else (None if None in parts else True)
    if "any" in cond:
        parts = [evaluate(c, answers, fired) for c in cond["any"]]
        return True if True in parts else (None if None in parts else False)
    if "not" in cond:
        inner = evaluate(cond["not"], answers, fired)
        return None if inner is None else not inner
    if "fired" in cond:
        return fired[cond["fired"]]
    return evaluate({"any": [{"fired": n} for n in cond["fired_any"]]}, answers, fired)


def _test(value: Any, cond: dict[str, Any]) -> bool | None:
    ((test, expected),) = ((k, v) for k, v in cond.items() if k != "answer")
    if test == "nonempty":
        if value is None:
            return None
        return bool(value) == bool(expected)
    if value is None:
        return False if test == "before" else None  # a date left empty means "not yet" (not in service)
    if test == "is":
        return value == expected
    if test == "has":
        return expected in value
    if test == "in":
        return value in expected
    if test == "above":
        return float(value) > float(expected)
    return value < (expected if isinstance(expected, date) else date.fromisoformat(str(expected)))


def applies_from(rule: Rule, answers: Answers) -> date:
    """The day the rule binds for this asset: the first dated entry whose condition holds (an undecided
    condition counts as holding: a transitional date is not assumed away, nor applied before it binds)."""
    if isinstance(rule.applies_from, date):
        return rule.applies_from
    for dated in rule.applies_from:
        if dated.when is None or evaluate(dated.when, answers, {}) is not False:
            return dated.date
    return rule.applies_from[-1].date


def load_rulebook(path: str | Path | None = None) -> RuleBook:
    """The decision tree at ``path`` (default: the copy govgate ships); errors name the file and the key."""
    from govgate.digest import sha256_bytes

    path = Path(path) if path else PACKAGED_RULES
    book, raw = load_validated_file(
        path, RuleBook, what="risk rules file", expected="a mapping with keys schema, rules", error=PolicyError
    )
    return book.model_copy(update={"path": str(path), "sha256": sha256_bytes(raw)})


def rules_path_for(policy) -> Path:
    """The policy's rules file (``intake.rules``, relative to the policy file), else the packaged copy."""
    candidate = Path(policy.intake.rules)
    if not candidate.is_absolute() and policy.path:
        candidate = Path(policy.path).resolve().parent / candidate
    return candidate if candidate.is_file() else PACKAGED_RULES
