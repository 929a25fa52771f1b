"""The third-party review core: which items apply, and exact findings for missing, expired,
soon-to-expire items and a transfer out of Vietnam without its assessment."""

from __future__ import annotations

import json
from datetime import date

from govgate.protocol import OUTPUT_THIRD_PARTY_ITEMS, OUTPUT_THIRD_PARTY_VENDOR
from govgate.record import decide
from govgate.thirdparty import load_checklist, load_submission, review
from tests.core.thirdparty import vendor

KEY = b"a-test-pseudonym-salt-of-32-bytes"


def _review(tmp_path, data=None, tier=None, as_of=vendor.AS_OF):
    checklist = load_checklist()
    sub = load_submission(vendor.write(tmp_path, data), checklist)
    return review(sub, checklist, tier or sub.tier, as_of, KEY)


def _outcomes(result) -> dict[str, str]:
    return {c.id: c.outcome.value for c in result.checks}


def _statuses(result) -> dict[str, str]:
    return {i["item"]: i["status"] for i in result.outputs[OUTPUT_THIRD_PARTY_ITEMS]}


def test_a_complete_submission_passes_with_every_file_hashed(tmp_path):
    result = _review(tmp_path)
    assert decide(result.checks).outcome.value == "pass", [c for c in result.checks if c.outcome.value != "pass"]
    assert result.findings == []
    statuses = _statuses(result)
    assert statuses.pop("transfer_terms_eu") == "not-required"  # no EU data subjects
    assert statuses.pop("provider_documentation") == "not-required"  # we are the deployer
    assert set(statuses.values()) == {"ok"}
    assert _outcomes(result)["third_party.transfer_terms_eu.evidence"] == "skipped"
    assert _outcomes(result)["third_party.transfer_impact_assessment_vn.deadline"] == "pass"
    deadline = next(c for c in result.checks if c.id == "third_party.transfer_impact_assessment_vn.deadline")
    assert deadline.metrics[0].value == 40 and deadline.threshold.value == 60
    assert "vn-pdpl-91-2025:Art. 20" in deadline.controls
    assert len(result.files) == 12  # every listed file, the two evaluation files included
    evaluation = next(i for i in result.outputs[OUTPUT_THIRD_PARTY_ITEMS] if i["item"] == "evaluation_evidence")
    assert len(evaluation["files"]) == 2 and len(evaluation["sha256"]) == 64
    assert evaluation["expires"] == "2027-06-01"
    facts = result.outputs[OUTPUT_THIRD_PARTY_VENDOR]["facts"]
    assert facts == {
        "personal_data": True,
        "transfer_from_vn": True,
        "transfer_from_eu": False,
        "deployer": True,
        "provider": False,
    }


def test_a_missing_item_is_a_failing_check_and_a_high_finding(tmp_path):
    data = vendor.submission()
    del data["items"]["model_card"]
    result = _review(tmp_path, data)
    assert _outcomes(result)["third_party.model_card.evidence"] == "fail"
    assert [(f.id, f.severity.value, f.location) for f in result.findings] == [
        (
            "third_party.model_card.evidence.finding",
            "high",
            {"file": str(tmp_path / "acme.yaml"), "key": "items.model_card"},
        )
    ]
    assert result.findings[0].message == "Model card (or system card) of the model behind the service: missing"
    assert _statuses(result)["model_card"] == "missing"
    assert decide(result.checks).outcome.value == "fail"


def test_a_missing_item_not_required_at_the_tier_is_no_finding(tmp_path):
    data = vendor.submission(tier="low")
    del data["items"]["model_card"]  # required at medium and high only
    result = _review(tmp_path, data)
    assert _outcomes(result)["third_party.model_card.evidence"] == "skipped"
    assert result.findings == [] and _statuses(result)["model_card"] == "not-required"


def test_an_expired_item_fails(tmp_path):
    data = vendor.submission()
    data["items"]["data_processing_terms"]["issued"] = date(2025, 1, 1)
    data["items"]["data_processing_terms"]["expires"] = date(2026, 11, 30)
    result = _review(tmp_path, data)
    check = next(c for c in result.checks if c.id == "third_party.data_processing_terms.current")
    assert check.outcome.value == "fail" and check.metrics[0].value == -7
    assert check.message == "expired on 2026-11-30 (7 days ago)"
    assert [(f.id, f.severity.value, f.location["key"]) for f in result.findings] == [
        ("third_party.data_processing_terms.current.finding", "high", "items.data_processing_terms.expires")
    ]
    assert _statuses(result)["data_processing_terms"] == "expired"
    assert decide(result.checks).outcome.value == "fail"


def test_an_item_expiring_within_the_notice_period_warns(tmp_path):
    data = vendor.submission()
    data["items"]["incident_contacts_sla"]["expires"] = date(2027, 1, 20)  # 44 days: inside high's 60
    result = _review(tmp_path, data)
    outcomes = _outcomes(result)
    assert outcomes["third_party.incident_contacts_sla.current"] == "pass"
    assert outcomes["third_party.incident_contacts_sla.renewal"] == "warn"
    (finding,) = result.findings
    assert finding.severity.value == "low" and finding.check_id == "third_party.incident_contacts_sla.renewal"
    assert "expires on 2027-01-20, within the 60-day notice period" in finding.message
    assert _statuses(result)["incident_contacts_sla"] == "expiring"
    decision = decide(result.checks)
    assert decision.outcome.value == "pass" and any("renewal" in r for r in decision.reasons)
    # the same date is outside the medium tier's 30-day notice: no warning there
    assert _statuses(_review(tmp_path / "medium", data, tier="medium"))["incident_contacts_sla"] == "ok"


def test_a_transfer_out_of_vietnam_without_its_assessment(tmp_path):
    data = vendor.submission()
    del data["items"]["transfer_impact_assessment_vn"]
    result = _review(tmp_path, data)
    assert _outcomes(result)["third_party.transfer_impact_assessment_vn.evidence"] == "fail"
    (finding,) = result.findings
    assert finding.id == "third_party.transfer_impact_assessment_vn.evidence.finding"
    assert finding.severity.value == "high"
    assert "within 60 days" in finding.remediation and "Decree 356/2025/ND-CP" in finding.remediation
    check = next(c for c in result.checks if c.id == finding.check_id)
    assert check.controls == ["vn-pdpl-91-2025:Art. 20", "vn-pdpl-91-2025:Art. 22", "vn-decree-356-2025:Arts. 17-19"]


def test_data_kept_in_vietnam_needs_no_transfer_assessment(tmp_path):
    data = vendor.submission(data_locations=[{"country": "VN", "purpose": "inference"}])
    del data["items"]["transfer_impact_assessment_vn"]
    data["items"]["sub_processors"]["answers"]["sub_processors"] = [{"name": "Viet Cloud JSC", "country": "VN"}]
    result = _review(tmp_path, data)
    assert _statuses(result)["transfer_impact_assessment_vn"] == "not-required"
    assert result.findings == []


def test_a_sub_processor_abroad_is_a_transfer_too(tmp_path):
    data = vendor.submission(data_locations=[{"country": "VN"}])
    del data["items"]["transfer_impact_assessment_vn"]  # the SG sub-processor still takes the data abroad
    result = _review(tmp_path, data)
    assert _statuses(result)["transfer_impact_assessment_vn"] == "missing"


def test_a_dossier_filed_late_and_one_not_filed_in_time(tmp_path):
    data = vendor.submission()
    answers = data["items"]["transfer_impact_assessment_vn"]["answers"]
    answers["dossier_filed"] = date(2026, 8, 20)  # 71 days after the first transfer
    late = _review(tmp_path / "late", data)
    check = next(c for c in late.checks if c.id == "third_party.transfer_impact_assessment_vn.deadline")
    assert check.outcome.value == "fail" and check.metrics[0].value == 71
    del answers["dossier_filed"]
    answers["first_transfer"] = date(2026, 11, 1)  # 36 days ago, not filed: still in time
    pending = _review(tmp_path / "pending", data)
    check = next(c for c in pending.checks if c.id == "third_party.transfer_impact_assessment_vn.deadline")
    assert check.outcome.value == "pass" and "due by 2026-12-31" in check.message


def test_answer_limits_by_tier(tmp_path):
    data = vendor.submission()
    data["items"]["incident_contacts_sla"]["answers"]["notification_hours"] = 48
    data["items"]["deployer_duties"]["answers"]["log_retention_days"] = 90
    high = _outcomes(_review(tmp_path / "high", data))
    assert high["third_party.incident_contacts_sla.notification_hours"] == "fail"  # high: <= 24 h
    assert high["third_party.deployer_duties.log_retention_days"] == "fail"  # Art. 26(6): >= 183 days
    medium = _outcomes(_review(tmp_path / "medium", data, tier="medium"))
    assert medium["third_party.incident_contacts_sla.notification_hours"] == "pass"  # medium: <= 48 h


def test_a_required_expiry_left_out_is_inconclusive(tmp_path):
    data = vendor.submission()
    del data["items"]["evaluation_evidence"]["expires"]
    result = _review(tmp_path, data)
    assert _outcomes(result)["third_party.evaluation_evidence.current"] == "inconclusive"
    assert _statuses(result)["evaluation_evidence"] == "no-expiry-date"
    assert decide(result.checks).outcome.value == "needs-review"


def test_contacts_are_pseudonymised_and_free_text_is_not_recorded(tmp_path):
    result = _review(tmp_path)
    text = json.dumps(result.outputs, default=str)
    assert vendor.CONTACT_EMAIL not in text and vendor.CONTACT_NAME not in text
    (contact,) = result.outputs[OUTPUT_THIRD_PARTY_VENDOR]["contacts"]
    assert contact["role"] == "security" and contact["channels"] == ["email"]
    assert contact["ref"].startswith("hmac-sha256:")
    assert result.outputs[OUTPUT_THIRD_PARTY_VENDOR]["answers"]["incident_contacts_sla"] == {"notification_hours": 24}


def test_a_provider_needs_its_technical_documentation_not_the_deployer_duties(tmp_path):
    data = vendor.submission(ai_act_role="provider")
    result = _review(tmp_path, data)
    statuses = _statuses(result)
    assert statuses["deployer_duties"] == "not-required"
    assert statuses["fundamental_rights_assessment"] == "not-required"
    assert statuses["provider_documentation"] == "missing"
    check = next(c for c in result.checks if c.id == "third_party.provider_documentation.evidence")
    assert check.outcome.value == "fail" and "eu-ai-act:Art. 11" in check.controls
    skipped = next(c for c in result.checks if c.id == "third_party.deployer_duties.evidence")
    assert skipped.outcome.value == "skipped" and skipped.message == "not required: deployer does not hold"


def test_eu_personal_data_outside_the_eea_needs_transfer_terms(tmp_path):
    data = vendor.submission(data_subjects=["VN", "EU"])
    result = _review(tmp_path / "missing", data)
    assert _statuses(result)["transfer_terms_eu"] == "missing"
    assert [f.id for f in result.findings] == ["third_party.transfer_terms_eu.evidence.finding"]
    data["items"]["transfer_terms_eu"] = {
        "evidence": ["contracts/scc.txt"],
        "issued": date(2026, 6, 1),
        "answers": {"mechanism": "scc"},
    }
    given = _review(tmp_path / "given", data)
    assert _statuses(given)["transfer_terms_eu"] == "ok" and given.findings == []
    assert given.outputs[OUTPUT_THIRD_PARTY_VENDOR]["answers"]["transfer_terms_eu"] == {"mechanism": "scc"}
    # processed inside the EEA: no transfer, whatever the EU data subjects
    inside = vendor.submission(data_subjects=["EU"], data_locations=[{"country": "IE"}])
    inside["items"]["sub_processors"]["answers"]["sub_processors"] = [{"name": "Euro Cloud", "country": "DE"}]
    del inside["items"]["transfer_impact_assessment_vn"]
    assert _statuses(_review(tmp_path / "inside", inside))["transfer_terms_eu"] == "not-required"
