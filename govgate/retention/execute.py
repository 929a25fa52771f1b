"""Executing a plan: batched deletes, write-once checkpoints, finding an interrupted purge and revalidating
what is left of it."""

from __future__ import annotations

import json
from collections import Counter, defaultdict
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

from govgate.retention.evaluate import Verdict, group_versions
from govgate.retention.plan import audit_key, read_plan
from govgate.retention.rules import AUDIT_PREFIX, PurgeError
from govgate.store import DELETE_BATCH, ObjectInfo, ObjectStore


@dataclass
class Progress:
    """What is known about a plan's entries: index -> final status other than 'deleted'."""

    entries_done: int = 0
    status: dict[int, str] = field(default_factory=dict)  # refused:<reason> | gone | changed | kept:<reason>
    checkpoints: int = 0
    batches: int = 0
    delete_calls: int = 0
    attempts: int = 1
    resumed_from: int | None = None


def _batches(entries: Iterator[dict], start: int, size: int) -> Iterator[list[dict]]:
    batch: list[dict] = []
    for entry in entries:
        if entry["i"] < start:
            continue
        if batch and (len(batch) == size or batch[-1]["s"] != entry["s"]):
            yield batch
            batch = []
        batch.append(entry)
    if batch:
        yield batch


def execute_plan(
    primary: ObjectStore,
    plan_path: Path,
    stores: Callable[[int], ObjectStore],
    progress: Progress,
    *,
    batch_size: int = DELETE_BATCH,
    checkpoint_every: int = 50,
    checkpoint_seconds: float = 60.0,
    on_batch: Callable[[int], None] | None = None,
) -> Progress:
    """Delete the plan's entries from ``progress.entries_done`` on, in batches, with a checkpoint every
    ``checkpoint_every`` batches or ``checkpoint_seconds``, whichever comes first. Checkpoints only save
    work on resume: what follows the last one is re-checked against a fresh listing."""
    import time

    if not 1 <= batch_size <= DELETE_BATCH:
        raise PurgeError(f"batch_size must be between 1 and {DELETE_BATCH}; got {batch_size}")
    header, entries = read_plan(plan_path)
    purge_id = header["purge_id"]
    since_checkpoint: dict[int, str] = {}
    batches_since = 0
    last_checkpoint = time.monotonic()
    for batch in _batches(entries, progress.entries_done, batch_size):
        todo = [e for e in batch if e["i"] not in progress.status]
        if todo:
            _delete(stores(batch[0]["s"]), todo, progress)
        # The checkpoint carries every non-deleted status of its batches (refused, and what a resume kept).
        since_checkpoint.update({e["i"]: progress.status[e["i"]] for e in batch if e["i"] in progress.status})
        progress.entries_done = batch[-1]["i"] + 1
        progress.batches += 1
        batches_since += 1
        if on_batch is not None:
            on_batch(progress.batches)
        if batches_since >= checkpoint_every or time.monotonic() - last_checkpoint >= checkpoint_seconds:
            write_checkpoint(primary, purge_id, progress, since_checkpoint)
            since_checkpoint, batches_since, last_checkpoint = {}, 0, time.monotonic()
    return progress


MARKER_ONLY = "delete marker placed (versions retained)"


def _delete(store: ObjectStore, todo: list[dict], progress: Progress) -> None:
    """Delete the entries' versions; whatever the store did not confirm as deleted gets its reason: locked,
    or only a delete marker placed (every version still there), never counted as deleted."""
    # On a bucket that keeps versions, an entry without a version id is the key's "null" version (written
    # before versioning was enabled): asked for by that id it is deleted; asked for bare, S3 only hides it.
    null = "null" if store.keeps_versions() else None
    report = store.delete_many([(e["key"], e["version_id"] or null) for e in todo])
    progress.delete_calls += report.calls
    deleted = {(k, None if v == "null" else v) for k, v in report.deleted}
    refused = {k: reason for k, reason in report.errors}
    refused.update({k: MARKER_ONLY for k, _ in report.markers})
    for e in todo:
        if (e["key"], e["version_id"]) not in deleted:
            progress.status[e["i"]] = "refused:" + refused.get(e["key"], "not confirmed by the store")


def write_checkpoint(primary: ObjectStore, purge_id: str, progress: Progress, statuses: dict[int, str]) -> None:
    body = {"entries_done": progress.entries_done, "status": {str(i): s for i, s in statuses.items()}}
    primary.put(
        audit_key(purge_id, f"progress-{progress.entries_done:010d}.json"),
        json.dumps(body, sort_keys=True),
        write_once=True,
        content_type="application/json",
    )
    progress.checkpoints += 1


def load_progress(primary: ObjectStore, purge_id: str, names: list[str]) -> Progress:
    progress = Progress()
    for name in sorted(n for n in names if n.startswith("progress-")):
        body = primary.get_json(audit_key(purge_id, name))
        progress.entries_done = max(progress.entries_done, int(body["entries_done"]))
        progress.status.update({int(i): s for i, s in body.get("status", {}).items()})
        progress.checkpoints += 1
    return progress


def unfinished_purges(primary: ObjectStore) -> list[tuple[str, list[str]]]:
    """(purge id, object names) of execute plans without a certificate, oldest first."""
    names: dict[str, list[str]] = defaultdict(list)
    for info in primary.list(AUDIT_PREFIX):
        rest = info.key[len(AUDIT_PREFIX) :]
        if "/" in rest:
            purge_id, name = rest.split("/", 1)
            names[purge_id].append(name)
    return [(pid, n) for pid, n in sorted(names.items()) if "plan-execute.jsonl" in n and "certificate.json" not in n]


def revalidate(
    plan_path: Path,
    progress: Progress,
    stores: Callable[[int], ObjectStore],
    decide: Callable[[int, str, list[ObjectInfo]], Verdict],
) -> Counter:
    """Before resuming: re-list what the plan has left and keep whatever changed or stopped being eligible.

    Entries at or after ``entries_done`` may or may not have been deleted before the interruption. Each one
    is matched against a fresh listing: gone (deleted by the interrupted attempt), changed since the plan
    (kept), no longer eligible under the rules now (kept), or still to delete.
    """
    header, entries = read_plan(plan_path)
    remaining: dict[int, dict[str, list[dict]]] = defaultdict(lambda: defaultdict(list))
    for e in entries:
        if e["i"] >= progress.entries_done and e["i"] not in progress.status:
            remaining[e["s"]][e["key"]].append(e)
    outcome: Counter = Counter()
    for section_index, by_key in remaining.items():
        section = header["sections"][section_index]
        current: dict[str, list[ObjectInfo]] = {}
        for key, group in group_versions(stores(section_index).list_version_pages(section["prefix"])):
            if key in by_key:
                current[key] = group
        for key, planned in by_key.items():
            group = current.get(key)
            live = {v.version_id: v for v in group or []}
            present = []
            for e in planned:
                info = live.get(e["version_id"])
                if info is None:
                    progress.status[e["i"]] = "gone"
                elif e["version_id"] is None and (
                    info.etag != e["etag"]
                    or info.size != e["size"]
                    or info.last_modified.isoformat() != e["last_modified"]
                ):
                    progress.status[e["i"]] = "changed"
                else:
                    present.append(e)
            if present and group:
                verdict = decide(section_index, key, group)
                if not verdict.eligible:
                    for e in present:
                        progress.status[e["i"]] = f"kept:{verdict.reason}"
    outcome.update(s.split(":", 1)[0] for i, s in progress.status.items() if i >= progress.entries_done)
    return outcome
