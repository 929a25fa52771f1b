"""Interval charts for the gate report: inline SVG written by hand (no external assets, a few hundred bytes
each, crisp at any width), drawn only from a check's metrics.

A chart is rows of point + interval on one horizontal axis, with the check's limit as a dashed line and the
side that fails shaded, so the pass/warn/fail rule can be read off the picture: pass when the whole whisker
is on the allowed side, fail when it is wholly beyond, warn when it crosses the line. Groups smaller than
the policy's minimum size are drawn hollow, on a hatched band, and labelled "small".
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass

from markupsafe import Markup, escape

from govgate.record import Check, Metric

DEFAULT_MIN_GROUP_N = 30
# Group metrics drawn for a check, in this order of preference (at most MAX_GROUP_CHARTS of them).
PREFERRED_GROUP_METRICS = (
    "selection_rate",
    "true_positive_rate",
    "false_positive_rate",
    "accuracy",
    "precision",
    "recall",
    "flip_rate",
)
MAX_GROUP_CHARTS = 3
_GROUP_NAME = re.compile(r"^(?P<base>[A-Za-z_]+)(?:\[(?P<bracket>.+)\]|\.(?P<dot>.+))$")
_FAILING_SIDE = {"<=": "above", "<": "above", ">=": "below", ">": "below"}
_COLOURS = {"pass": "#15803d", "warn": "#b45309", "fail": "#b91c1c", "inconclusive": "#4338ca"}


# Defined once per page, outside any collapsed section (Chromium does not paint a pattern whose SVG is
# display:none), and referenced by every chart's small-group bands.
PATTERN_DEFS = Markup(
    '<svg width="0" height="0" style="position:absolute" aria-hidden="true"><defs>'
    '<pattern id="small-hatch" width="6" height="6" patternUnits="userSpaceOnUse" patternTransform="rotate(45)">'
    '<line x1="0" y1="0" x2="0" y2="6" stroke="#f59e0b" stroke-width="2" opacity=".45"/></pattern></defs></svg>'
)


@dataclass(frozen=True)
class Row:
    label: str
    value: float
    lower: float | None = None
    upper: float | None = None
    n: int | None = None
    small: bool = False


@dataclass(frozen=True)
class Chart:
    caption: str
    svg: Markup


def _number(x) -> bool:
    return isinstance(x, (int, float)) and not isinstance(x, bool) and math.isfinite(x)


def _row(label: str, m: Metric, min_n: int, small: frozenset[str], sizes_known: bool = False) -> Row:
    # a rate over positives rests on fewer rows than the group has: when the check lists its groups'
    # statuses, only those say which group is small
    too_few = not sizes_known and m.n is not None and m.n < min_n
    return Row(label, float(m.value), m.lower, m.upper, m.n, small=too_few or label in small)


def judged_chart(check: Check) -> Chart | None:
    """The metric the check's threshold judges, with its interval and the limit line; only when the
    metric has an interval (that is where the pass/warn/fail rule needs a picture)."""
    t = check.threshold
    if t is None or t.op not in _FAILING_SIDE or not _number(t.value) or t.metric == "n":
        return None
    judged = [m for m in check.metrics if m.name == t.metric and _number(m.value) and m.lower is not None]
    if not judged:
        return None
    label = "measured" if t.metric == "value" else t.metric.replace("_", " ")
    rows = [Row(label, float(m.value), m.lower, m.upper, m.n) for m in judged]
    svg = interval_svg(rows, limit=float(t.value), op=t.op, colour=_COLOURS.get(check.outcome.value))
    return Chart(f"{check.title if t.metric == 'value' else label}: limit {t.op} {t.value:g}", svg)


def group_charts(check: Check, min_n: int = DEFAULT_MIN_GROUP_N, small: frozenset[str] = frozenset()) -> list[Chart]:
    """Per-group point + interval for the check's group metrics (``rate[sex=female]`` or ``flip_rate.female``),
    one chart per metric; a group is marked small when n < min_n or the check named it small. A limit the
    check gives for a metric (``details["limits"][metric]``: op, value, why) is drawn as the limit line."""
    by_base: dict[str, list[Row]] = {}
    sizes_known = isinstance(check.details.get("groups"), dict)
    for m in check.metrics:
        hit = _GROUP_NAME.match(m.name)
        if hit and _number(m.value) and m.lower is not None and m.upper is not None:
            row = _row(hit["bracket"] or hit["dot"], m, min_n, small, sizes_known)
            by_base.setdefault(hit["base"], []).append(row)
    bases = [b for b in PREFERRED_GROUP_METRICS if b in by_base] or list(by_base)
    limits = check.details.get("limits") if isinstance(check.details.get("limits"), dict) else {}
    charts = []
    for base in bases[:MAX_GROUP_CHARTS]:
        caption = f"{base.replace('_', ' ')} by group (small: n < {min_n}"
        limit = limits.get(base) or {}
        if _number(limit.get("value")) and limit.get("op") in _FAILING_SIDE:
            svg = interval_svg(by_base[base], limit=float(limit["value"]), op=limit["op"])
            caption += f"; line: where the limit falls, {limit.get('why', '')}"
        else:
            svg = interval_svg(by_base[base])
        charts.append(Chart(caption + ")", svg))
    return charts


def _nice_ticks(lo: float, hi: float, count: int = 5) -> list[float]:
    raw = (hi - lo) / max(count - 1, 1)
    step = 10 ** math.floor(math.log10(raw)) if raw > 0 else 1.0
    for mult in (1, 2, 2.5, 5, 10):
        if raw <= mult * step:
            step *= mult
            break
    first = math.ceil(lo / step) * step
    return [round(first + i * step, 10) for i in range(int((hi - first) / step + 1e-9) + 1)]


def _axis_range(rows: list[Row], limit: float | None) -> tuple[float, float]:
    xs = [v for r in rows for v in (r.value, r.lower, r.upper) if v is not None]
    xs += [limit] if limit is not None else []
    lo, hi = min(xs), max(xs)
    if 0 <= lo and hi <= 1 and hi - lo > 0.4:
        return 0.0, 1.0
    pad = (hi - lo) * 0.12 or max(abs(hi) * 0.1, 0.05)
    # rates, gaps and ratios are never negative: no axis below 0 for them
    return (max(lo - pad, 0.0) if lo >= 0 else lo - pad), hi + pad


def interval_svg(
    rows: list[Row], limit: float | None = None, op: str | None = None, colour: str | None = None
) -> Markup:
    """Long because it lays out one small SVG (axis, shaded failing side, limit, one row per estimate) and
    reads best top to bottom. Every label is escaped: group names come from user data."""
    label_w = min(max(len(r.label) for r in rows) * 7.5 + 18, 240)
    width, right, top, row_h = 520, 96, 18, 24
    plot_w = width - label_w - right
    height = top + row_h * len(rows) + 24
    lo, hi = _axis_range(rows, limit)

    def x(v: float) -> float:
        return label_w + (min(max(v, lo), hi) - lo) / (hi - lo) * plot_w

    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" class="chart" viewBox="0 0 {width} {height}" '
        f'role="img" preserveAspectRatio="xMinYMin meet">',
    ]
    bottom = top + row_h * len(rows)
    if limit is not None and op in _FAILING_SIDE:
        lx = x(limit)
        x0, x1 = (lx, label_w + plot_w) if _FAILING_SIDE[op] == "above" else (label_w, lx)
        parts.append(f'<rect x="{x0:.1f}" y="{top}" width="{x1 - x0:.1f}" height="{bottom - top}" fill="#fde2e2"/>')
        parts.append(
            f'<line x1="{lx:.1f}" y1="{top - 4}" x2="{lx:.1f}" y2="{bottom}" stroke="#b91c1c" '
            'stroke-width="2" stroke-dasharray="5 3"/>'
        )
        parts.append(
            f'<text x="{lx:.1f}" y="{top - 6}" text-anchor="middle" font-size="11" fill="#b91c1c">'
            f"limit {escape(op)} {limit:g}</text>"
        )
    for tick in _nice_ticks(lo, hi):
        tx = x(tick)
        parts.append(f'<line x1="{tx:.1f}" y1="{top}" x2="{tx:.1f}" y2="{bottom}" stroke="#e5e7eb"/>')
        parts.append(
            f'<text x="{tx:.1f}" y="{bottom + 15}" text-anchor="middle" font-size="11" fill="#555">{tick:g}</text>'
        )
    for i, r in enumerate(rows):
        parts.append(_row_svg(r, top + i * row_h, row_h, label_w, plot_w, x, colour or "#1f3b73"))
    parts.append("</svg>")
    return Markup("".join(parts))


def _row_svg(r: Row, y0: float, row_h: float, label_w: float, plot_w: float, x, colour: str) -> str:
    cy = y0 + row_h / 2
    out = []
    if r.small:
        out.append(
            f'<rect x="0" y="{y0 + 1}" width="{label_w + plot_w}" height="{row_h - 2}" fill="url(#small-hatch)"/>'
        )
    label = escape(r.label if len(r.label) <= 30 else r.label[:29] + "…")
    out.append(f'<text x="{label_w - 8}" y="{cy + 4}" text-anchor="end" font-size="12" fill="#1d2330">{label}</text>')
    if r.lower is not None and r.upper is not None:
        a, b = x(r.lower), x(r.upper)
        out.append(f'<line x1="{a:.1f}" y1="{cy}" x2="{b:.1f}" y2="{cy}" stroke="{colour}" stroke-width="2"/>')
        for end in (a, b):
            out.append(
                f'<line x1="{end:.1f}" y1="{cy - 5}" x2="{end:.1f}" y2="{cy + 5}" stroke="{colour}" stroke-width="2"/>'
            )
    fill = "#fff" if r.small else colour
    out.append(f'<circle cx="{x(r.value):.1f}" cy="{cy}" r="4.5" fill="{fill}" stroke="{colour}" stroke-width="2"/>')
    note = f"n={r.n:,}" if r.n is not None else ""
    note = f"small, {note}" if r.small else note
    tone = "#b45309" if r.small else "#555"
    out.append(f'<text x="{label_w + plot_w + 8}" y="{cy + 4}" font-size="11" fill="{tone}">{escape(note)}</text>')
    return "".join(out)


def _trend_range(values: list[float]) -> tuple[float, float]:
    lo, hi = min(values), max(values)
    pad = (hi - lo) * 0.12 or max(abs(hi) * 0.1, 0.05)
    return (max(lo - pad, 0.0) if lo >= 0 else lo - pad), (min(hi + pad, 1.0) if hi <= 1 else hi + pad)


def trend_svg(points: list[Row], baseline: float, limit: float, op: str, outcome: str | None = None) -> Markup:
    """Long because it lays out one small over-time SVG top to bottom: the failing side shaded beyond the
    dashed limit, the baseline as a solid grey line, one point (with its interval) per run, joined in order.
    ``points`` are the runs oldest first (``Row.label`` the run), coloured by the latest ``outcome``."""
    width, left, right, top, bottom_h, height = 520, 46, 118, 14, 30, 170
    plot_w, plot_h = width - left - right, height - top - bottom_h
    ys = [v for p in points for v in (p.value, p.lower, p.upper) if v is not None] + [baseline, limit]
    lo, hi = _trend_range(ys)
    step = plot_w / max(len(points) - 1, 1)

    def y(v: float) -> float:
        return top + (hi - min(max(v, lo), hi)) / (hi - lo) * plot_h

    def x(i: int) -> float:
        return left + (i * step if len(points) > 1 else plot_w / 2)

    colour = _COLOURS.get(outcome or "", "#1f3b73")
    ly, by, end = y(limit), y(baseline), left + plot_w
    y0, y1 = (ly, top + plot_h) if _FAILING_SIDE.get(op) == "below" else (top, ly)
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" class="chart trend" viewBox="0 0 {width} {height}" '
        f'role="img" preserveAspectRatio="xMinYMin meet">',
        f'<rect x="{left}" y="{y0:.1f}" width="{plot_w}" height="{max(y1 - y0, 0):.1f}" fill="#fde2e2"/>',
    ]
    for tick in _nice_ticks(lo, hi, 4):
        ty = y(tick)
        parts.append(f'<line x1="{left}" y1="{ty:.1f}" x2="{end}" y2="{ty:.1f}" stroke="#e5e7eb"/>')
        parts.append(
            f'<text x="{left - 6}" y="{ty + 4:.1f}" text-anchor="end" font-size="11" fill="#555">{tick:g}</text>'
        )
    parts.append(
        f'<line class="baseline" x1="{left}" y1="{by:.1f}" x2="{end}" y2="{by:.1f}" stroke="#6b7280" stroke-width="2"/>'
        f'<text x="{end + 6}" y="{by + 4:.1f}" font-size="11" fill="#374151">baseline {baseline:.4g}</text>'
        f'<line class="limit" x1="{left}" y1="{ly:.1f}" x2="{end}" y2="{ly:.1f}" stroke="#b91c1c" stroke-width="2" '
        f'stroke-dasharray="5 3"/><text x="{end + 6}" y="{ly + (13 if abs(ly - by) < 12 and ly >= by else 4):.1f}" '
        f'font-size="11" fill="#b91c1c">limit {escape(op)} {limit:.4g}</text>'
    )
    path = " ".join(f"{x(i):.1f},{y(p.value):.1f}" for i, p in enumerate(points))
    parts.append(f'<polyline points="{path}" fill="none" stroke="{colour}" stroke-width="1.5"/>')
    for i, p in enumerate(points):
        if p.lower is not None and p.upper is not None:
            parts.append(
                f'<line x1="{x(i):.1f}" y1="{y(p.upper):.1f}" x2="{x(i):.1f}" y2="{y(p.lower):.1f}" '
                f'stroke="{colour}" stroke-width="2"/>'
            )
        parts.append(
            f'<circle class="run" cx="{x(i):.1f}" cy="{y(p.value):.1f}" r="4" fill="{colour}">'
            f"<title>{escape(p.label)}: {p.value:.4f}</title></circle>"
        )
    first, last = escape(points[0].label), escape(points[-1].label)
    base_y = top + plot_h + 18
    parts.append(f'<text x="{left}" y="{base_y}" font-size="11" fill="#555">{first}</text>')
    if len(points) > 1:
        parts.append(f'<text x="{end}" y="{base_y}" text-anchor="end" font-size="11" fill="#555">{last}</text>')
    parts.append("</svg>")
    return Markup("".join(parts))
