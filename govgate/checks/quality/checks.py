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
    built = [_expectation_check(e) for e in result.expectations]
    built += [_null_check(result, column, max_null_fraction) for column in result.columns]
    built.append(_duplicate_check(result, max_duplicate_row_fraction))
    return [check for check, _ in built], [finding for _, finding in built if finding is not None]


def _null_check(result: QualityResult, column: str, limit: float) -> tuple[Check, Finding | None]:
    """``data.quality.nulls.<column>``: the column's null fraction judged against ``limit``."""
    n, nulls = result.column_rows.get(column, 0), result.null_counts.get(column, 0)
    frac = nulls / n if n else 0.0
    threshold = Threshold(metric="null_fraction", op="<=", value=limit)
    cid = f"data.quality.nulls.{column}"
    check = Check(
        id=cid,
        title=f"Null values in {column}",
        category=CATEGORY,
        outcome=threshold.judge(round(frac, 6)),
        message=f"{nulls} of {n} values are null ({frac:.2%}); at most {limit:.2%} allowed",
        metrics=[
            Metric(name="null_count", value=nulls, n=n),
            Metric(name="null_fraction", value=round(frac, 6), n=n),
        ],
        threshold=threshold,
        evidence_kind=EVIDENCE_KIND,
        details={"column": column},
    )
    if check.outcome == Outcome.PASS:
        return check, None
    return check, Finding(
        id=f"quality.nulls.{column}",
        severity=Severity.MEDIUM,
        category=CATEGORY,
        check_id=cid,
        message=f"column {column}: {frac:.2%} of values are null (policy allows {limit:.2%})",
        location={"column": column},
        count=nulls,
        remediation="fill or drop the missing values, or raise the null allowance for this column with a reason",
    )


def _duplicate_check(result: QualityResult, limit: float) -> tuple[Check, Finding | None]:
    """``data.quality.duplicate_rows``: the share of rows repeating an earlier row judged against ``limit``."""
    frac = result.duplicate_rows / result.rows if result.rows else 0.0
    threshold = Threshold(metric="duplicate_row_fraction", op="<=", value=limit)
    check = Check(
        id="data.quality.duplicate_rows",
        title="Duplicate rows",
        category=CATEGORY,
        outcome=threshold.judge(round(frac, 6)),
        message=f"{result.duplicate_rows} of {result.rows} rows repeat an earlier row ({frac:.2%}); "
        f"at most {limit:.2%} allowed",
        metrics=[
            Metric(name="duplicate_rows", value=result.duplicate_rows, n=result.rows),
            Metric(name="duplicate_row_fraction", value=round(frac, 6), n=result.rows),
        ],
        threshold=threshold,
        evidence_kind=EVIDENCE_KIND,
        details={"examples": result.duplicate_examples, "partitions": result.partitions},
    )
    if check.outcome == Outcome.PASS:
        return check, None
    return check, Finding(
        id="quality.duplicate_rows",
        severity=Severity.MEDIUM,
        category=CATEGORY,
        check_id="data.quality.duplicate_rows",
        message=f"{result.duplicate_rows} duplicate rows ({frac:.2%}; policy allows {limit:.2%})",
        location={f"{result.unit}s": ", ".join(e.split()[1] for e in result.duplicate_examples)},
        count=result.duplicate_rows,
        examples=result.duplicate_examples,
        remediation="deduplicate the dataset (duplicates leak between train and test splits and overweight records)",
    )


def _mostly(e: ExpectationResult) -> float:
    mostly = e.kwargs.get("mostly", 1.0)
    return float(mostly) if isinstance(mostly, (int, float)) else 1.0


def _expectation_outcome(e: ExpectationResult, threshold: Threshold | None, fraction: float | None) -> Outcome:
    """An expectation with a limit on its unexpected fraction is judged by it; one without (row count,
    aggregates) by what GX or the merge found. An expectation that could not be evaluated is inconclusive
    when the suite does not fit the data (a missing column, a split aggregate), an error otherwise."""
    if e.error is not None:
        unfit = MISSING_COLUMN in e.error or "not mergeable" in e.error
        return Outcome.INCONCLUSIVE if unfit else Outcome.ERROR
    if threshold is not None:
        return threshold.judge(fraction)
    return Outcome.PASS if e.success else Outcome.FAIL


def _expectation_check(e: ExpectationResult) -> tuple[Check, Finding | None]:
    """One expectation's check, and its finding when it did not pass."""
    mostly = _mostly(e)
    considered = e.element_count - e.missing_count
    fraction = None if e.unexpected_fraction is None else round(e.unexpected_fraction, 6)
    metrics = [
        Metric(name="element_count", value=e.element_count),
        Metric(name="unexpected_count", value=e.unexpected_count, n=considered),
        Metric(name="unexpected_fraction", value=fraction, n=considered),
    ]
    if e.missing_count:
        metrics.append(Metric(name="missing_count", value=e.missing_count))
    if isinstance(e.observed_value, (int, float, str)) and not isinstance(e.observed_value, bool):
        metrics.append(Metric(name="observed_value", value=e.observed_value))
    threshold = None
    if e.kind in (MAP, UNIQUE, COMPOUND_UNIQUE, EXIST, SCHEMA):
        threshold = Threshold(metric="unexpected_fraction", op="<=", value=round(1.0 - mostly, 6))
    outcome = _expectation_outcome(e, threshold, fraction)
    message = f"could not be evaluated: {e.error}" if e.error is not None else _summary(e, mostly)
    where = e.column or "the table"
    check = Check(
        id=e.check_id,
        title=f"{e.suite}: {e.type.removeprefix('expect_').replace('_', ' ')} ({where})",
        category=CATEGORY,
        outcome=outcome,
        message=f"{_describe(e)}: {message}",
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
    return check, (None if outcome == Outcome.PASS else _expectation_finding(e, outcome, message))


def _expectation_finding(e: ExpectationResult, outcome: Outcome, message: str) -> Finding:
    failed = outcome == Outcome.FAIL
    return Finding(
        id=e.check_id.removeprefix("data."),
        severity=Severity.MEDIUM if failed else Severity.LOW,
        category=CATEGORY,
        check_id=e.check_id,
        message=f"{_describe(e)} on {e.column or 'the table'}: {message}",
        location={"column": e.column} if e.column else {"table": "(whole table)"},
        count=e.unexpected_count if failed else None,
        examples=list(e.examples),
        remediation=("fix the data or the expectation (suite " + e.suite + ")")
        if failed
        else "make the suite fit the data (column names, types) so that the expectation can be evaluated",
    )


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
