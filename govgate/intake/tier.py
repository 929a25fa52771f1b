"""Which tier a gate runs at: the asset's latest intake record wins over a tag or the policy's default.

An explicit tier may be stricter than the intake's, never laxer (nobody tiers an asset down by hand); an
asset the intake refused (a prohibited practice) is reviewed at no tier at all: the gate stops with an
error naming the intake record.
"""

from __future__ import annotations

from dataclasses import dataclass

from govgate import protocol
from govgate.errors import InputError
from govgate.evidence_index import RecordEntry, scan_records
from govgate.policy import REFUSED, Policy
from govgate.record import slug
from govgate.store import ObjectStore


@dataclass(frozen=True)
class IntakeTier:
    tier: str  # a policy tier or "refused"
    record_id: str
    uri: str
    reason: str = ""


def intake_tier(entry: RecordEntry | None) -> IntakeTier | None:
    """The tier an intake record decided (its risk_tier output): None when there is none, or it erred or
    needs a review (unknown answers must not tier an asset down)."""
    if entry is None or entry.decision not in ("pass", "fail"):
        return None
    out = entry.small_outputs.get(protocol.OUTPUT_RISK_TIER) or {}
    tier = out.get("tier") or entry.tier
    return IntakeTier(tier, entry.record_id, entry.uri, out.get("reason", "")) if tier else None


def latest_intakes(store: ObjectStore, subject_id: str | None = None) -> dict[str, IntakeTier]:
    """{asset id: its latest intake's tier}, for one asset (one listing under its folder) or all."""
    index = scan_records(store, gates=[protocol.INTAKE], subject=slug(subject_id) if subject_id else None)
    out: dict[str, IntakeTier] = {}
    for entry in index.entries:  # sorted by start time: the last one wins
        if subject_id is None or entry.subject_id == subject_id:
            found = intake_tier(entry)
            if found is not None:
                out[entry.subject_id] = found
    return out


def resolve_tier(
    policy: Policy, *, explicit: str | None, tagged: str | None, intake: IntakeTier | None, asset: str
) -> str:
    """The tier to run at: the explicit one when at least as strict as the intake's; else the intake's;
    without an intake, the explicit one, the tag, the policy's default."""
    if intake is None:
        return explicit or tagged or policy.default_tier
    where = f"intake record {intake.record_id} ({intake.uri})"
    if intake.tier == REFUSED:
        raise InputError(f"{asset}: refused by its {where}: {intake.reason or 'a prohibited practice'}")
    policy.tier(intake.tier)  # an intake tier this policy does not know is a PolicyError naming it
    if explicit is None:
        return intake.tier
    order = policy.intake.tier_order
    policy.tier(explicit)
    if explicit in order and intake.tier in order and order.index(explicit) < order.index(intake.tier):
        raise InputError(
            f"{asset}: tier {explicit!r} is lower than {intake.tier!r} from its {where}; an asset is never "
            "tiered down by hand: run a new intake if the answers changed"
        )
    return explicit
