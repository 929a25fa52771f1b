"""Result types of a secrets scan (picklable plain dataclasses; hashes, never values)."""

from __future__ import annotations

from dataclasses import dataclass, field

from govgate.checks.secrets.config import FIRST_ROWS
from govgate.errors import InputError

# ---------------------------------------------------------------------------------------------------------------
# result types (picklable plain dataclasses; hashes, never values)


@dataclass
class TypeTally:
    """Secrets of one type in one source."""

    secrets: dict[str, int] = field(default_factory=dict)  # sha256 hex of the value -> length in chars
    rows: int = 0  # rows (file lines) holding at least one secret of this type
    occurrences: int = 0  # (row, distinct secret) pairs
    first_rows: list[int] = field(default_factory=list)  # smallest row numbers, at most FIRST_ROWS

    def merge(self, other: TypeTally) -> None:
        for h, n in other.secrets.items():
            self.secrets.setdefault(h, n)
        self.rows += other.rows
        self.occurrences += other.occurrences
        self.first_rows = sorted(set(self.first_rows) | set(other.first_rows))[:FIRST_ROWS]


@dataclass
class SourceTally:
    """One scanned column (rows are dataset-wide 0-based positions) or file (rows are 1-based line numbers)."""

    name: str
    kind: str  # "column" | "file"
    cells: int = 0  # non-null cells (column) or lines (file) scanned
    lines: int = 0  # text lines scanned (cells can hold several)
    rows_with_secrets: int = 0
    prefiltered: int = 0  # cells/lines the prefilter cleared without running the detectors
    types: dict[str, TypeTally] = field(default_factory=dict)

    def distinct(self) -> set[str]:
        return {h for t in self.types.values() for h in t.secrets}

    def add_row(self, row: int, found: dict[str, tuple[str, int]]) -> None:
        if not found:
            return
        self.rows_with_secrets += 1
        seen: set[str] = set()
        for h, (typ, length) in found.items():
            tally = self.types.setdefault(typ, TypeTally())
            tally.secrets.setdefault(h, length)
            tally.occurrences += 1
            if typ not in seen:
                seen.add(typ)
                tally.rows += 1
                if len(tally.first_rows) < FIRST_ROWS or row < tally.first_rows[-1]:
                    tally.first_rows = sorted({*tally.first_rows, row})[:FIRST_ROWS]

    def merge(self, other: SourceTally) -> None:
        if other.kind != self.kind:
            raise InputError(f"secrets scan: '{self.name}' is both a {self.kind} and a {other.kind}")
        self.cells += other.cells
        self.lines += other.lines
        self.rows_with_secrets += other.rows_with_secrets
        self.prefiltered += other.prefiltered
        for typ, tally in other.types.items():
            self.types.setdefault(typ, TypeTally()).merge(tally)


@dataclass
class SecretsPartial:
    """What one partition (or one file) held: mergeable, picklable, value-free."""

    sources: dict[str, SourceTally] = field(default_factory=dict)
    detect_secrets_version: str = ""
    plugins: list[str] = field(default_factory=list)  # detect-secrets plugin classes that ran
    filters: list[str] = field(default_factory=list)  # detect-secrets filters that ran
    prefilter: bool = True


@dataclass
class SecretsResult:
    """Merged partials: the input of :func:`secrets_checks`."""

    sources: dict[str, SourceTally] = field(default_factory=dict)
    detect_secrets_version: str = ""
    plugins: list[str] = field(default_factory=list)
    filters: list[str] = field(default_factory=list)
    prefilter: bool = True
    partitions: int = field(default=0, compare=False)
