"""One purge, start to end: rules -> plan -> (resume or execute) -> certificate, and the MLflow runs it touched."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Literal

from govgate.retention.certificate import certify, scratch_dir
from govgate.retention.evaluate import Evaluator, Verdict
from govgate.retention.execute import Progress, execute_plan, load_progress, revalidate, unfinished_purges
from govgate.retention.plan import Plan, Planner, Section, audit_key, new_purge_id, read_plan, upload_plan
from govgate.retention.rules import PURGED_RUN_TAG, MlflowArtifactRule, PurgeError, RetentionRules
from govgate.store import DELETE_BATCH, ObjectInfo, ObjectStore


@dataclass
class PurgeResult:
    purge_id: str
    mode: Literal["dry-run", "execute"]
    as_of: datetime
    plan: Plan | None
    certificate: dict | None = None
    resumed: bool = False
    revalidated: dict[str, int] = field(default_factory=dict)
    rules_changed: bool = False
    runs_tagged: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    api_calls: int | None = None


def _api_calls(stores: Iterable[ObjectStore]) -> int | None:
    counts = [s.api_calls for s in stores]
    return sum(c for c in counts if c is not None) if any(c is not None for c in counts) else None


def expired_runs(client, rule: MlflowArtifactRule, as_of: datetime, notes: list[str]) -> Iterator:
    """MLflow runs of the rule's experiments that started more than ``retain`` before ``as_of`` and were
    not purged by this rule yet."""
    ids = []
    for name in rule.experiments:
        exp = client.get_experiment_by_name(name)
        if exp is None:
            notes.append(f"rule {rule.id}: MLflow experiment {name!r} does not exist")
        else:
            ids.append(exp.experiment_id)
    if not ids:
        return
    cutoff_ms = int((as_of - rule.period).timestamp() * 1000)
    token = None
    while True:
        runs = client.search_runs(
            ids, filter_string=f"attributes.start_time < {cutoff_ms}", max_results=1000, page_token=token
        )
        for run in runs:
            if f"{PURGED_RUN_TAG}.{rule.id}" not in run.data.tags:
                yield run
        token = runs.token
        if not token:
            break


def _check_as_of(as_of: datetime | None, dry_run: bool, now: datetime) -> datetime:
    as_of = as_of or now
    if as_of.tzinfo is None:
        as_of = as_of.replace(tzinfo=UTC)
    if not dry_run and as_of > now + timedelta(minutes=1):
        raise PurgeError(
            f"as_of {as_of.isoformat()} is in the future: an execute run may only delete what has already "
            "expired (use a dry run to preview a future date)"
        )
    return as_of


def run_purge(
    primary: ObjectStore,
    rules: RetentionRules,
    *,
    dry_run: bool = True,
    as_of: datetime | None = None,
    batch_size: int = DELETE_BATCH,
    checkpoint_every: int = 50,
    open_store: Callable[[str], ObjectStore] | None = None,
    mlflow_client=None,
    on_batch: Callable[[int], None] | None = None,
    workdir: Path | None = None,
    sample_limit: int = 500,
) -> PurgeResult:
    """Plan (and unless ``dry_run``, carry out and certify) one purge of ``primary`` under ``rules``.

    An interrupted execute purge found in the audit prefix is finished first, instead of a new plan.
    """
    with _scratch(workdir) as workdir:
        started = datetime.now(UTC)
        as_of = _check_as_of(as_of, dry_run, started)
        stores = _Stores(primary, open_store)
        if not dry_run and (pending := unfinished_purges(primary)):
            args = (stores.at, stores.opened, started, workdir, batch_size, checkpoint_every, mlflow_client, on_batch)
            return _resume(primary, rules, pending[0], *args)
        purge_id = new_purge_id(started)
        plan = Plan(
            purge_id=purge_id,
            mode="dry-run" if dry_run else "execute",
            as_of=as_of,
            rules_sha256=rules.sha256,
            sections=[],
            local_path=workdir / f"plan-{purge_id}.jsonl",
        )
        result = PurgeResult(purge_id, plan.mode, as_of, plan)
        _make_plan(plan, rules, stores, mlflow_client, result.notes, sample_limit)
        upload_plan(primary, plan)
        if not dry_run:
            progress = execute_plan(
                primary,
                plan.local_path,
                {i: stores.at(s.store_url) for i, s in enumerate(plan.sections)}.__getitem__,
                Progress(),
                batch_size=batch_size,
                checkpoint_every=checkpoint_every,
                on_batch=on_batch,
            )
            extra = {"resumed": False, "notes": result.notes}
            result.certificate = certify(
                primary, plan, plan.local_path, progress, started_at=started, rules=rules, extra=extra
            )
            sections = plan.header()["sections"]
            result.runs_tagged = _tag_purged_runs(mlflow_client, sections, purge_id, progress, plan.local_path)
        result.api_calls = _api_calls(stores.opened.values())
        return result


@contextmanager
def _scratch(workdir: Path | None) -> Iterator[Path]:
    """``workdir``, or a scratch folder that plan files stream through, removed when the purge ends."""
    if workdir is not None:
        yield workdir
        return
    import shutil

    scratch = scratch_dir()
    try:
        yield scratch
    finally:
        shutil.rmtree(scratch, ignore_errors=True)


class _Stores:
    """The stores a purge touches, by URL: the primary one and those MLflow runs' artifacts live in."""

    def __init__(self, primary: ObjectStore, open_store: Callable[[str], ObjectStore] | None):
        self.opened: dict[str, ObjectStore] = {primary.url: primary}
        self.open_store = open_store

    def at(self, url: str) -> ObjectStore:
        if url not in self.opened:
            if self.open_store is None:
                raise PurgeError(f"the plan names another store ({url}) and no way to open it was given")
            self.opened[url] = self.open_store(url)
        return self.opened[url]


def _evaluator(rules: RetentionRules, as_of: datetime, store: ObjectStore) -> Evaluator:
    # Object Lock state costs a HEAD per version only where the listing does not carry it.
    return Evaluator(rules, as_of, store, check_locks=store.supports_object_lock() and not store.lists_lock_state)


def _make_plan(
    plan: Plan, rules: RetentionRules, stores: _Stores, mlflow_client, notes: list[str], sample_limit: int
) -> None:
    """One section per rule root of the primary store, then one per expired MLflow run's artifacts."""
    primary = next(iter(stores.opened.values()))
    evaluator = _evaluator(rules, plan.as_of, primary)
    plan.notes = notes  # the same list: notes made while listing are saved in the plan's header
    planner = Planner(plan, rules, sample_limit)
    try:
        for root in rules.roots():
            planner.add_section(Section(primary.url, root), primary, evaluator.evaluate)
        if rules.mlflow_artifacts and mlflow_client is None:
            notes.append("MLflow artifact rules were not applied: no MLflow client was given")
        for rule in rules.mlflow_artifacts if mlflow_client is not None else []:
            for run in expired_runs(mlflow_client, rule, plan.as_of, notes):
                store = stores.at(run.info.artifact_uri)
                run_eval = _evaluator(rules, plan.as_of, store)
                planner.add_section(
                    Section(store.url, rule.artifact_path + "/", "mlflow-run", rule.id, run.info.run_id),
                    store,
                    lambda key, group, r=rule, ev=run_eval: ev.evaluate_run_artifact(key, group, r),
                )
    finally:
        planner.close()
    plan.api_calls = {"tag_reads": evaluator.tag_reads, "lock_reads": evaluator.lock_reads}


def _tag_purged_runs(client, sections: list[dict], purge_id: str, progress: Progress, plan_path: Path) -> list[str]:
    """Mark MLflow runs whose planned artifacts are all gone, so later purges skip them."""
    runs = {i: s for i, s in enumerate(sections) if s.get("kind") == "mlflow-run"}
    if not runs or client is None:
        return []
    blocked = set()
    _, entries = read_plan(plan_path)
    for e in entries:
        if e["s"] in runs and progress.status.get(e["i"], "deleted").split(":", 1)[0] not in ("deleted", "gone"):
            blocked.add(e["s"])
    tagged = []
    for i, section in runs.items():
        if i not in blocked:
            client.set_tag(section["run_id"], f"{PURGED_RUN_TAG}.{section['rule']}", purge_id)
            tagged.append(section["run_id"])
    return tagged


def _resume(
    primary, rules, pending, store_at, opened, started, workdir, batch_size, checkpoint_every, mlflow_client, on_batch
) -> PurgeResult:
    purge_id, names = pending
    plan_path = workdir / f"plan-{purge_id}.jsonl"
    primary.download(audit_key(purge_id, "plan-execute.jsonl"), plan_path)
    header, _ = read_plan(plan_path)
    as_of = datetime.fromisoformat(header["as_of"])
    plan = Plan.from_header(header, plan_path)  # what the interrupted run found: same findings, same decision
    result = PurgeResult(purge_id, "execute", as_of, plan, resumed=True)
    result.notes.extend(plan.notes)
    result.rules_changed = header["rules_sha256"] != rules.sha256
    if result.rules_changed:
        result.notes.append(
            "the rules changed since this purge was planned: what is left was re-decided under the current rules"
        )
    progress = load_progress(primary, purge_id, names)
    progress.resumed_from = progress.entries_done
    progress.attempts = 2
    sections = header["sections"]
    stores_by_section = {i: store_at(s["store_url"]) for i, s in enumerate(sections)}
    decide = _decider(rules, as_of, sections, stores_by_section)
    result.revalidated = dict(revalidate(plan_path, progress, stores_by_section.__getitem__, decide))
    progress = execute_plan(
        primary,
        plan_path,
        stores_by_section.__getitem__,
        progress,
        batch_size=batch_size,
        checkpoint_every=checkpoint_every,
        on_batch=on_batch,
    )
    result.certificate = certify(
        primary,
        None,
        plan_path,
        progress,
        started_at=started,
        rules=rules,
        extra={
            "resumed": True,
            "revalidated": result.revalidated,
            "rules_changed": result.rules_changed,
            "notes": result.notes,
        },
    )
    result.runs_tagged = _tag_purged_runs(mlflow_client, sections, purge_id, progress, plan_path)
    result.api_calls = _api_calls(opened.values())
    return result


def _decider(rules: RetentionRules, as_of: datetime, sections: list[dict], stores: dict[int, ObjectStore]):
    """(section, key, versions) -> Verdict under the current rules, for revalidating a resumed plan."""
    evaluators = {i: _evaluator(rules, as_of, st) for i, st in stores.items()}
    rule_by_id = {r.id: r for r in rules.mlflow_artifacts}

    def decide(i: int, key: str, group: list[ObjectInfo]) -> Verdict:
        section = sections[i]
        if section.get("kind") == "mlflow-run":
            rule = rule_by_id.get(section.get("rule"))
            if rule is None:
                return Verdict(False, "rule-removed", section.get("rule"))
            return evaluators[i].evaluate_run_artifact(key, group, rule)
        return evaluators[i].evaluate(key, group)

    return decide
