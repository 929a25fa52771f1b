"""Periodic reassessment of deployed model versions (no Prefect here), in the order of a run:

``targets`` (which versions an alias marks as deployed), ``baseline`` (the version's last passing
model-review record, read with its manifest digest checked), ``freshdata`` (dated production files in a
window, outcomes older than the label delay), ``status`` (overdue, never approved, and bad input as checks
and findings that never pass).
"""

from __future__ import annotations

from govgate.reassessment.baseline import Baseline, find_baseline
from govgate.reassessment.freshdata import FreshData, Window, file_date, load_fresh_data
from govgate.reassessment.status import approval_check, overdue_check, problem_check
from govgate.reassessment.targets import Target, deployed_targets

__all__ = [
    "Baseline",
    "FreshData",
    "Target",
    "Window",
    "approval_check",
    "deployed_targets",
    "file_date",
    "find_baseline",
    "load_fresh_data",
    "overdue_check",
    "problem_check",
]
