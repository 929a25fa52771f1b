"""launch-evidence: may this model version launch? Gather its evidence, ask the accountable people to sign
off, and seal a signed, write-once package an auditor can verify years later.

1. gather the version's records (model-version tags, store layout), the data reviews of its training
   data (lineage) and the documents given (risk assessment, ...);
2. a completeness table against the tier's ``required_evidence``; anything missing or not passing
   stops the launch (decision ``fail``) and the package still records what was there;
3. sign-off: the run pauses for each approver the tier needs (Prefect UI form, or ``sign_off`` from
   the CLI); a rejection fails the launch; a timeout ends it as ``needs-review``. Headless: ``signoffs``;
4. the package (see ``govgate.package``), sealed last with the Ed25519-signed ``package.json``; the gate
   record beside it; the version tagged with the gate's one tag family (decision, record, package).

The CLI side (resume a waiting run with a sign-off, list waiting runs, the demo's sign-offs) is in
``cli.launch``; ``govgate.package.verify_package`` verifies a package (``govgate verify-evidence URI``).
"""

from __future__ import annotations

import json
from typing import Any

from prefect import flow

from govgate.package import GATE, completeness, parse_signoffs
from govgate.protocol import MODEL_TIER
from tasks.gate_run import GateRun
from tasks.launch import (
    gather_evidence,
    package_refs,
    policy_file,
    publish_package_artifacts,
    seal_launch_package,
    tag_package,
)
from tasks.launch_checks import (
    collect_signoffs,
    evidence_checks,
    launch_decision,
    launch_documents,
    launch_result,
    launch_subject,
    summary_markdown,
)
from tasks.model_review import registered_uri, version_of


@flow(name="launch-evidence", log_prints=True)
def launch_evidence(
    model_uri: str | None = None,
    tier: str | None = None,
    signoffs: list[dict[str, Any]] | str | None = None,
    risk_assessment: str | None = None,
    documents: dict[str, str | list[str]] | None = None,
    data_review: list[str] | None = None,
    artifacts: list[str] | None = None,
    signoff_timeout_seconds: int | None = None,
    signoff_poll_seconds: int = 10,
    model_name: str | None = None,
    model_version: str | None = None,
) -> dict:
    """Gather, sign off and seal the launch evidence of a model version.

    Args:
        model_uri: models:/NAME/VERSION or models:/NAME@ALIAS.
        tier: policy risk tier (default: the version's govgate.tier tag, else the policy's default).
        signoffs: headless sign-offs instead of pausing: a list of {name, role, decision: approve|reject,
            comment, accepted_risks}, or the path of a YAML/JSON file holding that list.
        risk_assessment: path or s3:// URI of the risk assessment document (file or folder).
        documents: more documents by evidence kind, e.g. {"explainability": "shap-report.html"}.
        data_review: data-review record URIs or ids of the training data (besides what lineage finds).
        artifacts: more files or folders to seal into the package (under artifacts/).
        signoff_timeout_seconds: how long to wait for each sign-off (default: the tier's signoff_timeout_hours).
        signoff_poll_seconds: how often a paused run checks whether it was resumed.
        model_name: registered model name (when fired by an event instead of model_uri).
        model_version: registered model version (with model_name).
    """
    model_uri = registered_uri(model_uri, model_name, model_version)
    params = {
        "model_uri": model_uri,
        "tier": tier,
        "risk_assessment": risk_assessment,
        "data_review": data_review or [],
        "documents": json.dumps(documents or {}, sort_keys=True),
        "artifacts": artifacts or [],
        "signoffs": "headless" if signoffs is not None else "prefect-pause",
        "signoff_timeout_seconds": signoff_timeout_seconds,
    }
    with GateRun(GATE, launch_subject(model_uri), params, tier=tier, model_version=version_of(model_uri)) as run:
        policy = run.load_policy()
        docs = launch_documents(model_uri, documents, risk_assessment)
        headless = parse_signoffs(signoffs)  # fail early on a bad sign-off file
        ev = gather_evidence(model_uri, data_review or [], docs)
        run.subject, run.model_version = launch_subject(model_uri, ev), (ev.model_name, ev.model_version)
        tier_rules = policy.tier(run.use_tier(tier or ev.version_tags.get(MODEL_TIER) or policy.default_tier))
        reqs = completeness(ev, tier_rules.required_evidence, policy_file(policy)[0])
        summary = summary_markdown(ev.model_uri, run.tier, reqs)
        rules = tier_rules.launch
        signoff = collect_signoffs(reqs, headless, rules, summary, signoff_timeout_seconds, signoff_poll_seconds)
        checks, findings = evidence_checks(reqs, signoff, ev, run.tier)
        decision = launch_decision(run.decide(checks, inconclusive_blocks=True), signoff)
        sealed, sealed_ok = seal_launch_package(ev, reqs, signoff, decision, run, rules, artifacts or [])
        checks.append(sealed_ok)
        result = run.finish(checks, findings=findings, decision=decision, artifacts=package_refs(sealed))
        tag_package(ev.model_name, ev.model_version, sealed)
        publish_package_artifacts(sealed, reqs, decision.outcome.value)
    return run.final_state(launch_result(result, run.record_id, sealed, sealed_ok, reqs, signoff))
