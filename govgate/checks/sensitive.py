"""Sensitive attributes of the data-review gate: are the declared ones there, and which undeclared columns
look like protected or sensitive attributes?

Detection is by column NAME (lowercased, accents stripped, camelCase and separators unified to ``_``,
matched token-wise against :data:`SENSITIVE_CLASSES`) and by sampled VALUES (:data:`VALUE_RULES`: a
column whose values are mostly sex, ethnicity, religion or marital-status words, or card numbers).

Classes cover the usual protected attributes and special categories (GDPR Art. 9/10, EU AI Act Art. 10
bias examination) and Vietnam's personal-data lists: Decree 356/2025/ND-CP Art. 4(1) (sensitive:
race/ethnicity, political and religious views, private life, health, biometric/genetic, sex life and
orientation, criminal data, location, e-ID credentials, bank/card/financial data, behavioural tracking)
and Art. 3 (basic: birth date, sex, address, nationality, marital status), under PDPL 91/2025/QH15.

The lists are data: edit :data:`SENSITIVE_CLASSES` / :data:`VALUE_RULES` to adapt them. Plain functions;
the flow wraps them in Prefect tasks. Nothing returned holds a raw cell value.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable
from typing import TYPE_CHECKING

from govgate.checks.outcomes import advisory
from govgate.errors import InputError
from govgate.record import Check, Finding, Metric, Outcome, Severity, Threshold

if TYPE_CHECKING:
    import pandas as pd

EVIDENCE_KIND = "data_review"
CATEGORY = "sensitive_attributes"

#: class -> column-name keywords (English and Vietnamese without accents; ``_`` separates words). A
#: keyword matches whole words of the normalised column name, in order (``date_of_birth`` matches
#: ``customer_date_of_birth``; ``age`` does not match ``page``); a final ``s``/``es`` is allowed.
SENSITIVE_CLASSES: dict[str, tuple[str, ...]] = {
    "sex_gender": (
        "sex",
        "gender",
        "is_male",
        "is_female",
        "personal_status",  # German credit: A91-A95 = sex + marital status
        "gioi_tinh",
    ),
    "sexual_orientation": (
        "sexual_orientation",
        "sexuality",
        "sex_life",
        "lgbt",
        "lgbtq",
        "lgbtqi",
        "xu_huong_tinh_duc",
        "doi_song_tinh_duc",
        "tinh_duc",
    ),
    "race_ethnicity": (
        "race",
        "racial",
        "ethnicity",
        "ethnic",
        "ethnic_group",
        "ethnic_origin",
        "skin_color",
        "skin_colour",
        "caste",
        "tribe",
        "dan_toc",
        "sac_toc",
        "chung_toc",
    ),
    "national_origin": (
        "nationality",
        "citizenship",
        "country_of_birth",
        "birth_country",
        "native_country",
        "foreign",
        "foreigner",
        "foreign_worker",
        "immigrant",
        "immigration_status",
        "migrant",
        "migration_background",
        "residence_permit",
        "quoc_tich",
        "que_quan",
        "nguyen_quan",
        "noi_sinh",
    ),
    "religion": (
        "religion",
        "religious",
        "faith",
        "belief",
        "church",
        "denomination",
        "ton_giao",
        "tin_nguong",
        "dao_giao",
    ),
    "political_opinion": (
        "political",
        "politics",
        "political_party",
        "party_affiliation",
        "party_membership",
        "voting",
        "vote_intention",
        "political_view",
        "chinh_tri",
        "quan_diem_chinh_tri",
        "dang_vien",
        "dang_phai",
    ),
    "trade_union": (
        "trade_union",
        "union_member",
        "union_membership",
        "labor_union",
        "labour_union",
        "cong_doan",
        "doan_vien_cong_doan",
    ),
    "health_disability": (
        "health",
        "medical",
        "diagnosis",
        "disease",
        "illness",
        "disability",
        "disabled",
        "handicap",
        "medication",
        "prescription",
        "blood_type",
        "blood_group",
        "bmi",
        "pregnant",
        "pregnancy",
        "hiv",
        "mental_health",
        "icd10",
        "icd_code",
        "symptom",
        "allergy",
        "vaccination",
        "vaccine",
        "patient",
        "suc_khoe",
        "benh",
        "benh_an",
        "chan_doan",
        "khuyet_tat",
        "tien_su_benh",
        "nhom_mau",
        "mang_thai",
        "tiem_chung",
        "bao_hiem_y_te",
        "y_te",
        "ho_so_benh_an",
        "tinh_trang_suc_khoe",
    ),
    "biometric_genetic": (
        "biometric",
        "biometrics",
        "fingerprint",
        "face_id",
        "face_image",
        "face_embedding",
        "facial",
        "iris",
        "retina",
        "voiceprint",
        "voice_print",
        "dna",
        "genome",
        "genetic",
        "genotype",
        "sinh_trac",
        "sinh_trac_hoc",
        "van_tay",
        "khuon_mat",
        "mong_mat",
        "di_truyen",
        "gen_di_truyen",
    ),
    "criminal_record": (
        "criminal",
        "criminal_record",
        "crime",
        "conviction",
        "convicted",
        "offence",
        "offense",
        "arrest",
        "prison",
        "incarceration",
        "felony",
        "tien_an",
        "an_tich",
        "pham_toi",
        "toi_pham",
        "ly_lich_tu_phap",
        "hanh_vi_pham_toi",
    ),
    "age_birth": (
        "age",
        "dob",
        "birth",
        "birthday",
        "birth_date",
        "birthdate",
        "date_of_birth",
        "year_of_birth",
        "birth_year",
        "tuoi",
        "do_tuoi",
        "ngay_sinh",
        "nam_sinh",
        "sinh_nhat",
        "ngay_thang_nam_sinh",
    ),
    "location": (
        "address",
        "street",
        "city",
        "postcode",
        "postal_code",
        "zip",
        "zipcode",
        "zip_code",
        "latitude",
        "longitude",
        "lat",
        "lon",
        "lng",
        "gps",
        "geo",
        "geolocation",
        "location",
        "coordinates",
        "home_address",
        "dia_chi",
        "noi_o",
        "cho_o",
        "ho_khau",
        "thuong_tru",
        "tam_tru",
        "toa_do",
        "vi_tri",
        "dinh_vi",
        "tinh_thanh",
        "quan_huyen",
        "phuong_xa",
    ),
    "financial": (
        "income",
        "salary",
        "wage",
        "earnings",
        "credit",
        "credit_amount",
        "credit_history",
        "credit_score",
        "loan",
        "debt",
        "debtor",
        "mortgage",
        "bank",
        "bank_account",
        "account_number",
        "iban",
        "swift",
        "card_number",
        "credit_card",
        "cvv",
        "savings",
        "balance",
        "installment",
        "instalment",
        "transaction",
        "net_worth",
        "wealth",
        "assets",
        "thu_nhap",
        "muc_luong",
        "tien_luong",
        "tai_khoan",
        "so_tai_khoan",
        "so_the",
        "the_tin_dung",
        "ngan_hang",
        "khoan_vay",
        "du_no",
        "tien_gui",
        "so_du",
        "giao_dich",
        "tin_dung",
    ),
    "marital_family": (
        "marital",
        "marital_status",
        "married",
        "spouse",
        "civil_status",
        "personal_status",
        "hon_nhan",
        "tinh_trang_hon_nhan",
        "vo_chong",
    ),
    "credentials": (  # e-ID / bank credentials, ID-card images (Decree 356 Art. 4(1)(i),(k))
        "password",
        "passwd",
        "otp",
        "vneid",
        "id_card_image",
        "cccd_image",
        "mat_khau",
        "anh_cccd",
        "anh_cmnd",
    ),
    "behavioural_tracking": (
        "browsing_history",
        "clickstream",
        "click_stream",
        "tracking_id",
        "cookie_id",
        "device_id",
        "advertising_id",
        "idfa",
        "gaid",
        "search_history",
        "lich_su_truy_cap",
        "lich_su_duyet_web",
        "hanh_vi",
        "theo_doi_hanh_vi",
    ),
    "private_life": (
        "private_life",
        "doi_song_rieng_tu",
        "bi_mat_ca_nhan",
        "bi_mat_gia_dinh",
    ),
}

#: human-readable names of the classes
CLASS_LABELS: dict[str, str] = {
    "sex_gender": "sex/gender",
    "sexual_orientation": "sexual orientation / sex life",
    "race_ethnicity": "race/ethnicity",
    "national_origin": "nationality/national origin",
    "religion": "religion or beliefs",
    "political_opinion": "political opinion",
    "trade_union": "trade-union membership",
    "health_disability": "health/disability",
    "biometric_genetic": "biometric/genetic data",
    "criminal_record": "criminal records",
    "age_birth": "age/date of birth",
    "location": "location/address",
    "financial": "financial data",
    "marital_family": "marital/family status",
    "credentials": "e-ID or bank credentials",
    "behavioural_tracking": "behavioural tracking data",
    "private_life": "private life",
}

#: why a class matters (shown in messages)
CLASS_BASIS: dict[str, str] = {
    "sex_gender": "protected attribute; basic personal data (VN Decree 356 Art. 3)",
    "sexual_orientation": "special category (GDPR Art. 9); sensitive (VN Decree 356 Art. 4)",
    "race_ethnicity": "special category (GDPR Art. 9); sensitive (VN Decree 356 Art. 4)",
    "national_origin": "protected attribute (national origin); basic personal data (VN Decree 356 Art. 3)",
    "religion": "special category (GDPR Art. 9); sensitive (VN Decree 356 Art. 4)",
    "political_opinion": "special category (GDPR Art. 9); sensitive (VN Decree 356 Art. 4)",
    "trade_union": "special category (GDPR Art. 9)",
    "health_disability": "special category (GDPR Art. 9); sensitive (VN Decree 356 Art. 4)",
    "biometric_genetic": "special category (GDPR Art. 9); sensitive (VN Decree 356 Art. 4)",
    "criminal_record": "criminal-offence data (GDPR Art. 10); sensitive (VN Decree 356 Art. 4)",
    "age_birth": "protected attribute (age); basic personal data (VN Decree 356 Art. 3)",
    "location": "sensitive (VN Decree 356 Art. 4: location); address is basic (Art. 3)",
    "financial": "sensitive (VN Decree 356 Art. 4: bank, card, transaction and financial data)",
    "marital_family": "protected attribute in many laws; basic personal data (VN Decree 356 Art. 3)",
    "credentials": "sensitive (VN Decree 356 Art. 4: e-ID and bank credentials)",
    "behavioural_tracking": "sensitive (VN Decree 356 Art. 4: behavioural tracking data)",
    "private_life": "sensitive (VN Decree 356 Art. 4: private life)",
}

#: special categories: an undeclared column of these classes is a HIGH finding
SPECIAL_CATEGORIES: frozenset[str] = frozenset(
    {
        "sexual_orientation",
        "race_ethnicity",
        "religion",
        "political_opinion",
        "trade_union",
        "health_disability",
        "biometric_genetic",
        "criminal_record",
    }
)

#: words that, next to a keyword, mean the column is something else (e.g. an e-mail or IP address)
EXCLUDE_TOKENS: dict[str, frozenset[str]] = {
    "location": frozenset({"email", "mail", "ip", "mac", "web", "url", "wallet", "allocation"}),
    "sex_gender": frozenset(),
}

#: class -> (normalised values, how many distinct "core" values must appear, words that do not count as core)
VALUE_RULES: dict[str, tuple[frozenset[str], int, frozenset[str]]] = {
    "sex_gender": (
        frozenset(
            {
                "male",
                "female",
                "m",
                "f",
                "man",
                "woman",
                "men",
                "women",
                "boy",
                "girl",
                "nam",
                "nu",
                "trans",
                "transgender",
                "non_binary",
                "nonbinary",
                "other",
                "unknown",
                "khac",
                "x",
            }
        ),
        2,
        frozenset({"other", "unknown", "khac", "x", "trans", "transgender", "non_binary", "nonbinary"}),
    ),
    "race_ethnicity": (
        frozenset(
            {
                "white",
                "black",
                "asian",
                "hispanic",
                "latino",
                "latina",
                "latinx",
                "caucasian",
                "african_american",
                "african",
                "asian_pac_islander",
                "amer_indian_eskimo",
                "native_american",
                "american_indian",
                "pacific_islander",
                "arab",
                "other",
                "mixed",
                "multiracial",
                "kinh",
                "tay",
                "thai",
                "muong",
                "khmer",
                "hoa",
                "nung",
                "hmong",
                "h_mong",
                "mong",
                "dao",
                "gia_rai",
                "e_de",
                "ba_na",
                "cham",
                "san_chay",
                "xo_dang",
            }
        ),
        2,
        frozenset({"other", "mixed", "multiracial"}),
    ),
    "religion": (
        frozenset(
            {
                "buddhist",
                "buddhism",
                "christian",
                "christianity",
                "catholic",
                "protestant",
                "orthodox",
                "muslim",
                "islam",
                "hindu",
                "hinduism",
                "jewish",
                "judaism",
                "sikh",
                "atheist",
                "agnostic",
                "none",
                "no_religion",
                "phat_giao",
                "cong_giao",
                "thien_chua_giao",
                "tin_lanh",
                "hoi_giao",
                "cao_dai",
                "hoa_hao",
                "khong",
                "khong_ton_giao",
            }
        ),
        2,
        frozenset({"none", "no_religion", "khong", "khong_ton_giao"}),
    ),
    "marital_family": (
        frozenset(
            {
                "married",
                "single",
                "divorced",
                "widowed",
                "widow",
                "widower",
                "separated",
                "never_married",
                "unmarried",
                "domestic_partner",
                "doc_than",
                "da_ket_hon",
                "ket_hon",
                "ly_hon",
                "ly_than",
                "goa",
                "goa_vo",
                "goa_chong",
                "co_gia_dinh",
            }
        ),
        2,
        frozenset(),
    ),
}
#: share of a column's sampled non-null values that must fall in a value rule's vocabulary
VALUE_SHARE = 0.9
#: fewer sampled non-null values than this are not judged by values
MIN_VALUES = 5
#: classes whose vocabulary may match the first word of a value ("married_civ_spouse", "female_single")
FIRST_WORD_CLASSES = frozenset({"sex_gender", "marital_family"})


def normalise(name: str) -> str:
    """``"Ngày sinh"`` -> ``ngay_sinh``; ``"reviewerName"`` -> ``reviewer_name``; ``"Date-of.Birth"`` -> ``date_of_birth``."""
    text = re.sub(r"([a-z0-9])([A-Z])", r"\1_\2", str(name))
    text = re.sub(r"([A-Z]+)([A-Z][a-z])", r"\1_\2", text)
    text = text.replace("đ", "d").replace("Đ", "D")
    text = "".join(ch for ch in unicodedata.normalize("NFKD", text) if not unicodedata.combining(ch))
    return re.sub(r"[^a-z0-9]+", "_", text.lower()).strip("_")


def _keywords() -> list[tuple[str, tuple[str, ...], str]]:
    """(class, keyword tokens, keyword) from SENSITIVE_CLASSES (re-read on every call, so edits apply)."""
    return [(cls, tuple(normalise(k).split("_")), k) for cls, kws in SENSITIVE_CLASSES.items() for k in kws]


def _matches(tokens: list[str], kw: tuple[str, ...]) -> bool:
    n = len(kw)
    for i in range(len(tokens) - n + 1):
        window = tokens[i : i + n]
        if window[:-1] == list(kw[:-1]) and window[-1] in (kw[-1], kw[-1] + "s", kw[-1] + "es"):
            return True
    return False


def classify_name(column: str) -> dict[str, str]:
    """Classes whose keywords the column name matches: ``{class: keyword}``."""
    norm = normalise(column)
    tokens = [t for t in norm.split("_") if t]
    joined = "".join(tokens)
    found: dict[str, str] = {}
    for cls, kw_tokens, kw in _keywords():
        if cls in found:
            continue
        if set(tokens) & EXCLUDE_TOKENS.get(cls, frozenset()):
            continue
        kw_joined = "".join(kw_tokens)
        if _matches(tokens, kw_tokens):
            found[cls] = kw
        elif (
            len(tokens) == 1
            and len(kw_joined) >= 6
            and joined not in EXCLUDE_TOKENS.get(cls, frozenset())
            and (joined == kw_joined or joined.startswith(kw_joined) or joined.endswith(kw_joined))
        ):  # unseparated names: "customergender", "ngaysinh", "dateofbirth"
            found[cls] = kw
    return found


def classify_values(values: Iterable) -> dict[str, str]:
    """Classes the sampled values point to: ``{class: reason}`` (the reason holds counts, never values)."""
    vals = [v for v in values if v is not None and not (isinstance(v, float) and v != v)]
    try:
        import pandas as pd

        vals = [v for v in vals if not (v is pd.NA or v is pd.NaT)]
    except Exception:  # pragma: no cover
        pass
    if len(vals) < MIN_VALUES:
        return {}
    found: dict[str, str] = {}
    texts = [v for v in vals if isinstance(v, str)]
    if len(texts) == len(vals):
        norm = [normalise(v) for v in texts]
        for cls, (vocab, min_core, not_core) in VALUE_RULES.items():
            hits = [
                n
                if n in vocab
                else (n.split("_")[0] if cls in FIRST_WORD_CLASSES and n.split("_")[0] in vocab else None)
                for n in norm
            ]
            matched = [h for h in hits if h is not None]
            core = {h for h in matched if h not in not_core}
            if len(matched) >= VALUE_SHARE * len(norm) and len(core) >= min_core:
                found[cls] = (
                    f"{len(matched)} of {len(norm)} sampled values are {CLASS_LABELS[cls]} words ({len(core)} distinct)"
                )
    digits = [re.sub(r"[ \-]", "", str(v)) for v in vals if isinstance(v, (str, int)) and not isinstance(v, bool)]
    cards = [d for d in digits if d.isdigit() and 13 <= len(d) <= 19 and _luhn(d)]
    if len(cards) >= 0.8 * len(vals):
        found.setdefault(
            "financial", f"{len(cards)} of {len(vals)} sampled values are payment-card numbers (Luhn-valid)"
        )
    return found


def _luhn(digits: str) -> bool:
    total = 0
    for i, ch in enumerate(reversed(digits)):
        d = int(ch)
        if i % 2:
            d = d * 2 - 9 if d > 4 else d * 2
        total += d
    return total % 10 == 0


def sensitive_attribute_checks(
    columns: list[str], sample: pd.DataFrame, declared: list[str], *, undeclared_outcome: str = "warn"
) -> tuple[list[Check], list[Finding]]:
    """One ``data.sensitive.declared.<attr>`` check per declared attribute (fail when the column is
    missing), one ``data.sensitive.undeclared.<col>`` per undeclared column that looks sensitive (outcome
    ``undeclared_outcome``), and the summary ``data.sensitive.scan`` (pass, or warn when undeclared
    sensitive columns were found)."""
    if undeclared_outcome not in ("warn", "fail"):
        raise InputError(f"undeclared_sensitive_attribute: expected 'warn' or 'fail', got {undeclared_outcome!r}")
    columns = [str(c) for c in columns]
    declared = [str(d) for d in (declared or [])]
    by_norm: dict[str, str] = {}
    for c in columns:
        by_norm.setdefault(normalise(c), c)
    checks: list[Check] = []
    findings: list[Finding] = []
    classes_found: dict[str, list[str]] = {}
    matched_columns: set[str] = set()
    for attr in declared:
        column = attr if attr in columns else by_norm.get(normalise(attr))
        if column is None:
            checks.append(_missing_declared_check(attr, columns))
            findings.append(_missing_declared_finding(attr))
            continue
        matched_columns.add(column)
        reasons = _detect(column, sample)
        for cls in reasons:
            classes_found.setdefault(cls, []).append(column)
        checks.append(_declared_check(attr, column, reasons))
    undeclared: list[str] = []
    for column in columns:
        reasons = {} if column in matched_columns else _detect(column, sample)
        if not reasons:
            continue
        undeclared.append(column)
        for cls in reasons:
            classes_found.setdefault(cls, []).append(column)
        checks.append(_undeclared_check(column, reasons, Outcome(undeclared_outcome)))
        findings.append(_undeclared_finding(column, reasons))
    checks.append(_scan_check(columns, sample, declared, undeclared, classes_found))
    return checks, findings


def _detect(column: str, sample: pd.DataFrame | None) -> dict[str, str]:
    """Sensitive classes the column's name or sampled values point to: ``{class: reason}``."""
    reasons = {cls: f"name matches '{kw}'" for cls, kw in classify_name(column).items()}
    if sample is not None and column in getattr(sample, "columns", ()):
        values = sample[column].tolist()
        for cls, why in classify_values(values).items():
            if cls == "sex_gender" and cls not in reasons and _letter_codes(values):
                continue  # F/M alone also codes felony/misdemeanour, fail/merit: sex only where the name says so
            reasons[cls] = f"{reasons[cls]}; {why}" if cls in reasons else why
    return reasons


def _letter_codes(values: list) -> bool:
    """Every value a single letter (``F``, ``M``): a code whose meaning only the column's name gives."""
    return all(len(str(v).strip()) == 1 for v in values if isinstance(v, str))


def _missing_declared_check(attr: str, columns: list[str]) -> Check:
    shown = ", ".join(columns[:30]) + (" ..." if len(columns) > 30 else "")
    return Check(
        id=f"data.sensitive.declared.{attr}",
        title=f"Declared sensitive attribute {attr} is in the data",
        category=CATEGORY,
        outcome=Outcome.FAIL,
        evidence_kind=EVIDENCE_KIND,
        message=f"declared sensitive attribute '{attr}' is not a column of the dataset (columns: {shown})",
        details={"declared": attr, "column": None},
    )


def _missing_declared_finding(attr: str) -> Finding:
    return Finding(
        id=f"sensitive.declared.{attr}",
        severity=Severity.MEDIUM,
        category=CATEGORY,
        check_id=f"data.sensitive.declared.{attr}",
        message=f"the datasheet declares sensitive attribute '{attr}' but the dataset has no such column",
        location={"column": attr},
        remediation="fix the name in the datasheet's sensitive_attributes, or add the column the fairness evaluation needs",
    )


def _declared_check(attr: str, column: str, reasons: dict[str, str]) -> Check:
    kinds = ", ".join(CLASS_LABELS[c] for c in reasons) or "no class detected from its name or values"
    return Check(
        id=f"data.sensitive.declared.{attr}",
        title=f"Declared sensitive attribute {attr} is in the data",
        category=CATEGORY,
        outcome=Outcome.PASS,
        evidence_kind=EVIDENCE_KIND,
        message=f"column '{column}' is present ({kinds})" + ("" if column == attr else f"; matched '{attr}' by name"),
        details={"declared": attr, "column": column, "classes": sorted(reasons), "reasons": reasons},
    )


def _undeclared_check(column: str, reasons: dict[str, str], outcome: Outcome) -> Check:
    described = "; ".join(f"{CLASS_LABELS[c]} ({reasons[c]}; {CLASS_BASIS[c]})" for c in reasons)
    return Check(
        id=f"data.sensitive.undeclared.{column}",
        title=f"Column {column} looks sensitive but is not declared",
        category=CATEGORY,
        outcome=outcome,
        evidence_kind=EVIDENCE_KIND,
        message=f"column '{column}' looks like {described}; it is not among the declared sensitive attributes",
        details={
            "column": column,
            "classes": sorted(reasons),
            "reasons": reasons,
            "special_categories": sorted(set(reasons) & SPECIAL_CATEGORIES),
        },
    )


def _undeclared_finding(column: str, reasons: dict[str, str]) -> Finding:
    special = sorted(set(reasons) & SPECIAL_CATEGORIES)
    return Finding(
        id=f"sensitive.undeclared.{column}",
        severity=Severity.HIGH if special else Severity.MEDIUM,
        category=CATEGORY,
        check_id=f"data.sensitive.undeclared.{column}",
        location={"column": column},
        message=f"undeclared sensitive attribute '{column}': "
        + ", ".join(CLASS_LABELS[c] for c in reasons)
        + (f" (special category: {', '.join(CLASS_LABELS[c] for c in special)})" if special else ""),
        remediation="declare it in the datasheet's sensitive_attributes (fairness is then evaluated over it and "
        "access restricted), or drop it, or record why it is needed and its legal basis",
    )


def _scan_check(
    columns: list[str],
    sample: pd.DataFrame | None,
    declared: list[str],
    undeclared: list[str],
    classes_found: dict[str, list[str]],
) -> Check:
    """``data.sensitive.scan``: the count of undeclared sensitive columns judged against zero (advisory: the
    undeclared columns' own checks carry ``undeclared_outcome``)."""
    threshold = Threshold(metric="undeclared_sensitive_columns", op="==", value=0)
    summary = "; ".join(f"{CLASS_LABELS[c]}: {', '.join(cols)}" for c, cols in classes_found.items())
    found = (
        f"{len(undeclared)} undeclared sensitive column(s): {', '.join(undeclared)}. "
        if undeclared
        else "no undeclared sensitive columns. "
    )
    return Check(
        id="data.sensitive.scan",
        title="Sensitive-attribute scan of the columns",
        category=CATEGORY,
        outcome=advisory(threshold.judge(len(undeclared))),
        evidence_kind=EVIDENCE_KIND,
        message=found
        + (f"Classes found: {summary}" if summary else "No sensitive classes found")
        + f" (declared: {', '.join(declared) or 'none'})",
        metrics=[
            Metric(name="columns_scanned", value=len(columns)),
            Metric(name="declared", value=len(declared)),
            Metric(name="undeclared_sensitive_columns", value=len(undeclared)),
            Metric(name="sampled_rows", value=0 if sample is None else int(len(sample))),
        ],
        threshold=threshold,
        details={
            "classes": classes_found,
            "declared": declared,
            "undeclared": undeclared,
            "special_categories": sorted({c for c in classes_found if c in SPECIAL_CATEGORIES}),
        },
    )
