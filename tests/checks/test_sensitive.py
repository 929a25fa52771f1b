"""Sensitive attributes: declared ones verified, undeclared ones found by name (English and Vietnamese)
and by values, on a synthetic frame and on the real German credit file."""

from __future__ import annotations

import json

import pandas as pd
import pytest

import govgate.checks.sensitive as sensitive
from govgate.checks.sensitive import (
    SENSITIVE_CLASSES,
    SPECIAL_CATEGORIES,
    classify_name,
    classify_values,
    normalise,
    sensitive_attribute_checks,
)
from govgate.errors import InputError
from govgate.record import Outcome, Severity


def _by_id(checks):
    return {c.id: c for c in checks}


@pytest.fixture
def synthetic() -> pd.DataFrame:
    n = 40
    return pd.DataFrame(
        {
            "customer_id": range(n),
            "Gender": ["female", "male"] * (n // 2),
            "Ngày sinh": ["1990-01-01"] * n,
            "dan_toc": ["Kinh", "Tày"] * (n // 2),
            "tonGiao": ["Phật giáo", "Không"] * (n // 2),
            "col_7": ["Nam", "Nữ", "nam", "NỮ"] * (n // 4),  # says nothing by name: caught by its values
            "pay_ref": ["4111 1111 1111 1111", "5500-0000-0000-0004", "4012888888881881", "6011111111111117"]
            * (n // 4),
            "page_views": range(n),
            "usage": ["low", "high"] * (n // 2),
            "email_address": ["a@example.vn"] * n,
            "so_luong": range(n),
            "Thu nhập": [1000.0] * n,
        }
    )


def test_normalise_unifies_case_accents_and_separators():
    assert normalise("Ngày sinh") == "ngay_sinh"
    assert normalise("ĐỊA CHỈ") == "dia_chi"
    assert normalise("dateOfBirth") == "date_of_birth"
    assert normalise("Date-of.Birth ") == "date_of_birth"
    assert normalise("reviewerID") == "reviewer_id"


@pytest.mark.parametrize(
    ("name", "cls"),
    [
        ("gioi_tinh", "sex_gender"),
        ("GioiTinh", "sex_gender"),
        ("customerGender", "sex_gender"),
        ("SEX", "sex_gender"),
        ("ngaysinh", "age_birth"),
        ("DOB", "age_birth"),
        ("date_of_birth", "age_birth"),
        ("tuoi", "age_birth"),
        ("Dân tộc", "race_ethnicity"),
        ("ethnicity", "race_ethnicity"),
        ("ton_giao", "religion"),
        ("suc_khoe", "health_disability"),
        ("disability_status", "health_disability"),
        ("dia_chi", "location"),
        ("postcode", "location"),
        ("home_address", "location"),
        ("thu_nhap", "financial"),
        ("tai_khoan", "financial"),
        ("so_the", "financial"),
        ("monthly_income", "financial"),
        ("bank_account", "financial"),
        ("salary", "financial"),
        ("sexual_orientation", "sexual_orientation"),
        ("political_party", "political_opinion"),
        ("trade_union_member", "trade_union"),
        ("fingerprint_hash", "biometric_genetic"),
        ("van_tay", "biometric_genetic"),
        ("criminal_record", "criminal_record"),
        ("tien_an", "criminal_record"),
        ("quoc_tich", "national_origin"),
    ],
)
def test_names_are_classified(name, cls):
    assert cls in classify_name(name)


@pytest.mark.parametrize(
    "name",
    [
        "page",
        "usage",
        "stage",
        "percentage",
        "so_luong",
        "email_address",
        "ip_address",
        "allocation",
        "thuoc_tinh",
        "trace",
        "reviewerName",
        "customer_id",
        "status",
    ],
)
def test_lookalike_names_are_not_flagged(name):
    assert classify_name(name) == {}


def test_values_are_classified_without_quoting_them():
    assert "sex_gender" in classify_values(["male", "female", "Female", "M", "f"] * 2)
    assert "sex_gender" in classify_values(["Nam", "Nữ"] * 5)
    assert "race_ethnicity" in classify_values(["White", "Black", "Asian-Pac-Islander", "Other"] * 3)
    assert "marital_family" in classify_values(["Married-civ-spouse", "Never-married", "Divorced"] * 3)
    assert "financial" in classify_values(
        ["4111 1111 1111 1111", "5500-0000-0000-0004", "4012888888881881", "6011111111111117", "378282246310005"]
    )
    reason = classify_values(["male", "female"] * 5)["sex_gender"]
    assert "male" not in reason and "10 of 10" in reason
    assert classify_values(["m"] * 10) == {}  # one value is not a sex column
    assert classify_values(["male", "female"]) == {}  # too few values to judge
    assert classify_values(["A91", "A92", "A93"] * 5) == {}  # codes say nothing by themselves


def test_synthetic_frame(synthetic):
    checks, findings = sensitive_attribute_checks(
        list(synthetic.columns), synthetic, ["Gender", "ngay_sinh", "religion_declared"]
    )
    by = _by_id(checks)
    assert by["data.sensitive.declared.Gender"].outcome == Outcome.PASS
    assert by["data.sensitive.declared.ngay_sinh"].outcome == Outcome.PASS  # matched 'Ngày sinh' by normalised name
    missing = by["data.sensitive.declared.religion_declared"]
    assert missing.outcome == Outcome.FAIL and "religion_declared" in missing.message
    undeclared = {c.details["column"]: c for c in checks if c.id.startswith("data.sensitive.undeclared.")}
    assert set(undeclared) == {"dan_toc", "tonGiao", "col_7", "pay_ref", "Thu nhập"}
    assert all(c.outcome == Outcome.WARN and c.evidence_kind == "data_review" for c in undeclared.values())
    assert "sex/gender" in undeclared["col_7"].message and "sampled values" in undeclared["col_7"].message
    assert "race/ethnicity" in undeclared["dan_toc"].message and "dan_toc" in undeclared["dan_toc"].message
    assert "financial" in undeclared["pay_ref"].details["classes"]
    severity = {f.location["column"]: f.severity for f in findings if f.id.startswith("sensitive.undeclared.")}
    assert severity["dan_toc"] == severity["tonGiao"] == Severity.HIGH  # special categories
    assert severity["Thu nhập"] == severity["col_7"] == Severity.MEDIUM
    scan = by["data.sensitive.scan"]
    assert scan.outcome == Outcome.WARN and set(scan.details["undeclared"]) == set(undeclared)
    assert {"race_ethnicity", "religion"} <= set(scan.details["special_categories"])
    evidence = json.dumps(
        [c.model_dump(mode="json") for c in checks] + [f.model_dump(mode="json") for f in findings], ensure_ascii=False
    )
    for raw in ["4111", "Phật giáo", "Kinh", "1990-01-01", "Nữ"]:
        assert raw not in evidence, raw

    failing, _ = sensitive_attribute_checks(list(synthetic.columns), synthetic, [], undeclared_outcome="fail")
    assert _by_id(failing)["data.sensitive.undeclared.dan_toc"].outcome == Outcome.FAIL
    assert _by_id(failing)["data.sensitive.undeclared.Gender"].outcome == Outcome.FAIL


def test_all_declared_is_a_clean_pass():
    frame = pd.DataFrame({"sex": ["male", "female"] * 5, "x": range(10)})
    checks, findings = sensitive_attribute_checks(list(frame.columns), frame, ["sex"])
    assert [c.outcome for c in checks] == [Outcome.PASS, Outcome.PASS] and not findings
    assert _by_id(checks)["data.sensitive.scan"].details["classes"] == {"sex_gender": ["sex"]}


def test_classes_are_adaptable(monkeypatch):
    assert classify_name("hometown_code") == {}
    monkeypatch.setitem(SENSITIVE_CLASSES, "national_origin", (*SENSITIVE_CLASSES["national_origin"], "hometown"))
    assert classify_name("hometown_code") == {"national_origin": "hometown"}
    assert SPECIAL_CATEGORIES <= set(sensitive.CLASS_LABELS) and set(SENSITIVE_CLASSES) == set(sensitive.CLASS_LABELS)


def test_bad_undeclared_outcome_is_an_input_error():
    with pytest.raises(InputError, match="'warn' or 'fail'"):
        sensitive_attribute_checks(["a"], pd.DataFrame({"a": [1]}), [], undeclared_outcome="ignore")


def test_german_credit(shared_data):
    df = pd.read_csv(shared_data / "german_credit" / "german.csv")
    sample = df.head(500)
    checks, findings = sensitive_attribute_checks(list(df.columns), sample, [])
    flagged = {
        c.details["column"]: c.details["classes"] for c in checks if c.id.startswith("data.sensitive.undeclared.")
    }
    assert "age_birth" in flagged["age"]
    assert "sex_gender" in flagged["personal_status"] and "marital_family" in flagged["personal_status"]
    assert "national_origin" in flagged["foreign_worker"]
    for column in ("credit_amount", "savings", "credit_history"):
        assert "financial" in flagged[column], column
    assert {"status", "month", "purpose", "housing", "telephone", "residence_since"}.isdisjoint(flagged)
    assert {f.location["column"] for f in findings} == set(flagged)

    checks, findings = sensitive_attribute_checks(list(df.columns), sample, ["age", "personal_status"])
    by = _by_id(checks)
    assert by["data.sensitive.declared.age"].outcome == Outcome.PASS
    assert by["data.sensitive.declared.personal_status"].outcome == Outcome.PASS
    assert "sex/gender" in by["data.sensitive.declared.personal_status"].message
    assert "data.sensitive.undeclared.age" not in by and "data.sensitive.undeclared.personal_status" not in by
    assert by["data.sensitive.undeclared.foreign_worker"].outcome == Outcome.WARN
    assert by["data.sensitive.scan"].outcome == Outcome.WARN
    assert sorted(by["data.sensitive.scan"].details["declared"]) == ["age", "personal_status"]


def test_single_letter_codes_are_sex_only_where_the_column_name_says_so():
    """COMPAS' c_charge_degree holds F/M (felony/misdemeanour): not sex; a column named sex with F/M is;
    full words (male/female) still point to sex whatever the column's name."""
    rng = __import__("random").Random(3)
    letters = [rng.choice("FM") for _ in range(200)]
    sample = pd.DataFrame(
        {"c_charge_degree": letters, "grade": letters, "sex": letters, "applicant": ["male", "female"] * 100}
    )
    checks, _ = sensitive_attribute_checks(list(sample.columns), sample, [])
    flagged = {
        c.details["column"]: c.details["classes"] for c in checks if c.id.startswith("data.sensitive.undeclared.")
    }
    assert "c_charge_degree" not in flagged and "grade" not in flagged
    assert "sex_gender" in flagged["sex"] and "sex_gender" in flagged["applicant"]
