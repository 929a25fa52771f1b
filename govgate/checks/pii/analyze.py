"""Analysing many cells at once: distinct cells joined into documents, spans mapped back to cells, overlaps resolved."""

from __future__ import annotations

from bisect import bisect_right
from typing import TYPE_CHECKING

from govgate.checks.pii.constants import CELLS_PER_DOC, CHARS_PER_DOC, LANGUAGE
from govgate.checks.pii.routing import candidate_tokens_only, cells_with_hints, recognizer_routing

if TYPE_CHECKING:
    from presidio_analyzer import AnalyzerEngine


def _separator() -> str:
    from govgate.checks.recognizers_vn import CELL_BREAK

    return f"\n{CELL_BREAK}\n"


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
    routing = recognizer_routing(analyzer) if route else None
    out: list[list] = [[] for _ in texts]
    if routing is None:
        _analyze_joined(analyzer, texts, list(range(len(texts))), context, None, frozenset(), out)
    else:
        hits = cells_with_hints(texts, routing)
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
