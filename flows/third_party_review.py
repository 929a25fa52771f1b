"""third-party-review: may we use this vendor model or AI service, on today's evidence?

A submission (YAML) is checked against the checklist (policy data): documentation, model card,
evaluation, data-processing terms, data locations and cross-border transfer (Vietnam's Law 91/2025/QH15
Art. 20 dossier, EU transfer terms), sub-processors, incident contacts and SLA, the EU AI Act role and
the deployer's duties. Each evidence file is hashed and attached; missing, expired and soon-to-expire
items are findings. Scheduled runs from policy re-check expiries.
"""

from __future__ import annotations

from datetime import UTC, date, datetime

from prefect import flow

from govgate.protocol import THIRD_PARTY_REVIEW
from tasks.gate_run import GateRun
from tasks.third_party import attachments, items_table, load_inputs, provisional_subject, review_items, vendor_subject

GATE = THIRD_PARTY_REVIEW


@flow(name="third-party-review", log_prints=True)
def third_party_review(
    submission: str, tier: str | None = None, as_of: date | None = None, checklist: str | None = None
) -> dict:
    """Review a vendor's submission and record the review.

    Args:
        submission: path of the submission YAML (`govgate third-party template` writes one to start from).
        tier: risk tier (default: the submission's `tier`, else the policy's default).
        as_of: the day expiries are judged on (default: today, UTC).
        checklist: path of the checklist YAML (default: policies/third_party_checklist.yaml).
    """
    as_of = as_of or datetime.now(UTC).date()
    params = {"submission": submission, "tier": tier, "as_of": str(as_of), "checklist": checklist}
    with GateRun(GATE, provisional_subject(submission), params, tier=tier) as run:
        policy = run.load_policy()
        sub, items = load_inputs(submission, checklist)
        policy.tier(run.use_tier(tier or sub.tier or policy.default_tier))  # an unknown tier is an error
        run.subject = vendor_subject(sub, items)
        result = review_items(sub, items, run.tier, as_of)
        run.subject = vendor_subject(sub, items, result)
        published = run.finish(
            result.checks, findings=result.findings, outputs=result.outputs, extra_files=attachments(result)
        )
    items_table(result, published["record_id"])
    print(f"third-party review of {sub.id}: {published['decision']} ({published['report_uri']})")
    return run.final_state(published)
