"""Building records the same way in every gate: subject digests, provenance, error records."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path

from govgate import provenance
from govgate.digest import sha256_file
from govgate.policy import Policy
from govgate.record import (
    Check,
    Decision,
    DecisionOutcome,
    Finding,
    GateResult,
    InputDigest,
    Outcome,
    PolicyRef,
    Subject,
    new_record_id,
    utcnow,
)


def input_digest(path_or_uri: str | Path, role: str = "input") -> InputDigest:
    path = Path(path_or_uri)
    if path.is_file():
        digest, size = sha256_file(path)
        return InputDigest(uri=path.resolve().as_uri(), sha256=digest, size=size, role=role)
    return InputDigest(uri=str(path_or_uri), role=role)


def unloaded_policy_ref(path: str | Path, tier: str | None) -> PolicyRef:
    """A policy reference for records written when the policy itself could not be loaded."""
    path = Path(path)
    digest = sha256_file(path)[0] if path.is_file() else ""
    return PolicyRef(name="(not loaded)", version="", tier=tier or "", path=str(path), sha256=digest)


def build_record(
    *,
    gate: str,
    subject: Subject,
    policy: Policy | PolicyRef,
    tier: str | None,
    started_at: datetime,
    checks: list[Check],
    findings: list[Finding] | None = None,
    decision: Decision,
    parameters: dict | None = None,
    runtime: dict[str, str | None] | None = None,
    record_id: str | None = None,
    outputs: dict | None = None,
) -> GateResult:
    ref = policy.ref(tier) if isinstance(policy, Policy) else policy
    return GateResult(
        record_id=record_id or new_record_id(started_at),
        gate=gate,
        subject=subject,
        policy=ref,
        started_at=started_at,
        finished_at=utcnow(),
        provenance=provenance.collect(**(runtime or {})),
        checks=checks,
        findings=findings or [],
        decision=decision,
        parameters=_jsonable(parameters or {}),
        outputs=outputs or {},
    )


def error_record(
    *,
    gate: str,
    subject: Subject,
    policy: Policy | PolicyRef,
    tier: str | None,
    started_at: datetime,
    error: BaseException,
    checks: list[Check] | None = None,
    parameters: dict | None = None,
    runtime: dict[str, str | None] | None = None,
    record_id: str | None = None,
) -> GateResult:
    """The record of a run that could not finish: an ``error`` check and decision naming the cause."""
    message = str(error) or type(error).__name__
    failed = Check(
        id=f"{gate}.run", title="The gate ran to completion", category="run", outcome=Outcome.ERROR, message=message
    )
    return build_record(
        gate=gate,
        subject=subject,
        policy=policy,
        tier=tier,
        started_at=started_at,
        checks=[*(checks or []), failed],
        decision=Decision(outcome=DecisionOutcome.ERROR, reasons=[message]),
        parameters=parameters,
        runtime=runtime,
        record_id=record_id,
    )


def _jsonable(params: dict) -> dict:
    out = {}
    for k, v in params.items():
        if isinstance(v, (str, int, float, bool)) or v is None:
            out[k] = v
        elif isinstance(v, (list, tuple)):
            out[k] = [x if isinstance(x, (str, int, float, bool)) or x is None else str(x) for x in v]
        else:
            out[k] = str(v)
    return out
