"""Routing: every hint is held by every match of its recognizer, so the routed scan equals plain Presidio cell by cell."""

from __future__ import annotations

import random

import pandas as pd
import pytest

from govgate.checks.pii import (
    analyze_cells,
    resolve_overlaps,
)
from tests.checks.pii.helpers import WORDS

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
