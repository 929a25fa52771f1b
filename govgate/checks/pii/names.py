"""Person names in structured columns without NER: by the column's name and the shape of its values.

Presidio finds names only with an NER model, so without one a column ``name`` of full names passed as "no
PII". A column is reported as likely holding person names (never as verified) when its name says so
(``name``, ``first``, ``last``, ``full_name``, ``customer_name``, ``ho_ten``, ``ten`` ...) and most values are
1-4 alphabetic words with many distinct values, or, whatever its name, when most values are 2-4
capitalised alphabetic words and most are distinct.
"""

from __future__ import annotations

import regex as re

LIKELY_PERSON_NAME = "LIKELY_PERSON_NAME"
# words of a column name that say "a person's name" ...
NAME_WORDS = frozenset(
    "name names fullname firstname lastname middlename surname forename first last ho ten hoten".split()
)
# ... and the words that may stand beside them (whose name): "product_name" is not a person's name
PERSON_WORDS = frozenset(
    "customer reviewer patient user employee person client contact owner holder applicant student member driver "
    "author buyer seller recipient sender beneficiary cardholder account card defendant offender staff emp cust "
    "khach hang nguoi nhan vien benh full given family middle dem the of and or".split()
)
_WORD = r"[\p{L}][\p{L}'’\-]*\.?"
_ALPHA_WORDS = re.compile(rf"{_WORD}(?: {_WORD}){{0,3}}")
_CAPITALISED = r"\p{Lu}[\p{Ll}'’\-]*\.?"
_FULL_NAME = re.compile(rf"{_CAPITALISED}(?: {_CAPITALISED}){{1,3}}")
MOSTLY = 0.8  # share of values of the name shape
MIN_DISTINCT_SHARE = 0.1  # names vary; a code list (race, sex, state) does not
SHAPE_ONLY_DISTINCT_SHARE = 0.5  # without a name in the column's name, most values must differ
SHAPE_ONLY_MIN_VALUES = 20


def column_words(column: str) -> list[str]:
    spaced = re.sub(r"([\p{Ll}0-9])(\p{Lu})", r"\1 \2", column)
    return [w for w in re.split(r"[^\p{L}0-9]+", spaced.lower()) if w]


def named_as_person_name(column: str) -> bool:
    words = set(column_words(column))
    return bool(words & NAME_WORDS) and words <= NAME_WORDS | PERSON_WORDS


def alpha_words(value: str) -> bool:
    """1-4 alphabetic words (any case: some exports lower-case names)."""
    return _ALPHA_WORDS.fullmatch(value.strip()) is not None


def full_name_shaped(value: str) -> bool:
    """2-4 capitalised alphabetic words."""
    return _FULL_NAME.fullmatch(value.strip()) is not None


def likely_names_evidence(column: str, scanned: int, alpha: int, full: int, distinct_share: float) -> str | None:
    """Why the column likely holds person names, or None when it does not."""
    if not scanned:
        return None
    if named_as_person_name(column) and alpha >= MOSTLY * scanned and distinct_share >= MIN_DISTINCT_SHARE:
        return (
            f"the column's name says name and {alpha} of {scanned} values are 1-4 alphabetic words "
            f"({distinct_share:.0%} distinct)"
        )
    if scanned >= SHAPE_ONLY_MIN_VALUES and full >= MOSTLY * scanned and distinct_share >= SHAPE_ONLY_DISTINCT_SHARE:
        return f"{full} of {scanned} values are 2-4 capitalised alphabetic words ({distinct_share:.0%} distinct)"
    return None
