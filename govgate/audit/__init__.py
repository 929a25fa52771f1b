"""Audit across runs (issue 18): control coverage from records, governance KPIs, the audit report, OSCAL
export and the dashboard. Core: no Prefect import."""

from govgate.audit.types import COVERED, KPI, NOT_APPLICABLE, NOT_COVERED, PARTIAL, ControlCoverage, EvidenceRef

__all__ = ["COVERED", "KPI", "NOT_APPLICABLE", "NOT_COVERED", "PARTIAL", "ControlCoverage", "EvidenceRef"]
