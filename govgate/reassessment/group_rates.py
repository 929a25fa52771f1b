"""Every group's raw rates over the version's past reassessments, so a reader sees which group moved (the
judged trends show only the comparisons with the baseline). Per sensitive attribute and group: the
selection rate (over every row of the window), and the true positive rate, false positive rate and
accuracy where labels had matured, each with its interval and n. Numbers only, read from records: the
realized figures from the record's fairness report, the selection rate of rows still awaiting labels from
the estimated checks' ``selection_rate_observed``. Bounded: at most ``MAX_ATTRIBUTES`` attributes and
``MAX_GROUPS`` groups per attribute (the largest by n in the latest run), and what was left out is said."""

from __future__ import annotations

import math
from collections.abc import Mapping

from govgate.checks.stats import wilson_interval
from govgate.record import FAIRNESS_REPORT, Check

RATES = {
    "selection_rate": "selection rate",
    "true_positive_rate": "true positive rate",
    "false_positive_rate": "false positive rate",
    "accuracy": "accuracy",
}
MAX_ATTRIBUTES = 4
MAX_GROUPS = 6  # lines per chart: more are unreadable at 1280 px
ESTIMATED_PREFIX = "reassessment.estimated."

Rates = dict[str, dict[str, dict[str, dict]]]  # attribute -> group -> metric -> {value, lower, upper, n}


def _finite(x) -> bool:
    return isinstance(x, (int, float)) and not isinstance(x, bool) and math.isfinite(x)


def _split(attribute: str, name: str) -> str:
    """The group's level: the fairness report names a group ``female`` or ``sex=female``."""
    return name.split("=", 1)[1] if name.startswith(attribute + "=") else name


def _denominator(metric: str, g: Mapping) -> int | None:
    counts = [g.get(k) for k in ("tp", "fp", "fn", "tn")]
    if not all(isinstance(c, int) for c in counts):
        return g.get("n") if isinstance(g.get("n"), int) else None
    tp, fp, fn, tn = counts
    return {"true_positive_rate": tp + fn, "false_positive_rate": fp + tn}.get(metric, tp + fp + fn + tn)


def labelled_rates(report: Mapping | None) -> Rates:
    """Realized rates of the rows whose labels had matured, per attribute and group (intersections left
    out: one chart per attribute), from the record's fairness report."""
    out: Rates = {}
    report = report if isinstance(report, Mapping) else {}
    for key, feature in (report.get("features") or {}).items():
        if key == report.get("intersection") or not isinstance(feature, Mapping):
            continue
        for g in feature.get("groups") or []:
            if not isinstance(g, Mapping) or not isinstance(g.get("name"), str):
                continue
            for metric, est in (g.get("metrics") or {}).items():
                if metric in RATES and isinstance(est, Mapping) and _finite(est.get("value")):
                    n = _denominator(metric, g)
                    out.setdefault(key, {}).setdefault(_split(key, g["name"]), {})[metric] = {
                        "value": float(est["value"]), "lower": est.get("lower"), "upper": est.get("upper"), "n": n,
                    }  # fmt: skip
    return out


def awaiting_selection(checks: list[Check]) -> dict[str, dict[str, tuple[int, int]]]:
    """``{attribute: {group: (selected, n)}}`` of the rows still awaiting labels, from the estimated checks
    (each carries the group's observed selection rate and n)."""
    out: dict[str, dict[str, tuple[int, int]]] = {}
    for c in checks:
        group = c.details.get("group")
        if not c.id.startswith(ESTIMATED_PREFIX) or not isinstance(group, str) or "=" not in group:
            continue
        m = next((x for x in c.metrics if x.name == "selection_rate_observed"), None)
        if m is None or not _finite(m.value) or not m.n:
            continue
        attribute, level = group.split("=", 1)
        out.setdefault(attribute, {})[level] = (round(float(m.value) * m.n), int(m.n))
    return out


def record_rates(outputs: Mapping, checks: list[Check]) -> Rates:
    """One record's raw rates per attribute and group. The selection rate counts every row of the window
    (labelled and awaiting labels pooled, Wilson interval), so runs with and without labels compare."""
    rates = labelled_rates(outputs.get(FAIRNESS_REPORT))
    waiting = awaiting_selection(checks)
    for attribute in {*rates, *waiting}:
        for group in {*rates.get(attribute, {}), *waiting.get(attribute, {})}:
            figures = rates.setdefault(attribute, {}).setdefault(group, {})
            sel, (k2, n2) = figures.get("selection_rate"), waiting.get(attribute, {}).get(group, (0, 0))
            n1 = sel["n"] if sel and isinstance(sel.get("n"), int) else 0
            k1 = round(sel["value"] * n1) if n1 else 0
            if n2:  # with only labelled rows the fairness report's own interval stands
                lo, hi = wilson_interval(k1 + k2, n1 + n2)
                figures["selection_rate"] = {"value": (k1 + k2) / (n1 + n2), "lower": lo, "upper": hi, "n": n1 + n2}
    return rates


def _latest_n(history: list[tuple[str, Rates]], attribute: str, group: str) -> int:
    for _, rates in reversed(history):
        figures = rates.get(attribute, {}).get(group)
        if figures:
            return max((f.get("n") or 0) for f in figures.values())
    return 0


def rate_trends(history: list[tuple[str, Rates]]) -> dict:
    """The charts' data over ``history`` (``(run label, record_rates)``, oldest first): one chart per rate
    and attribute, one line per group with each run's value, interval and n; ``left_out`` says in words
    which attributes and groups were not drawn (beyond the caps)."""
    attributes: list[str] = []
    for _, rates in reversed(history):  # the latest run's attributes first
        attributes += [a for a in rates if a not in attributes]
    left_out = [f"attribute {a!r} (at most {MAX_ATTRIBUTES} attributes drawn)" for a in attributes[MAX_ATTRIBUTES:]]
    charts = []
    for attribute in attributes[:MAX_ATTRIBUTES]:
        groups = sorted(
            {g for _, rates in history for g in rates.get(attribute, {})},
            key=lambda g: (-_latest_n(history, attribute, g), g),
        )
        if len(groups) > MAX_GROUPS:
            left_out.append(
                f"{attribute}: {len(groups) - MAX_GROUPS} smaller group(s) {groups[MAX_GROUPS:]} "
                f"(at most {MAX_GROUPS} groups drawn, the largest by n)"
            )
        for metric in RATES:
            lines = []
            for group in groups[:MAX_GROUPS]:
                points = [
                    {"run": label, **f}
                    for label, rates in history
                    if (f := rates.get(attribute, {}).get(group, {}).get(metric))
                ]
                lines += [{"group": group, "points": points}] if points else []
            if lines:
                charts.append({"metric": metric, "attribute": attribute, "groups": lines})
    return {"runs": [label for label, _ in history], "charts": charts, "left_out": left_out}
