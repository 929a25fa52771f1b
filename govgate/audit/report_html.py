"""The audit report page: one static HTML file (inline CSS and SVG, no external asset, opens offline) with
print CSS for A4 (each section on a new page, table headers repeated, no row cut in two).

A failing or uncovered item says so in words as well as colour (a printed page may be grey)."""

from __future__ import annotations

import math
from datetime import datetime

import jinja2
from markupsafe import Markup, escape

from govgate import protocol
from govgate.audit.report import AuditData, coverage_counts
from govgate.audit.types import KPI, STATUSES

STATUS_WORDS = {
    "covered": "covered",
    "partial": "PARTIAL",
    "not_covered": "NOT COVERED",
    "not_applicable": "not applicable",
}
DECISION_CLASS = {"pass": "good", "fail": "bad", "error": "bad", "needs-review": "warn"}
CLOCK_CLASS = {"met": "good", "due": "warn", "overdue": "bad", "not-applicable": "muted"}


def template_env() -> jinja2.Environment:
    env = jinja2.Environment(
        loader=jinja2.PackageLoader("govgate", "templates"),
        autoescape=True,
        trim_blocks=True,
        lstrip_blocks=True,
        undefined=jinja2.StrictUndefined,
    )
    env.filters["when"] = lambda d: "—" if d is None else f"{d:%Y-%m-%d %H:%M}Z" if isinstance(d, datetime) else str(d)
    env.filters["kpi_value"] = kpi_value
    env.globals.update(
        STATUS_WORDS=STATUS_WORDS, STATUSES=STATUSES, DECISION_CLASS=DECISION_CLASS, CLOCK_CLASS=CLOCK_CLASS
    )
    return env


def kpi_value(k: KPI) -> str:
    """The KPI's value in words: a percentage for ratios, the unit otherwise, "no data" when nothing counted."""
    v = k.value
    if v is None:
        return "no data (nothing to count)"
    if k.unit == "ratio":
        return f"{v:.1%}"
    return f"{v:,.4g} {k.unit}"


def kpi_verdict(k: KPI) -> str:
    """good | bad | muted: against the KPI's target when it has one."""
    if k.value is None or k.target is None:
        return "muted"
    met = k.value >= k.target if k.higher_is_better else k.value <= k.target
    return "good" if met else "bad"


def report_links(record_uri: str) -> str:
    """The HTML report beside a record.json."""
    return record_uri[: -len(protocol.RECORD_JSON)] + protocol.REPORT_HTML


def render_report(data: AuditData) -> str:
    counts = coverage_counts(data.coverage)
    by_framework: dict[str, list] = {}
    for c in sorted(data.coverage, key=lambda c: (c.framework, c.control_id)):
        by_framework.setdefault(c.framework, []).append(c)
    signed = [e for e in data.runs if e.sign_offs]
    charts = {k.id: kpi_chart(data.kpi_series.get(k.id) or [k]) for k in data.kpis}
    return (
        template_env()
        .get_template("audit_report.html.j2")
        .render(
            d=data,
            counts=counts,
            by_framework=by_framework,
            signed=signed,
            charts=charts,
            verdict=kpi_verdict,
            report_of=report_links,
            gates=_gate_counts(data),
            run_rows=run_rows(data.runs),
        )
    )


def run_rows(runs) -> Markup:
    """The runs table's rows, built here rather than in the template: 100,000 rows take a third of the time."""
    parts = []
    for e in runs:
        tone = DECISION_CLASS.get(e.decision, "muted")
        version = f" v{escape(e.subject_version)}" if e.subject_version else ""
        unverified = ' <span class="tag bad">NOT VERIFIED</span>' if not e.verified else ""
        parts.append(
            f'<tr class="row-{tone if e.verified else "bad"}"><td>{e.started_at:%Y-%m-%d %H:%M}Z</td><td>{escape(e.gate)}</td>'
            f"<td><code>{escape(e.subject_id)}</code>{version}</td>"
            f'<td><span class="tag {tone}">{escape(e.decision)}</span>{unverified}</td>'
            f'<td><a href="{escape(e.uri)}">record</a> · <a href="{escape(report_links(e.uri))}">report</a><br>'
            f"<small>{escape(e.record_id)}</small></td></tr>\n"
        )
    return Markup("".join(parts))


def _gate_counts(data: AuditData) -> list[tuple[str, dict[str, int]]]:
    out: dict[str, dict[str, int]] = {}
    for e in data.runs:
        row = out.setdefault(e.gate, {"pass": 0, "fail": 0, "needs-review": 0, "error": 0, "not verified": 0})
        row[e.decision] = row.get(e.decision, 0) + 1
        row["not verified"] += 0 if e.verified else 1
    return sorted(out.items())


def kpi_chart(points: list[KPI]) -> Markup:
    """Long because it lays out one small line chart of a KPI over sub-periods: axis, target line, one dot
    per sub-period (a hollow mark at the bottom where there was nothing to count), first and last labels."""
    width, left, right, top, bottom, height = 460, 52, 16, 12, 28, 150
    plot_w, plot_h = width - left - right, height - top - bottom
    values = [p.value for p in points]
    known = [v for v in values if v is not None and math.isfinite(v)]
    if not known:  # an empty chart with marks on its axis reads as "0%": say there is nothing instead
        return Markup('<p class="kpi-nodata">no data in any sub-period: nothing to chart</p>')
    ratio = all(p.unit == "ratio" for p in points)
    target = points[-1].target if points else None
    hi = 1.0 if ratio else max([*known, target or 0, 1e-9]) * 1.1
    lo = 0.0

    def y(v: float) -> float:
        return top + (hi - min(max(v, lo), hi)) / (hi - lo or 1) * plot_h

    step = plot_w / max(len(points) - 1, 1)

    def x(i: int) -> float:
        return left + (i * step if len(points) > 1 else plot_w / 2)

    fmt = (lambda v: f"{v:.0%}") if ratio else (lambda v: f"{v:.3g}")
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" class="chart kpi" viewBox="0 0 {width} {height}" role="img">',
        f'<line x1="{left}" y1="{top + plot_h}" x2="{left + plot_w}" y2="{top + plot_h}" stroke="#9ca3af"/>',
    ]
    for tick in (lo, (lo + hi) / 2, hi):
        ty = y(tick)
        parts.append(f'<line x1="{left}" y1="{ty:.1f}" x2="{left + plot_w}" y2="{ty:.1f}" stroke="#e5e7eb"/>')
        parts.append(
            f'<text x="{left - 5}" y="{ty + 4:.1f}" text-anchor="end" font-size="11" fill="#555">{fmt(tick)}</text>'
        )
    if target is not None:
        ty = y(target)
        parts.append(
            f'<line class="target" x1="{left}" y1="{ty:.1f}" x2="{left + plot_w}" y2="{ty:.1f}" stroke="#b45309" '
            f'stroke-dasharray="5 3"/><text x="{left + plot_w}" y="{ty - 4:.1f}" text-anchor="end" font-size="11" '
            f'fill="#b45309">target {fmt(target)}</text>'
        )
    line = [f"{x(i):.1f},{y(v):.1f}" for i, v in enumerate(values) if v is not None and math.isfinite(v)]
    if len(line) > 1:
        parts.append(f'<polyline points="{" ".join(line)}" fill="none" stroke="#1f3b73" stroke-width="1.5"/>')
    for i, (p, v) in enumerate(zip(points, values, strict=True)):
        label = escape(f"{p.period_start:%Y-%m-%d}: {kpi_value(p)} ({p.numerator:g}/{p.denominator:g})")
        if v is None or not math.isfinite(v):
            parts.append(
                f'<circle class="empty" cx="{x(i):.1f}" cy="{top + plot_h:.1f}" r="3.5" fill="#fff" stroke="#9ca3af"><title>{label}</title></circle>'
            )
        else:
            parts.append(
                f'<circle class="point" cx="{x(i):.1f}" cy="{y(v):.1f}" r="3.5" fill="#1f3b73"><title>{label}</title></circle>'
            )
    if points:
        base = top + plot_h + 18
        parts.append(f'<text x="{left}" y="{base}" font-size="11" fill="#555">{points[0].period_start:%Y-%m-%d}</text>')
        if len(points) > 1:
            parts.append(
                f'<text x="{left + plot_w}" y="{base}" text-anchor="end" font-size="11" fill="#555">{points[-1].period_start:%Y-%m-%d}</text>'
            )
    parts.append("</svg>")
    return Markup("".join(parts))
