"""The MLflow source over a real `mlflow server` (REST, SQLite backend) with small pages: page tokens are
followed to the end, run batches span experiments, and the HTTP requests sent equal the calls counted
(the minimum plus the one experiment listing)."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest
from mlflow.tracking import MlflowClient

from govgate.inventory.sources.mlflow import read_mlflow

from .sources_helpers import register

sys.path.insert(0, str(Path(__file__).resolve().parents[3]))
from benchmarks.inventory_sync import HttpCounter, mlflow_server  # noqa: E402


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    folder = tmp_path_factory.mktemp("mlflow-server")
    db = folder / "mlflow.db"
    local = MlflowClient(f"sqlite:///{db}", f"sqlite:///{db}")
    experiments = [local.create_experiment(f"team-{i}") for i in range(2)]
    for m in range(5):  # 5 models x 3 versions, their runs split over two experiments
        register(
            local,
            experiments[m % 2],
            f"model-{m}",
            3,
            aliases={"production": 2},
            datasets=[(f"data-{m}", f"{m:08d}", f"s3://b/{m}.csv")],
        )
    with mlflow_server(db, folder / "server.log", workers=1) as url:
        yield url


def test_small_pages_over_rest_read_everything_at_the_counted_calls(server):
    counter = HttpCounter()
    try:
        client = MlflowClient(server, server)
        read = read_mlflow(client, deployed_aliases={"production"}, model_page=2, version_page=4, run_batch=6)
    finally:
        counter.close()
    assert (read.models, read.versions, read.runs, read.experiments) == (5, 15, 15, 3)  # + MLflow's Default
    assert read.calls == {
        "search_registered_models": 3,
        "search_model_versions": 4,
        "search_experiments": 1,
        "search_runs": 3,
    }
    assert read.total_calls == read.minimum_calls + 1 == 11
    assert counter.total == read.total_calls  # one HTTP request per call: nothing hidden behind the client
    ids = {a.id for a in read.assets}
    assert {f"model:model-{m}/{v}" for m in range(5) for v in (1, 2, 3)} | {
        f"dataset:data-{m}" for m in range(5)
    } == ids
    deployed = sorted(a.id for a in read.assets if a.status == "deployed")
    assert deployed == [f"model:model-{m}/2" for m in range(5)]
    v1 = next(a for a in read.assets if a.id == "model:model-3/1")
    assert [lk.to_id for lk in v1.lineage][1:] == ["dataset:data-3"]
