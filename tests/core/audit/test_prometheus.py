"""The KPIs in the Prometheus text format: parsed back with prometheus_client's own parser."""

from __future__ import annotations

from datetime import UTC, datetime

from prometheus_client.parser import text_string_to_metric_families

from govgate.audit.kpis import compute_kpis
from govgate.audit.prometheus import exposition, period_label
from govgate.audit.types import KPI
from tests.core.audit.conftest import INVENTORY, NOV, NOW


def _samples(text):
    return {
        (s.name, s.labels["kpi"]): (s.value, s.labels)
        for family in text_string_to_metric_families(text)
        for s in family.samples
    }


def test_kpis_round_trip_through_the_exposition_format(audit_store):
    m = audit_store
    kpis = compute_kpis(
        m.index(), start=NOV[0], end=NOV[1], policy=m.policy, store=m.store, inventory=INVENTORY, now=NOW
    )
    text = exposition(kpis)
    assert "# TYPE govgate_kpi_value gauge" in text
    samples = _samples(text)
    value, labels = samples[("govgate_kpi_value", "evaluations_on_time")]
    assert value == 0.75 and labels == {
        "kpi": "evaluations_on_time",
        "period": "2026-11-01T00:00:00+00:00/2026-12-01T00:00:00+00:00",
        "unit": "ratio",
    }
    assert samples[("govgate_kpi_numerator", "prerelease_coverage")][0] == 19
    assert samples[("govgate_kpi_denominator", "prerelease_coverage")][0] == 21
    assert samples[("govgate_kpi_value", "incident_close_hours")][1]["unit"] == "hours"
    # nothing to count: numerator and denominator, no value sample (never a made-up 0)
    assert samples[("govgate_kpi_denominator", "reproducibility_rerun")][0] == 0
    assert ("govgate_kpi_value", "reproducibility_rerun") not in samples


def test_label_values_are_escaped_by_the_library():
    start, end = datetime(2026, 1, 1, tzinfo=UTC), datetime(2026, 2, 1, tzinfo=UTC)
    odd = KPI(id='a"b\\c', name="n", numerator=1, denominator=2, period_start=start, period_end=end,
              numerator_means="x", denominator_means="y")  # fmt: skip
    text = exposition([odd])
    assert 'kpi="a\\"b\\\\c"' in text
    assert _samples(text)[("govgate_kpi_value", 'a"b\\c')][0] == 0.5
    assert period_label(odd) == "2026-01-01T00:00:00+00:00/2026-02-01T00:00:00+00:00"
