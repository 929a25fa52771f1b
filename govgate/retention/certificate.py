"""The purge certificate: every plan entry with exactly one status, counts, bytes and digests, written once."""

from __future__ import annotations

import hashlib
import json
import tempfile
from collections import Counter, defaultdict
from datetime import UTC, datetime
from pathlib import Path

from govgate import protocol
from govgate.digest import sha256_file
from govgate.retention.execute import Progress
from govgate.retention.plan import Plan, Tally, audit_key, read_plan
from govgate.retention.rules import CERTIFICATE_KIND, RetentionRules
from govgate.store import ObjectStore


class _Accounts:
    """Running totals of a certificate: statuses by rule and class, what was deleted (with a digest of the
    list), and the first 1,000 refused and kept entries."""

    def __init__(self):
        self.statuses: Counter = Counter()
        self.deleted = Tally()
        self.by_rule: dict[str, Counter] = defaultdict(Counter)
        self.by_class: dict[str, Counter] = defaultdict(Counter)
        self.refused: list[dict] = []
        self.kept: list[dict] = []
        self.deleted_digest = hashlib.sha256()
        self.seen_keys: set[tuple[int, str]] = set()

    def add(self, e: dict, status: str) -> None:
        kind = status.split(":", 1)[0]
        self.statuses[kind] += 1
        self.by_rule[e["rule"]][kind] += 1
        self.by_class[e["class"]][kind] += 1
        if kind in ("deleted", "gone"):
            self.deleted.versions += 1
            self.deleted.bytes += 0 if e["delete_marker"] else e["size"]
            if (e["s"], e["key"]) not in self.seen_keys:
                self.seen_keys.add((e["s"], e["key"]))
                self.deleted.objects += 1
            line = json.dumps({k: e[k] for k in ("s", "key", "version_id", "etag", "size")}, sort_keys=True)
            self.deleted_digest.update(line.encode() + b"\n")
        elif kind == "refused" and len(self.refused) < 1000:
            self.refused.append({"key": e["key"], "version_id": e["version_id"], "reason": status.split(":", 1)[1]})
        elif kind != "deleted" and len(self.kept) < 1000:
            self.kept.append({"key": e["key"], "version_id": e["version_id"], "status": status})
        if len(self.seen_keys) > 100_000:
            self.seen_keys.clear()  # keys are grouped in the plan: only the recent ones can repeat


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
    acc = _Accounts()
    for e in entries:
        default = "deleted" if e["i"] < progress.entries_done else "not-attempted"
        acc.add(e, progress.status.get(e["i"], default))
    total = sum(acc.statuses.values())
    certificate = {
        "kind": CERTIFICATE_KIND,
        "purge_id": header["purge_id"],
        "status": "complete" if acc.statuses.get("not-attempted", 0) == 0 else "incomplete",
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
            "objects": acc.deleted.objects,
            "versions": acc.deleted.versions,
            "bytes": acc.deleted.bytes,
            "list_sha256": acc.deleted_digest.hexdigest(),
        },
        "statuses": dict(acc.statuses),
        "accounted": total,
        "by_rule": {k: dict(v) for k, v in sorted(acc.by_rule.items())},
        "by_class": {k: dict(v) for k, v in sorted(acc.by_class.items())},
        "refused": acc.refused,
        "kept": acc.kept,
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
        tags={protocol.OBJECT_KIND_TAG: "retention-certificate"},
    )
    return certificate


def scratch_dir() -> Path:
    return Path(tempfile.mkdtemp(prefix="govgate-purge-"))
