"""build_inventory over real sources: an MLflow registry (SQLite), a store of published records, Prefect
deployments (as the task hands them) and an inventory/ YAML folder; merged by id with the documented
precedence, lineage model version -> run -> dataset -> data review."""

from __future__ import annotations

import shutil
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from mlflow.tracking import MlflowClient

from govgate import protocol
from govgate.errors import ConfigError
from govgate.inventory.assemble import build_inventory, deployed_aliases
from govgate.policy import load_policy
from govgate.record import AssetKind, InputDigest, Outcome
from govgate.settings import DEFAULT_POLICY, Settings
from govgate.store import open_store
from govgate.tracking import Tracker

from .sources_helpers import record, register

EXAMPLE = Path(__file__).resolve().parents[3] / "docs" / "examples" / "inventory"
T0 = datetime(2026, 11, 1, tzinfo=UTC)
NOW = datetime(2026, 12, 1, tzinfo=UTC)
LOANS_SHA = "a1b2c3d4" + "e" * 56

DEPLOYMENTS = [
    {
        "id": "d-1",
        "name": "nightly",
        "flow_name": "score-loans",
        "tags": ["owner:ops@example.com", "govgate"],
        "description": "scores the day's applications",
        "paused": False,
        "parameters": {"model_uri": "models:/credit-risk/3"},
        "schedules": [{"schedule": "cron 0 2 * * * (UTC)", "active": True}],
        "last_run": {"id": "r-1", "state": "Completed", "time": "2026-11-30T02:04:00+00:00"},
    }
]


@pytest.fixture(scope="module")
def sources(tmp_path_factory):
    home = tmp_path_factory.mktemp("assemble")
    settings = Settings(home=home)
    store, tracker, policy = open_store(settings), Tracker.from_settings(settings), load_policy(DEFAULT_POLICY)
    uri = settings.effective_mlflow_tracking_uri
    client = MlflowClient(uri, uri)
    exp = client.create_experiment("training")
    register(
        client, exp, "credit-risk", 3, tags={"owner": "ml@example.com", protocol.MODEL_TIER: "low"},
        aliases={"production": 3}, datasets=[("loans-2026", "a1b2c3d4", "s3://data/loans.csv")],
    )  # fmt: skip
    register(client, exp, "churn", 1, tags={protocol.MODEL_TIER: "medium"}, datasets=[("events", "99999999", "s3://e")])
    register(client, exp, "odd", 1, tags={protocol.MODEL_TIER: "extreme"})

    def rec(**kw):
        return record(store, tracker, policy, **kw)

    made = {
        "loans": rec(
            gate=protocol.DATA_REVIEW, kind=AssetKind.DATASET, subject_id="loans", version="2", when=T0,
            inputs=[
                InputDigest(uri="s3://data/loans.csv", sha256=LOANS_SHA, role="data"),
                InputDigest(uri="s3://data/loans.datasheet.yaml", sha256="d" * 64, role="datasheet"),
            ],
        ),
        "review-old": rec(
            gate=protocol.MODEL_REVIEW, kind=AssetKind.MODEL, subject_id="credit-risk", version="3", when=T0,
            outcome=Outcome.FAIL,
        ),
        "review": rec(
            gate=protocol.MODEL_REVIEW, kind=AssetKind.MODEL, subject_id="credit-risk", version="3",
            when=T0 + timedelta(days=3),
        ),
        "later": rec(
            gate=protocol.MODEL_REVIEW, kind=AssetKind.MODEL, subject_id="credit-risk", version="3",
            when=NOW + timedelta(days=1), outcome=Outcome.FAIL,
        ),
        "intake": rec(
            gate=protocol.INTAKE, kind=AssetKind.MODEL, subject_id="credit-risk", version=None,
            when=T0 + timedelta(days=1), tier="high",
            outputs={protocol.OUTPUT_RISK_TIER: {"tier": "high", "rule": "eu.annex3.5b", "citations": ["Annex III 5(b)"]}},
        ),
        "vendor": rec(
            gate=protocol.THIRD_PARTY_REVIEW, kind=AssetKind.THIRD_PARTY_TOOL, subject_id="tool:github-copilot",
            version=None, when=T0 + timedelta(days=2),
            outputs={protocol.OUTPUT_THIRD_PARTY_ITEMS: [{"item": "dpa", "status": "ok", "sha256": "f" * 64, "expires": "2027-06-01"}]},
        ),
        "proposed": rec(
            gate=protocol.INTAKE, kind=AssetKind.MODEL, subject_id="fraud", version=None, when=T0, tier="low",
            outputs={protocol.OUTPUT_RISK_TIER: {"tier": "low", "rule": "eu.minimal"}},
        ),
        "health": rec(gate=protocol.SELFTEST, kind=AssetKind.SYSTEM, subject_id="govgate", version=None, when=T0),
    }  # fmt: skip
    return client, store, policy, made


@pytest.fixture(scope="module")
def built(sources):
    client, store, policy, made = sources
    assets, stats = build_inventory(
        mlflow_client=client, store=store, deployments=DEPLOYMENTS, yaml_dir=EXAMPLE, policy=policy, now=NOW
    )
    return {a.id: a for a in assets}, stats, made


def test_every_source_merged_by_id(built):
    assets, stats, _ = built
    assert sorted(assets) == [
        "api:openai-gpt-4o",
        "dataset:events",
        "dataset:loans",
        "dataset:loans-2026",
        "feature:support-assistant",
        "model:churn/1",
        "model:credit-risk/1",
        "model:credit-risk/2",
        "model:credit-risk/3",
        "model:fraud",
        "model:odd/1",
        "pipeline:score-loans/nightly",
        "tool:github-copilot",
        "tool:speech-transcriber",
    ]
    assert assets["model:credit-risk/3"].sources == ["mlflow", "yaml"]
    assert assets["tool:github-copilot"].sources == ["store", "yaml"]
    assert assets["dataset:loans"].sources == ["store", "yaml"]
    assert stats["assets"] == {
        "ai_feature": 1,
        "dataset": 3,
        "foundation_model_api": 1,
        "model": 1,
        "model_version": 5,
        "pipeline": 1,
        "third_party_tool": 2,
    }
    assert stats["sources"]["store"]["records_without_asset"] == ["system:govgate"]
    assert stats["sources"]["mlflow"]["total_calls"] == stats["sources"]["mlflow"]["minimum_calls"] + 1


def test_tiers_and_their_reasons(built):
    assets, stats, made = built
    intake = f"intake {made['intake'].record_id}: eu.annex3.5b (Annex III 5(b))"
    # intake record > YAML > registry tag > none; a model-level intake counts for every version
    assert {i: (assets[i].tier, assets[i].tier_reason) for i in sorted(assets)} == {
        "api:openai-gpt-4o": (None, None),
        "dataset:events": (None, None),
        "dataset:loans": (None, None),
        "dataset:loans-2026": (None, None),
        "feature:support-assistant": ("medium", f"inventory YAML {EXAMPLE / 'foundation-models.yaml'}"),
        "model:churn/1": ("medium", "tag"),
        "model:credit-risk/1": ("high", intake),
        "model:credit-risk/2": ("high", intake),
        "model:credit-risk/3": ("high", intake),
        "model:fraud": ("low", f"intake {made['proposed'].record_id}: eu.minimal"),
        "model:odd/1": (None, None),
        "pipeline:score-loans/nightly": (None, None),
        "tool:github-copilot": ("low", f"inventory YAML {EXAMPLE / 'third-party-tools.yaml'}"),
        "tool:speech-transcriber": (None, None),
    }
    assert "model:odd/1: tier 'extreme' (tag) is not a tier of policy" in " ".join(stats["problems"])


def test_owners_status_gates_and_vendor_items(built):
    assets, _, made = built
    v3 = assets["model:credit-risk/3"]
    assert (v3.owner, v3.status) == ("credit-risk-team@example.com", "deployed")  # YAML override over the tag
    assert v3.purpose == "scores consumer loan applications (approve / refer)"
    assert assets["model:churn/1"].owner is None
    assert (assets["model:fraud"].kind, assets["model:fraud"].status) == ("model", "proposed")  # intake, no version
    assert [assets[f"model:credit-risk/{v}"].status for v in (1, 2)] == ["retired", "retired"]
    assert sorted(v3.gates) == [protocol.INTAKE, protocol.MODEL_REVIEW]
    review = v3.gates[protocol.MODEL_REVIEW]
    # the newest record as of the sync date: one published after it is not yet evidence
    assert (review.record_id, review.decision, review.verified) == (made["review"].record_id, "pass", True)
    assert review.age_days == pytest.approx((NOW - review.decided_at).total_seconds() / 86400, abs=0.01)
    assert protocol.MODEL_REVIEW not in assets["model:credit-risk/2"].gates
    pipeline = assets["pipeline:score-loans/nightly"]
    assert (pipeline.owner, pipeline.status, pipeline.attributes["scheduled"]) == ("ops@example.com", "deployed", True)
    tool = assets["tool:github-copilot"]
    assert tool.gates[protocol.THIRD_PARTY_REVIEW].record_id == made["vendor"].record_id
    assert tool.attributes["third_party_items"][0]["item"] == "dpa"


def test_lineage_from_version_to_run_to_dataset_to_its_review(built):
    assets, _, made = built
    v3 = assets["model:credit-risk/3"]
    run = f"run:{v3.attributes['run_id']}"
    assert [(lk.relation, lk.from_id, lk.to_id) for lk in v3.lineage] == [
        ("trained_by", "model:credit-risk/3", run),
        ("used_dataset", run, "dataset:loans-2026"),
    ]
    # logged under another name than its datasheet's, matched by content: the review and its datasheet follow
    loans = assets["dataset:loans-2026"]
    assert [(lk.relation, lk.to_id, lk.uri) for lk in loans.lineage] == [
        ("reviewed_by", f"record:{made['loans'].record_id}", loans.gates[protocol.DATA_REVIEW].record_uri)
    ]
    assert loans.attributes["datasheet"]["uri"] == "s3://data/loans.datasheet.yaml"
    assert assets["dataset:events"].lineage == [] and assets["dataset:events"].gates == {}
    assert [lk.to_id for lk in assets["pipeline:score-loans/nightly"].lineage] == ["model:credit-risk/3"]
    assert {i: (a.attributes["unreviewed_datasets"], a.attributes["lineage_complete"]) for i, a in assets.items() if a.kind == "model_version"} == {
        "model:churn/1": (["dataset:events"], False),
        "model:credit-risk/1": ([], True),
        "model:credit-risk/2": ([], True),
        "model:credit-risk/3": ([], True),
        "model:odd/1": ([], False),  # trained by a run that logged no dataset
    }  # fmt: skip


def test_a_yaml_lineage_to_an_asset_no_source_found_fails_the_sync(sources, tmp_path):
    client, store, policy, _ = sources
    folder = tmp_path / "inv"
    shutil.copytree(EXAMPLE, folder)
    (folder / "extra.yaml").write_text(
        "assets:\n  - id: feature:scoring-ui\n    kind: ai_feature\n    name: Scoring UI\n"
        "    lineage:\n      - {relation: depends_on, to: model:credit-risk/3}\n"
        "      - {relation: depends_on, to: model:credit-risk/9}\n"
    )
    with pytest.raises(ConfigError) as err:
        build_inventory(mlflow_client=client, store=store, deployments=[], yaml_dir=folder, policy=policy, now=NOW)
    assert str(err.value) == (
        f"{folder / 'extra.yaml'}: assets[0].lineage[1].to: 'model:credit-risk/9' points nowhere "
        "(no source found an asset with that id)"
    )


def test_an_override_matching_nothing_is_reported_and_no_source_means_not_read(sources, tmp_path):
    _, _, policy, _ = sources
    (tmp_path / "o.yaml").write_text("overrides:\n  - id: model:gone\n    owner: a@example.com\n")
    assets, stats = build_inventory(
        mlflow_client=None, store=None, deployments=None, yaml_dir=tmp_path, policy=policy, now=NOW
    )
    assert assets == [] and sorted(stats["sources"]) == ["yaml"]
    assert stats["problems"] == [
        f"{tmp_path / 'o.yaml'}: overrides[0]: override 'model:gone' matches no asset any source found"
    ]


def test_deployed_aliases_come_from_the_policy(sources):
    assert deployed_aliases(sources[2]) == {"production"}


def test_an_unreachable_registry_is_one_error_naming_it(sources):
    from govgate.errors import TrackingError
    from govgate.runtime import free_port

    url = f"http://user:secret@127.0.0.1:{free_port()}"
    with pytest.raises(TrackingError) as err:
        build_inventory(
            mlflow_client=MlflowClient(url, url),
            store=None,
            deployments=None,
            yaml_dir=None,
            policy=sources[2],
            now=NOW,
        )
    assert str(err.value).startswith("inventory: the MLflow registry at http://user:********@127.0.0.1:")
    assert "secret" not in str(err.value)
