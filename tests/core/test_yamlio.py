"""The strict YAML loader: hostile and broken files are refused with one error naming the file."""

import time
from pathlib import Path

import pytest
import yaml

from govgate.datasheet import load_datasheet
from govgate.errors import InputError, PolicyError
from govgate.policy import load_policy
from govgate.yamlio import MAX_DEPTH, MAX_NODES, load_yaml

BILLION_LAUGHS = "\n".join(
    [
        'lol: &l0 ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]',
        *(f"l{i}: &l{i} [" + ",".join([f"*l{i - 1}"] * 9) + "]" for i in range(1, 9)),
        "columns: *l8",
    ]
)


def test_billion_laughs_datasheet_is_refused_fast_with_the_file_named(tmp_path):
    sheet = tmp_path / "bomb.yaml"
    sheet.write_text(BILLION_LAUGHS)
    assert sheet.stat().st_size < 1000
    started = time.perf_counter()
    with pytest.raises(InputError, match=r"datasheet .*bomb\.yaml: refused at line \d+.*aliases are expanded") as err:
        load_datasheet(sheet)
    assert time.perf_counter() - started < 1.0
    assert f"{MAX_NODES:,}" in str(err.value)


def test_duplicate_keys_are_an_error(tmp_path):
    policy = tmp_path / "policy.yaml"
    policy.write_text("name: p\nversion: 1\nname: q\ntiers: {}\n")
    with pytest.raises(
        PolicyError, match=r"policy\.yaml: not valid YAML at line 3, column 1: found duplicate key 'name'"
    ):
        load_policy(policy)


def test_merge_keys_may_still_be_overridden():
    assert load_yaml("base: &b {a: 1, c: 3}\nx:\n  <<: *b\n  a: 2\n", what="f") == {
        "base": {"a": 1, "c": 3},
        "x": {"a": 2, "c": 3},
    }


def test_deep_nesting_is_refused():
    deep = "[" * (MAX_DEPTH + 1) + "]" * (MAX_DEPTH + 1)
    with pytest.raises(
        InputError, match=rf"deep\.yaml: refused at line 1, column \d+: nesting deeper than {MAX_DEPTH}"
    ):
        load_yaml(deep, what="deep.yaml")
    ok = "[" * (MAX_DEPTH - 1) + "]" * (MAX_DEPTH - 1)
    assert load_yaml(ok, what="ok.yaml") == yaml.safe_load(ok)


def test_recursive_alias_is_refused():
    with pytest.raises(InputError, match="recursive alias"):
        load_yaml("a: &x [1, *x]\n", what="loop.yaml")


def test_oversized_text_is_refused_before_parsing():
    with pytest.raises(InputError, match=r"big\.yaml: refused: larger than 5 MB"):
        load_yaml(b"#" * (5 * 1024 * 1024 + 1), what="big.yaml")


def test_missing_or_undecodable_file_names_it(tmp_path):
    with pytest.raises(InputError, match=r"sheet nope\.yaml cannot be read"):
        load_yaml(tmp_path / "nope.yaml", what="sheet nope.yaml")
    bad = tmp_path / "latin.yaml"
    bad.write_bytes(b"name: caf\xe9\n")
    with pytest.raises(InputError, match=r"sheet latin\.yaml is not UTF-8 text"):
        load_yaml(bad, what="sheet latin.yaml")


def test_normal_files_load_as_safe_load_does():
    root = Path(__file__).resolve().parents[2]
    files = [*root.glob("policies/*.yaml"), *root.glob("expectations/*.yaml"), root / "prefect.yaml"]
    assert files
    for path in files:
        assert load_yaml(path, what=str(path)) == yaml.safe_load(path.read_text(encoding="utf-8")), path
    assert load_yaml("", what="empty") is None
    assert load_yaml("x: [1, 2.5, null, 2024-01-02]", what="f") == yaml.safe_load("x: [1, 2.5, null, 2024-01-02]")


def test_an_impossible_date_is_one_error_naming_its_line():
    with pytest.raises(InputError, match=r"x\.yaml: .*line 2.*'2027-02-30' is not a valid date"):
        load_yaml("a:\n  b: 2027-02-30\n", what="x.yaml")
