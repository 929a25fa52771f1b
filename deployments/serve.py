"""Serve every gate flow from one process (``govgate serve``).

Each gate joins ``gate_deployments()`` as it lands; schedules come from policy, never from code.
"""

from __future__ import annotations

from prefect.deployments.runner import RunnerDeployment

from flows.audit_report import audit_report
from flows.dashboard import governance_dashboard
from flows.data_review import data_review
from flows.intake import intake
from flows.inventory_sync import inventory_sync
from flows.launch_evidence import launch_evidence
from flows.model_review import model_review
from flows.model_review_poll import model_review_poll
from flows.reassessment import reassessment
from flows.reproducibility import reproducibility_check
from flows.retention_purge import retention_purge
from flows.selftest import evidence_selftest
from flows.third_party_review import third_party_review

TAGS = ["govgate"]


def purge_schedules(policy) -> list:
    """The retention purge's schedule from policy; scheduled runs delete unless the policy says otherwise."""
    from prefect.schedules import Cron

    rule = policy.schedules.retention_purge
    if rule is None:
        return []
    return [Cron(rule.cron, timezone=rule.timezone, active=rule.active, parameters={"dry_run": not rule.execute})]


def poll_schedules(policy) -> list:
    """The registration fallback's schedule from policy."""
    from prefect.schedules import Cron

    rule = policy.schedules.model_review_poll
    return [] if rule is None else [Cron(rule.cron, timezone=rule.timezone, active=rule.active)]


def reassessment_schedules(policy) -> list:
    """One schedule per risk tier from policy (tiers.<tier>.reassessment.cron), each passing its tier."""
    from prefect.schedules import Cron

    return [Cron(t.reassessment.cron, timezone="UTC", parameters={"tier": name}) for name, t in policy.tiers.items()]


def third_party_schedules(policy) -> list:
    """One schedule per submission file listed in policy (schedules.third_party_review), each passing it."""
    from prefect.schedules import Cron

    rule = policy.schedules.third_party_review
    if rule is None:
        return []
    return [
        Cron(rule.cron, timezone=rule.timezone, active=rule.active, parameters={"submission": path})
        for path in rule.submissions
    ]


def inventory_schedules(policy) -> list:
    """The inventory sync's schedule from policy (schedules.inventory_sync, hourly by default)."""
    from prefect.schedules import Cron

    rule = policy.schedules.inventory_sync
    return [] if rule is None else [Cron(rule.cron, timezone=rule.timezone, active=rule.active)]


def dashboard_schedules(policy) -> list:
    """The governance dashboard's schedule from policy (schedules.dashboard)."""
    from prefect.schedules import Cron

    rule = policy.schedules.dashboard
    return [] if rule is None else [Cron(rule.cron, timezone=rule.timezone, active=rule.active)]


def registration_trigger():
    """A model-review run for each ``mlflow.model_version.created`` event that ``govgate bridge`` emits.
    The templated parameters are plain strings that always validate (FIELD-NOTES: a failing template
    creates no run, only a ``prefect.automation.action.failed`` event, which the bridge reports)."""
    from prefect.events import DeploymentEventTrigger

    from govgate.bridge import REGISTRATION_EVENT

    return DeploymentEventTrigger(
        name="model-review-on-registration",
        expect={REGISTRATION_EVENT},
        match={"prefect.resource.id": "mlflow.model-version.*"},
        parameters={"model_name": "{{ event.payload.name }}", "model_version": "{{ event.payload.version }}"},
    )


def gate_deployments(policy=None) -> list[RunnerDeployment]:
    """Every gate flow as a deployment, with its schedule from policy. Long because it is one flat list,
    one entry per flow, read best in one place."""
    if policy is None:
        from govgate.policy import load_policy
        from govgate.settings import load_settings

        policy = load_policy(load_settings().policy)
    return [
        evidence_selftest.to_deployment(
            name="evidence-selftest",
            tags=[*TAGS, "selftest"],
            description="Store, MLflow, policy and control-index health, published as an evidence record.",
        ),
        data_review.to_deployment(
            name="data-review",
            tags=[*TAGS, "data"],
            description="Review a dataset (PII, secrets, quality, sensitive attributes, consent) before training.",
        ),
        model_review.to_deployment(
            name="model-review",
            tags=[*TAGS, "model"],
            description="Review a model version: performance, fairness with intervals, robustness, leakage, model card.",
            triggers=[registration_trigger()],
        ),
        model_review_poll.to_deployment(
            name="model-review-poll",
            tags=[*TAGS, "model"],
            description="Fallback for MLflow without webhooks: review registered versions that have no review yet.",
            schedules=poll_schedules(policy),
        ),
        launch_evidence.to_deployment(
            name="launch-evidence",
            tags=[*TAGS, "launch"],
            description="Gather a model version's evidence, wait for sign-off, seal a signed write-once package.",
        ),
        reassessment.to_deployment(
            name="reassessment",
            tags=[*TAGS, "reassessment"],
            description="Reassess deployed model versions (MLflow alias) against their approved baseline: fresh data, regression, drift, incidents.",
            schedules=reassessment_schedules(policy),
        ),
        intake.to_deployment(
            name="intake",
            tags=[*TAGS, "intake"],
            description="Risk tier of an AI asset by the legal decision tree (EU AI Act, Vietnam AI Law), with citations; without an answers file the run pauses for the form.",
        ),
        # Manual runs are dry runs (the flow's default); the daily schedule passes dry_run=False itself.
        retention_purge.to_deployment(
            name="retention-purge",
            tags=[*TAGS, "retention"],
            description="Delete raw data past its retention (never evidence or what is on legal hold), with a write-ahead plan and a certificate.",
            schedules=purge_schedules(policy),
        ),
        third_party_review.to_deployment(
            name="third-party-review",
            tags=[*TAGS, "third-party"],
            description="Review a vendor model or AI service: checklist items with hashed evidence, expiries, cross-border transfer, AI Act role.",
            schedules=third_party_schedules(policy),
        ),
        inventory_sync.to_deployment(
            name="inventory-sync",
            tags=[*TAGS, "inventory"],
            description="Every AI asset from MLflow, the evidence store, Prefect and inventory/ YAML: gaps, disappeared assets, a write-once snapshot (JSON, CSV, page, CycloneDX).",
            schedules=inventory_schedules(policy),
        ),
        audit_report.to_deployment(
            name="audit-report",
            tags=[*TAGS, "audit"],
            description="A period's control coverage, KPIs, runs, incidents and certificates from records alone: a signed report folder (HTML, OSCAL).",
        ),
        governance_dashboard.to_deployment(
            name="governance-dashboard",
            tags=[*TAGS, "audit"],
            description="Regenerate the governance dashboard (KPIs, overdue items, open incidents, inventory gaps) served at /dashboard and /metrics.",
            schedules=dashboard_schedules(policy),
        ),
        reproducibility_check.to_deployment(
            name="reproducibility-check",
            tags=[*TAGS, "audit"],
            description="Re-run a seeded sample of a period's data reviews and record whether each gave the same checks; changed or missing inputs are counted as not re-run.",
        ),
    ]


def plain_optional_parameters(deployment: RunnerDeployment) -> RunnerDeployment:
    """Show ``x: str | None = None`` in the UI's run form as a plain optional field: Prefect publishes it
    as anyOf [string, null] with default null, which the form renders as a str/None switch reading
    'Property is type "None"' (and, with the null dropped but the default kept, as a validation error).
    The published schema keeps the useful type and no default; an empty field is not sent, so the flow's
    own default (None) applies. The flow's signature and its server-side validation are unchanged."""
    for prop in deployment._parameter_openapi_schema.properties.values():
        options = prop.get("anyOf")
        if prop.get("default", ...) is not None or not options:
            continue
        kept = [o for o in options if o.get("type") != "null"]
        if len(kept) < len(options):
            prop.pop("anyOf")
            prop.pop("default")
            prop.update(kept[0] if len(kept) == 1 else {"anyOf": kept})
    return deployment


def serve_all() -> None:
    from prefect import serve

    serve(*[plain_optional_parameters(d) for d in gate_deployments()])
