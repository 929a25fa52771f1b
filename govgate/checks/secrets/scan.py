"""Scanning: the cells of a partition, a text file streamed with bounded memory, and merging partials."""

from __future__ import annotations

import codecs
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any

from govgate.checks.secrets.config import PIECE, PIECE_OVERLAP, PRIO_VENDOR
from govgate.checks.secrets.pem import PemBlock, PemState
from govgate.checks.secrets.results import SecretsPartial, SecretsResult, SourceTally
from govgate.checks.secrets.session import Scanner, open_scanner, resolve_candidates
from govgate.errors import InputError

if TYPE_CHECKING:
    import pandas as pd

# ---------------------------------------------------------------------------------------------------------------
# scanning


def _scan_piece(
    scanner: Scanner, text: str, need: int, *, first: bool = True, last: bool = True
) -> list[tuple[int, str, str]]:
    """Candidates in one line (or one window of a long line). In a window, a match touching a cut edge may be
    truncated; it is dropped here and found whole in the neighbouring window (the windows overlap).

    Text longer than PIECE chars is cut the same way into overlapping pieces: some detect-secrets patterns
    backtrack over the whole line for every candidate (``//.+/:_authToken=``), which is quadratic on a
    minified file's megabyte lines and linear on pieces."""
    if len(text) > PIECE:
        out: list[tuple[int, str, str]] = []
        step = PIECE - PIECE_OVERLAP
        for start in range(0, len(text) - PIECE_OVERLAP, step):
            piece = text[start : start + PIECE]
            piece_need = scanner.needs(piece)
            if piece_need:
                end = start + len(piece)
                out.extend(
                    _scan_piece(
                        scanner,
                        piece,
                        piece_need,
                        first=first if start == 0 else False,
                        last=last if end >= len(text) else False,
                    )
                )
        return out
    out = []
    for prio, typ, value, spans in scanner.candidates(text, need):
        if spans and not any((first or s > 0) and (last or e < len(text)) for s, e in spans):
            continue
        out.append((prio, typ, value))
    return out


def scan_line_text(
    scanner: Scanner,
    pem: PemState,
    text: str,
    row: int,
    *,
    can_continue: bool = True,
    first: bool = True,
    last: bool = True,
) -> tuple[list[tuple[int, str, str]], list[PemBlock]]:
    """PEM handling plus the detectors on the parts of ``text`` outside PEM blocks."""
    need = scanner.needs(text)
    if pem.open is None and not need:
        return [], []
    spans, blocks = pem.feed(text, row, can_continue=can_continue)
    cands: list[tuple[int, str, str]] = []
    for s, e in spans:
        whole = (s, e) == (0, len(text))
        part = text if whole else text[s:e]
        part_need = need if whole else scanner.needs(part)
        if part_need:
            cands.extend(_scan_piece(scanner, part, part_need, first=first or s > 0, last=last or e < len(text)))
    return cands, blocks


def scan_secrets_partition(
    df: pd.DataFrame, columns: list[str], *, row_offset: int = 0, prefilter: bool = True, key: bytes | None = None
) -> SecretsPartial:
    """Scan every non-null cell of ``columns`` (each line of a multi-line cell; PEM blocks across lines).
    Row numbers are ``row_offset`` + the cell's position in ``df`` (0-based, dataset-wide).
    ``prefilter=False`` runs every detector on every cell (same result, 2-25x slower; for audits).
    ``key`` keys the secrets' fingerprints (see ``fingerprint``)."""
    missing = [c for c in columns if c not in df.columns]
    if missing:
        raise InputError(f"secrets scan: column(s) {missing} not in the partition (columns: {list(df.columns)[:20]})")
    with open_scanner(prefilter) as scanner:
        partial = _partial(scanner)
        for column in columns:
            tally = partial.sources[str(column)] = SourceTally(name=str(column), kind="column")
            series = df[column]
            null = series.isna().tolist()
            for i, (cell, isnull) in enumerate(zip(series.tolist(), null)):
                if isnull:
                    continue
                text = cell if isinstance(cell, str) else str(cell)
                tally.cells += 1
                if not scanner.needs(text):
                    tally.lines += text.count("\n") + 1
                    tally.prefiltered += 1
                    continue
                row = row_offset + i
                lines = text.split("\n")
                tally.lines += len(lines)
                pem = PemState()
                cands: list[tuple[int, str, str]] = []
                blocks: list[PemBlock] = []
                for line in lines:
                    c, b = scan_line_text(scanner, pem, line.rstrip("\r"), row)
                    cands.extend(c)
                    blocks.extend(b)
                blocks.extend(pem.close())
                cands.extend((PRIO_VENDOR, "Private Key", b.value) for b in blocks)
                tally.add_row(row, resolve_candidates(cands, key))
    return partial


def _partial(scanner: Scanner) -> SecretsPartial:
    return SecretsPartial(
        detect_secrets_version=scanner.version,
        plugins=scanner.plugin_names,
        filters=scanner.filter_names,
        prefilter=scanner.prefilter,
    )


def _iter_lines(f: Any, max_line_bytes: int, overlap: int) -> Iterator[tuple[int, str, bool, bool]]:
    """(line number, text, first window, last window): whole lines, or overlapping windows of a long line.
    At most ``max_line_bytes`` bytes (plus the overlap) are held at a time."""
    decoder = codecs.getincrementaldecoder("utf-8")(errors="replace")
    step = max(1, max_line_bytes - overlap)
    number = 0
    while True:
        chunk = f.readline(max_line_bytes)
        if not chunk:
            return
        number += 1
        if chunk.endswith(b"\n") or len(chunk) < max_line_bytes:
            yield number, chunk.decode("utf-8", "replace").rstrip("\r\n"), True, True
            continue
        decoder.reset()
        window, first = decoder.decode(chunk), True
        while True:
            more = f.readline(step)
            if not more:
                yield number, window + decoder.decode(b"", final=True), first, True
                break
            yield number, window, first, False
            first = False
            ended = more.endswith(b"\n")
            window = window[-overlap:] + decoder.decode(more, final=ended)
            if ended:
                yield number, window.rstrip("\r\n"), False, True
                break


def scan_text_file(
    path: str | Path, *, max_line_bytes: int = 1_000_000, prefilter: bool = True, key: bytes | None = None
) -> SecretsPartial:
    """Stream a text file line by line (UTF-8, undecodable bytes replaced). A line longer than
    ``max_line_bytes`` is scanned in overlapping windows, never loaded whole. Rows are 1-based line numbers."""
    path = Path(path)
    if max_line_bytes < 1024:
        raise InputError(f"secrets scan: max_line_bytes must be at least 1024 (got {max_line_bytes})")
    overlap = min(16_384, max_line_bytes // 2)
    try:
        f = path.open("rb")
    except OSError as exc:
        raise InputError(f"secrets scan: cannot read {path}: {exc.strerror or exc}") from exc
    with f, open_scanner(prefilter) as scanner:
        partial = _partial(scanner)
        tally = partial.sources[path.name] = SourceTally(name=path.name, kind="file")
        _scan_lines(scanner, tally, _iter_lines(f, max_line_bytes, overlap), key)
    return partial


def scan_file_lines(
    lines: pd.Series, name: str, *, first_line: int = 1, prefilter: bool = True, key: bytes | None = None
) -> SecretsPartial:
    """The lines of a text file read as a one-column table (a data review of a ``.py`` or ``.env`` file):
    scanned as a file, so a PEM block across lines is one secret and rows are 1-based line numbers
    (``first_line`` is the number of ``lines``' first line). A PEM block cut by a partition's end counts
    in each part."""
    with open_scanner(prefilter) as scanner:
        partial = _partial(scanner)
        tally = partial.sources[name] = SourceTally(name=name, kind="file")
        numbered = (
            (first_line + i, "" if v is None or v != v else str(v), True, True) for i, v in enumerate(lines.tolist())
        )
        _scan_lines(scanner, tally, numbered, key)
    return partial


def _scan_lines(
    scanner: Scanner, tally: SourceTally, lines: Iterator[tuple[int, str, bool, bool]], key: bytes | None
) -> None:
    """Lines (number, text, first window, last window) of one file into ``tally``; PEM blocks followed
    across lines, a line's secrets held while a block is open so that the block counts once."""
    pem = PemState()
    pending: dict[int, list[tuple[int, str, str]]] = {}  # lines held while a PEM block is open

    def settle(blocks: list[PemBlock]) -> None:
        for b in blocks:
            pending.setdefault(b.row, []).append((PRIO_VENDOR, "Private Key", b.value))
        if pem.open is None:
            for row in sorted(pending):
                tally.add_row(row, resolve_candidates(pending[row], key))
            pending.clear()

    window_cands: list[tuple[int, str, str]] = []
    for number, text, first, last in lines:
        if first:
            tally.cells += 1
            tally.lines += 1
        if first and last:  # a whole line
            if pem.open is None and not scanner.needs(text):
                tally.prefiltered += 1
                continue
            cands, blocks = scan_line_text(scanner, pem, text, number)
            if cands:
                pending.setdefault(number, []).extend(cands)
            settle(blocks)
            continue
        # a window of a long line: scanned on its own (a long line is no PEM body line)
        if first:
            settle(pem.close())
            window_cands = []
        if scanner.needs(text):
            window_cands.extend(_scan_window(scanner, text, number, first=first, last=last))
        if last:
            if window_cands:
                pending.setdefault(number, []).extend(window_cands)
            settle([])
    settle(pem.close())


def _scan_window(scanner: Scanner, text: str, row: int, *, first: bool, last: bool) -> list[tuple[int, str, str]]:
    spans, blocks = PemState().feed(text, row, can_continue=False)
    out: list[tuple[int, str, str]] = []
    for s, e in spans:
        part = text[s:e]
        need = scanner.needs(part)
        if need:
            out.extend(_scan_piece(scanner, part, need, first=first or s > 0, last=last or e < len(text)))
    for b in blocks:
        truncated = not b.complete and b.end == len(text)
        if (first or b.start > 0) and (last or not truncated):
            out.append((PRIO_VENDOR, "Private Key", b.value))
    return out


def merge_secrets(partials: list[SecretsPartial]) -> SecretsResult:
    """Partitions are disjoint row ranges: counts add up, secrets (hashes) and row numbers unite."""
    result = SecretsResult(partitions=len(partials))
    for p in partials:
        for name, source in p.sources.items():
            if name in result.sources:
                result.sources[name].merge(source)
            else:
                result.sources[name] = SourceTally(name=source.name, kind=source.kind)
                result.sources[name].merge(source)
        if not result.detect_secrets_version:
            result.detect_secrets_version, result.plugins, result.filters = (
                p.detect_secrets_version,
                list(p.plugins),
                list(p.filters),
            )
        elif p.detect_secrets_version and p.detect_secrets_version != result.detect_secrets_version:
            result.detect_secrets_version = ", ".join(
                sorted({*result.detect_secrets_version.split(", "), p.detect_secrets_version})
            )
        result.prefilter = result.prefilter and p.prefilter
    return result
