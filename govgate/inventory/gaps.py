"""The inventory's gaps as findings: each names the asset, the rule, what is wrong, how to fix it and the
records it rests on.

A gap rule reads only the assembled assets, the evidence index (records already checked against their
manifests) and the policy, so the same inventory always gives the same gaps. A record that no longer
verifies counts as no evidence: a deployed version whose only passing review was changed after publishing
is both "deployed without a passing review" and "record not verified". Launch packages are checked by
``govgate.package.verify_package`` (signature and every file), only when a store is given.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime

from govgate import protocol
from govgate.evidence_index import EvidenceIndex, RecordEntry
from govgate.inventory.model import Asset, Gap, GateStatus
from govgate.policy import Policy


@dataclass(frozen=True)
class GapRule:
    id: str
    severity: str
    title: str
    fix: str


RULES: dict[str, GapRule] = {
    r.id: r
    for r in (
        GapRule(
            "deployed-without-passing-review",
            "critical",
            "Deployed model versions without a passing, verified model review",
            "run the model-review gate on the version (govgate run model-review) and deploy only what passes",
        ),
        GapRule(
            "reassessment-overdue",
            "high",
            "Deployed model versions whose reassessment is overdue for their tier",
            "run the reassessment gate (govgate reassess --model NAME) or check its schedule in the policy",
        ),
        GapRule(
            "dataset-without-data-review",
            "high",
            "Datasets used in training without a passing data review",
            "run the data-review gate on the dataset with its datasheet before the model that uses it ships",
        ),
        GapRule(
            "dataset-without-datasheet",
            "medium",
            "Reviewed datasets without a datasheet",
            "write the dataset's datasheet (owner, source, purpose, legal basis, retention) and review it again",
        ),
        GapRule(
            "third-party-unreviewed",
            "high",
            "Third-party AI tools and services without a passing third-party review",
            "run the third-party-review gate for the vendor with its documents attached",
        ),
        GapRule(
            "third-party-review-expired",
            "high",
            "Third-party reviews with expired evidence items",
            "renew the expired items (new documents, new expiry) and run the third-party review again",
        ),
        GapRule(
            "no-owner",
            "medium",
            "Assets without an owner",
            "name an accountable owner (an e-mail address) in the inventory/ YAML or the model's tags",
        ),
        GapRule(
            "no-tier",
            "medium",
            "Assets without a risk tier",
            "run the intake questionnaire for the asset so its tier is decided by the policy's rules",
        ),
        GapRule(
            "record-not-verified",
            "critical",
            "Evidence records whose manifest no longer verifies (changed, missing files or unreadable)",
            "find out who changed the record (store access logs); re-run the gate: a new record, never an overwrite",
        ),
        GapRule(
            "package-not-verified",
            "critical",
            "Launch evidence packages whose signature or files no longer verify",
            "treat the launch as unevidenced: investigate the change and seal a new package (launch-evidence gate)",
        ),
        GapRule(
            "disappeared",
            "high",
            "Assets seen by an earlier sync that no system reports any more",
            "confirm the asset was retired (mark it status: retired in the inventory/ YAML) or restore it",
        ),
    )
}

MODEL_KINDS = ("model_version",)
VENDOR_KINDS = ("third_party_tool", "foundation_model_api")


def make_gap(rule: str, asset_id: str, message: str, evidence: Iterable[str | None] = ()) -> Gap:
    r = RULES[rule]
    return Gap(asset_id, rule, r.severity, message, r.fix, [e for e in evidence if e])


def find_gaps(
    assets: list[Asset],
    index: EvidenceIndex,
    policy: Policy,
    now: datetime,
    *,
    store=None,
    settings=None,
) -> list[Gap]:
    """Every gap of the inventory, in a stable order (rule, asset). ``store`` (and ``settings`` for the
    trusted signing key) enable the launch-package check; without a store it is not run."""
    by_id = {a.id: a for a in assets}
    records = {e.record_id: e for e in index.entries}
    gaps: list[Gap] = []
    for asset in assets:
        gaps += _ownership_gaps(asset)
        if asset.kind in MODEL_KINDS and asset.status == "deployed":
            gaps += _deployed_gaps(asset, policy, now)
        if asset.kind in VENDOR_KINDS:
            gaps += _vendor_gaps(asset, records, now)
        if asset.kind == "dataset":
            gaps += _datasheet_gaps(asset, records)
    gaps += _training_data_gaps(assets, by_id)
    gaps += _record_gaps(assets, index)
    if store is not None:
        gaps += package_gaps(assets, records, store, settings)
    return sorted(gaps, key=lambda g: (list(RULES).index(g.rule), g.asset_id, g.message))


def _ownership_gaps(asset: Asset) -> list[Gap]:
    out = []
    if not asset.owner:
        out.append(make_gap("no-owner", asset.id, f"{asset.kind} {asset.id} has no owner"))
    if not asset.tier:
        out.append(make_gap("no-tier", asset.id, f"{asset.kind} {asset.id} has no risk tier"))
    return out


def _passing(status: GateStatus | None) -> bool:
    return status is not None and status.decision == "pass" and status.verified


def _deployed_gaps(asset: Asset, policy: Policy, now: datetime) -> list[Gap]:
    out = []
    review = asset.gates.get(protocol.MODEL_REVIEW)
    if not _passing(review):
        why = "no model-review record" if review is None else f"its last model review is {review.decision}"
        if review is not None and not review.verified:
            why += " but its record no longer verifies"
        out.append(
            make_gap(
                "deployed-without-passing-review",
                asset.id,
                f"{asset.id} is deployed: {why}",
                [review.record_uri if review else None],
            )
        )
    overdue = _overdue(asset, policy, now)
    if overdue:
        out.append(overdue)
    return out


def _overdue(asset: Asset, policy: Policy, now: datetime) -> Gap | None:
    """A deployed version reassessed longer ago than its tier allows; never reassessed counts from its
    deployment (``attributes.deployed_at``, else the version's ``created_at``)."""
    tier = asset.tier if asset.tier in policy.tiers else policy.default_tier
    limit = policy.tiers[tier].reassessment.max_age_days
    last = asset.gates.get(protocol.REASSESSMENT)
    if last is not None and last.verified and last.decision != "error":
        age = (now - last.decided_at).total_seconds() / 86400
        if age <= limit:
            return None
        msg = f"{asset.id}: last reassessed {age:.0f} days ago ({last.decided_at:%Y-%m-%d}); tier {tier} allows {limit} days"
        return make_gap("reassessment-overdue", asset.id, msg, [last.record_uri])
    since = as_datetime(asset.attributes.get("deployed_at") or asset.attributes.get("created_at"))
    if since is None:
        msg = f"{asset.id}: never reassessed and its deployment date is unknown; tier {tier} allows {limit} days"
        return make_gap("reassessment-overdue", asset.id, msg)
    age = (now - since).total_seconds() / 86400
    if age <= limit:
        return None
    msg = (
        f"{asset.id}: never reassessed, deployed {age:.0f} days ago ({since:%Y-%m-%d}); tier {tier} allows {limit} days"
    )
    return make_gap("reassessment-overdue", asset.id, msg)


def as_datetime(value) -> datetime | None:
    """A time from an attribute: a datetime, an ISO string or MLflow's epoch milliseconds."""
    if value is None or value == "":
        return None
    if isinstance(value, datetime):
        return value if value.tzinfo else value.replace(tzinfo=UTC)
    if isinstance(value, (int, float)):
        return datetime.fromtimestamp(value / 1000, UTC)
    try:
        parsed = datetime.fromisoformat(str(value).replace("Z", "+00:00"))
    except ValueError:
        return None
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)


def _vendor_gaps(asset: Asset, records: dict[str, RecordEntry], now: datetime) -> list[Gap]:
    """No passing review: unreviewed (naming the expired items when that is why it failed); a passing review
    whose items have expired since: expired."""
    review = asset.gates.get(protocol.THIRD_PARTY_REVIEW)
    expired = _expired_items(records.get(review.record_id) if review else None, now)
    if not _passing(review):
        why = "no third-party review" if review is None else f"its last third-party review is {review.decision}"
        if review is not None and not review.verified:
            why += " but its record no longer verifies"
        if expired:
            why += f" (items expired: {', '.join(expired)})"
        msg = f"{asset.kind} {asset.id}: {why}"
        return [make_gap("third-party-unreviewed", asset.id, msg, [review.record_uri if review else None])]
    if not expired:
        return []
    msg = f"{asset.id}: third-party review items expired: {', '.join(expired)}"
    return [make_gap("third-party-review-expired", asset.id, msg, [review.record_uri])]


def _expired_items(entry: RecordEntry | None, now: datetime) -> list[str]:
    items = (entry.small_outputs.get(protocol.OUTPUT_THIRD_PARTY_ITEMS) if entry else None) or []
    return sorted(
        str(i.get("item"))
        for i in items
        if isinstance(i, dict) and (when := as_datetime(i.get("expires"))) is not None and when < now
    )


def _datasheet_gaps(asset: Asset, records: dict[str, RecordEntry]) -> list[Gap]:
    """A dataset with a data review but no datasheet: neither the review's inputs nor the asset name one."""
    review = asset.gates.get(protocol.DATA_REVIEW)
    if review is None or asset.attributes.get("datasheet"):
        return []
    entry = records.get(review.record_id)
    if entry and any(i.get("role") == "datasheet" and i.get("sha256") for i in entry.inputs):
        return []
    msg = f"dataset {asset.id} was reviewed (record {review.record_id}) without a datasheet"
    return [make_gap("dataset-without-datasheet", asset.id, msg, [review.record_uri])]


def _training_data_gaps(assets: list[Asset], by_id: dict[str, Asset]) -> list[Gap]:
    """Each dataset a model version was trained on, once, when it has no passing data review."""
    users: dict[str, list[str]] = {}
    for asset in assets:
        for link in asset.lineage:
            if link.relation == "used_dataset":
                users.setdefault(link.to_id, []).append(asset.id)
    out = []
    for dataset_id, models in sorted(users.items()):
        dataset = by_id.get(dataset_id)
        review = dataset.gates.get(protocol.DATA_REVIEW) if dataset else None
        if _passing(review):
            continue
        why = "no data-review record" if review is None else f"its last data review is {review.decision}"
        if review is not None and not review.verified:
            why += " but its record no longer verifies"
        msg = f"{dataset_id} trained {', '.join(sorted(set(models)))}: {why}"
        out.append(make_gap("dataset-without-data-review", dataset_id, msg, [review.record_uri if review else None]))
    return out


def _record_gaps(assets: list[Asset], index: EvidenceIndex) -> list[Gap]:
    """Every record whose manifest no longer verifies, and every record folder that cannot be read."""
    owner = {g.record_id: a.id for a in assets for g in a.gates.values()}
    out = []
    for e in index.entries:
        if e.problems:
            asset_id = owner.get(e.record_id, subject_asset_id(e))
            msg = f"{e.gate} record {e.record_id} of {e.subject_id}: " + "; ".join(e.problems)
            out.append(make_gap("record-not-verified", asset_id, msg, [e.uri]))
    for u in index.unreadable:
        out.append(make_gap("record-not-verified", f"record:{u.prefix}", f"{u.prefix} cannot be read: {u.reason}"))
    return out


def subject_asset_id(e: RecordEntry) -> str:
    """The inventory id a record's subject most likely has (for records no asset claims)."""
    if e.subject_kind == "model" and e.subject_version:
        return f"model:{e.subject_id}/{e.subject_version}"
    return f"{e.subject_kind}:{e.subject_id}"


def package_gaps(assets: list[Asset], records: dict[str, RecordEntry], store, settings=None) -> list[Gap]:
    """Each asset's last passing launch package, checked again (signature, every file's hash)."""
    from govgate.package import verify_package

    out = []
    for asset in assets:
        status = asset.gates.get(protocol.LAUNCH_EVIDENCE)
        entry = records.get(status.record_id) if status else None
        if entry is None or entry.decision != "pass":
            continue
        report = verify_package(store.uri(entry.prefix), settings, store=store)
        if not report.ok:
            msg = f"launch package {entry.record_id} of {asset.id}: " + "; ".join(report.problems[:5])
            out.append(make_gap("package-not-verified", asset.id, msg, [report.uri]))
    return out
