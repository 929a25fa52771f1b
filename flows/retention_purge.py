"""retention-purge: delete raw data past its retention, never what must be kept, and prove it.

Rules come from a policy file (policies/retention.yaml by default). A rule file error stops the run
before anything is listed or deleted. Manual runs are dry runs unless ``dry_run=False`` is passed;
the daily schedule passes it explicitly.
"""

from __future__ import annotations

from datetime import datetime

from prefect import flow

from govgate.protocol import RETENTION_PURGE
from govgate.retention import load_rules
from tasks import context
from tasks.gate_run import GateRun
from tasks.retention import (
    certificate_files,
    publish_purge_artifacts,
    purge_checks,
    purge_store,
    purge_subject,
    purge_summary,
    record_late_purges,
)

GATE = RETENTION_PURGE


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
    store = context.store()
    rules_path = rules or str(context.settings().retention_rules)
    params = {
        "dry_run": dry_run,
        "rules": rules_path,
        "as_of": as_of.isoformat() if as_of else None,
        "batch_size": batch_size,
        "checkpoint_every": checkpoint_every,
    }
    with GateRun(GATE, purge_subject(store.url, dry_run), params) as run:
        run.load_policy()
        loaded = load_rules(rules_path)  # errors stop here, before anything is listed
        late = [] if dry_run else [record_late_purges(loaded, params)]  # a crash after certifying: record it now
        result = purge_store(loaded, dry_run, as_of, batch_size, checkpoint_every)
        run.subject = purge_subject(store.url, dry_run, result)
        published = run.finish([*purge_checks(result, loaded), *late], extra_files=certificate_files(result))
        plan_uri = store.uri(result.plan.plan_key) if result.plan and result.plan.plan_key else None
        publish_purge_artifacts(result, plan_uri)
    published.update(purge_summary(result, plan_uri, dry_run))
    print(f"retention purge {result.purge_id} ({result.mode}): {published['decision']} ({published['report_uri']})")
    return run.final_state(published)
