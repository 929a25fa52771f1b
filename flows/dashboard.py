"""governance-dashboard: the KPIs, overdue items, open incidents and inventory gaps as one static page (and
the KPIs as Prometheus text), regenerated on the policy's schedule and served by ``govgate serve`` at
/dashboard and /metrics. A view, not evidence: no gate record."""

from __future__ import annotations

from prefect import flow

from tasks.audit import write_dashboard_page


@flow(name="governance-dashboard", log_prints=True)
def governance_dashboard(days: int = 30) -> dict:
    """Regenerate the dashboard from the records of the last ``days`` days.

    Args:
        days: how many days of records the KPIs cover (ending now).
    """
    result = write_dashboard_page(days)
    print(f"dashboard: {result['key']} ({result['records']} records, {result['kpis']} KPIs)")
    return result
