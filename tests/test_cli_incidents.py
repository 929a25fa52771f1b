"""``govgate incidents`` as a user runs it: open (a manual report), list, show, ack, report, close,
escalate; --json; one clear line for every bad input."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

import pytest
from typer.testing import CliRunner

from cli.main import app
from govgate.store import open_store

runner = CliRunner()
AWARE = "2026-12-01T09:00:00+01:00"  # 08:00 UTC


def run(*args, code: int = 0):
    result = runner.invoke(app, ["incidents", *args])
    assert result.exit_code == code, result.output
    return result


def open_args(cause="fairness.fpr_gap", *more):
    return [
        "open",
        "--asset",
        "credit-scorer",
        "--version",
        "7",
        "--cause",
        cause,
        "--summary",
        "FPR for women rose 0.09 above the baseline",
        "--severity",
        "high",
        "--by",
        "ana",
        "--aware-at",
        AWARE,
        "--evidence",
        "s3://b/evidence/model/credit-scorer/7/reassessment/r1/record.json",
        "--kind",
        "personal_data_breach",
        "--kind",
        "serious_incident",
        "--jurisdiction",
        "EU",
        "--jurisdiction",
        "VN",
        *more,
    ]


@pytest.fixture
def incident(local_settings):
    out = json.loads(_json(run(*open_args(), "--json")))
    assert out["created"] and out["event_id"] is None  # no Prefect server running: nothing emitted
    return out["incident_id"]


def _json(result) -> str:
    """The JSON document in the output (the note on stderr may come first)."""
    return result.output[result.output.index("{") :]


def test_open_list_show_ack_report_close(incident, local_settings):
    again = run(*open_args())
    assert f"already open: {incident}" in again.output

    listed = run("list")
    assert incident in listed.output and "open" in listed.output and "overdue" in listed.output
    as_of = "2026-12-02T08:00:00Z"
    shown = json.loads(run("show", incident[:10], "--json", "--as-of", as_of).output)
    clocks = {c["plan"]["id"]: c["status"] for c in shown["clocks"]}
    assert clocks == {
        "eu-ai-act-art73-2": "due",
        "gdpr-art33": "due",
        "vn-pdpl-art23": "due",
        "vn-decree13-art23": "not-applicable",
        "vn-ai-law-art12": "overdue",
    }
    assert shown["aware_at"] == "2026-12-01T08:00:00Z"

    assert "acknowledged" in run("ack", incident, "--by", "bo").output
    reported = run(
        "report", incident, "--clock", "gdpr-art33", "--by", "dpo", "--filed-at", "2026-12-03T10:00:00+01:00"
    )
    assert "report filed 2026-12-03 09:00Z" in reported.output and "(late)" not in reported.output
    late = run("report", incident, "--clock", "vn-pdpl-art23", "--by", "dpo", "--reference", "A05-77")
    assert "(late)" in late.output  # filed now, after 2026-12-04 08:00Z

    closed = run("close", incident, "--by", "ana", "--reason", "retrained; v8 replaces v7")
    assert f"closed {incident} by ana" in closed.output and "retrained; v8 replaces v7" in closed.output
    text = run("show", incident).output
    assert "[closed]" in text and "closed     " in text
    history = [line.split()[1] for line in text.split("history\n")[1].splitlines()]
    assert history == ["opened", "acknowledged", "reported", "reported", "closed"]
    keys = [i.key for i in open_store(local_settings).list("incidents/")]
    assert len(keys) == 5 and all(k.startswith(f"incidents/{incident}/events/") for k in keys)

    assert "no incidents with status open" in run("list", "--status", "open").output
    reopened = json.loads(_json(run(*open_args(), "--json")))
    assert reopened["created"] and reopened["incident_id"].endswith("-0002")


def test_escalate_once_and_the_page(incident, tmp_path):
    first = json.loads(run("escalate", "--as-of", "2026-12-05T00:00:00Z", "--json").output)
    assert sorted(e["clock_id"] for e in first) == ["gdpr-art33", "vn-ai-law-art12", "vn-pdpl-art23"]
    assert "0 clock(s) escalated" in run("escalate", "--as-of", "2026-12-06T00:00:00Z").output
    page = tmp_path / "incident.html"
    run("show", incident, "--html", str(page), "--as-of", "2026-12-05T00:00:00Z")
    html = page.read_text()
    assert "OVERDUE" in html and 'class="clock overdue"' in html and "Art. 33(1)" in html
    md = run("show", incident, "--markdown", "--as-of", "2026-12-05T00:00:00Z").output
    assert md.startswith(f"# Incident {incident}: OVERDUE") and "| OVERDUE | gdpr Art. 33(1)" in md


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["show", "inc-nothing"], "no incident 'inc-nothing'"),
        (["close", "inc-", "--by", "ana", "--reason", " "], "needs who closes it (--by) and why (--reason)"),
        (["report", "inc-", "--clock", "gdpr-art33", "--by", "x", "--filed-at", "2026-12-03T09:00"], "--filed-at"),
        (["report", "inc-", "--clock", "vn-pdpl-art23", "--by", "x", "--initial"], "initial incomplete report"),
        (["report", "inc-", "--clock", "gdpr-art99", "--by", "x"], "no clock 'gdpr-art99'"),
        (["show", "inc-", "--as-of", "yesterday"], "--as-of 'yesterday' is not an ISO date-time"),
    ],
)
def test_bad_input_is_one_clear_line(incident, args, message):
    result = run(*args, code=1)
    lines = [line for line in result.output.splitlines() if line.strip()]
    assert len(lines) == 1 and lines[0].startswith("error: ") and message in lines[0], result.output


def test_close_requires_a_reason(incident):
    result = run("close", incident, "--by", "ana", code=2)
    assert "--reason" in result.output
    now = datetime.now(UTC)
    shown = json.loads(run("show", incident, "--json").output)
    assert shown["status"] == "open" and now - timedelta(minutes=5) < datetime.fromisoformat(
        shown["as_of"]
    ) <= now + timedelta(minutes=5)


def test_an_aware_time_without_offset_is_refused(local_settings):
    args = open_args()
    args[args.index(AWARE)] = "2026-12-01T09:00:00"
    result = run(*args, code=1)
    assert "error: --aware-at '2026-12-01T09:00:00' has no time zone offset" in result.output


def test_classify_a_regression_later(local_settings):
    args = open_args("drift.income")
    cut = args.index("--kind")
    opened = json.loads(_json(run(*args[:cut], "--json")))  # no kind, no jurisdiction: no clock
    assert "none (no legal classification)" in run("show", opened["incident_id"]).output
    result = run(
        "classify",
        opened["incident_id"],
        "--by",
        "legal",
        "--kind",
        "personal_data_breach",
        "--jurisdiction",
        "VN",
        "--aware-at",
        "2026-12-02T10:00:00+07:00",
    )
    assert "classified" in result.output and "vn-pdpl-art23" in result.output
    assert "due 2026-12-05 03:00Z (within 72 hours)" in result.output
    text = run("show", opened["incident_id"]).output
    assert "classified as personal_data_breach" in text
    again = run(
        "classify",
        opened["incident_id"],
        "--by",
        "legal",
        "--kind",
        "personal_data_breach",
        "--jurisdiction",
        "VN",
        code=1,
    )
    assert "error: incident" in again.output and "already classified" in again.output
