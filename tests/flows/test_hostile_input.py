"""A corpus of hostile or broken inputs through the real data-review flow: each ends in one clear error
naming the input and what is wrong, a failed run and a published `error` record; or, for NUL bytes and
repeated column names, in a review whose failed checks say so. Memory of the 50 MB cases is bounded in a
separate process (RUSAGE_CHILDREN), since the test process itself holds the Prefect harness."""

from __future__ import annotations

import json
import os
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


HEADERLESS = b"".join(
    f'A{i:013d},B00{i:07d},Reviewer Name{i},"[0, 1]",Great strings for the price,5,1393545600\n'.encode()
    for i in range(40)
).replace(b"Reviewer Name0", b"Quynh Lindqvist")


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
        "headerless, no datasheet": (_write(tmp / "nohead.csv", HEADERLESS), "the first row looks like data"),
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


# The child's own peak (VmHWM): ru_maxrss would carry the forking pytest process's peak across exec.
PEAK = """
def _peak_mb():
    for line in open("/proc/self/status"):
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
"""

SCRIPT = (
    PEAK
    + """
import sys
from govgate.datasets import inspect_dataset
from govgate.datasheet import Datasheet
from govgate.errors import InputError
from govgate.settings import load_settings
try:
    inspect_dataset(sys.argv[1], Datasheet(), load_settings())
except InputError as exc:
    print(exc)
    print(f"peak_mb={_peak_mb()}", file=sys.stderr)
    sys.exit(1)
"""
)


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
    peak_mb = float(done.stderr.rsplit("peak_mb=", 1)[1])
    assert peak_mb < 2048, f"{peak_mb:.0f} MB"


def test_a_headerless_file_without_a_datasheet_leaves_no_value_in_any_column_name(
    prefect_harness, s3_settings, tmp_path
):
    """Its first row (a reviewer's id and name) is refused before anything is written: the one error record
    and every other byte in the store hold none of its values."""
    state = data_review(dataset=str(_write(tmp_path / "reviews.csv", HEADERLESS)), return_state=True)
    assert state.is_failed() and "format: {header: false}" in state.message
    store = open_store(s3_settings)
    written = b"".join(store.get_bytes(i.key) for i in store.list(""))
    assert b'"outcome": "error"' in written or b'"outcome":"error"' in written
    first_row = [b"A0000000000000", b"B000000000", b"Quynh Lindqvist", b"Great strings for the price", b"1393545600"]
    assert all(value in HEADERLESS.split(b"\n")[0] for value in first_row)
    assert [value for value in first_row if value in written] == []


FLOW_SCRIPT = (
    PEAK
    + """
import json, sys
from flows.data_review import data_review
state = data_review(dataset=sys.argv[1], return_state=True)
peak_mb = _peak_mb()
print(json.dumps({"failed": state.is_failed(), "message": state.message or "", "peak_mb": peak_mb}))
"""
)


def _quoted_bombs(tmp: Path) -> dict[str, Path]:
    """CSV files whose quoting, not their line lengths, is hostile: every physical line is short."""
    line = b"lorem ipsum dolor sit amet, consectetur adipiscing elit, sed do eiusmod tempor\n"
    lines = 50_000_000 // len(line)
    files = {}
    with (tmp / "never-closed.csv").open("wb") as f:  # one quoted field opens and runs to the end (50 MB)
        f.write(b'id,note\n1,"')
        f.writelines(line for _ in range(lines))
    files["a quoted field that never closes"] = tmp / "never-closed.csv"
    with (tmp / "fifty-mb-field.csv").open("wb") as f:  # closed, but one cell is 50 MB
        f.write(b'id,note\n1,"')
        f.writelines(line for _ in range(lines))
        f.write(b'"\n2,short\n')
    files["one 50 MB quoted field"] = tmp / "fifty-mb-field.csv"
    with (tmp / "many-mb-fields.csv").open("wb") as f:  # ten cells of 9 MB each
        f.write(b"id,note\n")
        for i in range(10):
            f.write(b'%d,"' % i)
            f.writelines(line for _ in range(9_000_000 // len(line)))
            f.write(b'"\n')
    files["ten 9 MB quoted fields"] = tmp / "many-mb-fields.csv"
    with (tmp / "quote-bomb.csv").open("wb") as f:  # 50 MB of quote characters: escaped pairs that never close
        f.write(b'id,note\n1,"')
        f.writelines(b'"' * 998 + b"\n" for _ in range(50_000))
    files["50 MB of quote characters"] = tmp / "quote-bomb.csv"
    return files


def test_quoted_field_bombs_are_one_clear_error_in_bounded_memory(prefect_harness, s3_settings, tmp_path):
    """Each runs the real flow in its own process (its peak memory measured there) against the test's
    Prefect server and bucket: a failed run whose one-line error names the file, no traceback, an error
    record, under 2 GB and 120 s."""
    from prefect.settings import PREFECT_API_URL

    store = open_store(s3_settings)
    env = {**os.environ, "PREFECT_API_URL": PREFECT_API_URL.value(), "PYTHONPATH": str(Path(__file__).parents[2])}
    problems = []
    for name, path in _quoted_bombs(tmp_path).items():
        before = {i.key for i in store.list("evidence/") if i.key.endswith("record.json")}
        done = subprocess.run(
            [sys.executable, "-c", FLOW_SCRIPT, str(path)], env=env, capture_output=True, text=True, timeout=120
        )
        outcome = json.loads(done.stdout.strip().splitlines()[-1]) if done.returncode == 0 else {}
        message = outcome.get("message", "")
        new = [i.key for i in store.list("evidence/") if i.key.endswith("record.json") and i.key not in before]
        records = [json.loads(store.get_bytes(k))["decision"]["outcome"] for k in new]
        print(f"{name}: {outcome.get('peak_mb', 0):.0f} MB, {records}, {message[:200]}")
        if not outcome.get("failed") or str(path) not in message or "Traceback" in message:
            problems.append(f"{name}: exit {done.returncode} {outcome or done.stderr[-1500:]}")
        elif records != ["error"]:
            problems.append(f"{name}: expected one error record, got {records}")
        elif outcome["peak_mb"] >= 2048:
            problems.append(f"{name}: peak {outcome['peak_mb']:.0f} MB")
    assert not problems, "\n".join(problems)
