"""launch-evidence: may this model version launch? Gather its evidence, ask the accountable people to sign
off, and seal a signed, write-once package an auditor can verify years later.

1. gather the version's records (model-version tags, store layout), the data reviews of its training
   data (lineage) and the documents given (risk assessment, ...);
2. a completeness table against the tier's ``required_evidence``; anything missing or not passing
   stops the launch (decision ``fail``) and the package still records what was there;
3. sign-off: the run pauses for each approver the tier needs (Prefect UI form, or ``sign_off`` from
   the CLI); a rejection fails the launch; a timeout ends it as ``needs-review``. Headless: ``signoffs``;
4. the package (see ``govgate.package``), sealed last with the Ed25519-signed ``package.json``; the gate
   record beside it; the version tagged ``govgate.launch.decision`` / ``govgate.launch.package_uri``.

Functions for the CLI: ``sign_off`` (resume a waiting run with a sign-off), ``waiting_for_signoff``
(runs paused for a sign-off), ``demo_signoffs`` (the demo's automatic sign-off), and
``govgate.package.verify_package`` (``govgate verify-evidence URI``).
"""

from __future__ import annotations

import json
from typing import Any
from uuid import UUID

from prefect import flow, get_run_logger

from govgate import __version__
from govgate.errors import GovgateError, InputError
from govgate.gate import build_record, error_record, unloaded_policy_ref
from govgate.modeling import parse_model_uri
from govgate.package import (
    GATE,
    LINEAGE_NAME,
    MANIFEST_NAME,
    PUBLIC_KEY_NAME,
    SIGNOFFS_NAME,
    Requirement,
    assess_signoffs,
    completeness,
    launch_retention,
    package_prefix,
    parse_signoffs,
    record_files,
)
from govgate.policy import Policy, load_policy
from govgate.record import (
    ArtifactRef,
    AssetKind,
    Check,
    Finding,
    Outcome,
    Severity,
    SignOff,
    Subject,
    decide,
    new_record_id,
    utcnow,
)
from tasks import context
from tasks.evidence import publish_evidence
from tasks.launch import (
    gather_evidence,
    policy_file,
    publish_package_artifacts,
    request_signoffs,
    seal_package,
    signing_key,
)

# Kinds that are not judged before sign-off: the sign-off itself and this package.
LATE_KINDS = ("signoff", "evidence_package")


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
    logger = get_run_logger()
    started = utcnow()
    package_id = new_record_id(started)
    settings = context.settings()
    if not model_uri and model_name and model_version:
        model_uri = f"models:/{model_name}/{model_version}"
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
    name, version, _ = parse_model_uri(model_uri or "")
    subject = Subject(
        kind=AssetKind.MODEL,
        id=name or model_uri or "(no model)",
        version=version,
        uris=[model_uri] if model_uri else [],
    )
    policy: Policy | None = None
    checks: list[Check] = []
    try:
        policy = load_policy(settings.policy)
        if not model_uri or not name:
            raise InputError(f"launch evidence needs a model version URI models:/NAME/VERSION (got {model_uri!r})")
        docs: dict[str, list[str]] = {k: [v] if isinstance(v, str) else list(v) for k, v in (documents or {}).items()}
        if risk_assessment:
            docs.setdefault("risk_assessment", []).append(risk_assessment)
        headless = parse_signoffs(signoffs)  # fail early on a bad sign-off file
        ev = gather_evidence(model_uri, data_review or [], docs)
        name, version = ev.model_name, ev.model_version
        subject = Subject(
            kind=AssetKind.MODEL,
            id=name,
            version=version,
            uris=[ev.model_uri, *([ev.source] if ev.source else [])],
            attributes={"training_run_id": ev.run_id, "records": len(ev.records), "data_reviews": len(ev.data_reviews)},
        )
        tier = tier or ev.version_tags.get("govgate.tier") or policy.default_tier
        tier_rules = policy.tier(tier)
        rules = tier_rules.launch
        policy_name, policy_path = policy_file(policy)
        reqs = completeness(ev, tier_rules.required_evidence, policy_name)
        blocking = [r for r in reqs.values() if r.required and r.kind not in LATE_KINDS and not r.ok]

        # sign-off
        timed_out = None
        if blocking:
            collected = headless or []
            so_outcome = "skipped"
            so_message = (
                "not requested: the required evidence is incomplete ("
                + ", ".join(f"{r.kind} {r.status}" for r in blocking)
                + ")"
            )
        else:
            if headless is not None:
                collected = headless
            else:
                timeout = signoff_timeout_seconds or int(rules.signoff_timeout_hours * 3600)
                summary = _summary_markdown(ev.model_uri, tier, reqs)
                collected, timed_out = request_signoffs(
                    rules, summary=summary, timeout=timeout, poll=signoff_poll_seconds
                )
            so_outcome, so_message = assess_signoffs(collected, rules, timed_out=timed_out)
        _set_signoff(reqs["signoff"], so_outcome, so_message, rules)
        logger.info("sign-off: %s: %s", so_outcome, so_message)

        checks, findings = _checks(reqs, so_outcome, so_message, ev, tier)
        decision = decide([c for c in checks if c.outcome != Outcome.SKIPPED], inconclusive_blocks=True)
        if blocking:
            decision.reasons.insert(
                0, "launch stopped: required evidence " + ", ".join(f"{r.kind} ({r.status})" for r in blocking)
            )
        elif timed_out:
            decision.reasons.insert(0, f"launch needs review: {timed_out}")
        decision.sign_offs = collected
        approvers = [s.name for s in collected if s.decision == "approve"]
        decision.decided_by = ", ".join(approvers) if approvers and decision.outcome.value == "pass" else "policy"

        # the package
        store = context.store(settings)
        key = signing_key()
        prefix = package_prefix(name, version, package_id)
        files: dict[str, Any] = dict(record_files(ev))
        for kind_files in ev.documents.values():
            files.update(dict(kind_files))
        files[policy_name] = policy_path
        files[SIGNOFFS_NAME] = _json(
            {"status": {"outcome": so_outcome, "message": so_message}, "signoffs": _signoff_dicts(collected)}
        )
        files[LINEAGE_NAME] = _json(ev.lineage)
        files[PUBLIC_KEY_NAME] = key.public_pem()
        files.update(_artifact_files(artifacts or []))
        run_ids = context.run_ids()
        fields = {
            "package_id": package_id,
            "gate": GATE,
            "created_at": started.isoformat(),
            "govgate_version": __version__,
            "prefect_flow_run_id": run_ids.get("prefect_flow_run_id"),
            "subject": {
                "kind": "model",
                "model_uri": ev.model_uri,
                "name": name,
                "version": version,
                "source": ev.source,
                "run_id": ev.run_id,
            },
            "policy": {**policy.ref(tier).model_dump(), "file": policy_name},
            "decision": {"outcome": decision.outcome.value, "reasons": decision.reasons},
            "records": [r.summary() for r in ev.all_records()],
            "superseded_records": [r.summary() for r in ev.superseded],
            "completeness": [r.as_dict() for r in reqs.values()],
            "signoffs": _signoff_dicts(collected),
            "signoff_status": {"outcome": so_outcome, "message": so_message},
            "lineage": ev.lineage,
            "signer": key.fingerprint,
        }
        retention = launch_retention(rules, store)
        if retention is None and rules.object_lock_mode and rules.object_lock_days > 0:
            fields["object_lock_note"] = (
                f"the store {store.url} has no Object Lock; the tier asks {rules.object_lock_mode} for {rules.object_lock_days} days"
            )
        sealed = seal_package(store, prefix, files, fields, reqs, key, retention)

        checks.append(
            Check(
                id="launch.package.sealed",
                title="Evidence package sealed (signed manifest, write-once)",
                category="evidence",
                outcome=Outcome.PASS,
                evidence_kind="evidence_package",
                message=f"{len(sealed.files)} files, manifest sha256 {sealed.manifest_sha256[:16]}, "
                f"{'Object Lock ' + retention.mode + ' until ' + retention.until.date().isoformat() if retention else 'no Object Lock'}",
                details={
                    "package_uri": sealed.folder_uri,
                    "manifest_sha256": sealed.manifest_sha256,
                    "signer": key.fingerprint,
                    "files": len(sealed.files),
                    "bytes": sealed.bytes_written,
                },
            )
        )
        record = build_record(
            gate=GATE,
            subject=subject,
            policy=policy,
            tier=tier,
            started_at=started,
            checks=checks,
            findings=findings,
            decision=decision,
            parameters=params,
            runtime=run_ids,
            record_id=package_id,
        )
        record.artifacts += [
            ArtifactRef(
                name=MANIFEST_NAME,
                uri=sealed.uri,
                sha256=sealed.manifest_sha256,
                size=len(json.dumps(sealed.manifest, indent=2, sort_keys=True, default=str).encode()),
                media_type="application/json",
            ),
            ArtifactRef(
                name="annex-iv.html",
                uri=sealed.index_uri,
                sha256=sealed.files["annex-iv.html"]["sha256"],
                size=sealed.files["annex-iv.html"]["size"],
                media_type="text/html; charset=utf-8",
            ),
        ]
        result = publish_evidence(record, model_version=(name, version))
        context.tracker(settings).set_model_version_tags(
            name,
            version,
            {
                "govgate.launch.decision": decision.outcome.value,
                "govgate.launch.package_uri": sealed.folder_uri,
                "govgate.launch.package_id": package_id,
                "govgate.launch.manifest_sha256": sealed.manifest_sha256,
            },
        )
        publish_package_artifacts(sealed, reqs, decision.outcome.value)
    except GovgateError as exc:
        logger.error("launch evidence could not finish: %s", exc)
        failed = error_record(
            gate=GATE,
            subject=subject,
            policy=policy or unloaded_policy_ref(settings.policy, tier),
            tier=tier,
            started_at=started,
            error=exc,
            checks=checks,
            parameters=params,
            runtime=context.run_ids(),
            record_id=package_id,
        )
        try:
            publish_evidence(failed, model_version=(name, version) if name and version else None)
        except GovgateError as publish_exc:
            logger.error("the error record could not be published either: %s", publish_exc)
        raise
    missing = [r.kind for r in reqs.values() if r.required and not r.ok]
    out = {
        **result,
        "package_id": package_id,
        "package_uri": sealed.folder_uri,
        "manifest_uri": sealed.uri,
        "manifest_sha256": sealed.manifest_sha256,
        "index_uri": sealed.index_uri,
        "signer": key.fingerprint,
        "missing": missing,
        "signoffs": len(collected),
    }
    print(
        f"launch evidence for {ev.model_uri}: {decision.outcome.value}"
        + (f" (missing or not passing: {', '.join(missing)})" if missing else "")
        + f"; package {sealed.folder_uri}"
    )
    return out


def _set_signoff(req: Requirement, outcome: str, message: str, rules) -> None:
    req.detail = message
    if rules.required_signoffs == 0:
        req.status = "not-required" if not req.required else "present"
    else:
        req.status = {"pass": "present", "fail": "not-passing", "skipped": "not-requested"}.get(outcome, "missing")


def _checks(
    reqs: dict[str, Requirement], so_outcome: str, so_message: str, ev, tier: str
) -> tuple[list[Check], list[Finding]]:
    checks: list[Check] = []
    findings: list[Finding] = []
    for r in reqs.values():
        if r.kind == "signoff":
            continue
        if r.required:
            outcome = Outcome.PASS if r.ok else Outcome.FAIL
        else:
            outcome = Outcome.PASS if r.ok else (Outcome.WARN if r.status == "not-passing" else Outcome.SKIPPED)
        msg = r.detail if r.ok or not r.required else f"{r.status}: {r.detail}"
        if not r.required and outcome == Outcome.SKIPPED:
            msg = f"not required at tier {tier}; {r.status}: {r.detail}"
        checks.append(
            Check(
                id=f"launch.evidence.{r.kind}",
                title=f"{'Required' if r.required else 'Optional'} evidence: {r.kind}",
                category="evidence",
                outcome=outcome,
                message=msg,
                evidence_kind=r.kind,
                details={"status": r.status, "required": r.required, "satisfied_by": r.satisfied_by},
            )
        )
        if r.required and not r.ok:
            findings.append(
                Finding(
                    id=f"launch.evidence.{r.kind}.{r.status}",
                    severity=Severity.HIGH,
                    category="evidence",
                    check_id=f"launch.evidence.{r.kind}",
                    message=f"required evidence {r.kind} is {r.status}: {r.detail}",
                    remediation=_remedy(r.kind),
                )
            )
    so = {"pass": Outcome.PASS, "fail": Outcome.FAIL, "inconclusive": Outcome.INCONCLUSIVE, "skipped": Outcome.SKIPPED}[
        so_outcome
    ]
    checks.append(
        Check(
            id="launch.signoff",
            title="Accountable people signed off",
            category="signoff",
            outcome=so,
            message=so_message,
            evidence_kind="signoff",
            details={"signoffs": reqs["signoff"].satisfied_by},
        )
    )
    if so in (Outcome.FAIL, Outcome.INCONCLUSIVE):
        findings.append(
            Finding(
                id=f"launch.signoff.{so.value}",
                severity=Severity.HIGH,
                category="signoff",
                check_id="launch.signoff",
                message=so_message,
            )
        )
    lineage_ok = bool(ev.data_reviews)
    checks.append(
        Check(
            id="launch.lineage",
            title="Lineage from the training run to reviewed data",
            category="lineage",
            outcome=Outcome.PASS if lineage_ok else Outcome.WARN,
            message=(
                f"{len(ev.data_reviews)} data review(s) via " + "; ".join(f["via"] for f in ev.lineage.get("found", []))
            )
            if lineage_ok
            else "; ".join(ev.notes)[:1000] or "no lineage found",
            details={"training_run": ev.lineage.get("training_run"), "datasets": ev.lineage.get("datasets", [])},
        )
    )
    return checks, findings


def _remedy(kind: str) -> str:
    return {
        "data_review": "run govgate review-data on the training data and tag the training run with govgate.data_review.record_uri",
        "datasheet": "give the data review a datasheet (datasheet=PATH)",
        "model_review": "run govgate review-model on this model version",
        "model_card": "run the model review (it writes model_card.md)",
        "risk_assessment": "pass risk_assessment=PATH to the launch-evidence flow",
    }.get(kind, f"produce {kind} evidence (a gate record, or documents={{'{kind}': PATH}})")


def _summary_markdown(model_uri: str, tier: str, reqs: dict[str, Requirement]) -> str:
    rows = "\n".join(
        f"| {r.kind} | {'yes' if r.required else 'no'} | {r.status} | {r.detail[:120]} |"
        for r in reqs.values()
        if r.kind not in LATE_KINDS and (r.required or r.status != "missing")
    )
    return f"Model version `{model_uri}`, tier **{tier}**.\n\n| evidence | required | status | detail |\n|---|---|---|---|\n{rows}"


def _signoff_dicts(signoffs: list[SignOff]) -> list[dict[str, Any]]:
    return [s.model_dump(mode="json") for s in signoffs]


def _json(data: Any) -> bytes:
    return json.dumps(data, indent=2, sort_keys=True, default=str).encode()


def _artifact_files(sources: list[str]) -> dict[str, Any]:
    from pathlib import Path

    from govgate.record import slug

    out: dict[str, Any] = {}
    for src in sources:
        path = Path(src).expanduser()
        if path.is_file():
            out[f"artifacts/{slug(path.name)}"] = path
        elif path.is_dir():
            for p in sorted(x for x in path.rglob("*") if x.is_file()):
                out[f"artifacts/{slug(path.name)}/" + "/".join(slug(x) for x in p.relative_to(path).parts)] = p
        else:
            raise InputError(f"artifact {src} does not exist (give local files or folders)")
    return out


# --------------------------------------------------------------------------------------------------
# for the CLI
# --------------------------------------------------------------------------------------------------


def sign_off(
    flow_run_id: str | UUID,
    name: str,
    role: str,
    decision: str,
    comment: str = "",
    accepted_risks: list[str] | None = None,
) -> None:
    """Resume a launch-evidence run that waits for a sign-off, with this person's decision (the same
    form the Prefect UI shows). Needs the Prefect API the run uses (PREFECT_API_URL)."""
    from prefect.exceptions import NotPausedError, ObjectNotFound
    from prefect.flow_runs import resume_flow_run

    if decision not in ("approve", "reject"):
        raise InputError(f"decision {decision!r}: expected approve or reject")
    if not name.strip() or not role.strip():
        raise InputError("a sign-off needs the approver's name and role")
    try:
        run_id = UUID(str(flow_run_id))
    except ValueError:
        raise InputError(f"{flow_run_id!r} is not a flow run id") from None
    run_input = {
        "name": name,
        "role": role,
        "decision": decision,
        "comment": comment,
        "accepted_risks": list(accepted_risks or []),
    }
    try:
        resume_flow_run(run_id, run_input=run_input)
    except NotPausedError:
        raise GovgateError(f"flow run {run_id} is not waiting for a sign-off (it is not paused)") from None
    except ObjectNotFound:
        raise GovgateError(f"no flow run {run_id} on the Prefect server") from None
    except RuntimeError as exc:  # rejected: e.g. the form is not saved yet, or the input does not validate
        raise GovgateError(f"flow run {run_id} refused the sign-off: {exc}") from None


def waiting_for_signoff() -> list[dict[str, Any]]:
    """launch-evidence runs paused for a sign-off: id, model URI, since when, which sign-off."""
    from prefect.client.orchestration import get_client
    from prefect.client.schemas.filters import (
        FlowFilter,
        FlowFilterName,
        FlowRunFilter,
        FlowRunFilterState,
        FlowRunFilterStateType,
    )
    from prefect.client.schemas.objects import StateType

    with get_client(sync_client=True) as client:
        runs = client.read_flow_runs(
            flow_filter=FlowFilter(name=FlowFilterName(any_=["launch-evidence"])),
            flow_run_filter=FlowRunFilter(
                state=FlowRunFilterState(type=FlowRunFilterStateType(any_=[StateType.PAUSED]))
            ),
        )
    return [
        {
            "flow_run_id": str(r.id),
            "flow_run_name": r.name,
            "model_uri": (r.parameters or {}).get("model_uri")
            or (
                f"models:/{r.parameters.get('model_name')}/{r.parameters.get('model_version')}"
                if (r.parameters or {}).get("model_name")
                else None
            ),
            "paused_since": r.state.timestamp.isoformat() if r.state and r.state.timestamp else None,
            "pause_key": r.state.state_details.pause_key if r.state else None,
        }
        for r in runs
    ]


def demo_signoffs(policy: Policy, tier: str | None = None) -> list[dict[str, Any]]:
    """Automatic sign-offs for the demo: one approval per role (and count) the tier needs, marked as not
    a human decision."""
    rules = policy.tier(tier).launch
    roles = list(rules.signoff_roles) or ["model_owner"]
    while len(roles) < rules.required_signoffs:
        roles.append(f"approver_{len(roles) + 1}")
    return [
        {
            "name": f"demo approver {i + 1} (automatic)",
            "role": role,
            "decision": "approve",
            "comment": "automatic demo sign-off: not a human decision",
            "accepted_risks": [],
        }
        for i, role in enumerate(roles[: max(rules.required_signoffs, len(rules.signoff_roles))])
    ]


__all__ = ["demo_signoffs", "launch_evidence", "sign_off", "waiting_for_signoff"]
