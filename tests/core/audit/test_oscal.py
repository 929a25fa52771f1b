"""OSCAL assessment-results for the audit period: valid against NIST's published schema (the vendored
subset, tests/data/README.md), controls as findings with observations linking the records, UUIDs that do not
change between two exports of the same report."""

from __future__ import annotations

import json
import re
from datetime import UTC, datetime, timedelta
from pathlib import Path

import jsonschema
import pytest

from govgate.audit.oscal import assessment_results, control_token, oscal_json
from govgate.audit.report import AuditData
from govgate.audit.types import ControlCoverage, EvidenceRef

SCHEMA = Path(__file__).parents[2] / "data" / "oscal" / "oscal_assessment-results_schema-1.0.4-subset.json"
T0 = datetime(2026, 11, 1, tzinfo=UTC)


def validator() -> jsonschema.Draft7Validator:
    """The published schema's token pattern uses \\p{L} and \\p{N} (Unicode letters, digits), which Python's
    re lacks: mapped to the equivalent classes; every other keyword as published."""
    text = SCHEMA.read_text().replace("\\\\p{L}", "[^\\\\W\\\\d_]").replace("\\\\p{N}", "\\\\d")
    schema = json.loads(text)
    jsonschema.Draft7Validator.check_schema(schema)
    return jsonschema.Draft7Validator(schema)


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
    ],
)
def test_the_schema_rejects_what_oscal_rejects(bad):
    doc = assessment_results(data())
    bad(doc)
    assert list(validator().iter_errors(doc)), "the vendored schema accepted an invalid document"


def test_control_tokens():
    assert control_token("eu-ai-act:art-9") == "eu-ai-act_art-9"
    assert control_token("vn:10 (a)") == "vn_10-a-"
