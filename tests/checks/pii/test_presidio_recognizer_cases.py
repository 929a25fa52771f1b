"""Recall on recognizer cases in the spirit of Presidio's own per-recognizer tests equals plain Presidio with
the same configuration, cell by cell.

Presidio tests each predefined recognizer with a table of texts: the value alone, inside a sentence, with each
separator its patterns allow, at the edges of the text, lower and upper case, near-misses that must not match
and checksum failures (presidio-analyzer/tests: test_email_recognizer.py, test_url_recognizer.py,
test_ip_recognizer.py, test_mac_address_recognizer.py, test_uuid_recognizer.py, test_crypto_recognizer.py,
test_date_recognizer.py, test_iban_recognizer.py, test_us_driver_license_recognizer.py,
test_phone_recognizer.py, test_credit_card_recognizer.py, test_medical_license_recognizer.py,
test_uk_nhs_recognizer.py, test_us_bank_recognizer.py, test_us_itin_recognizer.py,
test_us_passport_recognizer.py, test_us_ssn_recognizer.py). The table below is written afresh in that
spirit, one entry per recognizer that govgate routes (govgate.checks.pii.routing), plus govgate's own
Vietnamese recognizers; values with checksums are generated so that they validate. govgate's routed scan
(hints, joined documents, token blanking) must find exactly the entities, with the same offsets, that
``AnalyzerEngine`` with the same registry and threshold finds in each cell alone: the same recall.
"""

from __future__ import annotations

import hashlib
import random
import uuid

import pytest

from govgate.checks.pii import analyze_cells, resolve_overlaps
from govgate.checks.pii.routing import recognizer_routing

_B58 = "123456789ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz"


def luhn(prefix: str, length: int, rng: random.Random) -> str:
    """A card number with a valid Luhn check digit."""
    body = prefix + "".join(str(rng.randrange(10)) for _ in range(length - len(prefix) - 1))
    total = 0
    for i, ch in enumerate(reversed(body)):
        d = int(ch) * (2 if i % 2 == 0 else 1)
        total += d - 9 if d > 9 else d
    return body + str((10 - total % 10) % 10)


def iban(country: str, bban: str) -> str:
    """An IBAN with valid check digits (ISO 13616 mod 97)."""
    digits = "".join(str(int(c, 36)) for c in bban + country + "00")
    return f"{country}{98 - int(digits) % 97:02d}{bban}"


def nhs(rng: random.Random) -> str:
    """A 10-digit NHS number with a valid mod-11 check digit."""
    while True:
        first = [rng.randrange(10) for _ in range(9)]
        check = 11 - sum(d * (10 - i) for i, d in enumerate(first)) % 11
        if check == 11:
            check = 0
        if check != 10:
            return "".join(map(str, first)) + str(check)


def dea(letters: str, rng: random.Random) -> str:
    """A DEA registration number with a valid check digit."""
    d = [rng.randrange(10) for _ in range(6)]
    check = (d[0] + d[2] + d[4] + 2 * (d[1] + d[3] + d[5])) % 10
    return letters + "".join(map(str, d)) + str(check)


def base58check(version: int, rng: random.Random) -> str:
    """A Bitcoin address (version byte, 20 bytes, 4-byte double-SHA-256 checksum) in base 58."""
    payload = bytes([version]) + bytes(rng.randrange(256) for _ in range(20))
    raw = payload + hashlib.sha256(hashlib.sha256(payload).digest()).digest()[:4]
    n, out = int.from_bytes(raw, "big"), ""
    while n:
        n, r = divmod(n, 58)
        out = _B58[r] + out
    return "1" * (len(raw) - len(raw.lstrip(b"\0"))) + out


def cases() -> dict[str, list[str]]:
    """Entity -> texts written for it (positives in several shapes and places, and near-misses)."""
    rng = random.Random(14)
    card_visa, card_mc, card_amex = luhn("4", 16, rng), luhn("51", 16, rng), luhn("37", 15, rng)
    gb = iban("GB", "NWBK60161331926819"[:4] + "".join(str(rng.randrange(10)) for _ in range(14)))
    de = iban("DE", "".join(str(rng.randrange(10)) for _ in range(18)))
    fr = iban("FR", "".join(str(rng.randrange(10)) for _ in range(23)))
    nhs1, nhs2 = nhs(rng), nhs(rng)
    btc1, btc3 = base58check(0, rng), base58check(5, rng)
    u = str(uuid.UUID(int=rng.getrandbits(128), version=4))
    return {
        "EMAIL_ADDRESS": [
            "mai.tran@example.vn",
            "write to first.last+orders@mail.example.co.uk today",
            "<support@shop-example.io>",
            "Contact: A.B@EXAMPLE.ORG.",
            "two: x@a.io,y@b.io",
            "not an address: user@ or @example.org or user@localhost",
        ],
        "URL": [
            "https://docs.example.org/guide?page=2&lang=en",
            "see http://shop.example.vn/item/42 for details",
            "ftp://files.example.net/pub",
            "go to www.example.com.",
            "example.co.uk/path/to/page",
            "(https://a.example.io/x)",
            "version 1.2 and e.g. nothing else",
        ],
        "IP_ADDRESS": [
            "10.20.30.40",
            "server at 192.168.100.254 is down",
            "2001:db8:85a3::8a2e:370:7334",
            "loopback ::1 and fe80::1ff:fe23:4567:890a",
            "::ffff:172.16.5.4",
            "not an address: 999.1.1.1 or 1.2.3",
        ],
        "MAC_ADDRESS": [
            "3C-52-82-A1-07-FF",
            "nic 3c:52:82:a1:07:fe is up",
            "3c52.82a1.07fd",
            "almost 3C-52-82-A1-07 only",
        ],
        "UUID": [u, f"request id {u.upper()} failed", f"{u[:-1]}z is not one"],
        "CRYPTO": [
            btc1,
            f"send to {btc3} please",
            f"broken {btc1[:-1]}{'2' if btc1[-1] != '2' else '3'} checksum",
        ],
        "DATE_TIME": [
            "2023-11-05",
            "on 05/11/2023 at noon",
            "11.05.2023",
            "2023/11/05",
            "5-NOV-2023",
            "NOV-23",
            "born 3-Feb",
            "12-31-1999 and 1999-12-31",
        ],
        "IBAN_CODE": [
            gb,
            f"pay {de} now",
            " ".join(fr[i : i + 4] for i in range(0, len(fr), 4)),
            "-".join(gb[i : i + 4] for i in range(0, len(gb), 4)),
            f"{gb[:-1]}{(int(gb[-1]) + 1) % 10} has a wrong check",
        ],
        "US_DRIVER_LICENSE": [
            "driver license A1234567",
            "DL: B12-345-678",
            "licence no 123456789",
            "H12345678 and X1234567",
        ],
        "PHONE_NUMBER": [
            "+1 415 555 2671",
            "call (212) 555-0147 after 5",
            "+44 20 7946 0018",
            "tel. +33 1 42 68 53 00",
            "+49 30 901820",
            "212.555.0147",
            "not a phone: 12 apples",
        ],
        "CREDIT_CARD": [
            card_visa,
            f"card {'-'.join(card_mc[i : i + 4] for i in range(0, 16, 4))} expires soon",
            f"amex {card_amex[:4]} {card_amex[4:10]} {card_amex[10:]}",
            " ".join(card_visa[i : i + 4] for i in range(0, 16, 4)),
            f"{card_visa[:-1]}{(int(card_visa[-1]) + 1) % 10} fails Luhn",
        ],
        "MEDICAL_LICENSE": [dea("AB", rng), f"DEA {dea('FM', rng)} on file", "BB1234560 maybe"],
        "UK_NHS": [nhs1, f"NHS number {nhs1[:3]} {nhs1[3:6]} {nhs1[6:]}", f"{nhs2[:3]}-{nhs2[3:6]}-{nhs2[6:]}"],
        "US_BANK_NUMBER": ["account 12345678", "acct no 123456789012 at the bank", "1234567"],
        "US_ITIN": ["911-71-2345", "itin 912 80 3456 filed", "913823456", "911-45-2345 is outside the ranges"],
        "US_PASSPORT": ["912803456", "passport A12345678 issued", "passport no. 12345678"],
        "US_SSN": ["536-22-8726", "ssn 536 22 8727 on the form", "536228728", "000-12-3456", "666-12-3456"],
        # govgate's own (govgate.checks.recognizers_vn), in the same manner
        "VN_CCCD": ["001203004567", "CCCD số 079 098 001 234", "căn cước 038198765432"],
        "VN_CMND": ["CMND 025123456", "so cmnd: 186543210"],
        "VN_PHONE": ["0912345678", "gọi 0903 123 456", "+84 912 345 678", "028.3829.2345", "+44 912 345 678"],
        "VN_TAX_CODE": ["mã số thuế 0100233488", "MST 0312345678-001"],
    }


CONTEXTS = (None, ["phone"], ["ssn"], ["passport"], ["driver license"], ["bank account"], ["itin"], ["ma_so_thue"])


@pytest.fixture(scope="module")
def plain(analyzer):
    """Presidio as it comes, with the scanner's registry (the same recognizers) and threshold."""
    from presidio_analyzer import AnalyzerEngine

    from govgate.checks.pii import SCORE_THRESHOLD

    return AnalyzerEngine(
        registry=analyzer.registry,
        nlp_engine=analyzer.nlp_engine,
        supported_languages=["en"],
        default_score_threshold=SCORE_THRESHOLD,
    )


def _spans(results) -> list[tuple[str, int, int]]:
    return sorted((r.entity_type, r.start, r.end) for r in results)


def test_the_case_table_covers_every_routed_recognizer(analyzer):
    routing = recognizer_routing(analyzer)
    assert routing is not None
    assert routing.hinted - {"PHONE_NUMBER"} <= set(cases()), routing.hinted - set(cases())
    assert "PHONE_NUMBER" in cases()


@pytest.mark.parametrize("context", CONTEXTS, ids=lambda c: "none" if c is None else c[0])
def test_routed_scan_finds_exactly_what_plain_presidio_finds_on_each_case(analyzer, plain, context):
    table = cases()
    cells = [text for texts in table.values() for text in texts]
    plain_hits = [_spans(resolve_overlaps(plain.analyze(c, language="en", context=context))) for c in cells]
    routed = [_spans(r) for r in analyze_cells(analyzer, cells, context=context)]  # one column, as the scan sees it
    differing = [(c, p, r) for c, p, r in zip(cells, plain_hits, routed, strict=True) if p != r]
    assert not differing, "\n".join(f"{c!r}: plain {p}, govgate {r}" for c, p, r in differing)
    alone = [_spans(analyze_cells(analyzer, [c], context=context)[0]) for c in cells]  # a cell on its own
    assert alone == plain_hits


def test_every_recognizer_has_cases_plain_presidio_finds(analyzer, plain):
    """The table is worth comparing on: plain Presidio finds each entity in at least one of its own cases
    (with the context its recognizer's words give), so equal recall is not equal silence."""
    words = {
        "US_BANK_NUMBER": ["bank account"],
        "US_PASSPORT": ["passport"],
        "US_DRIVER_LICENSE": ["driver license"],
        "US_ITIN": ["itin"],
        "US_SSN": ["ssn"],
        "VN_TAX_CODE": ["ma_so_thue"],
        "VN_CMND": ["so_cmnd"],
    }
    missed = []
    for entity, texts in cases().items():
        found = [
            t
            for t in texts
            for r in plain.analyze(t, language="en", context=words.get(entity))
            if r.entity_type == entity
        ]
        if not found:
            missed.append(entity)
    assert missed == [], missed
