"""The core never imports Prefect; renderers read only the record."""

from __future__ import annotations

import pkgutil
import subprocess
import sys

import govgate


def test_core_imports_no_prefect():
    modules = [f"govgate.{m.name}" for m in pkgutil.iter_modules(govgate.__path__)]
    code = "import sys\n" + "".join(f"import {m}\n" for m in modules) + (
        "bad = sorted(m for m in sys.modules if m == 'prefect' or m.startswith('prefect.'))\n"
        "assert not bad, bad[:5]\n"
    )
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert result.returncode == 0, result.stderr[-2000:]
    assert "govgate.cli" in modules and "govgate.store" in modules
