"""The incident ledger in the object store: one write-once object per event, never an overwrite.

Layout: ``incidents/<incident id>/events/<seq>.json`` with seq = 000001, 000002, ... An incident id is
``inc-<cause digest>-<occurrence>``: the digest of (asset kind, id, version, cause), so every incident on
the same cause of the same version sorts together and the next occurrence has a key anyone can compute.

Appends are compare-and-append: a writer reads all events, decides on the state they fold to, and puts
the next sequence number with the store's write-once put. Two writers that read the same events race for
the same key; exactly one wins, the other re-reads and decides again on the new state. So "open unless
open", "escalate once" and "close unless closed" hold under concurrency, not just on re-runs.
"""

from __future__ import annotations

import json
from collections.abc import Callable

from govgate.digest import sha256_bytes
from govgate.errors import InputError, StoreError, WriteOnceError
from govgate.incidents.model import Asset, IncidentEvent
from govgate.protocol import INCIDENT_EVENT_SCHEMA, INCIDENTS_PREFIX
from govgate.store import ObjectStore

SEQ_DIGITS = 6
OCCURRENCE_DIGITS = 4
MAX_APPEND_ATTEMPTS = 50  # each lost race means another writer made progress


class IncidentNotFound(InputError):
    """No incident with that id (or id prefix) in the store."""


def cause_digest(asset: Asset, cause: str) -> str:
    """12 hex digits naming (asset kind, id, version, cause): the same cause of the same version, same digest."""
    key = json.dumps([asset.kind.value, asset.id, asset.version, cause], separators=(",", ":"))
    return sha256_bytes(key.encode())[:12]


def incident_id(asset: Asset, cause: str, occurrence: int) -> str:
    return f"inc-{cause_digest(asset, cause)}-{occurrence:0{OCCURRENCE_DIGITS}d}"


def occurrence_of(incident: str) -> int:
    return int(incident.rsplit("-", 1)[1])


def events_prefix(incident: str) -> str:
    return f"{INCIDENTS_PREFIX}{incident}/events/"


def event_key(incident: str, seq: int) -> str:
    return f"{events_prefix(incident)}{seq:0{SEQ_DIGITS}d}.json"


def read_events(store: ObjectStore, incident: str) -> list[IncidentEvent]:
    """The incident's events in sequence order; an object that does not parse is a clear error."""
    events = []
    for info in store.list(events_prefix(incident)):
        try:
            events.append(IncidentEvent.model_validate(store.get_json(info.key)))
        except ValueError as exc:
            raise StoreError(f"{store.uri(info.key)} is not a valid incident event: {exc}") from None
    return sorted(events, key=lambda e: e.seq)


def put_event(store: ObjectStore, event: IncidentEvent) -> None:
    """Write the event once at its sequence key; WriteOnceError when another writer took that number."""
    body = json.dumps(event.model_dump(mode="json", by_alias=True), indent=1, sort_keys=True)
    store.put(event_key(event.incident_id, event.seq), body, write_once=True, content_type="application/json")


def append(
    store: ObjectStore, incident: str, decide: Callable[[list[IncidentEvent]], dict | None]
) -> IncidentEvent | None:
    """Append the event ``decide`` asks for, given every event so far (None: nothing to append).

    ``decide`` returns the event's fields other than schema, incident id and seq; it is asked again after a
    lost race, on the events that now exist."""
    for _ in range(MAX_APPEND_ATTEMPTS):
        events = read_events(store, incident)
        if not events:
            raise IncidentNotFound(f"no incident {incident} in {store.uri(INCIDENTS_PREFIX)}")
        fields = decide(events)
        if fields is None:
            return None
        event = new_event(incident, len(events) + 1, fields)
        try:
            put_event(store, event)
            return event
        except WriteOnceError:
            continue
    raise StoreError(f"incident {incident}: gave up appending after {MAX_APPEND_ATTEMPTS} lost races")


def new_event(incident: str, seq: int, fields: dict) -> IncidentEvent:
    return IncidentEvent.model_validate(
        {"schema": INCIDENT_EVENT_SCHEMA, "incident_id": incident, "seq": seq, **fields}
    )


def incident_ids(store: ObjectStore, prefix: str = "") -> list[str]:
    """Ids of the incidents in the store (whose id starts with ``prefix``), in key order."""
    seen: list[str] = []
    for info in store.list(INCIDENTS_PREFIX + prefix):
        name = info.key[len(INCIDENTS_PREFIX) :].split("/", 1)[0]
        if not seen or seen[-1] != name:
            seen.append(name)
    return seen


def resolve_id(store: ObjectStore, given: str) -> str:
    """The one incident whose id is ``given`` or starts with it (ids are long; a prefix is handier)."""
    given = given.strip()
    if not given or "/" in given:
        raise IncidentNotFound(f"incident id {given!r}: expected an id like inc-0123456789ab-0001 (or its start)")
    matches = incident_ids(store, given)
    if given in matches:
        return given
    if len(matches) == 1:
        return matches[0]
    if not matches:
        raise IncidentNotFound(f"no incident {given!r} in {store.uri(INCIDENTS_PREFIX)}")
    raise IncidentNotFound(f"incident id {given!r} is ambiguous: {', '.join(matches[:5])}")
