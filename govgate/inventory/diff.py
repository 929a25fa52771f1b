"""What changed since the last sync: new assets, and assets no system reports any more.

An asset that disappears is never dropped silently: it becomes a ``disappeared`` entry (its sources and
when it was last seen) and a gap, and stays one in every later snapshot until it comes back or the
inventory/ YAML marks it ``retired``. Retired assets that vanish are listed, without a gap.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from govgate.inventory.gaps import make_gap
from govgate.inventory.model import Asset, Gap


@dataclass
class SyncDiff:
    new: list[str] = field(default_factory=list)  # asset ids not in the previous snapshot
    disappeared: list[dict[str, Any]] = field(
        default_factory=list
    )  # {id, kind, name, sources, last_seen, first_missed}
    gaps: list[Gap] = field(default_factory=list)  # one "disappeared" gap per disappeared asset not retired


def diff_snapshots(previous: dict[str, Any] | None, assets: list[Asset], synced_at: str) -> SyncDiff:
    """Compare this sync's assets with the previous snapshot's (``inventory.json`` as read, or None for the
    first sync). ``synced_at`` (ISO) is when this sync missed an asset first."""
    if previous is None:
        return SyncDiff()
    current = {a.id for a in assets}
    before = {a["id"]: a for a in previous.get("assets", [])}
    out = SyncDiff(new=sorted(current - set(before)))
    missing: dict[str, dict[str, Any]] = {}
    for old in previous.get("disappeared", []):  # still missing since an earlier sync: keep its first dates
        if old["id"] not in current:
            missing[old["id"]] = old
    for asset_id, old in before.items():
        if asset_id not in current:
            missing[asset_id] = {
                "id": asset_id,
                "kind": old.get("kind"),
                "name": old.get("name"),
                "status": old.get("status"),
                "sources": list(old.get("sources") or []),
                "last_seen": previous.get("synced_at"),
                "last_seen_sync": previous.get("sync_id"),
                "first_missed": synced_at,
            }
    out.disappeared = [missing[k] for k in sorted(missing)]
    out.gaps = [_gap(d) for d in out.disappeared if d.get("status") != "retired"]
    return out


def _gap(d: dict[str, Any]) -> Gap:
    sources = ", ".join(d.get("sources") or ["(no source)"])
    msg = (
        f"{d.get('kind')} {d['id']} is no longer reported by {sources}; "
        f"last seen {d.get('last_seen')} (sync {d.get('last_seen_sync')})"
    )
    return make_gap("disappeared", d["id"], msg)
