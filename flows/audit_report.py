"""audit-report: control coverage, KPIs, runs, incidents and certificates over a period, from records alone,
as a signed write-once report folder (HTML + OSCAL) and a gate record of its own.

Bad input (an unknown framework or asset, a period without records) and records that cannot be read are
named in the report and in the checks; the report still renders what it could read.
"""

from __future__ import annotations

from datetime import date

from prefect import flow

from govgate.protocol import AUDIT_REPORT, OUTPUT_AUDIT_REPORT
from tasks.audit import audit_checks, audit_output, audit_subject, gather_period, publish_audit_artifacts, seal_report
from tasks.gate_run import GateRun

GATE = AUDIT_REPORT


@flow(name="audit-report", log_prints=True)
def audit_report(date_from: date, date_to: date, asset: str | None = None, frameworks: list[str] | None = None) -> dict:
    """Build the audit report of [date_from, date_to] (both days included, UTC).

    Args:
        date_from: first day of the period.
        date_to: last day of the period.
        asset: one asset's id (default: the organisation, every asset).
        frameworks: catalog frameworks to cover, e.g. ["eu-ai-act"] (default: all).
    """
    params = {"date_from": str(date_from), "date_to": str(date_to), "asset": asset, "frameworks": frameworks or []}
    with GateRun(GATE, audit_subject(asset, date_from, date_to), params) as run:
        policy = run.load_policy()
        data = gather_period(date_from, date_to, asset, frameworks, run.record_id, policy)
        sealed, problems = seal_report(data)
        published = run.finish(audit_checks(data, problems), outputs=audit_output(data, sealed))
        publish_audit_artifacts(data, sealed)
    published.update(audit_output(data, sealed)[OUTPUT_AUDIT_REPORT])
    print(f"audit report {data.report_id}: {published['decision']} ({published['report']})")
    return run.final_state(published)
