"""review-data --redact end to end (real Prefect server, S3 on moto's server, SQLite MLflow): the copy is
ruled per column by the datasheet, re-scanned as written, and its record says what changed where."""

from __future__ import annotations

import json
import logging
import time

import pandas as pd
import yaml

from flows.data_review import data_review
from govgate.store import open_store
from tests.checks.pii.prose import make_reviews


def _record(store, result) -> dict:
    key = result["record_uri"].split(f"s3://{store.bucket}/{store.prefix}", 1)[1]
    return json.loads(store.get_bytes(key))


def _run_logs(flow_run_id) -> list[str]:
    """The messages the Prefect server holds for a flow run (shown in its UI), once they have arrived."""
    from prefect.client.orchestration import get_client
    from prefect.client.schemas.filters import LogFilter, LogFilterFlowRunId

    deadline = time.monotonic() + 30
    with get_client(sync_client=True) as client:
        while True:
            logs = client.read_logs(LogFilter(flow_run_id=LogFilterFlowRunId(any_=[flow_run_id])))
            messages = [log.message for log in logs]
            if any("100%" in m for m in messages) or time.monotonic() > deadline:
                return messages
            time.sleep(0.5)


def test_redacted_copy_is_rescanned_and_records_changed_shares(prefect_harness, s3_settings, tmp_path):
    df, planted = make_reviews(rows=400)
    data = tmp_path / "reviews.csv"
    df.to_csv(data, index=False)
    sheet = tmp_path / "reviews.yaml"
    sheet.write_text(
        yaml.safe_dump(
            {
                "name": "generated-reviews",
                "owner": "shop-data",
                "source": "generated",
                "collection_method": "generated",
                "purpose": "tests",
                "legal_basis": "legitimate_interests",
                "retention": "P1Y",
                "columns": [
                    {"name": "reviewerID", "type": "id"},
                    {"name": "reviewText", "type": "text"},
                    {"name": "summary", "type": "text"},
                ],
                "anonymization": {"columns": {"reviewerName": "identifier"}},
            }
        )
    )
    task_log = logging.getLogger("prefect.task_runs")  # the suite logs WARNING and up; progress is INFO
    level = task_log.level
    task_log.setLevel(logging.INFO)
    try:
        state = data_review(dataset=str(data), datasheet=str(sheet), redact=True, chunk_rows=200, return_state=True)
    finally:
        task_log.setLevel(level)
    result = state.result()
    store = open_store(s3_settings)
    record = _record(store, result)
    checks = {c["id"]: c for c in record["checks"]}

    rescan = checks["data.anonymized_copy.rescan"]
    assert rescan["outcome"] == "pass" and rescan["threshold"] == {
        "metric": "cells_with_pii_left",
        "op": "==",
        "value": 0,
        "baseline_record": None,
    }
    left = {m["name"]: (m["value"], m["n"]) for m in rescan["metrics"]}
    assert left["reviewText.cells_with_pii_left"] == (0, 400) and left["reviewerName.cells_with_pii_left"] == (0, 400)
    assert "reviewTime.cells_with_pii_left" not in left  # kept columns are not rewritten

    copy = checks["data.anonymized_copy"]
    shares = {m["name"]: m["value"] for m in copy["metrics"]}
    assert shares["reviewerID.changed_share"] == 1.0 and shares["reviewerName.changed_share"] == 1.0
    assert shares["reviewTime.changed_share"] == 0.0 and shares["unixReviewTime.changed_share"] == 0.0
    signed = len(planted["signed_rows"])
    assert shares["reviewText.changed_share"] == len(planted["pii_rows"]) / 400
    assert shares["summary.changed_share"] == signed / 400  # the reviewer's own name, signing the summary
    assert copy["details"]["columns"]["reviewerName"] == {
        "rule": "identifier",
        "why": "anonymization.columns: identifier",
        "cells": 400,
        "changed": 400,
    }
    progress = [m for m in _run_logs(state.state_details.flow_run_id) if m.startswith("anonymized copy: partition")]
    assert [m.split(" anonymized")[0] for m in progress] == [
        "anonymized copy: partition 1/2, 200 of 400 rows (50%)",
        "anonymized copy: partition 2/2, 400 of 400 rows (100%)",
    ]

    key = result["anonymized_copy"].split(f"s3://{store.bucket}/{store.prefix}", 1)[1]
    anon = pd.read_parquet(store.download(key, tmp_path / "anon.parquet"))
    text = "\n".join(anon["reviewText"])
    assert all(join in text for join in planted["joins"]) and all(link in text for link in planted["links"])
    assert not any(value in text for value in planted["values"])
    assert not set(anon["reviewerName"]) & set(df["reviewerName"])
    assert anon["reviewTime"].tolist() == df["reviewTime"].tolist()
    assert result["decision"] != "pass" or rescan["outcome"] == "pass"
