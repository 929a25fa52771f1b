"""PII scanning engine of the data-review gate: plan columns, scan partitions, merge, turn into checks.

Plain functions (the flow wraps them in Prefect tasks) whose inputs and outputs are picklable, so a
partition can be scanned on a Dask worker and the partials merged on the driver.

- Presidio is built offline from an explicit NLP configuration: the ``no_op`` engine (pattern
  recognizers only) unless a spaCy model name or path is given, plus the Vietnamese recognizers of
  :mod:`govgate.checks.recognizers_vn`.
- Structured and numeric columns: a seeded random sample of values per column and partition, analysed
  with the column name as context. Text columns: every row.
- Speed: cells are never analysed one by one. Up to ``CELLS_PER_DOC`` distinct values are joined into
  one document (separated by a line holding ``recognizers_vn.CELL_BREAK``), analysed once, and the
  result spans are mapped back to the cells by offset; a span that crosses a separator is dropped.
  With the no-op engine, each entity is looked for only in the cells holding its hint, a regex every
  match of its recognizer contains (no "@": no e-mail recognizer; fewer than 8 digits in a row: no
  bank-number recognizer ...), and the URL and driver-licence recognizers see only the tokens that can
  hold a match. Each is proven to change no finding and tested against Presidio cell by cell.
- Nothing returned holds raw PII: text examples are the cell around a hit with every detected entity
  replaced by ``<ENTITY_TYPE>`` and digit runs masked; structured examples are ``<ENTITY_TYPE>`` plus a
  short keyed SHA-256 (HMAC) prefix of the value.
"""

from __future__ import annotations

import hashlib
import hmac
import logging
import os
import secrets
import threading
import time
import zlib
from bisect import bisect_right
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd
import regex as re

from govgate.checks.stats import wilson_interval
from govgate.errors import InputError
from govgate.record import Check, Finding, Metric, Outcome, Severity, Threshold

if TYPE_CHECKING:
    from presidio_analyzer import AnalyzerEngine

LANGUAGE = "en"
#: results under this score are not reported (Presidio's phone recognizer scores 0.4)
SCORE_THRESHOLD = 0.4
#: most distinct cells joined into one analysed document, and most characters in it
CELLS_PER_DOC = 1000
CHARS_PER_DOC = 200_000
#: a column of strings is free text when its values average more than this many characters (and more
#: than one word: a long e-mail address or hash is no text) ...
TEXT_MIN_MEAN_CHARS = 30
#: ... or at least this many words
TEXT_MIN_MEAN_WORDS = 5
EXAMPLES_PER_ENTITY = 3
EXAMPLE_CHARS = 80
KINDS = ("text", "structured", "numeric")

#: entities that identify a person on their own (the legal-basis rule applies to them)
DIRECT_IDENTIFIERS = frozenset(
    {
        "EMAIL_ADDRESS",
        "PHONE_NUMBER",
        "PERSON",
        "CREDIT_CARD",
        "IBAN_CODE",
        "CRYPTO",
        "MEDICAL_LICENSE",
        "US_SSN",
        "US_ITIN",
        "US_PASSPORT",
        "US_DRIVER_LICENSE",
        "US_BANK_NUMBER",
        "UK_NHS",
        "UK_NINO",
        "VN_PHONE",
        "VN_CCCD",
        "VN_CMND",
        "VN_TAX_CODE",
        "VN_PASSPORT",
        "VN_BANK_ACCOUNT",
    }
)

# datasheet column types (govgate.datasheet) -> plan kind
_DECLARED = {
    "text": "text",
    "string": "structured",
    "category": "structured",
    "id": "structured",
    "date": "structured",
    "datetime": "structured",
    "integer": "numeric",
    "float": "numeric",
    "number": "numeric",
    "boolean": "numeric",
    "structured": "structured",
    "numeric": "numeric",
}

_BUILD_LOCK = threading.Lock()
# key of the example digests when the caller gives none: stable within a process, unguessable outside it,
# so a short digest of a phone number cannot be reversed by enumerating phone numbers
_PROCESS_KEY = secrets.token_bytes(32)
_DIGITS = re.compile(r"\d{3,}")
_SPACES = re.compile(r"\s+")


def _separator() -> str:
    from govgate.checks.recognizers_vn import CELL_BREAK

    return f"\n{CELL_BREAK}\n"


# --------------------------------------------------------------------------------------------------------
# results


@dataclass
class ColumnPii:
    """What one column (in one partition, or merged) holds. Counts are of values (rows), not of hits."""

    kind: str  # text | structured | numeric
    values: int = 0  # non-null values seen
    scanned: int = 0  # values analysed (all of them for text columns, a sample otherwise)
    with_pii: int = 0  # analysed values with at least one entity
    counts: dict[str, int] = field(default_factory=dict)  # entity -> analysed values containing it
    examples: dict[str, list[str]] = field(default_factory=dict)  # entity -> redacted examples
    unix_times: int = 0  # analysed values that read as Unix times (structured and numeric columns)

    @property
    def sampled(self) -> bool:
        return self.scanned < self.values


@dataclass
class PiiPartial:
    """The scan of one partition."""

    columns: dict[str, ColumnPii]
    rows: int
    ner_model: str | None = None
    ner_available: bool = False
    seconds: float = field(default=0.0, compare=False)


@dataclass
class PiiResult:
    """Partials merged: counts summed, at most ``EXAMPLES_PER_ENTITY`` examples per column and entity."""

    columns: dict[str, ColumnPii]
    rows: int
    partitions: int
    ner_model: str | None = None
    ner_available: bool = False
    seconds: float = field(default=0.0, compare=False)


# --------------------------------------------------------------------------------------------------------
# engine


def build_analyzer(ner_model: str | None = None) -> tuple[AnalyzerEngine, bool]:
    """The process's analyzer for ``ner_model`` (None: pattern recognizers only) and whether it has NER.

    Cached per process: workers call this for every partition. Never downloads anything; an unknown model
    name raises :class:`InputError`.
    """
    with _BUILD_LOCK:
        return _build_analyzer(ner_model or None)


@lru_cache(maxsize=4)
def _build_analyzer(ner_model: str | None) -> tuple[AnalyzerEngine, bool]:
    # Presidio's e-mail recognizer imports tldextract, which downloads the public-suffix list at first use
    # unless this names no URL (it then uses its bundled snapshot). Workers may not inherit the setting.
    os.environ.setdefault("TLDEXTRACT_PUBLIC_SUFFIX_LIST_URLS", "")
    from presidio_analyzer import AnalyzerEngine
    from presidio_analyzer.nlp_engine import NlpEngineProvider

    from govgate.checks.recognizers_vn import vn_recognizers

    if ner_model is None:
        config = {"nlp_engine_name": "no_op", "models": [{"lang_code": LANGUAGE, "model_name": "no_op"}]}
    else:
        import spacy

        # Presidio would otherwise try `spacy download` for a name it does not find.
        if not (spacy.util.is_package(ner_model) or Path(ner_model).exists()):
            raise InputError(
                f"NER model {ner_model!r} is neither an installed spaCy package nor a model folder; "
                "install it (pinned by hash) or leave ner_model unset to scan with pattern recognizers only"
            )
        config = {"nlp_engine_name": "spacy", "models": [{"lang_code": LANGUAGE, "model_name": ner_model}]}
    try:
        nlp_engine = NlpEngineProvider(nlp_configuration=config).create_engine()
    except (OSError, ValueError, ImportError) as exc:
        raise InputError(f"NER model {ner_model!r} could not be loaded: {exc}") from exc
    # Presidio's predefined-recognizer list also names Spanish, Italian and Polish recognizers and logs a
    # warning for each one an English registry skips: expected, and eleven lines of noise per process.
    presidio_log = logging.getLogger("presidio-analyzer")
    level = presidio_log.level
    presidio_log.setLevel(logging.ERROR)
    try:
        analyzer = AnalyzerEngine(
            nlp_engine=nlp_engine,
            supported_languages=[LANGUAGE],
            default_score_threshold=SCORE_THRESHOLD,
            context_aware_enhancer=_context_enhancer(),
        )
    finally:
        presidio_log.setLevel(level)
    for recognizer in vn_recognizers(LANGUAGE):
        analyzer.registry.add_recognizer(recognizer)
    ner = False
    if ner_model is not None:
        pipeline = getattr(nlp_engine, "nlp", {}).get(LANGUAGE)
        ner = pipeline is not None and "ner" in getattr(pipeline, "pipe_names", [])
    return analyzer, ner


def _context_enhancer():
    """Presidio's default context enhancer (LemmaContextAwareEnhancer, default settings), skipped where it
    cannot change a score: no tokens from the NLP engine (the no-op engine) and no recognizer context word
    within the passed context. It would deep-copy every result first, a tenth of a text column's scan."""
    from presidio_analyzer.context_aware_enhancers import ContextAwareEnhancer, LemmaContextAwareEnhancer

    class SkippingContextEnhancer(ContextAwareEnhancer):
        def __init__(self) -> None:
            self.lemma = LemmaContextAwareEnhancer()
            super().__init__(
                context_similarity_factor=self.lemma.context_similarity_factor,
                min_score_with_context_similarity=self.lemma.min_score_with_context_similarity,
                context_prefix_count=self.lemma.context_prefix_count,
                context_suffix_count=self.lemma.context_suffix_count,
            )

        def enhance_using_context(self, text, raw_results, nlp_artifacts, recognizers, context=None):
            if nlp_artifacts is not None and not nlp_artifacts.tokens and not self._supported(recognizers, context):
                return raw_results
            return self.lemma.enhance_using_context(text, raw_results, nlp_artifacts, recognizers, context)

        def _supported(self, recognizers, context) -> bool:
            # Without tokens, the lemma enhancer's surrounding words are [""], to which it adds the passed
            # context, and it raises a result's score only if a context word of the result's recognizer
            # is in that list (as a substring, or equal in "whole_word" mode).
            words = ["", *(str(w).lower() for w in context or [])]
            whole = self.lemma.context_matching_mode == "whole_word"
            return any(
                (c.lower() == w) if whole else (c.lower() in w)
                for r in recognizers
                for c in (r.context or [])
                for w in words
            )

    return SkippingContextEnhancer()


def resolve_overlaps(results: list) -> list:
    """Drop a result strictly inside a longer result of another entity type that scores at least as high
    (a URL inside an e-mail address, a number inside a longer number). Results on the same span are kept
    (a 10-digit number can be both a VN_PHONE and a checksum-valid UK_NHS, and the evidence says so),
    except the generic PHONE_NUMBER on the span of a Vietnamese id or phone: libphonenumber parses many
    12-digit CCCD numbers as phone numbers, and VN_PHONE already says "phone".
    Applied to every cell's results, by the scanner and by the benchmark's baseline alike."""
    kept: list = []
    vn_spans = {(r.start, r.end) for r in results if r.entity_type.startswith("VN_")}
    for r in sorted(results, key=lambda r: (-(r.end - r.start), -r.score, r.start, r.entity_type)):
        if r.entity_type == "PHONE_NUMBER" and (r.start, r.end) in vn_spans:
            continue
        inside = any(
            k.start <= r.start
            and r.end <= k.end
            and (k.end - k.start) > (r.end - r.start)
            and k.entity_type != r.entity_type
            and k.score >= r.score
            for k in kept
        )
        if not inside:
            kept.append(r)
    return sorted(kept, key=lambda r: (r.start, r.end, -r.score, r.entity_type))


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

    return {
        "EMAIL_ADDRESS": pr.EmailRecognizer,
        "URL": pr.UrlRecognizer,
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
class _Routing:
    near: dict[str, re.Pattern]  # hinted entity -> its near-digit hint
    anywhere: dict[str, re.Pattern]  # hinted entity -> its anywhere hint
    hinted: frozenset[str]
    units: tuple[tuple[str, ...], ...]  # entities analysed together (they share a recognizer)
    token_local: frozenset[str]


@lru_cache(maxsize=8)
def _routing(analyzer: AnalyzerEngine) -> _Routing | None:
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
    return _Routing(
        near={e: compile_(rx) for e, rx in near.items() if e in hinted},
        anywhere={e: compile_(rx) for e, rx in _ANYWHERE_HINTS.items() if e in hinted},
        hinted=frozenset(hinted),
        units=units,
        token_local=frozenset(_TOKEN_HINTS) & hinted,  # the argument below holds for the stock recognizers
    )


def _cells_with_hints(cells: list[str], routing: _Routing) -> dict[str, set[int]]:
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


def analyze_cells(
    analyzer: AnalyzerEngine, cells: list[str], context: list[str] | None = None, *, route: bool = True
) -> list[list]:
    """Results for each cell, computed by joining cells into few documents (never one call per cell).

    With ``route`` (and the no-op NLP engine), each entity is looked for only in the cells that hold its
    hint, and a cell no recognizer can match is not analysed at all. Spans come back relative to their
    cell; spans that cross a separator are dropped.
    """
    from govgate.checks.recognizers_vn import CELL_BREAK

    texts = [cell.replace(CELL_BREAK, " ") for cell in cells]  # the separator must stay unambiguous
    routing = _routing(analyzer) if route else None
    out: list[list] = [[] for _ in texts]
    if routing is None:
        _analyze_joined(analyzer, texts, list(range(len(texts))), context, None, frozenset(), out)
    else:
        hits = _cells_with_hints(texts, routing)
        groups: dict[tuple[int, ...], list[str]] = {}  # the same cells -> one set of documents
        for unit in routing.units:
            if all(e in routing.hinted for e in unit):
                members = tuple(sorted(set().union(*(hits[e] for e in unit))))
            else:
                members = tuple(range(len(texts)))
            if members:
                groups.setdefault(members, []).extend(unit)
        for members, entities in groups.items():
            _analyze_joined(analyzer, texts, list(members), context, entities, routing.token_local, out)
    return [resolve_overlaps(rs) if len(rs) > 1 else rs for rs in out]


def _analyze_joined(
    analyzer: AnalyzerEngine,
    texts: list[str],
    members: list[int],
    context: list[str] | None,
    entities: list[str] | None,
    token_local: frozenset[str],
    out: list[list],
) -> None:
    from presidio_analyzer import RecognizerResult

    sep = _separator()
    local = [e for e in entities or [] if e in token_local]
    rest = [e for e in entities or [] if e not in token_local] if entities else None
    k = 0
    while k < len(members):
        parts: list[str] = []
        starts: list[int] = []
        pos = 0
        while k + len(parts) < len(members) and len(parts) < CELLS_PER_DOC and (not parts or pos < CHARS_PER_DOC):
            part = texts[members[k + len(parts)]]
            starts.append(pos)
            parts.append(part)
            pos += len(part) + len(sep)
        doc = sep.join(parts)
        runs = ([(doc, rest)] if rest is None or rest else []) + [(candidate_tokens_only(doc, e), [e]) for e in local]
        for text, wanted in runs:
            for r in analyzer.analyze(text, language=LANGUAGE, entities=wanted, context=context):
                j = bisect_right(starts, r.start) - 1
                if j < 0 or r.end > starts[j] + len(parts[j]):
                    continue  # crosses a separator
                cell = members[k + j]
                out[cell].append(RecognizerResult(r.entity_type, r.start - starts[j], r.end - starts[j], r.score))
        k += len(parts)


def _replace_entities(text: str, results: list, mask_digits: bool = False) -> tuple[str, list[tuple[int, int, str]]]:
    """``text`` with each detected entity replaced by ``<TYPE>``, and where each entity's placeholder
    landed. Overlapping results share one placeholder naming all their types, best score first
    (``<UK_NHS|VN_PHONE>``); with ``mask_digits``, runs of 3+ digits left in the text become ``#``."""
    clusters: list[list] = []
    end = -1
    for r in sorted(results, key=lambda r: (r.start, -r.end)):
        if clusters and r.start < end:
            clusters[-1].append(r)
            end = max(end, r.end)
        else:
            clusters.append([r])
            end = r.end

    def plain(segment: str) -> str:
        return _DIGITS.sub(lambda m: "#" * len(m.group()), segment) if mask_digits else segment

    pieces: list[str] = []
    placed: list[tuple[int, int, str]] = []
    pos = length = 0
    for cluster in clusters:
        start, stop = cluster[0].start, max(r.end for r in cluster)
        kinds = list(dict.fromkeys(r.entity_type for r in sorted(cluster, key=lambda r: (-r.score, r.entity_type))))
        before, tag = plain(text[pos:start]), "<" + "|".join(kinds) + ">"
        pieces += [before, tag]
        length += len(before)
        placed += [(length, length + len(tag), kind) for kind in kinds]
        length += len(tag)
        pos = stop
    pieces.append(plain(text[pos:]))
    return "".join(pieces), placed


def redact_text(text: str, analyzer: AnalyzerEngine) -> str:
    """``text`` with every entity the analyzer finds replaced by ``<ENTITY_TYPE>``."""
    return _replace_entities(text, analyze_cells(analyzer, [text])[0])[0]


def _text_examples(text: str, results: list) -> dict[str, str]:
    """One redacted example per entity type found in a text cell: ~EXAMPLE_CHARS characters around the
    first hit of that type, every entity replaced, digit runs masked, whitespace collapsed."""
    redacted, placed = _replace_entities(text, results, mask_digits=True)
    examples: dict[str, str] = {}
    for start, end, entity in placed:
        if entity in examples:
            continue
        begin = max(0, min(start - (EXAMPLE_CHARS - (end - start)) // 2, len(redacted) - EXAMPLE_CHARS))
        stop = begin + EXAMPLE_CHARS
        snippet = _SPACES.sub(" ", redacted[begin:stop]).strip()
        examples[entity] = ("…" if begin > 0 else "") + snippet + ("…" if stop < len(redacted) else "")
    return examples


def _digest(value: str, key: bytes) -> str:
    return "hmac-sha256:" + hmac.new(key, value.encode("utf-8", "surrogatepass"), hashlib.sha256).hexdigest()[:10]


# --------------------------------------------------------------------------------------------------------
# planning and scanning


def plan_columns(sample: pd.DataFrame, declared_types: dict[str, str] | None = None) -> dict[str, str]:
    """Column -> ``text`` (free text: every row is scanned), ``structured`` (short strings, ids, e-mail
    addresses, phones, dates: a sample is scanned) or ``numeric`` (numbers: a sample is scanned as strings,
    since numeric columns can hold phone numbers or ids).

    A declared type (datasheet ``type``) wins: ``text`` -> text; integer/float/number/boolean -> numeric
    (structured when the data is not numeric); string/category/id/date/datetime -> structured.
    """
    declared = {str(k): v for k, v in (declared_types or {}).items() if v}
    plan: dict[str, str] = {}
    for col in sample.columns:
        name = str(col)
        series = sample[col]
        numeric = pd.api.types.is_bool_dtype(series) or pd.api.types.is_numeric_dtype(series)
        if name in declared:
            kind = _DECLARED.get(str(declared[name]).lower())
            if kind is None:
                raise InputError(
                    f"column {name!r}: unknown declared type {declared[name]!r} (expected one of {sorted(_DECLARED)})"
                )
            plan[name] = "structured" if kind == "numeric" and not numeric else kind
        elif numeric:
            plan[name] = "numeric"
        elif pd.api.types.is_datetime64_any_dtype(series) or pd.api.types.is_timedelta64_dtype(series):
            plan[name] = "structured"
        else:
            values = series.dropna().astype(str)
            if values.empty:
                plan[name] = "structured"
                continue
            words = values.str.split().str.len().mean()
            long_values = values.str.len().mean() > TEXT_MIN_MEAN_CHARS and words >= 2  # not one long token
            plan[name] = "text" if long_values or words >= TEXT_MIN_MEAN_WORDS else "structured"
    return plan


def _cell_strings(series: pd.Series) -> list[str]:
    """The non-null values of a column as strings; integral floats without ``.0`` (an id or phone number
    read as float must look like one)."""
    values = series.dropna()
    if pd.api.types.is_float_dtype(values):
        arr = values.to_numpy(dtype="float64")
        integral = np.isfinite(arr) & (np.floor(arr) == arr) & (np.abs(arr) < 1e18)
        return [str(int(v)) if ok else repr(float(v)) for v, ok in zip(arr, integral)]
    if pd.api.types.is_integer_dtype(values) or pd.api.types.is_bool_dtype(values):
        return [str(v) for v in values.tolist()]
    return values.astype(str).tolist()


_INTEGER = re.compile(r"[+-]?\d+")


def _analyze_column(analyzer: AnalyzerEngine, name: str, kind: str, distinct: list[str]) -> list[list]:
    """Results per distinct value: text without context; structured with the column name as context;
    numeric likewise, but only integers (a phone number or an id can be stored as a number, a
    fractional value is neither)."""
    if kind == "text":
        return analyze_cells(analyzer, distinct)
    if kind == "structured":
        return analyze_cells(analyzer, distinct, context=[name])
    whole = [i for i, v in enumerate(distinct) if _INTEGER.fullmatch(v)]
    results: list[list] = [[] for _ in distinct]
    for i, found in zip(whole, analyze_cells(analyzer, [distinct[i] for i in whole], context=[name])):
        results[i] = found
    return results


# Unix times in seconds or milliseconds from 2001-09-09 to 2039-09-19: 10 or 13 digits, a range that
# Vietnamese phone numbers read as numbers (9 digits) and North American ones (2..9 x 10^9) leave out.
_UNIX_TIME = re.compile(r"1\d{9}(?:\d{3})?|2[01]\d{8}(?:\d{3})?")
# a column name that says "time": reviewTime, created_at, eventTs, last_updated, dob_date ...
_TIME_WORDS = re.compile(r"time|date|epoch|created|updated|modified|(?:^|_)ts(?:_|$)|_at$")


def _is_unix_time(value: str) -> bool:
    return _UNIX_TIME.fullmatch(value) is not None


def _named_as_time(column: str) -> bool:
    words = re.sub(r"([a-z0-9])([A-Z])", r"\1_\2", column).lower().replace("-", "_").replace(" ", "_")
    return _TIME_WORDS.search(words) is not None


def _distinct(values: list[str]) -> tuple[list[str], list[int]]:
    index: dict[str, int] = {}
    inverse = [index.setdefault(v, len(index)) for v in values]
    return list(index), inverse


def scan_pii_partition(
    df: pd.DataFrame,
    plan: dict[str, str],
    *,
    sample_rows: int,
    ner_model: str | None,
    seed: int = 0,
    example_key: str | None = None,
) -> PiiPartial:
    """Scan one partition.

    Structured and numeric columns: up to ``sample_rows`` non-null values per column, drawn with a
    generator seeded by (``seed``, column name), analysed with the column name as context. Text columns:
    every non-null row. Columns missing from ``plan`` are planned from this partition.

    ``example_key`` keys the digests of structured examples (default: a random key of this process, so
    digests agree within one process only).
    """
    if sample_rows < 1:
        raise InputError(f"sample_rows must be at least 1, got {sample_rows}")
    started = time.perf_counter()
    analyzer, ner = build_analyzer(ner_model)
    key = example_key.encode() if example_key else _PROCESS_KEY
    unplanned = [c for c in df.columns if str(c) not in plan]
    plan = {**plan, **(plan_columns(df[unplanned]) if unplanned else {})}
    columns: dict[str, ColumnPii] = {}
    for col in df.columns:
        name = str(col)
        kind = plan[name]
        if kind not in KINDS:
            raise InputError(f"column {name!r}: unknown plan kind {kind!r} (expected one of {list(KINDS)})")
        values = _cell_strings(df[col])
        stats = ColumnPii(kind=kind, values=len(values))
        if kind != "text" and len(values) > sample_rows:
            rng = np.random.default_rng([seed & 0xFFFFFFFF, zlib.crc32(name.encode())])
            picks = np.sort(rng.choice(len(values), size=sample_rows, replace=False))
            values = [values[i] for i in picks]
        stats.scanned = len(values)
        if kind != "text":
            stats.unix_times = sum(1 for v in values if _is_unix_time(v))
        distinct, inverse = _distinct(values)
        results = _analyze_column(analyzer, name, kind, distinct)
        examples_of: dict[int, dict[str, str]] = {}
        for u in inverse:
            found = results[u]
            if not found:
                continue
            stats.with_pii += 1
            entities = dict.fromkeys(r.entity_type for r in found)
            for entity in entities:
                stats.counts[entity] = stats.counts.get(entity, 0) + 1
                kept = stats.examples.setdefault(entity, [])
                if len(kept) >= EXAMPLES_PER_ENTITY:
                    continue
                if kind == "text":
                    if u not in examples_of:
                        examples_of[u] = _text_examples(distinct[u], found)
                    example = examples_of[u][entity]
                else:
                    example = f"<{entity}> {_digest(distinct[u], key)}"
                if example not in kept:
                    kept.append(example)
        columns[name] = stats
    return PiiPartial(
        columns=columns,
        rows=len(df),
        ner_model=ner_model or None,
        ner_available=ner,
        seconds=time.perf_counter() - started,
    )


def merge_pii(partials: list[PiiPartial]) -> PiiResult:
    """Sum the partials' counts (in the given order, which also orders the examples)."""
    columns: dict[str, ColumnPii] = {}
    for part in partials:
        for name, col in part.columns.items():
            into = columns.setdefault(name, ColumnPii(kind=col.kind))
            into.values += col.values
            into.scanned += col.scanned
            into.with_pii += col.with_pii
            into.unix_times += col.unix_times
            for entity, count in col.counts.items():
                into.counts[entity] = into.counts.get(entity, 0) + count
            for entity, examples in col.examples.items():
                kept = into.examples.setdefault(entity, [])
                kept += [e for e in examples if e not in kept][: EXAMPLES_PER_ENTITY - len(kept)]
    return PiiResult(
        columns=columns,
        rows=sum(p.rows for p in partials),
        partitions=len(partials),
        ner_model=next((p.ner_model for p in partials if p.ner_model), None),
        ner_available=bool(partials) and all(p.ner_available for p in partials),
        seconds=sum(p.seconds for p in partials),
    )


# --------------------------------------------------------------------------------------------------------
# evidence


def _pct(x: float) -> str:
    return f"{100 * x:.1f}%"


def pii_checks(
    result: PiiResult,
    *,
    min_prevalence: float,
    confidence: float = 0.95,
    ner_available: bool,
    declared: dict[str, bool] | None = None,
) -> tuple[list[Check], list[Finding]]:
    """One check ``data.pii.column.<column>`` per column, one finding per column holding PII, and the
    ``data.pii.ner`` check (inconclusive without an NER model).

    A structured or numeric column holds PII when an entity type is in at least ``min_prevalence`` of
    its analysed values; a text column when any row has a hit. ``details.entities`` lists only the
    entity types that made the column PII; the others are in ``details.below_threshold``.
    ``declared`` holds the datasheet's ``pii`` flags: a column declared personal data is one whatever the
    scan finds (``details.declared_pii``); a column declared not to be keeps what the scan finds, and the
    message says the two disagree.
    """
    checks: list[Check] = []
    findings: list[Finding] = []
    for name, col in result.columns.items():
        check_id = f"data.pii.column.{name}"
        n = col.scanned
        text = col.kind == "text"
        metrics = [Metric(name="values", value=col.values), Metric(name="values_scanned", value=n)]
        flagged: dict[str, dict[str, Any]] = {}
        below: dict[str, dict[str, Any]] = {}
        for entity, k in sorted(col.counts.items(), key=lambda kv: (-kv[1], kv[0])):
            share = k / n if n else 0.0
            info: dict[str, Any] = {
                "count": k,
                "prevalence": round(share, 6),
                "direct_identifier": entity in DIRECT_IDENTIFIERS,
            }
            prevalence = Metric(name=f"{entity}.prevalence", value=round(share, 6), n=n)
            if col.sampled:
                lo, hi = wilson_interval(k, n, confidence)
                info.update(lower=round(lo, 6), upper=round(hi, 6), confidence=confidence)
                prevalence = Metric(
                    name=f"{entity}.prevalence",
                    value=round(share, 6),
                    lower=round(lo, 6),
                    upper=round(hi, 6),
                    confidence=confidence,
                    n=n,
                )
            metrics += [Metric(name=f"{entity}.count", value=k, n=n), prevalence]
            (flagged if k > 0 and (text or share >= min_prevalence) else below)[entity] = info
        unit = "rows" if text else ("sampled values" if col.sampled else "values")
        explained: dict[str, dict[str, Any]] = {}
        says = (declared or {}).get(name)
        if not text and n and col.unix_times == n and flagged and _named_as_time(name) and says is not True:
            # Every value is a Unix time and the column is named as a time: the number patterns match
            # their digits by coincidence. Recorded (counts above, details.explained), not counted as PII.
            explained, flagged = flagged, {}
        if n == 0:
            outcome, message = Outcome.PASS, "no non-null values"
        elif explained:
            outcome = Outcome.PASS
            message = (
                f"all {n} {unit} are Unix times (2001-2039) in a column named as a time: "
                f"{', '.join(explained)} match their digits by coincidence and are not counted as PII"
            )
        elif flagged:
            outcome = Outcome.WARN
            parts = []
            for entity, info in flagged.items():
                ci = (
                    f" ({int(confidence * 100)}% CI {_pct(info['lower'])}-{_pct(info['upper'])})"
                    if "lower" in info
                    else ""
                )
                parts.append(f"{entity} in {info['count']} ({_pct(info['prevalence'])}{ci})")
            message = f"{', '.join(parts)} of {n} {unit}"
            if says is True:
                message = f"declared personal data in the datasheet; {message}"
            elif says is False:
                message += " (the datasheet declares it not personal data)"
        elif says is True:
            outcome = Outcome.WARN
            message = f"declared personal data in the datasheet (the scan found no identifier pattern in {n} {unit})"
        else:
            outcome = Outcome.PASS
            message = f"no PII in {n} {unit}" + (
                f" (below {_pct(min_prevalence)}: {', '.join(below)})" if below else ""
            )
        if not text:
            metrics.append(Metric(name="unix_time_values", value=col.unix_times, n=n))
        if text:
            metrics.append(Metric(name="values_with_pii", value=col.with_pii, n=n))
            threshold = Threshold(metric="values_with_pii", op="==", value=0)
        else:
            top = max((info["prevalence"] for info in [*flagged.values(), *below.values()]), default=0.0)
            metrics.append(Metric(name="max_prevalence", value=top, n=n))
            threshold = Threshold(metric="max_prevalence", op="<", value=min_prevalence)
        checks.append(
            Check(
                id=check_id,
                title=f"PII in column {name}",
                category="privacy",
                outcome=outcome,
                message=message,
                metrics=metrics,
                threshold=threshold,
                evidence_kind="pii_scan",
                details={
                    "column": name,
                    "kind": col.kind,
                    "entities": flagged,
                    "below_threshold": below,
                    **({"explained": explained, "explanation": "unix_time"} if explained else {}),
                    **({"declared_pii": says} if says is not None else {}),
                    "sampled": col.sampled,
                    "values": col.values,
                    "scanned": n,
                    "min_prevalence": min_prevalence,
                },
            )
        )
        if outcome != Outcome.WARN:
            continue
        direct = sorted(e for e in flagged if e in DIRECT_IDENTIFIERS)
        examples = [x for e in flagged for x in col.examples.get(e, [])][: 3 * EXAMPLES_PER_ENTITY]
        holds = f"holds {', '.join(flagged)}" if flagged else "holds no identifier pattern the scan knows"
        if text:
            remediation = (
                "redact the identifiers in this free text before use (the anonymized copy replaces them "
                "with salted pseudonyms) or drop the column"
            )
        else:
            remediation = (
                "drop the column or replace its values with salted pseudonyms (anonymized copy), and "
                "record the legal basis for processing it"
            )
        findings.append(
            Finding(
                id=f"pii.column.{name}",
                severity=Severity.HIGH if direct or says else Severity.MEDIUM,
                category="privacy",
                check_id=check_id,
                location={"column": name},
                count=col.with_pii,
                examples=examples,
                message=(
                    f"column {name!r} ({col.kind}) "
                    + ("is declared personal data and " if says else "")
                    + holds
                    + (f"; direct identifiers: {', '.join(direct)}" if direct else "")
                ),
                remediation=remediation,
            )
        )
    if ner_available:
        ner_check = Check(
            id="data.pii.ner",
            title="Names, locations and groups (NER) were looked for",
            category="privacy",
            outcome=Outcome.PASS,
            message=f"PERSON/LOCATION/NRP detection ran with NER model {result.ner_model}",
            evidence_kind="pii_scan",
            details={"ner_model": result.ner_model},
        )
    else:
        reason = f"model {result.ner_model!r} has no NER component" if result.ner_model else "no NER model configured"
        ner_check = Check(
            id="data.pii.ner",
            title="Names, locations and groups (NER) were looked for",
            category="privacy",
            outcome=Outcome.INCONCLUSIVE,
            message=f"PERSON/LOCATION/NRP detection was not run: {reason}",
            evidence_kind="pii_scan",
            details={"ner_model": result.ner_model},
        )
    checks.append(ner_check)
    return checks, findings


# --------------------------------------------------------------------------------------------------------
# anonymized copy


@lru_cache(maxsize=1)
def _anonymizer():
    from presidio_anonymizer import AnonymizerEngine

    return AnonymizerEngine()


#: hex digits of the keyed digest kept in a pseudonym (96 bits), spelled with letters only
PSEUDONYM_CHARS = 24
_LETTERS_ONLY = str.maketrans("0123456789abcdef", "ghjkmnpqrstvwxyz")


def pseudonymizer(salt: str):
    """The function that turns a detected value into its pseudonym: HMAC-SHA256 keyed with ``salt``,
    truncated to ``PSEUDONYM_CHARS`` hex digits spelled with letters only ("0912345678" ->
    "xkpmg..."). Same value and salt, same pseudonym (joins survive); without the salt it cannot be
    reversed by enumerating phone numbers or ids; and having no digit, "@" or ".", a pseudonym cannot be
    taken for PII when the anonymized copy is reviewed again (hex digests do look like ids)."""
    if len(salt.encode()) < 16:
        raise InputError("the pseudonym salt must be at least 16 bytes")
    key = salt.encode()

    def pseudonym(value: str) -> str:
        digest = hmac.new(key, value.encode("utf-8", "surrogatepass"), hashlib.sha256).hexdigest()
        return digest[:PSEUDONYM_CHARS].translate(_LETTERS_ONLY)

    return pseudonym


def anonymize_frame(
    df: pd.DataFrame,
    plan: dict[str, str],
    *,
    salt: str,
    ner_model: str | None = None,
    whole: frozenset[str] | set[str] = frozenset(),
) -> pd.DataFrame:
    """A copy of ``df`` in which every detected entity in every cell of the planned columns is replaced
    through Presidio's AnonymizerEngine by a stable salted pseudonym (:func:`pseudonymizer`, as a
    ``custom`` operator); in the ``whole`` columns (declared personal data) every value that is not free
    text is replaced whole.
    A numeric column in which something is replaced becomes a column of strings."""
    from presidio_anonymizer.entities import OperatorConfig, RecognizerResult

    pseudonym = pseudonymizer(salt)
    operators = {"DEFAULT": OperatorConfig("custom", {"lambda": pseudonym})}
    analyzer, _ = build_analyzer(ner_model)
    engine = _anonymizer()
    out = df.copy()
    for col in df.columns:
        name = str(col)
        if name not in plan and name not in whole:  # columns outside the plan are left as they are
            continue
        series = df[col]
        values = _cell_strings(series)
        distinct, inverse = _distinct(values)
        kind = plan.get(name, "structured")
        if kind not in KINDS:
            raise InputError(f"column {name!r}: unknown plan kind {kind!r} (expected one of {list(KINDS)})")
        if name in whole and kind != "text":  # free text keeps its words: entities are replaced, as always
            replaced = {u: pseudonym(value) for u, value in enumerate(distinct)}
        else:
            results = _analyze_column(analyzer, name, kind, distinct)
            replaced = {
                u: engine.anonymize(
                    distinct[u], [RecognizerResult(r.entity_type, r.start, r.end, r.score) for r in rs], operators
                ).text
                for u, rs in enumerate(results)
                if rs
            }
        if not replaced:
            continue
        positions = np.flatnonzero(series.notna().to_numpy())
        if pd.api.types.is_string_dtype(series) or pd.api.types.is_object_dtype(series):
            arr = series.to_numpy(dtype=object, copy=True)
            for at, u in zip(positions, inverse):
                if u in replaced:
                    arr[at] = replaced[u]
            out[col] = pd.Series(arr, index=df.index, dtype=series.dtype)
        else:  # numeric, boolean, dates: the column becomes strings
            arr = np.full(len(series), None, dtype=object)
            arr[positions] = [replaced.get(u, distinct[u]) for u in inverse]
            out[col] = pd.Series(arr, index=df.index, dtype="string")
    return out
