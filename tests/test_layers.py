"""The layers, checked statically: every import in every file (module level or inside a function) points
down the stack. deployments/cli -> flows -> tasks -> govgate (core, with checks) -> libraries."""

from __future__ import annotations

import ast
import pkgutil
import subprocess
import sys
from pathlib import Path

import pytest

import govgate

ROOT = Path(__file__).resolve().parents[1]

# What each folder may import from the project (besides itself).
ALLOWED = {
    "govgate": set(),
    "tasks": {"govgate"},
    "flows": {"govgate", "tasks"},
    "deployments": {"govgate", "tasks", "flows"},
    "cli": {"govgate", "tasks", "flows", "deployments"},
}
PROJECT = set(ALLOWED)


def imported_roots(path: Path) -> list[tuple[int, str]]:
    """(line, top-level package) of every import in the file, wherever it stands."""
    tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    found = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found += [(node.lineno, alias.name.split(".")[0]) for alias in node.names]
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            found.append((node.lineno, node.module.split(".")[0]))
    return found


def upward_imports(layer: str) -> list[str]:
    bad = []
    for path in sorted((ROOT / layer).rglob("*.py")):
        for line, root in imported_roots(path):
            if root in PROJECT and root != layer and root not in ALLOWED[layer]:
                bad.append(f"{path.relative_to(ROOT)}:{line} imports {root}")
    return bad


@pytest.mark.parametrize("layer", sorted(ALLOWED))
def test_no_layer_imports_upward(layer):
    assert upward_imports(layer) == []


def test_the_core_never_names_prefect():
    bad = [
        f"{path.relative_to(ROOT)}:{line}"
        for path in sorted((ROOT / "govgate").rglob("*.py"))
        for line, root in imported_roots(path)
        if root in ("prefect", "prefect_dask")
    ]
    assert bad == []


def test_the_scanner_sees_imports_inside_functions(tmp_path):
    # The check above is only as good as the scan: an import inside a function must be seen.
    sample = tmp_path / "sample.py"
    sample.write_text("def f():\n    from flows.data_review import data_review\n    import cli.main\n")
    assert imported_roots(sample) == [(2, "flows"), (3, "cli")]


def test_core_imports_no_prefect_at_run_time():
    modules = [m.name for m in pkgutil.walk_packages(govgate.__path__, "govgate.")]
    code = (
        "import sys\n"
        + "".join(f"import {m}\n" for m in modules)
        + "bad = sorted(m for m in sys.modules if m == 'prefect' or m.startswith('prefect.'))\n"
        + "assert not bad, bad[:5]\n"
    )
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert result.returncode == 0, result.stderr[-2000:]
    assert "govgate.checks.fairness" in modules and "govgate.store" in modules
