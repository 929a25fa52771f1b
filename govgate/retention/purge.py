"""One purge, start to end: rules -> plan -> (resume or execute) -> certificate, and the MLflow runs it touched."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
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
    if workdir is None:
        import shutil

        scratch = scratch_dir()  # plan files stream through here; removed when the purge ends
        try:
            return run_purge(
                primary,
                rules,
                dry_run=dry_run,
                as_of=as_of,
                batch_size=batch_size,
                checkpoint_every=checkpoint_every,
                open_store=open_store,
                mlflow_client=mlflow_client,
                on_batch=on_batch,
                workdir=scratch,
                sample_limit=sample_limit,
            )
        finally:
            shutil.rmtree(scratch, ignore_errors=True)
    started = datetime.now(UTC)
    as_of = _check_as_of(as_of, dry_run, started)
    opened: dict[str, ObjectStore] = {primary.url: primary}

    def store_at(url: str) -> ObjectStore:
        if url not in opened:
            if open_store is None:
                raise PurgeError(f"the plan names another store ({url}) and no way to open it was given")
            opened[url] = open_store(url)
        return opened[url]

    if not dry_run and (pending := unfinished_purges(primary)):
        return _resume(
            primary,
            rules,
            pending[0],
            store_at,
            opened,
            started,
            workdir,
            batch_size,
            checkpoint_every,
            mlflow_client,
            on_batch,
        )

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
    check_locks = primary.supports_object_lock() and not primary.lists_lock_state
    evaluator = Evaluator(rules, as_of, primary, check_locks=check_locks)
    planner = Planner(plan, rules, sample_limit)
    try:
        for root in rules.roots():
            planner.add_section(Section(primary.url, root), primary, evaluator.evaluate)
        if rules.mlflow_artifacts and mlflow_client is not None:
            for rule in rules.mlflow_artifacts:
                for run in expired_runs(mlflow_client, rule, as_of, result.notes):
                    store = store_at(run.info.artifact_uri)
                    run_eval = Evaluator(
                        rules, as_of, store, check_locks=store.supports_object_lock() and not store.lists_lock_state
                    )
                    planner.add_section(
                        Section(store.url, rule.artifact_path + "/", "mlflow-run", rule.id, run.info.run_id),
                        store,
                        lambda key, group, r=rule, ev=run_eval: ev.evaluate_run_artifact(key, group, r),
                    )
        elif rules.mlflow_artifacts:
            result.notes.append("MLflow artifact rules were not applied: no MLflow client was given")
    finally:
        planner.close()
    plan.api_calls = {"tag_reads": evaluator.tag_reads, "lock_reads": evaluator.lock_reads}
    upload_plan(primary, plan)
    if dry_run:
        result.api_calls = _api_calls(opened.values())
        return result

    stores_by_section = {i: store_at(s.store_url) for i, s in enumerate(plan.sections)}
    progress = execute_plan(
        primary,
        plan.local_path,
        stores_by_section.__getitem__,
        Progress(),
        batch_size=batch_size,
        checkpoint_every=checkpoint_every,
        on_batch=on_batch,
    )
    result.certificate = certify(
        primary,
        plan,
        plan.local_path,
        progress,
        started_at=started,
        rules=rules,
        extra={"resumed": False, "notes": result.notes},
    )
    result.runs_tagged = _tag_purged_runs(mlflow_client, plan.header()["sections"], purge_id, progress, plan.local_path)
    result.api_calls = _api_calls(opened.values())
    return result


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
    result = PurgeResult(purge_id, "execute", as_of, None, resumed=True)
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
    evaluators = {
        i: Evaluator(rules, as_of, st, check_locks=st.supports_object_lock() and not st.lists_lock_state)
        for i, st in stores_by_section.items()
    }
    rule_by_id = {r.id: r for r in rules.mlflow_artifacts}

    def decide(i: int, key: str, group: list[ObjectInfo]) -> Verdict:
        section = sections[i]
        if section.get("kind") == "mlflow-run":
            rule = rule_by_id.get(section.get("rule"))
            if rule is None:
                return Verdict(False, "rule-removed", section.get("rule"))
            return evaluators[i].evaluate_run_artifact(key, group, rule)
        return evaluators[i].evaluate(key, group)

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
