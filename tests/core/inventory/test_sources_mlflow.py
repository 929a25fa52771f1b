"""The MLflow source over a real SQLite registry: versions, aliases, tags, training runs and their datasets,
status from the deployed aliases, and the calls: paged, batched, equal to the minimum plus the experiment
listing (never one request per version)."""

from __future__ import annotations

import math

import pytest
from mlflow.tracking import MlflowClient

from govgate.inventory.sources.mlflow import minimum_calls, read_mlflow

from .sources_helpers import register, training_run


@pytest.fixture
def client(tmp_path):
    uri = f"sqlite:///{tmp_path / 'mlflow.db'}"
    return MlflowClient(uri, uri)


@pytest.fixture
def registry(client):
    exp = client.create_experiment("training")
    register(
        client,
        exp,
        "credit",
        4,
        tags={"owner": "risk@example.com", "govgate.tier": "high"},
        aliases={"production": 3, "challenger": 4},
        datasets=[("loans", "a1b2c3d4", "s3://data/loans.csv"), ("bureau", "0f0f0f0f", "s3://data/bureau.parquet")],
        version_tags={2: {"govgate.owner": "someone-else@example.com"}},
    )
    register(client, exp, "churn", 1, datasets=[("loans", "a1b2c3d4", "s3://data/loans.csv")])
    return client


def test_versions_runs_and_datasets_become_linked_assets(registry):
    read = read_mlflow(registry, deployed_aliases={"production"})
    by_id = {a.id: a for a in read.assets}
    assert sorted(by_id) == [
        "dataset:bureau",
        "dataset:loans",
        "model:churn/1",
        "model:credit/1",
        "model:credit/2",
        "model:credit/3",
        "model:credit/4",
    ]
    v3 = by_id["model:credit/3"]
    assert (v3.kind, v3.status, v3.owner, v3.tier, v3.tier_reason) == (
        "model_version",
        "deployed",
        "risk@example.com",
        "high",
        "tag",
    )
    assert v3.attributes["aliases"] == ["production"]
    run = f"run:{v3.attributes['run_id']}"
    assert [(lk.relation, lk.from_id, lk.to_id, lk.uri) for lk in v3.lineage] == [
        ("trained_by", "model:credit/3", run, f"runs:/{v3.attributes['run_id']}"),
        ("used_dataset", run, "dataset:loans", "s3://data/loans.csv"),
        ("used_dataset", run, "dataset:bureau", "s3://data/bureau.parquet"),
    ]
    # older than the deployed version: retired; newer (a challenger alias only): development
    assert [by_id[f"model:credit/{v}"].status for v in (1, 2, 4)] == ["retired", "retired", "development"]
    assert by_id["model:credit/2"].owner == "someone-else@example.com"  # the version's tag over the model's
    assert by_id["model:churn/1"].status == "development" and by_id["model:churn/1"].tier is None
    loans = by_id["dataset:loans"]
    assert loans.sources == ["mlflow"] and loans.attributes["used_by_runs"] == 5
    assert [d["digest"] for d in loans.attributes["digests"]] == ["a1b2c3d4"]


def test_a_deleted_training_run_is_still_read_and_a_vanished_one_is_named(client):
    exp = client.create_experiment("training")
    run_ids = register(client, exp, "m", 2, datasets=[("d", "11112222", "s3://d.csv")])
    client.delete_run(run_ids[0])
    read = read_mlflow(client, deployed_aliases={"production"})
    assert read.runs == 2 and read.missing_runs == []
    v1 = next(a for a in read.assets if a.id == "model:m/1")
    assert [lk.to_id for lk in v1.lineage] == [f"run:{run_ids[0]}", "dataset:d"]


def test_calls_are_paged_and_batched_never_one_per_version(client):
    exp = client.create_experiment("training")
    for m in range(7):
        register(client, exp, f"model-{m}", 3, datasets=[(f"data-{m}", f"{m:08d}", f"s3://b/{m}.csv")])
    read = read_mlflow(client, deployed_aliases={"production"}, model_page=3, version_page=5, run_batch=4)
    assert (read.models, read.versions, read.runs, read.experiments) == (7, 21, 21, 2)
    assert read.minimum_calls == math.ceil(7 / 3) + math.ceil(21 / 5) + math.ceil(21 / 4) == 14
    # one experiment listing on top of the minimum (search_runs needs experiment ids)
    assert read.calls == {
        "search_registered_models": 3,
        "search_model_versions": 5,
        "search_experiments": 1,
        "search_runs": 6,
    }
    assert read.total_calls == read.minimum_calls + 1
    assert "get_run" not in read.calls and "get_model_version" not in read.calls


def test_an_empty_registry_costs_the_two_listings():
    assert minimum_calls(0, 0, 0) == 2


def test_a_version_without_a_run_has_no_lineage(client):
    exp = client.create_experiment("t")
    client.create_registered_model("bare")
    client.create_model_version("bare", "s3://models/bare", run_id=None)
    training_run(client, exp, [])
    read = read_mlflow(client, deployed_aliases={"production"})
    (asset,) = read.assets
    assert asset.id == "model:bare/1" and asset.lineage == [] and read.calls.get("search_runs") is None


def test_a_run_id_that_is_not_an_id_is_a_missing_run_not_filter_text(client):
    exp = client.create_experiment("t")
    register(client, exp, "ok", 1, datasets=[("d", "12345678", "s3://d")])
    client.create_registered_model("odd")
    client.create_model_version("odd", "s3://models/odd", run_id="x') OR ('1'='1")
    read = read_mlflow(client, deployed_aliases={"production"})
    assert read.missing_runs == ["x') OR ('1'='1"] and read.runs == 1
    odd = next(a for a in read.assets if a.id == "model:odd/1")
    assert [lk.relation for lk in odd.lineage] == ["trained_by"]  # the link says which run; no datasets known
