"""Hand-built inventories for the gap, diff, snapshot, page and BOM tests: assets in every state a gap rule
looks at, and the evidence index entries their gates point to (no store needed)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from govgate import protocol
from govgate.evidence_index import EvidenceIndex, RecordEntry, Unreadable
from govgate.inventory.model import Asset, GateStatus, LineageLink

NOW = datetime(2026, 12, 7, 12, 0, tzinfo=UTC)


def entry(record_id, gate, subject, version=None, decision="pass", days_ago=1.0, problems=(), **extra) -> RecordEntry:
    started = NOW - timedelta(days=days_ago)
    return RecordEntry(
        prefix=f"evidence/{subject}/{version or 'unversioned'}/{gate}/{record_id}/",
        uri=f"s3://govgate/evidence/{subject}/{version or 'unversioned'}/{gate}/{record_id}/record.json",
        record_id=record_id,
        gate=gate,
        subject_kind=extra.pop("kind", "model"),
        subject_id=subject,
        subject_version=version,
        decision=decision,
        decided_by="policy",
        started_at=started,
        finished_at=started,
        tier=extra.pop("tier", "medium"),
        policy_name="govgate-default",
        policy_sha256="0" * 64,
        problems=tuple(problems),
        **extra,
    )


def status(e: RecordEntry) -> GateStatus:
    return GateStatus(
        gate=e.gate,
        record_id=e.record_id,
        record_uri=e.uri,
        decision=e.decision,
        decided_at=e.started_at,
        age_days=(NOW - e.started_at).total_seconds() / 86400,
        tier=e.tier,
        verified=e.verified,
    )


def portfolio() -> tuple[list[Asset], EvidenceIndex]:
    """Nine assets: approved, never reviewed, overdue, tampered, untrained data, no datasheet, vendors, no owner."""
    e = {
        "credit3-review": entry("r-credit3-mr", protocol.MODEL_REVIEW, "credit", "3", days_ago=30, tier="high"),
        "credit3-reass": entry("r-credit3-ra", protocol.REASSESSMENT, "credit", "3", days_ago=2, tier="high"),
        "credit2-review": entry("r-credit2-mr", protocol.MODEL_REVIEW, "credit", "2", days_ago=90, tier="high"),
        "credit2-reass": entry("r-credit2-ra", protocol.REASSESSMENT, "credit", "2", days_ago=20, tier="high"),
        "fraud-review": entry(
            "r-fraud-mr",
            protocol.MODEL_REVIEW,
            "fraud",
            "1",
            days_ago=3,
            problems=["record.json: changed after publishing"],
        ),
        "loans-dr": entry(
            "r-loans-dr",
            protocol.DATA_REVIEW,
            "loans",
            kind="dataset",
            inputs=({"uri": "file:///d/loans.yaml", "role": "datasheet", "sha256": "ab" * 32},),
        ),
        "notes-dr": entry("r-notes-dr", protocol.DATA_REVIEW, "raw-notes", kind="dataset"),
        "ocr-tpr": entry(
            "r-ocr-tpr",
            protocol.THIRD_PARTY_REVIEW,
            "ocr-cloud",
            kind="third_party_tool",
            small_outputs={
                protocol.OUTPUT_THIRD_PARTY_ITEMS: [
                    {"item": "dpa", "status": "received", "sha256": "cd" * 32, "expires": "2026-11-30"},
                    {"item": "model_card", "status": "received", "sha256": "ef" * 32, "expires": "2027-06-01"},
                ]
            },
        ),
    }
    owner = "ml-team@example.com"

    def model(name, version, tier, gates, *, datasets=(), created_days=10, status="deployed"):
        return Asset(
            kind="model_version",
            id=f"model:{name}/{version}",
            name=f"{name}/{version}",
            owner=owner,
            purpose=f"{name} scoring",
            tier=tier,
            tier_reason="policy default_tier" if tier == "medium" else "EU AI Act Annex III 5(b): creditworthiness",
            status=status,
            sources=["mlflow"],
            attributes={"created_at": (NOW - timedelta(days=created_days)).isoformat(), "task": "classification"},
            lineage=[LineageLink("used_dataset", f"model:{name}/{version}", d) for d in datasets],
            gates={g.gate: status_of(g) for g in gates},
        )

    status_of = status
    assets = [
        model("credit", "3", "high", [e["credit3-review"], e["credit3-reass"]], datasets=["dataset:loans"]),
        model("credit", "2", "high", [e["credit2-review"], e["credit2-reass"]], datasets=["dataset:loans"]),
        model("churn", "1", "medium", [], datasets=["dataset:clicks"], created_days=60),
        model("fraud", "1", "medium", [e["fraud-review"]], created_days=5),
        Asset(
            "dataset",
            "dataset:loans",
            "loans",
            owner,
            tier="high",
            tier_reason="used by a high-tier model",
            status="development",
            sources=["store"],
            gates={protocol.DATA_REVIEW: status(e["loans-dr"])},
        ),
        Asset(
            "dataset",
            "dataset:clicks",
            "clicks",
            owner,
            tier="medium",
            tier_reason="policy default_tier",
            status="development",
            sources=["mlflow"],
        ),
        Asset(
            "dataset",
            "dataset:raw-notes",
            "raw-notes",
            owner,
            tier="low",
            tier_reason="intake: internal",
            sources=["store"],
            gates={protocol.DATA_REVIEW: status(e["notes-dr"])},
        ),
        Asset(
            "third_party_tool",
            "chat-vendor",
            "Chat vendor",
            owner,
            tier="medium",
            tier_reason="policy default_tier",
            status="deployed",
            sources=["yaml"],
        ),
        Asset(
            "third_party_tool",
            "ocr-cloud",
            "OCR cloud",
            owner,
            tier="low",
            tier_reason="intake: internal",
            status="deployed",
            sources=["yaml"],
            gates={protocol.THIRD_PARTY_REVIEW: status(e["ocr-tpr"])},
        ),
        Asset("ai_feature", "faq-bot", "FAQ bot", None, status="development", sources=["yaml"]),
    ]
    index = EvidenceIndex(entries=sorted(e.values(), key=lambda x: x.started_at))
    index.unreadable.append(Unreadable("evidence/x/1/model-review/r-broken/", "ValueError: bad json"))
    return assets, index
