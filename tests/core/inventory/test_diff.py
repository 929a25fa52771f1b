"""Assets that disappear between syncs are reported (and keep being reported), never dropped silently."""

from __future__ import annotations

from govgate.inventory.diff import diff_snapshots
from govgate.inventory.model import Asset
from govgate.inventory.snapshot import Snapshot
from tests.core.inventory.assets import NOW


def snap(sync_id: str, assets: list[Asset], disappeared=None) -> dict:
    return Snapshot(sync_id, NOW, assets, [], disappeared or []).to_dict()


def test_first_sync_has_nothing_to_compare():
    d = diff_snapshots(None, [Asset("dataset", "dataset:a", "a")], "2026-12-07T12:00:00+00:00")
    assert d.new == [] and d.disappeared == [] and d.gaps == []


def test_a_vanished_asset_is_a_gap_with_its_sources_and_last_sighting():
    a = Asset("model_version", "model:credit/3", "credit/3", status="deployed", sources=["mlflow"])
    b = Asset("dataset", "dataset:loans", "loans", sources=["store", "mlflow"])
    c = Asset("pipeline", "pipeline:train", "train", sources=["prefect"])
    first = snap("20261207T100000Z-aaaaaaaa", [a, b])
    d = diff_snapshots(first, [b, c], "2026-12-07T12:00:00+00:00")
    assert d.new == ["pipeline:train"]
    assert d.disappeared == [
        {
            "id": "model:credit/3",
            "kind": "model_version",
            "name": "credit/3",
            "status": "deployed",
            "sources": ["mlflow"],
            "last_seen": "2026-12-07T12:00:00+00:00",
            "last_seen_sync": "20261207T100000Z-aaaaaaaa",
            "first_missed": "2026-12-07T12:00:00+00:00",
        }
    ]
    assert [(g.rule, g.asset_id, g.severity) for g in d.gaps] == [("disappeared", "model:credit/3", "high")]
    assert d.gaps[0].message == (
        "model_version model:credit/3 is no longer reported by mlflow; last seen 2026-12-07T12:00:00+00:00 "
        "(sync 20261207T100000Z-aaaaaaaa)"
    )


def test_still_missing_next_time_keeps_its_first_dates_until_it_comes_back():
    a = Asset("model_version", "model:credit/3", "credit/3", sources=["mlflow"])
    b = Asset("dataset", "dataset:loans", "loans", sources=["store"])
    second = diff_snapshots(snap("20261207T100000Z-aaaaaaaa", [a, b]), [b], "2026-12-07T11:00:00+00:00")
    third = diff_snapshots(snap("20261207T110000Z-bbbbbbbb", [b], second.disappeared), [b], "2026-12-07T12:00:00")
    assert third.disappeared == second.disappeared and [g.asset_id for g in third.gaps] == ["model:credit/3"]
    back = diff_snapshots(snap("20261207T120000Z-cccccccc", [b], third.disappeared), [a, b], "2026-12-07T13:00:00")
    assert back.disappeared == [] and back.gaps == [] and back.new == ["model:credit/3"]


def test_a_retired_asset_that_vanishes_is_listed_without_a_gap():
    old = Asset("third_party_tool", "ocr-cloud", "OCR", status="retired", sources=["yaml"])
    d = diff_snapshots(snap("20261207T100000Z-aaaaaaaa", [old]), [], "2026-12-07T12:00:00")
    assert [x["id"] for x in d.disappeared] == ["ocr-cloud"] and d.gaps == []
