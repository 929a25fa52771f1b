"""The rule engine: answers through the legal decision tree to a legal class per regime and one tier.

Every rule that fires is kept with its article and the day it binds for this asset. The tier is the
policy's tier for the most severe class that fired (``intake.class_tiers``); a prohibition not yet in
force on the intake date counts as high-risk until it binds (reported with its date, never applied early
or dropped). Rules left undecided by unknown answers are listed with the keys that would decide them.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from typing import Any

from govgate.errors import InputError
from govgate.intake.answers import Answers
from govgate.intake.rules import Rule, RuleBook, applies_from, evaluate
from govgate.policy import REFUSED, IntakeRules


@dataclass(frozen=True)
class Fired:
    rule: Rule
    binds_from: date
    in_force: bool

    @property
    def effective_class(self) -> str | None:
        """The class the tier counts: a prohibition that does not bind yet counts as high-risk until it does."""
        if self.rule.legal_class == "prohibited" and not self.in_force:
            return "high-risk"
        return self.rule.legal_class

    def cite(self) -> str:
        return f"{self.rule.framework} {self.rule.citation}"

    def brief(self) -> dict[str, Any]:
        return {
            "rule": self.rule.id,
            "framework": self.rule.framework,
            "citation": self.rule.citation,
            "class": self.rule.legal_class,
            "title": self.rule.title,
            "controls": list(self.rule.controls),
            "applies_from": self.binds_from.isoformat(),
            "in_force": self.in_force,
        }


@dataclass(frozen=True)
class Undecided:
    rule: Rule
    unknown: tuple[str, ...]  # the answers that would decide it


@dataclass
class Assessment:
    as_of: date
    tier: str  # a policy tier, or "refused"
    legal_class: str
    deciding: Fired | None
    fired: list[Fired] = field(default_factory=list)
    undecided: list[Undecided] = field(default_factory=list)
    regimes: dict[str, dict[str, Any]] = field(default_factory=dict)
    answers_sha256: str = ""

    def family(self, name: str) -> tuple[list[Fired], list[Undecided]]:
        return [f for f in self.fired if f.rule.family == name], [u for u in self.undecided if u.rule.family == name]

    @property
    def reason(self) -> str:
        if self.deciding is None:
            return f"no rule of the decision tree fired: {self.legal_class}"
        d = self.deciding
        when = "" if d.in_force else f" (binds from {d.binds_from.isoformat()})"
        return f"{d.cite()}{when}: {d.rule.title}"

    def risk_tier(self) -> dict[str, Any]:
        """The named output protocol.OUTPUT_RISK_TIER."""
        return {
            "tier": self.tier,
            "rule": self.deciding.rule.id if self.deciding else None,
            "citations": [f.cite() for f in self.fired],
            "regimes": self.regimes,
            "answers_sha256": self.answers_sha256,
            "reason": self.reason,
        }


def check_contradictions(answers: Answers, book: RuleBook, source: str) -> None:
    """One InputError listing every pair of answers that cannot both be true, by file and key."""
    found = []
    for c in book.contradictions:
        if evaluate(c.when, answers, {}) is True:
            shown = ", ".join(f"{k}={_shown(answers.value(k))}" for k in c.answer_keys)
            found.append(f"{shown}: {c.message}")
    if found:
        raise InputError(f"{source}: contradicting answers: " + "; ".join(found))


def _shown(value: Any) -> str:
    if isinstance(value, bool):
        return str(value).lower()
    return "null" if value is None else str(value)


def assess(answers: Answers, book: RuleBook, intake: IntakeRules, as_of: date | None = None) -> Assessment:
    """Run the decision tree over the answers, as of a day (default: the answers' date, else today, UTC)."""
    day = as_of or answers.intake_date or datetime.now(UTC).date()
    results: dict[str, bool | None] = {}
    fired, undecided = [], []
    for rule in book.rules:
        outcome = evaluate(rule.when, answers, results)
        results[rule.id] = outcome
        if outcome is True:
            binds = applies_from(rule, answers)
            fired.append(Fired(rule, binds, binds <= day))
        elif outcome is None:
            keys = unknown_keys(rule.when, answers, results, {u.rule.id: u.unknown for u in undecided})
            undecided.append(Undecided(rule, tuple(keys)))
    deciding = _most_severe(fired, intake)
    legal_class = deciding.effective_class if deciding else "minimal"
    return Assessment(
        as_of=day,
        tier=intake.class_tiers[legal_class],
        legal_class=legal_class,
        deciding=deciding,
        fired=fired,
        undecided=undecided,
        regimes=_regimes(book, fired, undecided, intake),
        answers_sha256=answers.sha256(),
    )


def rank(tier: str, intake: IntakeRules) -> int:
    """Strictness of a tier: its place in ``tier_order``; refused above them all."""
    return len(intake.tier_order) if tier == REFUSED else intake.tier_order.index(tier)


def _most_severe(fired: list[Fired], intake: IntakeRules) -> Fired | None:
    classed = [f for f in fired if f.effective_class]
    if not classed:
        return None
    top = max(rank(intake.class_tiers[f.effective_class], intake) for f in classed)
    return next(f for f in classed if rank(intake.class_tiers[f.effective_class], intake) == top)


def _regimes(book: RuleBook, fired: list[Fired], undecided: list[Undecided], intake: IntakeRules) -> dict:
    """Per framework: its class in its own words, the rule and article that gave it, from when it binds."""
    out = {}
    for framework in book.frameworks:
        mine = [f for f in fired if f.rule.framework == framework]
        top = _most_severe(mine, intake)
        in_scope = any(f.rule.family.endswith(".scope") for f in mine)
        label = (top.rule.label or top.effective_class) if top else ("minimal" if in_scope else "out of scope")
        out[framework] = {
            "class": label,
            "rule": top.rule.id if top else None,
            "citation": top.rule.citation if top else None,
            "applies_from": top.binds_from.isoformat() if top else None,
            "in_force": top.in_force if top else None,
            "rules": [f.rule.id for f in mine],
            "undecided": [u.rule.id for u in undecided if u.rule.framework == framework],
        }
    return out


def unknown_keys(
    cond: dict[str, Any], answers: Answers, fired: dict[str, bool | None], earlier: dict[str, tuple[str, ...]]
) -> list[str]:
    """The unanswered keys under a condition (what the asker has to answer to decide it), through the
    undecided rules it names (``earlier``: their own unknown keys)."""
    if "answer" in cond:
        return [cond["answer"]] if answers.value(cond["answer"]) is None else []
    if "fired" in cond or "fired_any" in cond:
        names = [cond["fired"]] if "fired" in cond else cond["fired_any"]
        return list(dict.fromkeys(k for n in names for k in earlier.get(n, ())))
    parts = cond.get("all") or cond.get("any") or ([cond["not"]] if "not" in cond else [])
    keys: list[str] = []
    for part in parts:
        if evaluate(part, answers, fired) is None:
            keys += [k for k in unknown_keys(part, answers, fired, earlier) if k not in keys]
    return keys
