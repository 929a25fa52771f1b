"""retention-purge: delete raw data past its retention, never what must be kept, and prove it.

Rules come from a policy file (policies/retention.yaml by default). A rule file error stops the run
before anything is listed or deleted. Manual runs are dry runs unless ``dry_run=False`` is passed;
the daily schedule passes it explicitly.
"""

from __future__ import annotations

import json
from datetime import datetime

from prefect import flow, get_run_logger

from govgate.errors import GovgateError
from govgate.gate import build_record, error_record, unloaded_policy_ref
from govgate.policy import Policy, load_policy
from govgate.record import AssetKind, Check, Subject, decide, new_record_id, utcnow
from govgate.retention import RetentionRules, load_rules
from tasks import context
from tasks.evidence import publish_evidence
from tasks.retention import publish_purge_artifacts, purge_checks, purge_store

GATE = "retention-purge"


@flow(name="retention-purge", log_prints=True)
def retention_purge(
    dry_run: bool = True,
    rules: str | None = None,
    as_of: datetime | None = None,
    batch_size: int = 1000,
    checkpoint_every: int = 50,
) -> dict:
    """Purge objects past their retention from the evidence store's data prefixes, with a deletion record.

    Args:
        dry_run: a dry run only lists what would be deleted (the default for manual runs); False deletes.
        rules: retention rule file (default: the GOVGATE_RETENTION_RULES setting, policies/retention.yaml).
        as_of: decide retention as of this time (default: now); an execute run refuses a future time.
        batch_size: keys per DeleteObjects call (at most 1,000).
        checkpoint_every: batches between progress checkpoints in the audit prefix (also one a minute), for crash resume.
    """
    logger = get_run_logger()
    started = utcnow()
    record_id = new_record_id(started)
    settings = context.settings()
    store = context.store(settings)
    rules_path = rules or str(settings.retention_rules)
    params = {
        "dry_run": dry_run,
        "rules": rules_path,
        "as_of": as_of.isoformat() if as_of else None,
        "batch_size": batch_size,
        "checkpoint_every": checkpoint_every,
    }
    # The subject is the store being purged, named by its last path segment (evidence/<name>/<purge id>/...).
    subject = Subject(
        kind=AssetKind.SYSTEM,
        id=store.url.rstrip("/").rsplit("/", 1)[-1] or "store",
        uris=[store.url],
        attributes={"store": store.url, "mode": "dry-run" if dry_run else "execute"},
    )
    policy: Policy | None = None
    checks: list[Check] = []
    try:
        policy = load_policy(settings.policy)
        loaded: RetentionRules = load_rules(rules_path)  # errors stop here, before anything is listed
        result = purge_store(loaded, dry_run, as_of, batch_size, checkpoint_every)
        checks = purge_checks(result, loaded)
        subject = subject.model_copy(
            update={
                "version": result.purge_id,
                "attributes": {**subject.attributes, "purge_id": result.purge_id, "resumed": result.resumed},
            }
        )
        record = build_record(
            gate=GATE,
            subject=subject,
            policy=policy,
            tier=None,
            started_at=started,
            checks=checks,
            decision=decide(checks, inconclusive_blocks=True),
            parameters=params,
            runtime=context.run_ids(),
            record_id=record_id,
        )
        extra = {}
        if result.certificate is not None:
            extra["certificate.json"] = json.dumps(result.certificate, indent=2, sort_keys=True).encode()
        plan_uri = store.uri(result.plan.plan_key) if result.plan and result.plan.plan_key else None
        published = publish_evidence(record, extra_files=extra)
        publish_purge_artifacts(result, plan_uri)
    except GovgateError as exc:
        logger.error("retention purge could not finish: %s", exc)
        failed = error_record(
            gate=GATE,
            subject=subject,
            policy=policy or unloaded_policy_ref(settings.policy, None),
            tier=None,
            started_at=started,
            error=exc,
            checks=checks,
            parameters=params,
            runtime=context.run_ids(),
            record_id=record_id,
        )
        try:
            publish_evidence(failed)
        except GovgateError as publish_exc:
            logger.error("the error record could not be published either: %s", publish_exc)
        raise
    published.update(
        {
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
    )
    print(f"retention purge {result.purge_id} ({result.mode}): {published['decision']} ({published['report_uri']})")
    return published
