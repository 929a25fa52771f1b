"""Snapshots on the local store and on S3 (moto over HTTP): written once, inventory.json last, found again by
sync id, by date or as the newest; an unfinished folder is skipped; the CSV has one row per asset."""

from __future__ import annotations

import csv
import io
import json
from datetime import timedelta

import pytest

from govgate import protocol
from govgate.errors import WriteOnceError
from govgate.inventory.gaps import find_gaps
from govgate.inventory.model import Asset
from govgate.inventory.page import render_page
from govgate.inventory.snapshot import (
    INVENTORY_JSON,
    Snapshot,
    SnapshotError,
    find_snapshot_id,
    previous_snapshot,
    read_snapshot,
    snapshot_ids,
    to_csv,
    write_snapshot,
)
from govgate.policy import load_policy
from tests.core.inventory.assets import NOW, portfolio


def write(store, sync_id, when, assets, gaps=()):
    snap = Snapshot(sync_id, when, assets, list(gaps), [], {"assets": len(assets)})
    return write_snapshot(store, snap, html=render_page(snap.to_dict()), boms={a.id: "{}" for a in assets[:1]})


def test_written_once_and_read_back_by_id_date_and_newest(any_store):
    assets, index = portfolio()
    gaps = find_gaps(assets, index, load_policy("policies/default.yaml"), NOW)
    day1 = NOW - timedelta(days=2)
    w1 = write(any_store, "20261205T120000Z-aaaaaaaa", day1, assets[:3])
    w2 = write(any_store, "20261207T090000Z-bbbbbbbb", NOW - timedelta(hours=3), assets, gaps)
    write(any_store, "20261207T110000Z-cccccccc", NOW - timedelta(hours=1), assets[:5])
    assert w1["key"] == "audit/inventory/20261205T120000Z-aaaaaaaa/inventory.json"
    assert set(w2["files"]) == {"inventory.csv", "inventory.html", "cyclonedx/model-credit-3.cdx.json"}
    # an unfinished sync (no inventory.json) is never read
    any_store.put("audit/inventory/20261207T115900Z-dddddddd/inventory.csv", b"id\n", write_once=True)
    assert snapshot_ids(any_store) == [
        "20261205T120000Z-aaaaaaaa",
        "20261207T090000Z-bbbbbbbb",
        "20261207T110000Z-cccccccc",
        "20261207T115900Z-dddddddd",
    ]
    assert read_snapshot(any_store)["sync_id"] == "20261207T110000Z-cccccccc"
    assert read_snapshot(any_store, "2026-12-06")["sync_id"] == "20261205T120000Z-aaaaaaaa"
    assert read_snapshot(any_store, "2026-12-04") is None
    got = read_snapshot(any_store, "20261207T090000Z-bbbbbbbb")
    assert got["schema"] == protocol.INVENTORY_SCHEMA and len(got["assets"]) == len(assets)
    assert [g["rule"] for g in got["gaps"]] == [g.rule for g in gaps]
    assert got["assets"][0]["gates"]["model-review"]["decided_at"] == "2026-11-07T12:00:00+00:00"
    assert got["files"]["inventory.csv"] == w2["files"]["inventory.csv"]
    assert previous_snapshot(any_store, NOW - timedelta(hours=2))["sync_id"] == "20261207T090000Z-bbbbbbbb"
    assert find_snapshot_id(any_store, NOW - timedelta(days=10)) is None
    with pytest.raises(SnapshotError, match="no complete inventory snapshot '20261207T115900Z-dddddddd'"):
        read_snapshot(any_store, "20261207T115900Z-dddddddd")
    with pytest.raises(SnapshotError, match="expected a sync id"):
        read_snapshot(any_store, "yesterday")
    with pytest.raises(WriteOnceError):
        write(any_store, "20261207T090000Z-bbbbbbbb", NOW, assets)
    body = json.loads(any_store.get_bytes(w2["key"]))
    assert body["sync_id"] == "20261207T090000Z-bbbbbbbb" and INVENTORY_JSON not in body["files"]


def test_an_old_snapshot_beyond_the_day_search_is_still_found(any_store):
    write(any_store, "20260101T000000Z-aaaaaaaa", NOW - timedelta(days=340), [Asset("dataset", "dataset:a", "a")])
    assert find_snapshot_id(any_store, NOW) == "20260101T000000Z-aaaaaaaa"


def test_csv_one_row_per_asset_and_no_formulas():
    assets, index = portfolio()
    assets[-1].purpose = '=HYPERLINK("http://evil")'
    gaps = find_gaps(assets, index, load_policy("policies/default.yaml"), NOW)
    doc = Snapshot("s", NOW, assets, gaps).to_dict()
    rows = list(csv.DictReader(io.StringIO(to_csv(doc))))
    assert [r["id"] for r in rows] == [a.id for a in assets]
    churn = next(r for r in rows if r["id"] == "model:churn/1")
    assert churn["gaps"] == "deployed-without-passing-review;reassessment-overdue"
    assert churn["lineage"] == "used_dataset:dataset:clicks" and churn["tier_reason"] == "policy default_tier"
    credit = next(r for r in rows if r["id"] == "model:credit/3")
    assert credit["gates"] == "model-review=pass@2026-11-07;reassessment=pass@2026-12-05" and credit["gaps"] == ""
    assert rows[-1]["purpose"].startswith("'=")
