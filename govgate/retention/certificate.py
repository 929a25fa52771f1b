"""The purge certificate: every plan entry with exactly one status, counts, bytes and digests, written once."""

from __future__ import annotations

import hashlib
import json
import tempfile
from collections import Counter, defaultdict
from datetime import UTC, datetime
from pathlib import Path

from govgate.digest import sha256_file
from govgate.retention.execute import Progress
from govgate.retention.plan import Plan, Tally, audit_key, read_plan
from govgate.retention.rules import CERTIFICATE_KIND, RetentionRules
from govgate.store import ObjectStore


def certify(
    primary: ObjectStore,
    plan: Plan | None,
    plan_path: Path,
    progress: Progress,
    *,
    started_at: datetime,
    rules: RetentionRules,
    extra: dict | None = None,
) -> dict:
    """One pass over the plan: every entry gets exactly one status. Written once as certificate.json."""
    header, entries = read_plan(plan_path)
    statuses: Counter = Counter()
    deleted = Tally()
    by_rule: dict[str, Counter] = defaultdict(Counter)
    by_class: dict[str, Counter] = defaultdict(Counter)
    refused: list[dict] = []
    kept: list[dict] = []
    deleted_digest = hashlib.sha256()
    seen_keys: set[tuple[int, str]] = set()
    for e in entries:
        status = (
            progress.status.get(e["i"], "deleted")
            if e["i"] < progress.entries_done
            else progress.status.get(e["i"], "not-attempted")
        )
        kind = status.split(":", 1)[0]
        statuses[kind] += 1
        by_rule[e["rule"]][kind] += 1
        by_class[e["class"]][kind] += 1
        if kind in ("deleted", "gone"):
            deleted.versions += 1
            deleted.bytes += 0 if e["delete_marker"] else e["size"]
            if (e["s"], e["key"]) not in seen_keys:
                seen_keys.add((e["s"], e["key"]))
                deleted.objects += 1
            line = json.dumps({k: e[k] for k in ("s", "key", "version_id", "etag", "size")}, sort_keys=True)
            deleted_digest.update(line.encode() + b"\n")
        elif kind == "refused" and len(refused) < 1000:
            refused.append({"key": e["key"], "version_id": e["version_id"], "reason": status.split(":", 1)[1]})
        elif kind != "deleted" and len(kept) < 1000:
            kept.append({"key": e["key"], "version_id": e["version_id"], "status": status})
        if len(seen_keys) > 100_000:
            seen_keys.clear()  # keys are grouped in the plan: only the recent ones can repeat
    total = sum(statuses.values())
    certificate = {
        "kind": CERTIFICATE_KIND,
        "purge_id": header["purge_id"],
        "status": "complete" if statuses.get("not-attempted", 0) == 0 else "incomplete",
        "as_of": header["as_of"],
        "started_at": started_at.isoformat(),
        "finished_at": datetime.now(UTC).isoformat(),
        "rules": {"path": rules.path, "sha256": header["rules_sha256"]},
        "plan": {
            "key": audit_key(header["purge_id"], "plan-execute.jsonl"),
            "sha256": sha256_file(plan_path)[0],
            "entries": total,
        },
        "deleted": {
            "objects": deleted.objects,
            "versions": deleted.versions,
            "bytes": deleted.bytes,
            "list_sha256": deleted_digest.hexdigest(),
        },
        "statuses": dict(statuses),
        "accounted": total,
        "by_rule": {k: dict(v) for k, v in sorted(by_rule.items())},
        "by_class": {k: dict(v) for k, v in sorted(by_class.items())},
        "refused": refused,
        "kept": kept,
        "attempts": progress.attempts,
        "resumed_from_entry": progress.resumed_from,
        "delete_calls": progress.delete_calls,
        "checkpoints": progress.checkpoints,
        **(extra or {}),
    }
    primary.put(
        audit_key(header["purge_id"], "certificate.json"),
        json.dumps(certificate, indent=2, sort_keys=True),
        write_once=True,
        content_type="application/json",
        tags={"govgate-kind": "retention-certificate"},
    )
    return certificate


def scratch_dir() -> Path:
    return Path(tempfile.mkdtemp(prefix="govgate-purge-"))
