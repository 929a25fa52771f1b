"""Fresh production data of a model: a local folder or an ``s3://`` prefix of dated files
(``2026-11-30.csv``, ``.parquet``, ...) or files whose rows carry a ``date`` column; the window (the last N
days up to ``as_of``) and the label-maturity delay (outcomes younger than it do not count yet). What was
read goes into the record: every file with its digest, rows, the date range. Problems (no files in the
window, another schema, missing columns, zero rows) are collected, each naming the file or column."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import date, timedelta
from pathlib import Path
from urllib.parse import urlparse

import pandas as pd

from govgate import protocol
from govgate.datasets import inspect_dataset, iter_chunks
from govgate.datasheet import Datasheet
from govgate.errors import GovgateError
from govgate.record import InputDigest

_DATED = re.compile(r"(\d{4}-\d{2}-\d{2})")
SUFFIXES = (".csv", ".parquet", ".jsonl", ".json", ".tsv", ".txt")
ROW_DATE = "_govgate_row_date"  # the date each row counts for (from its column or its file's name)


@dataclass(frozen=True)
class Window:
    as_of: date
    days: int
    label_delay_days: int = 0

    @property
    def start(self) -> date:
        return self.as_of - timedelta(days=self.days - 1)

    @property
    def labels_until(self) -> date:
        """Rows dated after this have outcomes too young to count."""
        return self.as_of - timedelta(days=self.label_delay_days)

    def contains(self, day: date) -> bool:
        return self.start <= day <= self.as_of

    def to_dict(self) -> dict:
        return {
            "start": self.start.isoformat(),
            "end": self.as_of.isoformat(),
            "days": self.days,
            "label_delay_days": self.label_delay_days,
            "labels_until": self.labels_until.isoformat(),
        }


@dataclass
class FreshData:
    location: str
    window: Window
    frame: pd.DataFrame = field(default_factory=pd.DataFrame)
    inputs: list[InputDigest] = field(default_factory=list)
    files: list[dict] = field(default_factory=list)
    skipped_files: list[str] = field(default_factory=list)  # dated outside the window
    rows_outside_window: int = 0
    problems: list[str] = field(default_factory=list)

    @property
    def mature(self) -> pd.Series:
        """Rows whose outcomes are old enough to count."""
        return self.frame[ROW_DATE] <= pd.Timestamp(self.window.labels_until)

    def summary(self) -> dict:
        dates = self.frame[ROW_DATE] if ROW_DATE in self.frame else pd.Series([], dtype="datetime64[ns]")
        return {
            "location": self.location,
            "window": self.window.to_dict(),
            "files": self.files,
            "files_outside_window": self.skipped_files,
            "rows": int(len(self.frame)),
            "rows_outside_window": self.rows_outside_window,
            "rows_with_mature_labels": int(self.mature.sum()) if len(self.frame) else 0,
            "date_range": [str(dates.min().date()), str(dates.max().date())] if len(dates) else None,
        }


def file_date(name: str) -> date | None:
    m = _DATED.search(Path(name).name)
    try:
        return date.fromisoformat(m[1]) if m else None
    except ValueError:
        return None


def list_files(location: str, settings) -> list[str]:
    """Data files under a folder or an s3:// prefix (or the one file named), sorted."""
    parsed = urlparse(location)
    if parsed.scheme == "s3":
        from govgate.store import open_store

        store = open_store(settings, f"s3://{parsed.netloc}")
        prefix = parsed.path.lstrip("/")
        keys = [i.key for i in store.list(prefix)]
        return sorted(f"s3://{parsed.netloc}/{k}" for k in keys if k.lower().endswith(SUFFIXES))
    path = Path(location).expanduser()
    if path.is_file():
        return [str(path)]
    if not path.is_dir():
        return []
    return sorted(str(p) for p in path.rglob("*") if p.is_file() and p.name.lower().endswith(SUFFIXES))


def _read(uri: str, settings) -> tuple[pd.DataFrame, InputDigest]:
    info = inspect_dataset(uri, Datasheet(), settings)
    frames = list(iter_chunks(info, 200_000))
    frame = pd.concat(frames, ignore_index=True) if frames else pd.DataFrame(columns=info.columns)
    return frame, InputDigest(uri=uri, sha256=info.sha256, size=info.size, role="fresh data")


def _row_dates(frame: pd.DataFrame, uri: str, named: date | None) -> pd.Series | str:
    if protocol.REASSESSMENT_DATE_COLUMN in frame.columns:
        dates = pd.to_datetime(frame[protocol.REASSESSMENT_DATE_COLUMN], errors="coerce", utc=True)
        bad = int(dates.isna().sum())
        if bad:
            return f"{uri}: {bad} row(s) have no readable {protocol.REASSESSMENT_DATE_COLUMN!r}"
        return dates.dt.tz_localize(None).dt.normalize()
    if named is None:
        return (
            f"{uri}: neither a date in the file name (YYYY-MM-DD) nor a "
            f"{protocol.REASSESSMENT_DATE_COLUMN!r} column: its rows cannot be placed in the window"
        )
    return pd.Series(pd.Timestamp(named), index=frame.index)


def load_fresh_data(location: str, window: Window, settings, required: list[str]) -> FreshData:
    """Read the files of the window. Long because each way of failing is named where it is found."""
    fresh = FreshData(location, window)
    uris = list_files(location, settings)
    if not uris:
        fresh.problems.append(f"fresh data {location}: no data files found ({', '.join(SUFFIXES)})")
        return fresh
    parts, columns = [], None
    for uri in uris:
        named = file_date(uri)
        if named is not None and not window.contains(named):
            fresh.skipped_files.append(uri)
            continue
        try:
            frame, digest = _read(uri, settings)
        except GovgateError as exc:
            fresh.problems.append(str(exc))
            continue
        if columns is not None and list(frame.columns) != columns:
            fresh.problems.append(
                f"{uri}: another schema than the window's first file "
                f"(columns {list(frame.columns)[:20]} vs {columns[:20]})"
            )
            continue
        columns = list(frame.columns)
        dates = _row_dates(frame, uri, named)
        if isinstance(dates, str):
            fresh.problems.append(dates)
            continue
        inside = (dates >= pd.Timestamp(window.start)) & (dates <= pd.Timestamp(window.as_of))
        fresh.rows_outside_window += int((~inside).sum())
        parts.append(frame[inside.to_numpy()].assign(**{ROW_DATE: dates[inside].to_numpy()}))
        fresh.inputs.append(digest)
        fresh.files.append(
            {
                "uri": uri,
                "sha256": digest.sha256,
                "size": digest.size,
                "rows": int(inside.sum()),
                "date": named.isoformat() if named else None,
            }
        )
    fresh.frame = pd.concat(parts, ignore_index=True) if parts else pd.DataFrame(columns=[*(columns or []), ROW_DATE])
    if not fresh.files and not fresh.problems:
        fresh.problems.append(
            f"fresh data {location}: no file dated within the window {window.start}..{window.as_of} "
            f"({len(fresh.skipped_files)} file(s) dated outside it)"
        )
    elif len(fresh.frame) == 0 and fresh.files:
        out = f" ({fresh.rows_outside_window} row(s) dated outside {window.start}..{window.as_of})"
        fresh.problems.append(
            f"fresh data {location}: zero rows in the window{out if fresh.rows_outside_window else ''}"
        )
    if columns is not None:
        missing = [c for c in required if c and c not in columns]
        if missing:
            fresh.problems.append(
                f"fresh data {location}: missing column(s) {missing} the baseline review used; "
                f"the files have {columns[:20]}"
            )
    return fresh


def schema_problems(frame: pd.DataFrame, reference_features: dict, location: str) -> list[str]:
    """Columns whose kind differs from the baseline's recorded reference (a number then, text now):
    drift and the model would compare unlike things."""
    problems = []
    for name, spec in (reference_features or {}).items():
        if name not in frame.columns or not isinstance(spec, dict):
            continue
        s = frame[name]
        numeric_now = pd.api.types.is_numeric_dtype(s) and not pd.api.types.is_bool_dtype(s)
        if spec.get("kind") == "numeric" and not numeric_now and s.notna().any():
            bad = pd.to_numeric(s, errors="coerce").isna() & s.notna()
            problems.append(
                f"fresh data {location}: another schema: column {name!r} was numeric in the baseline; "
                f"{int(bad.sum())} value(s) now are not numbers"
            )
    return problems
