"""Which evidence kinds a tier requires, and whether the gathered evidence satisfies each."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from govgate import protocol
from govgate.package.collect import Evidence, FoundRecord
from govgate.package.layout import CHECK_KINDS, GOOD, INDEX_NAME, MANIFEST_NAME, PACKAGE_KINDS, SIGNOFFS_NAME


@dataclass
class Requirement:
    kind: str
    required: bool
    status: str  # present | not-passing | missing | pending | not-required
    satisfied_by: list[str] = field(default_factory=list)  # package file names
    detail: str = ""

    @property
    def ok(self) -> bool:
        return self.status in ("present", "not-required")

    def as_dict(self) -> dict[str, Any]:
        return {
            "kind": self.kind,
            "required": self.required,
            "status": self.status,
            "satisfied_by": self.satisfied_by,
            "detail": self.detail,
        }


def _checks_of_kind(records: list[FoundRecord], kind: str):
    return [(r, c) for r in records for c in r.record.checks if c.evidence_kind == kind]


def assess_kind(kind: str, ev: Evidence, policy_name: str | None = None) -> Requirement:
    """What in the gathered evidence serves one evidence kind, and whether it is in good standing."""
    docs = [name for name, _ in ev.documents.get(kind, [])]
    if kind == "evidence_package":
        return Requirement(
            kind, False, "present", [MANIFEST_NAME, INDEX_NAME], "this package (signed manifest and index)"
        )
    if kind == "policy":
        return Requirement(
            kind, False, "present", [policy_name] if policy_name else [], "the policy file the decision used"
        )
    if kind == "signoff":
        return Requirement(kind, False, "pending", [SIGNOFFS_NAME], "decided after the evidence is complete")
    by_kind = {
        "data_review": _assess_data_review,
        "datasheet": _assess_datasheet,
        "model_review": _assess_model_review,
        "model_card": _assess_model_card,
    }
    return by_kind.get(kind, _assess_checks)(kind, ev, docs)


def _assess_data_review(kind: str, ev: Evidence, docs: list[str]) -> Requirement:
    """The data reviews of the training data (found through lineage) must all pass."""
    recs = ev.data_reviews
    if not recs:
        return _doc_or_missing(kind, docs, "no data-review record of the training data was found (see lineage)")
    bad = [r for r in recs if r.decision != "pass"]
    files = [r.package_name(n) for r in recs for n in (protocol.RECORD_JSON, protocol.REPORT_HTML)]
    if bad:
        return Requirement(
            kind,
            False,
            "not-passing",
            files,
            "; ".join(f"data review {r.record_id} of {r.record.subject.id} decided {r.decision}" for r in bad),
        )
    return Requirement(
        kind, False, "present", files, ", ".join(f"{r.record.subject.id} ({r.record_id}): pass" for r in recs)
    )


def _assess_datasheet(kind: str, ev: Evidence, docs: list[str]) -> Requirement:
    """A datasheet written by a training-data review, or one given as a document."""
    files = [r.package_name("datasheet.md") for r in ev.data_reviews if "datasheet.md" in r.files]
    if files or docs:
        return Requirement(kind, False, "present", files + docs, f"{len(files + docs)} datasheet(s)")
    return Requirement(
        kind, False, "missing", [], "no datasheet: none of the training data's reviews wrote datasheet.md"
    )


def _assess_model_review(kind: str, ev: Evidence, docs: list[str]) -> Requirement:
    """The version's current model-review record must pass."""
    rec = ev.records.get(protocol.MODEL_REVIEW)
    if rec is None:
        return _doc_or_missing(kind, docs, f"no model-review record for {ev.model_uri}")
    files = [rec.package_name(protocol.RECORD_JSON), rec.package_name(protocol.REPORT_HTML)]
    if rec.decision != "pass":
        return Requirement(
            kind,
            False,
            "not-passing",
            files,
            f"model review {rec.record_id} decided {rec.decision}: " + "; ".join(rec.record.decision.reasons)[:500],
        )
    return Requirement(kind, False, "present", files, f"model review {rec.record_id}: pass")


def _assess_model_card(kind: str, ev: Evidence, docs: list[str]) -> Requirement:
    """The model card a model review wrote (or one given as a document)."""
    rec = ev.records.get(protocol.MODEL_REVIEW)
    files = [rec.package_name(n) for n in ("model_card.md", "model_card.html") if n in rec.files] if rec else []
    if not files and not docs:
        return Requirement(kind, False, "missing", [], "no model_card.md in a model-review record of this version")
    detail = "model card"
    if rec:
        try:
            c = rec.record.check("model_card.documentation")
            detail = f"model card ({c.outcome.value}: {c.message})"
        except KeyError:
            pass
    return Requirement(kind, False, "present", files + docs, detail)


def _assess_checks(kind: str, ev: Evidence, docs: list[str]) -> Requirement:
    """Any other kind: the checks of that kind in the records of its gate (or a gate named after it), else
    documents."""
    gate = CHECK_KINDS.get(kind)
    records = (
        ev.data_reviews
        if gate == protocol.DATA_REVIEW
        else ([ev.records[gate]] if gate in ev.records else [])
        if gate
        else ev.all_records()
    )
    if gate is None and (
        rec := ev.records.get(kind.replace("_", "-"))
    ):  # a gate named after the kind (reassessment, ...)
        files = [rec.package_name(protocol.RECORD_JSON), rec.package_name(protocol.REPORT_HTML)]
        status = "present" if rec.decision == "pass" else "not-passing"
        return Requirement(kind, False, status, files + docs, f"{rec.gate} {rec.record_id}: {rec.decision}")
    hits = [(r, c) for r, c in _checks_of_kind(records, kind) if c.outcome.value != "skipped"]
    if hits:
        files = sorted({r.package_name(protocol.RECORD_JSON) for r, _ in hits}) + docs
        bad = [c for _, c in hits if c.outcome.value not in GOOD]
        if bad:
            return Requirement(
                kind,
                False,
                "not-passing",
                files,
                "; ".join(f"{c.id}: {c.outcome.value} {c.message}".strip() for c in bad)[:500],
            )
        return Requirement(kind, False, "present", files, f"{len(hits)} check(s) passed or warned")
    if docs:
        return Requirement(kind, False, "present", docs, f"{len(docs)} document(s) given")
    skipped = [c for _, c in _checks_of_kind(records, kind)]
    if skipped:
        return Requirement(
            kind,
            False,
            "missing",
            [],
            "only skipped checks: " + "; ".join(f"{c.id}: {c.message}" for c in skipped)[:300],
        )
    where = {protocol.DATA_REVIEW: "the training data's review", protocol.MODEL_REVIEW: "the model review"}.get(
        gate or "", "any record"
    )
    hint = " (give it as a document, e.g. risk_assessment=PATH)" if kind == "risk_assessment" else ""
    return Requirement(kind, False, "missing", [], f"no {kind} evidence in {where}{hint}")


def _doc_or_missing(kind: str, docs: list[str], why: str) -> Requirement:
    if docs:
        return Requirement(kind, False, "present", docs, f"{len(docs)} document(s) given")
    return Requirement(kind, False, "missing", [], why)


def completeness(ev: Evidence, required: list[str], policy_name: str | None = None) -> dict[str, Requirement]:
    """Every evidence kind the package can speak to (required ones first), assessed."""
    kinds = list(dict.fromkeys([*required, *PACKAGE_KINDS, *ev.documents]))
    out = {}
    for kind in kinds:
        req = assess_kind(kind, ev, policy_name)
        req.required = kind in required
        out[kind] = req
    return out
