"""An incident as a page a person reads (HTML, opens anywhere) and as Markdown: pure functions of the
folded state. An overdue clock is red, a met one green, a running one amber; not-applicable ones grey."""

from __future__ import annotations

from datetime import datetime
from functools import lru_cache
from zoneinfo import ZoneInfo

import jinja2

from govgate.incidents.model import ClockStatus, ClockView, Incident

_CSS = """
*{box-sizing:border-box}
body{font:15px/1.45 system-ui,-apple-system,"Segoe UI",Roboto,sans-serif;margin:0 auto;max-width:1200px;padding:0 1.5rem 2rem;color:#1d2330}
h2{font-size:1.15rem;margin:1.8rem 0 .6rem;border-bottom:1px solid #dde;padding-bottom:.2rem}
table{border-collapse:collapse;width:100%;table-layout:fixed;font-size:.9rem}
th,td{border:1px solid #dde;padding:.4rem .55rem;text-align:left;vertical-align:top;overflow-wrap:anywhere}
th{background:#f4f6fa;font-weight:600}
code{font-size:.85em;overflow-wrap:anywhere} small{color:#555}
.banner{display:flex;gap:1.6rem;align-items:center;padding:1.2rem 1.6rem;border-radius:.5rem;margin:1.5rem 0 1rem;color:#fff;background:#374151}
.banner.overdue{background:#b91c1c}.banner.due{background:#b45309}.banner.clear{background:#15803d}
.banner .verdict{font-size:2.2rem;font-weight:800;letter-spacing:.04em;line-height:1;white-space:nowrap}
.banner h1{margin:0 0 .3rem;font-size:1.3rem}.banner p{margin:0}.banner code{color:#fff}
.badge{display:inline-block;padding:.1rem .55rem;border-radius:.6rem;font-weight:600;font-size:.8rem;white-space:nowrap}
.badge.overdue{background:#b91c1c;color:#fff}.badge.due{background:#fdecc8;color:#713f12}
.badge.met{background:#d9f2e1;color:#14532d}.badge.not-applicable{background:#eee;color:#555}
.badge.late{background:#fbd5d5;color:#7f1d1d}
tr.clock.overdue td{background:#fef2f2}tr.clock.overdue td:first-child{border-left:6px solid #b91c1c}
tr.clock.due td:first-child{border-left:6px solid #d97706}tr.clock.met td:first-child{border-left:6px solid #15803d}
tr.clock.not-applicable td{color:#6b7280}tr.clock.met.late td:first-child{border-left-color:#b91c1c}
dl.facts{display:grid;grid-template-columns:12rem 1fr;gap:.25rem 1rem;margin:0}dl.facts dt{font-weight:600}dl.facts dd{margin:0}
col.k-status{width:14%}col.k-law{width:26%}col.k-start{width:15%}col.k-due{width:23%}col.k-done{width:22%}
col.h-seq{width:5%}col.h-kind{width:13%}col.h-at{width:17%}col.h-by{width:15%}col.h-what{width:50%}
"""

_HTML = """<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>incident {{ i.id }}: {{ verdict }}</title><style>{{ css }}</style></head><body>
<header class="banner {{ tone }}"><div class="verdict">{{ verdict }}</div>
<div><h1>incident <code>{{ i.id }}</code>: {{ i.status.value }}</h1>
<p>{{ i.summary }}</p><p><small style="color:#fff">{{ headline }}</small></p></div></header>
<h2>What happened</h2>
<dl class="facts">
<dt>asset</dt><dd>{{ i.asset.kind.value }} <code>{{ i.asset.id }}</code> version <code>{{ i.asset.version }}</code></dd>
<dt>cause</dt><dd><code>{{ i.cause }}</code></dd>
<dt>severity</dt><dd>{{ i.severity.value }}</dd>
<dt>classified as</dt><dd>{{ i.kinds | map(attribute="value") | join(", ") or "no legal classification (no reporting clock runs)" }}{% if i.jurisdictions %} in {{ i.jurisdictions | map(attribute="value") | join(", ") }}{% endif %}</dd>
<dt>aware</dt><dd>{{ utc(i.aware_at) }}</dd>
<dt>opened</dt><dd>{{ utc(i.opened_at) }} by {{ i.opened_by }} ({{ i.source }})</dd>
{% if i.acknowledged_by %}<dt>acknowledged</dt><dd>{{ utc(i.acknowledged_at) }} by {{ i.acknowledged_by }}</dd>{% endif %}
{% if i.closed_by %}<dt>closed</dt><dd>{{ utc(i.closed_at) }} by {{ i.closed_by }}: {{ i.close_reason }}</dd>{% endif %}
<dt>evidence</dt><dd>{% for e in i.evidence %}<div><a href="{{ e }}"><code>{{ e }}</code></a></div>{% else %}none linked{% endfor %}</dd>
<dt>status as of</dt><dd>{{ utc(i.as_of) }}</dd>
</dl>
<h2>Legal reporting clocks</h2>
{% if i.clocks %}<table class="clocks">
<colgroup><col class="k-status"><col class="k-law"><col class="k-start"><col class="k-due"><col class="k-done"></colgroup>
<thead><tr><th>status</th><th>law and duty</th><th>clock starts</th><th>due</th><th>report / escalation</th></tr></thead><tbody>
{% for c in i.clocks %}<tr class="clock {{ c.status.value }}{{ " late" if c.late }}" id="clock-{{ c.plan.id }}">
<td><span class="badge {{ c.status.value }}">{{ c.status.value | upper }}</span>{% if c.late %} <span class="badge late">LATE</span>{% endif %}</td>
<td><b>{{ c.plan.framework }} {{ c.plan.article }}</b><div>{{ c.plan.title }}</div><small>{{ c.plan.notes }}</small></td>
<td>{{ c.plan.starts }}: {{ utc(c.plan.starts_at) }}</td>
<td>{% if c.plan.due_at %}<b>{{ utc(c.plan.due_at) }}</b><div><small>{{ local(c.plan.due_at, c.plan.zone) }}</small></div><div>{{ c.plan.within }}</div>{% else %}{{ c.plan.reason }}{% endif %}</td>
<td>{% if c.reported_at %}report filed {{ utc(c.reported_at) }}{% if c.late %} (after the due time){% endif %}{% elif c.status.value == "overdue" %}<b>no report recorded</b>{% elif c.status.value == "due" %}{{ left(c) }} left{% endif %}
{% if c.escalated_at %}<div>escalated {{ utc(c.escalated_at) }}</div>{% endif %}{% if c.plan.initial_report_allowed and c.status.value != "not-applicable" %}<div><small>an initial, incomplete report is allowed</small></div>{% endif %}</td>
</tr>{% endfor %}</tbody></table>
{% else %}<p>No legal reporting clock runs for this incident (it has no legal classification).</p>{% endif %}
<h2>History (append-only)</h2>
<table class="history"><colgroup><col class="h-seq"><col class="h-kind"><col class="h-at"><col class="h-by"><col class="h-what"></colgroup>
<thead><tr><th>#</th><th>event</th><th>when</th><th>by</th><th>what</th></tr></thead><tbody>
{% for e in i.history %}<tr><td>{{ e.seq }}</td><td>{{ e.kind.value }}</td><td>{{ utc(e.at) }}</td><td>{{ e.by }}</td>
<td>{% if e.clock_id %}<code>{{ e.clock_id }}</code> {% endif %}{{ e.reason }}{% if e.reference %} (ref. {{ e.reference }}){% endif %}{% if e.kind.value == "reported" and not e.complete %} (initial, incomplete){% endif %}{% if e.opened %}{{ e.opened.summary }}{% endif %}{% if e.classified %}classified as {{ e.classified.kinds | map(attribute="value") | join(", ") }} in {{ e.classified.jurisdictions | map(attribute="value") | join(", ") }}, aware {{ utc(e.classified.aware_at) }}{% endif %}</td></tr>
{% endfor %}</tbody></table>
</body></html>
"""


@lru_cache(maxsize=1)
def _template() -> jinja2.Template:
    env = jinja2.Environment(autoescape=True, undefined=jinja2.StrictUndefined)
    return env.from_string(_HTML)


def utc(when: datetime | None) -> str:
    return f"{when:%Y-%m-%d %H:%M:%S} UTC" if when else "-"


def local(when: datetime, zone: str) -> str:
    there = when.astimezone(ZoneInfo(zone))
    return f"{there:%Y-%m-%d %H:%M} {there.tzname()} ({zone})"


def time_left(clock: ClockView, as_of: datetime) -> str:
    seconds = int((clock.plan.due_at - as_of).total_seconds())
    days, rest = divmod(seconds, 86400)
    return f"{days} d {rest // 3600} h" if days else f"{rest // 3600} h {rest % 3600 // 60} min"


def verdict(incident: Incident) -> tuple[str, str, str]:
    """(banner word, tone, one line): an overdue clock dominates whatever the incident's status."""
    counts = {s: sum(c.status == s for c in incident.clocks) for s in ClockStatus}
    line = (
        f"{counts[ClockStatus.OVERDUE]} overdue, {counts[ClockStatus.DUE]} due, {counts[ClockStatus.MET]} met, "
        f"{counts[ClockStatus.NOT_APPLICABLE]} not applicable"
    )
    if counts[ClockStatus.OVERDUE]:
        return "OVERDUE", "overdue", line
    if counts[ClockStatus.DUE]:
        return "REPORT DUE", "due", line
    return incident.status.value.upper(), "clear", line


def render_html(incident: Incident) -> str:
    word, tone, line = verdict(incident)
    return _template().render(
        i=incident,
        css=_CSS,
        verdict=word,
        tone=tone,
        headline=line,
        utc=utc,
        local=local,
        left=lambda c: time_left(c, incident.as_of),
    )


def render_markdown(incident: Incident) -> str:
    word, _, line = verdict(incident)
    i = incident
    out = [
        f"# Incident {i.id}: {word}",
        "",
        f"{i.summary}",
        "",
        f"- asset: {i.asset.kind.value} `{i.asset.id}` version `{i.asset.version}`; cause `{i.cause}`; severity {i.severity.value}",
        f"- status: {i.status.value}; aware {utc(i.aware_at)}; opened {utc(i.opened_at)} by {i.opened_by}",
        f"- clocks: {line} (as of {utc(i.as_of)})",
    ]
    if i.closed_by:
        out.append(f"- closed {utc(i.closed_at)} by {i.closed_by}: {i.close_reason}")
    out += [f"- evidence: {e}" for e in i.evidence]
    if i.clocks:
        out += ["", "| status | clock | due | report |", "|---|---|---|---|"]
        for c in i.clocks:
            status = c.status.value.upper() + (" (late)" if c.late else "")
            due = utc(c.plan.due_at) + f" ({c.plan.within})" if c.plan.due_at else c.plan.reason
            done = f"filed {utc(c.reported_at)}" if c.reported_at else ("escalated" if c.escalated_at else "")
            out.append(f"| {status} | {c.plan.framework} {c.plan.article}: {c.plan.title} | {due} | {done} |")
    out += ["", "| # | event | when | by | what |", "|---|---|---|---|---|"]
    for e in i.history:
        what = (e.clock_id + " " if e.clock_id else "") + (e.reason or (e.opened.summary if e.opened else ""))
        if e.classified:
            what += "classified as " + ", ".join(k.value for k in e.classified.kinds)
        out.append(f"| {e.seq} | {e.kind.value} | {utc(e.at)} | {e.by} | {what.replace('|', '/')} |")
    return "\n".join(out) + "\n"
