"""Which cells each recognizer must see: hints every match of a stock recognizer contains, and the tokens that can hold a URL or driver-licence match."""

from __future__ import annotations

from bisect import bisect_right
from dataclasses import dataclass
from functools import lru_cache
from typing import TYPE_CHECKING

import regex as re

from govgate.checks.pii.constants import LANGUAGE

if TYPE_CHECKING:
    from presidio_analyzer import AnalyzerEngine

# --------------------------------------------------------------------------------------------------------
# routing
#
# With the no-op NLP engine a pattern recognizer sees nothing but the text its patterns match, so a cell
# can skip every recognizer that cannot match it. Each entity below has a hint: a regex that every match of
# its stock recognizer contains (read off the installed patterns; the comment says why). A cell without
# the hint cannot hold the entity, so leaving it out changes no finding. Hints are trusted only while the
# entity's one recognizer is the stock class with its default patterns (_is_stock); any other entity
# (NER, custom recognizers) sees every cell.
#
# "near" hints hold a digit, start at most _BEFORE characters before one and end at most _AFTER after
# their last (the crypto hint's 25), with at most 4 characters between their digits; so they are searched
# only in windows reaching _BEFORE before and _AFTER after every run of digits, merged where they overlap
# (a few percent of a review text). "anywhere" hints are searched in the whole text.
# Compiled with the regex module, as Presidio's patterns are; a hint with letters ignores case ((?i), as
# the patterns do), so its letter classes fold the same way ("ſ" is an "s", the Kelvin sign a "k").
_PRESIDIO_FLAGS = re.DOTALL | re.MULTILINE | re.IGNORECASE
_BEFORE, _AFTER = 2, 25
_NEAR_HINTS = {
    "IP_ADDRESS": r"[0-9]\.[0-9]",  # IPv4 octets: digit "." digit (IPv6 forms: ":" anywhere, below)
    "CRYPTO": r"(?i)[13][a-z0-9]{25}",  # (bc1|[13]) then 25+ of [a-zA-HJ-NP-Z0-9]
    "DATE_TIME": r"\d[-/.]|[-/.]\d",  # every date pattern joins a number to "-", "/" or "."
    "IBAN_CODE": r"(?i)[a-z]{2}[0-9]{2}",  # country code and check digits open every IBAN
    "US_DRIVER_LICENSE": r"[0-9]",  # every alternative holds a digit
    "CREDIT_CARD": r"\d{4}[- ]?\d{3}",  # a 4-digit issuer block, then 3+ digits
    "MEDICAL_LICENSE": r"\d{7}",  # both DEA forms end in 7 digits
    "UK_NHS": r"[0-9]{3}[- ]?[0-9]{3}",
    "US_BANK_NUMBER": r"[0-9]{8}",  # 8-17 digits
    "US_ITIN": r"9\d{2}[- ]?\d{2}",  # 9, two digits, the two-digit group
    "US_PASSPORT": r"[0-9]{8}",  # 9 digits, or a letter and 8
    "US_SSN": r"[0-9]{3}[- .]?[0-9]{2}",  # all five forms start so
    # ours (govgate.checks.recognizers_vn), including the values that lost a leading zero in a named column
    "VN_CCCD": r"\d{10}",  # 12 digits; 10-11 restored
    "VN_CMND": r"\d{9}",
    "VN_PHONE": r"\d(?:[ .-]?\d){8}",  # 10-11 digits, single separators; 9 restored
    "VN_TAX_CODE": r"\d{9}",  # 10 digits; 9 restored
}
_ANYWHERE_HINTS = {
    "EMAIL_ADDRESS": r"@",
    "URL": r"\.[^\W\d_]",  # "." and a top-level domain made of letters
    "IP_ADDRESS": r":",  # every IPv6 form
    # hex pairs around a separator, written separator-first (a rarer first character: 4x faster); no
    # character outside ASCII folds to a hex letter, so the explicit classes equal Presidio's under IGNORECASE
    "MAC_ADDRESS": r"(?<=[0-9a-fA-F]{2})[-:.](?=[0-9a-fA-F]{2})",
    "UUID": r"(?<=[0-9a-fA-F]{8})-(?=[0-9a-fA-F]{4})",
}
# Joins cells for the hint search: 7 non-word characters in a row, which no hint can match across (the
# widest gap inside a hint is the phone run's 4 non-word characters; "\n" and NUL are in no other class).
_HINT_SEP = "\n" + "\0" * 5 + "\n"
_DIGIT_RUN = re.compile(r"\d+")


@lru_cache(maxsize=1)
def _min_phone_digits() -> int:
    """Fewest national digits of any valid number, over every region libphonenumber knows."""
    import phonenumbers
    from phonenumbers import PhoneMetadata

    regions = [PhoneMetadata.metadata_for_region(r) for r in phonenumbers.SUPPORTED_REGIONS]
    regions += [PhoneMetadata.metadata_for_nongeo_region(c) for c in phonenumbers.COUNTRY_CODES_FOR_NON_GEO_REGIONS]
    return min(n for md in regions if md is not None for n in md.general_desc.possible_length if n > 0)


def _phone_run() -> str:
    # libphonenumber only takes candidates made of digit blocks joined by at most 4 punctuation characters
    # (a subset of non-word characters; its 'x' and 'ー' are word characters, so they are allowed
    # explicitly), and at leniency VALID no number has fewer national digits than _min_phone_digits().
    return r"\d(?:(?:[^\w]|[xXー]){0,4}\d){" + str(_min_phone_digits() - 1) + "}"


def _stock_classes() -> dict[str, type]:
    from presidio_analyzer import predefined_recognizers as pr

    from govgate.checks import recognizers_vn as vn
    from govgate.checks.pii.url import ProseUrlRecognizer

    return {
        "EMAIL_ADDRESS": pr.EmailRecognizer,
        "URL": ProseUrlRecognizer,  # the stock patterns, minus sentence joins: each match still one token
        "IP_ADDRESS": pr.IpRecognizer,
        "MAC_ADDRESS": pr.MacAddressRecognizer,
        "UUID": pr.UuidRecognizer,
        "CRYPTO": pr.CryptoRecognizer,
        "DATE_TIME": pr.DateRecognizer,
        "IBAN_CODE": pr.IbanRecognizer,
        "US_DRIVER_LICENSE": pr.UsLicenseRecognizer,
        "PHONE_NUMBER": pr.PhoneRecognizer,
        "CREDIT_CARD": pr.CreditCardRecognizer,
        "MEDICAL_LICENSE": pr.MedicalLicenseRecognizer,
        "UK_NHS": pr.NhsRecognizer,
        "US_BANK_NUMBER": pr.UsBankRecognizer,
        "US_ITIN": pr.UsItinRecognizer,
        "US_PASSPORT": pr.UsPassportRecognizer,
        "US_SSN": pr.UsSsnRecognizer,
        "VN_CCCD": vn.VnCccdRecognizer,
        "VN_CMND": vn.VnCmndRecognizer,
        "VN_PHONE": vn.VnPhoneRecognizer,
        "VN_TAX_CODE": vn.VnTaxCodeRecognizer,
    }


def _is_stock(recognizer, cls: type) -> bool:
    """``recognizer`` is exactly ``cls`` with its default patterns and leniency (the phone hint assumes
    VALID), and regex flags among IGNORECASE, MULTILINE and DOTALL (the hints ignore case themselves and
    use no anchors or bare dots; Presidio's registry adds IGNORECASE to the IBAN recognizer)."""
    if type(recognizer) is not cls:
        return False
    default = cls()
    patterns = lambda r: [p.regex for p in getattr(r, "patterns", [])]  # noqa: E731
    flags = getattr(recognizer, "global_regex_flags", None) or 0
    return (
        patterns(recognizer) == patterns(default)
        and flags & ~_PRESIDIO_FLAGS == 0
        and getattr(recognizer, "leniency", None) == getattr(default, "leniency", None)
    )


@dataclass(frozen=True)
class Routing:
    near: dict[str, re.Pattern]  # hinted entity -> its near-digit hint
    anywhere: dict[str, re.Pattern]  # hinted entity -> its anywhere hint
    hinted: frozenset[str]
    units: tuple[tuple[str, ...], ...]  # entities analysed together (they share a recognizer)
    token_local: frozenset[str]


@lru_cache(maxsize=8)
def recognizer_routing(analyzer: AnalyzerEngine) -> Routing | None:
    """How cells are routed to recognizers; None when every cell must see every recognizer (NER)."""
    from presidio_analyzer.nlp_engine import NoOpNlpEngine

    if not isinstance(analyzer.nlp_engine, NoOpNlpEngine):
        return None
    recognizers = analyzer.registry.get_recognizers(language=LANGUAGE, all_fields=True)
    # units: entities joined by a shared recognizer, so that one call sees all of a recognizer's entities
    unit_of: dict[str, set[str]] = {}
    for r in recognizers:
        merged = set(r.supported_entities).union(*(unit_of.get(e, set()) for e in r.supported_entities))
        for e in merged:
            unit_of[e] = merged
    units = tuple(sorted({tuple(sorted(u)) for u in unit_of.values()}))
    hinted = set()
    for entity, cls in _stock_classes().items():
        serving = [r for r in recognizers if entity in r.supported_entities]
        if len(serving) == 1 and serving[0].supported_entities == [entity] and _is_stock(serving[0], cls):
            hinted.add(entity)
    near = {**_NEAR_HINTS, "PHONE_NUMBER": _phone_run()}
    compile_ = lru_cache(maxsize=None)(re.compile)
    return Routing(
        near={e: compile_(rx) for e, rx in near.items() if e in hinted},
        anywhere={e: compile_(rx) for e, rx in _ANYWHERE_HINTS.items() if e in hinted},
        hinted=frozenset(hinted),
        units=units,
        token_local=frozenset(_TOKEN_HINTS) & hinted,  # the argument below holds for the stock recognizers
    )


def cells_with_hints(cells: list[str], routing: Routing) -> dict[str, set[int]]:
    """Hinted entity -> the cells (indexes) that hold its hint."""
    doc = _HINT_SEP.join(cells)
    starts, pos = [], 0
    for cell in cells:
        starts.append(pos)
        pos += len(cell) + len(_HINT_SEP)
    found: dict[str, set[int]] = {e: set() for e in routing.hinted}

    def mark(rx: re.Pattern, text: str, to_doc, cells_found: set[int]) -> None:
        for m in rx.finditer(text):
            cells_found.add(bisect_right(starts, to_doc(m.start())) - 1)

    # windows around digit runs, merged where they overlap, joined into one small document
    windows: list[list[int]] = []
    for m in _DIGIT_RUN.finditer(doc):
        a, b = m.start() - _BEFORE, min(m.end() + _AFTER, len(doc))
        if windows and a <= windows[-1][1]:  # so runs fewer than _AFTER apart share a window
            windows[-1][1] = b
        else:
            windows.append([max(a, 0), b])
    if windows and routing.near:
        near_doc = _HINT_SEP.join(doc[a:b] for a, b in windows)
        w_starts, pos = [], 0
        for a, b in windows:
            w_starts.append(pos)
            pos += b - a + len(_HINT_SEP)

        def to_doc(p: int) -> int:
            w = bisect_right(w_starts, p) - 1
            return windows[w][0] + p - w_starts[w]

        by_rx: dict[re.Pattern, list[str]] = {}
        for entity, rx in routing.near.items():
            by_rx.setdefault(rx, []).append(entity)
        for rx, entities in by_rx.items():
            mark(rx, near_doc, to_doc, found[entities[0]])
            for e in entities[1:]:
                found[e] |= found[entities[0]]
    for entity, rx in routing.anywhere.items():
        mark(rx, doc, lambda p: p, found[entity])
    return found


# Token-local recognizers: every pattern of Presidio's UrlRecognizer and UsLicenseRecognizer matches no
# whitespace, has no anchors, and looks at most one character beyond its match (\b; nothing for URL), so
# each match lies inside one whitespace-delimited token, and a token without the hint below cannot hold a
# match (a URL holds "." and a top-level domain of two or more letters; every driver-licence alternative
# holds an ASCII digit). Replacing the other tokens, and all whitespace, by spaces (same length, so offsets
# stay) leaves every match as it was, while these expensive regexes skip most of a text. The hint patterns
# match whole tokens only ((?<!\S) keeps them linear); same regex module and flags as Presidio.
_TOKEN_HINTS = {
    "URL": re.compile(r"(?<!\S)\S*?\.[a-z]{2}\S*", flags=_PRESIDIO_FLAGS),
    "US_DRIVER_LICENSE": re.compile(r"(?<!\S)\S*?[0-9]\S*"),
}


def candidate_tokens_only(text: str, entity: str) -> str:
    """``text`` with every whitespace-delimited token that cannot hold an ``entity`` match, and every
    whitespace character, replaced by a space."""
    parts: list[str] = []
    last = 0
    for m in _TOKEN_HINTS[entity].finditer(text):
        parts.append(" " * (m.start() - last))
        parts.append(m.group())
        last = m.end()
    parts.append(" " * (len(text) - last))
    return "".join(parts)
