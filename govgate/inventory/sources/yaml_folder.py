"""The inventory/ YAML folder: what no system knows (third-party AI tools and services, foundation models used
through APIs, AI features) and a person's overrides of what the systems found (owner, purpose, tier).

Every ``*.yaml``/``*.yml`` file in the folder (sorted, subfolders included) holds two optional lists::

    assets:                      # assets of their own
      - id: tool:github-copilot
        kind: third_party_tool
        name: GitHub Copilot
        owner: platform-lead@example.com
        lineage: [{relation: depends_on, to: api:openai-gpt-4o}]
    overrides:                   # facts about an asset a system found (model:<name> = all its versions)
      - id: model:credit-risk
        owner: risk-team@example.com
        tier: high

Strict: an unknown key, an unknown kind or status, an owner that is not an e-mail address, an id used twice
(in one file or across files) or a tier the policy does not define is one ConfigError naming the file and
the key. A lineage that points nowhere can only be told once every source is read: :func:`check_lineage`.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from govgate.errors import ConfigError
from govgate.inventory.model import ASSET_KINDS, STATUSES, Asset, LineageLink
from govgate.yamlio import describe_validation, load_yaml

SOURCE = "yaml"
EMAIL = re.compile(r"^[A-Za-z0-9._%+\-']+@[A-Za-z0-9.\-]+\.[A-Za-z]{2,}$")
ASSET_ID = r"^[A-Za-z0-9][A-Za-z0-9._:/@+\-]*$"
RELATIONS = ("trained_by", "used_dataset", "reviewed_by", "deployed_by", "depends_on")
Scalar = str | int | float | bool | None


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    @field_validator("owner", check_fields=False)
    @classmethod
    def _owner(cls, value: str | None) -> str | None:
        if value is not None and not EMAIL.match(value):
            raise ValueError(f"{value!r} is not an e-mail address")
        return value


class LineageEntry(_Strict):
    relation: Literal[RELATIONS] = "depends_on"  # type: ignore[valid-type]
    to: str = Field(..., min_length=1, description="the asset id this one depends on")
    uri: str | None = None


class YamlAsset(_Strict):
    id: str = Field(..., pattern=ASSET_ID, max_length=200)
    kind: Literal[ASSET_KINDS]  # type: ignore[valid-type]
    name: str = Field(..., min_length=1)
    owner: str | None = None
    purpose: str | None = None
    tier: str | None = None
    status: Literal[STATUSES] = "unknown"  # type: ignore[valid-type]
    vendor: str | None = None
    url: str | None = None
    attributes: dict[str, Scalar | list[Scalar]] = Field(default_factory=dict)
    lineage: list[LineageEntry] = Field(default_factory=list)


class YamlOverride(_Strict):
    id: str = Field(..., pattern=ASSET_ID, max_length=200)
    owner: str | None = None
    purpose: str | None = None
    tier: str | None = None
    status: Literal[STATUSES] | None = None  # type: ignore[valid-type]
    attributes: dict[str, Scalar | list[Scalar]] = Field(default_factory=dict)


class InventoryFile(_Strict):
    assets: list[YamlAsset] = Field(default_factory=list)
    overrides: list[YamlOverride] = Field(default_factory=list)


@dataclass
class YamlInventory:
    assets: list[Asset] = field(default_factory=list)
    overrides: dict[str, YamlOverride] = field(default_factory=dict)
    where: dict[str, str] = field(default_factory=dict)  # asset/override id -> "<file>: assets[3]"
    files: list[str] = field(default_factory=list)


def read_folder(folder: Path, *, tiers: list[str] | None = None) -> YamlInventory:
    """Every inventory file under ``folder``; ``tiers`` (the policy's) bounds the tier a file may name."""
    folder = Path(folder).expanduser()
    if not folder.is_dir():
        raise ConfigError(f"inventory folder {folder} does not exist or is not a folder (GOVGATE_INVENTORY_DIR)")
    inventory = YamlInventory()
    for path in sorted(p for p in folder.rglob("*") if p.suffix in (".yaml", ".yml") and p.is_file()):
        inventory.files.append(str(path))
        parsed = _parse(path)
        for i, item in enumerate(parsed.assets):
            where = f"{path}: assets[{i}]"
            _claim(inventory, ("asset", item.id), where)
            _check_tier(item.tier, where, tiers)
            inventory.assets.append(_asset(item, path))
        for i, item in enumerate(parsed.overrides):
            where = f"{path}: overrides[{i}]"
            _claim(inventory, ("override", item.id), where)
            _check_tier(item.tier, where, tiers)
            inventory.overrides[item.id] = item
    return inventory


def _parse(path: Path) -> InventoryFile:
    data = load_yaml(path, what=f"inventory file {path}", error=ConfigError)
    if data is None:
        return InventoryFile()
    if not isinstance(data, dict):
        raise ConfigError(f"{path}: expected a mapping with keys assets and/or overrides; got {type(data).__name__}")
    try:
        return InventoryFile.model_validate(data)
    except ValidationError as exc:
        raise ConfigError(f"{path}: " + "; ".join(describe_validation(e) for e in exc.errors())) from None


def _claim(inventory: YamlInventory, key: tuple[str, str], where: str) -> None:
    """One id, one entry: an asset and an override of the same id are a duplicate too (which one holds?)."""
    kind, asset_id = key
    for other in ("asset", "override"):
        if f"{other}:{asset_id}" in inventory.where:
            earlier = inventory.where[f"{other}:{asset_id}"]
            raise ConfigError(f"{where}.id: duplicate id {asset_id!r} (already used at {earlier})")
    inventory.where[f"{kind}:{asset_id}"] = where


def _check_tier(tier: str | None, where: str, tiers: list[str] | None) -> None:
    if tier is not None and tiers is not None and tier not in tiers:
        raise ConfigError(f"{where}.tier: unknown risk tier {tier!r}; the policy defines {tiers}")


def _asset(item: YamlAsset, path: Path) -> Asset:
    attributes: dict[str, Any] = dict(item.attributes)
    attributes.update({k: v for k, v in (("vendor", item.vendor), ("url", item.url)) if v})
    attributes["yaml_file"] = str(path)
    return Asset(
        kind=item.kind,
        id=item.id,
        name=item.name,
        owner=item.owner,
        purpose=item.purpose,
        tier=item.tier,
        tier_reason=f"inventory YAML {path}" if item.tier else None,
        status=item.status,
        sources=[SOURCE],
        attributes=attributes,
        lineage=[LineageLink(e.relation, item.id, e.to, e.uri) for e in item.lineage],
    )


def check_lineage(inventory: YamlInventory, known_ids: set[str]) -> None:
    """After assembly: every lineage entry a file wrote must point at an asset some source found."""
    for asset in inventory.assets:
        for j, link in enumerate(asset.lineage):
            if link.to_id not in known_ids:
                where = inventory.where[f"asset:{asset.id}"]
                raise ConfigError(
                    f"{where}.lineage[{j}].to: {link.to_id!r} points nowhere (no source found an asset with that id)"
                )
