"""Intake and risk tiering: a typed questionnaire, a legal decision tree with citations, the tier.

No Prefect here: ``tasks/intake.py`` and ``flows/intake.py`` run it as a gate.
"""

from govgate.intake.answers import Answers, load_answers
from govgate.intake.engine import Assessment, assess, check_contradictions
from govgate.intake.rules import RuleBook, load_rulebook, rules_path_for
from govgate.intake.tier import IntakeTier, latest_intakes, resolve_tier

__all__ = [
    "Answers",
    "Assessment",
    "IntakeTier",
    "RuleBook",
    "assess",
    "check_contradictions",
    "latest_intakes",
    "load_answers",
    "load_rulebook",
    "resolve_tier",
    "rules_path_for",
]
