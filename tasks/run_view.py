"""The decision where people look in Prefect: the flow run's name and tags, its final state, and a
``govgate.gate.decided`` event that automations can match (names and rules in ``govgate.summary``).

Labelling is best effort: a Prefect API hiccup is logged and never changes the gate's decision or record.
"""

from __future__ import annotations

from typing import Any
from uuid import UUID

from prefect import get_run_logger, runtime
from prefect.client.orchestration import get_client
from prefect.events import emit_event
from prefect.states import Completed, Failed, State

from govgate.protocol import (
    EVENT_LABEL_DECISION,
    EVENT_LABEL_GATE,
    EVENT_LABEL_SUBJECT,
    EVENT_LABEL_TIER,
    GATE_DECIDED_EVENT,
    GATE_RUN_RESOURCE,
    RUN_TAG_DECISION,
    RUN_TAG_GATE,
    RUN_TAG_TIER,
)
from govgate.record import GateResult, Subject
from govgate.summary import run_name, run_tags, run_verdict

_OWN_PREFIXES = (RUN_TAG_GATE, RUN_TAG_DECISION, RUN_TAG_TIER)


def label_run(gate: str, subject: Subject, tier: str | None, decision: str | None = None) -> None:
    """Name and tag the current flow run (gate and subject at the start, the decision once known)."""
    run_id = runtime.flow_run.id
    if not run_id:
        return
    try:
        with get_client(sync_client=True) as client:
            current = client.read_flow_run(UUID(str(run_id)))
            kept = [t for t in current.tags if not t.startswith(_OWN_PREFIXES)]  # deployment and user tags stay
            tags = list(dict.fromkeys([*kept, *run_tags(gate, tier, decision)]))
            client.update_flow_run(current.id, name=run_name(gate, subject, decision), tags=tags)
    except Exception as exc:  # noqa: BLE001 - the label is a convenience, the record is the evidence
        get_run_logger().warning("could not name and tag flow run %s in Prefect: %s", run_id, exc)


def emit_decided(record: GateResult, links: dict[str, str | None]) -> None:
    """One ``govgate.gate.decided`` event per published record; its resource labels carry the decision."""
    decision = record.decision.outcome.value
    run_id = runtime.flow_run.id
    related = [{"prefect.resource.id": f"prefect.flow-run.{run_id}", "prefect.resource.role": "flow-run"}]
    try:
        emit_event(
            event=GATE_DECIDED_EVENT,
            resource={
                "prefect.resource.id": GATE_RUN_RESOURCE + record.record_id,
                "prefect.resource.name": run_name(record.gate, record.subject, decision),
                EVENT_LABEL_GATE: record.gate,
                EVENT_LABEL_DECISION: decision,
                EVENT_LABEL_TIER: record.policy.tier,
                EVENT_LABEL_SUBJECT: record.subject.id,
            },
            related=related if run_id else [],
            payload={"reasons": list(record.decision.reasons[:10]), **{k: v for k, v in links.items() if v}},
        )
    except Exception as exc:  # noqa: BLE001 - as above: an event that cannot be sent never changes the record
        get_run_logger().warning("could not emit %s for record %s: %s", GATE_DECIDED_EVENT, record.record_id, exc)


def final_state(record: GateResult, result: Any, fail_run_on: list[str]) -> State:
    """The state the flow run ends in, carrying ``result`` (read it with ``state.result(raise_on_failure=False)``)."""
    verdict = run_verdict(record, fail_run_on)
    make = Failed if verdict.failed else Completed
    return make(name=verdict.name, message=verdict.message, data=result)
