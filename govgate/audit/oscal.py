"""OSCAL assessment-results (JSON, OSCAL 1.0.4) for the audit report's period: a small hand-written binding.

Each applicable control is a finding (satisfied only when covered) with one observation that links every
record serving it as ``relevant-evidence`` (its href is the record's URI); controls not applicable on the
report date are excluded from ``reviewed-controls`` with their reasons. UUIDs are uuid5 of the report id and
the control ref, so the same report always gives the same document. compliance-trestle was not used: it pins
paramiko==5.0.0 and pulls securesystemslib, openpyxl and cmarkgfm for a few dicts (see docs/audit-report.md).
Validated against NIST's full published JSON schema (tests/data/oscal/) in tests/core/audit/test_oscal.py, which
is why prop values are one line (the schema's StringDatatype) and hrefs are percent-encoded URI references.
"""

from __future__ import annotations

import json
import re
import uuid
from datetime import UTC, datetime
from urllib.parse import quote

from govgate.audit.report import AuditData
from govgate.audit.types import COVERED, NOT_APPLICABLE, ControlCoverage

OSCAL_VERSION = "1.0.4"
NAMESPACE = uuid.UUID("6f1b1d5e-3c2a-5b7e-9a0d-4e8f2c1b7a90")  # govgate's uuid5 namespace for OSCAL ids
PROP_NS = "https://govgate.dev/ns/oscal"  # namespace of govgate's own props
TOOL_UUID = str(uuid.uuid5(NAMESPACE, "govgate"))
# The OSCAL finding state and reason (pass | fail | other) of each coverage status.
STATE = {
    "covered": ("satisfied", "pass"),
    "partial": ("not-satisfied", "fail"),
    "not_covered": ("not-satisfied", "fail"),
}


def oscal_uuid(report_id: str, *parts: str) -> str:
    return str(uuid.uuid5(NAMESPACE, "/".join((report_id, *parts))))


def control_token(ref: str) -> str:
    """An OSCAL token (letters, digits, ``.``, ``-``, ``_``; a letter or ``_`` first) for a ``framework:control``
    ref. Python's ``\\w`` is Unicode letters, digits and ``_``: all inside the token's ``\\p{L}``/``\\p{N}``."""
    token = re.sub(r"[^\w.-]+", "-", ref.replace(":", "_"))
    return token if token[:1].isalpha() or token[:1] == "_" else "_" + token


def one_line(value: object) -> str:
    """OSCAL's StringDatatype (``^\\S(.*\\S)?$``): no leading, trailing or inner line breaks; never empty."""
    return " ".join(str(value).split()) or "-"


def uri_ref(uri: str) -> str:
    """A URI reference as RFC 3986 has it: spaces and non-ASCII (a local store's path) percent-encoded."""
    return quote(uri, safe=":/?#[]@!$&'()*+,;=%~")


def _when(d: datetime) -> str:
    return d.astimezone(UTC).isoformat().replace("+00:00", "Z")


def _prop(name: str, value: str) -> dict:
    return {"name": name, "ns": PROP_NS, "value": one_line(value)}


def assessment_results(data: AuditData) -> dict:
    """The OSCAL document (a dict ready for json.dumps)."""
    rid = data.report_id
    applicable = [c for c in data.coverage if c.status != NOT_APPLICABLE]
    result = {
        "uuid": oscal_uuid(rid, "result"),
        "title": f"Control coverage from govgate records, {data.start.date()} to {data.last_day}",
        "description": "Each applicable control's status is derived from current, verified gate records only; "
        "a record that no longer verifies counts as no evidence.",
        "start": _when(data.start),
        "end": _when(data.end),
        "props": [
            _prop("report-id", rid),
            _prop("records", str(len(data.runs))),
            _prop("could-not-read", str(len(data.unread))),
        ],
        "reviewed-controls": _reviewed(data.coverage),
    }
    observations = [_observation(rid, c, data.generated_at) for c in applicable]
    if observations:
        result["observations"] = observations
        result["findings"] = [_finding(rid, c) for c in applicable]
    metadata = {
        "title": f"govgate audit report {rid}",
        "last-modified": _when(data.generated_at),
        "version": one_line(rid),
        "oscal-version": OSCAL_VERSION,
        "props": [
            _prop("asset", data.asset or "organisation"),
            _prop("frameworks", ", ".join(data.frameworks) or "all"),
        ],
    }
    return {
        "assessment-results": {
            "uuid": oscal_uuid(rid, "assessment-results"),
            "metadata": metadata,
            "import-ap": {
                "href": "#",
                "remarks": "No separate assessment plan: the plan is govgate's policy and the control catalog.",
            },
            "results": [result],
        }
    }


def _reviewed(coverage: list[ControlCoverage]) -> dict:
    included = [{"control-id": control_token(c.ref)} for c in coverage if c.status != NOT_APPLICABLE]
    excluded = [c for c in coverage if c.status == NOT_APPLICABLE]
    selection: dict = {"description": "Controls of the catalog in scope on the report date."}
    if included:
        selection["include-controls"] = included
    else:
        selection["include-all"] = {}
    if excluded:
        selection["exclude-controls"] = [{"control-id": control_token(c.ref)} for c in excluded]
        selection["remarks"] = "Not applicable: " + "; ".join(f"{c.ref}: {c.reason}" for c in excluded)
    return {"control-selections": [selection]}


def _observation(rid: str, c: ControlCoverage, collected: datetime) -> dict:
    obs = {
        "uuid": oscal_uuid(rid, "observation", c.ref),
        "title": f"Evidence for {c.ref}",
        "description": c.reason or f"{len(c.evidence)} record(s) serve {c.ref}",
        "props": [_prop("control-ref", c.ref), _prop("status", c.status)],
        "methods": ["TEST"],
        "types": ["control-objective"],
        "collected": _when(collected),
    }
    if c.evidence:
        obs["relevant-evidence"] = [
            {
                "href": uri_ref(e.uri),
                "description": f"{e.gate} record {e.record_id} ({e.evidence_kind}) for {e.subject_id}: "
                + ("verified" if e.verified else "NOT verified")
                + (", current" if e.fresh else ", expired")
                + (f" (valid until {e.expires})" if e.expires else ""),
                "props": [_prop("verified", str(e.verified).lower()), _prop("fresh", str(e.fresh).lower())],
            }
            for e in c.evidence
        ]
    return obs


def _finding(rid: str, c: ControlCoverage) -> dict:
    state, reason = STATE.get(c.status, ("not-satisfied", "other"))
    return {
        "uuid": oscal_uuid(rid, "finding", c.ref),
        "title": f"{c.ref}: {c.title}"[:300],
        "description": c.reason or c.status,
        "props": [_prop("control-ref", c.ref), _prop("status", c.status)],
        "origins": [{"actors": [{"type": "tool", "actor-uuid": TOOL_UUID}]}],
        "target": {
            "type": "objective-id",
            "target-id": control_token(c.ref),
            "status": {
                "state": state,
                "reason": reason,
                **({} if c.status == COVERED else {"remarks": c.reason or c.status}),
            },
        },
        "related-observations": [{"observation-uuid": oscal_uuid(rid, "observation", c.ref)}],
    }


def oscal_json(data: AuditData) -> bytes:
    return json.dumps(assessment_results(data), indent=1, sort_keys=False).encode()
