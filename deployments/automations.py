"""A Prefect automation that fires when a gate decides FAIL (docs/prefect-ui.md).

Every published gate record emits one ``govgate.gate.decided`` event whose resource labels carry the
decision (``govgate.decision``), the gate, the tier and the subject. This trigger matches the FAIL ones;
give it the action you want (a notification block, a webhook, a deployment run). Create it once:

    python -m deployments.automations            # prints the automation's id

or copy ``gate_failed_automation()`` and change ``match`` (say, only ``govgate.tier: high``).
"""

from __future__ import annotations

from prefect.automations import Automation
from prefect.events.actions import DoNothing
from prefect.events.schemas.automations import EventTrigger, Posture

from govgate.protocol import EVENT_LABEL_DECISION, GATE_DECIDED_EVENT, GATE_RUN_RESOURCE


def gate_failed_automation(name: str = "govgate-gate-failed", actions: list | None = None) -> Automation:
    """Fire on every ``govgate.gate.decided`` event with decision ``fail`` (any gate, any tier).

    ``actions``: what to do, e.g. ``[SendNotification(block_document_id=..., subject=..., body=...)]``;
    the default does nothing but is still recorded as triggered (useful to see it work)."""
    return Automation(
        name=name,
        description="a govgate gate decided FAIL: the record and report links are in the event's payload",
        trigger=EventTrigger(
            expect={GATE_DECIDED_EVENT},
            match={"prefect.resource.id": GATE_RUN_RESOURCE + "*", EVENT_LABEL_DECISION: "fail"},
            posture=Posture.Reactive,
            threshold=1,
        ),
        actions=actions or [DoNothing()],
    )


if __name__ == "__main__":
    created = gate_failed_automation().create()
    print(f"created automation {created.name} ({created.id})")
