"""Results of a PII scan: per-column counts, the partial of one partition, and the merged result (picklable)."""

from __future__ import annotations

from dataclasses import dataclass, field

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
    alpha_words: int = 0  # structured values of 1-4 alphabetic words (names.py: person names without NER)
    full_names: int = 0  # structured values of 2-4 capitalised alphabetic words
    distinct_share: float = 0.0  # distinct / analysed values, the highest of any partition

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
