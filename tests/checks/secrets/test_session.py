"""detect-secrets imported once under a lock: many threads at first use."""

from __future__ import annotations


def test_first_use_from_many_threads_at_once(tmp_path):
    """detect-secrets' modules import each other in a cycle: threads that import parts of it at once in a
    fresh process got half-initialised modules (a served flow's parallel scan tasks failed so). Fresh
    interpreter, 8 threads released together, half opening a scanner, half using a filter."""
    import subprocess
    import sys
    from pathlib import Path

    script = tmp_path / "race.py"
    script.write_text(
        "import sys, threading\n"
        f"sys.path.insert(0, {str(Path(__file__).resolve().parents[3])!r})\n"
        "from govgate.checks.secrets.detectors import _is_sequential\n"
        "from govgate.checks.secrets.session import open_scanner\n"
        "errors, barrier = [], threading.Barrier(8)\n"
        "def work(i):\n"
        "    barrier.wait()\n"
        "    try:\n"
        "        if i % 2:\n"
        "            _is_sequential('abcdef')\n"
        "        else:\n"
        "            with open_scanner():\n"
        "                pass\n"
        "    except Exception as exc:\n"
        "        errors.append(repr(exc))\n"
        "threads = [threading.Thread(target=work, args=(i,)) for i in range(8)]\n"
        "[t.start() for t in threads]\n"
        "[t.join() for t in threads]\n"
        "print(errors)\n"
        "sys.exit(1 if errors else 0)\n"
    )
    for _ in range(3):
        proc = subprocess.run([sys.executable, str(script)], capture_output=True, text=True, timeout=120)
        assert proc.returncode == 0, proc.stdout + proc.stderr[-2000:]
