"""Reproducibility-check tasks: the period's deterministic sample, what blocks each re-run, and the re-run
records found afterwards (the logic is in govgate.audit.rerun)."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta

from prefect.cache_policies import NO_CACHE

from govgate.audit.kpis import rerun_pairs, rerun_sample
from govgate.audit.rerun import RERUNNABLE_GATES, period_seed
from govgate.audit.rerun import rerun_blockers as blockers
from govgate.evidence_index import RecordEntry, scan_records
from govgate.record import AssetKind, Subject
from tasks import context
from tasks.govgate_task import govgate_task as task


def period_subject(date_from: date, date_to: date) -> Subject:
    return Subject(kind=AssetKind.SYSTEM, id="organisation", version=period_seed(date_from, date_to))


@task(name="sample-records-to-rerun", cache_policy=NO_CACHE)
def sample_records(date_from: date, date_to: date, n: int) -> list[RecordEntry]:
    """``n`` pinned, re-runnable records started in [date_from, date_to] (UTC days), seeded from the period."""
    since = datetime.combine(date_from, time(), UTC)
    until = datetime.combine(date_to, time(), UTC) + timedelta(days=1)
    index = scan_records(context.store(), since=since, until=until, gates=RERUNNABLE_GATES)
    return rerun_sample(index, n, period_seed(date_from, date_to), gates=RERUNNABLE_GATES)


@task(name="rerun-blockers", cache_policy=NO_CACHE)
def rerun_blockers(entry: RecordEntry) -> list[str]:
    return blockers(entry, context.settings())


@task(name="find-reruns", cache_policy=NO_CACHE)
def find_reruns(since: datetime, sample: list[RecordEntry]) -> dict[str, RecordEntry]:
    """The newest re-run record of each sampled record, started since ``since``, by the id it re-ran."""
    since = since - timedelta(seconds=1)  # record ids carry whole seconds
    index = scan_records(context.store(), since=since, gates=RERUNNABLE_GATES)
    known = {e.record_id for e in index.entries}
    index.entries += [e for e in sample if e.record_id not in known]
    pairs, _ = rerun_pairs(index, since, datetime.max.replace(tzinfo=UTC))
    wanted = {e.record_id for e in sample}
    return {a.record_id: b for a, b in sorted(pairs, key=lambda p: p[1].started_at) if a.record_id in wanted}
