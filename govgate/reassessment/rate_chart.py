"""One small-multiple SVG of a rate over past reassessments: one line per group (colour and dash pattern,
so it reads without colour too), each run's interval as a whisker, a legend of the groups beside the plot.
Pure: numbers in, markup out; every label escaped."""

from __future__ import annotations

import math

from markupsafe import Markup, escape

# Okabe-Ito colours (distinguishable with colour-blindness) and dash patterns: a group is told by both
COLOURS = ("#0072B2", "#D55E00", "#009E73", "#CC79A7", "#E69F00", "#56B4E9")
DASHES = ("", "6 3", "2 2", "8 3 2 3", "4 4", "1 3")
WIDTH, HEIGHT, LEFT, RIGHT, TOP, BOTTOM = 420, 190, 40, 128, 12, 30
LEGEND_CHARS = 14


def _range(values: list[float]) -> tuple[float, float]:
    lo, hi = min(values), max(values)
    pad = (hi - lo) * 0.12 or 0.05
    return max(lo - pad, 0.0), min(hi + pad, 1.0)


def _ticks(lo: float, hi: float) -> list[float]:
    raw = (hi - lo) / 4
    step = 10 ** math.floor(math.log10(raw)) if raw > 0 else 0.1
    step *= next((m for m in (1, 2, 2.5, 5, 10) if raw <= m * step), 10)
    first = math.ceil(lo / step) * step
    return [round(first + i * step, 10) for i in range(int((hi - first) / step + 1e-9) + 1)]


def _short(text: str) -> str:
    return text if len(text) <= LEGEND_CHARS else text[: LEGEND_CHARS - 1] + "…"


def rate_svg(runs: list[str], groups: list[dict]) -> Markup:
    """Long because it lays out one chart top to bottom: grid and ticks, each group's line, whiskers and
    points (x by the run's place in ``runs``, so groups missing a run stay aligned), run labels, legend.
    ``groups``: ``[{"group": name, "points": [{"run", "value", "lower", "upper", "n"}]}]``."""
    plot_w, plot_h = WIDTH - LEFT - RIGHT, HEIGHT - TOP - BOTTOM
    values = [v for g in groups for p in g["points"] for v in (p["value"], p.get("lower"), p.get("upper"))]
    lo, hi = _range([float(v) for v in values if isinstance(v, (int, float))])
    where = {run: i for i, run in enumerate(runs)}
    step = plot_w / max(len(runs) - 1, 1)

    def x(run: str, k: int) -> float:  # whiskers of the groups side by side, not on top of each other
        base = LEFT + (where.get(run, 0) * step if len(runs) > 1 else plot_w / 2)
        return base + (k - (len(groups) - 1) / 2) * 3

    def y(v: float) -> float:
        return TOP + (hi - min(max(v, lo), hi)) / (hi - lo) * plot_h

    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" class="chart rates" viewBox="0 0 {WIDTH} {HEIGHT}" '
        f'role="img" preserveAspectRatio="xMinYMin meet">'
    ]
    for tick in _ticks(lo, hi):
        parts.append(
            f'<line x1="{LEFT}" y1="{y(tick):.1f}" x2="{LEFT + plot_w}" y2="{y(tick):.1f}" stroke="#e5e7eb"/>'
            f'<text x="{LEFT - 5}" y="{y(tick) + 4:.1f}" text-anchor="end" font-size="12" fill="#555">{tick:g}</text>'
        )
    for k, g in enumerate(groups):
        colour, dash, name = COLOURS[k % len(COLOURS)], DASHES[k % len(DASHES)], str(g["group"])
        pts = [p for p in g["points"] if p.get("run") in where]
        path = " ".join(f"{x(p['run'], k):.1f},{y(p['value']):.1f}" for p in pts)
        parts.append(
            f'<polyline class="group" points="{path}" fill="none" stroke="{colour}" stroke-width="2" '
            f'stroke-dasharray="{dash}"><title>{escape(name)}</title></polyline>'
        )
        for p in pts:
            px, lower, upper = x(p["run"], k), p.get("lower"), p.get("upper")
            if isinstance(lower, (int, float)) and isinstance(upper, (int, float)):
                parts.append(
                    f'<line x1="{px:.1f}" y1="{y(upper):.1f}" x2="{px:.1f}" y2="{y(lower):.1f}" '
                    f'stroke="{colour}" stroke-width="1.2" opacity=".7"/>'
                )
            interval = f" [{lower:.3f}, {upper:.3f}]" if isinstance(lower, float) and isinstance(upper, float) else ""
            n = f", n={p['n']:,}" if isinstance(p.get("n"), int) else ""
            parts.append(
                f'<circle class="point" cx="{px:.1f}" cy="{y(p["value"]):.1f}" r="3" fill="{colour}">'
                f"<title>{escape(name)}, {escape(p['run'])}: {p['value']:.3f}{interval}{n}</title></circle>"
            )
        ly = TOP + 8 + k * 17
        lx = LEFT + plot_w + 16
        parts.append(
            f'<g class="legend"><line x1="{lx}" y1="{ly}" x2="{lx + 20}" y2="{ly}" stroke="{colour}" stroke-width="2" '
            f'stroke-dasharray="{dash}"/><text x="{lx + 25}" y="{ly + 4}" font-size="12" fill="#111">'
            f"{escape(_short(name))}<title>{escape(name)}</title></text></g>"
        )
    base_y = TOP + plot_h + 18
    parts.append(f'<text x="{LEFT}" y="{base_y}" font-size="12" fill="#555">{escape(runs[0])}</text>')
    if len(runs) > 1:
        parts.append(
            f'<text x="{LEFT + plot_w}" y="{base_y}" text-anchor="end" font-size="12" fill="#555">{escape(runs[-1])}</text>'
        )
    parts.append("</svg>")
    return Markup("".join(parts))
