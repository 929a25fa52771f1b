"""Telling a CSV header row from a first row of data, without ever showing the row.

A headerless file read as if it had a header turns its first record (a person's id and name) into column
names, and column names go everywhere: checks, findings, reports, write-once evidence. So a file reviewed
without declared columns is refused when its first row looks like data; the error counts the signs and
never quotes a value. The signs, column by column, compare the first row with the rows below it (as
``csv.Sniffer.has_header`` does, which alone misses text-only files): a number above numbers is data, a
name above numbers is a header; an e-mail, URL, date, bracketed list or long prose is data wherever it is.
"""

from __future__ import annotations

import re

NUMBER = re.compile(r"[-+]?(\d+\.?\d*|\.\d+)([eE][-+]?\d+)?")
YEAR = re.compile(r"(19|20)\d\d")  # wide tables name columns by year ("country,2019,2020")
DATA_SHAPES = (
    re.compile(r"\S@\S+\.\w"),  # e-mail
    re.compile(r"://|^www\."),  # URL
    re.compile(r"^\d{1,4}[-/ .]\d{1,2}[-/ ,.]+\d{2,4}$"),  # date: 2014-02-28, 02/28/2014, "02 28, 2014"
    re.compile(r"^[\[{(].*[\]})]$"),  # a list or mapping: "[0, 0]"
)
LONG_TEXT = 100  # characters: header names are short; prose is data
NUMERIC_BODY = 0.9  # share of the values below that are numbers for a column to count as numeric


def _shaped_like_data(value: str) -> bool:
    return len(value) > LONG_TEXT or any(p.search(value) for p in DATA_SHAPES)


def _vote(value: str, below: list[str]) -> tuple[int, str]:
    """+1 (data), -1 (header) or 0, and the sign's name."""
    numeric_below = bool(below) and sum(bool(NUMBER.fullmatch(v)) for v in below) >= NUMERIC_BODY * len(below)
    if numeric_below:
        if not NUMBER.fullmatch(value):
            return -1, "name above numbers"
        if YEAR.fullmatch(value) and not all(YEAR.fullmatch(v) for v in below):
            return 0, ""
        return 1, "number above numbers"
    if NUMBER.fullmatch(value) and not below:
        return 1, "a number"
    return (1, "value shaped like data") if _shaped_like_data(value) else (0, "")


def first_row_signs(first: list[str], rows: list[list[str]]) -> dict[str, int]:
    """Counts of the signs that the first row is data (positive names) or a header ("name above numbers");
    the first row is data when the data signs outnumber the header signs."""
    signs: dict[str, int] = {}
    for i, raw in enumerate(first):
        value = raw.strip()
        if not value:
            continue  # an unnamed index column ("") says nothing
        below = [r[i].strip() for r in rows if i < len(r) and r[i].strip()]
        vote, name = _vote(value, below)
        if vote:
            signs[name] = signs.get(name, 0) + 1
    return signs


def looks_like_data(signs: dict[str, int]) -> bool:
    header = signs.get("name above numbers", 0)
    return sum(signs.values()) - header > header
