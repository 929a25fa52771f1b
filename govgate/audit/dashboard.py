"""The governance dashboard: one static page of the KPIs (with their fractions), what is overdue, open
incidents with their legal clocks and the last inventory's gaps, regenerated on a schedule and written under
``dashboard/<generated at>/`` (not evidence: a view, so each run writes a new folder and readers take the
newest). The Prometheus text of the same KPIs is written beside it, so ``govgate serve`` answers /metrics
without reading the store's records on each scrape."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from govgate import protocol
from govgate.audit.report import AuditData
from govgate.audit.report_html import kpi_chart, kpi_verdict, template_env
from govgate.evidence_index import list_pages
from govgate.store import ObjectStore

METRICS_NAME = "metrics.txt"


@dataclass
class Overdue:
    what: str
    due: str
    why: str
    link: str | None = None


@dataclass
class DashboardView:
    data: AuditData
    overdue: list[Overdue] = field(default_factory=list)

    @property
    def open_incidents(self) -> list:
        return [i for i in self.data.incidents if i.status.value != "closed"]

    @property
    def gaps(self) -> list[dict]:
        return list((self.data.inventory or {}).get("gaps") or [])


def overdue_items(data: AuditData) -> list[Overdue]:
    """Legal clocks past their due time without a report, and inventory gaps that say something is overdue."""
    out = [
        Overdue(
            f"incident {i.id}: {c.plan.id}",
            f"{c.plan.due_at:%Y-%m-%d %H:%M}Z",
            f"{c.plan.framework} {c.plan.article}, {c.plan.within}",
        )
        for i in data.incidents
        if i.status.value != "closed"
        for c in i.overdue
    ]
    out += [
        Overdue(f"{g.get('asset_id')}: {g.get('rule')}", "now", g.get("message", ""), (g.get("evidence") or [None])[0])
        for g in (data.inventory or {}).get("gaps") or []
        if "overdue" in str(g.get("rule", "")) or "expired" in str(g.get("rule", ""))
    ]
    return out


def render_dashboard(data: AuditData) -> str:
    view = DashboardView(data, overdue_items(data))
    charts = {k.id: kpi_chart(data.kpi_series.get(k.id) or [k]) for k in data.kpis}
    return template_env().get_template("dashboard.html.j2").render(v=view, d=data, charts=charts, verdict=kpi_verdict)


def dashboard_prefix(generated_at: datetime) -> str:
    return f"{protocol.DASHBOARD_PREFIX}{generated_at:%Y%m%dT%H%M%SZ}/"


def write_dashboard(store: ObjectStore, data: AuditData, html: str, metrics: str | None) -> str:
    """Write the page (and the Prometheus text when given) in a new folder; the page's key."""
    prefix = dashboard_prefix(data.generated_at)
    if metrics is not None:
        store.put(prefix + METRICS_NAME, metrics.encode(), content_type="text/plain; version=0.0.4")
    store.put(prefix + protocol.DASHBOARD_HTML, html.encode(), content_type="text/html; charset=utf-8")
    return prefix + protocol.DASHBOARD_HTML


def newest(store: ObjectStore, name: str = protocol.DASHBOARD_HTML) -> str | None:
    """The key of the newest dashboard file of that name (folders sort by their time), None before the first run."""
    keys = [i.key for page in list_pages(store, protocol.DASHBOARD_PREFIX) for i in page if i.key.endswith("/" + name)]
    return max(keys, default=None)
