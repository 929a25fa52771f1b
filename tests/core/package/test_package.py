"""Launch evidence packages without Prefect: gathering (tags, store layout, lineage), completeness, the
signed write-once package, the Annex IV index, and verification against every kind of tampering, on the
local store and on moto's S3 server (with and without Object Lock)."""

from __future__ import annotations

import json
import stat
from datetime import UTC, datetime
from pathlib import Path

import pytest

from govgate.errors import ConfigError, InputError, WriteOnceError
from govgate.gate import build_record
from govgate.package import (
    INDEX_NAME,
    MANIFEST_NAME,
    PUBLIC_KEY_NAME,
    SIGNATURE_NAME,
    PackageError,
    SigningKey,
    assess_signoffs,
    completeness,
    documentation_items,
    gather,
    load_signing_key,
    map_documentation,
    package_prefix,
    parse_signoffs,
    record_files,
    render_index,
    verify_package,
    write_package,
)
from govgate.policy import load_policy
from govgate.publish import publish
from govgate.record import AssetKind, Check, Outcome, Subject, decide, new_record_id
from govgate.settings import DEFAULT_POLICY, load_settings
from govgate.store import LocalStore, Retention, open_store
from govgate.tracking import Tracker

MODEL = "credit-scorer"


def _check(cid: str, kind: str | None, outcome: Outcome = Outcome.PASS) -> Check:
    return Check(id=cid, title=cid, category=cid.split(".")[0], outcome=outcome, message="ok", evidence_kind=kind)


def make_model_with_evidence(
    settings, *, model_outcome: Outcome = Outcome.PASS, data_review: bool = True, model: str = MODEL
) -> dict:
    """A registered model version whose training run names a published data review, plus a published
    model review tagged on the version (no real model: create_model_version(source=...))."""
    policy = load_policy(settings.policy)
    store, tracker = open_store(settings), Tracker.from_settings(settings)
    client = tracker.client
    now = datetime.now(UTC)
    out: dict = {"store": store, "tracker": tracker, "name": model}
    run_tags = {}
    if data_review:
        checks = [
            _check("data.pii.column.email", "pii_scan"),
            _check("data.quality.nulls", "data_quality"),
            _check("data.datasheet.required_fields", "datasheet"),
            _check("data.sensitive.declared", "data_review"),
        ]
        dr = build_record(
            gate="data-review",
            subject=Subject(kind=AssetKind.DATASET, id="credit-applications", version="v1", uris=["/data/credit.csv"]),
            policy=policy,
            tier="high",
            started_at=now,
            checks=checks,
            decision=decide(checks),
        )
        out["data_review"] = publish(
            dr, store=store, tracker=tracker, extra_files={"datasheet.md": b"# Datasheet\nowner: risk team\n"}
        )
        run_tags["govgate.data_review.record_uri"] = out["data_review"].record_uri
    exp = tracker.experiment_id("training-test")
    run = client.create_run(exp, tags=run_tags)
    client.set_terminated(run.info.run_id)
    try:
        client.create_registered_model(model)
    except Exception:
        pass
    mv = client.create_model_version(model, source="s3://models/credit-scorer", run_id=run.info.run_id)
    version = str(mv.version)
    client.set_model_version_tag(model, version, "govgate.tier", "medium")
    checks = [
        _check("performance.accuracy", "model_review"),
        _check("fairness.dp_difference", "fairness_eval", model_outcome),
        _check("robustness.perturbation", "robustness_eval"),
        _check("explainability.importance", "explainability"),
        _check("model_card.documentation", "model_card"),
    ]
    mr = build_record(
        gate="model-review",
        subject=Subject(kind=AssetKind.MODEL, id=model, version=version),
        policy=policy,
        tier="medium",
        started_at=now,
        checks=checks,
        decision=decide(checks),
    )
    out["model_review"] = publish(
        mr,
        store=store,
        tracker=tracker,
        model_version=(model, version),
        extra_files={"model_card.md": b"# Model card\n", "model_card.html": b"<h1>Model card</h1>"},
    )
    out["version"] = version
    out["model_uri"] = f"models:/{model}/{version}"
    out["run_id"] = run.info.run_id
    return out


def _seal(settings, store, ev, *, tier="medium", package_id=None, retention=None, key=None, extra=None):
    policy = load_policy(settings.policy)
    reqs = completeness(ev, policy.tier(tier).required_evidence, "policy/default.yaml")
    key = key or load_signing_key(settings)
    package_id = package_id or new_record_id()
    files = {
        **record_files(ev),
        "policy/default.yaml": Path(policy.path),
        "signoffs.json": b"[]",
        PUBLIC_KEY_NAME: key.public_pem(),
        **(extra or {}),
    }
    fields = {
        "package_id": package_id,
        "subject": {"model_uri": ev.model_uri},
        "decision": {"outcome": "pass", "reasons": []},
        "policy": {**policy.ref(tier).model_dump(), "file": "policy/default.yaml"},
        "signoffs": [],
        "signoff_status": {"outcome": "pass", "message": "test"},
        "lineage": ev.lineage,
        "signer": key.fingerprint,
        "records": [r.summary() for r in ev.all_records()],
    }
    return write_package(
        store,
        package_prefix(ev.model_name, ev.model_version, package_id),
        files,
        fields,
        key,
        retention=retention,
        index=lambda written: render_index(fields, reqs, written),
    )


@pytest.fixture(scope="module")
def shared(tmp_path_factory):
    """One model version with evidence for the tests that only add packages (MLflow set-up is the slow part)."""
    settings = load_settings(home=tmp_path_factory.mktemp("package") / "home")
    made = make_model_with_evidence(settings)
    return settings, made, gather(made["model_uri"], store=made["store"], tracker=made["tracker"], settings=settings)


@pytest.fixture
def local_settings(shared):
    return shared[0]


@pytest.fixture
def local_evidence(shared):
    return shared[1], shared[2]


# ---------------------------------------------------------------------------------------------- gathering


def test_gathering_finds_records_by_tag_and_layout_and_lineage(local_settings, local_evidence):
    made, ev = local_evidence
    assert set(ev.records) == {"model-review"}
    mr = ev.records["model-review"]
    assert mr.record_id == made["model_review"].record.record_id
    assert any(v.startswith("model-version tag govgate.model_review.record_uri") for v in mr.found_via)
    assert any(v.startswith("store layout") for v in mr.found_via)
    (dr,) = ev.data_reviews
    assert dr.record_id == made["data_review"].record.record_id
    assert dr.found_via == ["lineage: training run tag govgate.data_review.record_uri"]
    assert ev.lineage["training_run"]["run_id"] == made["run_id"]
    assert ev.lineage["data_reviews"][0]["dataset"] == "credit-applications"

    policy = load_policy(DEFAULT_POLICY)
    medium = completeness(ev, policy.tier("medium").required_evidence, "policy/default.yaml")
    assert {k: r.status for k, r in medium.items() if r.required} == {
        "data_review": "present",
        "pii_scan": "present",
        "datasheet": "present",
        "model_review": "present",
        "fairness_eval": "present",
        "model_card": "present",
        "signoff": "pending",
    }
    assert medium["datasheet"].satisfied_by == [f"records/data-review/{dr.record_id}/datasheet.md"]
    assert medium["model_card"].satisfied_by[0] == f"records/model-review/{mr.record_id}/model_card.md"
    high = completeness(ev, policy.tier("high").required_evidence, "policy/default.yaml")
    missing = {k: r.detail for k, r in high.items() if r.required and r.status == "missing"}
    assert set(missing) == {"risk_assessment"} and "risk_assessment=PATH" in missing["risk_assessment"]


def test_failing_review_and_missing_lineage_are_named(tmp_path):
    local_settings = load_settings(home=tmp_path / "home")
    made = make_model_with_evidence(local_settings, model_outcome=Outcome.FAIL, data_review=False)
    ev = gather(made["model_uri"], store=made["store"], tracker=made["tracker"], settings=local_settings)
    reqs = completeness(ev, load_policy(DEFAULT_POLICY).tier("medium").required_evidence)
    assert reqs["model_review"].status == "not-passing" and "decided fail" in reqs["model_review"].detail
    assert (
        reqs["fairness_eval"].status == "not-passing" and "fairness.dp_difference: fail" in reqs["fairness_eval"].detail
    )
    assert reqs["data_review"].status == "missing" and reqs["datasheet"].status == "missing"
    assert any("no data-review record of the training data" in n for n in ev.notes)
    with pytest.raises(InputError, match="models:/nope/1 not found in MLflow"):
        gather("models:/nope/1", store=made["store"], tracker=made["tracker"], settings=local_settings)


def test_documents_serve_their_kind_and_explicit_data_review_reference(local_settings, local_evidence, tmp_path):
    made = local_evidence[0]
    made["tracker"].client.set_model_version_tag(
        made["name"],
        made["version"],
        "training_data",
        f"/data/credit.csv (data-review record {made['data_review'].record_uri})",
    )
    doc = tmp_path / "risk.md"
    doc.write_text("# Risk assessment\n")
    ev = gather(
        made["model_uri"],
        store=made["store"],
        tracker=made["tracker"],
        settings=local_settings,
        data_review_refs=[made["data_review"].record.record_id],
        documents={"risk_assessment": [str(doc)]},
    )
    reqs = completeness(ev, load_policy(DEFAULT_POLICY).tier("high").required_evidence)
    assert reqs["risk_assessment"].status == "present" and reqs["risk_assessment"].satisfied_by == [
        "documents/risk_assessment/risk.md"
    ]
    assert "lineage: data_review parameter" in ev.data_reviews[0].found_via
    assert (
        "lineage: model-version tag training_data" in ev.data_reviews[0].found_via
    )  # a record URI inside any tag value
    with pytest.raises(InputError, match="no-such.pdf does not exist"):
        gather(
            made["model_uri"],
            store=made["store"],
            tracker=made["tracker"],
            settings=local_settings,
            documents={"risk_assessment": [str(tmp_path / "no-such.pdf")]},
        )


# ---------------------------------------------------------------------------------------------- signing


def test_generated_key_is_private_and_reused(tmp_path):
    local_settings = load_settings(home=tmp_path / "home")
    key = load_signing_key(local_settings)
    path = local_settings.home_dir / "keys" / "launch-signing-ed25519.pem"
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert load_signing_key(local_settings).fingerprint == key.fingerprint
    assert key.fingerprint.startswith("sha256:") and len(key.fingerprint) == 71


def test_signing_key_from_settings_pem_or_path(monkeypatch, tmp_path):
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
    from cryptography.hazmat.primitives.asymmetric.rsa import generate_private_key

    k = Ed25519PrivateKey.generate()
    pem = k.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption())
    monkeypatch.setenv("GOVGATE_HOME", str(tmp_path / "home"))
    monkeypatch.setenv("GOVGATE_SIGNING_KEY", pem.decode())
    assert load_signing_key(load_settings()).fingerprint == SigningKey(k, "").fingerprint
    (tmp_path / "k.pem").write_bytes(pem)
    monkeypatch.setenv("GOVGATE_SIGNING_KEY", str(tmp_path / "k.pem"))
    assert load_signing_key(load_settings()).fingerprint == SigningKey(k, "").fingerprint
    rsa = generate_private_key(65537, 2048).private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    )
    monkeypatch.setenv("GOVGATE_SIGNING_KEY", rsa.decode())
    with pytest.raises(ConfigError, match="Ed25519"):
        load_signing_key(load_settings())
    monkeypatch.setenv("GOVGATE_SIGNING_KEY", str(tmp_path / "absent.pem"))
    with pytest.raises(ConfigError, match="absent.pem"):
        load_signing_key(load_settings())
    assert not (tmp_path / "home" / "keys").exists()  # a configured key never falls back to a generated one


def test_signoffs_from_file_and_their_assessment(tmp_path):
    f = tmp_path / "signoffs.yaml"
    f.write_text(
        "signoffs:\n- {name: Ann, role: model_owner, decision: approve, accepted_risks: 'drift; small groups'}\n"
        "- {name: Bo, role: risk_officer, decision: approve}\n"
    )
    sos = parse_signoffs(str(f))
    assert [s.name for s in sos] == ["Ann", "Bo"] and sos[0].accepted_risks == ["drift", "small groups"]
    high = load_policy(DEFAULT_POLICY).tier("high").launch
    assert assess_signoffs(sos, high)[0] == "pass"
    assert assess_signoffs(sos[:1], high) == (
        "inconclusive",
        "1 of 2 required approval(s) from distinct people; no approval from role(s) risk_officer",
    )
    rejected = parse_signoffs([{"name": "Cy", "role": "risk_officer", "decision": "reject", "comment": "no"}])
    assert assess_signoffs(sos[:1] + rejected, high) == ("fail", "rejected by Cy (risk_officer): no")
    assert assess_signoffs([], high, timed_out="sign-off 1 of 2 timed out after 5 s")[0] == "inconclusive"
    with pytest.raises(InputError, match=r"signoffs\[0\]: decision"):
        parse_signoffs([{"name": "x", "role": "y", "decision": "maybe"}])


# ---------------------------------------------------------------------------------------------- package + verify


def test_package_seals_every_file_and_verifies(local_settings, local_evidence):
    made, ev = local_evidence
    store = made["store"]
    sealed = _seal(local_settings, store, ev)
    names = {i.key[len(sealed.prefix) :] for i in store.list(sealed.prefix)}
    mr, dr = ev.records["model-review"].record_id, ev.data_reviews[0].record_id
    for name in (
        f"records/model-review/{mr}/record.json",
        f"records/model-review/{mr}/model_card.md",
        f"records/model-review/{mr}/manifest.json",
        f"records/data-review/{dr}/datasheet.md",
        "policy/default.yaml",
        PUBLIC_KEY_NAME,
        INDEX_NAME,
        MANIFEST_NAME,
        SIGNATURE_NAME,
    ):
        assert name in names
    manifest = json.loads(store.get_bytes(sealed.prefix + MANIFEST_NAME))
    assert set(manifest["files"]) == names - {MANIFEST_NAME, SIGNATURE_NAME}
    for name, entry in manifest["files"].items():
        assert store.head(sealed.prefix + name).sha256 == entry["sha256"] and entry["size"] > 0
    assert manifest["policy"]["sha256"] == load_policy(DEFAULT_POLICY).sha256
    assert manifest["object_lock"] is None
    report = verify_package(sealed.folder_uri, local_settings)
    assert report.ok, report.problems
    assert report.trusted_key and report.files_checked == len(manifest["files"])
    assert "valid Ed25519 signature" in report.signature
    # also by package.json URI and by local path
    assert verify_package(sealed.uri, local_settings).ok
    assert verify_package(str(store.root / sealed.prefix), local_settings).ok
    with pytest.raises(WriteOnceError, match="never overwritten"):
        _seal(local_settings, store, ev, package_id=sealed.package_id)


def _local_path(store: LocalStore, prefix: str, name: str) -> Path:
    return store.root / prefix / name


def test_tampering_on_the_local_store_is_caught_and_named(local_settings, local_evidence):
    made, ev = local_evidence
    store: LocalStore = made["store"]
    mr = ev.records["model-review"].record_id
    card = f"records/model-review/{mr}/model_card.md"

    a = _seal(local_settings, store, ev)
    path = _local_path(store, a.prefix, card)
    body = bytearray(path.read_bytes())
    body[0] ^= 1
    path.write_bytes(bytes(body))  # a changed byte
    report = verify_package(a.folder_uri, local_settings)
    assert not report.ok and any(p.startswith(f"{card}: content changed") for p in report.problems), report.problems

    b = _seal(local_settings, store, ev)
    _local_path(store, b.prefix, INDEX_NAME).unlink()  # a missing file
    report = verify_package(b.folder_uri, local_settings)
    assert [p for p in report.problems] == [
        f"missing file {INDEX_NAME} (listed in {MANIFEST_NAME} with sha256 {b.files[INDEX_NAME]['sha256'][:16]}...)"
    ]

    c, d = _seal(local_settings, store, ev), _seal(local_settings, store, ev)
    for name in (MANIFEST_NAME, SIGNATURE_NAME):  # a swapped (validly signed) manifest from another package
        _local_path(store, c.prefix, name).write_bytes(_local_path(store, d.prefix, name).read_bytes())
    report = verify_package(c.folder_uri, local_settings)
    assert any(p.startswith(f"{MANIFEST_NAME} belongs to package {d.package_id}") for p in report.problems), (
        report.problems
    )
    e = _seal(local_settings, store, ev)
    _local_path(store, e.prefix, MANIFEST_NAME).write_bytes(
        _local_path(store, d.prefix, MANIFEST_NAME).read_bytes()
    )  # manifest only
    report = verify_package(e.folder_uri, local_settings)
    assert any(
        p.startswith(f"{MANIFEST_NAME}: the signature in {SIGNATURE_NAME} does not verify") for p in report.problems
    )

    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

    other = Ed25519PrivateKey.generate()
    f = _seal(local_settings, store, ev)
    report = verify_package(f.folder_uri, local_settings, public_key=other.public_key())  # a wrong key
    assert not report.ok
    assert report.problems == [
        f"{MANIFEST_NAME}: the signature in {SIGNATURE_NAME} does not verify with key "
        f"{SigningKey(other, '').fingerprint} (given key); {MANIFEST_NAME} says it was signed by "
        f"{load_signing_key(local_settings).fingerprint}"
    ]
    g = _seal(
        local_settings, store, ev, key=SigningKey(other, "attacker")
    )  # signed by a key the verifier does not trust
    report = verify_package(g.folder_uri, local_settings)
    assert not report.ok and "does not verify" in report.problems[0]
    assert verify_package(g.folder_uri, None, public_key=other.public_key()).ok

    h = _seal(local_settings, store, ev)
    _local_path(store, h.prefix, "extra.txt").write_text("added later")
    report = verify_package(h.folder_uri, local_settings)
    assert report.problems == [f"extra.txt: in the package folder but not in {MANIFEST_NAME} (added after sealing)"]


class _Crash(Exception):
    pass


class _CrashingStore(LocalStore):
    """Dies after ``n`` writes, like a worker killed mid-upload."""

    def __init__(self, root, n):
        super().__init__(root)
        self.n = n

    def put(self, key, data, **kw):
        if self.n <= 0:
            raise _Crash(f"killed before writing {key}")
        self.n -= 1
        return super().put(key, data, **kw)


def test_a_killed_upload_never_leaves_a_complete_package_and_reruns_are_clean(local_settings, local_evidence):
    made, ev = local_evidence
    store: LocalStore = made["store"]
    crashing = _CrashingStore(store.root, 3)
    package_id = new_record_id()
    with pytest.raises(_Crash):
        _seal(local_settings, crashing, ev, package_id=package_id)
    prefix = package_prefix(ev.model_name, ev.model_version, package_id)
    assert len(list(store.list(prefix))) == 3 and not store.exists(prefix + MANIFEST_NAME)
    report = verify_package(store.uri(prefix + MANIFEST_NAME), local_settings)
    assert (
        not report.ok
        and report.problems[0].startswith(f"{MANIFEST_NAME} is missing at")
        and "never sealed" in report.problems[0]
    )
    # the same run finishing the same package: identical files are accepted, the rest is written
    finished = _seal(local_settings, store, ev, package_id=package_id)
    assert verify_package(finished.folder_uri, local_settings).ok
    # a different run cannot reuse that package id with other content
    crashing = _CrashingStore(store.root, 2)
    other = new_record_id()
    with pytest.raises(_Crash):
        _seal(local_settings, crashing, ev, package_id=other)
    with pytest.raises(PackageError, match="already exists with different content"):
        _seal(local_settings, store, ev, package_id=other, extra={"policy/default.yaml": b"changed"})
    # a new package id is always clean
    assert verify_package(_seal(local_settings, store, ev).folder_uri, local_settings).ok


def test_a_changed_source_record_is_refused(tmp_path):
    local_settings = load_settings(home=tmp_path / "home")
    made = make_model_with_evidence(local_settings, model="other-model")
    ev = gather(made["model_uri"], store=made["store"], tracker=made["tracker"], settings=local_settings)
    store: LocalStore = made["store"]
    mr = ev.records["model-review"]
    (store.root / mr.prefix / "model_card.md").write_bytes(b"# a different card\n")
    with pytest.raises(PackageError, match="model_card.md does not match the sha256 in its record's manifest.json"):
        _seal(local_settings, store, ev)


def test_s3_object_lock_package_tampering_and_unlocked_buckets(s3_settings, make_bucket):
    made = make_model_with_evidence(s3_settings)
    store = made["store"]
    ev = gather(made["model_uri"], store=store, tracker=made["tracker"], settings=s3_settings)
    until = datetime.now(UTC).replace(microsecond=0)
    until = until.replace(year=until.year + 1)
    sealed = _seal(s3_settings, store, ev, retention=Retention("GOVERNANCE", until))
    assert sealed.manifest["object_lock"] == {"mode": "GOVERNANCE", "until": until.isoformat()}
    assert all(e.get("version_id") for e in sealed.files.values())
    report = verify_package(sealed.folder_uri, s3_settings)
    assert report.ok, report.problems
    assert report.object_lock.startswith("GOVERNANCE until") and report.object_lock.endswith("every file")

    # a new version of a locked object (Object Lock keeps the sealed one, but readers get the new one)
    card = f"records/model-review/{ev.records['model-review'].record_id}/model_card.md"
    store.client.put_object(Bucket=store.bucket, Key=store._k(sealed.prefix + card), Body=b"# replaced\n")
    report = verify_package(sealed.folder_uri, s3_settings)
    assert any(p.startswith(f"{card}: replaced after sealing") for p in report.problems), report.problems
    assert any(p.startswith(f"{card}: written over after sealing (2 version(s)") for p in report.problems)
    # the sealed version is what was checked: it is intact (the newer one is named, not hashed in its place)
    assert not any(p.startswith(f"{card}: content changed") for p in report.problems), report.problems

    # a copy of the package in a bucket without Object Lock: every file is named as unlocked; tamper with the copy
    sealed2 = _seal(s3_settings, store, ev, retention=Retention("GOVERNANCE", until))
    plain = make_bucket()
    for info in store.list(sealed2.prefix):
        plain.client.put_object(Bucket=plain.bucket, Key=info.key, Body=store.get_bytes(info.key))
    copy_uri = f"s3://{plain.bucket}/{sealed2.prefix}"
    report = verify_package(copy_uri, s3_settings)
    assert (
        f"{INDEX_NAME}: not under Object Lock retention (sealed with GOVERNANCE until {until.isoformat()})"
        in report.problems
    )
    assert (
        f"{MANIFEST_NAME}: not under Object Lock retention (sealed with GOVERNANCE until {until.isoformat()})"
        in report.problems
    )
    plain.client.put_object(Bucket=plain.bucket, Key=sealed2.prefix + card, Body=b"# Model card!\n")
    plain.client.delete_object(Bucket=plain.bucket, Key=sealed2.prefix + PUBLIC_KEY_NAME)
    problems = verify_package(copy_uri, s3_settings).problems
    assert any(p.startswith(f"{card}: content changed") for p in problems)
    assert any(p.startswith(f"missing file {PUBLIC_KEY_NAME}") for p in problems)

    # sealed straight into a bucket without Object Lock: the retention is dropped, the package is write-once only
    unlocked = make_bucket()
    sealed3 = _seal(s3_settings, unlocked, ev, retention=Retention("COMPLIANCE", until))
    assert sealed3.manifest["object_lock"] is None
    report = verify_package(sealed3.folder_uri, s3_settings)
    assert report.ok and report.object_lock.startswith("none"), report.problems


def test_s3_package_files_are_read_at_their_sealed_versions(s3_settings):
    """Every package file's S3 version id is in package.json and verify reads that version: a plain put or a
    delete over any file (package.json and package.sig included) is named, and cannot change what is checked."""
    made = make_model_with_evidence(s3_settings)
    store = made["store"]
    ev = gather(made["model_uri"], store=store, tracker=made["tracker"], settings=s3_settings)
    until = datetime.now(UTC).replace(microsecond=0)
    sealed = _seal(s3_settings, store, ev, retention=Retention("GOVERNANCE", until.replace(year=until.year + 1)))
    for name, entry in sealed.files.items():  # the version id recorded is the one the bucket holds
        assert entry["version_id"] == store.head(sealed.prefix + name).version_id, name
    assert verify_package(sealed.folder_uri, s3_settings).ok

    def attacker_put(name: str, body: bytes) -> None:
        store.client.put_object(Bucket=store.bucket, Key=store._k(sealed.prefix + name), Body=body)

    def attacker_delete(name: str) -> None:  # no version id: places a delete marker over the locked version
        store.client.delete_object(Bucket=store.bucket, Key=store._k(sealed.prefix + name))

    card = f"records/model-review/{ev.records['model-review'].record_id}/model_card.md"
    attacker_delete(card)
    attacker_delete(PUBLIC_KEY_NAME)
    forged = json.loads(store.get_bytes(sealed.prefix + MANIFEST_NAME))
    forged["decision"] = {"outcome": "fail", "reasons": ["forged"]}
    attacker_put(MANIFEST_NAME, json.dumps(forged).encode())
    attacker_put(SIGNATURE_NAME, b"not a signature")
    report = verify_package(sealed.folder_uri, s3_settings)
    assert not report.ok
    problems = report.problems
    assert (
        f"{card}: a delete marker hides the sealed version {sealed.files[card]['version_id']} (the plain key reads as gone)"
        in problems
    )
    assert any(p.startswith(f"{PUBLIC_KEY_NAME}: a delete marker hides the sealed version") for p in problems)
    for name, what in (
        (card, "1 version(s), 1 delete marker(s)"),
        (MANIFEST_NAME, "2 version(s), 0 delete marker(s)"),
        (SIGNATURE_NAME, "2 version(s), 0 delete marker(s)"),
        (PUBLIC_KEY_NAME, "1 version(s), 1 delete marker(s)"),
    ):
        assert sum(p.startswith(f"{name}: written over after sealing ({what}") for p in problems) == 1, (name, problems)
    # what was checked is the sealed package: its decision, a valid signature by the trusted key, intact files
    assert report.decision == "pass" and report.signature.startswith("valid Ed25519 signature"), report
    assert not any("content changed" in p or p.startswith("missing file") for p in problems), problems
    assert report.files_checked == len(sealed.files)

    # a delete marker over package.json: the sealed manifest is still found and read, the marker named
    attacker_delete(MANIFEST_NAME)
    report = verify_package(sealed.folder_uri, s3_settings)
    assert report.package_id == sealed.package_id and report.decision == "pass"
    assert any(
        p.startswith(f"{MANIFEST_NAME}: written over after sealing (2 version(s), 1 delete marker(s)")
        for p in report.problems
    )


# ---------------------------------------------------------------------------------------------- the index


def test_annex_iv_index_names_the_file_for_each_item_or_none(local_settings, local_evidence):
    made, ev = local_evidence
    items = documentation_items()
    refs = {i["ref"] for i in items}
    assert {
        "eu-ai-act:Annex IV(1)",
        "eu-ai-act:Annex IV(2)(d)",
        "eu-ai-act:Annex IV(5)",
        "eu-ai-act:Annex IV(9)",
        "eu-ai-act:Art. 11",
        "iso-iec-42001-2023:A.6.2.7",
        "iso-iec-42001-2023:Clause 6.1.2",
    } <= refs
    assert not any(i["framework"] not in ("eu-ai-act", "iso-iec-42001-2023") for i in items)
    reqs = completeness(ev, load_policy(DEFAULT_POLICY).tier("high").required_evidence, "policy/default.yaml")
    rows = {r["ref"]: r for r in map_documentation(reqs)}
    dr = ev.data_reviews[0].record_id
    assert rows["eu-ai-act:Annex IV(2)(d)"]["status"] == "served"  # datasheet, data review, data quality: all here
    assert rows["eu-ai-act:Annex IV(1)"]["status"] == "partly served"  # the model card; no inventory entry
    assert rows["eu-ai-act:Annex IV(1)"]["unserved_kinds"] == ["inventory"]
    assert f"records/data-review/{dr}/datasheet.md" in [
        f for s in rows["eu-ai-act:Annex IV(2)(d)"]["served_by"] for f in s["files"]
    ]
    assert rows["eu-ai-act:Annex IV(5)"]["status"] == "none"  # risk management: no risk assessment given
    assert rows["eu-ai-act:Annex IV(5)"]["unserved_kinds"] == ["risk_assessment"]
    sealed = _seal(local_settings, made["store"], ev, tier="high")
    html = made["store"].get_bytes(sealed.prefix + INDEX_NAME).decode()
    assert "Annex IV(2)(d)" in html and "A.6.2.7" in html and f"records/data-review/{dr}/datasheet.md" in html
    assert '<td class="none">none</td>' in html and "risk_assessment" in html
    assert sealed.files["policy/default.yaml"]["sha256"] in html  # the file table with digests


def test_verify_reports_a_missing_package_clearly(local_settings):
    store = open_store(local_settings)
    report = verify_package(store.uri("evidence/m/1/launch-evidence/nope/package.json"), local_settings)
    assert (
        not report.ok
        and "package.json is missing" in report.problems[0]
        and "the folder is empty" in report.problems[0]
    )


def _forge(store: LocalStore, prefix: str) -> str:
    """What an attacker with write access does: edit the decision, swap in their own key, re-sign.
    Returns the attacker key's fingerprint."""
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

    from govgate.package.signing import key_fingerprint, public_pem

    attacker = Ed25519PrivateKey.generate()
    pem = public_pem(attacker.public_key())
    _local_path(store, prefix, PUBLIC_KEY_NAME).write_bytes(pem)
    manifest = json.loads(_local_path(store, prefix, MANIFEST_NAME).read_bytes())
    manifest["decision"] = {"outcome": "pass", "reasons": ["forged"]}
    manifest["files"][PUBLIC_KEY_NAME] = {"sha256": __import__("hashlib").sha256(pem).hexdigest(), "size": len(pem)}
    body = json.dumps(manifest, indent=2, sort_keys=True).encode()
    _local_path(store, prefix, MANIFEST_NAME).write_bytes(body)
    _local_path(store, prefix, SIGNATURE_NAME).write_bytes(attacker.sign(body))
    return key_fingerprint(attacker.public_key())


def test_a_package_re_signed_with_another_key_is_refused_wherever_it_is_verified(
    local_settings, local_evidence, tmp_path, monkeypatch
):
    made, ev = local_evidence
    store: LocalStore = made["store"]
    genuine, forged = _seal(local_settings, store, ev), _seal(local_settings, store, ev)
    signer = load_signing_key(local_settings).fingerprint
    attacker = _forge(store, forged.prefix)

    # a machine that holds no key and trusts none: nothing is OK, not even the genuine package
    elsewhere = load_settings(home=tmp_path / "auditor")
    for sealed in (genuine, forged):
        report = verify_package(sealed.folder_uri, elsewhere, store=store)
        assert not report.ok and any("no trusted key configured" in p for p in report.problems), report.problems
    # the auditor trusts the signer's fingerprint: the genuine package verifies, the forgery does not
    monkeypatch.setenv("GOVGATE_TRUSTED_KEYS", signer)
    auditor = load_settings(home=tmp_path / "auditor")
    assert verify_package(genuine.folder_uri, auditor, store=store).ok
    report = verify_package(forged.folder_uri, auditor, store=store)
    assert not report.ok and any(f"signed by {attacker}, which is not a trusted key" in p for p in report.problems)
    # on the signer's own machine the forgery is refused too (checked with the key it holds)
    report = verify_package(forged.folder_uri, local_settings, store=store)
    assert not report.ok and report.signature == "INVALID", report.problems
    # a malformed trust entry is one clear error
    monkeypatch.setenv("GOVGATE_TRUSTED_KEYS", "sha256:abc")
    with pytest.raises(ConfigError, match="GOVGATE_TRUSTED_KEYS entry 'sha256:abc'"):
        verify_package(genuine.folder_uri, load_settings(home=tmp_path / "auditor"), store=store)
