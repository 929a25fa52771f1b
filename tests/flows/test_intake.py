"""The intake gate on a real Prefect server (test harness), S3 on moto's server and MLflow on SQLite: the
tier by the legal tree, the registered model's tag, re-tier findings on older records, the tier winning in
model review and reassessment, the paused run resumed with typed input, and its report in Chromium."""

from __future__ import annotations

import json
import shutil
import threading
import time

import pytest
import yaml

from flows.intake import intake
from flows.model_review import model_review
from flows.runner import run_flow
from govgate import protocol
from govgate.errors import InputError
from govgate.gate import build_record
from govgate.intake.template import template
from govgate.policy import load_policy
from govgate.publish import publish
from govgate.record import AssetKind, Decision, DecisionOutcome, Subject, utcnow
from govgate.store import open_store
from govgate.tracking import Tracker
from tests.core.intake.test_engine import base
from tests.flows.test_model_review import credit_eval, registered_model  # noqa: F401 (fixtures)
from tests.ui.test_prefect_ui import ARTIFACTS_DIR
from tests.ui.test_report_page import browser_page  # noqa: F401 (fixture)

HIGH = {  # credit scoring that profiles applicants: Annex III point 5, no exemption possible
    "people": {"personal_data": True, "profiling": True},
    "eu": {"annex_i_product": False, "annex_iii_areas": ["essential_services"], "art_6_3_conditions": []},
}


def write_answers(tmp_path, name: str = "answers.yaml", asset: str = "credit-scorer", **sections) -> str:
    d = base()
    d["asset"].update(id=asset, registered_model=True, name="Credit scorer", purpose="rank loan applications")
    for section, values in sections.items():
        d[section] = {**d[section], **values} if isinstance(d.get(section), dict) else values
    path = tmp_path / name
    path.write_text(yaml.safe_dump(d))
    return str(path)


def stored_record(settings, result: dict) -> dict:
    store = open_store(settings)
    key = result["record_uri"].split(f"s3://{store.bucket}/{store.prefix}", 1)[1]
    return json.loads(store.get_bytes(key))


def old_review(settings, tier: str, version: str) -> str:
    """A model-review record of the model decided under ``tier`` (published the way every gate publishes)."""
    policy = load_policy(settings.policy)
    record = build_record(
        gate=protocol.MODEL_REVIEW,
        subject=Subject(kind=AssetKind.MODEL, id="credit-scorer", version=version),
        policy=policy,
        tier=tier,
        started_at=utcnow(),
        checks=[],
        decision=Decision(outcome=DecisionOutcome.PASS, reasons=["earlier review"]),
    )
    publish(record, store=open_store(settings), tracker=Tracker.from_settings(settings))
    return record.record_id


def test_intake_tiers_tags_and_finds_records_of_the_old_tier(
    prefect_harness,
    s3_settings,
    registered_model,  # noqa: F811
    tmp_path,
):
    from mlflow import MlflowClient

    _, version, _ = registered_model
    old_id = old_review(s3_settings, "medium", version)
    result = run_flow(intake, answers=write_answers(tmp_path, **HIGH))
    assert (result["tier"], result["decision"]) == ("high", "pass")
    record = stored_record(s3_settings, result)
    risk = record["outputs"][protocol.OUTPUT_RISK_TIER]
    assert set(risk) == {"tier", "rule", "citations", "regimes", "answers_sha256", "reason"}
    assert (risk["tier"], risk["rule"]) == ("high", "eu.annex3-5")
    assert "eu-ai-act Art. 6(2), Annex III point 5 (essential private and public services)" in risk["citations"]
    assert risk["regimes"]["eu-ai-act"]["applies_from"] == "2027-12-02"
    assert record["policy"]["tier"] == "high" and record["gate"] == "intake"
    assert record["subject"]["id"] == "credit-scorer" and record["subject"]["kind"] == "model"
    retier = next(c for c in record["checks"] if c["id"] == "intake.retier")
    assert (retier["outcome"], retier["metrics"][0]["value"]) == ("warn", 1)
    finding = next(f for f in record["findings"] if f["id"] == f"intake.retier.{old_id}")
    assert finding["location"]["record_id"] == old_id and finding["location"]["tier"] == "medium"
    assert finding["location"]["uri"].endswith(f"/model-review/{old_id}/record.json")
    assert MlflowClient().get_registered_model("credit-scorer").tags[protocol.MODEL_TIER] == "high"
    assert record["provenance"]["mlflow_run_id"] and record["provenance"]["prefect_flow_run_id"]

    # a later intake that changes the tier: a finding on the records decided under the old one
    lowered = run_flow(
        intake, answers=write_answers(tmp_path, "v2.yaml", eu={"annex_iii_areas": []}, people={"personal_data": True})
    )
    again = stored_record(s3_settings, lowered)
    assert lowered["tier"] == "low"
    check = next(c for c in again["checks"] if c["id"] == "intake.retier")
    assert check["message"].startswith(f"tier changed from high (intake {result['record_id']}) to low")
    assert {f["location"]["record_id"] for f in again["findings"] if f["id"].startswith("intake.retier.")} == {old_id}


def test_intake_tier_wins_in_model_review_and_reassessment(
    prefect_harness,
    s3_settings,
    registered_model,  # noqa: F811
    credit_eval,  # noqa: F811
    tmp_path,
):
    from mlflow import MlflowClient

    from govgate.modeling import ModelRef
    from govgate.reassessment.targets import deployed_targets
    from tasks.model_review import model_tier

    _, version, _ = registered_model
    client = MlflowClient()
    client.set_model_version_tag("credit-scorer", version, protocol.MODEL_TIER, "low")  # a tag set by hand
    assert run_flow(intake, answers=write_answers(tmp_path, **HIGH))["tier"] == "high"
    policy = load_policy(s3_settings.policy)
    ref = ModelRef(uri=f"models:/credit-scorer/{version}", source="", name="credit-scorer")
    assert model_tier(ref, policy) == "high"
    assert model_tier(ref, policy, explicit="high") == "high"
    with pytest.raises(InputError, match=r"tier 'low' is lower than 'high' from its intake record"):
        model_tier(ref, policy, explicit="low")
    client.set_registered_model_alias("credit-scorer", "production", version)
    (target,) = deployed_targets(client, "production", model="credit-scorer")
    assert (target.tier, target.tags[protocol.MODEL_TIER]) == ("high", "low")

    _, path = credit_eval
    with pytest.raises(InputError, match=r"model credit-scorer: tier 'medium' is lower than 'high'"):
        run_flow(
            model_review,
            model_uri=f"models:/credit-scorer/{version}",
            data=str(path),
            label="credit",
            sensitive=["sex"],
            tier="medium",
        )


def test_prohibited_practice_fails_and_refuses(prefect_harness, s3_settings, registered_model, tmp_path):  # noqa: F811
    from mlflow import MlflowClient

    result = run_flow(intake, answers=write_answers(tmp_path, practices={"social_scoring": True}))
    assert (result["decision"], result["tier"]) == ("fail", "refused")
    record = stored_record(s3_settings, result)
    failed = [c for c in record["checks"] if c["outcome"] == "fail"]
    assert [c["id"] for c in failed] == ["intake.eu.prohibited"]
    assert "eu-ai-act Art. 5(1)(c)" in failed[0]["message"]
    assert MlflowClient().get_registered_model("credit-scorer").tags[protocol.MODEL_TIER] == "refused"
    from govgate.intake.tier import latest_intakes, resolve_tier

    found = latest_intakes(open_store(s3_settings), "credit-scorer")["credit-scorer"]
    with pytest.raises(InputError, match=r"refused by its intake record"):
        resolve_tier(
            load_policy(s3_settings.policy), explicit=None, tagged=None, intake=found, asset="model credit-scorer"
        )


def test_contradicting_answers_record_an_error(prefect_harness, s3_settings, tmp_path):
    path = write_answers(
        tmp_path, asset="face-finder", people={"personal_data": False}, biometrics={"remote_identification": True}
    )
    with pytest.raises(
        InputError,
        match=rf"{path}: contradicting answers: people.personal_data=false, "
        r"biometrics.remote_identification=true",
    ):
        run_flow(intake, answers=path)
    store = open_store(s3_settings)
    keys = [i.key for page in store.list_pages("evidence/face-finder/") for i in page if i.key.endswith("record.json")]
    (key,) = keys
    assert json.loads(store.get_bytes(key))["decision"]["outcome"] == "error"


def test_paused_intake_resumes_with_typed_form_input(prefect_harness, s3_settings, tmp_path):
    from prefect.client.orchestration import get_client
    from prefect.client.schemas.filters import FlowRunFilter, FlowRunFilterState, FlowRunFilterStateType
    from prefect.client.schemas.objects import StateType
    from prefect.flow_runs import resume_flow_run

    box: dict = {}
    worker = threading.Thread(target=lambda: box.update(result=run_flow(intake, form_timeout_s=120)), daemon=True)
    worker.start()
    paused = None
    for _ in range(120):
        with get_client(sync_client=True) as c:
            runs = c.read_flow_runs(
                flow_run_filter=FlowRunFilter(
                    state=FlowRunFilterState(type=FlowRunFilterStateType(any_=[StateType.PAUSED]))
                )
            )
        paused = runs[0] if runs else None
        if paused is not None:
            break
        time.sleep(0.5)
    assert paused is not None, "the intake run never paused for its form"
    schema_key = paused.state.state_details.run_input_keyset["schema"]
    schema = None
    for _ in range(60):  # Prefect saves the form's schema just after the run is Paused
        with get_client(sync_client=True) as c:
            try:
                schema = json.loads(c.read_flow_run_input(flow_run_id=paused.id, key=schema_key))
            except Exception:  # noqa: BLE001 - not saved yet
                time.sleep(0.5)
                continue
        break
    assert schema is not None, "the paused run saved no input schema for the UI's form"
    assert {"asset", "markets", "people", "eu", "gpai", "vn"} <= set(schema["properties"])  # the typed form
    form = yaml.safe_load(template())
    form["asset"].update(id="chat-helper", kind="service")
    form.update(markets=["EU"], intake_date="2026-12-07")
    form["people"] = {
        "personal_data": True,
        "profiling": False,
        "interacts_with_people": True,
        "special_category_data": False,
    }
    resume_flow_run(paused.id, run_input=form)
    worker.join(timeout=120)
    result = box["result"]
    assert result["tier"] == "medium" and result["decision"] == "needs-review"  # the rest was left unknown
    record = stored_record(s3_settings, result)
    assert record["subject"]["id"] == "chat-helper"
    assert record["subject"]["inputs"][0]["uri"].startswith(f"prefect:flow-run/{paused.id}/input/")
    assert "eu-ai-act Art. 50(1)" in record["outputs"][protocol.OUTPUT_RISK_TIER]["citations"]


@pytest.mark.ui
def test_intake_report_reads_at_1280px(prefect_harness, s3_settings, tmp_path, browser_page):  # noqa: F811
    """The intake record's report.html in headless Chromium: fits 1280 px, says the decision, names the
    articles that fired. The screenshot goes to .govgate-test-artifacts/ for a person to look at."""
    path = write_answers(
        tmp_path,
        asset="hiring-ranker",
        people={"personal_data": True, "profiling": True, "interacts_with_people": True},
        eu={"annex_i_product": False, "annex_iii_areas": ["employment"], "art_6_3_conditions": ["preparatory_task"]},
        practices={"intimate_imagery_or_csam": False},
    )
    d = yaml.safe_load(open(path))
    d["asset"]["registered_model"] = False
    open(path, "w").write(yaml.safe_dump(d))
    result = run_flow(intake, answers=path)
    store = open_store(s3_settings)
    key = result["report_uri"].split(f"s3://{store.bucket}/{store.prefix}", 1)[1]
    html = tmp_path / "intake-report.html"
    html.write_bytes(store.get_bytes(key))
    page = browser_page
    page.goto(html.as_uri())
    ARTIFACTS_DIR.mkdir(exist_ok=True)
    shot = tmp_path / "intake-report.png"
    page.screenshot(path=str(shot), full_page=True, timeout=180_000)  # 2 shared cores: be patient
    shutil.copy2(shot, ARTIFACTS_DIR / "report-intake.png")
    m = page.evaluate(
        "() => ({scroll: document.documentElement.scrollWidth, inner: window.innerWidth,"
        " verdict: document.querySelector('header.banner .verdict').textContent.trim(),"
        " text: document.body.innerText, height: document.documentElement.scrollHeight})"
    )
    assert m["scroll"] <= m["inner"] == 1280, m["scroll"]
    assert m["verdict"] == result["decision"].upper() == "PASS"
    assert "Art. 6(3), third subparagraph" in m["text"] and "Annex III point 4" in m["text"]
    assert "applies to this asset from 2027-12-02 (not yet in force" in m["text"]
    assert m["height"] < 8000, m["height"]  # as it opens: passing checks collapsed


def test_cli_template_and_run(tmp_path):
    """`govgate intake template` prints a questionnaire that validates; `govgate intake run` on it (own
    temporary Prefect server, embedded MLflow and store) prints the tier and why, exit 0 on pass, and a
    contradiction is one line naming the file and keys, exit 1."""
    import os
    import subprocess
    import sys

    from typer.testing import CliRunner

    from cli.main import app

    printed = CliRunner().invoke(app, ["intake", "template"])
    assert printed.exit_code == 0 and printed.output.startswith("# govgate intake answers")
    path = write_answers(tmp_path, asset="support-bot", people={"personal_data": True, "interacts_with_people": True})
    d = yaml.safe_load(open(path))
    d["asset"]["registered_model"] = False
    open(path, "w").write(yaml.safe_dump(d))
    env = {k: v for k, v in os.environ.items() if not k.startswith(("PREFECT_API", "GOVGATE_"))}
    env.update(GOVGATE_HOME=str(tmp_path / "home"), PREFECT_HOME=str(tmp_path / "prefect-home"))
    proc = subprocess.run(
        [sys.executable, "-m", "cli.main", "intake", "run", path], env=env, capture_output=True, text=True, timeout=300
    )
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-3000:]
    assert "tier: medium  decision: pass" in proc.stdout
    assert "why: eu-ai-act Art. 50(1): interacts directly with people" in proc.stdout
    d["people"]["personal_data"] = False
    d["people"]["profiling"] = True
    open(path, "w").write(yaml.safe_dump(d))
    bad = subprocess.run(
        [sys.executable, "-m", "cli.main", "intake", "run", path], env=env, capture_output=True, text=True, timeout=300
    )
    assert bad.returncode == 1 and f"error: {path}: contradicting answers: people.personal_data=false" in bad.stderr
