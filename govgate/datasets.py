"""Reading a dataset under review: CSV (with or without header), Parquet or JSONL, local or ``s3://``,
in chunks so that a file larger than memory is reviewed without loading it whole.

``inspect_dataset`` makes one streaming pass over the bytes that yields the SHA-256 (for the record),
the size and the longest line, so that a file with an absurd line (a 2 GB single-line "CSV") is refused
before pandas tries to hold that line. Every problem is an ``InputError`` naming the file and what is wrong.
"""

from __future__ import annotations

import csv
import hashlib
import io
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd

from govgate.csv_header import first_row_signs, looks_like_data
from govgate.datasheet import Datasheet
from govgate.digest import BLOCK
from govgate.errors import GovgateError, InputError
from govgate.library_errors import described, without_credentials

FORMATS = {".csv": "csv", ".tsv": "csv", ".parquet": "parquet", ".pq": "parquet", ".jsonl": "jsonl", ".ndjson": "jsonl"}
# Text files (source code, configs, logs) are reviewed line by line as a one-column table "line".
TEXT_SUFFIXES = {
    ".txt",
    ".log",
    ".md",
    ".py",
    ".js",
    ".ts",
    ".java",
    ".go",
    ".rb",
    ".sh",
    ".env",
    ".ini",
    ".cfg",
    ".conf",
    ".toml",
    ".yaml",
    ".yml",
    ".json",
    ".xml",
    ".sql",
    ".ipynb",
    ".c",
    ".h",
    ".cpp",
    ".rs",
    ".php",
}
# A record per line: a line of 8 MiB is a document, not a row; longer ones are refused before pandas holds them.
DEFAULT_MAX_LINE_BYTES = 8 * 1024 * 1024
# Wider tables are refused: every column gets its own checks, so time and memory grow with the width.
DEFAULT_MAX_COLUMNS = 4096


@dataclass
class DatasetInfo:
    uri: str  # as given by the user
    path: str  # local file read (a download for s3://)
    format: str
    sha256: str
    size: int
    columns: list[str]
    header: bool
    delimiter: str
    encoding: str
    longest_line: int
    nul_bytes: int = 0  # NUL bytes in the file (CSV/JSONL/text): truncated or binary values
    duplicate_columns: list[str] = field(default_factory=list)  # header names given more than once


def fetch(uri: str, settings, cache_dir: Path) -> Path:
    """A local path for ``uri``: the file itself, or a download of an ``s3://`` object."""
    if uri.startswith("s3://"):
        from govgate.store import store_for_uri

        store, key = store_for_uri(uri, settings)
        dest = cache_dir / hashlib.sha256(uri.encode()).hexdigest()[:16] / Path(key).name
        try:
            if store.head(key) is None:
                raise InputError(f"dataset {uri} does not exist (no object at that key)")
            return store.download(key, dest)
        except InputError:
            raise
        except GovgateError as exc:
            raise InputError(f"dataset {uri} cannot be read: {without_credentials(str(exc))}") from None
    if "://" in uri and not uri.startswith("file://"):
        raise InputError(f"dataset {uri}: unsupported location; expected a local path or s3://bucket/key")
    path = Path(uri[len("file://") :] if uri.startswith("file://") else uri).expanduser()
    if not path.exists():
        raise InputError(f"dataset {path} does not exist")
    if not path.is_file():
        raise InputError(f"dataset {path} is not a file")
    return path


def detect_format(path: Path, sheet: Datasheet) -> str:
    if sheet.format.type:
        return sheet.format.type
    suffixes = [s.lower() for s in path.suffixes if s.lower() not in (".gz", ".zst")]
    last = suffixes[-1] if suffixes else ""
    fmt = FORMATS.get(last) or ("text" if last in TEXT_SUFFIXES else None)
    if fmt is None:
        raise InputError(
            f"dataset {path}: cannot tell the format from the name; set format.type (csv, parquet, jsonl or text) in the datasheet"
        )
    return fmt


def scan_bytes(path: Path) -> tuple[str, int, int, int]:
    """(sha256, size, longest line in bytes, NUL bytes) in one streaming pass."""
    h = hashlib.sha256()
    size = longest = current = nuls = 0
    with open(path, "rb") as f:
        while block := f.read(BLOCK):
            h.update(block)
            size += len(block)
            nuls += block.count(b"\x00")
            start = 0
            while (nl := block.find(b"\n", start)) != -1:
                longest = max(longest, current + nl - start)
                current = 0
                start = nl + 1
            current += len(block) - start
    return h.hexdigest(), size, max(longest, current), nuls


def inspect_dataset(
    uri: str,
    sheet: Datasheet,
    settings,
    *,
    max_line_bytes: int = DEFAULT_MAX_LINE_BYTES,
    max_columns: int = DEFAULT_MAX_COLUMNS,
) -> DatasetInfo:
    path = fetch(uri, settings, settings.home_dir / "cache" / "datasets")
    fmt = detect_format(path, sheet)
    digest, size, longest, nuls = scan_bytes(path)
    if size == 0:
        raise InputError(f"dataset {uri} is empty (0 bytes)")
    if fmt in ("csv", "jsonl", "text") and longest > max_line_bytes:
        raise InputError(
            f"dataset {uri}: a line is {longest:,} bytes long (limit {max_line_bytes:,}); "
            f"this does not look like {fmt.upper()} with one record per line"
        )
    fmt_opts = sheet.format
    info = DatasetInfo(
        uri, str(path), fmt, digest, size, [], fmt_opts.header, fmt_opts.delimiter, fmt_opts.encoding, longest
    )
    info.nul_bytes = nuls if fmt != "parquet" else 0  # Parquet is binary: NULs are its encoding, not values
    info.columns = _columns(info, sheet)
    if len(info.columns) > max_columns:
        raise InputError(
            f"dataset {uri} has {len(info.columns):,} columns (limit {max_columns:,}); review a narrower extract "
            "or raise the limit (max_columns)"
        )
    info.duplicate_columns = sorted(name for name, n in Counter(info.columns).items() if n > 1)
    info.columns = unique_names(info.columns)
    declared = [c.name for c in sheet.columns]
    missing = [name for name in declared if name not in info.columns]
    if missing:
        if len(missing) == len(declared) and info.format == "csv" and info.header:
            # Not one declared name in the first row: it is most likely data (a file without a header),
            # and data must not reach the error record or the logs.
            raise InputError(
                f"dataset {uri}: none of the {len(missing)} column(s) named in the datasheet is in the file's first "
                f"row ({len(info.columns)} fields); if the file has no header row, set format: {{header: false}} "
                "in the datasheet (columns are then taken in the datasheet's order)"
            )
        extra = [c if len(c) <= 40 else c[:37] + "..." for c in info.columns if c not in declared]
        raise InputError(
            f"dataset {uri}: column(s) {missing} named in the datasheet do not exist; the file also has {extra[:20]}"
        )
    return info


def _columns(info: DatasetInfo, sheet: Datasheet) -> list[str]:
    path = Path(info.path)
    if info.format == "text":
        return ["line"]
    if info.format == "parquet":
        import pyarrow.parquet as pq

        try:
            return list(pq.ParquetFile(path).schema_arrow.names)
        except Exception as exc:  # pyarrow raises ArrowInvalid / OSError for non-Parquet bytes
            raise InputError(f"dataset {info.uri} is not a readable Parquet file: {described(exc)}") from None
    if info.format == "jsonl":
        first = next(iter_chunks(info, 1000), None)
        if first is None:
            raise InputError(f"dataset {info.uri} has no records")
        return [str(c) for c in first.columns]
    # CSV: read the first line to learn the columns and catch a wrong delimiter early
    try:
        with open(path, encoding=info.encoding, newline="") as f:
            first_line = ""
            while not first_line.strip():  # pandas skips leading blank lines too
                line = f.readline()
                if not line:
                    raise InputError(f"dataset {info.uri} has no header or data rows (only blank lines)")
                first_line = line
    except UnicodeDecodeError as exc:
        raise InputError(_encoding_message(info, exc)) from None
    except LookupError:
        raise InputError(
            f"dataset {info.uri}: unknown encoding {info.encoding!r} (format.encoding in the datasheet)"
        ) from None
    fields = next(csv.reader([first_line], delimiter=info.delimiter), [])
    if not info.header:
        if not sheet.columns:
            raise InputError(f"dataset {info.uri}: format.header is false, so the datasheet must list the columns")
        names = [c.name for c in sheet.columns]
        if len(fields) != len(names):
            raise InputError(
                f"dataset {info.uri}: the first row has {len(fields)} fields but the datasheet lists {len(names)} columns"
            )
        return names
    _check_delimiter(info, fields, first_line, sheet)
    if not sheet.columns and "header" not in sheet.format.model_fields_set:
        _refuse_data_as_header(info, fields)
    return [f.strip() for f in fields]


def _refuse_data_as_header(info: DatasetInfo, fields: list[str]) -> None:
    """Nothing says whether the file has a header row (no columns, no ``format.header``): if its first row
    looks like data, stop before any value becomes a column name in write-once evidence. Refusing is safer
    than guessing ``col_1..N``: a sealed record under invented names could not be corrected, and the
    datasheet that fixes it is a few lines. The message counts the signs and never quotes a value."""
    rows: list[list[str]] = []
    with open(info.path, encoding=info.encoding, newline="") as f:
        reader = csv.reader((line for line in f if line.strip()), delimiter=info.delimiter)
        try:
            next(reader, None)
            for row in reader:
                rows.append(row)
                if len(rows) >= 50:
                    break
        except (csv.Error, UnicodeDecodeError):
            pass  # a malformed row further down is the chunked reader's error to report
    signs = first_row_signs(fields, rows)
    if looks_like_data(signs):
        shown = ", ".join(f"{name} in {n} column(s)" for name, n in sorted(signs.items()))
        raise InputError(
            f"dataset {info.uri}: the first row looks like data, not column names ({len(fields)} fields; {shown}), "
            "so the file seems to have no header row; review it with a datasheet that sets format: {header: false} "
            "and lists the columns in order (columns: [{name: ...}, ...]), or set format: {header: true} if the "
            "first row is the header"
        )


def unique_names(names: list[str]) -> list[str]:
    """Column names made unique the way pandas' readers do it (``amount``, ``amount.1``), so that the
    names the review plans with are the names of the frames it reads."""
    taken: set[str] = set()
    unique = []
    for name in names:
        candidate, n = name, 0
        while candidate in taken:
            n += 1
            candidate = f"{name}.{n}"
        taken.add(candidate)
        unique.append(candidate)
    return unique


def _check_delimiter(info: DatasetInfo, fields: list[str], first_line: str, sheet: Datasheet) -> None:
    expected = max(len(sheet.columns), 2)
    if len(fields) >= expected:
        return
    for other in (";", "\t", "|", ","):
        if other != info.delimiter and len(next(csv.reader([first_line], delimiter=other), [])) >= expected:
            shown = "\\t" if other == "\t" else other
            raise InputError(
                f"dataset {info.uri}: the header has {len(fields)} field(s) with delimiter {info.delimiter!r}, "
                f"but splitting on {shown!r} gives {len(next(csv.reader([first_line], delimiter=other)))}: "
                f"set format.delimiter: {shown!r} in the datasheet"
            )


def _encoding_message(info: DatasetInfo, exc: UnicodeDecodeError) -> str:
    return (
        f"dataset {info.uri} is not valid {info.encoding}: byte 0x{exc.object[exc.start]:02x} at position {exc.start} "
        f"of a block cannot be decoded; set format.encoding in the datasheet (e.g. latin-1, cp1258)"
    )


def iter_chunks(info: DatasetInfo, chunk_rows: int) -> Iterator[pd.DataFrame]:
    """The dataset as DataFrames of at most ``chunk_rows`` rows, read lazily."""
    path = Path(info.path)
    try:
        if info.format == "parquet":
            import pyarrow.parquet as pq

            for batch in pq.ParquetFile(path).iter_batches(batch_size=chunk_rows):
                yield batch.to_pandas()
        elif info.format == "text":
            yield from _text_chunks(path, info.encoding, chunk_rows)
        elif info.format == "jsonl":
            with pd.read_json(path, lines=True, chunksize=chunk_rows, encoding=info.encoding, dtype=False) as reader:
                yield from reader
        else:
            kwargs = dict(
                sep=info.delimiter,
                encoding=info.encoding,
                chunksize=chunk_rows,
                header=0 if info.header else None,
                on_bad_lines="error",
                engine="c",
                low_memory=False,
            )
            if not info.header:
                kwargs["names"] = info.columns
            with pd.read_csv(path, **kwargs) as reader:
                rows = 0
                for chunk in reader:
                    chunk.columns = [str(c).strip() for c in chunk.columns]
                    _check_cells(info, chunk, rows)
                    rows += len(chunk)
                    yield chunk
    except UnicodeDecodeError as exc:
        raise InputError(_encoding_message(info, exc)) from None
    except (pd.errors.ParserError, ValueError) as exc:  # pandas' JSON reader and pyarrow raise ValueErrors
        # the reader's text keeps its shape only (line numbers, what was expected): it can quote cells
        raise InputError(f"dataset {info.uri} is not well-formed {info.format.upper()}: {described(exc)}") from None
    except pd.errors.EmptyDataError:
        raise InputError(f"dataset {info.uri} has no data rows") from None


def _check_cells(info: DatasetInfo, chunk: pd.DataFrame, rows_before: int) -> None:
    """A quoted field may span many short lines, so the line limit does not bound it: a cell longer than
    that limit (a quote that opens a 50 MB field, fields of many MB) is refused like a line would be."""
    for name in chunk.columns:
        column = chunk[name]
        if column.dtype.kind in "biufcmM":  # numbers and dates: short by construction
            continue
        try:
            lengths = column.str.len()
        except AttributeError:  # an object column without strings
            continue
        longest = lengths.max()
        if pd.notna(longest) and longest > DEFAULT_MAX_LINE_BYTES:
            row = rows_before + int(lengths.to_numpy(dtype="float64", na_value=0).argmax()) + 1
            raise InputError(
                f"dataset {info.uri}: a field in column {str(name)[:40]!r} of data row {row:,} is {int(longest):,} "
                f"characters long (limit {DEFAULT_MAX_LINE_BYTES:,}); a quoted field this long is most likely an "
                "unbalanced or hostile quote, not a value"
            )


def _text_chunks(path: Path, encoding: str, chunk_rows: int) -> Iterator[pd.DataFrame]:
    lines: list[str] = []
    with open(path, encoding=encoding, errors="strict", newline="") as f:
        for line in f:
            lines.append(line.rstrip("\r\n"))
            if len(lines) == chunk_rows:
                yield pd.DataFrame({"line": lines})
                lines = []
    if lines:
        yield pd.DataFrame({"line": lines})


def frame_to_parquet(df: pd.DataFrame) -> bytes:
    """Parquet bytes of a chunk; columns pyarrow cannot type (mixed objects) are written as strings."""
    buf = io.BytesIO()
    try:
        df.to_parquet(buf, index=False)
    except Exception:  # pyarrow.ArrowTypeError / ArrowInvalid on mixed object columns
        buf = io.BytesIO()
        fixed = df.copy()
        for col in fixed.columns:
            if fixed[col].dtype == object:
                fixed[col] = fixed[col].map(
                    lambda v: None if v is None or (isinstance(v, float) and v != v) else str(v)
                )
        fixed.to_parquet(buf, index=False)
    return buf.getvalue()


def parquet_to_frame(data: bytes) -> pd.DataFrame:
    return pd.read_parquet(io.BytesIO(data))
