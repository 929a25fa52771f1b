"""Vietnamese recognizers (catalog vn_pii_identifiers), on their own and inside the real analyzer."""

from __future__ import annotations

import pytest

from govgate.checks.recognizers_vn import (
    CELL_BREAK,
    VnCccdRecognizer,
    VnCmndRecognizer,
    VnPhoneRecognizer,
    VnTaxCodeRecognizer,
    fold,
    tax_code_is_valid,
)


@pytest.fixture(scope="module")
def analyzer():
    from govgate.checks.pii import build_analyzer

    return build_analyzer(None)[0]


def found(analyzer, text: str, entity: str, context: list[str] | None = None) -> list[str]:
    """The texts of ``entity`` the analyzer reports (at its score threshold)."""
    return [
        text[r.start : r.end] for r in analyzer.analyze(text, language="en", context=context) if r.entity_type == entity
    ]


def spans(recognizer, text: str) -> list[tuple[str, float]]:
    return [(text[r.start : r.end], r.score) for r in recognizer.analyze(text, recognizer.supported_entities)]


# --- CCCD ------------------------------------------------------------------------------------------------


def test_cccd_strict_scores_higher_than_generic():
    rec = VnCccdRecognizer()
    strict = spans(rec, "CCCD 001099012345")  # Hà Nội (001), born 1999
    generic = spans(rec, "id 099199012345")  # 099 is no province code of the catalog
    assert strict == [("001099012345", pytest.approx(0.65))]
    assert generic == [("099199012345", pytest.approx(0.4))]


@pytest.mark.parametrize("text", ["123456789012", "00109901234", "0010990123456", "ref 001099012345678"])
def test_cccd_needs_exactly_12_digits_starting_with_0(text):
    assert spans(VnCccdRecognizer(), text) == []


def test_cccd_found_by_analyzer(analyzer):
    assert found(analyzer, "Số CCCD của tôi là 079203001234.", "VN_CCCD") == ["079203001234"]


# --- CMND: context-gated ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "text",
    [
        "Số CMND: 123456789",
        "chứng minh nhân dân số 123456789",
        "CMT 123456789",
        "chung minh thu 123456789",
        "Chứng Minh Thư cấp năm 2010, số 123456789",
    ],
)
def test_cmnd_with_context_word(text, analyzer):
    assert spans(VnCmndRecognizer(), text) == [("123456789", pytest.approx(0.6))]
    assert found(analyzer, text, "VN_CMND") == ["123456789"]


@pytest.mark.parametrize(
    "text",
    [
        "order 123456789 shipped",
        "123456789",
        "CMND expired long ago; unrelated text here, much later: 123456789",
        "CMND\n123456789",
        f"CMND{CELL_BREAK}123456789",
        "CMND 1234567890",
    ],
)
def test_cmnd_without_nearby_context_is_not_reported(text, analyzer):
    assert spans(VnCmndRecognizer(), text) == []
    assert found(analyzer, text, "VN_CMND") == []


def test_cmnd_context_from_column_name(analyzer):
    assert found(analyzer, "123456789", "VN_CMND", context=["so_cmnd"]) == ["123456789"]
    assert found(analyzer, "123456789", "VN_CMND", context=["order_id"]) == []


# --- phone -------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "number",
    ["0912345678", "+84 912 345 678", "84912345678", "091.234.5678", "0386 123 456", "02438251234", "0559123456"],
)
def test_vn_phone_positive(number, analyzer):
    assert found(analyzer, f"Liên hệ {number} nhé", "VN_PHONE") == [number]


@pytest.mark.parametrize("number", ["0123456789", "091234567", "09123456789", "1912345678", "0612345678"])
def test_vn_phone_negative(number):
    assert spans(VnPhoneRecognizer(), f"số {number}") == []


def test_vn_phone_precise_scores_above_recall():
    rec = VnPhoneRecognizer()
    assert spans(rec, "0912345678")[0][1] > spans(rec, "0952345678")[0][1]  # 095 is only in regex_recall


# --- tax code ------------------------------------------------------------------------------------------------


@pytest.mark.parametrize("number", ["0100233488", "0314409058-002", "0314409058 - 002", "0100112437"])
def test_tax_code_checksum_valid(number):
    assert tax_code_is_valid(number)


@pytest.mark.parametrize(
    "number", ["0100233480", "0100233487", "0314409058-000", "0100000009", "010023348", "01002334881"]
)
def test_tax_code_checksum_invalid(number):
    assert not tax_code_is_valid(number)


def test_tax_code_recognizer(analyzer):
    rec = VnTaxCodeRecognizer()
    assert spans(rec, "công ty 0100233488") == [("0100233488", pytest.approx(0.5))]
    assert spans(rec, "chi nhánh 0314409058-002") == [("0314409058-002", pytest.approx(0.6))]
    assert spans(rec, "MST: 0100233488") == [("0100233488", pytest.approx(0.75))]
    assert spans(rec, "sai 0100233480") == []
    assert found(analyzer, "Mã số thuế 0100233488", "VN_TAX_CODE") == ["0100233488"]


def test_mobile_number_with_valid_checksum_is_a_phone_not_a_tax_code(analyzer):
    number = "0912345604"  # a Viettel-style mobile number whose last digit happens to satisfy the MST checksum
    assert tax_code_is_valid(number)
    assert found(analyzer, f"gọi {number}", "VN_TAX_CODE") == []
    assert found(analyzer, f"gọi {number}", "VN_PHONE") == [number]
    assert found(analyzer, number, "VN_TAX_CODE", context=["ma_so_thue"]) == [number]
    assert found(analyzer, f"MST {number}", "VN_TAX_CODE") == [number]


def test_fold():
    assert fold("Chứng Minh Thư Đà Nẵng") == "chung minh thu da nang"


# --- identifiers that lost their leading zeros (a CSV column read as numbers) --------------------------------


@pytest.mark.parametrize(
    "value, column, entity",
    [
        ("912345678", "phone", "VN_PHONE"),
        ("2438251234", "so_dien_thoai", "VN_PHONE"),
        ("1099012345", "national_id", "VN_CCCD"),
        ("79203001234", "cccd", "VN_CCCD"),
        ("100233488", "ma_so_thue", "VN_TAX_CODE"),
    ],
)
def test_leading_zero_lost_found_only_with_column_context(value, column, entity, analyzer):
    assert found(analyzer, value, entity, context=[column]) == [value]
    assert found(analyzer, value, entity, context=["amount"]) == []
    assert found(analyzer, value, entity) == []


def test_leading_zero_lost_needs_a_valid_identifier(analyzer):
    assert found(analyzer, "123456789", "VN_PHONE", context=["phone"]) == []  # 0123... is no mobile number
    assert found(analyzer, "100233480", "VN_TAX_CODE", context=["mst"]) == []  # bad check digit
    assert found(analyzer, "call 912345678 now", "VN_PHONE", context=["phone"]) == []  # whole values only


def test_digit_runs_inside_machine_ids_are_not_identifiers(analyzer):
    import hashlib

    digests = [hashlib.sha256(str(i).encode()).hexdigest() for i in range(300)]
    hits = [
        r.entity_type for d in digests for r in analyzer.analyze(d, language="en") if r.entity_type.startswith("VN_")
    ]
    assert hits == []
    assert found(analyzer, "ab0912345678", "VN_PHONE") == [] and found(analyzer, "0912345678x", "VN_PHONE") == []
    assert found(analyzer, "SĐT0912345678", "VN_PHONE") == ["0912345678"]  # a keyword glued in front still works


@pytest.mark.parametrize(
    "text",
    ["+44 0912 345 678", "+1 0912345678", "+33 (0)912345678", "+49-0912345678", "+44 079123456789", "+65 0101245486"],
)
def test_numbers_after_a_foreign_country_code_are_not_vietnamese(analyzer, text):
    for entity in ("VN_PHONE", "VN_CCCD", "VN_TAX_CODE"):
        assert found(analyzer, text, entity) == [], (entity, text)


def test_vietnamese_numbers_keep_their_labels_beside_foreign_ones(analyzer):
    assert found(analyzer, "call +84 912 345 678", "VN_PHONE") == ["+84 912 345 678"]
    assert found(analyzer, "+84 0912 345 678", "VN_PHONE") == ["0912 345 678"]
    assert found(analyzer, "tel 0912345678 or +44 0912 345 679", "VN_PHONE") == ["0912345678"]
    assert found(analyzer, "CCCD 079123456789", "VN_CCCD") == ["079123456789"]
