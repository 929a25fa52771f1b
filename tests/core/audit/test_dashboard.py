"""The governance dashboard from the audit test store: overdue legal clocks and gaps listed, each regeneration
in a new folder, the newest page and Prometheus text found by /dashboard and /metrics."""

from __future__ import annotations

from datetime import timedelta

from govgate import protocol
from govgate.audit.dashboard import METRICS_NAME, newest, overdue_items, render_dashboard, write_dashboard
from govgate.audit.prometheus import exposition
from govgate.evidence_server import served_key
from tests.core.audit.test_report import gathered, world  # noqa: F401 (fixture)


def test_overdue_clocks_and_gaps(world):  # noqa: F811
    data = gathered(world)
    items = overdue_items(data)
    assert [i.what.split(": ")[1] for i in items] == ["eu-ai-act-art73-2"]  # 15 days from 2026-11-09, as of 12-02
    data.inventory = {
        **data.inventory,
        "gaps": [
            *data.inventory["gaps"],
            {"asset_id": "churn", "rule": "reassessment-overdue", "severity": "high", "message": "late"},
        ],
    }
    assert [i.what for i in overdue_items(data)][-1] == "churn: reassessment-overdue"
    html = render_dashboard(data)
    assert "OVERDUE" in html and "13 / 16" in html and "Last inventory's gaps" in html and "None" not in html


def test_each_run_writes_a_new_folder_and_the_newest_is_served(world):  # noqa: F811
    settings, store, made = world
    first = gathered(world)
    second = gathered(world)
    second.generated_at = first.generated_at + timedelta(hours=1)
    k1 = write_dashboard(store, first, render_dashboard(first), exposition(first.kpis))
    k2 = write_dashboard(store, second, "<html>newer</html>", exposition(second.kpis))
    assert k1 != k2 and k1.startswith(protocol.DASHBOARD_PREFIX)
    assert newest(store) == k2 and newest(store, METRICS_NAME) == k2.replace(protocol.DASHBOARD_HTML, METRICS_NAME)
    assert served_key(store, protocol.DASHBOARD_ROUTE) == (k2, protocol.DASHBOARD_PREFIX)
    assert served_key(store, protocol.METRICS_ROUTE)[0].endswith(METRICS_NAME)
    assert "govgate_kpi_numerator" in store.get_bytes(newest(store, METRICS_NAME)).decode()
    assert served_key(store, "/audit/reports/../../secrets")[0] is None
