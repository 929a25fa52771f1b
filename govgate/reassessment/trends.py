"""Trend charts: each judged comparison with the baseline over the version's past reassessments and this
one (how much worse than the baseline, with its interval, against the tier's tolerance), as one static
HTML page kept beside the record (``trends.html``); and ``trend_series``, the record's own
``REASSESSMENT_TRENDS`` output (each judged metric per group: its value and interval per run, the baseline
and the limit, numbers only) that the record's report draws. Drawn only from records."""

from __future__ import annotations

from collections.abc import Mapping

from markupsafe import Markup, escape

from govgate import protocol
from govgate.charts import PATTERN_DEFS, Row, interval_svg
from govgate.errors import StoreError
from govgate.publish import load_record
from govgate.reassessment.group_rates import rate_trends, record_rates
from govgate.record import Check, GateResult, slug
from govgate.store import ObjectStore

MAX_RUNS = 12  # the most recent reassessments drawn per chart
MAX_CHARTS = 24
TRENDS_FILE = "trends.html"


def past_records(store: ObjectStore, model: str, version: str) -> list[GateResult]:
    """The version's published reassessment records, oldest first (unreadable ones are left out: the
    trend draws only what a reader could verify)."""
    prefix = f"{protocol.EVIDENCE_PREFIX}{slug(model)}/{slug(version)}/{protocol.REASSESSMENT}/"
    keys = sorted(i.key for i in store.list(prefix) if i.key.endswith("/" + protocol.MANIFEST))
    records = []
    for key in keys[-MAX_RUNS:]:
        try:
            records.append(load_record(store, key[: -len(protocol.MANIFEST)]))
        except StoreError:
            continue
    return records


def _row(label: str, check: Check) -> Row | None:
    m = next((x for x in check.metrics if x.name == "worsening"), None)
    if m is None or not isinstance(m.value, (int, float)):
        return None
    return Row(label, float(m.value), m.lower, m.upper)


def trend_rows(history: list[tuple[str, list[Check]]], check_id: str) -> list[Row]:
    rows = []
    for label, checks in history:
        check = next((c for c in checks if c.id == check_id), None)
        row = _row(label, check) if check else None
        rows += [row] if row else []
    return rows


def trends_page(title: str, past: list[GateResult], current: list[Check], current_label: str) -> bytes | None:
    """One chart per comparison with the baseline (failed and warned first); None when there is none."""
    history = [(f"{r.started_at:%Y-%m-%d %H:%M}", r.checks) for r in past] + [(current_label, current)]
    order = {"fail": 0, "warn": 1}
    judged = sorted(
        (c for c in current if c.id.endswith(".vs_baseline") and c.threshold),
        key=lambda c: (order.get(c.outcome.value, 2), c.id),
    )[:MAX_CHARTS]
    sections = []
    for c in judged:
        rows = trend_rows(history, c.id)
        if not rows:
            continue
        base = next((m.value for m in c.metrics if m.name == "baseline"), None)
        svg = interval_svg(rows, limit=float(c.threshold.value), op=c.threshold.op)
        caption = (
            f"{c.id}: worsening against the baseline ({base:.4f})"
            if isinstance(base, float)
            else f"{c.id}: worsening against the baseline"
        )
        sections.append(
            f"<figure><figcaption>{escape(caption)}; limit {escape(c.threshold.op)} "
            f"{c.threshold.value:g}; now {escape(c.outcome.value)}</figcaption>{svg}</figure>"
        )
    if not sections:
        return None
    body = Markup("".join(sections))
    return (
        "<!doctype html><html><head><meta charset='utf-8'><title>" + str(escape(title)) + "</title>"
        "<style>body{font-family:system-ui,sans-serif;max-width:760px;margin:1.5em auto;color:#111}"
        "figure{margin:1.2em 0}figcaption{font-size:14px;margin-bottom:.3em}</style></head><body>"
        f"<h1>{escape(title)}</h1><p>Each row is one reassessment (the last is this one): how much worse than "
        "the approved baseline the figure is, with its interval. Right of the dashed line is beyond the tier's "
        f"tolerance.</p>{PATTERN_DEFS}{body}</body></html>"
    ).encode()


def _figure(check: Check, name: str) -> float | None:
    m = next((x for x in check.metrics if x.name == name), None)
    return float(m.value) if m is not None and isinstance(m.value, (int, float)) else None


def _point(label: str, check: Check | None) -> dict | None:
    m = next((x for x in check.metrics if x.name == "current"), None) if check else None
    if m is None or not isinstance(m.value, (int, float)) or m.value != m.value:
        return None
    return {"run": label, "value": float(m.value), "lower": m.lower, "upper": m.upper, "n": m.n}


def _metric_group(check: Check) -> tuple[str, str]:
    """``(metric, group)`` from the check's details, else from its id (``...<metric>.<group>.vs_baseline``)."""
    d = check.details
    if d.get("metric") and d.get("group"):
        return str(d["metric"]), str(d["group"])
    parts = check.id.removesuffix(".vs_baseline").split(".")
    return (parts[-2], parts[-1]) if len(parts) >= 3 else (parts[-1], "overall")


def trend_series(
    past: list[GateResult], current: list[Check], current_label: str = "this run", outputs: Mapping | None = None
) -> dict:
    """The ``REASSESSMENT_TRENDS`` output: one series per comparison with the baseline in ``current``
    (measured or estimated; failed and warned first), its value per past run and this one, the baseline
    and the limit in the metric's own units (baseline minus the tolerance when higher is better); and
    ``group_rates``: every group's raw rates over the same runs (``govgate.reassessment.group_rates``),
    this run's from ``outputs`` and ``current``."""
    history = [(f"{r.started_at:%Y-%m-%d %H:%M}", r.checks) for r in past] + [(current_label, current)]
    order = {"fail": 0, "warn": 1}
    judged = sorted(
        (
            c
            for c in current
            if c.threshold and c.threshold.metric == "worsening" and _figure(c, "baseline") is not None
        ),
        key=lambda c: (order.get(c.outcome.value, 2), c.id),
    )[:MAX_CHARTS]
    series = []
    for c in judged:
        points = [
            p for label, checks in history if (p := _point(label, next((x for x in checks if x.id == c.id), None)))
        ]
        if not points:
            continue
        base, tol = _figure(c, "baseline"), float(c.threshold.value)
        higher = bool(c.details.get("higher_is_better", True))
        metric, group = _metric_group(c)
        series.append({
            "check": c.id, "metric": metric, "group": group, "estimated": bool(c.details.get("estimated")),
            "higher_is_better": higher, "baseline": base, "tolerance": tol,
            "limit": round(base - tol if higher else base + tol, 12), "op": ">=" if higher else "<=",
            "outcome": c.outcome.value, "points": points,
        })  # fmt: skip
    rates = [(f"{r.started_at:%Y-%m-%d %H:%M}", record_rates(r.outputs, r.checks)) for r in past]
    rates.append((current_label, record_rates(outputs or {}, current)))
    return {"runs": [label for label, _ in history], "series": series, "group_rates": rate_trends(rates)}
