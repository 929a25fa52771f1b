"""PII scanning engine: planning, partition scans, merging, evidence checks, anonymization. Real Presidio."""

from __future__ import annotations

import json
import pickle
import random

import pandas as pd
import pytest

from govgate.checks.pii import (
    DIRECT_IDENTIFIERS,
    ColumnPii,
    PiiPartial,
    analyze_cells,
    anonymize_frame,
    build_analyzer,
    merge_pii,
    pii_checks,
    plan_columns,
    redact_text,
    resolve_overlaps,
    scan_pii_partition,
)
from govgate.checks.stats import wilson_interval
from govgate.errors import InputError
from govgate.record import Outcome, Severity
from tests.conftest import SHARED

SALT = "test-salt-0123456789abcdef"
WORDS = (
    "the order arrived late but the product works well and support answered my question quickly "
    "thanks again great price would buy again"
).split()
PROVINCES = ["001", "079", "048", "031", "092"]
MOBILE = ["090", "091", "093", "096", "097", "098", "032", "086", "070", "081"]


def vn_phone(rng: random.Random) -> str:
    return rng.choice(MOBILE) + f"{rng.randrange(10**7):07d}"


def cccd(rng: random.Random) -> str:
    return rng.choice(PROVINCES) + str(rng.randrange(4)) + f"{rng.randrange(100):02d}{rng.randrange(10**6):06d}"


def make_frame(rows: int = 240, seed: int = 7) -> tuple[pd.DataFrame, dict[str, list[str]]]:
    """Emails, VN phones, CCCD numbers, free text with some emails, plain numbers. Returns the frame and
    the planted PII values."""
    rng = random.Random(seed)
    emails = [f"khach.hang{i}.{rng.randrange(10**6)}@example.vn" for i in range(rows)]
    phones = [vn_phone(rng) for _ in range(rows)]
    ids = [cccd(rng) for _ in range(rows)]
    notes, planted_in_notes = [], []
    for i in range(rows):
        sentence = " ".join(rng.choices(WORDS, k=rng.randint(6, 14)))
        if i % 10 == 3:
            address = f"lien.he{i}@shop-example.com"
            planted_in_notes.append(address)
            sentence += f" write to {address} for a refund"
        notes.append(sentence)
    df = pd.DataFrame(
        {
            "email": emails,
            "phone": phones,
            "cccd": ids,
            "note": notes,
            "quantity": [rng.randint(1, 50) for _ in range(rows)],
            "price": [round(rng.uniform(1, 500), 2) for _ in range(rows)],
        }
    )
    return df, {"email": emails, "phone": phones, "cccd": ids, "note": planted_in_notes}


@pytest.fixture(scope="module")
def frame():
    return make_frame()


@pytest.fixture(scope="module")
def analyzer():
    return build_analyzer(None)[0]


# --- engine ------------------------------------------------------------------------------------------------


def test_build_analyzer_offline_and_cached():
    first, ner = build_analyzer(None)
    assert ner is False
    assert build_analyzer(None)[0] is first and build_analyzer("")[0] is first
    entities = set(first.get_supported_entities("en"))
    assert {"EMAIL_ADDRESS", "PHONE_NUMBER", "CREDIT_CARD", "VN_CCCD", "VN_CMND", "VN_PHONE", "VN_TAX_CODE"} <= entities
    assert "PERSON" not in entities


def test_unknown_ner_model_is_an_input_error():
    with pytest.raises(InputError, match="en_core_web_nonexistent"):
        build_analyzer("en_core_web_nonexistent")


def test_spacy_engine_from_a_model_folder(tmp_path):
    import spacy

    spacy.blank("en").to_disk(tmp_path / "blank-en")  # a real spaCy pipeline without an NER component
    engine, ner = build_analyzer(str(tmp_path / "blank-en"))
    assert ner is False  # loaded through the spacy engine, but it cannot find names
    assert [r.entity_type for r in engine.analyze("write to a@example.com", language="en")] == ["EMAIL_ADDRESS", "URL"]


def test_wilson_interval():
    lo, hi = wilson_interval(50, 100, 0.95)
    assert lo == pytest.approx(0.4038, abs=1e-3) and hi == pytest.approx(0.5962, abs=1e-3)
    lo, hi = wilson_interval(0, 100, 0.95)
    assert lo == 0 and hi == pytest.approx(0.0370, abs=1e-3)
    assert wilson_interval(0, 0) == (0.0, 1.0)


def test_redact_text(analyzer):
    text = "Gọi 0912345678 hoặc mail an.nguyen@example.com, CCCD 001099012345."
    assert redact_text(text, analyzer) == "Gọi <VN_PHONE> hoặc mail <EMAIL_ADDRESS>, CCCD <VN_CCCD>."


def test_joined_analysis_equals_cell_by_cell(analyzer, frame):
    df, _ = frame
    cells = [
        *df["note"].head(60),
        *df["email"].head(20),
        *df["phone"].head(20),
        "a@b.co x@y.com",
        "",
        "ship to 12 Main St. on 03/04/2024, card 4111 1111 1111 1111",
        "ip 10.0.0.1 mac 00:1a:2b:3c:4d:5e",
        "Số CMND: 123456789",
        "MST 0100233488",
        "visit www.example.com/x.html",
    ]
    key = lambda rs: sorted((r.entity_type, r.start, r.end) for r in rs)  # noqa: E731
    joined = analyze_cells(analyzer, cells)
    unrouted = analyze_cells(analyzer, cells, route=False)
    from govgate.checks.pii import resolve_overlaps

    one_by_one = [resolve_overlaps(analyzer.analyze(c, language="en")) for c in cells]
    assert [key(x) for x in joined] == [key(x) for x in one_by_one] == [key(x) for x in unrouted]
    assert any(joined)


# --- planning ----------------------------------------------------------------------------------------------


def test_plan_columns(frame):
    df, _ = frame
    df = df.assign(empty=[None] * len(df), when=pd.Timestamp("2024-01-01"), short_note=["ok"] * len(df))
    plan = plan_columns(df)
    assert plan == {
        "email": "structured",
        "phone": "structured",
        "cccd": "structured",
        "note": "text",
        "quantity": "numeric",
        "price": "numeric",
        "empty": "structured",
        "when": "structured",
        "short_note": "structured",
    }
    declared = plan_columns(df, {"short_note": "text", "note": "category", "quantity": "id", "missing": "text"})
    assert (
        declared["short_note"] == "text" and declared["note"] == "structured" and declared["quantity"] == "structured"
    )
    with pytest.raises(InputError, match="note.*blob"):
        plan_columns(df, {"note": "blob"})


def test_plan_columns_words_rule():
    df = pd.DataFrame({"s": ["a b c d e", "f g h i j k"], "t": ["abc", "def"]})
    assert plan_columns(df) == {"s": "text", "t": "structured"}


# --- scanning ------------------------------------------------------------------------------------------------


def column_check(checks, name):
    return next(c for c in checks if c.id == f"data.pii.column.{name}")


def test_scan_finds_planted_pii(frame):
    df, planted = frame
    plan = plan_columns(df)
    part = scan_pii_partition(df, plan, sample_rows=100, ner_model=None, seed=3)
    assert part.rows == len(df)
    assert part.columns["email"].scanned == 100 and part.columns["email"].values == len(df)
    assert part.columns["email"].counts == {"EMAIL_ADDRESS": 100}
    assert part.columns["phone"].counts["VN_PHONE"] == 100  # some are also checksum-valid UK_NHS numbers
    assert part.columns["cccd"].counts == {"VN_CCCD": 100}
    note = part.columns["note"]
    assert note.scanned == len(df)  # text: every row
    assert note.counts == {"EMAIL_ADDRESS": len(planted["note"])}
    assert part.columns["quantity"].counts == {} and part.columns["price"].counts == {}

    checks, findings = pii_checks(merge_pii([part]), min_prevalence=0.05, confidence=0.95, ner_available=False)
    assert {c.id: c.outcome for c in checks} == {
        "data.pii.column.email": Outcome.WARN,
        "data.pii.column.phone": Outcome.WARN,
        "data.pii.column.cccd": Outcome.WARN,
        "data.pii.column.note": Outcome.WARN,
        "data.pii.column.quantity": Outcome.PASS,
        "data.pii.column.price": Outcome.PASS,
        "data.pii.ner": Outcome.INCONCLUSIVE,
    }
    email = column_check(checks, "email")
    assert email.details["kind"] == "structured" and email.details["sampled"] is True
    assert set(email.details["entities"]) == {"EMAIL_ADDRESS"}
    prevalence = next(m for m in email.metrics if m.name == "EMAIL_ADDRESS.prevalence")
    assert prevalence.value == 1.0 and prevalence.n == 100 and prevalence.confidence == 0.95
    assert 0.95 < prevalence.lower < 1.0 and prevalence.upper == 1.0
    assert email.evidence_kind == "pii_scan" and email.controls  # catalog controls attached
    note_check = column_check(checks, "note")
    assert note_check.details == {**note_check.details, "kind": "text", "sampled": False}
    assert next(m for m in note_check.metrics if m.name == "EMAIL_ADDRESS.count").value == len(planted["note"])

    by_column = {f.location["column"]: f for f in findings}
    assert set(by_column) == {"email", "phone", "cccd", "note"}
    assert all(f.severity == Severity.HIGH for f in findings)
    assert by_column["note"].count == len(planted["note"])
    assert by_column["email"].examples[0].startswith("<EMAIL_ADDRESS> hmac-sha256:")
    assert all("<EMAIL_ADDRESS>" in e for e in by_column["note"].examples)
    assert len(by_column["note"].examples) == 3 and all(len(e) <= 82 for e in by_column["note"].examples)


def test_no_raw_pii_in_checks_or_findings(frame):
    df, planted = frame
    part = scan_pii_partition(df, plan_columns(df), sample_rows=500, ner_model=None)
    checks, findings = pii_checks(merge_pii([part]), min_prevalence=0.05, ner_available=False)
    dumped = json.dumps([c.model_dump(mode="json") for c in checks] + [f.model_dump(mode="json") for f in findings])
    for values in planted.values():
        for value in values:
            assert value not in dumped
            assert value.split("@")[0] not in dumped
    assert "@" not in dumped


def test_merge_of_partitions_equals_one_scan(frame):
    df, _ = frame
    plan = plan_columns(df)
    whole = merge_pii([scan_pii_partition(df, plan, sample_rows=10_000, ner_model=None)])
    halves = [df.iloc[:100], df.iloc[100:]]
    merged = merge_pii(
        [scan_pii_partition(h, plan, sample_rows=10_000, ner_model=None, seed=i) for i, h in enumerate(halves)]
    )
    assert merged.columns == whole.columns
    assert merged.rows == whole.rows == len(df) and merged.partitions == 2
    assert pii_checks(merged, min_prevalence=0.05, ner_available=False) == pii_checks(
        whole, min_prevalence=0.05, ner_available=False
    )


def test_partials_are_picklable_plain_data(frame):
    df, _ = frame
    part = scan_pii_partition(df.head(30), plan_columns(df), sample_rows=10, ner_model=None)
    assert pickle.loads(pickle.dumps(part)) == part
    result = merge_pii([part, part])
    assert pickle.loads(pickle.dumps(result)) == result
    assert result.columns["email"].scanned == 20


def test_sampling_is_seeded():
    df = pd.DataFrame({"contact": [f"u{i}@example.com" if i % 2 else f"note {i}" for i in range(400)]})
    plan = {"contact": "structured"}
    a = scan_pii_partition(df, plan, sample_rows=50, ner_model=None, seed=5)
    b = scan_pii_partition(df, plan, sample_rows=50, ner_model=None, seed=5)
    c = scan_pii_partition(df, plan, sample_rows=50, ner_model=None, seed=6)
    assert a == b and a.columns["contact"].scanned == c.columns["contact"].scanned == 50
    assert 10 < a.columns["contact"].counts["EMAIL_ADDRESS"] < 40


def test_prevalence_threshold_structured_vs_text():
    values = ["abc"] * 199 + ["x@example.com"]
    df = pd.DataFrame({"code": values, "comment": [v + " " + " ".join(["word"] * 6) for v in values]})
    part = scan_pii_partition(df, plan_columns(df), sample_rows=1000, ner_model=None)
    checks, findings = pii_checks(merge_pii([part]), min_prevalence=0.05, ner_available=False)
    code = column_check(checks, "code")
    assert code.outcome == Outcome.PASS and code.details["entities"] == {}
    assert code.details["below_threshold"]["EMAIL_ADDRESS"]["count"] == 1
    assert column_check(checks, "comment").outcome == Outcome.WARN  # text: any hit
    assert [f.location["column"] for f in findings] == ["comment"]


def test_numbers_in_numeric_columns_are_scanned():
    df = pd.DataFrame(
        {"contact_number": [912345678 + i for i in range(40)], "phone": [84912345678.0 + i for i in range(40)]}
    )
    part = scan_pii_partition(df, plan_columns(df), sample_rows=100, ner_model=None)
    assert part.columns["phone"].kind == "numeric"
    assert part.columns["phone"].counts.get("VN_PHONE") == 40  # +84 numbers stored as floats
    checks, _ = pii_checks(merge_pii([part]), min_prevalence=0.05, ner_available=False)
    assert column_check(checks, "phone").outcome == Outcome.WARN


def test_ner_check():
    result = merge_pii([PiiPartial(columns={"a": ColumnPii(kind="structured")}, rows=0)])
    checks, _ = pii_checks(result, min_prevalence=0.05, ner_available=False)
    ner = checks[-1]
    assert ner.id == "data.pii.ner" and ner.outcome == Outcome.INCONCLUSIVE
    assert ner.message == "PERSON/LOCATION/NRP detection was not run: no NER model configured"
    result.ner_model = "en_core_web_sm"
    ner_ok = pii_checks(result, min_prevalence=0.05, ner_available=True)[0][-1]
    assert ner_ok.outcome == Outcome.PASS and "en_core_web_sm" in ner_ok.message
    assert column_check(checks, "a").outcome == Outcome.PASS


def test_direct_identifiers():
    assert {
        "EMAIL_ADDRESS",
        "PHONE_NUMBER",
        "VN_PHONE",
        "VN_CCCD",
        "VN_CMND",
        "VN_TAX_CODE",
        "US_SSN",
        "CREDIT_CARD",
        "IBAN_CODE",
        "PERSON",
    } <= DIRECT_IDENTIFIERS
    assert "DATE_TIME" not in DIRECT_IDENTIFIERS and "URL" not in DIRECT_IDENTIFIERS


# --- anonymized copy ---------------------------------------------------------------------------------------


def test_anonymize_frame_is_stable_and_leaves_no_raw_emails(frame):
    df, planted = frame
    df = pd.concat([df.head(20), df.head(20)], ignore_index=True)  # every value twice
    anon = anonymize_frame(df, plan_columns(df), salt=SALT)
    assert anon.shape == df.shape and list(anon.columns) == list(df.columns)
    assert anon["email"].iloc[3] == anon["email"].iloc[23] != df["email"].iloc[3]
    assert anon["phone"].iloc[5] == anon["phone"].iloc[25] != df["phone"].iloc[5]
    assert anon["email"].nunique() == df["email"].nunique()  # joins survive
    text = anon.to_csv()
    assert "@" not in text
    for value in [*planted["email"][:20], *planted["phone"][:20], *planted["cccd"][:20]]:
        assert value not in text
    assert anon["note"].iloc[0] == df["note"].iloc[0]  # no PII: unchanged
    assert anon["quantity"].tolist() == df["quantity"].tolist() and anon["price"].tolist() == df["price"].tolist()
    again = anonymize_frame(df, plan_columns(df), salt=SALT)
    assert again.equals(anon)
    other = anonymize_frame(df, plan_columns(df), salt=SALT + "x")
    assert other["email"].iloc[0] != anon["email"].iloc[0]
    with pytest.raises(InputError, match="16 bytes"):
        anonymize_frame(df, plan_columns(df), salt="short")
    assert anon["email"].str.fullmatch(r"[a-z]{24}").all()


def test_anonymized_copy_reviews_clean(frame):
    df, _ = frame
    anon = anonymize_frame(df, plan_columns(df), salt=SALT)
    again = scan_pii_partition(anon, plan_columns(anon), sample_rows=1000, ner_model=None)
    assert {name: col.counts for name, col in again.columns.items() if col.counts} == {}


# --- the shared e-commerce data ------------------------------------------------------------------------------


def test_shared_customers_email_column():
    path = SHARED / "data" / "ecommerce" / "ecommerce_customers.csv"
    if not path.is_file():
        pytest.skip(f"{path} is not beside this clone")
    df = pd.read_csv(path)
    plan = plan_columns(df)
    assert plan["Email"] == "structured" and plan["Address"] == "text"
    part = scan_pii_partition(df, plan, sample_rows=200, ner_model=None)
    checks, findings = pii_checks(merge_pii([part]), min_prevalence=0.05, ner_available=False)
    email = column_check(checks, "Email")
    assert email.outcome == Outcome.WARN and "EMAIL_ADDRESS" in email.details["entities"]
    assert column_check(checks, "Avg. Session Length").outcome == Outcome.PASS  # fractional numbers are no ids
    assert next(f for f in findings if f.location["column"] == "Email").severity == Severity.HIGH
    dumped = json.dumps([c.model_dump(mode="json") for c in checks] + [f.model_dump(mode="json") for f in findings])
    assert not any(e in dumped for e in df["Email"])


PHONE_EDGES = [
    "Ruf an: +49 30 1234",
    "(030) 1234-56",
    "+683 4002",
    "tel 0301234",
    "call 1-800-555-0199 x12",
    "０９０－１２３４－５６７８",
    "電話 03ー1234ー5678",
    "+44 20 7946 0958",
    "12/34/56",
    "1 2 3 4",
    "ph: 555‐0199",
    "Nr. 089 / 12 34 56",
    "2014",
    "born 1980, moved 2014",
    "3 of 5 stars, 2 days",
]
URL_EDGES = [
    "visit www.example.com/x.html today",
    "see 'https://a.b.co/x?y=1' or \"shop.vn\"",
    "end..it",
    "e.g. this",
    "foo.Bar baz",
    "x.com.",
    "(docs.python.org/3)",
    "mail a@b.co",
    "www1.site.io",
    "ſ.co and K.io",
    "no dots here",
    "DL A1234567, B12-345, 123456789 and a1b2c; id 12AB34567",
    "x H12345678 X12345678 V123456 ab123456c",
]


def test_phone_routing_and_url_blanking_change_no_finding(analyzer, shared_data):
    """Cells without a phone-like digit run never reach libphonenumber, and the URL recognizer only sees
    tokens that can hold a URL; on edge cases and real reviews the scan finds exactly what Presidio finds
    cell by cell."""
    import pandas as pd

    from govgate.checks.pii import resolve_overlaps
    from govgate.checks.pii.routing import _min_phone_digits

    assert _min_phone_digits() == 4  # libphonenumber's metadata: a few regions have 4-digit numbers
    reviews = pd.read_csv(
        shared_data / "ecommerce" / "Musical_instruments_reviews.csv", header=None, usecols=[4], nrows=600
    )
    cells = [*PHONE_EDGES, *URL_EDGES, *reviews[4].fillna("").astype(str)]
    key = lambda rs: sorted((r.entity_type, r.start, r.end) for r in rs)  # noqa: E731
    one_by_one = [key(resolve_overlaps(analyzer.analyze(c, language="en"))) for c in cells]
    assert [key(x) for x in analyze_cells(analyzer, cells)] == one_by_one
    assert sum("PHONE_NUMBER" in {e for e, _, _ in found} for found in one_by_one[: len(PHONE_EDGES)]) >= 5
    urls = one_by_one[len(PHONE_EDGES) : len(PHONE_EDGES) + len(URL_EDGES)]
    assert sum("URL" in {e for e, _, _ in found} for found in urls) >= 6
    from govgate.checks.pii import candidate_tokens_only
    from govgate.checks.pii.routing import recognizer_routing

    # weak licence patterns only pass the threshold with context words (a column named "driver license")
    licences = [*URL_EDGES[-2:], "lic a1b2c here"]
    ctx = ["driver", "license"]
    by_cell = [key(resolve_overlaps(analyzer.analyze(c, language="en", context=ctx))) for c in licences]
    assert [key(x) for x in analyze_cells(analyzer, licences, context=ctx)] == by_cell
    assert sum(e == "US_DRIVER_LICENSE" for found in by_cell for e, _, _ in found) >= 8
    assert recognizer_routing(analyzer).token_local == {"URL", "US_DRIVER_LICENSE"}
    assert candidate_tokens_only("go to x.com now", "URL") == "      x.com    "
    assert candidate_tokens_only("licence A1234567 ok", "US_DRIVER_LICENSE") == "        A1234567   "
    assert candidate_tokens_only("a\tb.co\n\u3000c", "URL") == "  b.co   "  # every whitespace becomes a space
    long_token = "a" * 200_000  # one huge token without the hint: kept linear by the (?<!\S) anchor
    assert candidate_tokens_only(long_token + " x.com", "URL") == " " * 200_001 + "x.com"


# --- routing: hints, windows, stock recognizers, the context enhancer -------------------------------------------


@pytest.fixture(scope="module")
def plain(analyzer):
    """Presidio as it comes: the scanner's recognizers, Presidio's default context enhancer."""
    from presidio_analyzer import AnalyzerEngine

    from govgate.checks.pii import SCORE_THRESHOLD

    return AnalyzerEngine(
        registry=analyzer.registry,
        nlp_engine=analyzer.nlp_engine,
        supported_languages=["en"],
        default_score_threshold=SCORE_THRESHOLD,
    )


# one string each pattern matches, to plant in random surroundings (case and folding varied below)
POSITIVES = [
    "a.b@c.io",
    "www.shop.vn/x",
    "192.168.0.1",
    "fe80::1",
    "::",
    "::ffff:10.0.0.1",
    "00:1a:2b:3c:4d:5e",
    "de-ad-be-ef-ca-fe",
    "0123.4567.89ab",
    "123e4567-e89b-12d3-a456-426614174000",
    "bc1qar0srrr7xfkvy5l643lydnw9re59gtzzwf5mdq",
    "1BoatSLRHtKNngkdXEeobR76b53LETtpyT",
    "2024-01-31T10:00:00Z",
    "03/04/2024",
    "5-JAN",
    "JAN-24",
    "12.10.2023",
    "DE89 3704 0044 0532 0130 00",
    "GB82-WEST-1234-5698-7654-32",
    "A1234567",
    "12ABC12345",
    "123456789",
    "4111 1111 1111 1111",
    "4111-1111-1111-1111",
    "AB1234567",
    "A91234567",
    "943 70 6543",
    "943-706543",
    "943706543",
    "123-45-6789",
    "12345-6789",
    "123 456 7890",
    "12345678901234",
    "C12345678",
    "001099012345",
    "099123456789",
    "0912345678",
    "+84 912 345 678",
    "028.3829.2345",
    "0100233488",
    "0100233488-001",
    "912345678",
    "1099012345",
    "100233488",
    "+1 650-253-0000",
    "(030) 1234-56",
    "555-0199 ext. 12",
    "٠١٢٣٤٥٦٧٨٩٠",
    "０９０１２３４５６７８",
]
NOISE = [
    "",
    " ",
    "  ",
    "-",
    ".",
    "/",
    ":",
    ",",
    "x",
    "ab",
    "Fe",
    "ſ",
    "K",
    "the",
    "lorem ipsum dolor",
    "\n",
    "\t",
    "+",
    "(",
    ")",
    "#",
    "1",
    "22",
    "333",
    "4444",
    "٣",
    "３",
]


def fuzz_cells(n: int, seed: int) -> list[str]:
    """Cells built from planted matches, fragments of them and noise; some long, with digits far apart."""
    rng = random.Random(seed)
    pieces = [*POSITIVES, *(p[: rng.randint(1, len(p))] for p in POSITIVES for _ in range(2)), *NOISE]
    cells = []
    for _ in range(n):
        parts = [rng.choice(pieces) for _ in range(rng.randint(1, 6))]
        if rng.random() < 0.1:
            parts.insert(rng.randrange(len(parts) + 1), " ".join(rng.choices(WORDS, k=rng.randint(5, 40))))
        cell = rng.choice(["", " ", "-", "."]).join(parts)
        if rng.random() < 0.3:
            cell = cell.upper() if rng.random() < 0.5 else cell.lower()
        if rng.random() < 0.1:
            cell = cell.replace("s", "ſ").replace("k", "K")  # fold to ASCII letters under IGNORECASE
        cells.append(cell)
    return cells


def test_every_pattern_match_holds_its_hint(analyzer, plain):
    """The necessary condition routing rests on: wherever a stock recognizer's pattern matches (before any
    validation or threshold), the cell holds that entity's hint; also for libphonenumber and for the
    Vietnamese values that lost a leading zero in a named column."""
    import regex

    from govgate.checks.pii.routing import cells_with_hints, recognizer_routing

    routing = recognizer_routing(analyzer)
    assert routing.hinted == {
        "EMAIL_ADDRESS",
        "URL",
        "IP_ADDRESS",
        "MAC_ADDRESS",
        "UUID",
        "CRYPTO",
        "DATE_TIME",
        "IBAN_CODE",
        "US_DRIVER_LICENSE",
        "PHONE_NUMBER",
        "CREDIT_CARD",
        "MEDICAL_LICENSE",
        "UK_NHS",
        "US_BANK_NUMBER",
        "US_ITIN",
        "US_PASSPORT",
        "US_SSN",
        "VN_CCCD",
        "VN_CMND",
        "VN_PHONE",
        "VN_TAX_CODE",
    }
    cells = [*POSITIVES, *fuzz_cells(4000, seed=11)]
    hits = cells_with_hints(cells, routing)
    matched: dict[str, int] = {}
    for r in analyzer.registry.get_recognizers(language="en", all_fields=True):
        for p in getattr(r, "patterns", []):
            compiled = regex.compile(p.regex, flags=r.global_regex_flags)
            for i, cell in enumerate(cells):
                if compiled.search(cell):
                    (entity,) = r.supported_entities
                    matched[entity] = matched.get(entity, 0) + 1
                    assert i in hits[entity], (entity, p.name, cell)
    contexts = {
        "PHONE_NUMBER": ["phone"],
        "VN_PHONE": ["so_dien_thoai"],
        "VN_CCCD": ["cccd"],
        "VN_TAX_CODE": ["ma_so_thue"],
        "VN_CMND": ["so_cmnd"],
    }
    for entity, context in contexts.items():
        for i, cell in enumerate(cells[:1500]):
            if plain.analyze(cell, language="en", entities=[entity], context=context, score_threshold=0):
                matched[entity] = matched.get(entity, 0) + 1
                assert i in hits[entity], (entity, cell)
    assert {e for e in routing.hinted if matched.get(e, 0) < 3} == set(), matched  # the fuzz reached every entity


def test_hint_windows_in_a_batch_equal_cell_by_cell(analyzer):
    """Windows around digits are merged across a whole batch of cells; what a cell is routed to must not
    depend on its neighbours."""
    from govgate.checks.pii.routing import cells_with_hints, recognizer_routing

    routing = recognizer_routing(analyzer)
    cells = fuzz_cells(1500, seed=5) + ["9" * 30 + " x" * 20 + " ab12", "12" + " " * 30 + "34", "1" + "a" * 25]
    batch = cells_with_hints(cells, routing)
    alone = [cells_with_hints([c], routing) for c in cells]
    for entity in routing.hinted:
        assert batch[entity] == {i for i, hits in enumerate(alone) if 0 in hits[entity]}, entity
    assert 2 not in alone[-2]["PHONE_NUMBER"] and 0 in alone[-1]["CRYPTO"]


def test_routed_scan_equals_plain_presidio_cell_by_cell(analyzer, plain):
    """The whole scan (hints, joined documents, token blanking, the skipping context enhancer) finds what
    Presidio finds one cell at a time, without and with column names as context."""
    cells = fuzz_cells(500, seed=3)
    key = lambda rs: sorted((r.entity_type, r.start, r.end, round(r.score, 6)) for r in rs)  # noqa: E731
    for context in (None, ["phone"], ["so_cmnd"], ["ma_so_thue"], ["credit_card"], ["driver license"], ["reviewTime"]):
        one_by_one = [key(resolve_overlaps(plain.analyze(c, language="en", context=context))) for c in cells]
        assert [key(x) for x in analyze_cells(analyzer, cells, context=context)] == one_by_one, context
        assert sum(map(bool, one_by_one)) > 200


def test_customised_recognizers_see_every_cell(analyzer):
    """A hint holds for the stock patterns only: an entity with an extra or a changed recognizer is looked
    for in every cell (here the bank-number hint, eight digits, would skip "acct-1234")."""
    from presidio_analyzer import AnalyzerEngine, Pattern, PatternRecognizer
    from presidio_analyzer.predefined_recognizers import CreditCardRecognizer

    from govgate.checks.pii import SCORE_THRESHOLD
    from govgate.checks.pii.routing import recognizer_routing

    custom = AnalyzerEngine(
        nlp_engine=analyzer.nlp_engine, supported_languages=["en"], default_score_threshold=SCORE_THRESHOLD
    )
    custom.registry.add_recognizer(
        PatternRecognizer(
            supported_entity="US_BANK_NUMBER", name="AcctRecognizer", patterns=[Pattern("acct", r"\bacct-\d{4}\b", 0.6)]
        )
    )
    custom.registry.remove_recognizer("CreditCardRecognizer")
    custom.registry.add_recognizer(CreditCardRecognizer(patterns=[Pattern("card", r"(?<=card )\d{4}\b", 0.9)]))
    routing = recognizer_routing(custom)
    assert "US_BANK_NUMBER" not in routing.hinted and "CREDIT_CARD" not in routing.hinted
    assert "US_PASSPORT" in routing.hinted
    cells = ["acct-1234 paid", "card 0000", "x 12345678", "nothing"]
    key = lambda rs: sorted((r.entity_type, r.start, r.end) for r in rs)  # noqa: E731
    one_by_one = [key(resolve_overlaps(custom.analyze(c, language="en"))) for c in cells]
    assert [key(x) for x in analyze_cells(custom, cells)] == one_by_one
    assert ("US_BANK_NUMBER", 0, 9) in one_by_one[0] and ("CREDIT_CARD", 5, 9) in one_by_one[1]


def test_unix_times_in_a_time_column_are_explained_not_counted(shared_data):
    """Unix times match phone, tax-code and NHS patterns by their digits; in a column named as a time where
    every value is one, the check passes with the counts kept and the reason given. The same numbers under
    another name, or phone numbers under a time name, still warn."""
    reviews = pd.read_csv(
        shared_data / "ecommerce" / "Musical_instruments_reviews.csv", header=None, usecols=[7], nrows=800
    )
    times = reviews[7]
    phones = pd.Series([vn_phone(random.Random(i)) for i in range(len(times))])
    df = pd.DataFrame({"unixReviewTime": times, "customer_ref": times, "contact_time": phones})
    part = scan_pii_partition(df, plan_columns(df), sample_rows=400, ner_model=None)
    checks, findings = pii_checks(merge_pii([part]), min_prevalence=0.05, ner_available=False)
    by_id = {c.id: c for c in checks}
    explained = by_id["data.pii.column.unixReviewTime"]
    assert explained.outcome == Outcome.PASS and "are Unix times" in explained.message
    assert "PHONE_NUMBER" in explained.details["explained"] and explained.details["entities"] == {}
    assert any(m.name == "PHONE_NUMBER.count" and m.value > 100 for m in explained.metrics)
    assert by_id["data.pii.column.customer_ref"].outcome == Outcome.WARN
    assert by_id["data.pii.column.contact_time"].outcome == Outcome.WARN
    assert {f.location["column"] for f in findings} == {"customer_ref", "contact_time"}


def test_datasheet_pii_declarations(shared_data):
    """A column declared personal data is one whatever the scan finds (and a Unix-time column declared so is
    not explained away); a column declared not personal data keeps what the scan finds, flagged as a
    disagreement; the anonymized copy replaces a declared column's values whole."""
    reviews = pd.read_csv(
        shared_data / "ecommerce" / "Musical_instruments_reviews.csv", header=None, usecols=[0, 7], nrows=300
    )
    df = pd.DataFrame(
        {
            "customer_ref": reviews[0],
            "event_time": reviews[7],
            "email": [f"khach{i}@example.vn" for i in range(len(reviews))],
            "note": ["the order arrived late but works well"] * len(reviews),
        }
    )
    part = scan_pii_partition(df, plan_columns(df), sample_rows=300, ner_model=None)
    declared = {"customer_ref": True, "event_time": True, "email": False, "note": False}
    checks, findings = pii_checks(merge_pii([part]), min_prevalence=0.05, ner_available=False, declared=declared)
    by_id = {c.id.removeprefix("data.pii.column."): c for c in checks}
    assert by_id["customer_ref"].outcome == Outcome.WARN and by_id["customer_ref"].details["declared_pii"] is True
    assert "declared personal data in the datasheet" in by_id["customer_ref"].message
    assert by_id["event_time"].outcome == Outcome.WARN and "explained" not in by_id["event_time"].details
    assert by_id["email"].outcome == Outcome.WARN and "declares it not personal data" in by_id["email"].message
    assert by_id["note"].outcome == Outcome.PASS
    severity = {f.location["column"]: f.severity for f in findings}
    assert severity["customer_ref"] == Severity.HIGH and "is declared personal data" in next(
        f.message for f in findings if f.location["column"] == "customer_ref"
    )
    without = pii_checks(merge_pii([part]), min_prevalence=0.05, ner_available=False)[0]
    assert next(c for c in without if c.id.endswith(".customer_ref")).outcome == Outcome.PASS

    anon = anonymize_frame(df, plan_columns(df), salt=SALT, whole={"customer_ref", "note"})
    assert not set(anon["customer_ref"]) & set(df["customer_ref"])
    assert anon["customer_ref"].nunique() == df["customer_ref"].nunique()  # stable: joins survive
    assert anon["note"].tolist() == df["note"].tolist()  # free text is never replaced whole
