"""OSCAL assessment-results for the audit period: valid against NIST's whole published OSCAL 1.0.4
assessment-results JSON schema (vendored unchanged, tests/data/README.md), controls as findings with
observations linking the records, UUIDs that do not change between two exports of the same report."""

from __future__ import annotations

import json
import re
from datetime import UTC, datetime, timedelta
from pathlib import Path

import jsonschema
import pytest
import regex
from jsonschema import validators

from govgate.audit.oscal import assessment_results, control_token, oscal_json, uri_ref
from govgate.audit.report import AuditData
from govgate.audit.types import ControlCoverage, EvidenceRef

SCHEMA = Path(__file__).parents[2] / "data" / "oscal" / "oscal_assessment-results_schema-1.0.4.json"
T0 = datetime(2026, 11, 1, tzinfo=UTC)


def _pattern(validator, pattern, instance, schema):
    if validator.is_type(instance, "string") and not regex.search(pattern, instance):
        yield jsonschema.ValidationError(f"{instance!r} does not match {pattern!r}")


def validator() -> jsonschema.Draft7Validator:
    """Draft 7 over the schema file as published. Its token pattern uses ``\\p{L}``/``\\p{N}`` (Unicode letters,
    digits), which Python's ``re`` lacks, so ``pattern`` (and the meta-schema's ``format: regex``) use the
    ``regex`` module, which has them. Formats are checked (date-time, uri, uri-reference); the ``$id`` anchors
    (``#assembly_oscal-ar_result``) are resolved by jsonschema's ``referencing``."""
    formats = jsonschema.FormatChecker()
    formats.checks("regex", raises=regex.error)(regex.compile)
    # jsonschema skips a format silently when its library is missing (rfc3339-validator, rfc3986-validator).
    assert not formats.conforms("a b", "uri-reference") and not formats.conforms("2026-02-30T00:00:00Z", "date-time")
    oscal = validators.extend(jsonschema.Draft7Validator, {"pattern": _pattern})
    schema = json.loads(SCHEMA.read_text())
    assert schema["$id"] == "http://csrc.nist.gov/ns/oscal/1.0.4/oscal-ar-schema.json"
    oscal(oscal.META_SCHEMA, format_checker=formats).validate(schema)
    return oscal(schema, format_checker=formats)


def ref(record_id: str, verified=True, fresh=True) -> EvidenceRef:
    return EvidenceRef(
        record_id,
        f"s3://bucket/evidence/m/1/model-review/{record_id}/record.json",
        "model-review",
        "m",
        "fairness_eval",
        T0,
        None,
        fresh,
        verified,
    )


def data(report_id="20261201T000000Z-abcdef01") -> AuditData:
    d = AuditData(report_id, T0, T0 + timedelta(days=30), T0 + timedelta(days=31), "s3://bucket")
    d.coverage = [
        ControlCoverage(
            "nist-ai-rmf-1.0:MEASURE-2.11",
            "nist-ai-rmf-1.0",
            "MEASURE-2.11",
            "Fairness",
            "covered",
            "fairness_eval current",
            evidence=[ref("20261102T000000Z-1")],
        ),
        ControlCoverage(
            "iso-iec-42001-2023:A.6.2.4",
            "iso-iec-42001-2023",
            "A.6.2.4",
            "Verification",
            "partial",
            "robustness_eval expired",
            evidence=[ref("20261103T000000Z-2", fresh=False), ref("20261104T000000Z-3", verified=False)],
        ),
        ControlCoverage("vn-ai-law-134-2025:10", "vn-ai-law-134-2025", "10", "Risk", "not_covered", "no evidence"),
        ControlCoverage(
            "eu-ai-act:art-73", "eu-ai-act", "art-73", "Serious incidents", "not_applicable", "applies from 2027-08-02"
        ),
    ]
    return d


def test_the_export_is_valid_oscal_assessment_results():
    v = validator()
    doc = json.loads(oscal_json(data()))
    errors = sorted(v.iter_errors(doc), key=str)
    assert errors == [], [e.message for e in errors[:5]]
    result = doc["assessment-results"]["results"][0]
    findings = {f["target"]["target-id"]: f["target"]["status"] for f in result["findings"]}
    assert findings == {
        "nist-ai-rmf-1.0_MEASURE-2.11": {"state": "satisfied", "reason": "pass"},
        "iso-iec-42001-2023_A.6.2.4": {
            "state": "not-satisfied",
            "reason": "fail",
            "remarks": "robustness_eval expired",
        },
        "vn-ai-law-134-2025_10": {"state": "not-satisfied", "reason": "fail", "remarks": "no evidence"},
    }
    selection = result["reviewed-controls"]["control-selections"][0]
    assert selection["exclude-controls"] == [{"control-id": "eu-ai-act_art-73"}]
    assert "applies from 2027-08-02" in selection["remarks"]
    partial = next(o for o in result["observations"] if o["title"].endswith("A.6.2.4"))
    assert [e["href"] for e in partial["relevant-evidence"]] == [
        "s3://bucket/evidence/m/1/model-review/20261103T000000Z-2/record.json",
        "s3://bucket/evidence/m/1/model-review/20261104T000000Z-3/record.json",
    ]
    assert "NOT verified" in partial["relevant-evidence"][1]["description"]
    obs_ids = {o["uuid"] for o in result["observations"]}
    assert all(f["related-observations"][0]["observation-uuid"] in obs_ids for f in result["findings"])


def test_uuids_are_deterministic_from_the_report_id_and_control():
    a, b, c = oscal_json(data()), oscal_json(data()), oscal_json(data("20261201T000000Z-ffffffff"))
    assert a == b and a != c
    uuids = re.findall(r'"[0-9a-f]{8}-[0-9a-f]{4}-5[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}"', a.decode())
    assert len(uuids) > 8


def test_an_empty_period_is_still_valid():
    d = AuditData("20261201T000000Z-00000000", T0, T0 + timedelta(days=1), T0 + timedelta(days=2), "file:///x")
    doc = assessment_results(d)
    assert list(validator().iter_errors(doc)) == []
    assert "findings" not in doc["assessment-results"]["results"][0]


@pytest.mark.parametrize(
    "bad",
    [
        lambda d: d["assessment-results"].pop("import-ap"),
        lambda d: d["assessment-results"]["results"][0]["findings"][0]["target"]["status"].update(state="covered"),
        lambda d: d["assessment-results"]["results"][0]["observations"][0].update(uuid="not-a-uuid"),
        lambda d: d["assessment-results"]["results"][0]["findings"][0]["target"].update({"target-id": "a:b"}),
        lambda d: d["assessment-results"]["metadata"].update(risks=[]),
        lambda d: d["assessment-results"]["metadata"].update({"last-modified": "2026-12-01 00:00:00"}),
        lambda d: d["assessment-results"]["results"][0]["props"][0].update(name="report id"),
        lambda d: d["assessment-results"]["results"][0]["props"][0].update(ns="not a uri"),
        lambda d: d["assessment-results"]["results"][0]["observations"][0].pop("methods"),
        lambda d: d["assessment-results"]["results"][0].update(links=[{"href": "#", "rel": "has space"}]),
    ],
)
def test_the_schema_rejects_what_oscal_rejects(bad):
    doc = assessment_results(data())
    bad(doc)
    assert list(validator().iter_errors(doc)), "the vendored schema accepted an invalid document"


def test_refs_to_id_anchors_are_followed_deep_into_a_finding():
    """A wrong type four $id-anchor refs down (assessment-results -> result -> finding -> finding-target) is
    reported at its path, so the anchors resolve rather than being skipped."""
    doc = assessment_results(data())
    doc["assessment-results"]["results"][0]["findings"][1]["target"]["status"]["state"] = 5
    errors = list(validator().iter_errors(doc))
    assert errors
    paths = {tuple(e.absolute_path) for e in errors}
    assert ("assessment-results", "results", 0, "findings", 1, "target", "status", "state") in paths
    assert "5 is not of type 'string'" in [e.message for e in errors]


def test_awkward_inputs_still_give_a_valid_document():
    """What the full schema caught: a prop value with a line break (StringDatatype) and a record URI with a
    space (format uri-reference) were written as they came."""
    d = data()
    d.asset = "credit model\nv2 "
    d.coverage[0].evidence[0].uri = "file:///tmp/my store/evidence/m/1/model-review/r1/record.json"
    d.coverage.append(ControlCoverage("iso:Ä.1 (b)", "iso", "Ä.1 (b)", "T", "not_covered", "", evidence=[]))
    doc = assessment_results(d)
    errors = list(validator().iter_errors(doc))
    assert errors == [], [e.message for e in errors[:5]]
    assert doc["assessment-results"]["metadata"]["props"][0]["value"] == "credit model v2"
    obs = doc["assessment-results"]["results"][0]["observations"][0]
    assert obs["relevant-evidence"][0]["href"] == "file:///tmp/my%20store/evidence/m/1/model-review/r1/record.json"
    assert uri_ref("s3://b/evidence/x/record.json") == "s3://b/evidence/x/record.json"


def test_control_tokens():
    assert control_token("eu-ai-act:art-9") == "eu-ai-act_art-9"
    assert control_token("vn:10 (a)") == "vn_10-a-"
    assert control_token("iso:Ä.1 (b)") == "iso_Ä.1-b-"
    assert control_token("1x:2") == "_1x_2"
