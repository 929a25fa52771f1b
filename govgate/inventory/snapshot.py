"""Inventory snapshots: one write-once folder per sync under ``audit/inventory/<sync id>/``, so any past
state can be shown again.

A snapshot holds ``inventory.csv`` (one row per asset), ``inventory.html`` (the page), one CycloneDX ML-BOM
per model version under ``cyclonedx/``, and ``inventory.json`` written LAST (schema, sync id, time, assets,
gaps, disappeared assets, stats, and each other file's SHA-256): a folder without it is an unfinished
sync that readers skip. Sync ids are record ids (``20261207T230000Z-1a2b3c4d``), so they sort by time and
a day's snapshots share a key prefix: finding the last one lists only a day or a few, one key per snapshot.
"""

from __future__ import annotations

import csv
import io
import json
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from typing import Any

from govgate import protocol
from govgate.errors import GovgateError
from govgate.inventory.model import Asset, Gap
from govgate.record import slug

INVENTORY_JSON = "inventory.json"
INVENTORY_CSV = "inventory.csv"
INVENTORY_HTML = "inventory.html"
CYCLONEDX_DIR = "cyclonedx/"
CSV_COLUMNS = (
    "id",
    "kind",
    "name",
    "owner",
    "purpose",
    "tier",
    "tier_reason",
    "status",
    "sources",
    "gates",
    "lineage",
    "gaps",
)
BOM_TYPE = "application/vnd.cyclonedx+json"
WRITE_WORKERS = 16
_DAYS_SEARCHED = 31  # day prefixes tried before one full listing of every snapshot


class SnapshotError(GovgateError):
    """A snapshot that cannot be found or read; the message names the sync id or date asked for."""


@dataclass
class Snapshot:
    sync_id: str
    synced_at: datetime
    assets: list[Asset]
    gaps: list[Gap]
    disappeared: list[dict[str, Any]] = field(default_factory=list)
    stats: dict[str, Any] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        return jsonable(
            {
                "schema": protocol.INVENTORY_SCHEMA,
                "sync_id": self.sync_id,
                "synced_at": self.synced_at,
                "assets": [a.to_dict() for a in self.assets],
                "gaps": [g.to_dict() for g in self.gaps],
                "disappeared": self.disappeared,
                "stats": self.stats,
            }
        )


def jsonable(value: Any) -> Any:
    """Plain JSON values (datetimes as ISO strings), through one dumps/loads round."""
    return json.loads(json.dumps(value, default=lambda v: v.isoformat() if hasattr(v, "isoformat") else str(v)))


def snapshot_prefix(sync_id: str) -> str:
    return f"{protocol.INVENTORY_SNAPSHOTS_PREFIX}{sync_id}/"


def write_snapshot(store, snapshot: Snapshot, *, html: str, boms: dict[str, str]) -> dict[str, Any]:
    """Write the snapshot once (every file ``write_once``, ``inventory.json`` last); {key, uri, files}.
    ``boms`` maps an asset id to its CycloneDX JSON text."""
    prefix = snapshot_prefix(snapshot.sync_id)
    doc = snapshot.to_dict()
    files: dict[str, str] = {}

    def put(name: str, text: str, content_type: str) -> None:
        info = store.put(prefix + name, text.encode("utf-8"), write_once=True, content_type=content_type)
        files[name] = info.sha256

    put(INVENTORY_CSV, to_csv(doc), "text/csv")
    put(INVENTORY_HTML, html, "text/html; charset=utf-8")
    with ThreadPoolExecutor(max_workers=WRITE_WORKERS) as pool:  # one PUT per model: latency-bound on S3
        list(pool.map(lambda item: put(bom_name(item[0]), item[1], BOM_TYPE), sorted(boms.items())))
    doc["files"] = dict(sorted(files.items()))
    store.put(
        prefix + INVENTORY_JSON, json.dumps(doc, indent=1).encode(), write_once=True, content_type="application/json"
    )
    return {"key": prefix + INVENTORY_JSON, "uri": store.uri(prefix + INVENTORY_JSON), "prefix": prefix, "files": files}


def bom_name(asset_id: str) -> str:
    return f"{CYCLONEDX_DIR}{slug(asset_id)}.cdx.json"


def to_csv(doc: dict[str, Any]) -> str:
    """One row per asset; gates as ``gate=decision@date`` and gap rules joined by ``;``."""
    gaps: dict[str, list[str]] = {}
    for g in doc["gaps"]:
        gaps.setdefault(g["asset_id"], []).append(g["rule"])
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(CSV_COLUMNS)
    for a in doc["assets"]:
        gates = ";".join(f"{k}={v['decision']}@{v['decided_at'][:10]}" for k, v in sorted(a["gates"].items()))
        lineage = ";".join(f"{x['relation']}:{x['to_id']}" for x in a["lineage"])
        row = [
            a["id"],
            a["kind"],
            a["name"],
            a.get("owner") or "",
            a.get("purpose") or "",
            a.get("tier") or "",
            a.get("tier_reason") or "",
            a["status"],
            ";".join(a.get("sources") or []),
            gates,
            lineage,
            ";".join(sorted(gaps.get(a["id"], []))),
        ]
        writer.writerow([_cell(v) for v in row])
    return out.getvalue()


def _cell(value: str) -> str:
    # A cell a spreadsheet would run as a formula (=, +, -, @) is quoted as text.
    return "'" + value if value[:1] in ("=", "+", "-", "@") else value


def snapshot_ids(store, day: str = "") -> list[str]:
    """Sync ids under ``audit/inventory/<day>`` in order, one listing call per snapshot (each call skips
    past the snapshot's own files)."""
    root = protocol.INVENTORY_SNAPSHOTS_PREFIX
    ids, after = [], None
    while True:
        page = next(iter(store.list_pages(root + day, page_size=1, start_after=after)), [])
        if not page:
            return ids
        sync_id = page[0].key[len(root) :].split("/", 1)[0]
        ids.append(sync_id)
        after = f"{root}{sync_id}/~"  # '~' sorts after every character a key in the folder uses


def find_snapshot_id(store, at: str | datetime | None = None) -> str | None:
    """The sync id of a complete snapshot: ``at`` a sync id (that one), a date ``YYYY-MM-DD`` or a datetime
    (the last one before its end), or None (the newest)."""
    if isinstance(at, str) and len(at) > 10:
        return at if store.exists(snapshot_prefix(at) + INVENTORY_JSON) else None
    if isinstance(at, str):
        try:
            end = datetime.combine(date.fromisoformat(at), datetime.min.time(), UTC) + timedelta(days=1)
        except ValueError:
            raise SnapshotError(
                f"--at {at!r}: expected a sync id (20261207T230000Z-1a2b3c4d) or a date (2026-12-07)"
            ) from None
    else:
        end = (at or datetime.now(UTC) + timedelta(days=1)).astimezone(UTC)
    bound = f"{end:%Y%m%dT%H%M%SZ}"
    if not snapshot_ids(store):
        return None
    for back in range(_DAYS_SEARCHED):
        found = [i for i in snapshot_ids(store, f"{end - timedelta(days=back):%Y%m%d}") if i < bound]
        if complete := _newest_complete(store, found):
            return complete
    return _newest_complete(store, [i for i in snapshot_ids(store) if i < bound])


def _newest_complete(store, ids: list[str]) -> str | None:
    for sync_id in sorted(ids, reverse=True):
        if store.exists(snapshot_prefix(sync_id) + INVENTORY_JSON):
            return sync_id
    return None


def read_snapshot(store, at: str | datetime | None = None) -> dict[str, Any] | None:
    """A past snapshot's ``inventory.json`` (see ``find_snapshot_id``); None when there is none."""
    sync_id = find_snapshot_id(store, at)
    if sync_id is None:
        if isinstance(at, str) and len(at) > 10:
            raise SnapshotError(f"no complete inventory snapshot {at!r} under {protocol.INVENTORY_SNAPSHOTS_PREFIX}")
        return None
    doc = json.loads(store.get_bytes(snapshot_prefix(sync_id) + INVENTORY_JSON))
    if doc.get("schema") != protocol.INVENTORY_SCHEMA:
        raise SnapshotError(f"snapshot {sync_id}: schema {doc.get('schema')!r}, expected {protocol.INVENTORY_SCHEMA}")
    return doc


def previous_snapshot(store, before: datetime) -> dict[str, Any] | None:
    """The newest complete snapshot of a sync started before ``before`` (what this sync is compared with)."""
    return read_snapshot(store, before)
