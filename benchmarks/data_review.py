"""The whole data-review gate on a generated 1M x 8 table: partitioning, PII, secrets, GX quality,
sensitive attributes, publishing, on a 2-worker Dask LocalCluster (and, for comparison, Prefect's thread
pool), against the plain Presidio loop's throughput measured on a sample in the same run.

    python benchmarks/data_review.py --rows 1000000
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))


def main() -> int:
    # Only here, not at import: Dask's worker processes re-import this module and inherit the environment.
    tmp = Path(tempfile.mkdtemp(prefix="govgate-bench-"))
    os.environ.update(
        {
            "PREFECT_HOME": str(tmp / "prefect"),
            "PREFECT_SERVER_ANALYTICS_ENABLED": "false",
            "DO_NOT_TRACK": "true",
            "MLFLOW_DISABLE_TELEMETRY": "true",
            "GX_ANALYTICS_ENABLED": "false",
            "TLDEXTRACT_PUBLIC_SUFFIX_LIST_URLS": "",
            "GOVGATE_HOME": str(tmp / "home"),
            "PREFECT_LOGGING_LEVEL": "WARNING",
        }
    )
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--chunk-rows", type=int, default=125_000)
    parser.add_argument("--baseline-rows", type=int, default=1000)
    parser.add_argument("--no-threads", action="store_true", help="skip the thread-pool run")
    args = parser.parse_args()

    from prefect.testing.utilities import prefect_test_harness
    from prefect_dask import DaskTaskRunner

    from benchmarks.pii_scan import generate, plain_loop
    from flows.data_review import data_review
    from govgate.checks.pii import plan_columns

    df = generate(args.rows, 0)
    data = tmp / "table.csv"
    df.to_csv(data, index=False)
    print(f"command: python benchmarks/data_review.py --rows {args.rows} --chunk-rows {args.chunk_rows}")
    print(
        f"data: {args.rows:,} rows x {len(df.columns)} columns, {data.stat().st_size / 1e6:.0f} MB CSV; cores: {os.cpu_count()}"
    )
    sample = df.head(args.baseline_rows)
    t = time.perf_counter()
    plain_loop(sample, plan_columns(sample))
    plain_rate = args.baseline_rows / (time.perf_counter() - t)
    print(
        f"baseline plain Presidio loop (analyze per cell, PII only): {plain_rate:,.0f} rows/s on {args.baseline_rows} rows"
    )
    with prefect_test_harness(server_startup_timeout=90):
        runs = [
            (
                "dask 2 workers",
                data_review.with_options(
                    task_runner=DaskTaskRunner(
                        cluster_kwargs={
                            "n_workers": 2,
                            "threads_per_worker": 1,
                            "processes": True,
                            "dashboard_address": None,
                        }
                    )
                ),
            )
        ]
        if not args.no_threads:
            runs.append(("thread pool", data_review))
        for name, flow_obj in runs:
            t = time.perf_counter()
            result = flow_obj(dataset=str(data), chunk_rows=args.chunk_rows)
            wall = time.perf_counter() - t
            rate = args.rows / wall
            print(
                f"govgate data-review ({name}): {wall:.1f} s wall for the whole gate, {rate:,.0f} rows/s, "
                f"{rate / plain_rate:.0f}x the plain PII loop; decision {result['decision']}"
            )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
