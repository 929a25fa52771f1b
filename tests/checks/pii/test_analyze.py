"""Joined analysis of many cells equals analysing each cell alone."""

from __future__ import annotations

from govgate.checks.pii import (
    analyze_cells,
    resolve_overlaps,
)


def test_joined_analysis_equals_cell_by_cell(analyzer, frame):
    df, _ = frame
    cells = [
        *df["note"].head(60),
        *df["email"].head(20),
        *df["phone"].head(20),
        "a@b.co x@y.com",
        "",
        "ship to 12 Main St. on 03/04/2024, card 4111 1111 1111 1111",
        "ip 10.0.0.1 mac 00:1a:2b:3c:4d:5e",
        "Số CMND: 123456789",
        "MST 0100233488",
        "visit www.example.com/x.html",
    ]
    key = lambda rs: sorted((r.entity_type, r.start, r.end) for r in rs)  # noqa: E731
    joined = analyze_cells(analyzer, cells)
    unrouted = analyze_cells(analyzer, cells, route=False)

    one_by_one = [resolve_overlaps(analyzer.analyze(c, language="en")) for c in cells]
    assert [key(x) for x in joined] == [key(x) for x in one_by_one] == [key(x) for x in unrouted]
    assert any(joined)
