"""Control coverage from records alone, over the store in known states (conftest.py's timeline)."""

from __future__ import annotations

from collections import Counter
from datetime import UTC, date, datetime

import pytest

from govgate.audit import catalog
from govgate.audit.coverage import (
    NO_PIPELINE_EVIDENCE,
    compute_coverage,
    package_signature_check,
    record_kinds,
)
from govgate.audit.kpis import load_incidents
from govgate.audit.types import COVERED, NOT_APPLICABLE, NOT_COVERED, PARTIAL
from govgate.errors import InputError
from govgate.evidence_index import CheckBrief, scan_records
from tests.core.audit.conftest import INVENTORY, NOW, ON


def _cov(made, asset=None, on=ON, **kw):
    index = kw.pop("index", None) or made.index()
    return {c.ref: c for c in compute_coverage(index, on=on, policy=made.policy, asset=asset, **kw)}


def test_statuses_for_one_model_from_its_records(audit_store):
    m = audit_store
    cov = _cov(m, "credit", inventory=INVENTORY)
    a624 = cov["iso-iec-42001-2023:A.6.2.4"]  # model_review, robustness_eval, fairness_eval
    assert (a624.status, a624.served_kinds, a624.asset_id) == (
        COVERED,
        ["model_review", "robustness_eval", "fairness_eval"],
        "credit",
    )
    # the newest verified record serving each kind: the last reassessment (performance, fairness) and the launch
    assert {r.evidence_kind: r.record_id for r in a624.evidence} == {
        "model_review": m.rid("Q"),
        "fairness_eval": m.rid("Q"),
        "robustness_eval": m.rid("F"),
    }
    assert cov["vn-ai-law-134-2025:Art. 13"].status == COVERED  # evidence_package, signoff: the launch F
    a103 = cov["iso-iec-42001-2023:A.10.3"]  # third_party_review: the vendor review is not about this model
    assert (a103.status, a103.missing_kinds, a103.reason) == (
        NOT_COVERED,
        ["third_party_review"],
        "third_party_review: no current verified record",
    )
    assert _cov(m)["iso-iec-42001-2023:A.10.3"].status == COVERED  # ... but the organisation has one (H)


def test_an_expired_record_is_named_and_does_not_cover(audit_store):
    m = audit_store
    cov = _cov(m, "credit")
    art25 = cov["vn-pdpl-91-2025:Art. 25"]  # retention_purge only: the purge of Oct 1 is valid 35 days
    assert (art25.status, art25.expired_kinds, art25.served_kinds) == (NOT_COVERED, ["retention_purge"], [])
    (ref,) = art25.evidence
    assert (ref.record_id, ref.expires, ref.fresh, ref.verified) == (m.rid("A"), date(2026, 11, 5), False, True)
    assert (
        f"retention_purge: EXPIRED, newest record {m.rid('A')} decided 2026-10-01, valid to 2026-11-05" in art25.reason
    )
    mixed = cov["vn-pdpl-91-2025:Art. 3(2)-(3)"]  # data_review served, retention_purge expired
    assert (mixed.status, mixed.served_kinds, mixed.expired_kinds) == (PARTIAL, ["data_review"], ["retention_purge"])
    # on a date the purge was still current, the same records cover it
    assert _cov(m, "credit", on=date(2026, 11, 5))["vn-pdpl-91-2025:Art. 25"].status == COVERED


def test_a_record_that_no_longer_verifies_counts_as_no_evidence_and_is_named(audit_store):
    m = audit_store
    a74 = _cov(m, "loans")["iso-iec-42001-2023:A.7.4"]  # data_quality, data_review
    assert (a74.status, a74.served_kinds, a74.missing_kinds) == (PARTIAL, ["data_review"], ["data_quality"])
    bad = [r for r in a74.evidence if not r.verified]
    assert [(r.record_id, r.evidence_kind) for r in bad] == [(m.rid("N"), "data_quality")]
    assert bad[0].problems == ["record.json: changed after publishing (sha256 differs from its manifest)"]
    assert (
        f"data_quality: 1 record(s) no longer verify and count as no evidence: {m.rid('N')} (record.json" in a74.reason
    )


def test_a_launch_package_whose_files_changed_is_no_evidence_when_packages_are_verified(audit_store):
    m = audit_store
    check = package_signature_check(m.settings, m.store)
    assert check(m.packages["K"].folder_uri) == []  # the intact package verifies with the trusted key
    credit = _cov(m, "credit", package_check=check)["vn-ai-law-134-2025:Art. 13"]
    assert (credit.status, credit.missing_kinds) == (NOT_COVERED, ["evidence_package", "signoff"])
    assert "model_card.md: content changed" in credit.reason and m.rid("F") in credit.reason
    scoring = _cov(m, "scoring", package_check=check)["vn-ai-law-134-2025:Art. 13"]
    assert scoring.status == COVERED and {r.record_id for r in scoring.evidence} == {m.rid("K")}


def test_not_applicable_only_with_a_checkable_reason(audit_store):
    m = audit_store
    cov = _cov(m, "credit")
    art9 = cov["eu-ai-act:Art. 9"]
    assert art9.status == NOT_APPLICABLE
    assert art9.reason == (
        "not in force on 2026-12-07: applies from 2027-12-02 (catalog: '2027-12-02 (Annex III) / 2028-08-02 (Annex I)')"
    )
    assert art9.applies_from == "2027-12-02 (Annex III) / 2028-08-02 (Annex I)"
    old = cov["vn-decree-13-2023:Art. 23"]
    assert (old.status, old.reason) == (
        NOT_APPLICABLE,
        "vn-decree-13-2023 is repealed/historical on 2026-12-07: in force 2023-07-01..2025-12-31; repealed from 2026-01-01",
    )
    loans = _cov(m, "loans")["iso-iec-42001-2023:A.6.2.4"]
    assert (loans.status, loans.reason) == (
        NOT_APPLICABLE,
        "asset loans is a dataset; the control's evidence (model_review, robustness_eval, fairness_eval) is about a model",
    )
    # in 2025 Decree 13 was in force and the PDPL was not
    earlier = _cov(m, "credit", on=date(2025, 6, 1))
    assert earlier["vn-decree-13-2023:Art. 23"].status == NOT_COVERED
    assert (
        earlier["vn-pdpl-91-2025:Art. 23"].reason
        == "vn-pdpl-91-2025 is not in force on 2025-06-01: in force from 2026-01-01"
    )
    # a control whose effective date has passed applies (Art. 4a from 2026-07-27)
    assert cov["eu-ai-act:Art. 4a"].status != NOT_APPLICABLE


def test_a_control_without_pipeline_evidence_is_never_covered(audit_store):
    cov = _cov(audit_store)
    art4 = cov["eu-ai-act:Art. 4"]
    assert (art4.status, art4.reason, art4.evidence_kinds) == (NOT_COVERED, NO_PIPELINE_EVIDENCE, [])
    unmapped = [c for c in cov.values() if not c.evidence_kinds]
    assert unmapped and all(c.status in (NOT_COVERED, NOT_APPLICABLE) for c in unmapped)
    assert all(c.status != COVERED or c.served_kinds == c.evidence_kinds for c in cov.values())


def test_a_category_is_served_by_the_union_of_its_subcategories(audit_store):
    govern1 = _cov(audit_store)["nist-ai-rmf-1.0:GOVERN 1"]
    subs = [c for c in catalog.controls(["nist-ai-rmf-1.0"]) if c.ref.startswith("nist-ai-rmf-1.0:GOVERN 1.")]
    union = list(dict.fromkeys(k for c in subs for k in c.own_kinds))
    assert govern1.evidence_kinds == union and "policy" in union
    assert govern1.status == PARTIAL  # policy, risk assessment, ... served; audit_log is not


def test_incidents_serve_incident_record(audit_store):
    m = audit_store
    incidents, problems = load_incidents(m.store, NOW)
    assert problems and m.bad_incident in problems[0]  # the unreadable one is named, the others load
    with_incidents = _cov(m, "credit", incidents=incidents)["vn-pdpl-91-2025:Art. 23"]  # incident_record
    assert with_incidents.status == COVERED
    assert with_incidents.evidence[0].gate == "incident" and with_incidents.evidence[0].decided_at == datetime(
        2026, 11, 28, tzinfo=UTC
    )
    assert _cov(m, "credit")["vn-pdpl-91-2025:Art. 23"].status == NOT_COVERED


def test_record_kinds_rules(audit_store):
    by_id = {e.record_id: e for e in audit_store.index().entries}
    assert record_kinds(by_id[audit_store.rid("M")]) == {}  # an error record shows nothing
    assert set(record_kinds(by_id[audit_store.rid("C")])) == {
        "risk_assessment"
    }  # intake (pinning the policy is no policy evidence)
    assert set(record_kinds(by_id[audit_store.rid("H")])) == {"third_party_review"}
    k = by_id[audit_store.rid("K")]
    assert record_kinds(k)["signoff"] is False
    # a warned check serves its kind, flagged as a warning; a failed or inconclusive one does not
    warned = [
        CheckBrief("a", "warn", "datasheet"),
        CheckBrief("b", "fail", "pii_scan"),
        CheckBrief("c", "inconclusive", "data_quality"),
    ]
    from dataclasses import replace

    assert record_kinds(replace(k, gate="data-review", checks=tuple(warned), sign_offs=())) == {
        "datasheet": True,
    }


def test_every_control_of_every_framework_has_one_status(audit_store):
    cov = _cov(audit_store, "credit")
    assert len(cov) == len(catalog.controls())
    counts = Counter(c.status for c in cov.values())
    assert set(counts) == {COVERED, PARTIAL, NOT_COVERED, NOT_APPLICABLE}
    assert all(c.reason for c in cov.values())


def test_bad_input_is_named(audit_store):
    m = audit_store
    index = m.index()
    with pytest.raises(InputError, match=r"unknown framework\(s\) \['iso-27001'\]; the catalog has \[.*'eu-ai-act'"):
        compute_coverage(index, on=ON, policy=m.policy, frameworks=["eu-ai-act", "iso-27001"])
    with pytest.raises(InputError, match=r"unknown asset 'fraud': .* known: .*credit.*loans"):
        compute_coverage(index, on=ON, policy=m.policy, asset="fraud")
    by_inventory_id = compute_coverage(index, on=ON, policy=m.policy, asset="model:credit/1", frameworks=["eu-ai-act"])
    assert {c.framework for c in by_inventory_id} == {"eu-ai-act"}
    assert {c.ref: c.status for c in by_inventory_id} == {
        c.ref: c.status
        for c in compute_coverage(index, on=ON, policy=m.policy, asset="credit", frameworks=["eu-ai-act"])
    }


def test_a_corrupt_record_is_named_and_the_rest_still_computed(audit_store):
    m = audit_store
    index = m.index()
    assert [u.prefix for u in index.unreadable] == [m.corrupt_prefix]
    assert _cov(m, "loans", index=index)["iso-iec-42001-2023:A.7.4"].served_kinds == ["data_review"]


def test_a_period_with_no_records(audit_store):
    m = audit_store
    empty = scan_records(m.store, since=datetime(2025, 1, 1, tzinfo=UTC), until=datetime(2025, 2, 1, tzinfo=UTC))
    assert empty.entries == [] and empty.unreadable == []
    cov = compute_coverage(empty, on=ON, policy=m.policy)
    assert {c.status for c in cov} == {NOT_COVERED, NOT_APPLICABLE}
