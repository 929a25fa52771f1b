"""What the gate report shows, read from a record: the decision and why, checks grouped by concern with
their readings in words, and the charts. One design for every gate; the templates only lay it out.

Pure functions of the record (no I/O, no clock), like every renderer.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass, field
from typing import Any

from govgate.charts import DEFAULT_MIN_GROUP_N, Chart, Row, group_charts, judged_chart, trend_svg
from govgate.record import REASSESSMENT_TRENDS, Check, GateResult, Metric

OUTCOME_ORDER = {"error": 0, "fail": 1, "inconclusive": 2, "warn": 3, "pass": 4, "skipped": 5}
PASSING = ("pass", "skipped")
# Plain-language names of check categories, in the order a privacy officer reads them.
CONCERNS = {
    "input": "Input file",
    "secrets": "Secrets and credentials",
    "secret": "Secrets and credentials",
    "privacy": "Personal data (PII) and legal basis",
    "sensitive_attributes": "Sensitive attributes",
    "datasheet": "Datasheet: owner, purpose, retention",
    "data_quality": "Data quality",
    "quality": "Data quality",
    "performance": "Model performance",
    "fairness": "Fairness across groups",
    "robustness": "Robustness",
    "explainability": "Explainability",
    "leakage": "Data leakage",
    "documentation": "Documentation (model card)",
    "reference": "Reference for later monitoring",
    "scale": "What was reviewed",
}
OP_WORDS = {
    "<=": "must be ≤",
    "<": "must be <",
    ">=": "must be ≥",
    ">": "must be >",
    "==": "must be",
    "!=": "must not be",
}


@dataclass
class CheckView:
    check: Check
    reading: str  # the judged (or first) value in words: "0.12 (95% CI 0.08–0.17, n=480)"
    rule: str  # the threshold in words: "must be ≤ 0.10"
    charts: list[Chart]
    by_group: bool = False  # has per-group charts: shown even when it passed
    probes: list[ProbeRow] = field(default_factory=list)  # the leakage probe, one row per probe

    @property
    def shown(self) -> bool:
        return self.check.outcome.value not in PASSING or self.by_group


@dataclass
class Concern:
    category: str
    title: str
    attention: list[CheckView]  # not passing, or with per-group charts: shown
    passing: list[CheckView]  # the other passed or skipped checks: behind a count
    counts: dict[str, int] = field(default_factory=dict)

    @property
    def worst(self) -> str:
        return min(self.counts, key=lambda o: OUTCOME_ORDER.get(o, 9)) if self.counts else "pass"

    @property
    def open(self) -> bool:
        """Open when a check in it did not pass; a passing group stays collapsed behind its count."""
        return any(v.check.outcome.value not in PASSING for v in self.attention)


def number(x: Any) -> str:
    """A value as people read it: 1,500; 0.0421; yes."""
    if isinstance(x, bool):
        return "yes" if x else "no"
    if isinstance(x, int):
        return f"{x:,}"
    if isinstance(x, float):
        if math.isnan(x):
            return "not measured"
        if x.is_integer() and abs(x) < 1e15:
            return f"{int(x):,}"
        return f"{x:.3g}"
    return str(x)


def reading(m: Metric) -> str:
    """``0.12 (95% CI 0.08–0.17, n=480)``."""
    parts = []
    if m.lower is not None and m.upper is not None:
        level = f"{m.confidence:.0%} " if m.confidence else ""
        parts.append(f"{level}CI {number(m.lower)}–{number(m.upper)}")
    if m.n is not None:
        parts.append(f"n={m.n:,}")
    return number(m.value) + (f" ({', '.join(parts)})" if parts else "")


def metric_label(name: str) -> str:
    return name.replace("_", " ")


def judged_metric(check: Check) -> Metric | None:
    """The metric the threshold names, else the check's first metric."""
    if check.threshold is not None:
        for m in check.metrics:
            if m.name == check.threshold.metric:
                return m
    return check.metrics[0] if check.metrics else None


def groups_summary(check: Check) -> str:
    """``2 groups, smallest n=310`` for a check whose metrics are per group (``rate[sex=female]``); a group's
    size is the largest n among its metrics (rates over positives only rest on fewer rows)."""
    sizes: dict[str, int] = {}
    for m in check.metrics:
        if hit := re.match(r"^[A-Za-z_]+\[(.+)\]$", m.name):
            sizes[hit[1]] = max(sizes.get(hit[1], 0), m.n or 0)
    if not sizes:
        return ""
    smallest = min(sizes.values())
    return f"{len(sizes)} groups" + (f", smallest n={smallest:,}" if smallest else "")


def headline(check: Check) -> str:
    m = judged_metric(check)
    if m is not None and m.name.endswith("]") and (summary := groups_summary(check)):
        return summary
    if m is None:
        return ""
    name = "" if m.name == "value" else f"{metric_label(m.name)}: "
    return name + reading(m)


def rule_in_words(check: Check) -> str:
    t = check.threshold
    if t is None:
        return ""
    subject = "each group's size n" if t.metric == "n" else metric_label(t.metric)
    subject = "" if t.metric == "value" else subject + " "
    text = f"{subject}{OP_WORDS.get(t.op, t.op)} {number(t.value)}"
    return text + (f" (baseline record {t.baseline_record})" if t.baseline_record else "")


def min_group_n(record: GateResult) -> int:
    """The policy's minimum group size, as the fairness checks recorded it (``n >= 50``)."""
    for c in record.checks:
        t = c.threshold
        if t is not None and t.metric == "n" and isinstance(t.value, (int, float)):
            return int(t.value)
    return DEFAULT_MIN_GROUP_N


def small_groups(check: Check) -> frozenset[str]:
    groups = check.details.get("groups")
    if not isinstance(groups, dict):
        return frozenset()
    return frozenset(g for g, d in groups.items() if isinstance(d, dict) and d.get("status") in ("small", "empty"))


def check_view(check: Check, min_n: int) -> CheckView:
    groups = group_charts(check, min_n, small_groups(check))
    charts = [c for c in [judged_chart(check)] if c] + groups
    view = CheckView(check, headline(check), rule_in_words(check), charts, by_group=bool(groups))
    view.probes = probe_rows(check)
    return view


@dataclass
class ProbeRow:
    """One leakage probe as the report lists it: what fired, and the redacted excerpt the record holds."""

    id: str
    origin: str  # "built-in, family secrets" or "your file probes.yaml, family user"
    status: str  # leaked | personal data | clean (the badge)
    fired: list[str]  # detectors, expected markers, PII types
    excerpt: str  # already redacted in the record; empty when nothing fired


PROBE_STATUS_ORDER = {"leaked": 0, "personal data": 1, "clean": 2}


def probe_rows(check: Check) -> list[ProbeRow]:
    """The probes of a leakage check (``details.probes``, see govgate.checks.leakage.probe_evidence), the ones
    that drew something first. Only what the record holds is shown: detector names, marker numbers, PII types
    and the redacted excerpt, never a fingerprint's source or a marker's text."""
    rows = check.details.get("probes") if check.category == "leakage" else None
    if not isinstance(rows, list):
        return []
    out = []
    for row in (r for r in rows if isinstance(r, dict)):
        markers = [f"expected marker #{m}" for m in row.get("markers") or []]
        pii = [f"personal data: {t}" for t in row.get("pii") or []]
        fired = [str(d) for d in row.get("detectors") or []] + markers + pii
        status = "leaked" if row.get("leaked") else "personal data" if pii else "clean"
        source = row.get("source", "")
        origin = (
            "built-in" if source in ("", "built-in") else f"your file {source}"
        ) + f", family {row.get('family', '?')}"
        out.append(ProbeRow(str(row.get("id", "?")), origin, status, fired, str(row.get("excerpt") or "")))
    return sorted(out, key=lambda r: PROBE_STATUS_ORDER[r.status])


def _order(check: Check) -> tuple[int, str]:
    return OUTCOME_ORDER.get(check.outcome.value, 9), check.id


def concerns(record: GateResult) -> list[Concern]:
    """Checks grouped by category: groups needing attention first (worst first), then the rest in the
    order of CONCERNS; inside a group, non-passing checks first."""
    min_n = min_group_n(record)
    by_category: dict[str, list[Check]] = {}
    for c in record.checks:
        by_category.setdefault(c.category, []).append(c)
    out = []
    for category, checks in by_category.items():
        views = [check_view(c, min_n) for c in sorted(checks, key=_order)]
        counts: dict[str, int] = {}
        for c in checks:
            counts[c.outcome.value] = counts.get(c.outcome.value, 0) + 1
        title = CONCERNS.get(category, category.replace("_", " ").capitalize())
        attention = [v for v in views if v.shown]
        passing = [v for v in views if not v.shown]
        out.append(Concern(category, title, attention, passing, counts))
    rank = {c: i for i, c in enumerate(CONCERNS)}
    return sorted(out, key=lambda g: (OUTCOME_ORDER.get(g.worst, 9), rank.get(g.category, 99), g.category))


def reasons(record: GateResult) -> list[tuple[str, str, str, str]]:
    """The decision's reasons as (kind, check title, check id, message), kind "warning" for the warnings
    listed under a pass; a reason that names no check keeps its text as the message."""
    titles = {c.id: c.title for c in record.checks}
    out = []
    for reason in record.decision.reasons:
        kind, text = ("warning", reason.removeprefix("warning: ")) if reason.startswith("warning: ") else ("", reason)
        check_id, sep, message = text.partition(": ")
        if sep and check_id in titles:
            out.append((kind, titles[check_id], check_id, message))
        else:
            out.append((kind, "", "", text))
    return out


def decision_words(record: GateResult) -> str:
    outcome = record.decision.outcome.value
    what = record.subject.kind.value.replace("_", " ")
    return {
        "fail": f"This {what} did not pass the {record.gate} gate: fix the failures below and run the gate again.",
        "error": f"The {record.gate} gate could not finish: the errors below need fixing before anything is decided.",
        "needs-review": f"The {record.gate} gate could not decide on its own: a reviewer must look at the "
        "inconclusive checks below.",
        "pass": f"This {what} passed the {record.gate} gate.",
    }.get(outcome, outcome)


def _trend_chart(s: dict) -> Chart | None:
    points = [
        Row(str(p.get("run")), float(p["value"]), p.get("lower"), p.get("upper"), p.get("n"))
        for p in s.get("points") or []
        if isinstance(p, dict) and _is_number(p.get("value"))
    ]
    if not points or not _is_number(s.get("baseline")) or not _is_number(s.get("limit")) or s.get("op") not in OPS:
        return None
    kind = "estimated " if s.get("estimated") else ""
    caption = (
        f"{kind}{str(s.get('metric', '')).replace('_', ' ')} ({s.get('group')}) over {len(points)} run"
        f"{'s' if len(points) != 1 else ''}: baseline {s['baseline']:.4g}, limit {s['op']} {s['limit']:.4g}; "
        f"now {s.get('outcome')}"
    )
    svg = trend_svg(points, float(s["baseline"]), float(s["limit"]), s["op"], str(s.get("outcome")))
    return Chart(caption, svg)


def trend_charts(record: GateResult) -> list[Chart]:
    """One over-time chart per judged metric and group in the record's ``REASSESSMENT_TRENDS`` output
    (the reassessment's), with the baseline and the limit; none for other records."""
    trends = record.outputs.get(REASSESSMENT_TRENDS)
    series = trends.get("series") if isinstance(trends, dict) else None
    charts = [_trend_chart(s) for s in series or [] if isinstance(s, dict)]
    return [c for c in charts if c]


OPS = (">=", "<=")


def _is_number(x: Any) -> bool:
    return isinstance(x, (int, float)) and not isinstance(x, bool) and math.isfinite(x)


def _rate_point(p: Any) -> dict | None:
    if not isinstance(p, dict) or not _is_number(p.get("value")) or not isinstance(p.get("run"), str):
        return None
    bounds = [p.get("lower"), p.get("upper")]
    ok = all(_is_number(b) for b in bounds)
    n = p.get("n") if isinstance(p.get("n"), int) and not isinstance(p.get("n"), bool) else None
    return {
        "run": p["run"], "value": float(p["value"]), "lower": float(bounds[0]) if ok else None,
        "upper": float(bounds[1]) if ok else None, "n": n,
    }  # fmt: skip


def rate_charts(record: GateResult) -> tuple[list[Chart], list[str]]:
    """Every group's raw rates over past reassessments (the ``group_rates`` part of the record's
    ``REASSESSMENT_TRENDS``): one chart per rate and attribute, groups as lines; and what was left out."""
    from govgate.reassessment.group_rates import RATES
    from govgate.reassessment.rate_chart import rate_svg

    trends = record.outputs.get(REASSESSMENT_TRENDS)
    rates = trends.get("group_rates") if isinstance(trends, dict) else None
    if not isinstance(rates, dict):
        return [], []
    runs = [str(r) for r in rates.get("runs") or []]
    charts = []
    for c in rates.get("charts") or []:
        if not isinstance(c, dict) or c.get("metric") not in RATES:
            continue
        groups = [
            {"group": str(g.get("group")), "points": pts}
            for g in c.get("groups") or []
            if isinstance(g, dict) and (pts := [p for p in map(_rate_point, g.get("points") or []) if p])
        ]
        if groups and runs:
            caption = (
                f"{RATES[c['metric']]} by {c.get('attribute')} ({len(groups)} group{'s' if len(groups) != 1 else ''})"
            )
            charts.append(Chart(caption, rate_svg(runs, groups)))
    left_out = [str(x) for x in rates.get("left_out") or []]
    return charts, left_out
