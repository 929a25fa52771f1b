"""One inventory sync after the assets are built: gaps, the diff with the previous snapshot, the write-once
snapshot (JSON, CSV, page, ML-BOMs), and the gate's checks, one per gap rule.

Each rule's check counts its gaps and judges the count with ``Threshold.judge`` against the policy's limit
(``inventory.max_gaps.<rule>``, default 0); a rule over its limit fails the sync when its severity is in
``inventory.fail_severities`` and warns otherwise. Every rule gets its check, so a clean inventory shows
its passes too.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from govgate.evidence_index import EvidenceIndex
from govgate.inventory.cyclonedx import inventory_boms
from govgate.inventory.diff import SyncDiff, diff_snapshots
from govgate.inventory.gaps import RULES, find_gaps
from govgate.inventory.model import Asset, Gap
from govgate.inventory.page import render_page
from govgate.inventory.snapshot import Snapshot, previous_snapshot, write_snapshot
from govgate.policy import Policy
from govgate.record import Check, Finding, Metric, Outcome, Severity, Threshold

MAX_FINDINGS = 500  # findings copied into the record; the snapshot holds every gap


@dataclass
class SyncResult:
    sync_id: str
    assets: list[Asset]
    gaps: list[Gap]
    diff: SyncDiff
    written: dict[str, Any]  # key, uri, prefix, files of the snapshot
    html: str
    stats: dict[str, Any] = field(default_factory=dict)

    def counts(self) -> dict[str, Any]:
        by_rule = {rule: sum(1 for g in self.gaps if g.rule == rule) for rule in RULES}
        by_kind: dict[str, int] = {}
        for a in self.assets:
            by_kind[a.kind] = by_kind.get(a.kind, 0) + 1
        return {
            "assets": len(self.assets),
            "assets_by_kind": dict(sorted(by_kind.items())),
            "gaps": len(self.gaps),
            "gaps_by_rule": by_rule,
            "new": len(self.diff.new),
            "disappeared": len(self.diff.disappeared),
        }

    def output(self) -> dict[str, Any]:
        """The gate's ``protocol.OUTPUT_INVENTORY``: where the snapshot is and what it counts."""
        return {"sync_id": self.sync_id, "snapshot_key": self.written["key"], "counts": self.counts()}


def sync_inventory(
    store,
    assets: list[Asset],
    index: EvidenceIndex,
    policy: Policy,
    *,
    sync_id: str,
    now: datetime,
    stats: dict[str, Any] | None = None,
    settings=None,
) -> SyncResult:
    """Gaps, diff and the snapshot of one sync (written once under ``audit/inventory/<sync_id>/``)."""
    gaps = find_gaps(assets, index, policy, now, store=store, settings=settings)
    diff = diff_snapshots(previous_snapshot(store, now), assets, now.isoformat())
    gaps = gaps + diff.gaps
    stats = {
        **(stats or {}),
        "evidence_records": len(index.entries),
        "evidence_listing_pages": index.listing_pages,
        "evidence_reads": index.reads,
        "new": diff.new,
    }
    snap = Snapshot(sync_id, now, assets, gaps, diff.disappeared, stats)
    doc = snap.to_dict()
    html = render_page(doc)
    boms = inventory_boms(assets, gaps, sync_id=sync_id, synced_at=now)
    written = write_snapshot(store, snap, html=html, boms=boms)
    return SyncResult(sync_id, assets, gaps, diff, written, html, stats)


def gap_checks(gaps: list[Gap], policy: Policy) -> list[Check]:
    """One check per gap rule: its count against the policy's limit by the one rule."""
    rules = policy.inventory
    checks = []
    for rule in RULES.values():
        found = [g for g in gaps if g.rule == rule.id]
        limit = rules.max_gaps.get(rule.id, 0)
        threshold = Threshold(metric="gaps", op="<=", value=limit)
        outcome = threshold.judge(len(found))
        if outcome == Outcome.FAIL and rule.severity not in rules.fail_severities:
            outcome = Outcome.WARN
        named = ", ".join(sorted({g.asset_id for g in found})[:5]) + (
            " ..." if len({g.asset_id for g in found}) > 5 else ""
        )
        checks.append(
            Check(
                id=f"inventory.gaps.{rule.id}",
                title=rule.title,
                category="inventory",
                outcome=outcome,
                message=f"{len(found)} gap(s), limit {limit}" + (f": {named}" if found else ""),
                metrics=[Metric(name="gaps", value=len(found), n=len(found))],
                threshold=threshold,
                evidence_kind="inventory",
                details={"severity": rule.severity, "fix": rule.fix},
            )
        )
    return checks


def gap_findings(gaps: list[Gap]) -> list[Finding]:
    """The first ``MAX_FINDINGS`` gaps as record findings (the snapshot keeps them all)."""
    return [
        Finding(
            id=f"inventory.{g.rule}.{i}",
            severity=Severity(g.severity),
            category=g.rule,
            message=g.message,
            check_id=f"inventory.gaps.{g.rule}",
            location={"asset": g.asset_id},
            remediation=g.fix,
        )
        for i, g in enumerate(gaps[:MAX_FINDINGS])
    ]
