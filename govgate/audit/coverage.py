"""Control coverage derived from records alone: which evidence serves each control, is it current, does it verify.

A control is served kind by kind: for each evidence kind the catalog maps to it, a record (of the asset, or
of any asset for the organisation) serves the kind when it still verifies against its manifest (a launch
package: its signature too, when a ``package_check`` is given), its decision is not ``error``, a check of
that kind passed or warned, and it was decided within the policy's validity period for the kind. A warned
check counts: the check ran and produced its evidence, and the policy itself lets a warning pass a gate;
the reason names the warning so an auditor sees it. Kinds no check carries come from the gate that produces
them (sign-offs from launch evidence, risk assessment from intake, ...). Nothing counts by default: a
control with no mapped kinds is ``not_covered`` (organisational evidence needed), never covered.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta

from govgate import protocol
from govgate.audit import catalog
from govgate.audit.catalog import Control, Framework
from govgate.audit.types import COVERED, NOT_APPLICABLE, NOT_COVERED, PARTIAL, ControlCoverage, EvidenceRef
from govgate.errors import InputError
from govgate.evidence_index import EvidenceIndex, RecordEntry

NO_PIPELINE_EVIDENCE = "no pipeline evidence maps to it; organisational evidence needed"
# Records about the organisation rather than one asset: they serve every asset's view.
ORGANISATION_GATES = (protocol.INVENTORY_SYNC, protocol.RETENTION_PURGE, protocol.AUDIT_REPORT)
# Evidence a model produces; a control served only by these cannot concern a dataset.
MODEL_ONLY_KINDS = frozenset({"model_review", "fairness_eval", "robustness_eval", "explainability", "model_card"})
# Kinds a gate's passing decision shows (no check carries them).
GATE_KINDS = {
    protocol.INTAKE: "risk_assessment",
    protocol.THIRD_PARTY_REVIEW: "third_party_review",
    protocol.INVENTORY_SYNC: "inventory",
    protocol.RETENTION_PURGE: "retention_purge",
}
SERVING_OUTCOMES = ("pass", "warn")
MAX_NAMED = 10  # non-verifying records named per kind (the count is always given)

PackageCheck = Callable[[str], list[str]]  # package folder URI -> problems (empty: it verifies)


@dataclass
class _KindEvidence:
    """The evidence of one kind: the newest verified record, and the records that no longer verify."""

    best: EvidenceRef | None = None
    warned: bool = False
    unverified: list[EvidenceRef] = field(default_factory=list)
    unverified_count: int = 0


def compute_coverage(
    index: EvidenceIndex,
    *,
    on: date,
    policy,
    asset: str | None = None,
    frameworks: list[str] | None = None,
    inventory: dict | None = None,
    incidents: list | None = None,
    package_check: PackageCheck | None = None,
) -> list[ControlCoverage]:
    """Each control of the chosen frameworks (all when None), for one asset or the organisation (None), on
    the report date ``on``. ``incidents``: folded incidents (``load_incidents``) serve ``incident_record``;
    ``package_check`` (``package_signature_check``) verifies launch packages' signatures."""
    chosen = catalog.controls(frameworks)  # raises on an unknown framework, naming the known ones
    fws = catalog.frameworks()
    subject, asset_kind = _resolve_asset(asset, index, inventory, incidents)
    evidence = gather(index, on=on, policy=policy, subject=subject, incidents=incidents, package_check=package_check)
    return [_coverage(c, fws[c.framework], evidence, on, asset, asset_kind) for c in chosen]


def package_signature_check(settings=None, store=None) -> PackageCheck:
    """Verify a launch package (every file's digest, the Ed25519 signature with the trusted keys of
    ``settings``) and return its problems. Reads the package's files: one verification per package."""
    from govgate.package.verify import verify_package

    return lambda uri: list(verify_package(uri, settings, store=store).problems)


def _resolve_asset(asset, index, inventory, incidents) -> tuple[str | None, str | None]:
    """(record subject id, asset kind) of the asked asset; an unknown one is an error naming the known ones.
    An inventory id (``model:credit/3``, ``dataset:loans``) names the same subject as its records."""
    if asset is None:
        return None, None
    kinds = {e.subject_id: e.subject_kind for e in index.entries}
    for a in (inventory or {}).get("assets") or ():
        kinds.setdefault(_subject_of(a.get("id", "")), a.get("kind"))
    for inc in incidents or ():
        kinds.setdefault(inc.asset.id, inc.asset.kind.value)
    subject = asset if asset in kinds else _subject_of(asset)
    if subject not in kinds:
        known = sorted(kinds)
        shown = ", ".join(known[:30]) + (f" (+{len(known) - 30} more)" if len(known) > 30 else "")
        raise InputError(f"unknown asset {asset!r}: no record, inventory entry or incident names it; known: {shown}")
    kind = kinds[subject]
    return subject, "dataset" if kind == "dataset" else kind


def _subject_of(asset_id: str) -> str:
    """``model:credit/3`` -> ``credit``; ``dataset:loans`` -> ``loans``; a plain id stays."""
    return asset_id.split(":", 1)[-1].split("/", 1)[0]


def _day_end(on: date) -> datetime:
    return datetime.combine(on, time.max, tzinfo=UTC)


def decided_at(entry: RecordEntry) -> datetime:
    return entry.finished_at or entry.started_at


def record_kinds(entry: RecordEntry) -> dict[str, bool]:
    """The evidence kinds a record shows -> whether only with a warning. Nothing for an ``error`` record."""
    if entry.decision == "error":
        return {}
    kinds: dict[str, bool] = {}
    for c in entry.checks:
        if c.evidence_kind and c.outcome in SERVING_OUTCOMES:
            kinds[c.evidence_kind] = kinds.get(c.evidence_kind, True) and c.outcome == "warn"
    gate_kind = GATE_KINDS.get(entry.gate)
    if gate_kind and entry.decision == "pass":
        kinds[gate_kind] = False
    if entry.gate == protocol.LAUNCH_EVIDENCE and entry.sign_offs:
        if all(s.get("decision") == "approve" for s in entry.sign_offs):
            kinds.setdefault("signoff", False)
    # Pinning the policy file's hash is not evidence of a policy: only a check that evaluates it (the
    # selftest's policy.valid) serves `policy`, or every record would cover every policy control.
    return kinds


def gather(
    index: EvidenceIndex,
    *,
    on: date,
    policy,
    subject: str | None = None,
    incidents: Iterable | None = None,
    package_check: PackageCheck | None = None,
) -> dict[str, _KindEvidence]:
    """Per evidence kind, the newest verified record up to the end of ``on`` and the ones that do not verify."""
    out: dict[str, _KindEvidence] = {}
    checked: dict[str, list[str]] = {}
    end = _day_end(on)
    for e in index.entries:
        if decided_at(e) > end or (
            subject is not None and e.subject_id != subject and e.gate not in ORGANISATION_GATES
        ):
            continue
        for kind, warned in record_kinds(e).items():
            problems = list(e.problems)
            if package_check and e.package_uri and kind in ("evidence_package", "signoff"):
                if e.package_uri not in checked:
                    checked[e.package_uri] = package_check(e.package_uri)
                problems += [f"package {e.package_uri}: {p}" for p in checked[e.package_uri]]
            _keep(out.setdefault(kind, _KindEvidence()), _ref(e, kind, on, policy, problems), warned)
    for inc in incidents or ():
        if (subject is None or inc.asset.id == subject) and inc.opened_at <= end:
            _keep(out.setdefault("incident_record", _KindEvidence()), _incident_ref(inc, on, policy), False)
    return out


def _ref(e: RecordEntry, kind: str, on: date, policy, problems: list[str]) -> EvidenceRef:
    when = decided_at(e)
    expires = when.date() + timedelta(days=policy.audit.validity_days(kind))
    return EvidenceRef(
        record_id=e.record_id,
        uri=e.uri,
        gate=e.gate,
        subject_id=e.subject_id,
        evidence_kind=kind,
        decided_at=when,
        expires=expires,
        fresh=on <= expires,
        verified=not problems,
        problems=problems,
    )


def _incident_ref(inc, on: date, policy) -> EvidenceRef:
    """An incident's event log is the record of it: decided when its last event was written."""
    last = max((ev.at for ev in inc.history if ev.at <= _day_end(on)), default=inc.opened_at)
    expires = last.date() + timedelta(days=policy.audit.validity_days("incident_record"))
    return EvidenceRef(
        record_id=inc.id,
        uri=f"{protocol.INCIDENTS_PREFIX}{inc.id}/",
        gate="incident",
        subject_id=inc.asset.id,
        evidence_kind="incident_record",
        decided_at=last,
        expires=expires,
        fresh=on <= expires,
        verified=True,
    )


def _keep(slot: _KindEvidence, ref: EvidenceRef, warned: bool) -> None:
    if not ref.verified:
        slot.unverified_count += 1
        slot.unverified.append(ref)
        slot.unverified.sort(key=lambda r: (r.decided_at, r.record_id), reverse=True)
        del slot.unverified[MAX_NAMED:]
    elif slot.best is None or (ref.decided_at, ref.record_id) >= (slot.best.decided_at, slot.best.record_id):
        slot.best, slot.warned = ref, warned


def _not_applicable(c: Control, fw: Framework, on: date, asset: str | None, asset_kind: str | None) -> str | None:
    """Why the control cannot apply on ``on`` (or to this asset), None when it applies."""
    why = fw.not_in_force(on)
    if why:
        return why
    if c.repealed_from and on >= c.repealed_from:
        return f"repealed from {c.repealed_from}"
    if c.applies_from_date and on < c.applies_from_date:
        return f"not in force on {on}: applies from {c.applies_from_date} (catalog: {c.applies_from!r})"
    if asset_kind == "dataset" and c.evidence_kinds and set(c.evidence_kinds) <= MODEL_ONLY_KINDS:
        kinds = ", ".join(c.evidence_kinds)
        return f"asset {asset} is a dataset; the control's evidence ({kinds}) is about a model"
    return None


def _coverage(
    c: Control, fw: Framework, evidence: dict[str, _KindEvidence], on: date, asset, asset_kind
) -> ControlCoverage:
    cov = ControlCoverage(
        ref=c.ref,
        framework=c.framework,
        control_id=c.id,
        title=c.title,
        status=NOT_COVERED,
        reason=NO_PIPELINE_EVIDENCE,
        asset_id=asset,
        applies_from=c.applies_from,
        evidence_kinds=list(c.evidence_kinds),
    )
    why = _not_applicable(c, fw, on, asset, asset_kind)
    if why:
        cov.status, cov.reason, cov.missing_kinds = NOT_APPLICABLE, why, []
        return cov
    if not c.evidence_kinds:
        return cov
    _judge_kinds(cov, c, evidence)
    return cov


def _judge_kinds(cov: ControlCoverage, c: Control, evidence: dict[str, _KindEvidence]) -> None:
    """Sort each mapped kind into served / expired / missing; the status and a reason naming the records."""
    parts, unverified = [], []
    for kind in c.evidence_kinds:
        slot = evidence.get(kind) or _KindEvidence()
        best = slot.best
        if best is not None:
            cov.evidence.append(best)
        cov.evidence += slot.unverified
        if best is not None and best.fresh:
            cov.served_kinds.append(kind)
            note = " (with a warning)" if slot.warned else ""
            parts.append(
                f"{kind}: record {best.record_id}{note}, decided {best.decided_at.date()}, valid to {best.expires}"
            )
        elif best is not None:
            cov.expired_kinds.append(kind)
            parts.append(
                f"{kind}: EXPIRED, newest record {best.record_id} decided {best.decided_at.date()}, valid to {best.expires}"
            )
        else:
            cov.missing_kinds.append(kind)
            parts.append(f"{kind}: no current verified record")
        if slot.unverified_count:
            named = ", ".join(f"{r.record_id} ({r.problems[0]})" for r in slot.unverified[:3])
            unverified.append(
                f"{kind}: {slot.unverified_count} record(s) no longer verify and count as no evidence: {named}"
            )
    served = len(cov.served_kinds)
    cov.status = COVERED if served == len(c.evidence_kinds) else PARTIAL if served else NOT_COVERED
    cov.reason = "; ".join(parts + unverified)
