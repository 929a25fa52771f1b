"""Evidence of the anonymized copy: what was written, each column's rule and share of cells changed, and the re-scan."""

from __future__ import annotations

from govgate.checks.pii.copy_rules import CopyRules
from govgate.checks.pii.rescan import ColumnLeft
from govgate.record import Check, Metric, Threshold


def copy_check(
    uri: str, sha256: str, rows: int, rows_written: int, rules: CopyRules, changed: dict[str, tuple[int, int]]
) -> Check:
    """``data.anonymized_copy``: the copy holds every row; per column its rule, and the share of its
    non-null cells that the copy changed (``<column>.changed_share``)."""
    threshold = Threshold(metric="rows_missing", op="==", value=0)
    missing = rows - rows_written
    shares = {n: (k / cells if cells else 0.0) for n, (cells, k) in changed.items()}
    rewritten = [n for n, (_, k) in changed.items() if k]
    return Check(
        id="data.anonymized_copy",
        title="Anonymized copy written",
        category="privacy",
        outcome=threshold.judge(missing),
        message=f"{rows_written} of {rows} rows; cells changed in "
        + (", ".join(f"{n} {100 * shares[n]:.1f}%" for n in rewritten) if rewritten else "no column")
        + f"; {uri} sha256 {sha256[:12]}",
        metrics=[
            Metric(name="rows_missing", value=missing, n=rows),
            *(
                Metric(name=f"{n}.changed_share", value=round(shares[n], 6), n=cells)
                for n, (cells, _) in changed.items()
            ),
        ],
        threshold=threshold,
        details={
            "uri": uri,
            "sha256": sha256,
            "columns": {
                n: {
                    "rule": rule.treatment,
                    "why": rule.reason,
                    "cells": changed.get(n, (0, 0))[0],
                    "changed": changed.get(n, (0, 0))[1],
                }
                for n, rule in rules.columns.items()
            },
            "settings": rules.settings,
        },
        evidence_kind="pii_scan",
    )


def rescan_check(left: dict[str, ColumnLeft], rules: CopyRules) -> Check:
    """``data.anonymized_copy.rescan``: the cells of the copy that still hold PII, judged against zero."""
    total = sum(c.with_pii for c in left.values())
    cells = sum(c.cells for c in left.values())
    threshold = Threshold(metric="cells_with_pii_left", op="==", value=0)
    leaking = {n: c for n, c in left.items() if c.with_pii}
    if leaking:
        message = "PII left in the copy: " + "; ".join(
            f"{n}: {', '.join(f'{e} in {k}' for e, k in c.counts.items())} of {c.cells} cells"
            for n, c in leaking.items()
        )
    else:
        message = f"no PII found again in {cells} cells of {len(left)} rewritten column(s)"
    repassed = sum(c.repassed for c in left.values())
    if repassed:
        message += f"; {repassed} cell(s) needed another pass (NER tags changed with their neighbouring words)"
    kept = sorted({e for c in left.values() for e in c.kept})
    if kept:
        message += f" (kept by the copy's rules: {', '.join(kept)})"
    return Check(
        id="data.anonymized_copy.rescan",
        title="The anonymized copy, scanned again, holds no PII",
        category="privacy",
        outcome=threshold.judge(total),
        message=message,
        metrics=[
            Metric(name="cells_with_pii_left", value=total, n=cells),
            *(Metric(name=f"{n}.cells_with_pii_left", value=c.with_pii, n=c.cells) for n, c in left.items()),
        ],
        threshold=threshold,
        evidence_kind="pii_scan",
        details={
            "columns": {
                n: {
                    "cells": c.cells,
                    "with_pii": c.with_pii,
                    "entities": c.counts,
                    "kept_by_rule": c.kept,
                    "needed_another_pass": c.repassed,
                }
                for n, c in left.items()
            },
            "examples": {n: c.examples for n, c in leaking.items()},
            "replaced_in_text": sorted(rules.text_entities) if rules.text_entities is not None else "all but kept",
            "kept_in_text": sorted(rules.kept_in_text),
            "cells_anonymized_again": repassed,
        },
    )
