"""Incidents: clock arithmetic at its boundaries, the fold of append-only events, idempotent and racing
openers, escalation exactly once, on the local and the S3 store (moto over HTTP)."""

from __future__ import annotations

import threading
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from govgate.errors import InputError, PolicyError, WriteOnceError
from govgate.incidents import (
    Asset,
    ClockStatus,
    EventKind,
    IncidentKind,
    IncidentStatus,
    Jurisdiction,
    acknowledge,
    add_note,
    clock_view,
    close,
    escalate_overdue,
    fold,
    incident_ids,
    load_incident,
    load_legal_clocks,
    open_incident,
    plan_clocks,
    read_events,
    record_report,
)
from govgate.incidents.ledger import event_key
from govgate.record import AssetKind, Severity

RULES = load_legal_clocks()
BERLIN, HCM, BRUSSELS = ZoneInfo("Europe/Berlin"), ZoneInfo("Asia/Ho_Chi_Minh"), ZoneInfo("Europe/Brussels")
ASSET = Asset(kind=AssetKind.MODEL, id="credit-scorer", version="7")
T0 = datetime(2026, 9, 1, 10, 0, tzinfo=UTC)
K = IncidentKind
EU, VN = Jurisdiction.EU, Jurisdiction.VN


def clocks(kinds, jurisdictions, aware_at):
    return {p.id: p for p in plan_clocks(RULES, kinds, jurisdictions, aware_at, aware_at)}


def status_at(plan, when, reported=None):
    return clock_view(plan, when, reported).status


# --- clock arithmetic ---------------------------------------------------------------------------------


def test_72_hours_is_due_at_exactly_72_hours_and_overdue_one_second_later():
    aware = datetime(2026, 10, 23, 9, 15, tzinfo=BERLIN)  # 72 h later crosses the end of DST in Berlin
    plan = clocks([K.PERSONAL_DATA_BREACH], [EU], aware)["gdpr-art33"]
    assert plan.due_at == aware.astimezone(UTC) + timedelta(hours=72)  # hours are real hours, DST or not
    assert plan.due_at.astimezone(BERLIN).hour == 8  # the wall clock moved back: 08:15 local, not 09:15
    assert status_at(plan, plan.due_at) == ClockStatus.DUE
    assert status_at(plan, plan.due_at + timedelta(seconds=1)) == ClockStatus.OVERDUE
    assert status_at(plan, plan.due_at + timedelta(days=9), reported=plan.due_at) == ClockStatus.MET
    late = clock_view(plan, plan.due_at + timedelta(days=9), plan.due_at + timedelta(seconds=1))
    assert late.status == ClockStatus.MET and late.late


def test_vn_72_hours_from_a_berlin_time_is_72_real_hours():
    aware = datetime(2026, 3, 28, 23, 30, tzinfo=BERLIN)  # the night before Berlin's DST starts
    plan = clocks([K.PERSONAL_DATA_BREACH], [VN], aware)["vn-pdpl-art23"]
    assert plan.due_at == datetime(2026, 3, 31, 22, 30, tzinfo=UTC)
    assert plan.due_at.astimezone(HCM) == datetime(2026, 4, 1, 5, 30, tzinfo=HCM)


@pytest.mark.parametrize(
    ("aware", "due_local", "hours"),
    [
        # autumn: Berlin leaves CEST on 2026-10-25; 15 local days are 361 real hours
        (datetime(2026, 10, 20, 10, 0, tzinfo=BERLIN), datetime(2026, 11, 4, 10, 0), 361),
        # spring: Berlin enters CEST on 2027-03-28; 15 local days are 359 real hours
        (datetime(2027, 3, 20, 10, 0, tzinfo=BERLIN), datetime(2027, 4, 4, 10, 0), 359),
        # a Ho Chi Minh time (UTC+7, no DST) is read in the EU clock's zone: 15:00 ICT = 10:00 CEST
        (datetime(2026, 10, 20, 15, 0, tzinfo=HCM), datetime(2026, 11, 4, 10, 0), 361),
    ],
)
def test_15_days_are_calendar_days_across_a_dst_change(aware, due_local, hours):
    plan = clocks([K.SERIOUS_INCIDENT], [EU], aware)["eu-ai-act-art73-2"]
    assert plan.due_at.astimezone(BRUSSELS).replace(tzinfo=None) == due_local
    assert (plan.due_at - aware.astimezone(UTC)) == timedelta(hours=hours)
    assert status_at(plan, plan.due_at) == ClockStatus.DUE
    assert status_at(plan, plan.due_at + timedelta(seconds=1)) == ClockStatus.OVERDUE


def test_days_in_a_zone_without_dst_are_24_hours_each():
    aware = datetime(2026, 10, 20, 10, 0, tzinfo=BERLIN)
    # an AI-Act-like 15-day clock counted in Ho Chi Minh: the same arithmetic, no DST there
    from govgate.incidents.clocks import due_at
    from govgate.incidents.rules import Period

    assert due_at(aware, Period(days=15), "Asia/Ho_Chi_Minh") - aware == timedelta(hours=360)


@pytest.mark.parametrize(
    ("year", "due_day"),
    [(2028, datetime(2028, 3, 1, 12, 0)), (2027, datetime(2027, 3, 2, 12, 0))],  # 2028 has Feb 29
)
def test_two_days_over_the_end_of_february_count_the_leap_day(year, due_day):
    aware = datetime(year, 2, 28, 12, 0, tzinfo=BRUSSELS)
    plan = clocks([K.WIDESPREAD_INFRINGEMENT], [EU], aware)["eu-ai-act-art73-3"]
    assert plan.within == "within 2 days"
    assert plan.due_at.astimezone(BRUSSELS).replace(tzinfo=None) == due_day
    assert plan.due_at - aware == timedelta(days=2)


def test_leap_day_itself_plus_72_hours():
    aware = datetime(2028, 2, 29, 0, 0, tzinfo=UTC)
    plan = clocks([K.PERSONAL_DATA_BREACH], [EU], aware)["gdpr-art33"]
    assert plan.due_at == datetime(2028, 3, 3, 0, 0, tzinfo=UTC)


def test_a_death_runs_the_10_day_clock_and_the_15_day_one_is_superseded():
    aware = datetime(2026, 9, 1, 8, 0, tzinfo=UTC)
    plans = clocks([K.SERIOUS_INCIDENT, K.DEATH], [EU, VN], aware)
    assert plans["eu-ai-act-art73-4"].due_at == aware + timedelta(days=10)
    assert not plans["eu-ai-act-art73-2"].applicable
    assert "superseded by the shorter clock eu-ai-act-art73-4" in plans["eu-ai-act-art73-2"].reason
    assert plans["vn-ai-law-art12"].due_at == aware  # "without delay": due at awareness
    assert status_at(plans["vn-ai-law-art12"], aware) == ClockStatus.DUE
    assert status_at(plans["vn-ai-law-art12"], aware + timedelta(seconds=1)) == ClockStatus.OVERDUE
    assert "gdpr-art33" not in plans  # not a personal data breach: the clock is not listed at all


def test_a_clock_not_in_force_on_the_awareness_date_is_not_applicable_read_in_its_own_zone():
    # 2026-08-01 23:30 in Brussels: the day before Art. 73 applies
    before = clocks([K.SERIOUS_INCIDENT], [EU], datetime(2026, 8, 1, 23, 30, tzinfo=BRUSSELS))["eu-ai-act-art73-2"]
    assert not before.applicable and before.due_at is None
    assert "applies from 2026-08-02" in before.reason and "2026-08-01" in before.reason
    assert status_at(before, T0) == ClockStatus.NOT_APPLICABLE
    # 22:30 UTC on 2026-08-01 is already 2026-08-02 00:30 in Brussels: in force
    after = clocks([K.SERIOUS_INCIDENT], [EU], datetime(2026, 8, 1, 22, 30, tzinfo=UTC))["eu-ai-act-art73-2"]
    assert after.applicable and after.due_at == datetime(2026, 8, 16, 22, 30, tzinfo=UTC)


def test_vietnam_breach_clock_moves_from_decree_13_to_the_pdpl_at_new_year_in_ho_chi_minh():
    old = clocks([K.PERSONAL_DATA_BREACH], [VN], datetime(2025, 12, 31, 23, 59, tzinfo=HCM))
    new = clocks([K.PERSONAL_DATA_BREACH], [VN], datetime(2026, 1, 1, 0, 0, tzinfo=HCM))
    assert old["vn-decree13-art23"].applicable and not old["vn-pdpl-art23"].applicable
    assert "applies from 2026-01-01" in old["vn-pdpl-art23"].reason
    assert new["vn-pdpl-art23"].applicable and not new["vn-decree13-art23"].applicable
    assert "in force until 2025-12-31" in new["vn-decree13-art23"].reason
    # the AI law is in force from 2026-03-01
    ai = clocks([K.SERIOUS_INCIDENT], [VN], datetime(2026, 2, 28, 12, 0, tzinfo=HCM))["vn-ai-law-art12"]
    assert not ai.applicable and "2026-03-01" in ai.reason


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ("within: {hours: 72}\n", "exactly one of hours, days, immediate"),
        ("zone: Mars/Olympus\n", "not an IANA time zone"),
        ("superseded_by: [nope]\n", "unknown clock id(s) ['nope']"),
        ("colour: red\n", "colour: unknown key"),
    ],
)
def test_a_bad_clock_file_names_the_file_and_the_key(tmp_path, change, message):
    base = RULES.model_dump(mode="json")
    rule = base["clocks"][0]
    key = change.split(":")[0]
    bad = tmp_path / "clocks.yaml"
    import yaml

    if key == "within":
        rule["within"] = {"hours": 72, "days": 3}
    elif key == "zone":
        rule["zone"] = "Mars/Olympus"
    elif key == "superseded_by":
        rule["superseded_by"] = ["nope"]
    else:
        rule["colour"] = "red"
    bad.write_text(yaml.safe_dump(base))
    with pytest.raises(PolicyError) as err:
        load_legal_clocks(bad)
    assert str(bad) in str(err.value) and message in str(err.value)


def test_naive_times_are_refused():
    with pytest.raises(InputError, match="no time zone offset"):
        plan_clocks(RULES, [K.DEATH], [EU], datetime(2026, 9, 1, 10), datetime(2026, 9, 1, 10))


# --- the ledger on both stores ------------------------------------------------------------------------


def open_one(store, cause="fairness.fpr_gap", now=T0, **kw):
    args = dict(
        asset=ASSET,
        cause=cause,
        summary="false positive rate for women rose above the baseline by more than the tier allows",
        severity=Severity.HIGH,
        by="reassessment",
        evidence=["s3://bucket/evidence/model/credit-scorer/7/reassessment/r1/record.json"],
        kinds=[K.SERIOUS_INCIDENT, K.PERSONAL_DATA_BREACH],
        jurisdictions=[EU, VN],
        aware_at=now - timedelta(hours=1),
        now=now,
    )
    return open_incident(store, RULES, **{**args, **kw})


def test_open_is_idempotent_per_open_cause_and_a_closed_cause_opens_the_next(any_store):
    first = open_one(any_store)
    assert first.created and first.incident.status == IncidentStatus.OPEN
    again = open_one(any_store, now=T0 + timedelta(days=1))
    assert not again.created and again.incident.id == first.incident.id
    other = open_one(any_store, cause="drift.income")
    assert other.created and other.incident.id != first.incident.id
    assert len(incident_ids(any_store)) == 2

    acknowledge(any_store, first.incident.id, by="ana", now=T0 + timedelta(hours=2))
    assert not open_one(any_store, now=T0 + timedelta(hours=3)).created  # acknowledged is still open
    closed = close(
        any_store, first.incident.id, by="ana", reason="retrained; v8 replaces v7", now=T0 + timedelta(days=2)
    )
    assert (closed.status, closed.closed_by, closed.close_reason) == (
        IncidentStatus.CLOSED,
        "ana",
        "retrained; v8 replaces v7",
    )
    assert closed.closed_at == T0 + timedelta(days=2)

    reopened = open_one(any_store, now=T0 + timedelta(days=3))
    assert reopened.created and reopened.incident.id.endswith("-0002")
    assert reopened.incident.id.rsplit("-", 1)[0] == first.incident.id.rsplit("-", 1)[0]


def test_racing_openers_on_one_cause_open_exactly_one_incident(any_store):
    n = 8
    barrier, results, errors = threading.Barrier(n), [], []

    def opener():
        try:
            barrier.wait(10)
            results.append(open_one(any_store))
        except Exception as exc:  # surfaced below: a thread's failure must fail the test
            errors.append(exc)

    threads = [threading.Thread(target=opener) for _ in range(n)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    assert errors == [] and len(results) == n
    assert sum(r.created for r in results) == 1
    assert len({r.incident.id for r in results}) == 1
    (incident,) = incident_ids(any_store)
    assert [e.kind for e in read_events(any_store, incident)] == [EventKind.OPENED]


def test_events_are_write_once_and_the_state_is_their_fold(any_store):
    opened = open_one(any_store).incident
    acknowledge(any_store, opened.id, by="ana", note="looking", now=T0 + timedelta(minutes=5))
    add_note(
        any_store, opened.id, by="ana", text="women in the 25-34 group most affected", now=T0 + timedelta(minutes=6)
    )
    with pytest.raises(InputError, match="already acknowledged by ana"):
        acknowledge(any_store, opened.id, by="bo", now=T0 + timedelta(minutes=7))
    events = read_events(any_store, opened.id)
    assert [e.seq for e in events] == [1, 2, 3]
    assert [e.kind for e in events] == [EventKind.OPENED, EventKind.ACKNOWLEDGED, EventKind.NOTE]
    with pytest.raises(WriteOnceError):
        any_store.put(event_key(opened.id, 2), b"{}", write_once=True)
    state = fold(events, T0 + timedelta(minutes=10))
    assert state == load_incident(any_store, opened.id[:12], T0 + timedelta(minutes=10))  # an id prefix works
    assert (state.status, state.acknowledged_by) == (IncidentStatus.ACKNOWLEDGED, "ana")
    assert fold(events[:1], T0).status == IncidentStatus.OPEN  # the fold of a prefix is the past state


def test_reports_meet_clocks_and_refuse_what_the_law_does_not_allow(any_store):
    incident = open_one(any_store).incident
    with pytest.raises(InputError, match="no clock 'gdpr-art99'"):
        record_report(any_store, incident.id, clock_id="gdpr-art99", by="dpo", now=T0)
    with pytest.raises(InputError, match="does not provide for an initial incomplete report"):
        record_report(any_store, incident.id, clock_id="vn-pdpl-art23", by="dpo", complete=False, now=T0)
    with pytest.raises(InputError, match="does not apply"):
        record_report(any_store, incident.id, clock_id="vn-decree13-art23", by="dpo", now=T0)
    state = record_report(
        any_store, incident.id, clock_id="eu-ai-act-art73-2", by="dpo", complete=False, reference="MSA-1", now=T0
    )
    met = {c.plan.id: c for c in state.clocks}["eu-ai-act-art73-2"]
    assert met.status == ClockStatus.MET and not met.late


def test_escalation_appends_one_event_per_overdue_clock_once(any_store):
    incident = open_one(any_store).incident  # aware T0 - 1 h
    record_report(any_store, incident.id, clock_id="vn-ai-law-art12", by="dpo", now=T0)
    assert escalate_overdue(any_store, T0 + timedelta(hours=70)) == []  # nothing overdue yet
    day4 = T0 + timedelta(days=4)
    first = escalate_overdue(any_store, day4)
    assert sorted(e.clock_id for e in first) == ["gdpr-art33", "vn-pdpl-art23"]
    assert escalate_overdue(any_store, day4 + timedelta(days=1)) == []  # the next day's run: nothing new
    kinds = [e.kind for e in read_events(any_store, incident.id)]
    assert kinds.count(EventKind.CLOCK_ESCALATED) == 2
    later = escalate_overdue(any_store, T0 + timedelta(days=16))
    assert [e.clock_id for e in later] == ["eu-ai-act-art73-2"]
    state = load_incident(any_store, incident.id, T0 + timedelta(days=16))
    assert {c.plan.id for c in state.clocks if c.escalated_at} == {"gdpr-art33", "vn-pdpl-art23", "eu-ai-act-art73-2"}
    close(any_store, incident.id, by="ana", reason="reported late; closed", now=T0 + timedelta(days=20))
    assert escalate_overdue(any_store, T0 + timedelta(days=30)) == []  # closed incidents are not escalated


def test_concurrent_escalations_append_each_clock_once(any_store):
    incident = open_one(any_store).incident
    n = 4
    barrier, results = threading.Barrier(n), []

    def run():
        barrier.wait(10)
        results.append(escalate_overdue(any_store, T0 + timedelta(days=4)))

    threads = [threading.Thread(target=run) for _ in range(n)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    assert sorted(e.clock_id for r in results for e in r) == ["gdpr-art33", "vn-ai-law-art12", "vn-pdpl-art23"]
    events = read_events(any_store, incident.id)
    assert [e.seq for e in events] == list(range(1, len(events) + 1))
    assert sorted(e.clock_id for e in events if e.kind == EventKind.CLOCK_ESCALATED) == [
        "gdpr-art33",
        "vn-ai-law-art12",
        "vn-pdpl-art23",
    ]


def test_bad_inputs_are_one_clear_error(any_store):
    with pytest.raises(InputError, match="in the future"):
        open_one(any_store, aware_at=T0 + timedelta(hours=1))
    incident = open_one(any_store).incident
    with pytest.raises(InputError, match="needs who closes it"):
        close(any_store, incident.id, by="ana", reason="  ", now=T0)
    with pytest.raises(InputError, match="no incident 'inc-ffff'"):
        load_incident(any_store, "inc-ffff")


def test_a_later_classification_starts_its_clocks_from_its_own_awareness(any_store):
    from govgate.incidents import classify

    opened = open_one(any_store, kinds=[], jurisdictions=[]).incident  # a regression: no legal clock yet
    assert opened.clocks == [] and escalate_overdue(any_store, T0 + timedelta(days=30)) == []
    aware = T0 + timedelta(days=2)
    state = classify(
        any_store,
        RULES,
        opened.id,
        kinds=[K.SERIOUS_INCIDENT],
        jurisdictions=[EU],
        by="legal",
        aware_at=aware,
        now=aware,
    )
    (clock,) = state.clocks
    assert (clock.plan.id, clock.plan.due_at) == ("eu-ai-act-art73-2", aware + timedelta(days=15))
    assert state.kinds == [K.SERIOUS_INCIDENT] and state.jurisdictions == [EU]
    with pytest.raises(InputError, match="already classified as serious_incident"):
        classify(any_store, RULES, opened.id, kinds=[K.SERIOUS_INCIDENT], jurisdictions=[EU], by="legal", now=aware)
    # found to have caused a death three days later: the 10-day clock runs from then and replaces the 15-day one
    death = aware + timedelta(days=3)
    state = classify(
        any_store, RULES, opened.id, kinds=[K.DEATH], jurisdictions=[EU], by="legal", aware_at=death, now=death
    )
    views = {c.plan.id: c for c in state.clocks}
    assert views["eu-ai-act-art73-4"].plan.due_at == death + timedelta(days=10)
    assert views["eu-ai-act-art73-2"].status == ClockStatus.NOT_APPLICABLE
    assert (
        "superseded by the shorter clock eu-ai-act-art73-4 (classified later)" in views["eu-ai-act-art73-2"].plan.reason
    )
    assert [e.kind for e in read_events(any_store, opened.id)] == [
        EventKind.OPENED,
        EventKind.CLASSIFIED,
        EventKind.CLASSIFIED,
    ]
    (late,) = escalate_overdue(any_store, death + timedelta(days=10, seconds=1))
    assert late.clock_id == "eu-ai-act-art73-4"
