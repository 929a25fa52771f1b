"""Bad submissions and checklists: one error naming the file and the key, never a traceback."""

from __future__ import annotations

from datetime import date

import pytest

from govgate.errors import InputError, PolicyError
from govgate.thirdparty import load_checklist, load_submission
from govgate.thirdparty.checklist import PACKAGED_CHECKLIST, REPO_CHECKLIST
from tests.core.thirdparty import vendor


def _load(path):
    return load_submission(path, load_checklist())


def _error(tmp_path, data) -> str:
    path = vendor.write(tmp_path, data)
    with pytest.raises(InputError) as err:
        _load(path)
    message = str(err.value)
    assert message.startswith(str(path)), message
    return message


def test_unknown_top_level_key(tmp_path):
    assert "owner_phone: unknown key" in _error(tmp_path, vendor.submission(owner_phone="x"))


def test_unknown_key_inside_an_item(tmp_path):
    data = vendor.submission()
    data["items"]["model_card"]["expiry"] = date(2027, 1, 1)
    assert "items.model_card.expiry: unknown key" in _error(tmp_path, data)


def test_an_item_the_checklist_does_not_have(tmp_path):
    data = vendor.submission()
    data["items"]["pen_test"] = {"evidence": ["docs/tech-doc.txt"], "issued": date(2026, 1, 1)}
    assert "items.pen_test: not an item of checklist govgate-third-party-checklist" in _error(tmp_path, data)


def test_a_listed_evidence_file_that_does_not_exist(tmp_path):
    path = vendor.write(tmp_path)
    (tmp_path / "contracts" / "sla.txt").unlink()
    with pytest.raises(
        InputError, match=r"items\.incident_contacts_sla\.evidence\[0\]: file contracts/sla\.txt does not exist"
    ):
        _load(path)


def test_expiry_before_issue(tmp_path):
    data = vendor.submission()
    data["items"]["data_processing_terms"]["expires"] = date(2026, 5, 1)
    assert "items.data_processing_terms: expires 2026-05-01 is before issued 2026-06-01" in _error(tmp_path, data)


def test_a_date_that_is_not_a_date(tmp_path):
    data = vendor.submission()
    data["items"]["model_card"]["issued"] = "last spring"
    assert "items.model_card.issued: Input should be a valid date" in _error(tmp_path, data)


def test_an_impossible_calendar_date_names_its_key_and_line(tmp_path):
    path = vendor.write(tmp_path)
    path.write_text(path.read_text().replace("expires: 2027-06-01", "expires: 2027-02-30", 1))
    with pytest.raises(InputError) as err:
        _load(path)
    assert str(err.value).startswith(f"{path}: not valid YAML at line ")
    assert "'2027-02-30' is not a valid date or time (day is out of range for month)" in str(err.value)


def test_a_duplicate_item(tmp_path):
    path = vendor.write(tmp_path)
    text = path.read_text()
    path.write_text(text.replace("  model_card:\n", "  documentation:\n", 1))
    with pytest.raises(InputError, match=r"found duplicate key 'documentation'") as err:
        _load(path)
    assert str(err.value).startswith(str(path)) and "line" in str(err.value)


def test_answers_of_the_wrong_type_or_unknown(tmp_path):
    data = vendor.submission()
    data["items"]["incident_contacts_sla"]["answers"]["notification_hours"] = "a day"
    data["items"]["transfer_impact_assessment_vn"]["answers"]["filed_by"] = "someone"
    message = _error(tmp_path, data)
    assert "items.incident_contacts_sla.answers.notification_hours: expected a integer" in message
    assert "items.transfer_impact_assessment_vn.answers.filed_by: unknown key" in message


def test_a_required_answer_missing_and_a_contact_without_a_channel(tmp_path):
    data = vendor.submission()
    del data["items"]["transfer_impact_assessment_vn"]["answers"]["first_transfer"]
    data["items"]["incident_contacts_sla"]["answers"]["contacts"] = [{"role": "security", "name": "X"}]
    message = _error(tmp_path, data)
    assert "items.transfer_impact_assessment_vn.answers.first_transfer: required key is missing" in message
    assert "items.incident_contacts_sla.answers.contacts[0]: give an email or a phone" in message


def test_bad_country_codes(tmp_path):
    message = _error(tmp_path / "a", vendor.submission(data_locations=[{"country": "Singapore"}]))
    assert "data_locations.0.country: 'Singapore' is not an ISO 3166 alpha-2 country code" in message
    data = vendor.submission()
    data["items"]["sub_processors"]["answers"]["sub_processors"] = [{"name": "X", "country": "usa"}]
    message = _error(tmp_path / "b", data)
    assert "items.sub_processors.answers.sub_processors[0].country: 'usa' is not" in message


def test_personal_data_without_data_subjects(tmp_path):
    assert "data_subjects: personal_data is true" in _error(tmp_path, vendor.submission(data_subjects=[]))


def test_a_submission_that_is_not_there_or_not_a_mapping(tmp_path):
    with pytest.raises(InputError, match="third-party submission .*nope.yaml does not exist"):
        _load(tmp_path / "nope.yaml")
    (tmp_path / "list.yaml").write_text("- a\n- b\n")
    with pytest.raises(
        InputError, match=r"list.yaml: expected a mapping with keys id, vendor, service, items; got list"
    ):
        _load(tmp_path / "list.yaml")


def test_a_checklist_citing_a_control_the_catalog_does_not_have(tmp_path):
    text = REPO_CHECKLIST.read_text().replace('"eu-ai-act:Art. 27"', '"eu-ai-act:Art. 27(9)"')
    bad = tmp_path / "checklist.yaml"
    bad.write_text(text)
    with pytest.raises(
        PolicyError,
        match=r"items.fundamental_rights_assessment.controls: \['eu-ai-act:Art. 27\(9\)'\] are not control ids",
    ):
        load_checklist(bad)


def test_the_packaged_checklist_is_the_policy_file():
    assert PACKAGED_CHECKLIST.read_bytes() == REPO_CHECKLIST.read_bytes()


def test_the_template_reads_back_against_the_checklist(tmp_path):
    """The template names only items and answers the checklist has: filled with files, it loads."""
    import yaml

    from govgate.thirdparty import template

    text = template(load_checklist())
    data = yaml.safe_load(text)
    for item in data["items"].values():
        for rel in item["evidence"]:
            (tmp_path / rel).parent.mkdir(parents=True, exist_ok=True)
            (tmp_path / rel).write_text("x")
    (tmp_path / "t.yaml").write_text(text)
    sub = _load(tmp_path / "t.yaml")
    assert set(sub.items) == set(load_checklist().items)


def test_a_choice_outside_its_list(tmp_path):
    data = vendor.submission(data_subjects=["EU"])
    data["items"]["transfer_terms_eu"] = {
        "evidence": ["docs/tech-doc.txt"],
        "issued": date(2026, 6, 1),
        "answers": {"mechanism": "handshake"},
    }
    message = _error(tmp_path, data)
    assert (
        "items.transfer_terms_eu.answers.mechanism: expected one of ['adequacy', 'scc', 'bcr', 'derogation']" in message
    )


def test_an_evidence_path_out_of_the_submission_folder(tmp_path):
    outside = tmp_path / "secret.txt"
    outside.write_text("not evidence")
    data = vendor.submission()
    data["items"]["model_card"]["evidence"] = ["../secret.txt", str(outside)]
    message = _error(tmp_path / "acme", data)
    assert "items.model_card.evidence[0]: ../secret.txt is outside the submission's folder" in message
    assert f"items.model_card.evidence[1]: {outside} is outside the submission's folder" in message


def test_every_item_cites_its_own_controls():
    """No item falls back to every control of the third_party_review evidence kind (which would cite
    Vietnam's transfer rules for, say, a model card): each names the controls it evidences."""
    checklist = load_checklist()
    assert [name for name, item in checklist.items.items() if not item.controls] == []
