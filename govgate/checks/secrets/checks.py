"""Turning a merged secrets scan into checks and findings."""

from __future__ import annotations

from govgate.checks.secrets.config import (
    DISABLED_FILTERS,
    ENTROPY_MAX_LENGTH,
    ENTROPY_MAX_WORDINESS,
    ENTROPY_MIN_LENGTH,
    ENTROPY_RATIO,
    EXAMPLES,
    EXCLUDED_PLUGINS,
    EXTRA_DETECTORS,
    POST_FILTERS,
)
from govgate.checks.secrets.results import SecretsResult, SourceTally
from govgate.record import Check, Finding, Metric, Outcome, Severity, Threshold, slug

# ---------------------------------------------------------------------------------------------------------------
# evidence

_REMEDIATION = (
    "Treat every listed secret as compromised: revoke or rotate it at its issuer (for a private key, replace the "
    "key pair), remove or redact the affected {unit} from the dataset and every copy or derived artifact, then "
    "re-run the data review. A fingerprint is HMAC-SHA256 of the value keyed with the kept pseudonym salt "
    "(GOVGATE_PSEUDONYM_SALT): only a holder of that key can match a candidate; the report never holds the value."
)


def secrets_checks(result: SecretsResult, *, max_findings: int = 0) -> tuple[list[Check], list[Finding]]:
    """One check per scanned column/file (fail when distinct secrets > ``max_findings``), one finding per
    (source, secret type), and ``data.secrets.detectors`` listing what ran."""
    checks: list[Check] = []
    findings: list[Finding] = []
    for name in sorted(result.sources):
        src = result.sources[name]
        checks.append(_source_check(name, src, max_findings))
        findings += _source_findings(name, src)
    checks.append(_detectors_check(result))
    return checks, findings


def _source_check(name: str, src: SourceTally, max_findings: int) -> Check:
    """``data.secrets.<name>``: the distinct secrets of one column or file judged against ``max_findings``."""
    unit, where = ("rows", f"column '{name}'") if src.kind == "column" else ("lines", f"file '{name}'")
    distinct = src.distinct()
    by_type = {t: len(tt.secrets) for t, tt in sorted(src.types.items())}
    threshold = Threshold(metric="secrets", op="<=", value=max_findings)
    if distinct:
        listed = ", ".join(f"{t}: {n}" for t, n in by_type.items())
        message = (
            f"{len(distinct)} distinct secret(s) ({listed}) in {src.rows_with_secrets} of {src.cells} {unit} of {where}"
        )
    else:
        message = f"no secrets in {src.cells} {'cells' if src.kind == 'column' else 'lines'} of {where}"
    return Check(
        id=f"data.secrets.{name}",
        title=f"No secrets in {where}",
        category="secrets",
        outcome=threshold.judge(len(distinct)),
        message=message,
        metrics=[
            Metric(name="secrets", value=len(distinct), n=src.cells),
            Metric(name="rows_with_secrets", value=src.rows_with_secrets, n=src.cells),
            Metric(name="cells_scanned", value=src.cells),
        ],
        threshold=threshold,
        evidence_kind="data_review",
        details={
            "kind": src.kind,
            "lines_scanned": src.lines,
            "secrets_by_type": by_type,
            "cleared_by_prefilter": src.prefiltered,
            "row_numbers": "0-based dataset positions" if src.kind == "column" else "1-based line numbers",
        },
    )


def _source_findings(name: str, src: SourceTally) -> list[Finding]:
    """One critical finding per secret type found in the column or file (hashes, never values)."""
    unit = "rows" if src.kind == "column" else "lines"
    where = f"column '{name}'" if src.kind == "column" else f"file '{name}'"
    findings = []
    for typ, tt in sorted(src.types.items()):
        rows = ", ".join(str(r) for r in tt.first_rows) + (" ..." if tt.rows > len(tt.first_rows) else "")
        examples = [f"hmac-sha256:{h[:12]} ({typ}, {n} chars)" for h, n in sorted(tt.secrets.items())[:EXAMPLES]]
        findings.append(
            Finding(
                id=f"data.secrets.{name}.{slug(typ).lower()}",
                severity=Severity.CRITICAL,
                category="secret",
                message=f"{len(tt.secrets)} {typ}(s) in {where} ({tt.rows} {unit})",
                check_id=f"data.secrets.{name}",
                location={"column" if src.kind == "column" else "file": name, unit: rows},
                count=len(tt.secrets),
                examples=examples,
                remediation=_REMEDIATION.format(unit=unit),
            )
        )
    return findings


def _detectors_check(result: SecretsResult) -> Check:
    """``data.secrets.detectors``: what ran, with its settings (a record of the scan, it passes)."""
    return Check(
        id="data.secrets.detectors",
        title="Secret detectors that ran",
        category="secrets",
        outcome=Outcome.PASS,
        message=f"detect-secrets {result.detect_secrets_version or '?'}: {len(result.plugins)} plugins; "
        f"{len(EXTRA_DETECTORS)} extra detectors; {len(result.sources)} source(s) in {result.partitions} partition(s)",
        evidence_kind="data_review",
        details={
            "detect_secrets_version": result.detect_secrets_version,
            "detect_secrets_plugins": result.plugins,
            "detect_secrets_filters": result.filters,
            "excluded_plugins": EXCLUDED_PLUGINS,
            "disabled_filters": DISABLED_FILTERS,
            "post_filters": POST_FILTERS,
            "extra_detectors": EXTRA_DETECTORS,
            "entropy": {
                "min_length": ENTROPY_MIN_LENGTH,
                "max_length": ENTROPY_MAX_LENGTH,
                "ratio_of_log2_length": ENTROPY_RATIO,
                "max_wordiness": ENTROPY_MAX_WORDINESS,
                "hex": "not reported by entropy (UUIDs, commit SHAs, digests)",
            },
            "prefilter": result.prefilter,
            "identity": "HMAC-SHA256 of the secret value keyed with the kept pseudonym salt; values are never stored",
            "verification": "never: no secret is sent to its issuer (detect-secrets verification stays off)",
        },
    )
