"""Certified purges without an evidence record: a run that stopped after writing its certificate and before
publishing its gate record leaves deletions nobody can find in evidence/. They are found here (the
certificate in audit/ against the records under evidence/, by purge id) and rebuilt from what the audit
prefix holds, so that the next purge run, and the selftest, publish or report them."""

from __future__ import annotations

import json
from datetime import datetime
from pathlib import Path

from govgate import protocol
from govgate.retention.plan import Plan, audit_key, read_plan
from govgate.retention.purge import PurgeResult
from govgate.retention.rules import AUDIT_PREFIX
from govgate.store import ObjectStore

CERTIFICATE = "certificate.json"


def certified_purges(store: ObjectStore) -> list[str]:
    """Purge ids with a certificate under audit/retention-purge/, oldest first."""
    found = set()
    for info in store.list(AUDIT_PREFIX):
        rest = info.key[len(AUDIT_PREFIX) :]
        if rest.count("/") == 1 and rest.endswith("/" + CERTIFICATE):
            found.add(rest.split("/", 1)[0])
    return sorted(found)


def recorded_purges(store: ObjectStore) -> set[str]:
    """Purge ids with a complete retention-purge record (the record's subject version is its purge id:
    ``evidence/<store>/<purge id>/retention-purge/<record id>/manifest.json``)."""
    recorded = set()
    for info in store.list(protocol.EVIDENCE_PREFIX):
        parts = info.key.split("/")
        if len(parts) == 6 and parts[3] == protocol.RETENTION_PURGE and parts[5] == protocol.MANIFEST:
            recorded.add(parts[2])
    return recorded


def unrecorded_purges(store: ObjectStore) -> list[str]:
    """Certified purges that no complete evidence record names."""
    recorded = recorded_purges(store)
    return [p for p in certified_purges(store) if p not in recorded]


def recover_result(store: ObjectStore, purge_id: str, workdir: Path) -> PurgeResult:
    """The purge's result as its run had it when it certified: the plan (with what listing found, from
    its header) and the certificate, both read back from the audit prefix."""
    plan_path = workdir / f"plan-{purge_id}.jsonl"
    store.download(audit_key(purge_id, "plan-execute.jsonl"), plan_path)
    header, entries = read_plan(plan_path)
    entries.close()
    plan = Plan.from_header(header, plan_path)
    plan.plan_key = audit_key(purge_id, "plan-execute.jsonl")
    certificate = json.loads(store.get_bytes(audit_key(purge_id, CERTIFICATE)))
    result = PurgeResult(
        purge_id,
        "execute",
        datetime.fromisoformat(header["as_of"]),
        plan,
        certificate=certificate,
        resumed=bool(certificate.get("resumed")),
    )
    result.notes = list(plan.notes) + [
        f"recorded late: the run that certified purge {purge_id} stopped before publishing its evidence record"
    ]
    return result
