"""A store in known states for the audit tests: records of every gate published through ``govgate.publish``
(record ids set by time), a sealed launch package, incidents, an expired record, a record changed after
publishing, a launch package changed after sealing, an error record and a corrupt record folder.

Timeline (2026, UTC; report date 2026-12-07, KPI period November). Each record's runtime is fixed.

  A  Oct  1 02:00 retention-purge  store         pass   retention_purge (expires Nov 5: EXPIRED on Dec 7)  60 s
  B  Sep  1 10:00 model-review     scoring v1    pass   model_review, model_card (low tier)                100 s
  C  Nov  1 12:00 intake           credit        pass   risk tier; requested Oct 30 12:00 (in SLA)          60 s
  D  Nov  2 10:00 data-review      loans v1      pass   data_review, pii_scan, datasheet; seed 7           600 s
  E  Nov  3 09:00 model-review     credit v1     pass   model_review, fairness, robustness, explain., card 1200 s
  F  Nov  4 12:00 launch-evidence  credit v1     pass   all 12 high-tier kinds; sealed package (TAMPERED)  300 s
  G  Nov  5 09:00 intake           churn         pass   requested Oct 20 09:00 (16 days: LATE)              60 s
  H  Nov  6 09:00 third-party-rev. ocr-api       pass   requested Nov 1 09:00 (in SLA)                     120 s
  I  Nov  9 06:30 reassessment     credit v1     pass   drift pass, fairness pass (slot Nov 9: on time)    300 s
  J  Nov 10 03:00 inventory-sync   inventory     pass   inventory                                           30 s
  K  Nov 12 12:00 launch-evidence  scoring v1    pass   low tier; sealed package (intact)                  200 s
  L  Nov 16 08:00 reassessment     credit v1     fail   DRIFT alert 1; fairness pass (slot Nov 16: on time) 300 s
  M  Nov 20 10:00 data-review      loans v1      error                                                       5 s
     Nov 22 10:00 data-review      loans v1      CORRUPT (manifest.json is not JSON)
  N  Nov 21 10:00 data-review      loans v1      pass   data_quality; record.json CHANGED after publishing 400 s
  O  Nov 24 09:00 reassessment     credit v1     fail   DRIFT alert 2 + FAIRNESS fail (slot Nov 23: late)  300 s
  P  Nov 25 12:00 launch-evidence  churn v1      fail   medium tier; model card failing, sign-off pending  250 s
  Q  Nov 30 06:10 reassessment     credit v1     fail   DRIFT alert 3; no git commit (slot Nov 30: on time) 300 s

Incidents: credit v1 reassessment:regression opened Nov 24 10:00, acknowledged 14:00, closed Nov 26 10:00;
credit v1 reassessment:drift opened Nov 28 00:00, still open; one incident whose event is not JSON.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

import pytest

from govgate import protocol
from govgate.evidence_index import scan_records
from govgate.gate import build_record
from govgate.incidents import Asset, acknowledge, close, load_legal_clocks, open_incident
from govgate.package.layout import PUBLIC_KEY_NAME
from govgate.package.seal import package_prefix, write_package
from govgate.package.signing import load_signing_key
from govgate.policy import load_policy
from govgate.publish import publish
from govgate.record import (
    AssetKind,
    Check,
    Decision,
    DecisionOutcome,
    InputDigest,
    Outcome,
    Severity,
    SignOff,
    Subject,
    decide,
    new_record_id,
)
from govgate.settings import DEFAULT_POLICY, load_settings
from govgate.store import open_store
from govgate.tracking import Tracker

ON = datetime(2026, 12, 7).date()
NOW = datetime(2026, 12, 7, 12, 0, tzinfo=UTC)
NOV = (datetime(2026, 11, 1, tzinfo=UTC), datetime(2026, 12, 1, tzinfo=UTC))
P, F, INC, ERR = Outcome.PASS, Outcome.FAIL, Outcome.INCONCLUSIVE, Outcome.ERROR
HIGH_KINDS = [
    "data_review",
    "pii_scan",
    "data_quality",
    "datasheet",
    "model_review",
    "fairness_eval",
    "robustness_eval",
    "explainability",
    "model_card",
    "risk_assessment",
]
INVENTORY = {
    "schema": protocol.INVENTORY_SCHEMA,
    "assets": [
        {"kind": "model_version", "id": "model:credit/1", "name": "credit", "status": "deployed", "tier": "high"},
        {"kind": "model_version", "id": "model:scoring/1", "name": "scoring", "status": "development", "tier": "low"},
        {"kind": "dataset", "id": "dataset:loans", "name": "loans", "status": "unknown"},
    ],
    "gaps": [],
}


@dataclass
class Made:
    settings: object
    store: object
    policy: object
    records: dict = field(default_factory=dict)  # letter -> Published
    packages: dict = field(default_factory=dict)  # letter -> SealedPackage
    corrupt_prefix: str = ""
    bad_incident: str = ""

    def rid(self, letter: str) -> str:
        return self.records[letter].record.record_id

    def index(self):
        return scan_records(self.store)


def _check(cid, outcome, kind=None, **details):
    return Check(id=cid, title=cid, category=cid.split(".")[0], outcome=outcome, evidence_kind=kind, details=details)


def _at(month, day, hour, minute=0):
    return datetime(2026, month, day, hour, minute, tzinfo=UTC)


class _Builder:
    def __init__(self, made: Made, tracker):
        self.made, self.tracker = made, tracker

    def record(self, letter, gate, subject, when, checks, *, seconds, tier="medium", decision=None, **kw):
        kind, sid, version = subject
        inputs = kw.pop("inputs", [InputDigest(uri=f"file:///data/{sid}.csv", sha256="ab" * 32, size=10, role="data")])
        rec = build_record(
            gate=gate,
            subject=Subject(kind=kind, id=sid, version=version, inputs=inputs),
            policy=self.made.policy,
            tier=tier,
            started_at=when,
            checks=checks,
            decision=decision or decide(checks),
            parameters=kw.pop("parameters", {"window": 30}),
            outputs=kw.pop("outputs", None),
            record_id=new_record_id(when),
        )
        rec.finished_at = when + timedelta(seconds=seconds)
        rec.provenance.git_commit = kw.pop("git", "0123456789abcdef0123456789abcdef01234567")
        rec.decision.sign_offs = kw.pop("sign_offs", [])
        if kw.pop("package", False):
            self._seal(letter, rec)
            rec.checks = [
                c.model_copy(update={"details": {protocol.PACKAGE_URI: self.made.packages[letter].folder_uri}})
                if c.evidence_kind == "evidence_package"
                else c
                for c in rec.checks
            ]
        assert not kw, kw
        self.made.records[letter] = publish(rec, store=self.made.store, tracker=self.tracker)

    def _seal(self, letter, rec):
        key = load_signing_key(self.made.settings)
        prefix = package_prefix(rec.subject.id, rec.subject.version, rec.record_id)
        fields = {"package_id": rec.record_id, "gate": rec.gate, "signer": key.fingerprint}
        files = {
            "model_card.md": b"# Model card\nintended use: credit decisions\n",
            "signoffs.json": b"[]",
            PUBLIC_KEY_NAME: key.public_pem(),
        }
        self.made.packages[letter] = write_package(self.made.store, prefix, files, fields, key)


def _launch_checks(kinds, failing=(), signoff=P):
    checks = [_check(f"launch.evidence.{k}", F if k in failing else P, k) for k in kinds]
    return [
        *checks,
        _check("launch.package.sealed", P, "evidence_package"),
        _check("launch.signoff", signoff, "signoff"),
    ]


def _reassessment(drift, fairness):
    return [
        _check("reassessment.ran", P, "reassessment"),
        _check("drift.dataset.psi", drift, "drift_monitoring"),
        _check("fairness.demographic_parity", fairness, "fairness_eval"),
        _check("performance.accuracy", P, "model_review"),
    ]


def _approve(name, role, when):
    return SignOff(name=name, role=role, decision="approve", signed_at=when)


def _publish_all(b: _Builder) -> None:
    """Long because it is the timeline table of the module docstring, one call per row."""
    model, dataset, system = AssetKind.MODEL, AssetKind.DATASET, AssetKind.SYSTEM
    credit, scoring = (model, "credit", "1"), (model, "scoring", "1")
    loans = (dataset, "loans", "1")
    b.record("A", protocol.RETENTION_PURGE, (system, "store", None), _at(10, 1, 2), [_check("retention.purged", P, "retention_purge")], seconds=60)  # fmt: skip
    b.record("B", protocol.MODEL_REVIEW, scoring, _at(9, 1, 10), [_check("model.perf", P, "model_review"), _check("model.card", P, "model_card")], seconds=100, tier="low")  # fmt: skip
    b.record("C", protocol.INTAKE, (model, "credit", None), _at(11, 1, 12), [_check("intake.tier", P)], seconds=60, tier="high",
             parameters={"requested_at": "2026-10-30T12:00:00+00:00"}, outputs={protocol.OUTPUT_RISK_TIER: {"tier": "high"}})  # fmt: skip
    b.record("D", protocol.DATA_REVIEW, loans, _at(11, 2, 10), [_check("data.review", P, "data_review"), _check("data.pii", P, "pii_scan"), _check("data.datasheet", P, "datasheet")],
             seconds=600, parameters={"seed": 7, "sample_rows": 2000})  # fmt: skip
    model_checks = [_check("model.perf", P, "model_review"), _check("fairness.dp", P, "fairness_eval"), _check("robustness.flip", P, "robustness_eval"),
                    _check("explain.importance", P, "explainability"), _check("model.card", P, "model_card")]  # fmt: skip
    b.record("E", protocol.MODEL_REVIEW, credit, _at(11, 3, 9), model_checks, seconds=1200, tier="high", parameters={"model_uri": "models:/credit/1"})  # fmt: skip
    b.record("F", protocol.LAUNCH_EVIDENCE, credit, _at(11, 4, 12), _launch_checks(HIGH_KINDS), seconds=300, tier="high", package=True,
             sign_offs=[_approve("Ann", "model_owner", _at(11, 4, 12)), _approve("Bo", "risk_officer", _at(11, 4, 12))])  # fmt: skip
    b.record("G", protocol.INTAKE, (model, "churn", None), _at(11, 5, 9), [_check("intake.tier", P)], seconds=60, parameters={"requested_at": "2026-10-20T09:00:00+00:00"})  # fmt: skip
    b.record("H", protocol.THIRD_PARTY_REVIEW, (AssetKind.THIRD_PARTY_TOOL, "ocr-api", None), _at(11, 6, 9), [_check("vendor.checklist", P)], seconds=120,
             parameters={"requested_at": "2026-11-01T09:00:00+00:00"})  # fmt: skip
    b.record("I", protocol.REASSESSMENT, credit, _at(11, 9, 6, 30), _reassessment(P, P), seconds=300, tier="high")
    b.record("J", protocol.INVENTORY_SYNC, (system, "inventory", None), _at(11, 10, 3), [_check("inventory.synced", P, "inventory")], seconds=30)  # fmt: skip
    b.record("K", protocol.LAUNCH_EVIDENCE, scoring, _at(11, 12, 12), _launch_checks(["data_review", "datasheet"]), seconds=200, tier="low", package=True,
             sign_offs=[_approve("Ann", "model_owner", _at(11, 12, 12))])  # fmt: skip
    b.record("L", protocol.REASSESSMENT, credit, _at(11, 16, 8), _reassessment(F, P), seconds=300, tier="high")
    b.record("M", protocol.DATA_REVIEW, loans, _at(11, 20, 10), [_check("data-review.run", ERR)], seconds=5,
             decision=Decision(outcome=DecisionOutcome.ERROR, reasons=["boom"]))  # fmt: skip
    b.record("N", protocol.DATA_REVIEW, loans, _at(11, 21, 10), [_check("data.quality", P, "data_quality")], seconds=400, parameters={"seed": 8})  # fmt: skip
    b.record("O", protocol.REASSESSMENT, credit, _at(11, 24, 9), _reassessment(F, F), seconds=300, tier="high")
    medium = ["data_review", "pii_scan", "datasheet", "model_review", "fairness_eval", "model_card"]
    b.record("P", protocol.LAUNCH_EVIDENCE, (model, "churn", "1"), _at(11, 25, 12), _launch_checks(medium, failing=["model_card"], signoff=INC), seconds=250)  # fmt: skip
    b.record("Q", protocol.REASSESSMENT, credit, _at(11, 30, 6, 10), _reassessment(F, P), seconds=300, tier="high", git=None)  # fmt: skip


def _tamper_and_corrupt(made: Made) -> None:
    store = made.store
    n = made.records["N"]
    path = store.root / n.prefix / protocol.RECORD_JSON  # a changed byte: same size, different hash
    body = bytearray(path.read_bytes())
    body[body.index(b"0123456789abcdef")] ^= 0x01  # the code version it claims: 0123... -> 1123...
    path.write_bytes(bytes(body))
    card = store.root / made.packages["F"].prefix / "model_card.md"
    card.write_bytes(card.read_bytes().replace(b"credit", b"CREDIT"))
    made.corrupt_prefix = "evidence/loans/1/data-review/20261122T100000Z-deadbeef/"
    store.put(made.corrupt_prefix + protocol.RECORD_JSON, b"{}")
    store.put(made.corrupt_prefix + protocol.MANIFEST, b"not json")


def _incidents(made: Made) -> None:
    rules, store = load_legal_clocks(), made.store
    credit = Asset(kind=AssetKind.MODEL, id="credit", version="1")
    common = dict(asset=credit, severity=Severity.HIGH, by="reassessment", source="reassessment")
    one = open_incident(store, rules, cause=protocol.REASSESSMENT_INCIDENT_CAUSE + "regression", summary="fairness",
                        aware_at=_at(11, 24, 9, 5), now=_at(11, 24, 10), **common).incident  # fmt: skip
    acknowledge(store, one.id, by="ann", now=_at(11, 24, 14))
    close(store, one.id, by="ann", reason="retrained", now=_at(11, 26, 10))
    open_incident(store, rules, cause=protocol.REASSESSMENT_INCIDENT_CAUSE + "drift", summary="drift",
                  aware_at=_at(11, 27, 23), now=_at(11, 28, 0), **common)  # fmt: skip
    made.bad_incident = "inc-000000000000-0001"
    from govgate.incidents.ledger import event_key

    store.put(event_key(made.bad_incident, 1), b"{not json")


@pytest.fixture(scope="session")
def audit_store(tmp_path_factory) -> Made:
    settings = load_settings(home=tmp_path_factory.mktemp("audit") / "home")
    made = Made(settings=settings, store=open_store(settings), policy=load_policy(DEFAULT_POLICY))
    _publish_all(_Builder(made, Tracker.from_settings(settings)))
    _tamper_and_corrupt(made)
    _incidents(made)
    return made
