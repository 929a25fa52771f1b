"""Retention purge tasks: run the purge (core), turn its plan and certificate into checks and artifacts."""

from __future__ import annotations

import json
import tempfile
from datetime import datetime
from pathlib import Path

from prefect import get_run_logger
from prefect.artifacts import create_markdown_artifact, create_table_artifact
from prefect.cache_policies import NO_CACHE

from govgate.protocol import RETENTION_PURGE
from govgate.record import AssetKind, Check, Metric, Outcome, Subject, Threshold
from govgate.retention import PurgeResult, RetentionRules, recover_result, run_purge, unrecorded_purges
from govgate.store import open_store as open_store_at
from tasks import context
from tasks.evidence import artifact_key
from tasks.govgate_task import govgate_task as task

KIND = "retention_purge"


@task(name="retention-purge", cache_policy=NO_CACHE)
def purge_store(
    rules: RetentionRules,
    dry_run: bool,
    as_of: datetime | None,
    batch_size: int,
    checkpoint_every: int,
    with_mlflow: bool = True,
) -> PurgeResult:
    """List, decide, write the plan, and (unless a dry run) delete in batches and certify."""
    logger = get_run_logger()
    settings = context.settings()
    primary = context.store(settings)
    client = context.tracker(settings).client if (with_mlflow and rules.mlflow_artifacts) else None
    result = run_purge(
        primary,
        rules,
        dry_run=dry_run,
        as_of=as_of,
        batch_size=batch_size,
        checkpoint_every=checkpoint_every,
        open_store=lambda url: open_store_at(settings, url),
        mlflow_client=client,
        on_batch=lambda n: logger.info("deleted batch %d", n) if n % 50 == 0 else None,
    )
    if result.resumed:
        logger.warning(
            "finished the interrupted purge %s (re-checked what was left: %s)", result.purge_id, result.revalidated
        )
    return result


@task(name="record-late-purges", cache_policy=NO_CACHE)
def record_late_purges(rules: RetentionRules, parameters: dict) -> Check:
    """Publish the evidence record of every certified purge that has none (its run stopped between the
    certificate and publishing), rebuilt from the plan and certificate in the audit prefix; one check
    in this run's record names them."""
    from tasks.gate_run import GateRun

    store = context.store()
    late = []
    with tempfile.TemporaryDirectory(prefix="govgate-late-purge-") as workdir:
        for purge_id in unrecorded_purges(store):
            result = recover_result(store, purge_id, Path(workdir))
            with GateRun(RETENTION_PURGE, purge_subject(store.url, False, result), parameters) as run:
                run.load_policy()
                checks = [*purge_checks(result, rules), late_record_check(result)]
                late.append(run.finish(checks, extra_files=certificate_files(result))["record_uri"])
    return Check(
        id="retention.late_records",
        title="Certified purges without a record are recorded",
        category="retention",
        outcome=Outcome.WARN if late else Outcome.PASS,
        message=f"published the missing record of {len(late)} earlier purge(s): {', '.join(late[:10])}"
        if late
        else "every certified purge already had its evidence record",
        metrics=[Metric(name="late_records", value=len(late))],
        details={"records": late},
    )


def late_record_check(result: PurgeResult) -> Check:
    return Check(
        id="retention.late_record",
        title="Recorded after the purge",
        category="retention",
        outcome=Outcome.WARN,
        message=f"purge {result.purge_id} was certified but its run stopped before publishing; this record was "
        "rebuilt later from its plan and certificate in the audit prefix",
    )


def purge_checks(result: PurgeResult, rules: RetentionRules) -> list[Check]:
    """Every part of the purge as a check, with its numbers."""
    checks = [rules_check(rules)]
    plan = result.plan
    if plan is not None:
        kept = dict(plan.kept)
        checks += [
            scope_check(plan, kept),
            plan_file_check(plan),
            legal_hold_check(plan, kept),
            dates_check(plan, kept),
        ]
    cert = result.certificate
    checks.append(dry_run_deletion_check(plan) if cert is None else certified_deletion_check(cert))
    if result.resumed:
        checks.append(resume_check(result))
    if rules.mlflow_artifacts:
        checks.append(mlflow_artifacts_check(result, plan))
    return checks


def rules_check(rules: RetentionRules) -> Check:
    return Check(
        id="retention.rules",
        title="Retention rules loaded and valid",
        category="retention",
        outcome=Outcome.PASS,
        message=f"{len(rules.rules)} prefix rule(s), {len(rules.mlflow_artifacts)} MLflow artifact rule(s); "
        f"protected: {', '.join(rules.protected)}",
        details={
            "path": rules.path,
            "sha256": rules.sha256,
            "rules": [r.id for r in rules.rules] + [r.id for r in rules.mlflow_artifacts],
        },
        evidence_kind=KIND,
    )


def scope_check(plan, kept: dict) -> Check:
    return Check(
        id="retention.scope",
        title="Objects listed and decided",
        category="retention",
        outcome=Outcome.PASS,
        message=f"{plan.scanned} object(s) listed in {len(plan.sections)} section(s); {plan.eligible.objects} past retention",
        metrics=[
            Metric(name="objects_listed", value=plan.scanned),
            Metric(name="objects_eligible", value=plan.eligible.objects),
            Metric(name="versions_eligible", value=plan.eligible.versions),
            Metric(name="bytes_eligible", value=plan.eligible.bytes),
        ],
        details={
            "kept_by_reason": kept,
            "sections": [s.as_dict() for s in plan.sections],
            "as_of": plan.as_of.isoformat(),
            "tag_reads": plan.api_calls.get("tag_reads"),
            "lock_reads": plan.api_calls.get("lock_reads"),
        },
        evidence_kind=KIND,
    )


def plan_file_check(plan) -> Check:
    return Check(
        id="retention.plan",
        title="Deletion plan written before deleting",
        category="retention",
        outcome=Outcome.PASS,
        message=f"{plan.entries} entr(ies) in {plan.plan_key} (sha256 {str(plan.plan_sha256)[:12]})",
        metrics=[Metric(name="plan_entries", value=plan.entries)],
        details={"key": plan.plan_key, "sha256": plan.plan_sha256, "size": plan.plan_size, "mode": plan.mode},
        evidence_kind=KIND,
    )


def legal_hold_check(plan, kept: dict) -> Check:
    held = kept.get("held-tag", 0) + kept.get("held-lock", 0)
    return Check(
        id="retention.legal_hold",
        title="Objects on legal hold kept",
        category="retention",
        outcome=Outcome.PASS,
        message=f"{held} object(s) past retention kept for a legal hold ({kept.get('held-tag', 0)} by tag, "
        f"{kept.get('held-lock', 0)} by S3 Object Lock); protected prefixes never listed as eligible",
        metrics=[
            Metric(name="held_by_tag", value=kept.get("held-tag", 0)),
            Metric(name="held_by_object_lock", value=kept.get("held-lock", 0)),
        ],
        details={"examples": plan.kept_examples.get("held-tag", []) + plan.kept_examples.get("held-lock", [])},
        evidence_kind=KIND,
    )


def dates_check(plan, kept: dict) -> Check:
    undated = kept.get("undated", 0)
    return Check(
        id="retention.dates",
        title="Every object in scope has a usable retention date",
        category="retention",
        outcome=Outcome.INCONCLUSIVE if undated else Outcome.PASS,
        message=(
            f"{undated} object(s) kept because their date tag is missing or unreadable: their retention "
            "cannot be decided"
            if undated
            else "every object in scope had a usable date"
        ),
        metrics=[Metric(name="objects_undated", value=undated)],
        threshold=Threshold(metric="objects_undated", op="==", value=0),
        details={"examples": plan.kept_examples.get("undated", [])},
        evidence_kind=KIND,
    )


def dry_run_deletion_check(plan) -> Check:
    """Nothing deleted: what would go, from the plan (none when there is no plan)."""
    return Check(
        id="retention.deletion",
        title="Expired objects deleted",
        category="retention",
        outcome=Outcome.SKIPPED,
        message=f"dry run: nothing deleted; {plan.eligible.objects if plan else 0} object(s) "
        f"({plan.eligible.versions if plan else 0} version(s), {plan.eligible.bytes if plan else 0} bytes) would go",
        evidence_kind=KIND,
    )


def certified_deletion_check(cert: dict) -> Check:
    """What the certificate says went; an error when plan entries are unaccounted for, a warning when refused."""
    statuses = cert["statuses"]
    refused = statuses.get("refused", 0)
    unaccounted = cert["plan"]["entries"] - cert["accounted"] + statuses.get("not-attempted", 0)
    outcome = Outcome.ERROR if unaccounted else Outcome.WARN if refused else Outcome.PASS
    return Check(
        id="retention.deletion",
        title="Expired objects deleted and certified",
        category="retention",
        outcome=outcome,
        message=f"{cert['deleted']['objects']} object(s), {cert['deleted']['versions']} version(s), {cert['deleted']['bytes']} bytes "
        f"deleted; statuses {statuses}; certificate {cert['purge_id']}"
        + (f"; {refused} refused by the store (kept)" if refused else ""),
        metrics=[
            Metric(name="objects_deleted", value=cert["deleted"]["objects"]),
            Metric(name="versions_deleted", value=cert["deleted"]["versions"]),
            Metric(name="bytes_deleted", value=cert["deleted"]["bytes"]),
            Metric(name="entries_unaccounted", value=unaccounted),
            Metric(name="delete_calls", value=cert["delete_calls"]),
        ],
        threshold=Threshold(metric="entries_unaccounted", op="==", value=0),
        details={
            "deleted_list_sha256": cert["deleted"]["list_sha256"],
            "plan_sha256": cert["plan"]["sha256"],
            "refused": cert["refused"][:50],
            "kept": cert["kept"][:50],
            "resumed": cert.get("resumed"),
        },
        evidence_kind=KIND,
    )


def resume_check(result: PurgeResult) -> Check:
    return Check(
        id="retention.resume",
        title="Interrupted purge finished from its record",
        category="retention",
        outcome=Outcome.WARN if result.rules_changed else Outcome.PASS,
        message=f"purge {result.purge_id} resumed; what was left was re-checked: {result.revalidated}"
        + ("; the rules changed since the plan" if result.rules_changed else ""),
        details={"revalidated": result.revalidated},
        evidence_kind=KIND,
    )


def mlflow_artifacts_check(result: PurgeResult, plan) -> Check:
    return Check(
        id="retention.mlflow_artifacts",
        title="MLflow run artifacts past retention",
        category="retention",
        outcome=Outcome.WARN if result.notes else Outcome.PASS,
        message=(
            f"{len([s for s in (plan.sections if plan else []) if s.kind == 'mlflow-run'])} run(s) past retention; "
            f"{len(result.runs_tagged)} tagged purged"
        )
        + ("; " + "; ".join(result.notes) if result.notes else ""),
        details={"runs_tagged": result.runs_tagged, "notes": result.notes},
        evidence_kind=KIND,
    )


def counts_rows(result: PurgeResult) -> list[dict]:
    """Rows for the counts table: by rule and by class, from the certificate or else the plan."""
    rows: list[dict] = []
    if result.certificate:
        for dim in ("by_rule", "by_class"):
            for name, statuses in result.certificate[dim].items():
                rows.append(
                    {
                        "by": dim[3:],
                        "name": name,
                        **{k: statuses.get(k, 0) for k in ("deleted", "gone", "refused", "kept", "changed")},
                    }
                )
    elif result.plan:
        for dim, tallies in (("rule", result.plan.by_rule), ("class", result.plan.by_class)):
            for name, t in sorted(tallies.items()):
                rows.append(
                    {
                        "by": dim,
                        "name": name,
                        "would_delete_objects": t.objects,
                        "versions": t.versions,
                        "bytes": t.bytes,
                    }
                )
        for rule, reasons in sorted(result.plan.kept_by_rule.items()):
            rows.append({"by": "rule (kept)", "name": rule, **dict(reasons)})
    return rows


def dry_run_markdown(result: PurgeResult, store_uri: str) -> str:
    plan = result.plan
    assert plan is not None
    lines = [
        f"# Retention purge {'dry run' if plan.mode == 'dry-run' else 'plan'} {plan.purge_id}",
        "",
        f"As of {plan.as_of.isoformat()}: **{plan.eligible.objects} object(s)** ({plan.eligible.versions} version(s), "
        f"{plan.eligible.bytes} bytes) {'would be' if plan.mode == 'dry-run' else 'are'} deleted. Full list: `{store_uri}`.",
        "",
        "| key | version | size | rule | class |",
        "|---|---|---|---|---|",
    ]
    for e in plan.sample:
        lines.append(
            f"| `{e['key']}` | {e['version_id'] or ''}{' (delete marker)' if e['delete_marker'] else ''} | {e['size']} | {e['rule']} | {e['class']} |"
        )
    if plan.entries > len(plan.sample):
        lines.append(f"| ... {plan.entries - len(plan.sample)} more in the plan file | | | | |")
    kept = dict(plan.kept)
    if kept:
        lines += ["", "Kept: " + ", ".join(f"{k} {v}" for k, v in sorted(kept.items()))]
    return "\n".join(lines) + "\n"


def publish_purge_artifacts(result: PurgeResult, plan_uri: str | None) -> None:
    gate = "retention-purge"
    create_table_artifact(
        key=artifact_key(gate, "counts"),
        table=counts_rows(result),
        description=f"Retention purge {result.purge_id} ({result.mode}): counts by rule and by class",
    )
    if result.plan is not None:
        create_markdown_artifact(
            key=artifact_key(gate, "dry-run" if result.mode == "dry-run" else "plan"),
            markdown=dry_run_markdown(result, plan_uri or ""),
            description=f"What {'would go' if result.mode == 'dry-run' else 'went'} in purge {result.purge_id}",
        )


def purge_subject(store_url: str, dry_run: bool, result: PurgeResult | None = None) -> Subject:
    """The store being purged, named by its last path segment (evidence/<name>/<purge id>/...)."""
    attributes = {"store": store_url, "mode": "dry-run" if dry_run else "execute"}
    if result is not None:
        attributes |= {"purge_id": result.purge_id, "resumed": result.resumed}
    return Subject(
        kind=AssetKind.SYSTEM,
        id=store_url.rstrip("/").rsplit("/", 1)[-1] or "store",
        version=result.purge_id if result else None,
        uris=[store_url],
        attributes=attributes,
    )


def certificate_files(result: PurgeResult) -> dict[str, bytes]:
    if result.certificate is None:
        return {}
    return {"certificate.json": json.dumps(result.certificate, indent=2, sort_keys=True).encode()}


def purge_summary(result: PurgeResult, plan_uri: str | None, dry_run: bool) -> dict:
    """What the flow returns besides the publish result: the purge, its plan and what it (would) delete."""
    return {
        "purge_id": result.purge_id,
        "mode": result.mode,
        "resumed": result.resumed,
        "plan_uri": plan_uri,
        "would_delete" if dry_run else "deleted": (
            result.plan.eligible.objects
            if result.plan and dry_run
            else (result.certificate or {}).get("deleted", {}).get("objects")
        ),
    }
