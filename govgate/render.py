"""Renderers: pure functions of an evidence record (no I/O, no clock), so a report can always be
re-rendered from the stored record and agree with it."""

from __future__ import annotations

from functools import lru_cache
from typing import Any

import jinja2

from govgate import report_view
from govgate.charts import PATTERN_DEFS
from govgate.controls import control_title
from govgate.record import FAIRNESS_REPORT, LEGACY_FAIRNESS_CHECK, Check, GateResult, Metric
from govgate.report_view import OUTCOME_ORDER


@lru_cache(maxsize=1)
def _env() -> jinja2.Environment:
    env = jinja2.Environment(
        loader=jinja2.PackageLoader("govgate", "templates"),
        # "record.html.j2" ends in .j2: without "html.j2" here the HTML templates were rendered unescaped
        autoescape=jinja2.select_autoescape(enabled_extensions=("html", "html.j2"), default_for_string=False),
        trim_blocks=True,
        lstrip_blocks=True,
        undefined=jinja2.StrictUndefined,
    )
    env.filters["metric"] = format_metric
    env.filters["threshold"] = format_threshold
    env.filters["md_cell"] = lambda s: str(s).replace("|", "\\|").replace("\n", " ")
    env.filters["number"] = report_view.number
    env.globals["control_title"] = control_title
    return env


def format_value(value: Any) -> str:
    if isinstance(value, float):
        return f"{value:.4g}"
    return str(value)


def format_metric(m: Metric) -> str:
    text = f"{m.name}={format_value(m.value)}"
    if m.lower is not None and m.upper is not None:
        level = f"{m.confidence:.0%} " if m.confidence else ""
        text += f" [{level}CI {m.lower:.4g}, {m.upper:.4g}]"
    if m.n is not None:
        text += f" (n={m.n})"
    return text


def format_threshold(check: Check) -> str:
    t = check.threshold
    if t is None:
        return ""
    text = f"{t.metric} {t.op} {format_value(t.value)}"
    return text + (f" (baseline {t.baseline_record})" if t.baseline_record else "")


def _context(record: GateResult, links: dict[str, str] | None) -> dict[str, Any]:
    checks = sorted(record.checks, key=lambda c: (OUTCOME_ORDER.get(c.outcome.value, 9), c.id))
    controls = sorted({ref for c in record.checks for ref in c.controls})
    return {
        "r": record,
        "checks": checks,
        "counts": record.outcome_counts(),
        "controls": controls,
        "links": links or {},
        "concerns": report_view.concerns(record),
        "reasons": report_view.reasons(record),
        "decision_words": report_view.decision_words(record),
        "min_group_n": report_view.min_group_n(record),
        "pattern_defs": PATTERN_DEFS,
        "trends": report_view.trend_charts(record),
        "rates": report_view.rate_charts(record),
    }


def render_markdown(record: GateResult, links: dict[str, str] | None = None) -> str:
    return _env().get_template("record.md.j2").render(**_context(record, links))


def render_html(record: GateResult, links: dict[str, str] | None = None) -> str:
    return _env().get_template("record.html.j2").render(**_context(record, links))


def checks_table(record: GateResult) -> list[dict[str, str]]:
    """Rows for a table of every check (Prefect table artifact, CLI)."""
    return [
        {
            "check": c.id,
            "outcome": c.outcome.value,
            "value": "; ".join(format_metric(m) for m in c.metrics),
            "threshold": format_threshold(c),
            "message": c.message,
            "controls": ", ".join(c.controls[:6]) + (f" (+{len(c.controls) - 6})" if len(c.controls) > 6 else ""),
        }
        for c in _context(record, None)["checks"]
    ]


def render_datasheet(record: GateResult) -> str:
    """A datasheet for the dataset: what the owner declared plus what the review measured (from the record)."""
    try:
        declared = record.check("data.datasheet.required_fields").details
    except KeyError:
        declared = {"datasheet": {}, "columns": []}

    def group(prefix: str) -> list[Check]:
        return [c for c in record.checks if c.id.startswith(prefix)]

    return (
        _env()
        .get_template("datasheet.md.j2")
        .render(
            r=record,
            sheet=declared.get("datasheet", {}),
            columns=declared.get("columns", []),
            pii=group("data.pii.column."),
            ner=group("data.pii.ner"),
            secrets=[c for c in group("data.secrets.") if c.id != "data.secrets.detectors"],
            quality=group("data.quality."),
            sensitive=group("data.sensitive."),
            other=[
                c for c in record.checks if c.id.startswith(("data.datasheet.", "data.legal_basis", "data.anonymized"))
            ],
        )
    )


FAIRNESS_TABLE_METRICS = ("selection_rate", "true_positive_rate", "false_positive_rate")


def fairness_table(record: GateResult) -> list[dict[str, str]]:
    """One row per group of each sensitive feature (and their intersection), from the record's
    ``fairness_report`` output (a 1.0.0 record: its ``fairness.report`` check)."""
    report = record.output(FAIRNESS_REPORT, LEGACY_FAIRNESS_CHECK, "report") or {}
    rows = []
    for key, feature in (report.get("features") or {}).items():
        for group in feature.get("groups", []):
            row = {"feature": key, "group": group["name"], "n": str(group["n"]), "status": group["status"]}
            for name in FAIRNESS_TABLE_METRICS:
                row[name] = _estimate(group.get("metrics", {}).get(name) or {})
            rows.append(row)
    return rows


def _estimate(e: dict) -> str:
    if e.get("value") is None:
        return "n/a"
    text = f"{e['value']:.3f}"
    return text + (
        f" [{e['lower']:.3f}, {e['upper']:.3f}]" if e.get("lower") is not None and e.get("upper") is not None else ""
    )


def render_model_card(record: GateResult, fmt: str = "md") -> str:
    """The model card in the Model Card Toolkit's sections (``govgate.model_card``), from the record only;
    the HTML version draws every judged group metric by group with inline SVG (no cut labels)."""
    from govgate.model_card import model_card

    ctx = dict(
        r=record,
        mc=model_card(record),
        fairness_groups=fairness_table(record),
        fairness_metrics=FAIRNESS_TABLE_METRICS,
        pattern_defs=PATTERN_DEFS,
    )
    return _env().get_template(f"model_card.{'html' if fmt == 'html' else 'md'}.j2").render(**ctx)
