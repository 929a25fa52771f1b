"""Model versions, their training runs and those runs' datasets, read from an MLflow registry in pages.

Calls are bounded: registered models and model versions are listed in pages (``max_results`` and page
tokens); the training runs are fetched in batches (``search_runs`` with ``attributes.run_id IN (...)``, many
ids per call), never one request per version. ``search_runs`` needs experiment ids, so the experiments are
listed once (in pages of 1,000) before the runs. Run batches go out on a small thread pool as soon as a
batch of ids is known, while the version pages are still loading. The minimum a complete read needs is
ceil(models/page) + ceil(versions/page) + ceil(runs/batch); :func:`minimum_calls` computes it.

Aliases come from the registered models (MLflow's version search may leave a version's aliases empty).
"""

from __future__ import annotations

import json
import math
import re
from collections.abc import Iterable, Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Any

from govgate import protocol
from govgate.inventory.model import Asset, LineageLink
from govgate.inventory.sources.calls import CountingClient

MODEL_PAGE = 1_000  # MLflow's ceiling for search_registered_models
VERSION_PAGE = 1_000
RUN_BATCH = 200  # run ids per search_runs filter: a few KB of filter text, well inside server limits
EXPERIMENT_PAGE = 1_000
RUN_ID = re.compile(r"^[A-Za-z0-9_\-]{1,64}$")  # what goes into the filter text; another id is a missing run
RUN_WORKERS = 4  # run batches in flight while the version pages load (latency-bound HTTP calls)
SOURCE = "mlflow"
LEGACY_DEPLOYED_STAGE = "Production"  # the pre-alias registry stage that meant deployed


@dataclass
class MlflowRead:
    """What one read of the registry found, with the calls it took."""

    assets: list[Asset] = field(default_factory=list)
    models: int = 0
    versions: int = 0
    runs: int = 0
    experiments: int = 0
    missing_runs: list[str] = field(default_factory=list)  # a version's run id that no experiment holds
    calls: dict[str, int] = field(default_factory=dict)
    page_sizes: dict[str, int] = field(default_factory=dict)

    @property
    def total_calls(self) -> int:
        return sum(self.calls.values())

    @property
    def minimum_calls(self) -> int:
        return minimum_calls(self.models, self.versions, self.runs, **self.page_sizes)


def minimum_calls(
    models: int,
    versions: int,
    runs: int,
    *,
    model_page: int = MODEL_PAGE,
    version_page: int = VERSION_PAGE,
    run_batch: int = RUN_BATCH,
) -> int:
    """The fewest calls that read every model, version and training run at these page sizes (one call
    even when a list is empty: the registry has to be asked)."""
    return (
        max(1, math.ceil(models / model_page))
        + max(1, math.ceil(versions / version_page))
        + math.ceil(runs / run_batch)
    )


def read_mlflow(
    client: Any,
    *,
    deployed_aliases: Iterable[str],
    model_page: int = MODEL_PAGE,
    version_page: int = VERSION_PAGE,
    run_batch: int = RUN_BATCH,
) -> MlflowRead:
    """Every registered model version as an Asset (kind model_version), each training run's datasets as
    Assets (kind dataset), linked version -> run -> dataset."""
    counting = CountingClient(client)
    read = MlflowRead(page_sizes={"model_page": model_page, "version_page": version_page, "run_batch": run_batch})
    models = {rm.name: rm for rm in _pages(counting.search_registered_models, model_page)}
    with ThreadPoolExecutor(max_workers=RUN_WORKERS) as pool:
        versions, futures, run_ids = _versions_and_runs(counting, version_page, run_batch, pool, read)
        runs = {run.info.run_id: run for f in futures for run in f.result()}
    read.models, read.versions, read.runs = len(models), len(versions), len(runs)
    read.missing_runs = [r for r in run_ids if r not in runs]
    deployed = set(deployed_aliases)
    datasets: dict[str, Asset] = {}
    for mv in sorted(versions, key=lambda v: (v.name, _version_number(v.version))):
        rm = models.get(mv.name)
        run = runs.get(mv.run_id) if mv.run_id else None
        read.assets.append(_version_asset(mv, rm, run, deployed, datasets))
    read.assets.extend(datasets[k] for k in sorted(datasets))
    read.calls = dict(counting.calls)
    return read


def _pages(search, page_size: int) -> Iterator[Any]:
    token = None
    while True:
        page = search(max_results=page_size, page_token=token)
        yield from page
        token = getattr(page, "token", None)
        if not token:
            return


def _versions_and_runs(
    client: CountingClient, version_page: int, run_batch: int, pool: ThreadPoolExecutor, read: MlflowRead
) -> tuple[list[Any], list[Future], list[str]]:
    """The versions page by page; each full batch of their training run ids is searched on the pool while
    the next page loads (the same number of calls as one after the other, less waiting). The experiments
    are listed once, before the first batch: search_runs needs their ids."""
    versions: list[Any] = []
    futures: list[Future] = []
    pending: list[str] = []
    seen: set[str] = set()
    experiment_ids: list[str] | None = None

    def submit(ids: list[str]) -> None:
        nonlocal experiment_ids
        if experiment_ids is None:
            experiment_ids = [e.experiment_id for e in _experiments(client)]
            read.experiments = len(experiment_ids)
        futures.append(pool.submit(_run_batch, client, experiment_ids, ids))

    for mv in _pages(client.search_model_versions, version_page):
        versions.append(mv)
        if mv.run_id and mv.run_id not in seen and RUN_ID.match(mv.run_id):
            seen.add(mv.run_id)
            pending.append(mv.run_id)
            if len(pending) == run_batch:
                submit(pending)
                pending = []
    if pending:
        submit(pending)
    return versions, futures, sorted(seen | {mv.run_id for mv in versions if mv.run_id})


def _run_batch(client: CountingClient, experiment_ids: list[str], ids: list[str]) -> list[Any]:
    """The runs of these ids (deleted runs included: a deleted training run is still the version's lineage)."""
    from mlflow.entities import ViewType

    quoted = ", ".join(f"'{r}'" for r in ids)
    found, token = [], None
    while True:
        page = client.search_runs(
            experiment_ids,
            filter_string=f"attributes.run_id IN ({quoted})",
            run_view_type=ViewType.ALL,
            max_results=len(ids),
            page_token=token,
        )
        found.extend(page)
        token = getattr(page, "token", None)
        if not token:
            return found


def _experiments(client: CountingClient) -> Iterator[Any]:
    from mlflow.entities import ViewType

    token = None
    while True:
        page = client.search_experiments(view_type=ViewType.ALL, max_results=EXPERIMENT_PAGE, page_token=token)
        yield from page
        token = getattr(page, "token", None)
        if not token:
            return


def _version_number(version: Any) -> tuple[int, str]:
    text = str(version)
    return (int(text), text) if text.isdigit() else (0, text)


def version_status(mv: Any, rm: Any, deployed_aliases: set[str]) -> tuple[str, list[str]]:
    """(status, the aliases on this version). Deployed: a deployed alias (or the legacy Production stage)
    marks it; retired: archived, or older than a deployed version of its model; development otherwise."""
    aliases = dict(getattr(rm, "aliases", None) or {}) if rm is not None else {}
    mine = sorted(a for a, v in aliases.items() if str(v) == str(mv.version))
    if set(mine) & deployed_aliases or getattr(mv, "current_stage", None) == LEGACY_DEPLOYED_STAGE:
        return "deployed", mine
    if getattr(mv, "current_stage", None) == "Archived":
        return "retired", mine
    deployed_versions = [_version_number(v)[0] for a, v in aliases.items() if a in deployed_aliases]
    if deployed_versions and _version_number(mv.version)[0] < max(deployed_versions):
        return "retired", mine
    return "development", mine


def version_asset_id(name: str, version: Any) -> str:
    return f"model:{name}/{version}"


def dataset_asset_id(name: str) -> str:
    return f"dataset:{name}"


def _version_asset(mv: Any, rm: Any, run: Any, deployed: set[str], datasets: dict[str, Asset]) -> Asset:
    model_tags = dict(getattr(rm, "tags", None) or {}) if rm is not None else {}
    tags = {**model_tags, **dict(mv.tags or {})}
    status, aliases = version_status(mv, rm, deployed)
    asset_id = version_asset_id(mv.name, mv.version)
    tier = tags.get(protocol.MODEL_TIER)
    asset = Asset(
        kind="model_version",
        id=asset_id,
        name=f"{mv.name} v{mv.version}",
        owner=_first(tags, protocol.MODEL_OWNER_TAGS),
        purpose=_first(tags, protocol.MODEL_PURPOSE_TAGS) or (getattr(rm, "description", None) or None),
        tier=tier,
        tier_reason="tag" if tier else None,
        status=status,
        sources=[SOURCE],
        attributes={
            "model": mv.name,
            "version": str(mv.version),
            "aliases": aliases,
            "tags": tags,
            "run_id": mv.run_id or None,
            "source": mv.source,
            "created_at": _millis(getattr(mv, "creation_timestamp", None)),
        },
    )
    if mv.run_id:
        run_ref = f"run:{mv.run_id}"
        asset.lineage.append(LineageLink("trained_by", asset_id, run_ref, f"runs:/{mv.run_id}"))
        for ds in _run_datasets(run):
            dataset = datasets.setdefault(ds["id"], _dataset_asset(ds))
            _add_digest(dataset, ds, mv.run_id)
            asset.lineage.append(LineageLink("used_dataset", run_ref, ds["id"], ds["source"]))
    return asset


def _run_datasets(run: Any) -> list[dict[str, Any]]:
    """The datasets a run logged as inputs (MLflow 3: name, digest, source, context)."""
    if run is None or run.inputs is None:
        return []
    found = []
    for di in run.inputs.dataset_inputs or ():
        ds = di.dataset
        context = next((t.value for t in di.tags or () if t.key == protocol.MLFLOW_DATASET_CONTEXT_TAG), None)
        found.append(
            {
                "id": dataset_asset_id(ds.name),
                "name": ds.name,
                "digest": ds.digest,
                "source": dataset_source_uri(ds.source),
                "source_type": ds.source_type,
                "context": context,
            }
        )
    return found


def dataset_source_uri(source: str | None) -> str | None:
    """MLflow keeps a dataset's source as JSON (``{"uri": ...}``, ``{"url": ...}``, ``{"path": ...}``)."""
    if not source:
        return None
    try:
        parsed = json.loads(source)
    except ValueError:
        return source
    if isinstance(parsed, dict):
        for key in ("uri", "url", "path", "table_name"):
            if parsed.get(key):
                return str(parsed[key])
    return source


def _dataset_asset(ds: dict[str, Any]) -> Asset:
    return Asset(
        kind="dataset",
        id=ds["id"],
        name=ds["name"],
        status="unknown",
        sources=[SOURCE],
        attributes={"digests": [], "used_by_runs": 0},
    )


def _add_digest(dataset: Asset, ds: dict[str, Any], run_id: str) -> None:
    dataset.attributes["used_by_runs"] += 1
    known = {(d["digest"], d["source"]) for d in dataset.attributes["digests"]}
    if (ds["digest"], ds["source"]) not in known:
        dataset.attributes["digests"].append(
            {"digest": ds["digest"], "source": ds["source"], "source_type": ds["source_type"], "first_run": run_id}
        )


def _first(tags: dict[str, str], keys: Iterable[str]) -> str | None:
    return next((tags[k].strip() for k in keys if tags.get(k, "").strip()), None)


def _millis(value: Any) -> str | None:
    from datetime import UTC, datetime

    if not value:
        return None
    return datetime.fromtimestamp(int(value) / 1000, tz=UTC).isoformat()
