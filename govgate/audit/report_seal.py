"""The audit report folder, written once and signed like a launch package (the same Ed25519 key, manifest of
every file's SHA-256 and size, and the same trusted-keys rule when it is verified), so the report is evidence.

Layout: ``audit/reports/<report id>/`` holds ``index.html`` (the report), ``assessment-results.json``
(OSCAL), ``audit-data.json`` (the figures), ``signing-key.pub.pem``, then ``package.sig`` and last
``package.json``. ``govgate verify-evidence <folder>`` checks it like a package: any changed, added or
removed file is named."""

from __future__ import annotations

from govgate import protocol
from govgate.audit.report import AuditData, coverage_counts, data_json
from govgate.errors import GovgateError
from govgate.package.layout import MANIFEST_NAME, PUBLIC_KEY_NAME
from govgate.package.seal import SealedPackage, write_package
from govgate.package.signing import SigningKey
from govgate.package.verify import VerifyReport, verify_package
from govgate.store import ObjectStore


def report_prefix(report_id: str) -> str:
    return f"{protocol.AUDIT_REPORTS_PREFIX}{report_id}/"


def write_report(store: ObjectStore, data: AuditData, html: str, oscal: bytes, key: SigningKey) -> SealedPackage:
    """Write the report folder once (a second write of the same id is refused) and sign its manifest."""
    files = {
        protocol.AUDIT_REPORT_HTML: html.encode(),
        protocol.AUDIT_REPORT_OSCAL: oscal,
        protocol.AUDIT_REPORT_DATA: data_json(data),
        PUBLIC_KEY_NAME: key.public_pem(),
    }
    fields = {
        "schema": protocol.AUDIT_REPORT_SCHEMA,
        "package_id": data.report_id,
        "kind": "audit-report",
        "period": {"start": data.start.isoformat(), "end": data.end.isoformat()},
        "scope": {"asset": data.asset, "frameworks": data.frameworks},
        "generated_at": data.generated_at.isoformat(),
        "records": len(data.runs),
        "could_not_read": len(data.unread),
        "coverage_counts": coverage_counts(data.coverage),
    }
    return write_package(store, report_prefix(data.report_id), files, fields, key)


def verify_report(uri: str, settings=None, public_key=None, *, store: ObjectStore | None = None) -> VerifyReport:
    """Every file against the signed manifest (changed, missing, added), the signature by a trusted key; a
    folder whose manifest is not an audit report's says so."""
    report = verify_package(uri, settings, public_key, store=store)
    if report.package_id is None:
        return report
    try:
        from govgate.package.verify import locate_package

        s, prefix = locate_package(uri, settings, store)
        import json

        schema = json.loads(s.get_bytes(prefix + MANIFEST_NAME)).get("schema")
    except (GovgateError, ValueError) as exc:
        report.problems.append(f"{MANIFEST_NAME}: {exc}")
        report.ok = False
        return report
    if schema != protocol.AUDIT_REPORT_SCHEMA:
        report.problems.append(f"{MANIFEST_NAME} is a {schema!r}, not an audit report ({protocol.AUDIT_REPORT_SCHEMA})")
        report.ok = False
    report.notes = [n for n in report.notes if "no gate record beside the package" not in n]
    report.notes.append("the audit-report gate record that published this folder is under evidence/, not beside it")
    return report
