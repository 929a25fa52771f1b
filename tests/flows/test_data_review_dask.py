"""The same data-review flow with its partition scans on a 2-worker Dask LocalCluster (processes)."""

from __future__ import annotations

import json

from flows.data_review import data_review
from flows.runner import run_flow
from govgate import demo_data
from govgate.store import open_store


def test_data_review_on_a_two_worker_local_cluster(prefect_harness, s3_settings, tmp_path):
    from prefect_dask import DaskTaskRunner

    data, sheet = demo_data.write_demo_inputs(tmp_path / "demo", n=1200)
    runner = DaskTaskRunner(
        cluster_kwargs={"n_workers": 2, "threads_per_worker": 1, "processes": True, "dashboard_address": None}
    )
    on_dask = data_review.with_options(task_runner=runner)
    result = run_flow(on_dask, dataset=str(data), datasheet=str(sheet), chunk_rows=300)

    thread_result = run_flow(data_review, dataset=str(data), datasheet=str(sheet), chunk_rows=300)
    store = open_store(s3_settings)

    def outcomes(res):
        key = res["record_uri"].split(f"s3://{store.bucket}/{store.prefix}", 1)[1]
        rec = json.loads(store.get_bytes(key))
        return rec, {c["id"]: (c["outcome"], json.dumps(c["metrics"], sort_keys=True)) for c in rec["checks"]}

    rec, on_cluster = outcomes(result)
    _, on_threads = outcomes(thread_result)
    assert rec["subject"]["attributes"]["rows"] == 1200
    assert result["decision"] == thread_result["decision"] == "fail"
    assert on_cluster == on_threads  # 4 partitions scanned on workers give the same evidence as threads
