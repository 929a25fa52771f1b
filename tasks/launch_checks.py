"""The launch gate's judgement: sign-offs collected (or not requested), completeness turned into checks
and findings, and the decision with its launch-specific reasons. Used by the launch-evidence flow."""

from __future__ import annotations

from dataclasses import dataclass, field

from prefect import get_run_logger
from prefect.cache_policies import NO_CACHE

from govgate import protocol
from govgate.errors import InputError
from govgate.modeling import parse_model_uri
from govgate.package import Evidence, Requirement, assess_signoffs
from govgate.record import AssetKind, Check, Decision, Finding, Outcome, Severity, SignOff, Subject
from tasks.govgate_task import govgate_task as task
from tasks.launch import request_signoffs

# Kinds that are not judged before sign-off: the sign-off itself and this package.
LATE_KINDS = ("signoff", "evidence_package")


@dataclass
class SignOffStatus:
    """The sign-off step's result: who signed, its outcome and why, and what stopped it, if anything."""

    collected: list[SignOff] = field(default_factory=list)
    outcome: str = "skipped"  # pass | fail | inconclusive | skipped
    message: str = ""
    blocking: list[Requirement] = field(default_factory=list)  # required evidence missing or not passing
    timed_out: str | None = None


def launch_subject(model_uri: str | None, ev: Evidence | None = None) -> Subject:
    """The model version launched: from its URI, then from what gathering resolved."""
    if ev is None:
        name, version, _ = parse_model_uri(model_uri or "")
        return Subject(
            kind=AssetKind.MODEL,
            id=name or model_uri or "(no model)",
            version=version,
            uris=[model_uri] if model_uri else [],
        )
    return Subject(
        kind=AssetKind.MODEL,
        id=ev.model_name,
        version=ev.model_version,
        uris=[ev.model_uri, *([ev.source] if ev.source else [])],
        attributes={"training_run_id": ev.run_id, "records": len(ev.records), "data_reviews": len(ev.data_reviews)},
    )


def launch_documents(
    model_uri: str | None, documents: dict[str, str | list[str]] | None, risk_assessment: str | None
) -> dict[str, list[str]]:
    """The documents given, by evidence kind (the risk assessment among them); the model URI checked."""
    if not model_uri or not parse_model_uri(model_uri)[0]:
        raise InputError(f"launch evidence needs a model version URI models:/NAME/VERSION (got {model_uri!r})")
    docs = {k: [v] if isinstance(v, str) else list(v) for k, v in (documents or {}).items()}
    if risk_assessment:
        docs.setdefault("risk_assessment", []).append(risk_assessment)
    return docs


def collect_signoffs(
    reqs: dict[str, Requirement],
    headless: list[SignOff] | None,
    rules,
    summary: str,
    timeout_seconds: int | None,
    poll_seconds: int,
) -> SignOffStatus:
    """Ask for sign-off only when the required evidence is complete: headless sign-offs as given, else
    pause the run for each approver (Prefect UI form, or ``govgate sign-off``)."""
    status = SignOffStatus(blocking=[r for r in reqs.values() if r.required and r.kind not in LATE_KINDS and not r.ok])
    if status.blocking:
        status.collected = headless or []
        status.message = (
            "not requested: the required evidence is incomplete ("
            + ", ".join(f"{r.kind} {r.status}" for r in status.blocking)
            + ")"
        )
    else:
        if headless is not None:
            status.collected = headless
        else:
            timeout = timeout_seconds or int(rules.signoff_timeout_hours * 3600)
            status.collected, status.timed_out = request_signoffs(
                rules, summary=summary, timeout=timeout, poll=poll_seconds
            )
        status.outcome, status.message = assess_signoffs(status.collected, rules, timed_out=status.timed_out)
    _set_signoff(reqs["signoff"], status, rules)
    get_run_logger().info("sign-off: %s: %s", status.outcome, status.message)
    return status


def _set_signoff(req: Requirement, status: SignOffStatus, rules) -> None:
    req.detail = status.message
    if rules.required_signoffs == 0:
        req.status = "not-required" if not req.required else "present"
    else:
        req.status = {"pass": "present", "fail": "not-passing", "skipped": "not-requested"}.get(
            status.outcome, "missing"
        )


@task(name="launch-evidence-checks", cache_policy=NO_CACHE)
def evidence_checks(
    reqs: dict[str, Requirement], signoff: SignOffStatus, ev: Evidence, tier: str
) -> tuple[list[Check], list[Finding]]:
    """One check per evidence kind (required ones fail when missing or not passing), the sign-off, and
    the lineage from the training run to reviewed data."""
    checks: list[Check] = []
    findings: list[Finding] = []
    for r in reqs.values():
        if r.kind == "signoff":
            continue
        checks.append(_requirement_check(r, tier))
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
        signoff.outcome
    ]
    checks.append(
        Check(
            id="launch.signoff",
            title="Accountable people signed off",
            category="signoff",
            outcome=so,
            message=signoff.message,
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
                message=signoff.message,
            )
        )
    checks.append(_lineage_check(ev))
    return checks, findings


def _requirement_check(r: Requirement, tier: str) -> Check:
    if r.required:
        outcome = Outcome.PASS if r.ok else Outcome.FAIL
    else:
        outcome = Outcome.PASS if r.ok else (Outcome.WARN if r.status == "not-passing" else Outcome.SKIPPED)
    msg = r.detail if r.ok or not r.required else f"{r.status}: {r.detail}"
    if not r.required and outcome == Outcome.SKIPPED:
        msg = f"not required at tier {tier}; {r.status}: {r.detail}"
    return Check(
        id=f"launch.evidence.{r.kind}",
        title=f"{'Required' if r.required else 'Optional'} evidence: {r.kind}",
        category="evidence",
        outcome=outcome,
        message=msg,
        evidence_kind=r.kind,
        details={"status": r.status, "required": r.required, "satisfied_by": r.satisfied_by},
    )


def _lineage_check(ev: Evidence) -> Check:
    lineage_ok = bool(ev.data_reviews)
    return Check(
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


def launch_decision(decision: Decision, signoff: SignOffStatus) -> Decision:
    """The policy's decision with the launch's reasons first, its sign-offs, and who decided."""
    if signoff.blocking:
        decision.reasons.insert(
            0, "launch stopped: required evidence " + ", ".join(f"{r.kind} ({r.status})" for r in signoff.blocking)
        )
    elif signoff.timed_out:
        decision.reasons.insert(0, f"launch needs review: {signoff.timed_out}")
    decision.sign_offs = signoff.collected
    approvers = [s.name for s in signoff.collected if s.decision == "approve"]
    decision.decided_by = ", ".join(approvers) if approvers and decision.outcome.value == "pass" else "policy"
    return decision


def _remedy(kind: str) -> str:
    return {
        "data_review": "run govgate review-data on the training data and tag the training run with "
        + protocol.gate_tag(protocol.DATA_REVIEW, protocol.RECORD_URI),
        "datasheet": "give the data review a datasheet (datasheet=PATH)",
        "model_review": "run govgate review-model on this model version",
        "model_card": "run the model review (it writes model_card.md)",
        "risk_assessment": "pass risk_assessment=PATH to the launch-evidence flow",
    }.get(kind, f"produce {kind} evidence (a gate record, or documents={{'{kind}': PATH}})")


def summary_markdown(model_uri: str, tier: str, reqs: dict[str, Requirement]) -> str:
    """What an approver sees in the sign-off form: the completeness table."""
    rows = "\n".join(
        f"| {r.kind} | {'yes' if r.required else 'no'} | {r.status} | {r.detail[:120]} |"
        for r in reqs.values()
        if r.kind not in LATE_KINDS and (r.required or r.status != "missing")
    )
    return f"Model version `{model_uri}`, tier **{tier}**.\n\n| evidence | required | status | detail |\n|---|---|---|---|\n{rows}"


def launch_result(
    published: dict, package_id: str, sealed, sealed_ok: Check, reqs: dict[str, Requirement], signoff: SignOffStatus
) -> dict:
    """What the flow returns (and prints): the publish result with the package and what is missing."""
    missing = [r.kind for r in reqs.values() if r.required and not r.ok]
    print(
        f"launch evidence for {sealed.manifest['subject']['model_uri']}: {published['decision']}"
        + (f" (missing or not passing: {', '.join(missing)})" if missing else "")
        + f"; package {sealed.folder_uri}"
    )
    return {
        **published,
        "package_id": package_id,
        "package_uri": sealed.folder_uri,
        "manifest_uri": sealed.uri,
        "manifest_sha256": sealed.manifest_sha256,
        "index_uri": sealed.index_uri,
        "signer": sealed_ok.details["signer"],
        "missing": missing,
        "signoffs": len(signoff.collected),
    }
