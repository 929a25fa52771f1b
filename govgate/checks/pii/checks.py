"""Turning a merged PII scan into checks and findings: one check per column, and whether NER ran."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from govgate.checks.pii.constants import EXAMPLES_PER_ENTITY
from govgate.checks.pii.results import PiiResult
from govgate.checks.pii.scan import named_as_time
from govgate.checks.stats import wilson_interval
from govgate.record import Check, Finding, Metric, Outcome, Severity, Threshold

if TYPE_CHECKING:
    pass

#: entities that identify a person on their own (the legal-basis rule applies to them)
DIRECT_IDENTIFIERS = frozenset(
    {
        "EMAIL_ADDRESS",
        "PHONE_NUMBER",
        "PERSON",
        "CREDIT_CARD",
        "IBAN_CODE",
        "CRYPTO",
        "MEDICAL_LICENSE",
        "US_SSN",
        "US_ITIN",
        "US_PASSPORT",
        "US_DRIVER_LICENSE",
        "US_BANK_NUMBER",
        "UK_NHS",
        "UK_NINO",
        "VN_PHONE",
        "VN_CCCD",
        "VN_CMND",
        "VN_TAX_CODE",
        "VN_PASSPORT",
        "VN_BANK_ACCOUNT",
    }
)


# --------------------------------------------------------------------------------------------------------
# evidence


def _pct(x: float) -> str:
    return f"{100 * x:.1f}%"


def pii_checks(
    result: PiiResult,
    *,
    min_prevalence: float,
    confidence: float = 0.95,
    ner_available: bool,
    declared: dict[str, bool] | None = None,
) -> tuple[list[Check], list[Finding]]:
    """One check ``data.pii.column.<column>`` per column, one finding per column holding PII, and the
    ``data.pii.ner`` check (inconclusive without an NER model).

    A structured or numeric column holds PII when an entity type is in at least ``min_prevalence`` of
    its analysed values; a text column when any row has a hit. ``details.entities`` lists only the
    entity types that made the column PII; the others are in ``details.below_threshold``.
    ``declared`` holds the datasheet's ``pii`` flags: a column declared personal data is one whatever the
    scan finds (``details.declared_pii``); a column declared not to be keeps what the scan finds, and the
    message says the two disagree.
    """
    checks: list[Check] = []
    findings: list[Finding] = []
    for name, col in result.columns.items():
        check_id = f"data.pii.column.{name}"
        n = col.scanned
        text = col.kind == "text"
        metrics = [Metric(name="values", value=col.values), Metric(name="values_scanned", value=n)]
        flagged: dict[str, dict[str, Any]] = {}
        below: dict[str, dict[str, Any]] = {}
        for entity, k in sorted(col.counts.items(), key=lambda kv: (-kv[1], kv[0])):
            share = k / n if n else 0.0
            info: dict[str, Any] = {
                "count": k,
                "prevalence": round(share, 6),
                "direct_identifier": entity in DIRECT_IDENTIFIERS,
            }
            prevalence = Metric(name=f"{entity}.prevalence", value=round(share, 6), n=n)
            if col.sampled:
                lo, hi = wilson_interval(k, n, confidence)
                info.update(lower=round(lo, 6), upper=round(hi, 6), confidence=confidence)
                prevalence = Metric(
                    name=f"{entity}.prevalence",
                    value=round(share, 6),
                    lower=round(lo, 6),
                    upper=round(hi, 6),
                    confidence=confidence,
                    n=n,
                )
            metrics += [Metric(name=f"{entity}.count", value=k, n=n), prevalence]
            (flagged if k > 0 and (text or share >= min_prevalence) else below)[entity] = info
        unit = "rows" if text else ("sampled values" if col.sampled else "values")
        explained: dict[str, dict[str, Any]] = {}
        says = (declared or {}).get(name)
        if not text and n and col.unix_times == n and flagged and named_as_time(name) and says is not True:
            # Every value is a Unix time and the column is named as a time: the number patterns match
            # their digits by coincidence. Recorded (counts above, details.explained), not counted as PII.
            explained, flagged = flagged, {}
        if n == 0:
            outcome, message = Outcome.PASS, "no non-null values"
        elif explained:
            outcome = Outcome.PASS
            message = (
                f"all {n} {unit} are Unix times (2001-2039) in a column named as a time: "
                f"{', '.join(explained)} match their digits by coincidence and are not counted as PII"
            )
        elif flagged:
            outcome = Outcome.WARN
            parts = []
            for entity, info in flagged.items():
                ci = (
                    f" ({int(confidence * 100)}% CI {_pct(info['lower'])}-{_pct(info['upper'])})"
                    if "lower" in info
                    else ""
                )
                parts.append(f"{entity} in {info['count']} ({_pct(info['prevalence'])}{ci})")
            message = f"{', '.join(parts)} of {n} {unit}"
            if says is True:
                message = f"declared personal data in the datasheet; {message}"
            elif says is False:
                message += " (the datasheet declares it not personal data)"
        elif says is True:
            outcome = Outcome.WARN
            message = f"declared personal data in the datasheet (the scan found no identifier pattern in {n} {unit})"
        else:
            outcome = Outcome.PASS
            message = f"no PII in {n} {unit}" + (
                f" (below {_pct(min_prevalence)}: {', '.join(below)})" if below else ""
            )
        if not text:
            metrics.append(Metric(name="unix_time_values", value=col.unix_times, n=n))
        if text:
            metrics.append(Metric(name="values_with_pii", value=col.with_pii, n=n))
            threshold = Threshold(metric="values_with_pii", op="==", value=0)
        else:
            top = max((info["prevalence"] for info in [*flagged.values(), *below.values()]), default=0.0)
            metrics.append(Metric(name="max_prevalence", value=top, n=n))
            threshold = Threshold(metric="max_prevalence", op="<", value=min_prevalence)
        checks.append(
            Check(
                id=check_id,
                title=f"PII in column {name}",
                category="privacy",
                outcome=outcome,
                message=message,
                metrics=metrics,
                threshold=threshold,
                evidence_kind="pii_scan",
                details={
                    "column": name,
                    "kind": col.kind,
                    "entities": flagged,
                    "below_threshold": below,
                    **({"explained": explained, "explanation": "unix_time"} if explained else {}),
                    **({"declared_pii": says} if says is not None else {}),
                    "sampled": col.sampled,
                    "values": col.values,
                    "scanned": n,
                    "min_prevalence": min_prevalence,
                },
            )
        )
        if outcome != Outcome.WARN:
            continue
        direct = sorted(e for e in flagged if e in DIRECT_IDENTIFIERS)
        examples = [x for e in flagged for x in col.examples.get(e, [])][: 3 * EXAMPLES_PER_ENTITY]
        holds = f"holds {', '.join(flagged)}" if flagged else "holds no identifier pattern the scan knows"
        if text:
            remediation = (
                "redact the identifiers in this free text before use (the anonymized copy replaces them "
                "with salted pseudonyms) or drop the column"
            )
        else:
            remediation = (
                "drop the column or replace its values with salted pseudonyms (anonymized copy), and "
                "record the legal basis for processing it"
            )
        findings.append(
            Finding(
                id=f"pii.column.{name}",
                severity=Severity.HIGH if direct or says else Severity.MEDIUM,
                category="privacy",
                check_id=check_id,
                location={"column": name},
                count=col.with_pii,
                examples=examples,
                message=(
                    f"column {name!r} ({col.kind}) "
                    + ("is declared personal data and " if says else "")
                    + holds
                    + (f"; direct identifiers: {', '.join(direct)}" if direct else "")
                ),
                remediation=remediation,
            )
        )
    if ner_available:
        ner_check = Check(
            id="data.pii.ner",
            title="Names, locations and groups (NER) were looked for",
            category="privacy",
            outcome=Outcome.PASS,
            message=f"PERSON/LOCATION/NRP detection ran with NER model {result.ner_model}",
            evidence_kind="pii_scan",
            details={"ner_model": result.ner_model},
        )
    else:
        reason = f"model {result.ner_model!r} has no NER component" if result.ner_model else "no NER model configured"
        ner_check = Check(
            id="data.pii.ner",
            title="Names, locations and groups (NER) were looked for",
            category="privacy",
            outcome=Outcome.INCONCLUSIVE,
            message=f"PERSON/LOCATION/NRP detection was not run: {reason}",
            evidence_kind="pii_scan",
            details={"ner_model": result.ner_model},
        )
    checks.append(ner_check)
    return checks, findings
