"""Turning a merged PII scan into checks and findings: one check per column, and whether NER ran."""

from __future__ import annotations

from typing import Any

from govgate.checks.outcomes import advisory
from govgate.checks.pii.constants import EXAMPLES_PER_ENTITY
from govgate.checks.pii.engine import AUTO_NER_MODELS, ner_model_version
from govgate.checks.pii.names import LIKELY_PERSON_NAME, likely_names_evidence
from govgate.checks.pii.results import ColumnPii, PiiResult
from govgate.checks.pii.scan import named_as_time
from govgate.checks.stats import wilson_interval
from govgate.record import Check, Finding, Metric, Outcome, Severity, Threshold

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
        LIKELY_PERSON_NAME,
    }
)


#: what the scan looks for without NER, in words (messages say what was checked)
PATTERNS = "pattern recognizers (e-mail, phone, card, bank and ID numbers, URL, IP)"

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
        says = (declared or {}).get(name)
        check, finding = _column_check(name, col, min_prevalence, confidence, says, ner_available)
        checks.append(check)
        findings += [finding] if finding else []
    checks.append(_ner_check(result, ner_available))
    return checks, findings


def _prevalence_threshold(min_prevalence: float) -> Threshold:
    """The limit on a structured column's highest entity prevalence. An entity counts from
    ``min_prevalence`` on, and only when some value holds it: at a limit of 0 that is any value at all."""
    if min_prevalence > 0:
        return Threshold(metric="max_prevalence", op="<", value=min_prevalence)
    return Threshold(metric="max_prevalence", op="<=", value=0)


def _column_check(
    name: str, col: ColumnPii, min_prevalence: float, confidence: float, says: bool | None, ner: bool = False
) -> tuple[Check, Finding | None]:
    """``data.pii.column.<name>``: a text column's rows with PII judged against zero, a structured or
    numeric column's highest entity prevalence against ``min_prevalence`` (advisory: PII found warns, it is
    for the legal basis to decide). A column declared personal data warns whatever the scan found; one
    whose every value is a Unix time in a column named as a time does not count its number matches."""
    n, text = col.scanned, col.kind == "text"
    metrics, flagged, below = _entity_metrics(col, min_prevalence, confidence)
    metrics += _likely_names(name, col, flagged)
    explained: dict[str, dict[str, Any]] = {}
    if not text and n and col.unix_times == n and flagged and named_as_time(name) and says is not True:
        # Every value is a Unix time and the column is named as a time: the number patterns match
        # their digits by coincidence. Recorded (counts above, details.explained), not counted as PII.
        explained, flagged = flagged, {}
    if text:
        metrics.append(Metric(name="values_with_pii", value=col.with_pii, n=n))
        threshold = Threshold(metric="values_with_pii", op="==", value=0)
        measured = col.with_pii
    else:
        measured = max((info["prevalence"] for info in [*flagged.values(), *below.values()]), default=0.0)
        metrics += [
            Metric(name="unix_time_values", value=col.unix_times, n=n),
            Metric(name="max_prevalence", value=measured, n=n),
        ]
        threshold = _prevalence_threshold(min_prevalence)
    outcome = advisory(threshold.judge(measured))
    if outcome == Outcome.PASS and says is True and n:
        outcome = Outcome.WARN  # declared personal data: a finding whatever the scan saw
    message = _column_message(col, flagged, below, explained, says, min_prevalence, confidence)
    if not flagged and not explained and n and not ner and col.kind != "numeric":  # never "no PII" unchecked
        message = message.replace("no PII in", f"no identifier found by the {PATTERNS} in", 1)
        message += "; not checked: person names, locations and groups (PERSON, LOCATION, NRP need an NER model)"
    check = Check(
        id=f"data.pii.column.{name}",
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
    return check, (_column_finding(name, col, flagged, says) if outcome == Outcome.WARN else None)


def _likely_names(name: str, col: ColumnPii, flagged: dict[str, dict[str, Any]]) -> list[Metric]:
    """Person names by the column's name and the values' shape (names.py), when NER found none: added to
    ``flagged`` as ``LIKELY_PERSON_NAME`` (not verified), with its metrics."""
    evidence = likely_names_evidence(name, col.scanned, col.alpha_words, col.full_names, col.distinct_share)
    if evidence is None or "PERSON" in flagged:
        return []
    count = max(col.alpha_words, col.full_names)
    share = round(count / col.scanned, 6)
    flagged[LIKELY_PERSON_NAME] = {
        "count": count,
        "prevalence": share,
        "direct_identifier": True,
        "verified": False,
        "evidence": evidence,
    }
    return [
        Metric(name=f"{LIKELY_PERSON_NAME}.count", value=count, n=col.scanned),
        Metric(name=f"{LIKELY_PERSON_NAME}.prevalence", value=share, n=col.scanned),
    ]


def _entity_metrics(
    col: ColumnPii, min_prevalence: float, confidence: float
) -> tuple[list[Metric], dict[str, dict[str, Any]], dict[str, dict[str, Any]]]:
    """The column's metrics (values, scanned, count and prevalence per entity, with a Wilson interval when
    the column was sampled), and its entities split into those that make it PII and those below the limit."""
    n, text = col.scanned, col.kind == "text"
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
        interval: dict[str, Any] = {}
        if col.sampled:
            lo, hi = wilson_interval(k, n, confidence)
            interval = {"lower": round(lo, 6), "upper": round(hi, 6), "confidence": confidence}
            info.update(interval)
        metrics += [
            Metric(name=f"{entity}.count", value=k, n=n),
            Metric(name=f"{entity}.prevalence", value=round(share, 6), n=n, **interval),
        ]
        (flagged if k > 0 and (text or share >= min_prevalence) else below)[entity] = info
    return metrics, flagged, below


def _column_message(
    col: ColumnPii,
    flagged: dict[str, dict[str, Any]],
    below: dict[str, dict[str, Any]],
    explained: dict[str, dict[str, Any]],
    says: bool | None,
    min_prevalence: float,
    confidence: float,
) -> str:
    n = col.scanned
    unit = "rows" if col.kind == "text" else ("sampled values" if col.sampled else "values")
    if n == 0:
        return "no non-null values"
    if explained:
        return (
            f"all {n} {unit} are Unix times (2001-2039) in a column named as a time: "
            f"{', '.join(explained)} match their digits by coincidence and are not counted as PII"
        )
    if flagged:
        parts = []
        for entity, info in flagged.items():
            if entity == LIKELY_PERSON_NAME:
                continue
            ci = (
                f" ({int(confidence * 100)}% CI {_pct(info['lower'])}-{_pct(info['upper'])})" if "lower" in info else ""
            )
            parts.append(f"{entity} in {info['count']} ({_pct(info['prevalence'])}{ci})")
        names = flagged.get(LIKELY_PERSON_NAME)
        message = "; ".join(
            ([f"{', '.join(parts)} of {n} {unit}"] if parts else [])
            + ([f"likely person names (not verified by NER): {names['evidence']}"] if names else [])
        )
        if says is True:
            return f"declared personal data in the datasheet; {message}"
        return message + (" (the datasheet declares it not personal data)" if says is False else "")
    if says is True:
        return f"declared personal data in the datasheet (the scan found no identifier pattern in {n} {unit})"
    return f"no PII in {n} {unit}" + (f" (below {_pct(min_prevalence)}: {', '.join(below)})" if below else "")


def _column_finding(name: str, col: ColumnPii, flagged: dict[str, dict[str, Any]], says: bool | None) -> Finding:
    direct = sorted(e for e in flagged if e in DIRECT_IDENTIFIERS)
    examples = [x for e in flagged for x in col.examples.get(e, [])][: 3 * EXAMPLES_PER_ENTITY]
    holds = f"holds {', '.join(flagged)}" if flagged else "holds no identifier pattern the scan knows"
    if col.kind == "text":
        remediation = (
            "redact the identifiers in this free text before use (the anonymized copy replaces them "
            "with salted pseudonyms) or drop the column"
        )
    else:
        remediation = (
            "drop the column or replace its values with salted pseudonyms (anonymized copy), and "
            "record the legal basis for processing it"
        )
    return Finding(
        id=f"pii.column.{name}",
        severity=Severity.HIGH if direct or says else Severity.MEDIUM,
        category="privacy",
        check_id=f"data.pii.column.{name}",
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


def _ner_check(result: PiiResult, ner_available: bool) -> Check:
    """``data.pii.ner``: whether names, locations and groups were looked for (inconclusive without NER)."""
    version = ner_model_version(result.ner_model)
    if ner_available:
        used = f"{result.ner_model} {version}" if version else result.ner_model
        outcome, message = Outcome.PASS, f"PERSON/LOCATION/NRP detection ran with NER model {used}"
    else:
        reason = (
            f"model {result.ner_model!r} has no NER component"
            if result.ner_model
            else "no NER model installed or configured (auto looks for "
            + ", ".join(AUTO_NER_MODELS)
            + "; ner_model none turns NER off)"
        )
        outcome, message = Outcome.INCONCLUSIVE, f"PERSON/LOCATION/NRP detection was not run: {reason}"
    return Check(
        id="data.pii.ner",
        title="Names, locations and groups (NER) were looked for",
        category="privacy",
        outcome=outcome,
        message=message,
        evidence_kind="pii_scan",
        details={"ner_model": result.ner_model, "ner_model_version": version},
    )
