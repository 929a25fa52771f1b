"""Data quality of the data-review gate: Great Expectations suites, run partition by partition and merged.

Plain functions (the flow wraps them in Prefect tasks) with picklable inputs and outputs, so a partition
can be checked on a Dask worker and the partials merged on the driver.

- Suites are data: ``expectations/<name>.json`` (format in ``expectations/README.md``), loaded and
  validated by :func:`load_suite`; :func:`generic_expectations` builds the suite every dataset gets from
  its datasheet columns.
- :func:`quality_partition` runs the row-wise (map) expectations through GX on one chunk and keeps counts
  and at most ``EXAMPLES`` redacted examples; expectations that are not row-wise are computed so that the
  merge is still exact: column uniqueness from 64-bit value hashes, column existence and table schema per
  partition, row count from the sum. Duplicate rows are found across partitions from 64-bit row hashes.
  Aggregate expectations (mean, quantiles ...) are exact on one partition and ``inconclusive`` when the
  data was split, never a silent pass.
- :func:`merge_quality` merges partials (in row order), :func:`quality_checks` turns the result into
  checks and findings.
- Examples never hold raw text: a value is kept only when it is a number below ``1e6`` in a column not
  declared as personal data; everything else becomes ``sha256:<12 hex>``. Rows are 0-based data rows.

Great Expectations takes seconds to import: it is imported inside functions, never at module import.

Modules: ``constants`` (settings, evaluation kinds), ``suites`` (loading and validating), ``gx`` (Great
Expectations on one partition), ``results`` (dataclasses), ``partitions`` (one partition), ``hashing``
(value and row hashes), ``merge`` (partials merged), ``checks`` (evidence).
"""

from govgate.checks.quality.checks import quality_checks
from govgate.checks.quality.constants import (
    AGGREGATE,
    CATEGORY,
    COMPOUND_UNIQUE,
    EVIDENCE_KIND,
    EXAMPLES,
    EXIST,
    EXPECTATIONS_DIR,
    GENERIC_SUITE,
    MAP,
    MAX_SHOWN_NUMBER,
    ROW_COUNT,
    SCHEMA,
    UNIQUE,
)
from govgate.checks.quality.gx import redact
from govgate.checks.quality.merge import merge_quality
from govgate.checks.quality.partitions import quality_partition
from govgate.checks.quality.results import ExpectationPartial, ExpectationResult, QualityPartial, QualityResult
from govgate.checks.quality.suites import generic_expectations, load_suite

__all__ = [
    "AGGREGATE",
    "CATEGORY",
    "COMPOUND_UNIQUE",
    "EVIDENCE_KIND",
    "EXAMPLES",
    "EXIST",
    "EXPECTATIONS_DIR",
    "GENERIC_SUITE",
    "MAP",
    "MAX_SHOWN_NUMBER",
    "ROW_COUNT",
    "SCHEMA",
    "UNIQUE",
    "ExpectationPartial",
    "ExpectationResult",
    "QualityPartial",
    "QualityResult",
    "generic_expectations",
    "load_suite",
    "merge_quality",
    "quality_checks",
    "quality_partition",
    "redact",
]
