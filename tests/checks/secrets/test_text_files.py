"""Text files streamed with bounded memory: line numbers, long lines in windows, missing files."""

from __future__ import annotations

import random
import string
import tracemalloc

import pytest

from govgate.checks.secrets import (
    merge_secrets,
    scan_text_file,
    secrets_checks,
)
from govgate.errors import InputError
from tests.checks.secrets.helpers import BEGIN, END, PEM_BODY, PEM_LINES, mixed, rand, sha


def test_text_file_reports_line_numbers(tmp_path):
    token = "gh" + "p_" + rand(36, rng=random.Random(14))
    path = tmp_path / "notes.md"
    body = ["# notes", "nothing here", f"ci token: {token}", "", BEGIN, *PEM_LINES, END, "done"]
    path.write_text("\n".join(body) + "\n", encoding="utf-8")
    partial = scan_text_file(path)
    src = partial.sources["notes.md"]
    assert src.kind == "file" and src.cells == len(body)
    assert src.types["GitHub Token"].first_rows == [3] and src.types["GitHub Token"].secrets == {sha(token): 40}
    assert src.types["Private Key"].first_rows == [5] and src.types["Private Key"].secrets == {
        sha(PEM_BODY): len(PEM_BODY)
    }
    assert set(src.types) == {"GitHub Token", "Private Key"}
    checks, findings = secrets_checks(merge_secrets([partial]))
    assert checks[0].id == "data.secrets.notes.md"
    gh = next(f for f in findings if "GitHub" in f.message)
    assert gh.location == {"file": "notes.md", "lines": "3"}
    assert gh.message == "1 GitHub Token(s) in file 'notes.md' (1 lines)"


def test_long_single_line_is_scanned_in_windows_with_bounded_memory(tmp_path):
    """A 5 MB line, read in 256 KB windows: keys across window boundaries are found once, whole."""
    max_line, overlap = 262_144, 16_384
    step = max_line - overlap
    words = "lorem ipsum dolor sit amet consectetur adipiscing elit sed do eiusmod tempor incididunt ut labore".split()
    filler_rng = random.Random(5)
    filler = []
    size = 0
    while size < 5_100_000:
        w = filler_rng.choice(words)
        filler.append(w)
        size += len(w) + 1
    line = list(" ".join(filler))
    rng = random.Random(15)
    aws = "AK" + "IA" + rand(16, string.ascii_uppercase + string.digits, rng=rng)
    gh = "gh" + "p_" + rand(36, rng=rng)
    blob, cut_blob = mixed(48, rng=rng), mixed(48, rng=rng)
    plants = {  # start offsets: across the ends of windows 10, 11 and 13, inside window 12
        10 * step + max_line - 10: aws,
        11 * step + max_line - 25: gh,
        12 * step + 100_000: blob,
        13 * step + max_line - 30: cut_blob,  # its first 30 chars alone would look like another secret
    }
    for start, value in plants.items():
        line[start - 1 : start + len(value) + 1] = list(f" {value} ")
    path = tmp_path / "one-line.txt"
    path.write_text("".join(line), encoding="ascii")
    assert path.stat().st_size >= 5_000_000
    del line

    warm = tmp_path / "warm.txt"  # imports and detect-secrets caches are not the line's memory
    warm.write_text("x = 1\n")
    scan_text_file(warm)
    tracemalloc.start()
    try:
        partial = scan_text_file(path, max_line_bytes=max_line)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert peak < 2_500_000, f"peak {peak} bytes: the line was not windowed"
    src = partial.sources["one-line.txt"]
    assert src.cells == 1
    assert {t: tt.secrets for t, tt in src.types.items()} == {
        "AWS Access Key": {sha(aws): 20},
        "GitHub Token": {sha(gh): 40},
        "High Entropy String": {sha(blob): 48, sha(cut_blob): 48},
    }
    assert all(tt.first_rows == [1] for tt in src.types.values())
    assert overlap == min(16_384, max_line // 2)  # the window layout the offsets above assume


def test_missing_file_is_an_input_error(tmp_path):
    with pytest.raises(InputError, match="cannot read"):
        scan_text_file(tmp_path / "absent.txt")
