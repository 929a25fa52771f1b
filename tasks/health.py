"""Health checks of the services a gate depends on, as evidence checks (the selftest gate's substance)."""

from __future__ import annotations

import time
import uuid

from prefect.cache_policies import NO_CACHE

from govgate import __version__
from govgate.controls import controls_for, load_index
from govgate.digest import sha256_bytes
from govgate.errors import GovgateError, WriteOnceError
from govgate.library_errors import without_credentials
from govgate.policy import Policy, load_policy
from govgate.record import AssetKind, Check, Metric, Outcome, Subject, Threshold
from govgate.store import ObjectStore
from govgate.tracking import Tracker
from tasks.govgate_task import govgate_task as task

AUDIT = controls_for("audit_log")


def _check(id: str, title: str, outcome: Outcome, message: str, category: str, **kw) -> Check:
    return Check(id=id, title=title, category=category, outcome=outcome, message=message, **kw)


@task(name="check-policy", cache_policy=NO_CACHE)
def check_policy(path: str, tier: str | None) -> tuple[Policy | None, list[Check]]:
    try:
        policy = load_policy(path)
        policy.tier(tier)
    except GovgateError as exc:
        return None, [
            _check(
                "policy.valid",
                "Policy file loads and validates",
                Outcome.ERROR,
                without_credentials(str(exc)),
                "policy",
            )
        ]
    return policy, [
        _check(
            "policy.valid",
            "Policy file loads and validates",
            Outcome.PASS,
            f"{policy.name} {policy.version}: tiers {', '.join(policy.tiers)}; sha256 {policy.sha256[:12]}",
            "policy",
            metrics=[Metric(name="tiers", value=len(policy.tiers))],
            evidence_kind="policy",
            controls=controls_for("policy"),
        )
    ]


@task(name="check-store", cache_policy=NO_CACHE)
def check_store(store: ObjectStore, probe_prefix: str) -> list[Check]:
    """Reachability, a write-once round trip with digests, listing, and Object Lock support."""
    try:
        where = store.check()
    except GovgateError as exc:
        return [
            _check(
                "store.reachable", "Object store is reachable", Outcome.ERROR, without_credentials(str(exc)), "store"
            )
        ]
    checks = [_check("store.reachable", "Object store is reachable", Outcome.PASS, without_credentials(where), "store")]
    key = f"{probe_prefix}probe.txt"
    roundtrip = store_roundtrip_check(store, key)
    checks.append(roundtrip)
    if roundtrip.outcome == Outcome.ERROR:  # nothing was written: the later probes have nothing to look at
        return checks
    checks += [store_write_once_check(store, key), store_listing_check(store, probe_prefix, key)]
    checks.append(store_object_lock_check(store))
    return checks


def store_roundtrip_check(store: ObjectStore, key: str) -> Check:
    """Write a fresh probe once under ``key``, read it back and compare bytes and digest."""
    body = f"govgate selftest {uuid.uuid4()}".encode()
    t0 = time.perf_counter()
    try:
        info = store.put(key, body, write_once=True, content_type="text/plain")
        back = store.get_bytes(key)
    except GovgateError as exc:
        return _check(
            "store.roundtrip",
            "Write, read back and digest an object",
            Outcome.ERROR,
            without_credentials(str(exc)),
            "store",
        )
    elapsed = time.perf_counter() - t0
    same = back == body and info.sha256 == sha256_bytes(body)
    return _check(
        "store.roundtrip",
        "Write, read back and digest an object",
        Outcome.PASS if same else Outcome.FAIL,
        f"{store.uri(key)} sha256 {info.sha256[:12]}" if same else "the object read back differs from what was written",
        "store",
        metrics=[Metric(name="seconds", value=round(elapsed, 4)), Metric(name="bytes", value=len(body))],
        evidence_kind="audit_log",
        controls=AUDIT,
    )


def store_write_once_check(store: ObjectStore, key: str) -> Check:
    """A second write to the probe key must be refused, or evidence could be overwritten."""
    try:
        store.put(key, b"overwrite attempt", write_once=True)
        refused, message = False, "a second write to a write-once key was accepted: evidence could be overwritten"
    except WriteOnceError as exc:
        refused, message = True, without_credentials(str(exc))
    return _check(
        "store.write_once",
        "A second write to an evidence key is refused",
        Outcome.PASS if refused else Outcome.FAIL,
        message,
        "store",
        evidence_kind="audit_log",
        controls=AUDIT,
    )


def store_listing_check(store: ObjectStore, probe_prefix: str, key: str) -> Check:
    listed = [i.key for i in store.list(probe_prefix)]
    return _check(
        "store.listing",
        "Listing finds what was written",
        Outcome.PASS if key in listed else Outcome.FAIL,
        f"{len(listed)} object(s) under {probe_prefix}",
        "store",
        metrics=[Metric(name="objects", value=len(listed))],
    )


def store_object_lock_check(store: ObjectStore) -> Check:
    lock = store.supports_object_lock()
    return _check(
        "store.object_lock",
        "Evidence can be retention-locked",
        Outcome.PASS if lock else Outcome.WARN,
        "Object Lock is enabled"
        if lock
        else "the bucket has no Object Lock: evidence is write-once by convention only",
        "store",
        threshold=Threshold(metric="object_lock", op="==", value=True),
        metrics=[Metric(name="object_lock", value=lock)],
    )


@task(name="check-retention-records", cache_policy=NO_CACHE)
def check_retention_records(store: ObjectStore) -> list[Check]:
    """Certified purges whose run stopped before publishing its evidence record: deletions nobody can find
    under evidence/ until the next retention-purge run records them."""
    from govgate.retention import unrecorded_purges

    title = "Every certified purge has its evidence record"
    try:
        missing = unrecorded_purges(store)
    except GovgateError as exc:
        return [_check("retention.records", title, Outcome.ERROR, without_credentials(str(exc)), "retention")]
    threshold = Threshold(metric="unrecorded_purges", op="<=", value=0)
    message = (
        f"{len(missing)} certified purge(s) without an evidence record: {', '.join(missing[:10])}; the next "
        "retention-purge execute run publishes them"
        if missing
        else "every certified purge under audit/retention-purge/ has its evidence record"
    )
    metrics = [Metric(name="unrecorded_purges", value=len(missing))]
    outcome = threshold.judge(len(missing))
    return [_check("retention.records", title, outcome, message, "retention", metrics=metrics, threshold=threshold)]


@task(name="check-mlflow", cache_policy=NO_CACHE)
def check_mlflow(tracker: Tracker) -> list[Check]:
    t0 = time.perf_counter()
    try:
        where = tracker.check()
    except GovgateError as exc:
        return [
            _check(
                "mlflow.reachable", "MLflow tracking answers", Outcome.ERROR, without_credentials(str(exc)), "mlflow"
            )
        ]
    return [
        _check(
            "mlflow.reachable",
            "MLflow tracking answers",
            Outcome.PASS,
            without_credentials(where),  # a tracking URI can carry user:password@
            "mlflow",
            metrics=[Metric(name="seconds", value=round(time.perf_counter() - t0, 4))],
        )
    ]


@task(name="check-controls", cache_policy=NO_CACHE)
def check_controls() -> list[Check]:
    index = load_index()
    n = len(index["controls"])
    mapped = sum(1 for refs in index["by_evidence_kind"].values() if refs)
    return [
        _check(
            "controls.index",
            "Control catalog index is loaded",
            Outcome.PASS if n else Outcome.FAIL,
            f"{n} controls from {len(index['frameworks'])} frameworks ({index['source']['dated_up_to']}); "
            f"{mapped} evidence kinds mapped",
            "controls",
            metrics=[Metric(name="controls", value=n), Metric(name="frameworks", value=len(index["frameworks"]))],
        )
    ]


def selftest_subject(store: ObjectStore, settings) -> Subject:
    """What the selftest checks: this govgate, its store and its MLflow."""
    return Subject(
        kind=AssetKind.SYSTEM,
        id="govgate",
        version=__version__,
        uris=[store.url, settings.effective_mlflow_tracking_uri],
    )


def nowhere_to_publish(checks: list[Check]) -> bool:
    """Without a store or MLflow there is nowhere to publish: the run fails with the causes instead."""
    return any(c.id in ("store.reachable", "mlflow.reachable") and c.outcome == Outcome.ERROR for c in checks)
