"""Secrets evidence: one check per source judged against the allowed count, one critical finding per secret type."""

from __future__ import annotations

from govgate.checks.secrets import (
    merge_secrets,
    secrets_checks,
)
from tests.checks.secrets.helpers import GITHUB, GITHUB_2, sha


def test_checks_and_findings(scanned):
    checks, findings = secrets_checks(merge_secrets([scanned]), max_findings=0)
    column, detectors = checks
    assert column.id == "data.secrets.text" and column.outcome.value == "fail"
    assert {m.name: m.value for m in column.metrics} == {"secrets": 11, "rows_with_secrets": 10, "cells_scanned": 23}
    assert column.threshold.model_dump() == {"metric": "secrets", "op": "<=", "value": 0, "baseline_record": None}
    assert column.evidence_kind == "data_review" and column.controls
    assert column.details["secrets_by_type"]["GitHub Token"] == 2

    assert detectors.id == "data.secrets.detectors" and detectors.outcome.value == "pass"
    assert detectors.details["detect_secrets_version"] == "1.5.0"
    assert "AWSKeyDetector" in detectors.details["detect_secrets_plugins"]
    assert "Base64HighEntropyString" not in detectors.details["detect_secrets_plugins"]
    assert "High Entropy String" in detectors.details["extra_detectors"]

    by_id = {f.id: f for f in findings}
    assert len(findings) == 10
    gh = by_id["data.secrets.text.github-token"]
    assert gh.severity.value == "critical" and gh.category == "secret" and gh.check_id == "data.secrets.text"
    assert gh.message == "2 GitHub Token(s) in column 'text' (2 rows)"
    assert gh.location == {"column": "text", "rows": "1003, 1019"} and gh.count == 2
    assert sorted(gh.examples) == sorted(
        f"hmac-sha256:{sha(t)[:12]} (GitHub Token, 40 chars)" for t in (GITHUB, GITHUB_2)
    )
    assert "rotate" in gh.remediation and "re-run" in gh.remediation

    passing, _ = secrets_checks(merge_secrets([scanned]), max_findings=11)
    assert passing[0].outcome.value == "pass"
