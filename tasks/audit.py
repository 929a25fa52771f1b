"""Audit report and dashboard tasks: gather and measure a period (core), seal the signed report folder, turn
its figures into checks (each outcome by Threshold.judge), and show it in the Prefect UI."""

from __future__ import annotations

from datetime import date

from prefect.artifacts import create_link_artifact, create_markdown_artifact, create_table_artifact
from prefect.cache_policies import NO_CACHE

from govgate import protocol
from govgate.audit.report import AuditData, coverage_counts, gather, history_days, measure, period
from govgate.audit.report_html import kpi_value
from govgate.audit.types import KPI
from govgate.package.seal import SealedPackage
from govgate.record import AssetKind, Check, Metric, Subject, Threshold
from tasks import context
from tasks.evidence import artifact_key
from tasks.govgate_task import govgate_task as task

KIND = "audit_log"  # the catalog's evidence kind of an audit report


def audit_subject(asset: str | None, start: date, end: date) -> Subject:
    return Subject(
        kind=AssetKind.SYSTEM,
        id=asset or "organisation",
        version=f"{start:%Y-%m-%d}..{end:%Y-%m-%d}",
        attributes={"scope": "asset" if asset else "organisation"},
    )


@task(name="gather-audit-period", cache_policy=NO_CACHE)
def gather_period(
    start: date, end: date, asset: str | None, frameworks: list[str] | None, report_id: str, policy
) -> AuditData:
    """Every record of the period (paged listing, bounded reads), the inventory, incidents, certificates;
    then coverage and KPIs."""
    settings = context.settings()
    store = context.store(settings)
    since, until = period(start, end)
    data = gather(
        store,
        start=since,
        end=until,
        asset=asset,
        frameworks=frameworks,
        report_id=report_id,
        history_days=history_days(policy),
    )
    measure(data, policy=policy, store=store, settings=settings)
    return data


@task(name="seal-audit-report", cache_policy=NO_CACHE)
def seal_report(data: AuditData) -> tuple[SealedPackage, list[str]]:
    """Render, export OSCAL, write once and sign; then verify the folder as an auditor would."""
    from govgate.audit.oscal import oscal_json
    from govgate.audit.report_html import render_report
    from govgate.audit.report_seal import verify_report, write_report
    from govgate.package.signing import load_signing_key

    settings = context.settings()
    store = context.store(settings)
    sealed = write_report(store, data, render_report(data), oscal_json(data), load_signing_key(settings))
    return sealed, verify_report(sealed.folder_uri, settings, store=store).problems


def audit_checks(data: AuditData, verify_problems: list[str]) -> list[Check]:
    return [
        _records_check(data),
        _readable_check(data),
        _scope_check(data),
        *[_coverage_check(fw, row) for fw, row in coverage_counts(data.coverage).items()],
        *[_kpi_check(k) for k in data.kpis],
        _signed_check(verify_problems),
    ]


def _records_check(data: AuditData) -> Check:
    n = len(data.runs)
    t = Threshold(metric="records", op=">=", value=1)
    return Check(
        id="audit.records",
        title="Gate records in the period",
        category="audit",
        outcome=t.judge(n or None),  # none: nothing to audit, so nothing passes
        message=f"{n} gate record(s) from {data.start.date()} to {data.last_day}"
        if n
        else f"no gate records in the period {data.start.date()} to {data.last_day}: nothing to audit",
        metrics=[Metric(name="records", value=n)],
        threshold=t,
        evidence_kind=KIND,
    )


def _readable_check(data: AuditData) -> Check:
    t = Threshold(metric="could_not_read", op="==", value=0)
    names = [u.what for u in data.unread]
    return Check(
        id="audit.readable",
        title="Every record in scope read and verified",
        category="audit",
        outcome=t.judge(len(names)),
        message="every record, snapshot, incident and certificate in scope was read and verified"
        if not names
        else f"{len(names)} could not be read or no longer verify (not counted as evidence): {', '.join(names[:5])}"
        + (" ..." if len(names) > 5 else ""),
        metrics=[Metric(name="could_not_read", value=len(names))],
        threshold=t,
        details={"could_not_read": [{"what": u.what, "reason": u.reason} for u in data.unread[:200]]},
    )


def _scope_check(data: AuditData) -> Check:
    bad = [n for n in data.notes if n.startswith(("unknown framework", "unknown asset"))]
    t = Threshold(metric="unknown_names", op="==", value=0)
    return Check(
        id="audit.scope",
        title="Asked frameworks and asset exist",
        category="audit",
        outcome=t.judge(len(bad)),
        message="; ".join(bad)
        if bad
        else f"asset {data.asset or '(organisation)'}; frameworks {', '.join(data.frameworks) or '(all)'}",
        metrics=[Metric(name="unknown_names", value=len(bad))],
        threshold=t,
    )


def _coverage_check(framework: str, row: dict[str, int]) -> Check:
    total = sum(row.values())
    applicable = total - row["not_applicable"]
    t = Threshold(metric="controls", op=">=", value=1)
    return Check(
        id=f"audit.coverage.{framework}",
        title=f"Control coverage derived for {framework}",
        category="audit",
        outcome=t.judge(total),
        message=f"{row['covered']} covered, {row['partial']} partial, {row['not_covered']} not covered of "
        f"{applicable} applicable controls ({row['not_applicable']} not applicable); coverage is reported, not judged",
        metrics=[Metric(name="controls", value=total), *[Metric(name=s, value=n) for s, n in row.items()]],
        threshold=t,
    )


def _kpi_check(k: KPI) -> Check:
    """Judged against the KPI's target when it has one; otherwise only whether there was anything to count."""
    if k.target is not None:
        t = Threshold(metric="value", op=">=" if k.higher_is_better else "<=", value=k.target)
    else:
        t = Threshold(metric="denominator", op=">=", value=1)
    judged = k.value if k.target is not None else (k.denominator or None)
    return Check(
        id=f"audit.kpi.{k.id}",
        title=k.name,
        category="audit-kpi",
        outcome=t.judge(judged),
        message=f"{kpi_value(k)}: {k.numerator:g} {k.numerator_means} / {k.denominator:g} {k.denominator_means}",
        metrics=[
            Metric(name="numerator", value=k.numerator),
            Metric(name="denominator", value=k.denominator),
            Metric(name="value", value=k.value),
        ],
        threshold=t,
    )


def _signed_check(problems: list[str]) -> Check:
    t = Threshold(metric="problems", op="==", value=0)
    return Check(
        id="audit.report_signed",
        title="Report folder written once, signed and verified",
        category="audit",
        outcome=t.judge(len(problems)),
        message="every file matches the signed manifest and the signature is by the configured key"
        if not problems
        else "; ".join(problems[:5]),
        metrics=[Metric(name="problems", value=len(problems))],
        threshold=t,
        evidence_kind=KIND,
    )


def audit_output(data: AuditData, sealed: SealedPackage) -> dict:
    return {
        protocol.OUTPUT_AUDIT_REPORT: {
            "report_id": data.report_id,
            "folder": sealed.folder_uri,
            "report": sealed.store.uri(sealed.prefix + protocol.AUDIT_REPORT_HTML),
            "oscal": sealed.store.uri(sealed.prefix + protocol.AUDIT_REPORT_OSCAL),
            "manifest_sha256": sealed.manifest_sha256,
            "period": {"start": data.start.isoformat(), "end": data.end.isoformat()},
            "records": len(data.runs),
            "could_not_read": len(data.unread),
            "coverage_counts": coverage_counts(data.coverage),
            "kpis": [
                {"id": k.id, "numerator": k.numerator, "denominator": k.denominator, "value": k.value}
                for k in data.kpis
            ],
        }
    }


def report_url(sealed: SealedPackage) -> str | None:
    """The report through ``govgate serve`` (it serves audit/reports/), when an evidence server runs."""
    served = context.settings().evidence_http_url
    return f"{served.rstrip('/')}/{sealed.prefix}{protocol.AUDIT_REPORT_HTML}" if served else None


@task(name="publish-audit-artifacts", cache_policy=NO_CACHE)
def publish_audit_artifacts(data: AuditData, sealed: SealedPackage) -> None:
    """Coverage counts and KPIs as tables, and a link to the signed report."""
    counts = coverage_counts(data.coverage)
    create_table_artifact(
        key=artifact_key(protocol.AUDIT_REPORT, "coverage"),
        table=[{"framework": fw, **row} for fw, row in counts.items()],
        description=f"Control coverage on {data.last_day}, from records only",
    )
    create_table_artifact(
        key=artifact_key(protocol.AUDIT_REPORT, "kpis"),
        table=[
            {"kpi": k.name, "value": kpi_value(k), "numerator": k.numerator, "denominator": k.denominator}
            for k in data.kpis
        ],
        description=f"Governance KPIs {data.start.date()} to {data.last_day}",
    )
    index = sealed.store.uri(sealed.prefix + protocol.AUDIT_REPORT_HTML)
    create_link_artifact(
        key=artifact_key(protocol.AUDIT_REPORT, "report"),
        link=report_url(sealed) or index,
        link_text=f"Signed audit report {data.report_id}",
        description=f"folder {sealed.folder_uri} (verify: govgate verify-evidence {sealed.folder_uri})",
    )
    notes = "\n".join(f"- {n}" for n in data.notes) or "- none"
    create_markdown_artifact(
        key=artifact_key(protocol.AUDIT_REPORT, "notes"),
        markdown=f"**Audit report {data.report_id}**: {len(data.runs)} records, {len(data.unread)} could not be read.\n\nNotes:\n{notes}",
        description="What the report could not read or was asked wrongly",
    )


@task(name="write-dashboard", cache_policy=NO_CACHE)
def write_dashboard_page(days: int) -> dict:
    """Gather the last ``days`` days, compute KPIs, render the page and the Prometheus text, write both."""
    from datetime import timedelta

    from govgate.audit.dashboard import render_dashboard, write_dashboard
    from govgate.errors import InputError
    from govgate.policy import load_policy
    from govgate.record import utcnow

    if days < 1:
        raise InputError(f"days {days}: the dashboard needs at least one day of records")
    settings = context.settings()
    store = context.store(settings)
    now = utcnow()
    policy = load_policy(settings.policy)
    data = gather(store, start=now - timedelta(days=days), end=now, now=now, history_days=history_days(policy))
    measure(data, policy=policy, store=store)
    key = write_dashboard(store, data, render_dashboard(data), prometheus_text(data))
    return {"key": key, "uri": store.uri(key), "records": len(data.runs), "kpis": len(data.kpis)}


def prometheus_text(data: AuditData) -> str:
    """The KPIs in Prometheus' text exposition format (served at /metrics)."""
    from govgate.audit.prometheus import exposition

    return exposition(data.kpis)
