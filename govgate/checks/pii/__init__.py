"""PII scanning engine of the data-review gate: plan columns, scan partitions, merge, turn into checks.

Plain functions (the flow wraps them in Prefect tasks) whose inputs and outputs are picklable, so a
partition can be scanned on a Dask worker and the partials merged on the driver.

- Presidio is built offline from an explicit NLP configuration: the ``no_op`` engine (pattern
  recognizers only) unless a spaCy model name or path is given, plus the Vietnamese recognizers of
  :mod:`govgate.checks.recognizers_vn`.
- Structured and numeric columns: a seeded random sample of values per column and partition, analysed
  with the column name as context. Text columns: every row.
- Speed: cells are never analysed one by one. Up to ``CELLS_PER_DOC`` distinct values are joined into
  one document (separated by a line holding ``recognizers_vn.CELL_BREAK``), analysed once, and the
  result spans are mapped back to the cells by offset; a span that crosses a separator is dropped.
  With the no-op engine, each entity is looked for only in the cells holding its hint, a regex every
  match of its recognizer contains (no "@": no e-mail recognizer; fewer than 8 digits in a row: no
  bank-number recognizer ...), and the URL and driver-licence recognizers see only the tokens that can
  hold a match. Each is proven to change no finding and tested against Presidio cell by cell.
- Nothing returned holds raw PII: text examples are the cell around a hit with every detected entity
  replaced by ``<ENTITY_TYPE>`` and digit runs masked; structured examples are ``<ENTITY_TYPE>`` plus a
  short keyed SHA-256 (HMAC) prefix of the value.

Modules: ``constants`` (shared settings), ``results`` (dataclasses), ``engine`` (the Presidio analyzer),
``routing`` (which cells each recognizer sees), ``analyze`` (cells analysed as joined documents),
``redaction`` (redacted examples), ``plan`` (column kinds), ``scan`` (one partition, and merging),
``checks`` (evidence), ``anonymize`` (the anonymized copy).
"""

from govgate.checks.pii.analyze import analyze_cells, resolve_overlaps
from govgate.checks.pii.anonymize import PSEUDONYM_CHARS, anonymize_frame, pseudonymizer
from govgate.checks.pii.checks import DIRECT_IDENTIFIERS, pii_checks
from govgate.checks.pii.constants import (
    CELLS_PER_DOC,
    CHARS_PER_DOC,
    EXAMPLE_CHARS,
    EXAMPLES_PER_ENTITY,
    KINDS,
    LANGUAGE,
    SCORE_THRESHOLD,
    TEXT_MIN_MEAN_CHARS,
    TEXT_MIN_MEAN_WORDS,
)
from govgate.checks.pii.engine import build_analyzer
from govgate.checks.pii.plan import plan_columns
from govgate.checks.pii.redaction import redact_text
from govgate.checks.pii.results import ColumnPii, PiiPartial, PiiResult
from govgate.checks.pii.routing import candidate_tokens_only
from govgate.checks.pii.scan import merge_pii, scan_pii_partition

__all__ = [
    "CELLS_PER_DOC",
    "CHARS_PER_DOC",
    "DIRECT_IDENTIFIERS",
    "EXAMPLES_PER_ENTITY",
    "EXAMPLE_CHARS",
    "KINDS",
    "LANGUAGE",
    "PSEUDONYM_CHARS",
    "SCORE_THRESHOLD",
    "TEXT_MIN_MEAN_CHARS",
    "TEXT_MIN_MEAN_WORDS",
    "ColumnPii",
    "PiiPartial",
    "PiiResult",
    "analyze_cells",
    "anonymize_frame",
    "build_analyzer",
    "candidate_tokens_only",
    "merge_pii",
    "pii_checks",
    "plan_columns",
    "pseudonymizer",
    "redact_text",
    "resolve_overlaps",
    "scan_pii_partition",
]
