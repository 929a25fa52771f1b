"""An unexpected error inside a govgate task (a library quoting the value it choked on) reaches Prefect,
the flow's error record, the store and MLflow by type and place only: the planted value is in no byte
written under the test tree (Prefect's SQLite database and its WAL, result storage, store, MLflow), except
the local debug log, which keeps the raw traceback for whoever runs govgate. The control: the same body in a
plain ``@task`` does write the value into Prefect's database, so the search can find it."""

from __future__ import annotations

import logging
import uuid
from pathlib import Path

import pandas as pd
import pytest
from mlflow.pyfunc import PythonModel
from prefect import flow, task
from prefect.cache_policies import NO_CACHE

from govgate.errors import UnexpectedError
from govgate.protocol import DATA_REVIEW
from govgate.record import AssetKind, Subject
from tasks.gate_run import GateRun
from tasks.govgate_task import LOCAL_LOG, govgate_task

ROOT = Path(__import__("tempfile").gettempdir())  # conftest points it at the session's temporary tree


def _to_float(path: str) -> float:
    # ValueError: could not convert string to float: '...'
    return float(pd.read_csv(path, dtype=str)["amount"].astype(float).sum())


def _select(path: str) -> pd.DataFrame:
    wanted = list(pd.read_csv(path, dtype=str)["amount"])
    return pd.DataFrame({"amount": [1.0]})[wanted]  # KeyError: "['...'] not in index"


wrapped_float = govgate_task(name="to-float", cache_policy=NO_CACHE)(_to_float)
wrapped_select = govgate_task(name="select-columns", cache_policy=NO_CACHE)(_select)
plain_float = task(name="to-float-plain", cache_policy=NO_CACHE)(_to_float)


@flow(name="leaky-gate")
def leaky_gate(path: str, step: str) -> None:
    """The planted value reaches the task in a file (a gate's parameters name files, not values)."""
    subject = Subject(kind=AssetKind.DATASET, id="planted")
    with GateRun(DATA_REVIEW, subject, {"step": step}) as run:
        run.load_policy()
        {"float": wrapped_float, "select": wrapped_select, "plain": plain_float}[step](path)


def _planted_file(tmp_path: Path, value: str) -> str:
    path = tmp_path / "input.csv"
    path.write_text(f"amount\n{value}\n")
    return str(path)


def _files_holding(needle: bytes, skip: set[Path]) -> list[Path]:
    return [
        p for p in ROOT.rglob("*") if p.is_file() and not p.is_symlink() and p not in skip and needle in p.read_bytes()
    ]


@pytest.mark.parametrize("step", ["float", "select"])
def test_a_library_error_in_a_task_leaves_its_value_nowhere_but_the_local_log(
    prefect_harness, local_settings, tmp_path, step
):
    planted = f"{uuid.uuid4().hex[:10]}@example.org" if step == "float" else f"4111{uuid.uuid4().int % 10**12:012d}"
    local_log = tmp_path / "govgate.log"
    handler = logging.FileHandler(local_log, encoding="utf-8")
    LOCAL_LOG.addHandler(handler)
    try:
        with pytest.raises(UnexpectedError) as raised:
            leaky_gate(_planted_file(tmp_path, planted), step)
    finally:
        LOCAL_LOG.removeHandler(handler)
        handler.close()
    assert planted not in str(raised.value)
    assert ("ValueError" if step == "float" else "KeyError") in str(raised.value)
    assert planted in local_log.read_text()  # the raw traceback is kept for debugging, locally
    assert _files_holding(planted.encode(), skip={local_log, tmp_path / "input.csv"}) == []


def test_control_a_plain_task_writes_the_value_into_prefects_database(prefect_harness, local_settings, tmp_path):
    planted = f"{uuid.uuid4().hex[:10]}@example.net"
    with pytest.raises(UnexpectedError):  # GateRun masks it in the record, but Prefect already wrote it
        leaky_gate(_planted_file(tmp_path, planted), "plain")
    holding = _files_holding(planted.encode(), skip={tmp_path / "input.csv"})
    assert any("prefect" in str(p) for p in holding), holding


def test_every_govgate_task_is_wrapped():
    """No module under tasks/ takes ``task`` from Prefect itself: each gets the sanitizing wrapper."""
    import re

    tasks_dir = Path(__file__).resolve().parents[2] / "tasks"
    direct = [
        p.name
        for p in tasks_dir.glob("*.py")
        if p.name != "govgate_task.py" and re.search(r"^from prefect import .*\btask\b", p.read_text(), re.M)
    ]
    assert direct == []


class FloatModel(PythonModel):
    """A python_function model that reads its features as numbers, as many do: a text value in a feature
    makes pandas raise "could not convert string to float: '<the value>'". Module level: pickled by reference."""

    def predict(self, context, model_input, params=None):
        numbers = model_input[["income", "debt"]].astype(float)
        return ["approved" if v > 0 else "rejected" for v in numbers["income"]]


def test_a_model_review_whose_data_breaks_the_model_leaves_the_value_nowhere(prefect_harness, local_settings, tmp_path):
    """A real gate: an e-mail address in a feature of the evaluation data, which the model fails on; the
    library's message quoting it reaches neither Prefect, the record, the store nor MLflow."""
    import numpy as np

    from flows.model_review import model_review
    from govgate.errors import GovgateError
    from tests.flows.test_model_review_inputs import _latest, _mlflow

    rng = np.random.default_rng(3)
    frame = pd.DataFrame({"income": rng.normal(size=200), "debt": rng.normal(size=200)})
    frame["sex"] = rng.choice(["female", "male"], 200)
    frame["outcome"] = np.where(frame["income"] > 0, "approved", "rejected")
    mlflow = _mlflow(local_settings)
    with mlflow.start_run():  # no signature: the model gets the data as it is
        mlflow.pyfunc.log_model(
            name="model", python_model=FloatModel(), pip_requirements=["pandas"], registered_model_name="planted-m"
        )
    version = _latest(mlflow, "planted-m")
    frame["income"] = frame["income"].astype(object)
    planted = f"{uuid.uuid4().hex[:10]}@example.org"
    frame.loc[0, "income"] = planted
    data = tmp_path / "eval.csv"
    frame.to_csv(data, index=False)
    with pytest.raises(GovgateError) as raised:
        model_review(
            model_uri=f"models:/planted-m/{version}",
            data=str(data),
            label="outcome",
            sensitive=["sex"],
            pos_label="approved",
            tier="medium",
        )
    assert "failed to predict" in str(raised.value) and "ValueError" in str(raised.value)
    assert planted not in str(raised.value)
    assert _files_holding(planted.encode(), skip={data}) == []
