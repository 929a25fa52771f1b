"""Turning merged quality results into checks and findings."""

from __future__ import annotations

import json

from govgate.checks.quality.constants import (
    AGGREGATE,
    CATEGORY,
    COMPOUND_UNIQUE,
    EVIDENCE_KIND,
    EXIST,
    MAP,
    MISSING_COLUMN,
    ROW_COUNT,
    SCHEMA,
    UNIQUE,
)
from govgate.checks.quality.results import ExpectationResult, QualityResult
from govgate.record import Check, Finding, Metric, Outcome, Severity, Threshold

# --------------------------------------------------------------------------------------------- checks


def quality_checks(
    result: QualityResult, *, max_null_fraction: float, max_duplicate_row_fraction: float
) -> tuple[list[Check], list[Finding]]:
    """Every expectation as a check (pass / fail; ``inconclusive`` when a column is missing or the
    expectation cannot be merged; ``error`` when GX could not evaluate it), plus null fractions per
    column and the duplicate-row fraction. Findings for everything that did not pass."""
    checks: list[Check] = []
    findings: list[Finding] = []
    for e in result.expectations:
        check, finding = _expectation_check(e)
        checks.append(check)
        if finding is not None:
            findings.append(finding)

    for column in result.columns:
        n, nulls = result.column_rows.get(column, 0), result.null_counts.get(column, 0)
        frac = nulls / n if n else 0.0
        ok = frac <= max_null_fraction
        cid = f"data.quality.nulls.{column}"
        checks.append(
            Check(
                id=cid,
                title=f"Null values in {column}",
                category=CATEGORY,
                outcome=Outcome.PASS if ok else Outcome.FAIL,
                message=f"{nulls} of {n} values are null ({frac:.2%}); at most {max_null_fraction:.2%} allowed",
                metrics=[
                    Metric(name="null_count", value=nulls, n=n),
                    Metric(name="null_fraction", value=round(frac, 6), n=n),
                ],
                threshold=Threshold(metric="null_fraction", op="<=", value=max_null_fraction),
                evidence_kind=EVIDENCE_KIND,
                details={"column": column},
            )
        )
        if not ok:
            findings.append(
                Finding(
                    id=f"quality.nulls.{column}",
                    severity=Severity.MEDIUM,
                    category=CATEGORY,
                    check_id=cid,
                    message=f"column {column}: {frac:.2%} of values are null (policy allows {max_null_fraction:.2%})",
                    location={"column": column},
                    count=nulls,
                    remediation="fill or drop the missing values, or raise the null allowance for this column with a reason",
                )
            )

    frac = result.duplicate_rows / result.rows if result.rows else 0.0
    ok = frac <= max_duplicate_row_fraction
    checks.append(
        Check(
            id="data.quality.duplicate_rows",
            title="Duplicate rows",
            category=CATEGORY,
            outcome=Outcome.PASS if ok else Outcome.FAIL,
            message=f"{result.duplicate_rows} of {result.rows} rows repeat an earlier row ({frac:.2%}); "
            f"at most {max_duplicate_row_fraction:.2%} allowed",
            metrics=[
                Metric(name="duplicate_rows", value=result.duplicate_rows, n=result.rows),
                Metric(name="duplicate_row_fraction", value=round(frac, 6), n=result.rows),
            ],
            threshold=Threshold(metric="duplicate_row_fraction", op="<=", value=max_duplicate_row_fraction),
            evidence_kind=EVIDENCE_KIND,
            details={"examples": result.duplicate_examples, "partitions": result.partitions},
        )
    )
    if not ok:
        findings.append(
            Finding(
                id="quality.duplicate_rows",
                severity=Severity.MEDIUM,
                category=CATEGORY,
                check_id="data.quality.duplicate_rows",
                message=f"{result.duplicate_rows} duplicate rows ({frac:.2%}; policy allows {max_duplicate_row_fraction:.2%})",
                location={"rows": ", ".join(e.split()[1] for e in result.duplicate_examples)},
                count=result.duplicate_rows,
                examples=result.duplicate_examples,
                remediation="deduplicate the dataset (duplicates leak between train and test splits and overweight records)",
            )
        )
    return checks, findings


def _expectation_check(e: ExpectationResult) -> tuple[Check, Finding | None]:
    mostly = e.kwargs.get("mostly", 1.0)
    mostly = float(mostly) if isinstance(mostly, (int, float)) else 1.0
    described = _describe(e)
    where = e.column or "the table"
    if e.error is not None:
        missing = MISSING_COLUMN in e.error or "not mergeable" in e.error
        outcome = Outcome.INCONCLUSIVE if missing else Outcome.ERROR
        message = f"could not be evaluated: {e.error}"
    elif e.success:
        outcome, message = Outcome.PASS, _summary(e, mostly)
    else:
        outcome, message = Outcome.FAIL, _summary(e, mostly)
    metrics = [
        Metric(name="element_count", value=e.element_count),
        Metric(name="unexpected_count", value=e.unexpected_count, n=e.element_count - e.missing_count),
        Metric(
            name="unexpected_fraction",
            value=None if e.unexpected_fraction is None else round(e.unexpected_fraction, 6),
            n=e.element_count - e.missing_count,
        ),
    ]
    if e.missing_count:
        metrics.append(Metric(name="missing_count", value=e.missing_count))
    if isinstance(e.observed_value, (int, float, str)) and not isinstance(e.observed_value, bool):
        metrics.append(Metric(name="observed_value", value=e.observed_value))
    threshold = None
    if e.kind in (MAP, UNIQUE, COMPOUND_UNIQUE, EXIST, SCHEMA):
        threshold = Threshold(metric="unexpected_fraction", op="<=", value=round(1.0 - mostly, 6))
    check = Check(
        id=e.check_id,
        title=f"{e.suite}: {e.type.removeprefix('expect_').replace('_', ' ')} ({where})",
        category=CATEGORY,
        outcome=outcome,
        message=f"{described}: {message}",
        metrics=metrics,
        threshold=threshold,
        evidence_kind=EVIDENCE_KIND,
        details={
            "expectation_type": e.type,
            "kwargs": e.kwargs,
            "suite": e.suite,
            "kind": e.kind,
            "examples": e.examples,
            "observed_value": e.observed_value,
            "error": e.error,
            "partitions": e.partitions,
            "why": e.meta.get("why"),
        },
    )
    if outcome == Outcome.PASS:
        return check, None
    finding = Finding(
        id=e.check_id.removeprefix("data."),
        severity=Severity.MEDIUM if outcome == Outcome.FAIL else Severity.LOW,
        category=CATEGORY,
        check_id=e.check_id,
        message=f"{described} on {where}: {message}",
        location={"column": e.column} if e.column else {"table": "(whole table)"},
        count=e.unexpected_count if outcome == Outcome.FAIL else None,
        examples=list(e.examples),
        remediation=("fix the data or the expectation (suite " + e.suite + ")")
        if outcome == Outcome.FAIL
        else "make the suite fit the data (column names, types) so that the expectation can be evaluated",
    )
    return check, finding


def _describe(e: ExpectationResult) -> str:
    shown = []
    for key, value in e.kwargs.items():
        if value is None or key in (
            "column",
            "column_A",
            "column_B",
            "column_list",
            "result_format",
            "catch_exceptions",
        ):
            continue
        text = json.dumps(value, default=str, ensure_ascii=False)
        shown.append(f"{key}={text if len(text) <= 80 else text[:77] + '...'}")
    return f"{e.type}({', '.join(shown)})" if shown else e.type


def _summary(e: ExpectationResult, mostly: float) -> str:
    if e.kind == ROW_COUNT:
        return f"{e.observed_value} rows"
    if e.kind in (EXIST, SCHEMA):
        if e.success:
            return "holds in every partition" if e.partitions > 1 else "holds"
        return f"does not hold for {e.unexpected_count} of {e.element_count} rows (observed: {e.observed_value})"
    if e.kind == AGGREGATE:
        return f"observed {e.observed_value}"
    considered = e.element_count - e.missing_count
    frac = e.unexpected_fraction or 0.0
    return f"{e.unexpected_count} of {considered} values unexpected ({frac:.2%}); allowed {1 - mostly:.2%}"
