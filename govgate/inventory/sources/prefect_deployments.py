"""Prefect deployments as pipeline assets. Plain dicts in (tasks/inventory_sources.py reads them with the
Prefect client), so the core never imports Prefect.

A deployment dict: ``name``, ``flow_name``, optional ``id``, ``tags``, ``description``, ``paused``,
``schedules`` (each ``{"schedule": <cron/interval/rrule text>, "active": bool}``), ``parameters`` and
``last_run`` (``{"id", "state", "time"}`` or None). An ``owner:<address>`` tag names the owner.
"""

from __future__ import annotations

from typing import Any

from govgate.inventory.model import Asset, LineageLink

SOURCE = "prefect"
OWNER_TAG_PREFIX = "owner:"
_MODEL_URI_PARAMS = ("model_uri", "model")  # a deployment parameter naming the model it serves/reviews


def pipeline_asset_id(flow_name: str, name: str) -> str:
    return f"pipeline:{flow_name}/{name}"


def pipeline_assets(deployments: list[dict[str, Any]]) -> list[Asset]:
    return [pipeline_asset(d) for d in sorted(deployments, key=lambda d: (d.get("flow_name", ""), d["name"]))]


def pipeline_asset(d: dict[str, Any]) -> Asset:
    flow_name = d.get("flow_name") or "flow"
    tags = list(d.get("tags") or [])
    owner = next((t[len(OWNER_TAG_PREFIX) :] for t in tags if t.startswith(OWNER_TAG_PREFIX)), None)
    schedules = list(d.get("schedules") or [])
    asset_id = pipeline_asset_id(flow_name, d["name"])
    asset = Asset(
        kind="pipeline",
        id=asset_id,
        name=f"{flow_name}/{d['name']}",
        owner=owner,
        purpose=d.get("description") or None,
        status="development" if d.get("paused") else "deployed",
        sources=[SOURCE],
        attributes={
            "deployment_id": d.get("id"),
            "flow_name": flow_name,
            "tags": tags,
            "schedules": schedules,
            "scheduled": any(s.get("active", True) for s in schedules),
            "paused": bool(d.get("paused")),
            "last_run": d.get("last_run"),
        },
    )
    model = _served_model(d.get("parameters") or {})
    if model:
        asset.lineage.append(LineageLink("depends_on", asset_id, model, None))
    return asset


def _served_model(parameters: dict[str, Any]) -> str | None:
    """``models:/<name>/<version>`` in a deployment's parameters -> the version's asset id (an alias or a
    stage cannot be resolved here: the link is left out rather than guessed)."""
    for key in _MODEL_URI_PARAMS:
        value = parameters.get(key)
        if isinstance(value, str) and value.startswith("models:/"):
            name, _, version = value[len("models:/") :].partition("/")
            if name and version.isdigit():
                return f"model:{name}/{version}"
    return None
