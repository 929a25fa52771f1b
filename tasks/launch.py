"""Launch evidence: the Prefect side (tasks, the sign-off form and pause, artifacts). The work itself is in
``govgate.package`` (gathering, completeness, signing, writing, verification)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any, Literal

from prefect import get_run_logger
from prefect.cache_policies import NO_CACHE
from prefect.input import RunInput
from pydantic import Field

from govgate import __version__, protocol
from govgate.errors import InputError
from govgate.package import (
    GATE,
    LINEAGE_NAME,
    MANIFEST_NAME,
    PUBLIC_KEY_NAME,
    SIGNOFFS_NAME,
    Evidence,
    Requirement,
    SealedPackage,
    SigningKey,
    gather,
    launch_retention,
    load_signing_key,
    package_prefix,
    record_files,
    render_index,
    signoffs_needed,
    write_package,
)
from govgate.record import ArtifactRef, Check, Decision, Outcome, SignOff, slug, utcnow
from govgate.store import ObjectStore, Retention
from tasks import context
from tasks.govgate_task import govgate_task as task


class SignOffInput(RunInput):
    """The form a paused launch-evidence run shows in the Prefect UI (and what ``sign_off`` sends)."""

    name: str = Field(..., min_length=1, description="Your full name")
    role: str = Field(..., min_length=1, description="Your role, e.g. model_owner or risk_officer")
    decision: Literal["approve", "reject"] = Field(..., description="approve the launch, or reject it")
    comment: str = Field("", description="Why; conditions of the approval")
    accepted_risks: list[str] = Field(default_factory=list, description="Residual risks you accept, one per item")


@task(name="gather-evidence", cache_policy=NO_CACHE)
def gather_evidence(model_uri: str, data_review: list[str], documents: dict[str, list[str]]) -> Evidence:
    """Records of the model version (tags, store layout), data reviews of its training data (lineage)
    and the given documents."""
    logger = get_run_logger()
    s = context.settings()
    ev = gather(
        model_uri,
        store=context.store(s),
        tracker=context.tracker(s),
        settings=s,
        data_review_refs=data_review,
        documents=documents,
    )
    logger.info(
        "found %d record(s) for %s (%s); %d data review(s) of the training data; %d document kind(s)",
        len(ev.records),
        ev.model_uri,
        ", ".join(f"{g} {r.record_id}: {r.decision}" for g, r in ev.records.items()) or "none",
        len(ev.data_reviews),
        len(ev.documents),
    )
    for note in ev.notes:
        logger.info("gathering: %s", note)
    return ev


@task(name="seal-package", cache_policy=NO_CACHE)
def seal_package(
    store: ObjectStore,
    prefix: str,
    files: dict[str, Any],
    fields: dict[str, Any],
    requirements: dict[str, Requirement],
    key: SigningKey,
    retention: Retention | None,
) -> SealedPackage:
    """Write every file once, the Annex IV index, the signature and, last, the signed manifest."""
    logger = get_run_logger()
    sealed = write_package(
        store,
        prefix,
        files,
        fields,
        key,
        retention=retention,
        index=lambda written: render_index(fields, requirements, written),
    )
    logger.info(
        "sealed package %s: %d files, %s bytes in %.1f s, manifest sha256 %s",
        sealed.uri,
        len(sealed.files),
        f"{sealed.bytes_written:,}",
        sealed.seconds,
        sealed.manifest_sha256,
    )
    return sealed


def signing_key() -> SigningKey:
    return load_signing_key(context.settings())


def request_signoffs(rules, *, summary: str, timeout: int, poll: int) -> tuple[list[SignOff], str | None]:
    """Pause the flow run once per approver the tier needs and collect each sign-off from the Prefect UI
    (or ``cli.launch.sign_off``). Stops at the first rejection. Returns (sign-offs, timeout
    message or None)."""
    from prefect.exceptions import FlowPauseTimeout
    from prefect.flow_runs import pause_flow_run

    logger = get_run_logger()
    needed = signoffs_needed(rules)
    got: list[SignOff] = []
    for i in range(needed):
        approved_roles = {s.role for s in got if s.decision == "approve"}
        open_roles = [r for r in rules.signoff_roles if r not in approved_roles]
        desc = (
            f"## Launch sign-off {i + 1} of {needed}\n\n{summary}\n\n"
            + (f"Roles still to approve: **{', '.join(open_roles)}**.\n" if open_roles else "")
            + "Approve or reject; list the residual risks you accept."
        )
        form = SignOffInput.with_initial_data(description=desc, **({"role": open_roles[0]} if open_roles else {}))
        logger.info(
            "waiting up to %d s for sign-off %d of %d (roles still open: %s)",
            timeout,
            i + 1,
            needed,
            ", ".join(open_roles) or "any",
        )
        try:
            answer = pause_flow_run(
                wait_for_input=form, timeout=timeout, poll_interval=poll, key=f"launch-signoff-{i + 1}"
            )
        except FlowPauseTimeout:
            _back_to_running()
            return got, f"sign-off {i + 1} of {needed} timed out after {timeout} s"
        signoff = SignOff(
            name=answer.name.strip(),
            role=answer.role.strip(),
            decision=answer.decision,
            comment=answer.comment,
            accepted_risks=[r for r in answer.accepted_risks if r.strip()],
            signed_at=utcnow(),
        )
        logger.info("sign-off %d of %d: %s (%s) %s", i + 1, needed, signoff.name, signoff.role, signoff.decision)
        got.append(signoff)
        if signoff.decision == "reject":
            break
    return got, None


def _back_to_running() -> None:
    """After a pause timed out the run is still PAUSED on the server, which refuses its tasks and its
    completion; put it back to RUNNING so the flow can record the needs-review outcome."""
    from prefect import runtime
    from prefect.client.orchestration import get_client
    from prefect.states import Running

    with get_client(sync_client=True) as client:
        client.set_flow_run_state(runtime.flow_run.id, Running(message="sign-off timed out"), force=True)


def publish_package_artifacts(sealed: SealedPackage, requirements: dict[str, Requirement], decision: str) -> None:
    from prefect.artifacts import create_link_artifact, create_table_artifact

    create_table_artifact(
        key="launch-evidence-completeness",
        table=[
            {
                "evidence": r.kind,
                "required": "yes" if r.required else "no",
                "status": r.status,
                "served by": ", ".join(r.satisfied_by) or "none",
                "detail": r.detail,
            }
            for r in requirements.values()
        ],
        description=f"Launch evidence {decision}: completeness of package {sealed.package_id}",
    )
    create_link_artifact(
        key="launch-evidence-package",
        link=sealed.index_uri,
        link_text=f"EU AI Act Annex IV / ISO 42001 index of package {sealed.package_id}",
        description=f"signed manifest {sealed.uri} (sha256 {sealed.manifest_sha256})",
    )


def policy_file(policy) -> tuple[str, Path]:
    path = Path(policy.path)
    return f"policy/{path.name}", path


# ----------------------------------------------------------------------------------------- the package


def seal_launch_package(
    ev: Evidence, reqs: dict[str, Requirement], signoff, decision: Decision, run, rules, artifacts: list[str]
) -> tuple[SealedPackage, Check]:
    """Seal the package of this launch (records, documents, policy, sign-offs, lineage, public key and
    more artifacts) under the run's id: the sealed package and the check that says so.
    ``run`` is the flow's GateRun (package id, start time, policy and tier)."""
    settings, policy = run.settings, run.policy
    store = context.store(settings)
    key = signing_key()
    policy_name, policy_path = policy_file(policy)
    collected = [s.model_dump(mode="json") for s in signoff.collected]
    files: dict[str, Any] = dict(record_files(ev))
    for kind_files in ev.documents.values():
        files.update(dict(kind_files))
    files[policy_name] = policy_path
    status = {"outcome": signoff.outcome, "message": signoff.message}
    files[SIGNOFFS_NAME] = _json({"status": status, "signoffs": collected})
    files[LINEAGE_NAME] = _json(ev.lineage)
    files[PUBLIC_KEY_NAME] = key.public_pem()
    files.update(artifact_files(artifacts))
    fields = {
        "package_id": run.record_id,
        "gate": GATE,
        "created_at": run.started_at.isoformat(),
        "govgate_version": __version__,
        "prefect_flow_run_id": context.run_ids().get("prefect_flow_run_id"),
        "subject": {
            "kind": "model",
            "model_uri": ev.model_uri,
            "name": ev.model_name,
            "version": ev.model_version,
            "source": ev.source,
            "run_id": ev.run_id,
        },
        "policy": {**policy.ref(run.tier).model_dump(), "file": policy_name},
        "decision": {"outcome": decision.outcome.value, "reasons": decision.reasons},
        "records": [r.summary() for r in ev.all_records()],
        "superseded_records": [r.summary() for r in ev.superseded],
        "completeness": [r.as_dict() for r in reqs.values()],
        "signoffs": collected,
        "signoff_status": status,
        "lineage": ev.lineage,
        "signer": key.fingerprint,
    }
    retention = launch_retention(rules, store)
    if retention is None and rules.object_lock_mode and rules.object_lock_days > 0:
        fields["object_lock_note"] = (
            f"the store {store.url} has no Object Lock; the tier asks {rules.object_lock_mode} for {rules.object_lock_days} days"
        )
    prefix = package_prefix(ev.model_name, ev.model_version, run.record_id)
    sealed = seal_package(store, prefix, files, fields, reqs, key, retention)
    return sealed, sealed_check(sealed, key.fingerprint, retention)


def sealed_check(sealed: SealedPackage, signer: str, retention: Retention | None) -> Check:
    lock = f"Object Lock {retention.mode} until {retention.until.date().isoformat()}" if retention else "no Object Lock"
    return Check(
        id="launch.package.sealed",
        title="Evidence package sealed (signed manifest, write-once)",
        category="evidence",
        outcome=Outcome.PASS,
        evidence_kind="evidence_package",
        message=f"{len(sealed.files)} files, manifest sha256 {sealed.manifest_sha256[:16]}, {lock}",
        details={
            "package_uri": sealed.folder_uri,
            "manifest_sha256": sealed.manifest_sha256,
            "signer": signer,
            "files": len(sealed.files),
            "bytes": sealed.bytes_written,
        },
    )


def package_refs(sealed: SealedPackage) -> list[ArtifactRef]:
    """The record's links to the package: its signed manifest and its Annex IV index."""
    return [
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


@task(name="tag-launch-package", cache_policy=NO_CACHE)
def tag_package(name: str, version: str, sealed: SealedPackage) -> None:
    """The version's launch tags (one family, ``govgate.launch_evidence.*``) name its package."""
    uri_tag = protocol.gate_tag(protocol.LAUNCH_EVIDENCE, protocol.PACKAGE_URI)
    tags = {
        uri_tag: sealed.folder_uri,
        protocol.gate_tag(protocol.LAUNCH_EVIDENCE, protocol.PACKAGE_ID): sealed.package_id,
        protocol.gate_tag(protocol.LAUNCH_EVIDENCE, protocol.MANIFEST_SHA256): sealed.manifest_sha256,
    }
    context.tracker().set_model_version_tags(name, version, tags)


def _json(data: Any) -> bytes:
    return json.dumps(data, indent=2, sort_keys=True, default=str).encode()


def artifact_files(sources: list[str]) -> dict[str, Any]:
    """More files or folders to seal into the package, under artifacts/ (an InputError names a missing one)."""
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
