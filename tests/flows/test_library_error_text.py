"""Library error text never carries a cell, a secret or a password into evidence. pandas, Great Expectations
and a model's own code quote the value they failed on; connection errors repeat URLs with credentials.
A PII value and secrets are planted in the cells (and the model answer, and the tracking URI) that make those
libraries fail; every message still names the input and what is wrong, and no byte written under the test's
temporary tree (store, MLflow, Prefect's database, logs) nor the flow's own state message holds a value."""

from __future__ import annotations

import json
import shutil

import pytest

from flows.data_review import data_review
from flows.runner import drain, run_flow
from govgate.library_errors import described, shape_of, without_credentials
from govgate.store import open_store
from tests.test_no_leaks import _leaks, planted_values

SEED = 20261207


def _values(offset: int) -> dict[str, str]:
    """Each test plants its own values: a later test greps the whole temporary tree, earlier inputs too."""
    v = planted_values(SEED + offset)
    return {k: v[k] for k in ("email", "aws_key_id", "github_token", "db_password", "vn_phone")}


def test_a_library_message_keeps_its_shape_and_loses_every_value():
    v = _values(1)
    cell = f"{v['email']} {v['aws_key_id']}"
    texts = [
        f"Could not convert '{cell}' to numeric",  # pandas (quoted, as it is today)
        f"Could not convert {v['email']}{v['aws_key_id']} to numeric",  # pandas before 2.x: unquoted, joined
        f'could not convert string to float: "{v["github_token"]}"',
        f"MLflow at postgresql://admin:{v['db_password']}@db:5432/mlflow failed: refused",
        f"https://{v['github_token']}@example.org/repo.git cannot be reached",
        f"invalid literal for int() with base 10: {v['vn_phone']}",
    ]
    for text in texts:
        shown = shape_of(text)
        assert not [x for x in v.values() if x in shown or x[:10] in shown], (text, shown)
        assert "<value>" in shown or "***@" in shown, shown
    assert shape_of(texts[0]) == "Could not convert <value> to numeric"
    assert described(ValueError(texts[2])) == "ValueError: could not convert string to float: <value>"
    # what a message needs to say stays: line numbers, counts, wording
    assert shape_of("Error tokenizing data. C error: Expected 2 fields in line 3, saw 3") == (
        "Error tokenizing data. C error: Expected 2 fields in line 3, saw 3"
    )
    assert without_credentials(f"postgresql://admin:{v['db_password']}@db/x") == "postgresql://***@db/x"


def _hostile_files(tmp_path, v: dict[str, str]) -> dict[str, tuple[object, str]]:
    """name -> (file, words its error must contain): each broken where a planted value sits."""
    cell = f"{v['email']} {v['aws_key_id']}"
    ragged = tmp_path / "ragged.csv"
    ragged.write_text(f"id,note\n1,fine\n2,{v['email']},{v['aws_key_id']}\n")
    jsonl = tmp_path / "broken.jsonl"
    jsonl.write_text(json.dumps({"id": 1, "note": "fine"}) + "\n" + f'{{"id": 2, "note": {cell}}}\n')
    quote = tmp_path / "quote.csv"
    quote.write_text(f'id,note\n1,"{cell}\n')
    parquet = tmp_path / "fake.parquet"
    parquet.write_bytes(b"PAR1" + cell.encode() + b"PAR1")
    return {
        "ragged CSV": (ragged, "Expected 2 fields in line 3, saw 3"),
        "broken JSONL line": (jsonl, "is not well-formed JSONL"),
        "never-closed quote": (quote, "EOF inside string starting at row 1"),
        "not Parquet": (parquet, "is not a readable Parquet file"),
    }


def test_broken_files_with_planted_values_are_named_errors_that_quote_nothing(
    prefect_harness, local_settings, tmp_path
):
    v = _values(2)
    inputs = tmp_path / "inputs"
    inputs.mkdir()
    problems, files = [], []
    for name, (path, words) in _hostile_files(inputs, v).items():
        files.append(path)
        state = data_review(dataset=str(path), return_state=True)
        message = state.message or ""
        if not state.is_failed() or str(path) not in message or words not in message:
            problems.append(f"{name}: {state.type} {message[:300]}")
        problems += [f"{name}: {key} in the flow's message" for key, x in v.items() if x in message]
    drain()
    store = open_store(local_settings)
    records = [i.key for i in store.list("evidence/") if i.key.endswith("record.json")]
    outcomes = [json.loads(store.get_bytes(k))["decision"]["outcome"] for k in records]
    assert outcomes == ["error"] * len(files), outcomes
    assert not problems, "\n".join(problems)
    leaks = _leaks(v, skip=set(files))
    assert not leaks, "\n".join(leaks[:20])


def test_an_expectation_that_fails_on_a_cell_names_the_column_not_the_cell(
    prefect_harness, local_settings, tmp_path, monkeypatch
):
    """pandas' mean of a text column fails ("Could not convert '<first cell>' to numeric" on object columns):
    the quality check cannot be evaluated, names the expectation and its column, and quotes no cell; the most
    common values of a text column (GX's observed value: cells) are withheld."""
    import govgate.checks.quality.suites as suites

    v = _values(3)
    folder = tmp_path / "expectations"
    folder.mkdir()
    shutil.copy(suites.EXPECTATIONS_DIR / "generic.json", folder / "generic.json")
    (folder / "hostile.json").write_text(
        json.dumps(
            {
                "name": "hostile",
                "expectations": [
                    {"type": "expect_column_mean_to_be_between", "kwargs": {"column": "amount", "min_value": 0}},
                    {
                        "type": "expect_column_most_common_value_to_be_in_set",
                        "kwargs": {"column": "amount", "value_set": ["10"]},
                    },
                ],
            }
        )
    )
    monkeypatch.setattr(suites, "EXPECTATIONS_DIR", folder)
    data = tmp_path / "inputs" / "amounts.csv"
    data.parent.mkdir()
    rows = [f'1,"{v["email"]} {v["aws_key_id"]}"'] + [f"{i},{i * 10}" for i in range(2, 40)]
    data.write_text("id,amount\n" + "\n".join(rows) + "\n")
    result = run_flow(data_review, dataset=str(data), suites=["hostile"])
    drain()
    store = open_store(local_settings)
    key = next(i.key for i in store.list("evidence/") if i.key.endswith("record.json"))
    checks = [c for c in json.loads(store.get_bytes(key))["checks"] if "amount" in json.dumps(c)]
    mean = [c for c in checks if "expect_column_mean" in c["message"]]
    assert mean and mean[0]["outcome"] in ("error", "inconclusive"), [c["message"] for c in checks]
    assert "could not be evaluated: " in mean[0]["message"], mean[0]["message"]
    common = [c for c in checks if "expect_column_most_common" in c["message"]]
    assert common and "<text withheld" in json.dumps(common[0]), common  # the most common cells, withheld
    assert result["decision"] != "pass"
    leaks = _leaks(v, skip={data})
    assert not leaks, "\n".join(leaks[:20])


class _Failing:
    """A model whose own error message repeats what it memorised (a secret and an e-mail address)."""

    def __init__(self, text: str):
        self.text = text
        self.metadata = None

    def predict(self, frame):
        raise ValueError(f"cannot answer {len(frame)} prompts: last token {self.text!r}")


def test_a_model_error_in_the_leakage_probe_is_named_by_type_without_its_text():
    from types import SimpleNamespace

    from govgate.checks.leakage import leakage_checks

    v = _values(4)
    model = SimpleNamespace(model=_Failing(f"{v['aws_key_id']} {v['email']}"))
    (check,) = leakage_checks(model)
    assert check.outcome.value == "error"
    assert check.message.startswith("the model failed on the probe prompts: ValueError: cannot answer"), check.message
    assert not [k for k, x in v.items() if x in check.message], check.message


def test_health_checks_never_show_the_password_of_a_tracking_uri(prefect_harness, local_settings):
    from govgate.tracking import Tracker
    from tasks.health import check_mlflow

    v = _values(5)
    uri = f"http://admin:{v['db_password']}@127.0.0.1:9/"  # port 9 (discard): refused at once
    tracker = Tracker(uri, str(local_settings.home_dir / "artifacts"))
    (check,) = check_mlflow.fn(tracker) if hasattr(check_mlflow, "fn") else check_mlflow(tracker)
    assert check.outcome.value == "error" and "http://***@127.0.0.1:9/" in check.message, check.message
    assert v["db_password"] not in check.message


@pytest.mark.parametrize("name", ["probes.jsonl", "suite.json"])
def test_unreadable_probe_and_suite_files_say_which_byte_not_what_text(tmp_path, name):
    from govgate.checks.leakage import load_probe_file
    from govgate.checks.quality.suites import load_suite
    from govgate.errors import InputError

    v = _values(6)
    path = tmp_path / name
    path.write_bytes(f'{{"id": "p1", "prompt": "{v["email"]}"}}\n'.encode() + b"\xff" + v["aws_key_id"].encode())
    with pytest.raises(InputError) as err:
        load_probe_file(path) if name.endswith("jsonl") else load_suite("suite", directory=tmp_path)
    text = str(err.value)
    assert str(path) in text and "byte 0xff at offset" in text, text
    assert not [k for k, x in v.items() if x in text], text
