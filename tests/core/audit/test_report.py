"""The audit report from a real local store: published gate records (one whose record.json was changed
after publishing), an incident with legal clocks, a retention certificate, an inventory snapshot, a corrupt
record and an incomplete folder. Coverage and KPIs are hand-built here (their computation is tested with
their own modules). The signed folder is tampered with file by file and every change is named."""

from __future__ import annotations

import json
from datetime import UTC, date, datetime, timedelta

import pytest

from govgate import protocol
from govgate.audit import report as audit
from govgate.audit.report_html import kpi_chart, render_report
from govgate.audit.report_seal import report_prefix, verify_report, write_report
from govgate.audit.types import KPI, ControlCoverage, EvidenceRef
from govgate.errors import InputError, WriteOnceError
from govgate.gate import build_record
from govgate.incidents import Asset, IncidentKind, Jurisdiction, load_legal_clocks, open_incident
from govgate.package.layout import MANIFEST_NAME, PUBLIC_KEY_NAME, SIGNATURE_NAME
from govgate.package.signing import load_signing_key
from govgate.policy import load_policy
from govgate.publish import publish
from govgate.record import AssetKind, Check, Outcome, Severity, SignOff, Subject, decide, new_record_id
from govgate.settings import DEFAULT_POLICY
from govgate.store import open_store
from govgate.tracking import Tracker

T0 = datetime(2026, 11, 2, 9, 0, tzinfo=UTC)
START, END = audit.period(date(2026, 11, 1), date(2026, 11, 30))


def publish_one(store, tracker, subject_id, gate, when, outcome=Outcome.PASS, sign_off=None):
    checks = [Check(id="x.c", title="c", category="x", outcome=outcome, evidence_kind="data_quality")]
    decision = decide(checks)
    if sign_off:
        decision.sign_offs.append(sign_off)
    record = build_record(
        gate=gate,
        subject=Subject(kind=AssetKind.MODEL, id=subject_id, version="1"),
        policy=load_policy(DEFAULT_POLICY),
        tier="medium",
        started_at=when,
        checks=checks,
        decision=decision,
    )
    record.record_id = new_record_id(when)
    return publish(record, store=store, tracker=tracker)


def coverage_for(made) -> list[ControlCoverage]:
    ref = EvidenceRef(
        record_id=made.record.record_id,
        uri=made.record_uri,
        gate="data-review",
        subject_id="credit-scorer",
        evidence_kind="data_quality",
        decided_at=T0,
        expires=date(2027, 11, 2),
        fresh=True,
        verified=True,
    )
    return [
        ControlCoverage(
            "nist-ai-rmf-1.0:MEASURE-2.1",
            "nist-ai-rmf-1.0",
            "MEASURE-2.1",
            "Test sets",
            "covered",
            "every mapped kind has current evidence",
            evidence_kinds=["data_quality"],
            served_kinds=["data_quality"],
            evidence=[ref],
        ),
        ControlCoverage(
            "nist-ai-rmf-1.0:MAP-1.1",
            "nist-ai-rmf-1.0",
            "MAP-1.1",
            "Context",
            "not_covered",
            "no current, verified evidence of risk_assessment",
            missing_kinds=["risk_assessment"],
        ),
        ControlCoverage(
            "eu-ai-act:art-73",
            "eu-ai-act",
            "art-73",
            "Serious incidents",
            "not_applicable",
            "applies from 2026-08-02; report date 2026-11-30",
            applies_from="2026-08-02",
        ),
    ]


def kpis() -> list[KPI]:
    week = timedelta(days=7)
    series = [
        KPI(
            "evaluations_on_time",
            "Evaluations on time",
            n,
            4,
            START + i * week,
            START + (i + 1) * week,
            "reassessments done by their due date",
            "reassessments scheduled",
            target=0.9,
        )
        for i, n in enumerate((4, 3, 2, 4))
    ]
    return [
        KPI(
            "evaluations_on_time",
            "Evaluations on time",
            13,
            16,
            START,
            END,
            "reassessments done by their due date",
            "reassessments scheduled",
            target=0.9,
        )
    ], {"evaluations_on_time": series}


@pytest.fixture(scope="module")
def world(tmp_path_factory):
    """A local store with every kind of thing the report reads (built once: publishing logs to MLflow)."""
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("GOVGATE_HOME", str(tmp_path_factory.mktemp("home")))
        yield _build_world()


def _build_world():
    from govgate.settings import load_settings

    settings = load_settings()
    store, tracker = open_store(settings), Tracker.from_settings(settings)
    signer = SignOff(name="Ana Risk", role="risk_officer", decision="approve", signed_at=T0 + timedelta(days=3))
    made = {
        "review": publish_one(store, tracker, "credit-scorer", "data-review", T0),
        "launch": publish_one(
            store, tracker, "credit-scorer", "launch-evidence", T0 + timedelta(days=3), sign_off=signer
        ),
        "failed": publish_one(store, tracker, "churn", "model-review", T0 + timedelta(days=5), Outcome.FAIL),
        "tampered": publish_one(store, tracker, "churn", "data-review", T0 + timedelta(days=6)),
        "before": publish_one(store, tracker, "churn", "data-review", T0 - timedelta(days=20)),
    }
    body = store.root / made["tampered"].prefix / protocol.RECORD_JSON
    body.write_text(body.read_text().replace('"pass"', '"fail"', 1))  # changed after publishing
    corrupt = "evidence/churn/1/model-review/20261110T100000Z-deadbeef/"
    store.put(corrupt + protocol.RECORD_JSON, b"{not json")
    store.put(corrupt + protocol.MANIFEST, b'{"files": {"record.json": {"sha256": "00"}}}')
    store.put("evidence/churn/1/model-review/20261111T100000Z-cafef00d/" + protocol.RECORD_JSON, b"{}")  # no manifest
    open_incident(
        store,
        load_legal_clocks(),
        asset=Asset(kind=AssetKind.MODEL, id="credit-scorer", version="1"),
        cause="fairness.fpr_gap",
        summary="false positive rate gap above the limit",
        severity=Severity.HIGH,
        by="reassessment",
        kinds=[IncidentKind.SERIOUS_INCIDENT],
        jurisdictions=[Jurisdiction.EU],
        aware_at=T0 + timedelta(days=7),
        now=T0 + timedelta(days=7, hours=1),
    )
    cert = {
        "kind": protocol.RETENTION_CERTIFICATE_KIND,
        "purge_id": "purge-1",
        "status": "complete",
        "finished_at": (T0 + timedelta(days=8)).isoformat(),
        "deleted": {"objects": 12, "bytes": 3400},
    }
    store.put(protocol.RETENTION_AUDIT_PREFIX + "purge-1/certificate.json", json.dumps(cert).encode())
    snap = {
        "schema": protocol.INVENTORY_SCHEMA,
        "sync_id": "s1",
        "synced_at": (T0 + timedelta(days=9)).isoformat(),
        "assets": [
            {
                "id": "credit-scorer",
                "name": "Credit scorer",
                "kind": "model",
                "tier": "high",
                "status": "deployed",
                "owner": None,
                "gates": {"data-review": {"decision": "pass"}},
            }
        ],
        "gaps": [
            {
                "asset_id": "credit-scorer",
                "rule": "no-owner",
                "severity": "high",
                "message": "no owner",
                "fix": "set the owner tag",
            }
        ],
        "disappeared": [],
    }
    store.put(protocol.INVENTORY_SNAPSHOTS_PREFIX + "s1/inventory.json", json.dumps(snap).encode())
    return settings, store, made


def gathered(world, **kw) -> audit.AuditData:
    settings, store, made = world
    data = audit.gather(store, start=START, end=END, now=T0 + timedelta(days=30), **kw)
    data.coverage = coverage_for(made["review"])
    data.kpis, data.kpi_series = kpis()
    return data


def test_gather_reads_the_period_and_names_what_it_could_not_read(world):
    settings, store, made = world
    data = gathered(world)
    ids = [e.record_id for e in data.runs]
    assert made["before"].record.record_id not in ids  # before the period
    assert {made[k].record.record_id for k in ("review", "launch", "failed", "tampered")} <= set(ids)
    unread = {u.what: u.reason for u in data.unread}
    assert any("20261110T100000Z-deadbeef" in k and ("ValueError" in v or "JSON" in v) for k, v in unread.items())
    assert any("20261111T100000Z-cafef00d" in k and "incomplete" in v for k, v in unread.items())
    assert any(made["tampered"].record.record_id in k and "changed after publishing" in v for k, v in unread.items())
    assert [c["purge_id"] for c in data.certificates] == ["purge-1"]
    assert data.inventory_key == protocol.INVENTORY_SNAPSHOTS_PREFIX + "s1/inventory.json"
    assert [i.asset.id for i in data.incidents] == ["credit-scorer"]
    assert data.notes == []


def test_bad_input_is_a_note_and_the_report_still_renders(world):
    settings, store, made = world
    data = audit.gather(store, start=START, end=END, asset="no-such-model", frameworks=["nist-ai-rmf-1.0", "iso-9001"])
    assert data.frameworks == ["nist-ai-rmf-1.0"]
    assert any("unknown framework 'iso-9001'" in n for n in data.notes)
    assert any(
        "no gate records in the period 2026-11-01 to 2026-11-30 for asset 'no-such-model'" in n for n in data.notes
    )
    assert any("unknown asset 'no-such-model'" in n and "the inventory does not list it" in n for n in data.notes)
    html = render_report(data)
    assert "unknown framework" in html and "No gate record in the period." in html
    empty = audit.gather(store, start=datetime(2025, 1, 1, tzinfo=UTC), end=datetime(2025, 1, 2, tzinfo=UTC))
    assert any("no gate records in the period 2025-01-01 to 2025-01-01" in n for n in empty.notes)
    assert any("no inventory snapshot" in n for n in empty.notes)
    with pytest.raises(InputError, match="before --from"):
        audit.period(date(2026, 11, 30), date(2026, 11, 1))


def test_the_page_shows_every_section_and_failures_in_words(world):
    settings, store, made = world
    data = gathered(world)
    html = render_report(data)
    for section in ("inventory", "runs", "signoffs", "incidents", "retention", "coverage", "kpis", "unread"):
        assert f'<section id="{section}">' in html
    assert "Ana Risk" in html and "risk_officer" in html  # the sign-off
    assert made["failed"].record_uri in html and made["failed"].report_uri in html
    assert 'class="tag st-not_covered">NOT COVERED' in html and "NOT VERIFIED" in html
    assert "eu_ai_act" not in html and "not applicable" in html
    assert "purge-1" in html and "12 objects" in html
    assert "NO OWNER" in html and "no-owner" in html  # the inventory gap
    assert "serious" in html.lower() and "incident" in html
    assert "http://" not in html.replace("http://www.w3.org/2000/svg", "")  # nothing to fetch
    assert html.count('class="chart kpi"') == 1 and html.count('class="point"') == 4
    assert "81.2%" in html and "BELOW TARGET" in html  # 13/16 against a 0.9 target


def test_kpi_chart_marks_sub_periods_with_nothing_to_count():
    k = KPI("x", "x", 0, 0, START, END, "n", "d")
    svg = kpi_chart([k, KPI("x", "x", 1, 2, END, END + timedelta(days=7), "n", "d")])
    assert svg.count('class="empty"') == 1 and svg.count('class="point"') == 1 and "no data" in svg


def test_written_once_signed_and_verified(world, local_signing):
    settings, store, made = world
    data = gathered(world)
    sealed = write_report(store, data, render_report(data), b"{}", local_signing)
    assert sealed.prefix == report_prefix(data.report_id)
    assert set(sealed.files) == {
        protocol.AUDIT_REPORT_HTML,
        protocol.AUDIT_REPORT_OSCAL,
        protocol.AUDIT_REPORT_DATA,
        PUBLIC_KEY_NAME,
    }
    report = verify_report(sealed.folder_uri, settings)
    assert report.ok, report.problems
    with pytest.raises(WriteOnceError):
        write_report(store, data, render_report(data), b"{}", local_signing)
    doc = json.loads(store.get_bytes(sealed.prefix + protocol.AUDIT_REPORT_DATA))
    assert doc["coverage_counts"]["nist-ai-rmf-1.0"] == {
        "covered": 1,
        "partial": 0,
        "not_covered": 1,
        "not_applicable": 0,
    }


@pytest.fixture
def local_signing(world):
    return load_signing_key(world[0])


@pytest.mark.parametrize(
    "name", [protocol.AUDIT_REPORT_HTML, protocol.AUDIT_REPORT_OSCAL, protocol.AUDIT_REPORT_DATA, PUBLIC_KEY_NAME]
)
def test_a_changed_or_removed_file_is_named(world, local_signing, name):
    settings, store, made = world
    data = gathered(world)
    sealed = write_report(store, data, render_report(data), b"{}", local_signing)
    path = store.root / sealed.prefix / name
    path.write_bytes(path.read_bytes() + b" ")
    report = verify_report(sealed.folder_uri, settings)
    assert not report.ok and any(p.startswith(f"{name}: content changed") for p in report.problems), report.problems
    path.unlink()
    report = verify_report(sealed.folder_uri, settings)
    assert any(p.startswith(f"missing file {name}") for p in report.problems), report.problems


def test_an_added_file_a_changed_manifest_or_signature_is_named(world, local_signing):
    settings, store, made = world
    data = gathered(world)
    sealed = write_report(store, data, render_report(data), b"{}", local_signing)
    (store.root / sealed.prefix / "extra.html").write_text("<p>all covered</p>")
    report = verify_report(sealed.folder_uri, settings)
    assert report.problems == [f"extra.html: in the package folder but not in {MANIFEST_NAME} (added after sealing)"]

    sealed = write_report(store, gathered(world), "<html></html>", b"{}", local_signing)
    manifest = store.root / sealed.prefix / MANIFEST_NAME
    manifest.write_text(manifest.read_text().replace('"records": ', '"records": 1'))
    report = verify_report(sealed.folder_uri, settings)
    assert any(
        p.startswith(f"{MANIFEST_NAME}: the signature in {SIGNATURE_NAME} does not verify") for p in report.problems
    )

    sealed = write_report(store, gathered(world), "<html></html>", b"{}", local_signing)
    (store.root / sealed.prefix / SIGNATURE_NAME).write_bytes(b"\0" * 64)
    report = verify_report(sealed.folder_uri, settings)
    assert report.signature == "INVALID" and not report.ok


def test_a_report_signed_by_an_untrusted_key_fails(world, tmp_path):
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

    from govgate.package.signing import SigningKey

    settings, store, made = world
    data = gathered(world)
    sealed = write_report(store, data, render_report(data), b"{}", SigningKey(Ed25519PrivateKey.generate(), "test"))
    report = verify_report(sealed.folder_uri, settings)
    assert not report.ok and report.signature == "INVALID", report.problems


def test_a_launch_package_is_not_an_audit_report(world, local_signing):
    from govgate.package.seal import write_package

    settings, store, made = world
    other = write_package(
        store,
        "audit/reports/not-a-report/",
        {PUBLIC_KEY_NAME: local_signing.public_pem()},
        {"package_id": "not-a-report"},
        local_signing,
    )
    report = verify_report(other.folder_uri, settings)
    assert any("not an audit report" in p for p in report.problems)


def test_measured_coverage_and_kpis_render_with_trends(world):
    """With h7's coverage and KPIs: every catalog framework counted, the changed record named as no evidence,
    each KPI with a trend point per week of the period."""
    settings, store, made = world
    policy = load_policy(DEFAULT_POLICY)
    data = audit.gather(
        store, start=START, end=END, now=T0 + timedelta(days=30), history_days=audit.history_days(policy)
    )
    audit.measure(data, policy=policy, store=store, settings=settings)
    assert {c.framework for c in data.coverage} >= {"nist-ai-rmf-1.0", "iso-iec-42001-2023", "eu-ai-act"}
    assert made["before"].record.record_id in {e.record_id for e in data.index.entries}  # history: still current
    assert made["before"].record.record_id not in {e.record_id for e in data.runs}  # but not a run of the period
    assert data.kpis and all(len(data.kpi_series[k.id]) == 5 for k in data.kpis)  # 30 days: 5 weekly points
    html = render_report(data)
    charted = sum(any(p.value is not None for p in data.kpi_series[k.id]) for k in data.kpis)
    assert html.count('class="chart kpi"') == charted and html.count("nothing to chart") == len(data.kpis) - charted
    assert all(f'id="kpi-{k.id}"' in html for k in data.kpis)
    assert audit.sub_periods(START, END)[0] == (START, START + timedelta(days=7))
    assert len(audit.sub_periods(START, START + timedelta(days=90))) == 3  # months past 62 days


def test_kpi_chart_with_nothing_to_count_anywhere_draws_no_axis():
    empty = KPI("x", "x", 0, 0, END, END + timedelta(days=7), "n", "d")
    assert "nothing to chart" in kpi_chart([empty, empty]) and "<svg" not in kpi_chart([empty, empty])
