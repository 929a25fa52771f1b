"""Inventory sync of N model versions from a real `mlflow server`, against the minimum number of API calls and
a naive sync (one get_run per version) in the same run.

The registry (500 registered models x 20 versions by default, each version trained by its own run that logged
one dataset input, one version per model under the deployed alias) is written through MLflow's own SQLAlchemy
stores into a SQLite file before the server starts (minutes instead of hours of REST calls), then kept for
the next run (``--db``). The server runs in its own process (`mlflow server`, SQLite backend); calls are
counted at the client as HTTP requests (every request, retries included: there are none, retries are off).

    python benchmarks/inventory_sync.py                          # 10,000 versions
    python benchmarks/inventory_sync.py --models 50 --versions 20  # a quick run
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))
os.environ.setdefault("MLFLOW_HTTP_REQUEST_MAX_RETRIES", "0")
os.environ.setdefault("MLFLOW_DISABLE_TELEMETRY", "true")


def populate(db: Path, models: int, versions: int) -> None:
    """The registry, written through MLflow's SQLAlchemy stores (same schema the server reads)."""
    from mlflow.entities import Dataset, DatasetInput, InputTag
    from mlflow.store.model_registry.sqlalchemy_store import SqlAlchemyStore as RegistryStore
    from mlflow.store.tracking.sqlalchemy_store import SqlAlchemyStore
    from sqlalchemy import event
    from sqlalchemy.engine import Engine

    @event.listens_for(Engine, "connect")
    def _fast(dbapi_conn, _):  # a throw-away benchmark file: no fsync per commit
        cur = dbapi_conn.cursor()
        cur.execute("PRAGMA synchronous=OFF")
        cur.close()

    uri = f"sqlite:///{db}"
    tracking, registry = SqlAlchemyStore(uri, str(db.parent / "artifacts")), RegistryStore(uri)
    experiment = tracking.create_experiment("training")
    started = time.perf_counter()
    for m in range(models):
        name = f"model-{m:04d}"
        registry.create_registered_model(name, tags=[])
        for v in range(1, versions + 1):
            run = tracking.create_run(experiment, "bench", int(time.time() * 1000), [], f"{name}-v{v}")
            dataset = Dataset(
                f"data-{m:04d}-{v:02d}", uuid.uuid4().hex[:8], "s3", f'{{"uri": "s3://data/{m}/{v}.csv"}}'
            )
            tracking.log_inputs(run.info.run_id, [DatasetInput(dataset, [InputTag("mlflow.data.context", "training")])])
            registry.create_model_version(name, f"runs:/{run.info.run_id}/model", run.info.run_id)
        registry.set_registered_model_alias(name, "production", str(versions))
        if (m + 1) % 50 == 0:
            print(f"  populated {m + 1}/{models} models in {time.perf_counter() - started:.0f} s", flush=True)


@contextmanager
def mlflow_server(db: Path, log: Path, workers: int = 1):
    """`mlflow server` on a free port over ``db``; yields its URL. One worker: uvicorn's supervisor of several
    kills a worker that misses its 5 s health ping, which a loaded 2-core machine makes it do mid-request."""
    import httpx

    from govgate.runtime import free_port

    port = free_port()
    cmd = [sys.executable, "-m", "mlflow", "server", "--host", "127.0.0.1", "--port", str(port)]
    cmd += ["--workers", str(workers), "--backend-store-uri", f"sqlite:///{db}"]
    cmd += ["--artifacts-destination", str(db.parent / "artifacts")]
    proc = subprocess.Popen(cmd, stdout=log.open("wb"), stderr=subprocess.STDOUT, start_new_session=True)
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 120
        while True:
            if proc.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError(f"mlflow server did not start:\n{log.read_text()[-2000:]}")
            try:
                if httpx.get(url + "/health", timeout=2).status_code == 200:
                    break
            except httpx.HTTPError:
                time.sleep(0.5)
        yield url
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            proc.kill()


class HttpCounter:
    """Counts every HTTP request MLflow's client sends (requests.Session.request), by path."""

    def __init__(self):
        import requests

        self._original = requests.Session.request
        self._lock = threading.Lock()
        self.total = 0
        counter = self

        def counted(session, method, url, *args, **kwargs):
            with counter._lock:
                counter.total += 1
            return counter._original(session, method, url, *args, **kwargs)

        requests.Session.request = counted

    def reset(self) -> None:
        self.total = 0

    def close(self) -> None:
        import requests

        requests.Session.request = self._original


def _warm(url: str) -> None:
    """Imports done and the server past its first request before either side is timed (not counted)."""
    from mlflow.tracking import MlflowClient

    import govgate.inventory.assemble  # noqa: F401

    MlflowClient(url, url).search_experiments(max_results=1)


def govgate_sync(url: str):
    from mlflow.tracking import MlflowClient

    from govgate.inventory.assemble import build_inventory
    from govgate.policy import load_policy
    from govgate.settings import DEFAULT_POLICY

    client = MlflowClient(url, url)
    return build_inventory(
        mlflow_client=client,
        store=None,
        deployments=None,
        yaml_dir=None,
        policy=load_policy(DEFAULT_POLICY),
        now=datetime.now(UTC),
    )


def naive_sync(url: str, sample: int = 0) -> tuple[int, int]:
    """What a plain loop does: list the versions (paged), then get_run for each version's run (for the first
    ``sample`` versions only when given, to extrapolate on a loaded machine). (versions, runs read)."""
    from mlflow.tracking import MlflowClient

    client = MlflowClient(url, url)
    versions, token = [], None
    while True:
        page = client.search_model_versions(max_results=1000, page_token=token)
        versions.extend(page)
        token = page.token
        if not token:
            break
    chosen = versions[:sample] if sample else versions
    for mv in chosen:
        client.get_run(mv.run_id).inputs.dataset_inputs  # noqa: B018 - what the loop reads per version
    return len(versions), len(chosen)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--models", type=int, default=500)
    parser.add_argument("--versions", type=int, default=20, help="versions per registered model")
    parser.add_argument("--db", type=Path, default=None, help="SQLite file to reuse (made when missing)")
    parser.add_argument("--baseline-sample", type=int, default=0, help="naive loop over the first N versions only")
    args = parser.parse_args()
    total = args.models * args.versions
    db = args.db or Path(tempfile.gettempdir()) / f"govgate-bench-inventory-{args.models}x{args.versions}" / "mlflow.db"
    db.parent.mkdir(parents=True, exist_ok=True)
    if not db.exists():
        started = time.perf_counter()
        populate(db, args.models, args.versions)
        print(f"populated {total:,} versions in {time.perf_counter() - started:.0f} s ({db})")
    with mlflow_server(db, db.parent / "server.log") as url:
        _warm(url)
        counter = HttpCounter()
        started = time.perf_counter()
        assets, stats = govgate_sync(url)
        ours_s, ours_calls = time.perf_counter() - started, counter.total
        m = stats["sources"]["mlflow"]
        assert m["versions"] == total and m["runs"] == total, m
        deployed = sum(1 for a in assets if a.kind == "model_version" and a.status == "deployed")
        print(f"govgate: {len(assets):,} assets ({deployed} deployed), {ours_calls} HTTP requests {m['calls']}, "
              f"minimum {m['minimum_calls']} at {m['page_sizes']}, {ours_s:.1f} s")  # fmt: skip
        counter.reset()
        started = time.perf_counter()
        n_versions, n_read = naive_sync(url, args.baseline_sample)
        base_s, base_calls = time.perf_counter() - started, counter.total
    scale = n_versions / n_read
    note = f" (measured on {n_read:,} versions, scaled x{scale:.0f})" if n_read < n_versions else ""
    print(f"naive (get_run per version): {base_calls} HTTP requests in {base_s:.1f} s{note}")
    base_calls, base_s = round(base_calls + (n_versions - n_read)), base_s * scale
    over = ours_calls - m["minimum_calls"]
    print("\n| versions | HTTP requests | minimum | over | wall time | naive requests | naive wall time |")
    print("|---|---|---|---|---|---|---|")
    print(
        f"| {total:,} | {ours_calls} | {m['minimum_calls']} | +{over} ({100 * over / m['minimum_calls']:.1f}%) "
        f"| {ours_s:.1f} s | {base_calls:,} | {base_s:.1f} s{note} ({base_s / ours_s:.0f}x) |"
    )


if __name__ == "__main__":
    main()
