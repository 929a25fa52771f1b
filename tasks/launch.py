"""Launch evidence: the Prefect side (tasks, the sign-off form and pause, artifacts). The work itself is in
``govgate.package`` (gathering, completeness, signing, writing, verification)."""

from __future__ import annotations

from pathlib import Path
from typing import Any, Literal

from prefect import get_run_logger, task
from prefect.cache_policies import NO_CACHE
from prefect.input import RunInput
from pydantic import Field

from govgate.package import (
    Evidence,
    Requirement,
    SealedPackage,
    SigningKey,
    gather,
    load_signing_key,
    render_index,
    signoffs_needed,
    write_package,
)
from govgate.record import SignOff, utcnow
from govgate.store import ObjectStore, Retention
from tasks import context


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
    (or ``flows.launch_evidence.sign_off``). Stops at the first rejection. Returns (sign-offs, timeout
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
