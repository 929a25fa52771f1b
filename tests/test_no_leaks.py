"""No raw secret or PII value in anything govgate writes: values are planted in free text beside each
other, in structured columns and in a text file, every gate that reads data runs on them, and every byte
written under the test's temporary tree (evidence store, MLflow database and artifacts, Prefect's
database, log files) is searched for each value, its long prefixes and its unkeyed SHA-256. The model
review is covered too: the values in its evaluation data and in a generative model's answers to the
leakage probes."""

from __future__ import annotations

import hashlib
import json
import random
import string
from pathlib import Path

import pytest

from flows.data_review import data_review
from flows.runner import drain, run_flow

ROOT = Path(__import__("tempfile").gettempdir())  # conftest points it at the session's temporary tree


def _token(rng: random.Random, alphabet: str, n: int) -> str:
    return "".join(rng.choice(alphabet) for _ in range(n))


def planted_values(seed: int) -> dict[str, str]:
    """Fresh values each run (so nothing else in the tree can match), shaped like the real thing."""
    rng = random.Random(seed)
    upper_digits = string.ascii_uppercase + "234567"
    b64 = string.ascii_letters + string.digits + "+/"
    alnum = string.ascii_letters + string.digits
    return {
        "aws_key_id": "AKIA" + _token(rng, upper_digits, 16),
        "aws_secret": _token(rng, b64, 40),
        "db_password": "Pw-" + _token(rng, alnum, 17),
        "github_token": "ghp_" + _token(rng, alnum, 36),
        "slack_token": f"xoxb-{rng.randrange(10**11, 10**12)}-{rng.randrange(10**12, 10**13)}-{_token(rng, alnum, 24)}",
        "pem_body": _token(rng, b64, 64),
        "email": f"{_token(rng, string.ascii_lowercase, 9)}@example.org",
        "vn_phone": f"+84 9{rng.randrange(10)} {rng.randrange(100, 1000)} {rng.randrange(1000, 10000)}",
        "cccd": f"0{rng.randrange(10**10, 10**11)}",
        "card": _luhn_card(rng),
    }


def _luhn_card(rng: random.Random) -> str:
    """A 16-digit Visa-shaped number with a valid Luhn check digit, grouped in fours."""
    digits = [4] + [rng.randrange(10) for _ in range(14)]
    total = sum(d if i % 2 else (2 * d - 9 if 2 * d > 9 else 2 * d) for i, d in enumerate(digits))
    digits.append((10 - total % 10) % 10)
    text = "".join(map(str, digits))
    return " ".join(text[i : i + 4] for i in range(0, 16, 4))


def _leaks(values: dict[str, str], skip: set[Path]) -> list[str]:
    """(value name, file) for every planted value, or its 16-character prefix, found in a written file."""
    needles = {}
    for name, value in values.items():
        needles[name] = value.encode()
        if len(value) > 20:
            needles[name + " (prefix)"] = value[:16].encode()
        # an unkeyed digest lets anyone confirm a guessed value offline: fingerprints must be keyed
        needles[name + " (unkeyed sha256)"] = hashlib.sha256(value.encode()).hexdigest()[:12].encode()
    found = []
    for path in ROOT.rglob("*"):
        if not path.is_file() or path in skip or path.is_symlink():
            continue
        data = path.read_bytes()
        found += [f"{name} in {path}" for name, needle in needles.items() if needle in data]
    return found


def _inputs(tmp_path: Path, v: dict[str, str]) -> tuple[Path, Path]:
    pem = f"-----BEGIN RSA PRIVATE KEY-----\\n{v['pem_body']}\\n-----END RSA PRIVATE KEY-----"
    note = (
        f"Customer wrote from {v['email']} (phone {v['vn_phone']}, id {v['cccd']}) about the outage; "
        f"ops pasted aws_access_key_id={v['aws_key_id']} aws_secret_access_key={v['aws_secret']} and "
        f"postgres://admin:{v['db_password']}@db.internal:5432/app plus {v['github_token']} {v['slack_token']} {pem}"
    )
    rows = ["id,email,phone,national_id,card,note"]
    for i in range(60):
        text = note if i % 3 == 0 else f"Routine request number {i} about delivery times"
        rows.append(f'{i},{v["email"]},{v["vn_phone"]},{v["cccd"]},{v["card"]},"{text}"')
    table = tmp_path / "tickets.csv"
    table.write_text("\n".join(rows) + "\n")
    code = tmp_path / "settings.py"
    code.write_text(
        "import os\n\n"
        f'AWS_ACCESS_KEY_ID = "{v["aws_key_id"]}"\n'
        f'AWS_SECRET_ACCESS_KEY = "{v["aws_secret"]}"\n'
        f'DATABASE_URL = "postgres://admin:{v["db_password"]}@db.internal:5432/app"\n'
        f'GITHUB_TOKEN = "{v["github_token"]}"  # owner {v["email"]}\n'
        f'SLACK = "{v["slack_token"]}"\n'
        f'KEY = """-----BEGIN RSA PRIVATE KEY-----\n{v["pem_body"]}\n-----END RSA PRIVATE KEY-----"""\n'
    )
    return table, code


@pytest.mark.parametrize("redact", [False, True])
def test_planted_secrets_and_pii_are_nowhere_in_what_govgate_writes(prefect_harness, local_settings, tmp_path, redact):
    values = planted_values(seed=1234 + redact)
    table, code = _inputs(tmp_path, values)
    results = [run_flow(data_review, dataset=str(path), redact=redact) for path in (table, code)]
    drain()
    assert [r["decision"] for r in results] == ["fail", "fail"]  # the secrets were found, then withheld
    leaks = _leaks(values, skip={table, code})
    assert not leaks, "\n".join(leaks[:30])


class LeakyTextModel:
    """A generative model that answers some prompts with the planted values (secrets and personal data),
    as a model that memorised its training data would. Defined at module level so MLflow pickles it by
    reference: the values are made at predict time from the seed, never stored in the model's files."""

    def __init__(self, seed: int):
        self.seed = seed

    def predict(self, context, model_input, params=None):
        v = planted_values(self.seed)
        leak = (
            f"Sure: aws_access_key_id={v['aws_key_id']} aws_secret_access_key={v['aws_secret']} "
            f"token {v['github_token']} slack {v['slack_token']}; write to {v['email']} or call {v['vn_phone']}, "
            f"card {v['card']}, id {v['cccd']}, postgres://admin:{v['db_password']}@db.internal/app"
        )
        return [leak if i % 2 == 0 else "I cannot help with that." for i in range(len(model_input))]


def _log_text_model(settings, seed: int, name: str):
    import mlflow
    import pandas as pd

    from govgate.tracking import Tracker, ensure_experiment

    mlflow.set_tracking_uri(settings.effective_mlflow_tracking_uri)
    mlflow.set_registry_uri(settings.effective_mlflow_tracking_uri)
    Tracker.from_settings(settings)
    location = f"{settings.effective_mlflow_artifact_location}/training"
    mlflow.set_experiment(experiment_id=ensure_experiment(mlflow.MlflowClient(), "training", location))
    python_model = type("LeakyText", (LeakyTextModel, mlflow.pyfunc.PythonModel), {"__module__": __name__})
    globals()["LeakyText"] = python_model  # importable by name, so the pickle refers to it
    with mlflow.start_run():
        mlflow.pyfunc.log_model(
            name="model",
            python_model=python_model(seed),
            pip_requirements=["pandas"],
            registered_model_name=name,
            input_example=pd.DataFrame({"prompt": ["hello"]}),
        )
    versions = mlflow.MlflowClient().search_model_versions(f"name = '{name}'")
    return str(max(int(v.version) for v in versions))


def test_model_review_writes_no_planted_value_from_its_data_or_its_model(prefect_harness, local_settings, tmp_path):
    """The evaluation data hold the planted values and the model's outputs to the leakage probes repeat
    them: the review fails the probe, and no value reaches the store, MLflow, Prefect's database or logs."""
    from flows.model_review import model_review

    seed = 4321
    values = planted_values(seed)
    version = _log_text_model(local_settings, seed, "leaky-text")
    data = tmp_path / "eval.csv"
    rows = ["prompt,label"] + [
        f'"Customer {values["email"]} ({values["vn_phone"]}) pasted {values["aws_key_id"]} {values["github_token"]}",'
        f"{'a' if i % 2 else 'b'}"
        for i in range(20)
    ]
    data.write_text("\n".join(rows) + "\n")
    result = run_flow(
        model_review, model_uri=f"models:/leaky-text/{version}", data=str(data), label="label", sensitive=["label"]
    )
    drain()
    assert result["decision"] == "fail"
    record = json.loads(Path(result["record_uri"].removeprefix("file://")).read_bytes())
    checks = {c["id"]: c["outcome"] for c in record["checks"]}
    assert checks["leakage.secrets"] == "fail" and checks["leakage.pii"] == "warn", checks
    leaks = _leaks(values, skip={data})
    assert not leaks, "\n".join(leaks[:30])
