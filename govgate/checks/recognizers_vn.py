"""Vietnamese PII recognizers that Presidio does not ship: CCCD and CMND ids, phone numbers, tax codes.

Patterns, context words and the tax-code checksum come from ``standards/catalog.yaml``
(``vn_pii_identifiers``). Every recognizer is a plain ``PatternRecognizer`` subclass and works without an
NLP model: where the catalog asks for context words (CMND), the recognizer looks for them itself in a
window of text before the match, because with the no-op NLP engine Presidio's context enhancer has no
tokens to look at. Context passed to ``AnalyzerEngine.analyze(context=[...])`` (a column name) is honoured
too, through ``enhance_using_context``.

Windows never look past ``CELL_BREAK``: the scanner joins many cells into one document with it, and a
context word in one cell must not vouch for a number in the next.

Two refinements of the catalog regexes: no hex digit may precede a match and no ASCII letter or digit
follow it (:func:`bounded`: digit runs inside hex digests and UUIDs are no phone numbers), and a value
that lost its leading zeros because its column was read as numbers (912345678 for 0912345678) is
recognized when the column name, passed as context, names the identifier.
"""

from __future__ import annotations

import unicodedata
from typing import TYPE_CHECKING

import regex as re
from presidio_analyzer import Pattern, PatternRecognizer, RecognizerResult

if TYPE_CHECKING:
    from presidio_analyzer.nlp_engine import NlpArtifacts

#: character that separates cells in a joined document (U+241E SYMBOL FOR RECORD SEPARATOR)
CELL_BREAK = "\u241e"
#: how many characters before a match are searched for context words (the window also stops at a line end)
CONTEXT_WINDOW = 40

VN_ENTITIES = ("VN_CCCD", "VN_CMND", "VN_PHONE", "VN_TAX_CODE")

# --- catalog facts (standards/catalog.yaml, vn_pii_identifiers) ------------------------------------------
_PROVINCES = (
    "001|002|004|006|008|010|011|012|014|015|017|019|020|022|024|025|026|027|030|031|033|034|035|036|037|038|"
    "040|042|044|045|046|048|049|051|052|054|056|058|060|062|064|066|067|068|070|072|074|075|077|079|080|082|"
    "083|084|086|087|089|091|092|093|094|095|096"
)
CCCD_REGEX_STRICT = rf"(?<!\d)(?:{_PROVINCES})[0-3]\d{{2}}\d{{6}}(?!\d)"
CCCD_REGEX_GENERIC = r"(?<!\d)0\d{2}[0-9]\d{2}\d{6}(?!\d)"
CMND_REGEX = r"(?<!\d)\d{9}(?!\d)"
CMND_CONTEXT = ["CMND", "CMT", "chứng minh nhân dân", "chứng minh thư", "số CMND"]
MOBILE_REGEX_PRECISE = r"(?<![\d+])(?:\+?84|0)[ .-]?(?:3[2-9]|5[25689]|7[06-9]|8[1-9]|9[0-46-9])(?:[ .-]?\d){7}(?!\d)"
MOBILE_REGEX_RECALL = r"(?<![\d+])(?:\+?84|0)[ .-]?[35789](?:[ .-]?\d){8}(?!\d)"
LANDLINE_REGEX = r"(?<![\d+])(?:\+?84|0)[ .-]?2(?:[ .-]?\d){9}(?!\d)"
TAX_CODE_REGEX = r"(?<!\d)\d{10}(?:[ ]?-[ ]?\d{3})?(?!\d)"


def bounded(catalog_regex: str) -> str:
    """A catalog regex with its digit-only boundaries widened: no hex digit before the match and no ASCII
    letter or digit after it, so that runs of digits inside hex digests, UUIDs and other machine ids are
    not taken for phone numbers or ids, while "SĐT0912345678" (a keyword glued in front) still matches."""
    return (
        catalog_regex.replace(r"(?<![\d+])", r"(?<![0-9A-Fa-f+])")
        .replace(r"(?<!\d)", r"(?<![0-9A-Fa-f])")
        .replace(r"(?!\d)", r"(?![0-9A-Za-z])")
    )


TAX_CODE_WEIGHTS = (31, 29, 23, 19, 17, 13, 7, 5, 3)

# Scores. The scanner drops results under 0.4 (govgate.checks.pii.SCORE_THRESHOLD).
CCCD_STRICT_SCORE = 0.65  # province code of the catalog + century digit 0-3
CCCD_GENERIC_SCORE = 0.4  # any 12 digits starting with 0 (births registered abroad use other codes)
CMND_SCORE = 0.6  # only ever emitted with a context word
PHONE_PRECISE_SCORE = 0.7  # known network code
PHONE_RECALL_SCORE = 0.45  # any 0[35789] + 8 digits (the catalog prefers recall for scanning)
LANDLINE_SCORE = 0.5
TAX_SCORE = 0.5  # 10 digits, checksum valid
TAX_BRANCH_SCORE = 0.6  # 10 digits + "-" + branch 001-999, checksum valid
TAX_PHONE_LOOKALIKE_SCORE = 0.3  # a valid checksum on what is also a mobile number: 1 in 11 are
TAX_CONTEXT_SCORE = 0.75  # a tax context word before the match
ZERO_LOST_SCORE = 0.6  # a phone / tax code that lost its leading 0, in a column named after it


def fold(text: str) -> str:
    """Lower case without Vietnamese diacritics ("Chứng Minh" -> "chung minh", "đ" -> "d")."""
    text = text.lower().replace("đ", "d")
    return "".join(c for c in unicodedata.normalize("NFD", text) if not unicodedata.combining(c))


def context_words(words: list[str]) -> list[str]:
    """``words`` plus their folded forms with spaces and underscores, for Presidio's context enhancer,
    which matches them as substrings of the context passed to ``analyze`` (column names such as
    ``ma_so_thue`` or ``so_dien_thoai``)."""
    out: dict[str, None] = {}
    for word in words:
        folded = fold(word)
        out.update(dict.fromkeys([word.lower(), folded, folded.replace(" ", "_")]))
    return list(out)


def _keyword_regex(words: list[str]) -> re.Pattern:
    alternatives = sorted({re.escape(fold(w)) for w in words}, key=len, reverse=True)
    return re.compile(r"(?<![a-z0-9])(?:" + "|".join(alternatives) + r")(?![a-z0-9])")


def window_before(text: str, start: int, size: int = CONTEXT_WINDOW) -> str:
    """The ``size`` characters before ``start``, cut at the last cell break or line end."""
    window = text[max(0, start - size) : start]
    cut = max(window.rfind(CELL_BREAK), window.rfind("\n"))
    return window[cut + 1 :] if cut >= 0 else window


def has_context(text: str, start: int, keywords: re.Pattern) -> bool:
    return bool(keywords.search(fold(window_before(text, start))))


def tax_code_is_valid(number: str) -> bool:
    """Vietnamese tax code (MST) check: 10 digits, or 13 with a branch 001-999 (separators allowed).

    check digit = 10 - (sum(d[i] * w[i], i = 0..8) mod 11), w = 31, 29, 23, 19, 17, 13, 7, 5, 3; a
    remainder of 0 gives "10", which no digit equals, so such numbers are invalid.
    """
    digits = "".join(c for c in number if c.isdigit())
    if len(digits) not in (10, 13) or len(digits) != len(re.sub(r"[ \-.]", "", number)):
        return False
    if digits[2:9] == "0000000" or (len(digits) == 13 and digits[10:] == "000"):
        return False
    total = sum(w * int(d) for w, d in zip(TAX_CODE_WEIGHTS, digits))
    return str(10 - total % 11) == digits[9]


def _context_matches(context: list[str] | None, keywords: re.Pattern) -> bool:
    """Whether any explicitly passed context string (a column name such as ``so_cmnd``) holds a keyword."""
    return any(keywords.search(fold(str(c)).replace("_", " ")) for c in context or [])


def _mark_enhanced(result: RecognizerResult, score: float) -> None:
    result.score = max(result.score, score)
    result.recognition_metadata[RecognizerResult.IS_SCORE_ENHANCED_BY_CONTEXT_KEY] = True


def _whole_value(pattern: str) -> re.Pattern:
    """``pattern`` as a whole value: a line of the (joined) text."""
    return re.compile(rf"(?<![^\n])(?:{pattern})(?![^\n])")


def _zero_restored(
    recognizer: PatternRecognizer,
    text: str,
    raw: list[RecognizerResult],
    context: list[str] | None,
    keywords: re.Pattern,
    value: re.Pattern,
    score_of,
) -> list[RecognizerResult]:
    """``raw`` plus values that lost their leading zeros (a phone or id column read as numbers: 912345678
    for 0912345678), found only when the passed context (the column name) names the identifier.
    ``score_of(value)`` restores the zeros and gives the score, or None when it is no such identifier."""
    if not _context_matches(context, keywords):
        return raw
    seen = {(r.start, r.end) for r in raw}
    extra = []
    for m in value.finditer(text):
        score = score_of(m.group())
        if score is None or (m.start(), m.end()) in seen:
            continue
        explanation = PatternRecognizer.build_regex_explanation(
            recognizer.name, "leading_zero_lost", value.pattern, score, True, 0
        )
        extra.append(
            RecognizerResult(
                entity_type=recognizer.supported_entities[0],
                start=m.start(),
                end=m.end(),
                score=score,
                analysis_explanation=explanation,
                recognition_metadata={
                    RecognizerResult.RECOGNIZER_NAME_KEY: recognizer.name,
                    RecognizerResult.RECOGNIZER_IDENTIFIER_KEY: recognizer.id,
                    RecognizerResult.IS_SCORE_ENHANCED_BY_CONTEXT_KEY: True,
                },
            )
        )
    return [*raw, *extra]


# "+44 ", "+1-", "+33 (" just before a match: a foreign number whose national part starts with a trunk 0
_FOREIGN_CODE = re.compile(r"\+(\d{1,3})[ .\-()]{0,3}$")


def after_foreign_code(text: str, start: int) -> bool:
    """Whether the match at ``start`` follows a country code other than Vietnam's (+84)."""
    code = _FOREIGN_CODE.search(text[max(0, start - 8) : start])
    return code is not None and code.group(1) != "84"


class NotAfterForeignCode:
    """Drops matches written after a foreign country code: "+44 0912 345 678" is a British number."""

    def analyze(
        self, text: str, entities: list[str], nlp_artifacts: NlpArtifacts | None = None, regex_flags: int | None = None
    ) -> list[RecognizerResult]:
        results = super().analyze(text, entities, nlp_artifacts, regex_flags)  # type: ignore[misc]
        return [r for r in results if not after_foreign_code(text, r.start)]


class VnCccdRecognizer(NotAfterForeignCode, PatternRecognizer):
    """VN_CCCD: 12-digit citizen id (căn cước công dân / số định danh cá nhân)."""

    CONTEXT = ["cccd", "căn cước", "citizen", "định danh", "national id", "personal id", "cmnd"]

    def __init__(self, supported_language: str = "en"):
        super().__init__(
            supported_entity="VN_CCCD",
            name="VnCccdRecognizer",
            supported_language=supported_language,
            patterns=[
                Pattern("vn_cccd_strict", bounded(CCCD_REGEX_STRICT), CCCD_STRICT_SCORE),
                Pattern("vn_cccd_generic", bounded(CCCD_REGEX_GENERIC), CCCD_GENERIC_SCORE),
            ],
            context=context_words(self.CONTEXT),
            country_code="vn",
        )
        self._keywords = _keyword_regex(self.CONTEXT)
        self._strict = re.compile(CCCD_REGEX_STRICT)
        self._stripped = _whole_value(r"\d{10,11}")

    def enhance_using_context(
        self,
        text: str,
        raw_recognizer_results: list[RecognizerResult],
        other_raw_recognizer_results: list[RecognizerResult],
        nlp_artifacts: NlpArtifacts,
        context: list[str] | None = None,
    ) -> list[RecognizerResult]:
        # 1099012345 in a column named "cccd" is 001099012345 read as a number (province codes 001-008
        # lose two zeros, the others one).
        def score(value: str) -> float | None:
            restored = value.zfill(12)
            if self._strict.fullmatch(restored):
                return CCCD_STRICT_SCORE
            return ZERO_LOST_SCORE if len(value) == 11 else None

        return _zero_restored(self, text, raw_recognizer_results, context, self._keywords, self._stripped, score)


class VnCmndRecognizer(NotAfterForeignCode, PatternRecognizer):
    """VN_CMND: 9-digit old people's id, reported ONLY with a context word (CMND, CMT, chứng minh nhân dân,
    chứng minh thư, số CMND) in the window before it or in the context passed to ``analyze``."""

    def __init__(self, supported_language: str = "en"):
        super().__init__(
            supported_entity="VN_CMND",
            name="VnCmndRecognizer",
            supported_language=supported_language,
            patterns=[Pattern("vn_cmnd_9", bounded(CMND_REGEX), CMND_SCORE)],
            context=context_words(CMND_CONTEXT),
            country_code="vn",
        )
        self._keywords = _keyword_regex(CMND_CONTEXT)

    def analyze(
        self, text: str, entities: list[str], nlp_artifacts: NlpArtifacts | None = None, regex_flags: int | None = None
    ) -> list[RecognizerResult]:
        results = super().analyze(text, entities, nlp_artifacts, regex_flags)
        kept = [r for r in results if has_context(text, r.start, self._keywords)]
        for r in kept:
            _mark_enhanced(r, CMND_SCORE)
        return kept

    def enhance_using_context(
        self,
        text: str,
        raw_recognizer_results: list[RecognizerResult],
        other_raw_recognizer_results: list[RecognizerResult],
        nlp_artifacts: NlpArtifacts,
        context: list[str] | None = None,
    ) -> list[RecognizerResult]:
        # A column named after the id (e.g. "so_cmnd") is context for every 9-digit value in it.
        if not _context_matches(context, self._keywords):
            return raw_recognizer_results
        seen = {(r.start, r.end) for r in raw_recognizer_results}
        extra = [r for r in super().analyze(text, ["VN_CMND"], nlp_artifacts) if (r.start, r.end) not in seen]
        for r in extra:
            _mark_enhanced(r, CMND_SCORE)
        return [*raw_recognizer_results, *extra]


class VnPhoneRecognizer(NotAfterForeignCode, PatternRecognizer):
    """VN_PHONE: mobile (+84 / 84 / 0, network code, 7 digits) and fixed-line (0 + 2xx area code) numbers."""

    CONTEXT = [
        "điện thoại",
        "sđt",
        "sdt",
        "di động",
        "phone",
        "telephone",
        "mobile",
        "tel",
        "hotline",
        "liên hệ",
        "zalo",
    ]

    def __init__(self, supported_language: str = "en"):
        super().__init__(
            supported_entity="VN_PHONE",
            name="VnPhoneRecognizer",
            supported_language=supported_language,
            patterns=[
                Pattern("vn_mobile_precise", bounded(MOBILE_REGEX_PRECISE), PHONE_PRECISE_SCORE),
                Pattern("vn_mobile_recall", bounded(MOBILE_REGEX_RECALL), PHONE_RECALL_SCORE),
                Pattern("vn_landline", bounded(LANDLINE_REGEX), LANDLINE_SCORE),
            ],
            context=context_words(self.CONTEXT),
            country_code="vn",
        )
        self._keywords = _keyword_regex(self.CONTEXT)
        self._number = re.compile(rf"^(?:{MOBILE_REGEX_RECALL}|{LANDLINE_REGEX})$")
        self._stripped = _whole_value(r"[35789]\d{8}|2\d{9}")

    def enhance_using_context(
        self,
        text: str,
        raw_recognizer_results: list[RecognizerResult],
        other_raw_recognizer_results: list[RecognizerResult],
        nlp_artifacts: NlpArtifacts,
        context: list[str] | None = None,
    ) -> list[RecognizerResult]:
        # 912345678 in a column named "phone" is 0912345678 read as a number.
        def score(value: str) -> float | None:
            return ZERO_LOST_SCORE if self._number.match("0" + value) else None

        return _zero_restored(self, text, raw_recognizer_results, context, self._keywords, self._stripped, score)


class VnTaxCodeRecognizer(NotAfterForeignCode, PatternRecognizer):
    """VN_TAX_CODE: mã số thuế, 10 digits or 10 + "-" + 3-digit branch, with a valid check digit.

    About 1 in 11 random 10-digit numbers pass the checksum, including mobile numbers: a number that is
    also a VN mobile number scores under the reporting threshold unless a tax context word precedes it
    or the passed context (column name) names a tax code.
    """

    CONTEXT = ["mst", "mã số thuế", "mã thuế", "tax", "thuế"]

    def __init__(self, supported_language: str = "en"):
        super().__init__(
            supported_entity="VN_TAX_CODE",
            name="VnTaxCodeRecognizer",
            supported_language=supported_language,
            patterns=[Pattern("vn_tax_code", bounded(TAX_CODE_REGEX), TAX_SCORE)],
            context=context_words(self.CONTEXT),
            country_code="vn",
        )
        self._keywords = _keyword_regex(self.CONTEXT)
        self._mobile = re.compile(rf"^(?:{MOBILE_REGEX_RECALL})$")
        self._stripped = _whole_value(r"\d{9}(?:[ ]?-[ ]?\d{3})?")

    def enhance_using_context(
        self,
        text: str,
        raw_recognizer_results: list[RecognizerResult],
        other_raw_recognizer_results: list[RecognizerResult],
        nlp_artifacts: NlpArtifacts,
        context: list[str] | None = None,
    ) -> list[RecognizerResult]:
        # 100233488 in a column named "ma_so_thue" is 0100233488 read as a number.
        def score(value: str) -> float | None:
            return ZERO_LOST_SCORE if tax_code_is_valid("0" + value) else None

        return _zero_restored(self, text, raw_recognizer_results, context, self._keywords, self._stripped, score)

    def validate_result(self, pattern_text: str) -> bool | None:
        # None keeps the pattern score (True would raise it to 1.0); False drops the match.
        return None if tax_code_is_valid(pattern_text) else False

    def analyze(
        self, text: str, entities: list[str], nlp_artifacts: NlpArtifacts | None = None, regex_flags: int | None = None
    ) -> list[RecognizerResult]:
        results = super().analyze(text, entities, nlp_artifacts, regex_flags)
        for r in results:
            value = text[r.start : r.end]
            if has_context(text, r.start, self._keywords):
                _mark_enhanced(r, TAX_CONTEXT_SCORE)
            elif len(value) > 10:
                r.score = TAX_BRANCH_SCORE
            elif self._mobile.match(value):
                r.score = TAX_PHONE_LOOKALIKE_SCORE
        return results


def vn_recognizers(supported_language: str = "en") -> list[PatternRecognizer]:
    """One instance of each Vietnamese recognizer, for ``RecognizerRegistry.add_recognizer``."""
    return [
        VnCccdRecognizer(supported_language),
        VnCmndRecognizer(supported_language),
        VnPhoneRecognizer(supported_language),
        VnTaxCodeRecognizer(supported_language),
    ]
