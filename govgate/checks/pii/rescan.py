"""Re-scan of the anonymized copy: the review's analyzer run again over every value the copy rewrote, counting the PII left."""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import regex as re

from govgate.checks.pii.anonymize import PSEUDONYM_CHARS
from govgate.checks.pii.constants import EXAMPLES_PER_ENTITY
from govgate.checks.pii.copy_rules import CopyRules
from govgate.checks.pii.engine import build_analyzer
from govgate.checks.pii.redaction import keyed_digest, text_examples
from govgate.checks.pii.scan import analyze_column, cell_strings, distinct_values

# What the copy writes into an identifier column: a keyed pseudonym (letters only) or a typed placeholder.
# NER reads random letters as names (a pseudonym is "PERSON" to spaCy), so these are not analysed again;
# any other value in an identifier column is, and any entity in it counts.
_REPLACEMENT = re.compile(rf"[a-z]{{{PSEUDONYM_CHARS}}}|<[A-Z][A-Z0-9_|]*>")


@dataclass
class ColumnLeft:
    """What a re-scan found in one column of the copy: cells with PII the rules say must be gone (and
    counts per type, with redacted examples), and types the rules keep (counted, not failed)."""

    cells: int = 0
    with_pii: int = 0
    counts: dict[str, int] = field(default_factory=dict)
    examples: dict[str, list[str]] = field(default_factory=dict)
    kept: dict[str, int] = field(default_factory=dict)
    repassed: int = 0  # cells the first re-scan found PII in, anonymized again (anonymize.EXTRA_PASSES)
    positions: list[int] = field(default_factory=list)  # the partition's row positions with PII left (not recorded)

    def add(self, other: ColumnLeft) -> None:
        self.cells += other.cells
        self.with_pii += other.with_pii
        self.repassed += other.repassed
        for mine, theirs in ((self.counts, other.counts), (self.kept, other.kept)):
            for entity, k in theirs.items():
                mine[entity] = mine.get(entity, 0) + k
        for entity, examples in other.examples.items():
            kept = self.examples.setdefault(entity, [])
            kept += [e for e in examples if e not in kept][: EXAMPLES_PER_ENTITY - len(kept)]


def rescan_frame(
    anon, rules: CopyRules, *, ner_model: str | None, key: bytes, only: dict[str, list[int]] | None = None
) -> dict[str, ColumnLeft]:
    """Every non-null value of every column the copy rewrote (identifier and entity-by-entity columns),
    analysed as the review analyses it (same analyzer, same recognizers, the column name as context for
    structured values). In an identifier column any entity left counts, in any value that is not a
    well-formed replacement; elsewhere the types the rules replace. ``key`` keys the digests of structured
    examples (no raw value is kept). ``only``: just these row positions of these columns (a later pass)."""
    analyzer, _ = build_analyzer(ner_model)
    out: dict[str, ColumnLeft] = {}
    for col in anon.columns:
        rule = rules.columns.get(str(col))
        if rule is None or rule.treatment == "keep" or (only is not None and str(col) not in only):
            continue
        values = cell_strings(anon[col])
        cells = list(zip(np.flatnonzero(anon[col].notna().to_numpy()).tolist(), values))
        if only is not None:
            wanted = set(only[str(col)])
            cells = [(at, v) for at, v in cells if at in wanted]
        if rule.treatment == "identifier":  # a well-formed replacement holds nothing of the value it replaced
            cells = [(at, v) for at, v in cells if not _REPLACEMENT.fullmatch(v)]
        distinct, inverse = distinct_values([v for _, v in cells])
        results = analyze_column(analyzer, str(col), rule.kind, distinct)
        left = out[str(col)] = ColumnLeft(cells=len(values))
        for (at, _), u in zip(cells, inverse):
            bad = []
            for r in results[u]:
                if rule.treatment == "identifier" or rules.replaces(r.entity_type):
                    bad.append(r)
                else:
                    left.kept[r.entity_type] = left.kept.get(r.entity_type, 0) + 1
            if bad:
                left.positions.append(at)
                _count_left(left, distinct[u], bad, rule.kind, key)
    return out


def _count_left(left: ColumnLeft, value: str, bad: list, kind: str, key: bytes) -> None:
    """One cell with PII left: counted per type, with a redacted example (never the raw value)."""
    left.with_pii += 1
    for entity in dict.fromkeys(r.entity_type for r in bad):
        left.counts[entity] = left.counts.get(entity, 0) + 1
        kept = left.examples.setdefault(entity, [])
        if len(kept) < EXAMPLES_PER_ENTITY:
            example = text_examples(value, bad)[entity] if kind == "text" else f"<{entity}> {keyed_digest(value, key)}"
            kept += [example] if example not in kept else []


def merge_rescans(parts: list[dict[str, ColumnLeft]]) -> dict[str, ColumnLeft]:
    merged: dict[str, ColumnLeft] = {}
    for part in parts:
        for name, left in part.items():
            merged.setdefault(name, ColumnLeft()).add(left)
    return merged
