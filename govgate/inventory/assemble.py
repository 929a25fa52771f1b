"""One inventory from every source, merged by asset id.

Precedence, field by field:

- owner, purpose, status: the inventory/ YAML (an override or an asset of its own) > MLflow tags > Prefect >
  the store;
- tier and its reason: the last intake record (its rule and articles) > a YAML override or asset (the file)
  > the registry tag ``govgate.tier`` (reason ``tag``) > none;
- gates: per gate the newest record about the asset started before ``now`` (a record about a registered
  model as a whole counts for each of its versions);
- lineage: model version -> training run -> datasets (MLflow) -> their data reviews (the store, matched by
  dataset name, logged digest or source URI).

Each asset lists the sources that saw it. The stats (second value) say what each source read and the API
calls it took, MLflow's against the minimum.
"""

from __future__ import annotations

import time
from collections import Counter
from datetime import datetime
from pathlib import Path
from typing import Any

from govgate import protocol
from govgate.errors import TrackingError
from govgate.evidence_index import RecordEntry, scan_records
from govgate.inventory.model import Asset, GateStatus, LineageLink
from govgate.inventory.sources import mlflow as mlflow_source
from govgate.inventory.sources import store as store_source
from govgate.inventory.sources import yaml_folder
from govgate.inventory.sources.prefect_deployments import pipeline_assets
from govgate.policy import Policy
from govgate.settings import mask_url


def deployed_aliases(policy: Policy) -> set[str]:
    """The MLflow aliases that mark a version deployed: each tier's reassessment alias (as the reassessment
    flow reads them)."""
    return {policy.tier(t).reassessment.deployed_alias for t in policy.tier_names}


def build_inventory(
    *,
    mlflow_client: Any | None,
    store: Any | None,
    deployments: list[dict] | None,
    yaml_dir: Path | None,
    policy: Policy,
    now: datetime,
) -> tuple[list[Asset], dict]:
    """Every asset the sources know (sorted by kind, id) and the sync's stats. A source given as None is not
    read (and the stats say so)."""
    stats: dict[str, Any] = {"sources": {}, "problems": []}
    found: list[Asset] = []
    yaml_inv = None
    if yaml_dir is not None:  # first: a bad file fails the sync before any system is read
        yaml_inv = yaml_folder.read_folder(yaml_dir, tiers=policy.tier_names)
    store_read = _read_store(store, now, stats) if store is not None else None
    if store_read is not None:
        found.extend(store_read.assets.values())
    if deployments is not None:
        found.extend(pipeline_assets(deployments))
        stats["sources"]["prefect"] = {"deployments": len(deployments)}
    if mlflow_client is not None:
        found.extend(_read_mlflow(mlflow_client, policy, stats))
    if yaml_inv is not None:
        found.extend(yaml_inv.assets)
    assets = _merge(found)
    _drop_models_with_versions(assets)
    if yaml_inv is not None:
        _apply_overrides(assets, yaml_inv, stats)
        stats["sources"]["yaml"] = {
            "files": yaml_inv.files,
            "assets": len(yaml_inv.assets),
            "overrides": len(yaml_inv.overrides),
        }
    if store_read is not None:
        _attach_store(assets, store_read, stats)
    _check_tiers(assets, policy, stats)
    _lineage_completeness(assets)
    if yaml_inv is not None:
        yaml_folder.check_lineage(yaml_inv, set(assets))
    ordered = sorted(assets.values(), key=lambda a: (a.kind, a.id))
    stats["assets"] = dict(sorted(Counter(a.kind for a in ordered).items()))
    stats["total_assets"] = len(ordered)
    return ordered, stats


def _read_mlflow(client: Any, policy: Policy, stats: dict) -> list[Asset]:
    started = time.perf_counter()
    try:
        read = mlflow_source.read_mlflow(client, deployed_aliases=deployed_aliases(policy))
    except Exception as exc:  # noqa: BLE001 - MLflow raises its own types; an inventory without MLflow is no inventory
        where = mask_url(str(getattr(client, "tracking_uri", None) or "(client without a tracking URI)"))
        message = f"inventory: the MLflow registry at {where} could not be read: {type(exc).__name__}: {exc}"
        raise TrackingError(mask_url(message)[:600]) from None  # the cause may print the URL unmasked
    stats["sources"]["mlflow"] = {
        "models": read.models,
        "versions": read.versions,
        "runs": read.runs,
        "experiments": read.experiments,
        "calls": read.calls,
        "total_calls": read.total_calls,
        "minimum_calls": read.minimum_calls,
        "page_sizes": read.page_sizes,
        "seconds": round(time.perf_counter() - started, 3),
    }
    stats["problems"].extend(
        f"MLflow: training run {r} of a model version is in no experiment (deleted for good?)"
        for r in read.missing_runs
    )
    return read.assets


def _read_store(store: Any, now: datetime, stats: dict) -> store_source.StoreRead:
    started = time.perf_counter()
    index = scan_records(store, until=now)  # the inventory as of ``now``: a later record is not yet evidence
    read = store_source.read_store(index, now=now)
    stats["sources"]["store"] = {
        "records": read.records,
        "listing_pages": read.listing_pages,
        "reads": read.reads,
        "unreadable": read.unreadable,
        "incomplete": len(index.incomplete),
        "seconds": round(time.perf_counter() - started, 3),
    }
    stats["problems"].extend(f"store: record {u.prefix} cannot be read: {u.reason}" for u in index.unreadable)
    return read


def _merge(found: list[Asset]) -> dict[str, Asset]:
    """Assets with the same id become one; ``found`` is in rising precedence (store, Prefect, MLflow, YAML):
    a later source's owner, purpose, tier and known status replace an earlier one's."""
    merged: dict[str, Asset] = {}
    for asset in found:
        have = merged.get(asset.id)
        if have is None:
            merged[asset.id] = Asset(**{**asset.__dict__, "sources": list(asset.sources)})
            continue
        have.sources.extend(s for s in asset.sources if s not in have.sources)
        have.owner = asset.owner or have.owner
        have.purpose = asset.purpose or have.purpose
        if asset.tier:
            have.tier, have.tier_reason = asset.tier, asset.tier_reason
        if asset.status != "unknown":
            have.status = asset.status
        if have.kind in ("dataset", "model") and asset.kind not in ("dataset", "model"):
            have.kind = asset.kind  # a system's kind is more exact than the store's subject kind
        have.name = asset.name if asset.sources != [store_source.SOURCE] else have.name
        have.attributes = {**have.attributes, **asset.attributes}
        have.lineage.extend(asset.lineage)
    return merged


def _drop_models_with_versions(assets: dict[str, Asset]) -> None:
    """A model the store knows as a whole (e.g. by its intake) is listed as its versions once the registry
    has some: the model-level records still count for each version (see ``_keys``)."""
    registered = {a.attributes.get("model") for a in assets.values() if a.kind == "model_version"}
    for asset_id in [i for i, a in assets.items() if a.kind == "model" and i.removeprefix("model:") in registered]:
        del assets[asset_id]


def _override_targets(assets: dict[str, Asset], override_id: str) -> list[Asset]:
    """An override's id names one asset, or ``model:<name>``: the registered model's every version."""
    targets = [assets[override_id]] if override_id in assets else []
    if override_id.startswith("model:") and "/" not in override_id:
        name = override_id[len("model:") :]
        targets += [a for a in assets.values() if a.kind == "model_version" and a.attributes.get("model") == name]
    return targets


def _apply_overrides(assets: dict[str, Asset], inv: yaml_folder.YamlInventory, stats: dict) -> None:
    for override_id, o in inv.overrides.items():
        where = inv.where[f"override:{override_id}"]
        targets = _override_targets(assets, override_id)
        if not targets:
            stats["problems"].append(f"{where}: override {override_id!r} matches no asset any source found")
        for asset in targets:
            asset.owner = o.owner or asset.owner
            asset.purpose = o.purpose or asset.purpose
            asset.status = o.status or asset.status
            if o.tier:
                asset.tier, asset.tier_reason = o.tier, f"inventory YAML {where}"
            asset.attributes.update(o.attributes)
            if yaml_folder.SOURCE not in asset.sources:
                asset.sources.append(yaml_folder.SOURCE)


def _keys(asset: Asset) -> list[str]:
    """Store keys whose records concern this asset, least specific first (later ones win)."""
    if asset.kind == "model_version":
        return [f"model:{asset.attributes.get('model')}", asset.id]
    return [asset.id]


def _attach_store(assets: dict[str, Asset], read: store_source.StoreRead, stats: dict) -> None:
    used: set[str] = set()
    for asset in assets.values():
        for key in _keys(asset):
            for gate, status in read.gates.get(key, {}).items():
                used.add(key)
                have = asset.gates.get(gate)
                if have is None or status.decided_at >= have.decided_at:
                    asset.gates[gate] = status
            if key in read.tiers:
                asset.tier, asset.tier_reason = read.tiers[key]
            if key in read.third_party_items:
                asset.attributes["third_party_items"] = read.third_party_items[key]
        if asset.kind == "dataset":
            _link_reviews(asset, read)
    unmatched = sorted(set(read.gates) - used)
    stats["sources"]["store"]["records_without_asset"] = unmatched


def _link_reviews(asset: Asset, read: store_source.StoreRead) -> None:
    """dataset -> its data reviews: the newest review of each reviewed subject that matches it."""
    name = asset.id.removeprefix("dataset:")
    newest: dict[str, RecordEntry] = {}
    for entry in store_source.reviews_of_dataset(read, name, asset.attributes.get("digests") or []):
        newest[entry.subject_id] = entry  # data_reviews are oldest first
    for entry in sorted(newest.values(), key=lambda e: e.started_at):
        asset.lineage.append(LineageLink("reviewed_by", asset.id, f"record:{entry.record_id}", entry.uri))
    if newest and protocol.DATA_REVIEW not in asset.gates:  # matched by content, reviewed under another name
        latest = max(newest.values(), key=lambda e: e.started_at)
        asset.gates[protocol.DATA_REVIEW] = _status(latest, read)
        asset.attributes.update(store_source.data_review_facts(latest))


def _status(entry: RecordEntry, read: store_source.StoreRead) -> GateStatus:
    key = store_source.subject_keys(entry.subject_kind, entry.subject_id, entry.subject_version)[0]
    return read.gates[key][protocol.DATA_REVIEW]


def _lineage_completeness(assets: dict[str, Asset]) -> None:
    """Per model version: its training datasets, those without a data review, and whether the chain
    version -> run -> datasets -> reviews is complete (a run that logged no dataset is not)."""
    reviewed = {a.id for a in assets.values() if any(lk.relation == "reviewed_by" for lk in a.lineage)}
    for asset in assets.values():
        if asset.kind != "model_version":
            continue
        trained = any(lk.relation == "trained_by" for lk in asset.lineage)
        datasets = list(dict.fromkeys(lk.to_id for lk in asset.lineage if lk.relation == "used_dataset"))
        unreviewed = [d for d in datasets if d not in reviewed]
        asset.attributes["training_datasets"] = datasets
        asset.attributes["unreviewed_datasets"] = unreviewed
        asset.attributes["lineage_complete"] = trained and bool(datasets) and not unreviewed


def _check_tiers(assets: dict[str, Asset], policy: Policy, stats: dict) -> None:
    """A tag naming a tier the policy does not define is no tier (said in the stats), never a guess."""
    for asset in assets.values():
        if asset.tier and asset.tier not in policy.tier_names:
            stats["problems"].append(
                f"{asset.id}: tier {asset.tier!r} ({asset.tier_reason}) is not a tier of policy {policy.name}"
            )
            asset.attributes["unknown_tier"] = asset.tier
            asset.tier, asset.tier_reason = None, None
