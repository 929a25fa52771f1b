"""Expectation suites as data: loaded from expectations/<name>.json and validated, and the generic suite built from datasheet columns."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

from govgate.checks.quality.constants import EXPECTATIONS_DIR, GENERIC_SUITE
from govgate.checks.quality.gx import gx_expectation, plain_json
from govgate.errors import InputError
from govgate.library_errors import os_reason

_SUITE_KEYS = {"name", "expectations", "description", "meta", "notes", "id"}
_EXPECTATION_KEYS = {"type", "kwargs", "meta", "id", "severity", "notes", "description", "rendered_content"}


# --------------------------------------------------------------------------------------------- suites


def load_suite(name: str, *, directory: str | Path | None = None) -> list[dict]:
    """The expectations of ``expectations/<name>.json`` as ``{"type", "kwargs", "meta"}`` dicts, each
    with ``meta["suite"] = name``. An unknown name or a malformed file is an ``InputError`` that names the
    file and what is wrong (including GX's own validation of every expectation's arguments)."""
    folder = Path(directory) if directory is not None else EXPECTATIONS_DIR
    if not isinstance(name, str) or not re.fullmatch(r"[A-Za-z0-9][A-Za-z0-9_\-]*", name):
        raise InputError(
            f"expectation suite name {name!r} is not valid: use letters, digits, '_' and '-' (the file is {folder}/<name>.json)"
        )
    path = folder / f"{name}.json"
    if not path.is_file():
        known = sorted(p.stem for p in folder.glob("*.json")) if folder.is_dir() else []
        raise InputError(
            f"expectation suite {name!r}: {path} does not exist; known suites: {', '.join(known) or 'none'}"
        )
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except json.JSONDecodeError as exc:
        raise InputError(f"{path}: not valid JSON at line {exc.lineno}, column {exc.colno}: {exc.msg}") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise InputError(f"{path}: cannot be read: {os_reason(exc)}") from None
    if not isinstance(data, dict):
        raise InputError(f"{path}: expected an object with keys name, expectations; got {type(data).__name__}")
    unknown = sorted(set(data) - _SUITE_KEYS)
    if unknown:
        raise InputError(f"{path}: unknown key(s) {unknown}; a suite has {sorted(_SUITE_KEYS)}")
    if data.get("name") != name:
        raise InputError(f"{path}: 'name' is {data.get('name')!r}; it must be the file's name {name!r}")
    items = data.get("expectations")
    if not isinstance(items, list):
        raise InputError(f"{path}: 'expectations' must be a list of {{type, kwargs, meta}} objects")
    out = []
    for i, item in enumerate(items):
        where = f"{path}: expectations[{i}]"
        out.append(_validated(item, where, suite=name))
    return out


def generic_expectations(columns: list[dict], observed_columns: list[str]) -> list[dict]:
    """The suite every dataset gets (suite name ``generic``): the table-level expectations of
    ``expectations/generic.json`` plus, from the datasheet columns, expect_column_to_exist for every
    declared column and, for declared columns present in ``observed_columns``: not-null where
    ``nullable`` is false, between for ``min``/``max``, in-set for ``allowed_values``, unique where
    ``unique`` is true. Columns with ``pii: true`` get fully hashed examples."""
    if not isinstance(columns, list):
        raise InputError(f"datasheet columns: expected a list of column objects, got {type(columns).__name__}")
    observed = {str(c) for c in observed_columns}
    table_level = load_suite(GENERIC_SUITE) if (EXPECTATIONS_DIR / f"{GENERIC_SUITE}.json").is_file() else []
    out: list[dict] = []
    for i, col in enumerate(columns):
        if not isinstance(col, dict) or not isinstance(col.get("name"), str) or not col["name"].strip():
            raise InputError(f"datasheet columns[{i}]: expected an object with a non-empty 'name', got {col!r}")
        name = col["name"]
        meta = {"suite": GENERIC_SUITE, "source": "datasheet", "column": name}
        if col.get("pii"):
            meta["pii"] = True

        def add(type_: str, name: str = name, meta: dict = meta, **kwargs: Any) -> None:
            out.append({"type": type_, "kwargs": {"column": name, **kwargs}, "meta": dict(meta)})

        add("expect_column_to_exist")
        if name not in observed:
            continue  # the existence check fails; value checks would only repeat it
        if col.get("nullable") is False:
            add("expect_column_values_to_not_be_null")
        lo, hi = col.get("min"), col.get("max")
        if lo is not None or hi is not None:
            add("expect_column_values_to_be_between", min_value=lo, max_value=hi)
        if col.get("allowed_values") is not None:
            values = col["allowed_values"]
            if not isinstance(values, list):
                raise InputError(f"datasheet columns[{i}] ({name}): allowed_values must be a list, got {values!r}")
            add("expect_column_values_to_be_in_set", value_set=values)
        if col.get("unique") is True:
            add("expect_column_values_to_be_unique")
    return table_level + [
        _validated(e, f"datasheet column {e['kwargs']['column']!r}", suite=GENERIC_SUITE) for e in out
    ]


def _validated(item: Any, where: str, *, suite: str) -> dict:
    if not isinstance(item, dict):
        raise InputError(f"{where}: expected an object with keys type, kwargs, meta; got {type(item).__name__}")
    unknown = sorted(set(item) - _EXPECTATION_KEYS)
    if unknown:
        raise InputError(f"{where}: unknown key(s) {unknown}; an expectation has type, kwargs, meta")
    type_, kwargs, meta = item.get("type"), item.get("kwargs", {}), item.get("meta") or {}
    if not isinstance(type_, str) or not type_:
        raise InputError(f"{where}: 'type' must be an expectation name such as expect_column_values_to_not_be_null")
    if not isinstance(kwargs, dict):
        raise InputError(f"{where} ({type_}): 'kwargs' must be an object, got {type(kwargs).__name__}")
    if not isinstance(meta, dict):
        raise InputError(f"{where} ({type_}): 'meta' must be an object, got {type(meta).__name__}")
    if "$PARAMETER" in json.dumps(kwargs, default=str):
        raise InputError(f"{where} ({type_}): suite parameters ($PARAMETER) are not supported; write the values")
    gx_expectation(type_, kwargs, {}, where)  # GX validates the type and its arguments
    return {"type": type_, "kwargs": plain_json(kwargs), "meta": {**plain_json(meta), "suite": suite}}
