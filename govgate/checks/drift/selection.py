"""Which test a column gets: Evidently's ``get_default_stattest``, by column type, reference size and the
number of distinct values of reference and current together."""

from __future__ import annotations

from govgate.checks.drift.constants import (
    BINARY,
    CHI_SQUARE,
    JENSEN_SHANNON,
    KS,
    LOW_CARDINALITY,
    NUMERIC,
    SMALL_REFERENCE_ROWS,
    WASSERSTEIN,
    Z_TEST,
)

P_VALUE_TESTS = (KS, CHI_SQUARE, Z_TEST)


def choose_test(kind: str, n_reference: int, n_values: int | None) -> str:
    """``n_values`` None means 'more than LOW_CARDINALITY' (too many distinct values to count them).

    - reference <= SMALL_REFERENCE_ROWS rows: numeric with > 5 values -> KS; otherwise chi-square, or the
      Z-test when there are at most 2 values;
    - larger reference: numeric with > 5 values -> Wasserstein / std; otherwise Jensen-Shannon."""
    many = n_values is None or n_values > LOW_CARDINALITY
    if n_reference <= SMALL_REFERENCE_ROWS:
        if kind == NUMERIC and many:
            return KS
        return CHI_SQUARE if n_values is None or n_values > BINARY else Z_TEST
    if kind == NUMERIC and many:
        return WASSERSTEIN
    return JENSEN_SHANNON
