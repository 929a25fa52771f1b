"""The reproducibility check end to end: real Prefect server (harness), S3 on moto's server, SQLite MLflow,
a few-row data review re-run as a subflow, and the re-run agreement KPI from a fresh scan of the records."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from flows.data_review import data_review
from flows.reproducibility import reproducibility_check
from flows.runner import run_flow
from govgate import demo_data, protocol
from govgate.audit.kpis import compute_kpis
from govgate.evidence_index import scan_records
from govgate.policy import load_policy
from govgate.store import open_store


def _today_kpi(settings) -> tuple:
    store = open_store(settings)
    index = scan_records(store)
    start = datetime.now(UTC).replace(hour=0, minute=0, second=0, microsecond=0)
    kpis = compute_kpis(
        index, start=start, end=start + timedelta(days=1), policy=load_policy(settings.policy), store=store
    )
    return index, {k.id: k for k in kpis}["reproducibility_rerun"]


def test_a_data_review_is_rerun_and_agrees(prefect_harness, s3_settings, tmp_path):
    data, sheet = demo_data.write_demo_inputs(tmp_path / "demo", n=40)
    original = run_flow(data_review, dataset=str(data), datasheet=str(sheet))
    today = datetime.now(UTC).date()

    result = run_flow(reproducibility_check, date_from=today, date_to=today, n=3)

    assert result["sampled"] == [original["record_id"]]
    (pair,) = result["pairs"]
    assert pair["original"] == original["record_id"] and pair["same"] is True
    assert result["could_not_rerun"] == [] and result["decision"] == "pass"
    index, kpi = _today_kpi(s3_settings)
    (rerun,) = [e for e in index.entries if protocol.RERUN_OF_PARAMETER in e.parameters]
    assert rerun.record_id == pair["rerun"] and rerun.gate == protocol.DATA_REVIEW
    assert rerun.parameters[protocol.RERUN_OF_PARAMETER] == original["record_id"]
    assert rerun.parameters["dataset"] == str(data)  # the original parameters, re-used
    assert (kpi.numerator, kpi.denominator) == (1, 1), kpi.details
    # the check's own record is a gate record like any other, with one agreement check per re-run
    (check,) = [e for e in index.entries if e.gate == protocol.REPRODUCIBILITY_CHECK]
    outcomes = {c.id: c.outcome for c in check.checks}
    assert outcomes == {"reproducibility.sample": "pass", f"reproducibility.rerun.{original['record_id']}": "pass"}


def test_a_changed_input_is_counted_as_not_rerun(prefect_harness, s3_settings, tmp_path):
    kept, kept_sheet = demo_data.write_demo_inputs(tmp_path / "kept", n=30)
    changed, changed_sheet = demo_data.write_demo_inputs(tmp_path / "changed", n=30)
    first = run_flow(data_review, dataset=str(kept), datasheet=str(kept_sheet))
    second = run_flow(data_review, dataset=str(changed), datasheet=str(changed_sheet))
    changed.write_text(changed.read_text() + changed.read_text().splitlines()[1] + "\n")  # one row more
    today = datetime.now(UTC).date()

    result = run_flow(reproducibility_check, date_from=today, date_to=today, n=5)

    assert sorted(result["sampled"]) == sorted([first["record_id"], second["record_id"]])
    assert [p["original"] for p in result["pairs"]] == [first["record_id"]]
    (missed,) = result["could_not_rerun"]
    assert missed["original"] == second["record_id"]
    assert f"input {changed} changed: sha256" in missed["reason"]
    assert result["decision"] != "pass"  # an inconclusive re-run is said, never passed
    index, kpi = _today_kpi(s3_settings)
    assert [
        e.parameters[protocol.RERUN_OF_PARAMETER] for e in index.entries if protocol.RERUN_OF_PARAMETER in e.parameters
    ] == [first["record_id"]]
    assert (kpi.numerator, kpi.denominator) == (1, 2), kpi.details
    assert kpi.details["could_not_rerun"][0].startswith(f"{second['record_id']}: input {changed} changed")
