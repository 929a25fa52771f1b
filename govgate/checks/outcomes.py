"""How the checks of this library turn a threshold's verdict into a check's outcome.

Every outcome that compares a value with a limit comes from :meth:`govgate.record.Threshold.judge` (pass
only when the interval clears the limit, fail when it lies wholly beyond, warn when it straddles,
inconclusive without a value). Some checks are advisory: their threshold flags a dataset or a model for a
human to look at, and the gate must not fail on it alone, so a breach warns (:func:`advisory`).
"""

from __future__ import annotations

from collections.abc import Iterable

from govgate.record import Metric, Outcome, Threshold

# Worst first: the order in which several verdicts of one check combine (:func:`worst`).
SEVERITY_ORDER = (Outcome.ERROR, Outcome.FAIL, Outcome.INCONCLUSIVE, Outcome.WARN, Outcome.PASS, Outcome.SKIPPED)


def advisory(outcome: Outcome) -> Outcome:
    """A breach of an advisory threshold warns instead of failing; every other verdict stays."""
    return Outcome.WARN if outcome == Outcome.FAIL else outcome


def judge_all(threshold: Threshold, metrics: Iterable[Metric]) -> list[Outcome]:
    """The verdict of ``threshold`` on each metric (each with its own interval)."""
    return [threshold.judge_metric(m) for m in metrics]


def worst(outcomes: Iterable[Outcome], *, default: Outcome = Outcome.PASS) -> Outcome:
    """The most severe of ``outcomes`` by :data:`SEVERITY_ORDER` (``default`` when there are none)."""
    found = set(outcomes)
    return next((o for o in SEVERITY_ORDER if o in found), default)
