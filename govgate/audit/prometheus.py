"""The governance KPIs in the Prometheus text exposition format, for teams that chart them in Grafana.

Written with ``prometheus_client``'s own exposition (``generate_latest`` over a registry holding one
collector), so escaping and the format's rules are the library's, not ours; the package is already
installed with Prefect. Three gauges per KPI and period: numerator, denominator and value. A KPI with
nothing to count has no value sample (never a made-up 0): its denominator 0 says so.
"""

from __future__ import annotations

from collections.abc import Iterable

from prometheus_client import CollectorRegistry, generate_latest
from prometheus_client.core import GaugeMetricFamily

from govgate import protocol
from govgate.audit.types import KPI

CONTENT_TYPE = "text/plain; version=0.0.4; charset=utf-8"
PREFIX = protocol.PROMETHEUS_KPI_PREFIX
LABELS = protocol.PROMETHEUS_KPI_LABELS


def period_label(kpi: KPI) -> str:
    """``2026-11-01T00:00:00+00:00/2026-12-01T00:00:00+00:00``: the ISO 8601 interval [start, end)."""
    return f"{kpi.period_start.isoformat()}/{kpi.period_end.isoformat()}"


class _KPICollector:
    def __init__(self, kpis: Iterable[KPI]):
        self.kpis = list(kpis)

    def collect(self):
        value = GaugeMetricFamily(
            f"{PREFIX}_value",
            "Governance KPI: numerator / denominator (ratio), or the mean (hours, seconds); absent with no data",
            labels=LABELS,
        )
        num = GaugeMetricFamily(f"{PREFIX}_numerator", "What the KPI's numerator counts (see docs)", labels=LABELS)
        den = GaugeMetricFamily(f"{PREFIX}_denominator", "What the KPI's denominator counts (see docs)", labels=LABELS)
        for k in self.kpis:
            labels = [k.id, period_label(k), k.unit]
            num.add_metric(labels, float(k.numerator))
            den.add_metric(labels, float(k.denominator))
            if k.value is not None:
                value.add_metric(labels, float(k.value))
        yield from (value, num, den)


def exposition(kpis: Iterable[KPI]) -> str:
    """The KPIs as Prometheus text (for a file a node exporter's textfile collector reads, or a scrape)."""
    registry = CollectorRegistry(auto_describe=False)
    registry.register(_KPICollector(kpis))
    return generate_latest(registry).decode("utf-8")
