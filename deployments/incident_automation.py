"""The documented automation that turns ``govgate.incident.opened`` into a notification.

A Prefect automation (open-source server): trigger on every ``govgate.incident.opened`` event, action
"call a webhook" through a Webhook block (a Slack or Teams incoming webhook, a paging service, an internal
HTTP endpoint). The JSON body carries a one-line ``text`` (what Slack shows) and the whole event payload
(incident id, asset, severity, evidence links, each legal clock with its due time).

Install or update it against the Prefect API in PREFECT_API_URL::

    python -m deployments.incident_automation --webhook-url https://hooks.slack.com/services/...

Nothing here computes: it only wires an event to an action (docs/incidents.md).
"""

from __future__ import annotations

import argparse
from datetime import timedelta
from uuid import UUID

from govgate.protocol import INCIDENT_OPENED_EVENT, INCIDENT_RESOURCE_PREFIX

AUTOMATION_NAME = "govgate-incident-opened"
WEBHOOK_BLOCK = "govgate-incident-webhook"
# Rendered by the Prefect server (Jinja, sandboxed); tojson keeps quotes in a summary from breaking the JSON.
PAYLOAD_TEMPLATE = (
    '{"text": {{ ("govgate incident " ~ event.payload.incident_id ~ " opened (" ~ event.payload.severity ~ '
    '") on " ~ event.payload.asset.id ~ " v" ~ event.payload.asset.version ~ ": " ~ event.payload.summary) | tojson }}, '
    '"event": {{ event.event | tojson }}, "incident": {{ event.payload | tojson }}}'
)


def incident_notification(webhook_block_id: UUID, name: str = AUTOMATION_NAME):
    """The automation (not yet created): one webhook call per opened incident."""
    from prefect.automations import Automation
    from prefect.events.actions import CallWebhook
    from prefect.events.schemas.automations import EventTrigger, Posture

    return Automation(
        name=name,
        description="Notify when govgate opens an incident (legal reporting clocks may be running)",
        trigger=EventTrigger(
            expect={INCIDENT_OPENED_EVENT},
            match={"prefect.resource.id": INCIDENT_RESOURCE_PREFIX + "*"},
            posture=Posture.Reactive,
            threshold=1,
            within=timedelta(0),
        ),
        actions=[CallWebhook(block_document_id=webhook_block_id, payload=PAYLOAD_TEMPLATE)],
    )


def install(webhook_url: str, name: str = AUTOMATION_NAME, block_name: str = WEBHOOK_BLOCK):
    """Save the Webhook block and create the automation, replacing an earlier one of the same name."""
    from prefect.blocks.webhook import Webhook
    from prefect.client.orchestration import get_client

    block_id = Webhook(url=webhook_url, method="POST").save(block_name, overwrite=True)
    with get_client(sync_client=True) as client:
        for old in client.read_automations_by_name(name):
            client.delete_automation(old.id)
    return incident_notification(block_id, name).create()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--webhook-url", required=True, help="where to POST the notification")
    parser.add_argument("--name", default=AUTOMATION_NAME, help="automation name")
    args = parser.parse_args()
    automation = install(args.webhook_url, args.name)
    print(f"automation {automation.name} ({automation.id}): {INCIDENT_OPENED_EVENT} -> POST {args.webhook_url}")


if __name__ == "__main__":
    main()
