"""The store source over real published records: per asset and gate the newest record with its age on the
sync date, reviewed datasets with their datasheets, intake tiers with their rule, third-party items."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from govgate import protocol
from govgate.evidence_index import scan_records
from govgate.inventory.sources.store import read_store, reviews_of_dataset, subject_keys
from govgate.policy import load_policy
from govgate.record import AssetKind, InputDigest, Outcome
from govgate.settings import DEFAULT_POLICY
from govgate.store import open_store
from govgate.tracking import Tracker

from .sources_helpers import record

T0 = datetime(2026, 11, 1, tzinfo=UTC)
NOW = datetime(2026, 12, 1, tzinfo=UTC)
LOANS_SHA = "a1b2c3d4" + "e" * 56


@pytest.fixture(scope="module")
def published(tmp_path_factory):
    """Records of several gates and subjects in a local store (tracked in a SQLite MLflow)."""
    from govgate.settings import Settings

    home = tmp_path_factory.mktemp("store-source")
    settings = Settings(home=home)
    store, tracker, policy = open_store(settings), Tracker.from_settings(settings), load_policy(DEFAULT_POLICY)

    def rec(**kw):
        return record(store, tracker, policy, **kw)

    made = {
        "loans-old": rec(
            gate=protocol.DATA_REVIEW, kind=AssetKind.DATASET, subject_id="loans", version="1", when=T0,
            outcome=Outcome.FAIL,
        ),
        "loans": rec(
            gate=protocol.DATA_REVIEW, kind=AssetKind.DATASET, subject_id="loans", version="2",
            when=T0 + timedelta(days=10),
            inputs=[
                InputDigest(uri="s3://data/loans.csv", sha256=LOANS_SHA, role="data"),
                InputDigest(uri="s3://data/loans.datasheet.yaml", sha256="d" * 64, role="datasheet"),
            ],
        ),
        "raw": rec(gate=protocol.DATA_REVIEW, kind=AssetKind.DATASET, subject_id="raw-events", version="1", when=T0),
        "review": rec(
            gate=protocol.MODEL_REVIEW, kind=AssetKind.MODEL, subject_id="credit", version="3", when=T0,
        ),
        "intake": rec(
            gate=protocol.INTAKE, kind=AssetKind.MODEL, subject_id="credit", version=None,
            when=T0 + timedelta(days=1), tier="high",
            outputs={protocol.OUTPUT_RISK_TIER: {"tier": "high", "rule": "eu.annex3.5b", "citations": ["EU AI Act Annex III 5(b)"]}},
        ),
        "vendor": rec(
            gate=protocol.THIRD_PARTY_REVIEW, kind=AssetKind.THIRD_PARTY_TOOL, subject_id="tool:copilot",
            version=None, when=T0 + timedelta(days=2), outcome=Outcome.WARN,
            outputs={protocol.OUTPUT_THIRD_PARTY_ITEMS: [{"item": "dpa", "status": "missing", "sha256": None, "expires": None}]},
        ),
    }  # fmt: skip
    return store, made


def test_subject_keys():
    assert subject_keys("model", "credit", "3") == ["model:credit/3", "model:credit"]
    assert subject_keys("model", "credit", None) == ["model:credit"]
    assert subject_keys("dataset", "loans", "2") == ["dataset:loans"]
    assert subject_keys("third_party_tool", "tool:copilot", None) == ["tool:copilot"]
    assert subject_keys("service", "openai", None) == ["third_party_tool:openai"]


def test_newest_record_per_asset_and_gate_with_age_on_the_sync_date(published):
    store, made = published
    read = read_store(scan_records(store), now=NOW)
    loans = read.gates["dataset:loans"][protocol.DATA_REVIEW]
    assert (loans.record_id, loans.decision, loans.verified) == (made["loans"].record_id, "pass", True)
    assert loans.record_uri.endswith(made["loans"].evidence_prefix() + "record.json")
    assert loans.age_days == pytest.approx((NOW - loans.decided_at).total_seconds() / 86400, abs=0.01)
    assert read.gates["model:credit/3"][protocol.MODEL_REVIEW].decision == "pass"
    assert read.gates["model:credit"][protocol.INTAKE].tier == "high"
    assert read.gates["tool:copilot"][protocol.THIRD_PARTY_REVIEW].decision == "pass"  # a warn check passes
    assert (read.records, read.unreadable) == (6, 0)


def test_datasets_with_their_datasheets_intake_tiers_and_vendor_items(published):
    store, made = published
    read = read_store(scan_records(store), now=NOW)
    assert sorted(read.assets) == ["dataset:loans", "dataset:raw-events", "model:credit", "tool:copilot"]
    loans = read.assets["dataset:loans"]
    assert loans.attributes["datasheet"] == {"uri": "s3://data/loans.datasheet.yaml", "sha256": "d" * 64}
    assert loans.attributes["reviewed_data"] == [{"uri": "s3://data/loans.csv", "sha256": LOANS_SHA}]
    assert read.assets["dataset:raw-events"].attributes["datasheet"] is None
    assert (read.assets["model:credit"].kind, read.assets["model:credit"].status) == ("model", "proposed")
    assert read.tiers["model:credit"] == (
        "high",
        f"intake {made['intake'].record_id}: eu.annex3.5b (EU AI Act Annex III 5(b))",
    )
    assert read.third_party_items["tool:copilot"] == [
        {"item": "dpa", "status": "missing", "sha256": None, "expires": None}
    ]


def test_a_dataset_is_matched_to_its_reviews_by_name_digest_or_source(published):
    store, made = published
    read = read_store(scan_records(store), now=NOW)
    ids = lambda found: [e.record_id for e in found]  # noqa: E731
    assert ids(reviews_of_dataset(read, "loans", [])) == [made["loans-old"].record_id, made["loans"].record_id]
    by_digest = reviews_of_dataset(read, "loans_v2", [{"digest": "A1B2C3D4", "source": None}])
    assert ids(by_digest) == [made["loans"].record_id]
    by_source = reviews_of_dataset(read, "x", [{"digest": "ffffffff", "source": "s3://data/loans.csv"}])
    assert ids(by_source) == [made["loans"].record_id]
    assert reviews_of_dataset(read, "x", [{"digest": "a1b2", "source": None}]) == []  # too short to be content
