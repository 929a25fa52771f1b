"""A corpus of hostile or broken inputs through the real data-review flow: each ends in one clear error
naming the input and what is wrong, a failed run and a published `error` record; or, for NUL bytes and
repeated column names, in a review whose failed checks say so. Memory of the 50 MB cases is bounded in a
separate process (RUSAGE_CHILDREN), since the test process itself holds the Prefect harness."""

from __future__ import annotations

import json
import os
import resource
import subprocess
import sys
from pathlib import Path

import pytest

from flows.data_review import data_review
from flows.runner import run_flow
from govgate.store import open_store


def _write(path: Path, data: bytes) -> Path:
    path.write_bytes(data)
    return path


def _cases(tmp: Path) -> dict[str, tuple[Path, str]]:
    """name -> (file, words the error must contain besides the file's name)."""
    loop = tmp / "loop.csv"
    os.symlink(loop, loop)  # a symlink to itself
    dangling = tmp / "dangling.csv"
    os.symlink(tmp / "gone.csv", dangling)
    return {
        "empty": (_write(tmp / "empty.csv", b""), "is empty (0 bytes)"),
        "blank lines only": (_write(tmp / "blank.csv", b"\n\n \n"), "has no header or data rows"),
        "ragged": (_write(tmp / "ragged.csv", b"a,b\n1,2\n3,4,5\n"), "Expected 2 fields in line 3, saw 3"),
        "utf-16": (_write(tmp / "utf16.csv", "name,city\nAn,Huế\n".encode("utf-16")), "is not valid utf-8"),
        "latin-1 declared utf-8": (_write(tmp / "latin1.csv", "name\nJosé\n".encode("latin-1")), "not valid utf-8"),
        "symlink loop": (loop, "does not exist"),
        "dangling symlink": (dangling, "does not exist"),
        "10,000 columns": (
            _write(tmp / "wide.csv", (",".join(f"c{i}" for i in range(10_000)) + "\n" + "1," * 9_999 + "1\n").encode()),
            "has 10,000 columns (limit 4,096)",
        ),
        "one 9 MB line": (_write(tmp / "long.csv", b"text\n" + b"x" * 9 * 1024 * 1024 + b"\n"), "a line is"),
        "parquet that is not": (_write(tmp / "fake.parquet", b"PAR1 not really"), "is not a readable Parquet file"),
        "jsonl that is not": (_write(tmp / "bad.jsonl", b'{"a": 1}\n{"a": \n'), "is not well-formed JSONL"),
    }


def test_each_broken_input_is_one_clear_error_and_an_error_record(prefect_harness, s3_settings, tmp_path):
    store = open_store(s3_settings)
    problems = []
    for name, (path, words) in _cases(tmp_path).items():
        before = {i.key for i in store.list("evidence/") if i.key.endswith("record.json")}
        state = data_review(dataset=str(path), return_state=True)
        message = state.message or ""
        if not state.is_failed() or str(path) not in message or words not in message or "Traceback" in message:
            problems.append(f"{name}: {state.type} {message[:300]}")
            continue
        new = [i.key for i in store.list("evidence/") if i.key.endswith("record.json") and i.key not in before]
        records = [json.loads(store.get_bytes(k)) for k in new]
        if [r["decision"]["outcome"] for r in records] != ["error"]:
            problems.append(f"{name}: expected one error record, got {[r['decision']['outcome'] for r in records]}")
    assert not problems, "\n".join(problems)


def test_nul_bytes_and_repeated_columns_are_findings_not_silence(prefect_harness, s3_settings, tmp_path):
    path = _write(
        tmp_path / "odd.csv",
        b"id,amount,amount,note\n" + b"".join(f"{i},{i},{i * 2},row\x00{i}\n".encode() for i in range(50)),
    )
    result = run_flow(data_review, dataset=str(path))
    store = open_store(s3_settings)
    key = result["record_uri"].split(f"s3://{store.bucket}/{store.prefix}", 1)[1]
    checks = {c["id"]: c for c in json.loads(store.get_bytes(key))["checks"]}
    assert checks["data.input.nul_bytes"]["outcome"] == "fail"
    assert checks["data.input.nul_bytes"]["metrics"][0]["value"] == 50
    assert checks["data.input.duplicate_columns"]["outcome"] == "fail"
    assert result["decision"] == "fail"


SCRIPT = """
import sys
from govgate.datasets import inspect_dataset
from govgate.datasheet import Datasheet
from govgate.errors import InputError
from govgate.settings import load_settings
try:
    inspect_dataset(sys.argv[1], Datasheet(), load_settings())
except InputError as exc:
    print(exc)
    sys.exit(1)
"""


@pytest.mark.parametrize("shape", ["one 50 MB line", "50 MB header"])
def test_50_mb_single_line_files_are_refused_in_bounded_memory(tmp_path, shape):
    path = tmp_path / "big.csv"
    with path.open("wb") as f:
        if shape == "one 50 MB line":
            f.write(b"x" * 50_000_000)
        else:
            f.write(b",".join(b"c%d" % i for i in range(6_000_000))[:50_000_000])
    env = {**os.environ, "GOVGATE_HOME": str(tmp_path / "home")}
    done = subprocess.run(
        [sys.executable, "-c", SCRIPT, str(path)], env=env, capture_output=True, text=True, timeout=120
    )
    assert done.returncode == 1 and str(path) in done.stdout and "Traceback" not in done.stderr, done.stderr[-2000:]
    peak_mb = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
    assert peak_mb < 2048, f"{peak_mb:.0f} MB"
