"""Retention purge: rules as policy-as-code, a write-ahead deletion plan, batched deletes, a certificate.

The purge never decides on partial information: an object is deleted only when every rule that covers it
says its period is over, no legal hold (object tag or S3 Object Lock) applies, and it is outside the
protected prefixes (``evidence/`` and ``audit/`` always, plus the rule file's own). Anything unclear
(a date tag that is missing or unreadable) keeps the object and is reported.

What happens, in order, all recorded under ``audit/retention-purge/<purge id>/`` in the primary store:

1. ``plan-<mode>.jsonl`` (write-once): a header and one line per object version to delete (key, version
   id, size, etag, rule, data class), written *before* the first delete;
2. deletes in batches of up to 1,000 keys per DeleteObjects call, with ``progress-<n>.json`` checkpoints
   (write-once) every few batches;
3. ``certificate.json`` (write-once): counts, bytes, the SHA-256 of the plan and of the list of what was
   deleted, the rules' SHA-256 and the time.

A plan with no certificate is an interrupted purge. The next run resumes it: it re-lists what is left,
keeps whatever changed or stopped being eligible since the plan, deletes the rest, and certifies every
planned entry exactly once.

Modules, in the order of a purge: ``rules`` (the rule file, audit names, errors), ``evaluate`` (one key's
verdict), ``plan`` (the write-ahead plan), ``execute`` (batched deletes, checkpoints, resume checks),
``certificate`` (the final statement) and ``purge`` (``run_purge``, the whole run). Everything other code uses
is importable from here.
"""

from __future__ import annotations

from govgate.retention.certificate import certify, scratch_dir
from govgate.retention.evaluate import Evaluator, Verdict, group_versions
from govgate.retention.execute import (
    Progress,
    execute_plan,
    load_progress,
    revalidate,
    unfinished_purges,
    write_checkpoint,
)
from govgate.retention.plan import (
    EXAMPLES_PER_REASON,
    Plan,
    Planner,
    Section,
    Tally,
    audit_key,
    new_purge_id,
    read_plan,
    upload_plan,
)
from govgate.retention.purge import PurgeResult, expired_runs, run_purge
from govgate.retention.recorded import certified_purges, recorded_purges, recover_result, unrecorded_purges
from govgate.retention.rules import (
    ALWAYS_PROTECTED,
    AUDIT_PREFIX,
    CERTIFICATE_KIND,
    PLAN_KIND,
    PURGED_RUN_TAG,
    LegalHoldRules,
    MlflowArtifactRule,
    PrefixRule,
    PurgeError,
    RetentionRules,
    RetentionRulesError,
    load_rules,
    parse_tag_date,
)

__all__ = [
    "ALWAYS_PROTECTED",
    "AUDIT_PREFIX",
    "CERTIFICATE_KIND",
    "EXAMPLES_PER_REASON",
    "Evaluator",
    "LegalHoldRules",
    "MlflowArtifactRule",
    "PLAN_KIND",
    "PURGED_RUN_TAG",
    "Plan",
    "Planner",
    "PrefixRule",
    "Progress",
    "PurgeError",
    "PurgeResult",
    "RetentionRules",
    "RetentionRulesError",
    "Section",
    "Tally",
    "Verdict",
    "audit_key",
    "certified_purges",
    "certify",
    "execute_plan",
    "expired_runs",
    "group_versions",
    "load_progress",
    "load_rules",
    "new_purge_id",
    "parse_tag_date",
    "read_plan",
    "recorded_purges",
    "recover_result",
    "revalidate",
    "run_purge",
    "scratch_dir",
    "unfinished_purges",
    "unrecorded_purges",
    "upload_plan",
    "write_checkpoint",
]
