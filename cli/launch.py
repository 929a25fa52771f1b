"""The CLI side of the launch gate: resume a launch-evidence run waiting for a sign-off, list the runs
that wait, and the demo's automatic sign-offs. Talks to the Prefect API the runs use (PREFECT_API_URL)."""

from __future__ import annotations

from typing import Any
from uuid import UUID

from govgate.errors import GovgateError, InputError
from govgate.package import GATE
from govgate.policy import Policy


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
            flow_filter=FlowFilter(name=FlowFilterName(any_=[GATE])),
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


__all__ = ["demo_signoffs", "sign_off", "waiting_for_signoff"]
