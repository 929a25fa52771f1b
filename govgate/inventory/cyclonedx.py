"""A CycloneDX 1.6 ML-BOM per model version, written and validated by ``cyclonedx-python-lib``.

The BOM's subject is a ``machine-learning-model`` component (name, version, owner as author, purpose as
description, tier, gate decisions and evidence record URIs as ``govgate:`` properties); the datasets it was trained on are ``data`` components it depends on. The library (11.12)
has no object model for ``modelCard``, so the card is added to the library's JSON output and the whole
document is then checked by the library's strict JSON-schema validator: a BOM that does not validate is
an error, never written. Card fields come from the asset and its records only: task, datasets, use case
(purpose), and each gap as an ethical consideration with its fix.
"""

from __future__ import annotations

import functools
import json
import uuid
from datetime import datetime
from typing import Any

from govgate.errors import GovgateError
from govgate.inventory.model import Asset, Gap

BOM_NAMESPACE = uuid.UUID("6f1c3a52-2d7e-4b8a-9c41-0e5d7a9b3f20")  # serial numbers: uuid5(sync id, asset id)


class BomError(GovgateError):
    """A BOM the CycloneDX schema refuses; the message names the asset and the schema error."""


def _component(asset: Asset):
    from cyclonedx.model import Property
    from cyclonedx.model.component import Component, ComponentType
    from cyclonedx.model.contact import OrganizationalContact

    name, _, version = asset.name.partition("/") if "/" in asset.name else (asset.name, "", "")
    props = [Property(name="govgate:asset_id", value=asset.id), Property(name="govgate:status", value=asset.status)]
    props += [Property(name="govgate:tier", value=asset.tier)] if asset.tier else []
    props += [Property(name="govgate:tier_reason", value=asset.tier_reason)] if asset.tier_reason else []
    for gate, status in sorted(asset.gates.items()):
        props.append(Property(name=f"govgate:gate:{gate}", value=f"{status.decision} {status.decided_at:%Y-%m-%d}"))
    for gate, status in sorted(asset.gates.items()):
        # Evidence as properties, not externalReferences: the schema's iri-reference format check costs about
        # 0.2 s per URI in the validator (rfc3987-syntax's Earley parser), hours for 10,000 models.
        props.append(Property(name=f"govgate:evidence:{gate}", value=status.record_uri))
    return Component(
        type=ComponentType.MACHINE_LEARNING_MODEL,
        name=name,
        version=str(asset.attributes.get("version") or version or "") or None,
        bom_ref=asset.id,
        description=asset.purpose,
        authors=[OrganizationalContact(email=asset.owner)] if asset.owner else None,
        properties=props,
    )


def _data_component(dataset: Asset):
    from cyclonedx.model import Property
    from cyclonedx.model.component import Component, ComponentType

    props = [Property(name="govgate:asset_id", value=dataset.id)]
    for gate, status in sorted(dataset.gates.items()):
        props.append(Property(name=f"govgate:gate:{gate}", value=f"{status.decision} {status.decided_at:%Y-%m-%d}"))
    return Component(
        type=ComponentType.DATA, name=dataset.name, bom_ref=dataset.id, description=dataset.purpose, properties=props
    )


def model_card(asset: Asset, datasets: list[str], gaps: list[Gap]) -> dict[str, Any]:
    """CycloneDX 1.6 ``modelCard`` from what the inventory knows (nothing invented)."""
    params: dict[str, Any] = {}
    if task := asset.attributes.get("task"):
        params["task"] = str(task)
    if datasets:
        params["datasets"] = [{"ref": d} for d in datasets]
    considerations: dict[str, Any] = {}
    if asset.purpose:
        considerations["useCases"] = [asset.purpose]
    if gaps:
        considerations["ethicalConsiderations"] = [
            {"name": f"{g.rule}: {g.message}", "mitigationStrategy": g.fix} for g in gaps
        ]
    card: dict[str, Any] = {"bom-ref": f"{asset.id}#model-card"}
    if params:
        card["modelParameters"] = params
    if considerations:
        card["considerations"] = considerations
    return card


def model_bom(
    asset: Asset, datasets: list[Asset], gaps: list[Gap], *, sync_id: str, synced_at: datetime
) -> dict[str, Any]:
    """The ML-BOM of one model version, validated; ``datasets`` are the assets its lineage names."""
    from cyclonedx.model.bom import Bom, BomMetaData
    from cyclonedx.output.json import JsonV1Dot6

    subject = _component(asset)
    data = [_data_component(d) for d in datasets]
    bom = Bom(
        serial_number=uuid.uuid5(BOM_NAMESPACE, f"{sync_id}/{asset.id}"),
        metadata=BomMetaData(component=subject, timestamp=synced_at),
        components=data,
    )
    if data:
        bom.register_dependency(subject, data)
    doc = json.loads(JsonV1Dot6(bom).output_as_string())
    doc["metadata"]["component"]["modelCard"] = model_card(asset, [d.id for d in datasets], gaps)
    validate_bom(doc, asset.id)
    return doc


@functools.cache
def _validator():
    from cyclonedx.schema import SchemaVersion
    from cyclonedx.validation.json import JsonStrictValidator

    return JsonStrictValidator(SchemaVersion.V1_6)


def validate_bom(doc: dict[str, Any], what: str) -> None:
    """The library's strict CycloneDX 1.6 JSON-schema validation; a refusal is a ``BomError``."""
    error = _validator().validate_str(json.dumps(doc))
    if error is not None:
        raise BomError(f"CycloneDX BOM of {what} does not validate: {str(error)[:400]}")


def inventory_boms(assets: list[Asset], gaps: list[Gap], *, sync_id: str, synced_at: datetime) -> dict[str, str]:
    """{asset id: BOM JSON text} for every model version of the inventory."""
    by_id = {a.id: a for a in assets}
    gaps_of: dict[str, list[Gap]] = {}
    for g in gaps:
        gaps_of.setdefault(g.asset_id, []).append(g)
    out = {}
    for a in assets:
        if a.kind != "model_version":
            continue
        used = sorted({link.to_id for link in a.lineage if link.relation == "used_dataset"})
        datasets = [by_id.get(d) or Asset(kind="dataset", id=d, name=d) for d in used]
        bom = model_bom(a, datasets, gaps_of.get(a.id, []), sync_id=sync_id, synced_at=synced_at)
        out[a.id] = json.dumps(bom, indent=1)
    return out
