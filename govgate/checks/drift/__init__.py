"""Drift of features and predictions, overall and per protected group, against an approved reference.

Evidently's default test choice and definitions (reference <= 1,000 rows: KS for numbers with > 5 values,
chi-square for categories, Z-test for two values, drift at p < 0.05; larger: Wasserstein distance / the
reference std and Jensen-Shannon distance, drift at >= 0.1; dataset drift when >= half the columns
drift), with a Holm correction across a scope's p-value tests and PSI reported beside every test.

Everything is computed from mergeable summaries, so tens of millions of rows run partition by partition
(on a Dask cluster too) with bounded memory:

- :func:`reference_profile` plans each column from reference rows (fixed numeric edges: every distinct
  value up to 1,000 of them, else 4,000 quantiles) and summarises the reference, overall and per group;
  :func:`profile_from_record` reads the ``reference_distributions`` a model review recorded instead.
- :func:`drift_partition` (or ``profile.summarize``) summarises one pandas partition of current data:
  counts per slot or category per scope; :func:`merge_summaries` merges them (associative).
- :func:`drift_checks` turns the merged summary into checks (outcomes by ``Threshold.judge``) and
  findings; :func:`detect_drift` does all three on an iterable of partitions.

Modules: ``constants``, ``plan`` (edges and slots), ``summary`` (mergeable counts), ``partitions`` (one
partition), ``profile`` (the reference side), ``stattests`` (statistics from counts), ``wasserstein``
(the distance with its binning bounds), ``selection`` (which test), ``correction`` (Holm), ``evaluate``
(one column in one scope), ``checks`` (evidence). Details and accuracy: docs/drift.md."""

from __future__ import annotations

from collections.abc import Iterable
from typing import TYPE_CHECKING

from govgate.checks.drift.checks import drift_checks, drift_results
from govgate.checks.drift.constants import PREDICTION
from govgate.checks.drift.correction import holm
from govgate.checks.drift.partitions import drift_partition
from govgate.checks.drift.plan import ColumnPlan
from govgate.checks.drift.profile import DriftProfile, profile_from_record, reference_profile
from govgate.checks.drift.selection import choose_test
from govgate.checks.drift.summary import OVERALL, CategoryCounts, DriftSummary, NumericCounts, merge_summaries

if TYPE_CHECKING:
    import pandas as pd

    from govgate.record import Check, Finding


def detect_drift(
    profile: DriftProfile, partitions: Iterable[pd.DataFrame], **options
) -> tuple[list[Check], list[Finding]]:
    """Current data, as an iterable of pandas partitions, checked against ``profile``."""
    summary = DriftSummary()
    for df in partitions:
        summary = summary.merge(profile.summarize(df))
    return drift_checks(profile, summary, **options)


__all__ = [
    "OVERALL",
    "PREDICTION",
    "CategoryCounts",
    "ColumnPlan",
    "DriftProfile",
    "DriftSummary",
    "NumericCounts",
    "choose_test",
    "detect_drift",
    "drift_checks",
    "drift_partition",
    "drift_results",
    "holm",
    "merge_summaries",
    "profile_from_record",
    "reference_profile",
]
