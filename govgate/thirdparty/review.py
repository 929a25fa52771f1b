"""The third-party review itself: which checklist items apply, and each item's evidence, expiry and
answers judged by ``Threshold.judge`` into checks, findings and the item statuses the inventory reads.

Pure: a submission, its checklist, a tier, a review date and a pseudonym key in; checks, findings, outputs
and the evidence files to attach out. Nothing here reads the evidence files' text.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import Any

from govgate.checks.pii.redaction import keyed_digest
from govgate.protocol import OUTPUT_THIRD_PARTY_ITEMS, OUTPUT_THIRD_PARTY_VENDOR
from govgate.record import Check, Finding, Metric, Outcome, Severity, Threshold
from govgate.thirdparty.checklist import Checklist, Item
from govgate.thirdparty.evidence import EvidenceFile, combined_sha256, hash_files
from govgate.thirdparty.submission import ItemEvidence, Submission

CATEGORY = "third-party"
#: answer types the record keeps in clear; free text and contacts (people) are never recorded
RECORDED_ANSWER_TYPES = ("date", "integer", "boolean", "choice", "organisations")
EVIDENCE_KIND = "third_party_review"
#: EU and EEA countries: personal data of people in the EU processed elsewhere is a transfer (GDPR Chapter V)
EEA = frozenset("AT BE BG HR CY CZ DK EE FI FR DE GR HU IE IT LV LT LU MT NL PL PT RO SK SI ES SE IS LI NO".split())


@dataclass
class Review:
    checks: list[Check] = field(default_factory=list)
    findings: list[Finding] = field(default_factory=list)
    items: list[dict[str, Any]] = field(default_factory=list)  # OUTPUT_THIRD_PARTY_ITEMS
    files: list[EvidenceFile] = field(default_factory=list)
    vendor: dict[str, Any] = field(default_factory=dict)  # OUTPUT_THIRD_PARTY_VENDOR

    @property
    def outputs(self) -> dict[str, Any]:
        return {OUTPUT_THIRD_PARTY_ITEMS: self.items, OUTPUT_THIRD_PARTY_VENDOR: self.vendor}


def countries(sub: Submission) -> set[str]:
    """Every country the data reaches: declared locations and the sub-processors' countries."""
    found = {loc.country for loc in sub.data_locations}
    subs = sub.items.get("sub_processors")
    for org in (subs.answers.get("sub_processors") or []) if subs else []:
        found.add(org["country"])
    return found


def facts(sub: Submission) -> dict[str, bool]:
    """The facts an item's ``when`` can name (govgate.thirdparty.checklist.FACTS)."""
    where = countries(sub)
    return {
        "personal_data": sub.personal_data,
        "transfer_from_vn": sub.personal_data and "VN" in sub.data_subjects and bool(where - {"VN"}),
        "transfer_from_eu": sub.personal_data and "EU" in sub.data_subjects and bool(where - EEA),
        "deployer": sub.ai_act_role == "deployer",
        "provider": sub.ai_act_role == "provider",
    }


def why_not_required(item: Item, tier: str, known: dict[str, bool]) -> str | None:
    """None when the item is required; otherwise the reason it is not."""
    if tier not in item.tiers:
        return f"not required at tier {tier} (required at {', '.join(item.tiers)})"
    unmet = [f for f in item.when if not known[f]]
    return f"not required: {', '.join(unmet)} does not hold" if unmet else None


def review(sub: Submission, checklist: Checklist, tier: str, as_of: date, key: bytes) -> Review:
    """Every checklist item of the submission, in checklist order, judged on ``as_of``."""
    out, known = Review(), facts(sub)
    notice = int(checklist.expiry_notice_days.for_tier(tier))
    for item_id, item in checklist.items.items():
        given = sub.items.get(item_id)
        files = hash_files(item_id, sub.folder, given.evidence) if given else []
        out.files += files
        reason = why_not_required(item, tier, known)
        status = _judge_item(out, sub, item_id, item, given, files, reason, tier, as_of, notice)
        out.items.append(
            {
                "item": item_id,
                "status": status,
                "sha256": combined_sha256(files),
                "expires": given.expires.isoformat() if given and given.expires else None,
                "issued": given.issued.isoformat() if given else None,
                "required": reason is None,
                "files": [{"name": f.name, "sha256": f.sha256, "size": f.size} for f in files],
            }
        )
    out.vendor = vendor_summary(sub, checklist, tier, as_of, known, key)
    return out


def _judge_item(out, sub, item_id, item, given, files, reason, tier, as_of, notice) -> str:
    """Checks and findings of one item; its status for the inventory."""
    base = f"third_party.{item_id}"
    if reason is not None:
        out.checks.append(_check(f"{base}.evidence", item, Outcome.SKIPPED, reason))
        return "not-required"
    count = Threshold(metric="evidence_files", op=">=", value=1)
    outcome = count.judge(len(files))
    message = f"{len(files)} file(s) hashed and attached" if files else "no evidence submitted for this required item"
    out.checks.append(
        _check(f"{base}.evidence", item, outcome, message, count, [Metric(name="evidence_files", value=len(files))])
    )
    if given is None:
        out.findings.append(_finding(sub, item_id, item, Severity.HIGH, f"{item.title}: missing", f"{base}.evidence"))
        return "missing"
    status = _judge_expiry(out, sub, item_id, item, given, as_of, notice)
    for limit in item.limits:
        _judge_limit(out, sub, item_id, item, limit, given.answers.get(limit.answer), tier)
    if item.deadline:
        _judge_deadline(out, sub, item_id, item, given, as_of)
    return status


def _judge_expiry(out, sub, item_id, item, given: ItemEvidence, as_of: date, notice: int) -> str:
    base = f"third_party.{item_id}"
    current = Threshold(metric="days_to_expiry", op=">=", value=0)
    if given.expires is None:
        if item.expiry == "optional":
            return "ok"
        out.checks.append(
            _check(
                f"{base}.current",
                item,
                current.judge(None),
                "no expiry date given: whether it is still in force is unknown",
                current,
            )
        )
        out.findings.append(
            _finding(sub, item_id, item, Severity.MEDIUM, f"{item.title}: no expiry date", f"{base}.current", "expires")
        )
        return "no-expiry-date"
    days = (given.expires - as_of).days
    metric = [Metric(name="days_to_expiry", value=days)]
    outcome = current.judge(days)
    text = (
        f"expired on {given.expires} ({-days} days ago)"
        if outcome == Outcome.FAIL
        else f"in force until {given.expires} ({days} days left)"
    )
    out.checks.append(_check(f"{base}.current", item, outcome, text, current, metric))
    if outcome == Outcome.FAIL:
        out.findings.append(
            _finding(sub, item_id, item, Severity.HIGH, f"{item.title}: {text}", f"{base}.current", "expires")
        )
        return "expired"
    renew = Threshold(metric="days_to_expiry", op=">=", value=notice)
    soon = renew.judge(days) == Outcome.FAIL  # within the notice period: a warning to renew, not a failure
    text = (
        f"expires on {given.expires}, within the {notice}-day notice period: renew it"
        if soon
        else f"more than {notice} days left"
    )
    out.checks.append(_check(f"{base}.renewal", item, Outcome.WARN if soon else Outcome.PASS, text, renew, metric))
    if soon:
        out.findings.append(
            _finding(sub, item_id, item, Severity.LOW, f"{item.title}: {text}", f"{base}.renewal", "expires")
        )
        return "expiring"
    return "ok"


def _judge_limit(out, sub, item_id, item, limit, value, tier) -> None:
    threshold = Threshold(metric=limit.answer, op=limit.op, value=limit.value.for_tier(tier))
    outcome = threshold.judge(value)
    text = (
        f"{limit.answer} = {value} (limit {limit.op} {threshold.value} at tier {tier})"
        if value is not None
        else f"{limit.answer} not answered"
    )
    check_id = f"third_party.{item_id}.{limit.answer}"
    out.checks.append(
        _check(
            check_id,
            item,
            outcome,
            text,
            threshold,
            [Metric(name=limit.answer, value=value)],
            limit.title,
            limit.controls,
        )
    )
    if outcome != Outcome.PASS:
        out.findings.append(
            _finding(sub, item_id, item, Severity.MEDIUM, f"{limit.title}: {text}", check_id, f"answers.{limit.answer}")
        )


def _judge_deadline(out, sub, item_id, item, given: ItemEvidence, as_of: date) -> None:
    rule = item.deadline
    start, done = given.answers.get(rule.start), given.answers.get(rule.done)
    days = ((done or as_of) - start).days if start else None
    threshold = Threshold(metric=f"days_{rule.start}_to_{rule.done}", op="<=", value=rule.days)
    outcome = threshold.judge(days)
    if done:
        text = f"{rule.done} {done}: {days} days after {rule.start} {start} (limit {rule.days})"
    else:
        text = f"{rule.done} not yet: {days} days since {rule.start} {start} (limit {rule.days}; due by {start + timedelta(days=rule.days) if start else '?'})"
    check_id = f"third_party.{item_id}.deadline"
    metric = [Metric(name=threshold.metric, value=days)]
    out.checks.append(_check(check_id, item, outcome, text, threshold, metric, rule.title, rule.controls))
    if outcome != Outcome.PASS:
        out.findings.append(
            _finding(sub, item_id, item, Severity.HIGH, f"{rule.title}: {text}", check_id, f"answers.{rule.done}")
        )


def _check(check_id, item: Item, outcome, message, threshold=None, metrics=None, title=None, controls=None) -> Check:
    return Check(
        id=check_id,
        title=title or item.title,
        category=CATEGORY,
        outcome=outcome,
        message=message,
        metrics=metrics or [],
        threshold=threshold,
        evidence_kind=EVIDENCE_KIND,
        controls=list(controls or item.controls) or [],
        details={"references": item.references} if item.references else {},
    )


def _finding(sub: Submission, item_id: str, item: Item, severity, message, check_id, key: str = "") -> Finding:
    return Finding(
        id=f"{check_id}.finding",
        severity=severity,
        category=CATEGORY,
        message=message,
        check_id=check_id,
        location={"file": sub.path, "key": f"items.{item_id}" + (f".{key}" if key else "")},
        remediation=item.remediation,
    )


def vendor_summary(sub: Submission, checklist: Checklist, tier: str, as_of: date, known: dict, key: bytes) -> dict:
    """What the record says of the vendor: no free text, no contact in clear (keyed pseudonyms only)."""
    contacts_item = sub.items.get("incident_contacts_sla")
    contacts = (contacts_item.answers.get("contacts") or []) if contacts_item else []
    return {
        "id": sub.id,
        "vendor": sub.vendor,
        "service": sub.service,
        "tier": tier,
        "ai_act_role": sub.ai_act_role,
        "personal_data": sub.personal_data,
        "data_subjects": list(sub.data_subjects),
        "data_locations": [loc.model_dump() for loc in sub.data_locations],
        "countries": sorted(countries(sub)),
        "facts": known,
        "as_of": as_of.isoformat(),
        "checklist": {"name": checklist.name, "version": checklist.version, "sha256": checklist.sha256},
        "contacts": [_pseudonymous_contact(c, key) for c in contacts],
        "answers": _plain_answers(sub, checklist),
    }


def _pseudonymous_contact(contact: dict, key: bytes) -> dict:
    channels = [k for k in ("email", "phone") if contact.get(k)]
    first = contact.get("email") or contact.get("phone") or ""
    return {"role": contact["role"], "channels": channels, "ref": keyed_digest(first.strip().lower(), key)}


def _plain_answers(sub: Submission, checklist: Checklist) -> dict[str, dict]:
    """Answers safe to record: dates, numbers, yes/no, choices, organisations; free text and contacts never."""
    safe = {}
    for item_id, given in sub.items.items():
        specs = checklist.items[item_id].answers
        kept = {
            k: (v.isoformat() if isinstance(v, date) else v)
            for k, v in given.answers.items()
            if specs[k].type in RECORDED_ANSWER_TYPES
        }
        if kept:
            safe[item_id] = kept
    return safe
