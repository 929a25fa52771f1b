"""docs/checks-in-a-notebook.md runs as written: its python blocks, in order, in a fresh process with no
Prefect server configured, succeed and never import Prefect (the page's last block asserts it)."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
PAGE = REPO / "docs" / "checks-in-a-notebook.md"


def python_blocks(markdown: str) -> list[str]:
    return re.findall(r"^```python\n(.*?)^```", markdown, flags=re.S | re.M)


def test_notebook_page_runs_without_prefect():
    blocks = python_blocks(PAGE.read_text(encoding="utf-8"))
    assert len(blocks) >= 3 and "'prefect' not in sys.modules" in blocks[-1].replace('"', "'")
    env = {k: v for k, v in os.environ.items() if not k.startswith("PREFECT_")}
    env["PYTHONPATH"] = str(REPO)
    done = subprocess.run(
        [sys.executable, "-c", "\n\n".join(blocks)], cwd=REPO, env=env, capture_output=True, text=True, timeout=300
    )
    assert done.returncode == 0, done.stderr[-3000:]
    assert "fairness.sex.demographic_parity_difference" in done.stdout and "finding(s)" in done.stdout
