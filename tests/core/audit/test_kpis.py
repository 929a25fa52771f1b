"""Each governance KPI exactly (numerator, denominator) over the store in known states (conftest.py's timeline)."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from govgate.audit.kpis import (
    compute_kpis,
    kpi_series,
    load_incidents,
    month_periods,
    pinning,
    rerun_sample,
    same_checks,
)
from govgate.evidence_index import scan_records
from tests.core.audit.conftest import INVENTORY, NOV, NOW


@pytest.fixture(scope="module")
def kpis(audit_store):
    m = audit_store
    found = compute_kpis(
        m.index(), start=NOV[0], end=NOV[1], policy=m.policy, store=m.store, inventory=INVENTORY, now=NOW
    )
    return {k.id: k for k in found}


EXPECTED = {  # id: (numerator, denominator) -- derived by hand from the timeline in conftest.py
    "evaluations_on_time": (3, 4),  # weekly slots Nov 9, 16, 23, 30 after approval Nov 3; Nov 23 ran 27 h late
    "prerelease_coverage": (19, 21),  # F 12/12 (high), K 2/2 (low), P 5/7 (medium: model card, sign-off)
    "reproducibility": (5, 6),  # D E I L O pinned, Q has no git commit; N does not verify, M is an error
    "reproducibility_rerun": (0, 0),  # no re-runs given
    "evidence_package_completeness": (2, 3),  # P's model card check failed
    "fairness_regression_detection_hours": (193.0, 1),  # O (Nov 24 09:05) - L passed fairness (Nov 16 08:05)
    "incident_triage_hours": (4.0, 1),  # regression incident: opened 10:00, acknowledged 14:00; drift one waits
    "incident_close_hours": (48.0, 1),  # closed Nov 26 10:00
    "drift_alert_precision": (2, 3),  # L (confirmed by O's fairness failure), O (itself), Q (nothing after)
    "documentation_freshness": (1, 2),  # F: card of Nov 3; K: card of Sep 1 (72 days before)
    "governance_sla": (2, 3),  # C 2 days, H 5 days in time; G 16 days against 5
    "pipeline_runtime_seconds": (4025.0, 14),  # every record started in November but N (not verifying)
}


@pytest.mark.parametrize("kpi_id", sorted(EXPECTED))
def test_each_kpi_exactly(kpis, kpi_id):
    k = kpis[kpi_id]
    assert (k.numerator, k.denominator) == EXPECTED[kpi_id]
    assert (k.period_start, k.period_end) == NOV
    assert k.numerator_means and k.denominator_means and k.name


def test_the_items_behind_the_figures_are_named(kpis, audit_store):
    m = audit_store
    assert kpis["evaluations_on_time"].details["missed"] == ["credit v1: due 2026-11-23T06:00:00+00:00"]
    assert kpis["prerelease_coverage"].details["gaps"] == [
        f"{m.rid('P')} (churn v1, tier medium): missing ['model_card', 'signoff']"
    ]
    assert kpis["reproducibility"].details["unpinned"] == [f"{m.rid('Q')}: code version (git commit)"]
    assert kpis["evidence_package_completeness"].details["incomplete"] == [f"{m.rid('P')}: launch.evidence.model_card"]
    assert kpis["drift_alert_precision"].details["unconfirmed"] == [m.rid("Q")]
    assert kpis["documentation_freshness"].details["stale"] == [
        f"{m.rid('K')} (scoring v1): model card last updated 2026-09-01"
    ]
    assert kpis["governance_sla"].details["late"] == [f"{m.rid('G')} (intake): 16.0 days, SLA 5"]
    assert kpis["fairness_regression_detection_hours"].value == 193.0
    assert (
        kpis["incident_triage_hours"].details["opened"] == 2
        and len(kpis["incident_triage_hours"].details["waiting"]) == 1
    )
    assert kpis["pipeline_runtime_seconds"].details["mean_by_gate"]["model-review"] == 1200.0


def test_corrupt_and_non_verifying_records_and_incidents_are_named(kpis, audit_store):
    m = audit_store
    for k in kpis.values():
        assert k.details["unreadable_records"][0].startswith(m.corrupt_prefix)
        assert k.details["not_verifying_records"] == [
            f"{m.rid('N')}: record.json: changed after publishing (sha256 differs from its manifest)"
        ]
    assert m.bad_incident in kpis["incident_close_hours"].details["unreadable_incidents"][0]


def test_without_an_inventory_the_schedule_kpi_has_no_value_not_a_made_up_one(audit_store):
    m = audit_store
    found = {
        k.id: k for k in compute_kpis(m.index(), start=NOV[0], end=NOV[1], policy=m.policy, store=m.store, now=NOW)
    }
    on_time = found["evaluations_on_time"]
    assert (on_time.numerator, on_time.denominator, on_time.value) == (0, 0, None)
    assert "no inventory" in on_time.details["note"]


def test_a_period_with_no_records(audit_store):
    m = audit_store
    since, until = datetime(2025, 1, 1, tzinfo=UTC), datetime(2025, 2, 1, tzinfo=UTC)
    empty = scan_records(m.store, since=since, until=until)
    found = compute_kpis(empty, start=since, end=until, policy=m.policy, store=m.store, inventory=INVENTORY, now=NOW)
    assert len(found) == len(EXPECTED) and all(k.denominator == 0 and k.value is None for k in found)


def test_rerun_sample_is_deterministic_and_same_checks_compares(audit_store):
    m = audit_store
    index = m.index()
    a, b = rerun_sample(index, 3, seed=42), rerun_sample(index, 3, seed=42)
    assert [e.record_id for e in a] == [e.record_id for e in b] and len(a) == 3
    assert all(not pinning(e) and e.verified and e.decision != "error" for e in a)
    assert {e.record_id for e in rerun_sample(index, 10, seed=42)} == {m.rid(x) for x in "BDEILO"}  # every pinned one
    by_id = {e.record_id: e for e in index.entries}
    i, later = by_id[m.rid("I")], by_id[m.rid("L")]
    assert same_checks(i, i) == (True, [])
    assert same_checks(i, later) == (False, ["drift.dataset.psi: pass -> fail"])
    found = {
        k.id: k
        for k in compute_kpis(
            index, start=NOV[0], end=NOV[1], policy=m.policy, store=m.store, now=NOW, reruns=[(i, i), (i, later)]
        )
    }
    rerun = found["reproducibility_rerun"]
    assert (rerun.numerator, rerun.denominator) == (1, 2)
    assert rerun.details["different"] == [f"{i.record_id} vs {later.record_id}: drift.dataset.psi: pass -> fail"]


def test_kpi_series_per_month(audit_store):
    m = audit_store
    periods = month_periods(datetime(2026, 10, 15, tzinfo=UTC), NOV[1])
    assert periods == [(datetime(2026, 10, 15, tzinfo=UTC), NOV[0]), NOV]
    incidents, _ = load_incidents(m.store, NOW)
    series = kpi_series(
        m.index(), periods=periods, policy=m.policy, store=m.store, inventory=INVENTORY, now=NOW, incidents=incidents
    )
    runtime = series["pipeline_runtime_seconds"]
    assert [(k.numerator, k.denominator) for k in runtime] == [(0, 0), (4025.0, 14)]
    assert [(k.period_start, k.period_end) for k in runtime] == periods
    assert [(k.numerator, k.denominator) for k in series["drift_alert_precision"]] == [(0, 0), (2, 3)]


def test_a_tier_the_policy_does_not_define_is_named_not_counted(audit_store):
    m = audit_store
    odd = {**INVENTORY, "assets": [{**INVENTORY["assets"][0], "tier": "critical"}]}
    found = {
        k.id: k
        for k in compute_kpis(
            m.index(), start=NOV[0], end=NOV[1], policy=m.policy, store=m.store, inventory=odd, now=NOW
        )
    }
    on_time = found["evaluations_on_time"]
    assert (on_time.numerator, on_time.denominator) == (0, 0)
    assert on_time.details["missed"] == [
        "credit v1: tier 'critical' is not in policy govgate-default; its slots are not counted"
    ]


def test_rerun_agreement_pairs_reruns_from_the_records(audit_store):
    """Without ``reruns``: records with parameters[rerun_of] paired with their original, plus what a
    reproducibility check could not re-run (denominator only), plus re-runs of unknown records (named)."""
    from dataclasses import replace

    from govgate import protocol
    from govgate.evidence_index import EvidenceIndex

    m = audit_store
    index = m.index()
    by_id = {e.record_id: e for e in index.entries}
    i, later = by_id[m.rid("I")], by_id[m.rid("L")]
    of = protocol.RERUN_OF_PARAMETER
    agrees = replace(i, record_id=i.record_id + "r", parameters={**i.parameters, of: i.record_id})
    differs = replace(later, parameters={**later.parameters, of: i.record_id})
    orphan = replace(i, record_id=i.record_id + "o", parameters={**i.parameters, of: "gone"})
    could_not = {"could_not_rerun": [{"original": "o1", "reason": "input x changed"}]}
    check = replace(i, record_id=i.record_id + "c", gate=protocol.REPRODUCIBILITY_CHECK,
                    small_outputs={protocol.OUTPUT_REPRODUCIBILITY: could_not})  # fmt: skip
    entries = [e for e in index.entries if e.record_id != later.record_id] + [agrees, differs, orphan, check]
    found = compute_kpis(
        EvidenceIndex(entries=entries), start=NOV[0], end=NOV[1], policy=m.policy, store=m.store, now=NOW
    )
    rerun = {k.id: k for k in found}["reproducibility_rerun"]
    assert (rerun.numerator, rerun.denominator) == (1, 3)
    assert rerun.details["different"] == [f"{i.record_id} vs {later.record_id}: drift.dataset.psi: pass -> fail"]
    assert rerun.details["could_not_rerun"] == [f"o1: input x changed (check {check.record_id})"]
    assert rerun.details["originals_missing"] == [f"{orphan.record_id}: re-run of gone, which is not in the index"]
    assert orphan.record_id not in {e.record_id for e in rerun_sample(EvidenceIndex(entries=entries), 20, seed=1)}
