"""Redacted text and examples: detected entities replaced by their type, digit runs masked, keyed digests of structured values."""

from __future__ import annotations

import hashlib
import hmac
from typing import TYPE_CHECKING

import regex as re

from govgate.checks.pii.analyze import analyze_cells
from govgate.checks.pii.constants import EXAMPLE_CHARS

if TYPE_CHECKING:
    from presidio_analyzer import AnalyzerEngine

_SPACES = re.compile(r"\s+")
# Text left between detected entities in an example is masked by shape, whatever the detectors found: a
# token with a digit or of 16+ characters (keys, tokens, ids, phone parts), a URL's user:password, and the
# value after a secret-like keyword. Detectors miss things; an example must not be where they surface.
_URL_USERINFO = re.compile(r"(?P<scheme>[A-Za-z][A-Za-z0-9+.-]*://)[^\s/@]+@")
_SECRET_ASSIGNMENT = re.compile(
    r"(?i)(?P<key>[\w.-]*(?:pass(?:word|wd)?|pwd|secret|token|api[_-]?key|access[_-]?key|private[_-]?key|auth)"
    r"[\w.-]*[\"']?\s*[:=]\s*)(?P<value>\S+)"
)
_SUSPECT_TOKEN = re.compile(r"\S*\d\S*|\S{16,}")
MASK = "<masked>"


def mask_leftovers(segment: str) -> str:
    """``segment`` with credentials and number-bearing or long tokens replaced by ``<masked>``."""
    segment = _URL_USERINFO.sub(lambda m: m.group("scheme") + MASK + "@", segment)
    segment = _SECRET_ASSIGNMENT.sub(lambda m: m.group("key") + MASK, segment)
    return _SUSPECT_TOKEN.sub(lambda m: m.group() if m.group() == MASK else MASK, segment)


def _replace_entities(text: str, results: list, mask_digits: bool = False) -> tuple[str, list[tuple[int, int, str]]]:
    """``text`` with each detected entity replaced by ``<TYPE>``, and where each entity's placeholder
    landed. Overlapping results share one placeholder naming all their types, best score first
    (``<UK_NHS|VN_PHONE>``); with ``mask_digits`` (for examples), the text between entities goes through ``mask_leftovers``."""
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
        return mask_leftovers(segment) if mask_digits else segment

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


def text_examples(text: str, results: list) -> dict[str, str]:
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


def keyed_digest(value: str, key: bytes) -> str:
    return "hmac-sha256:" + hmac.new(key, value.encode("utf-8", "surrogatepass"), hashlib.sha256).hexdigest()[:10]
