"""A purge killed with SIGKILL while listing, or right after its plan is uploaded, then run again, ends
with the same decision, the same findings and the same deleted set as one that was never interrupted
(local folder and the local S3 server with Object Lock)."""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap

import pytest

from govgate.record import decide
from govgate.retention import AUDIT_PREFIX, load_rules, run_purge, unfinished_purges
from govgate.store import LocalStore
from tests.core.retention.test_retention import OLD, RECENT, REPO, write_rules

KILL_SCRIPT = textwrap.dedent(
    """
    import os, signal, sys
    import govgate.retention.purge as purge
    from govgate.retention import load_rules, run_purge
    from govgate.store import LocalStore, S3Store
    kind, where, rules_path, phase = sys.argv[1:5]
    store = S3Store(where, endpoint_url=os.environ["ENDPOINT"]) if kind == "s3" else LocalStore(where)

    def die():
        os.kill(os.getpid(), signal.SIGKILL)  # a real crash: no cleanup, no finally blocks

    if phase == "listing":
        pages = store.list_version_pages

        def listing(prefix="", page_size=1000):
            for n, page in enumerate(pages(prefix, 7)):  # small pages: the kill lands between two of them
                if n == 2:
                    die()
                yield page

        store.list_version_pages = listing
    else:
        upload = purge.upload_plan

        def upload_then_die(primary, plan):
            upload(primary, plan)
            die()

        purge.upload_plan = upload_then_die
    run_purge(store, load_rules(rules_path), dry_run=False)
    """
)


def _fill(store) -> None:
    for i in range(30):
        store.put(f"tmp/part-{i:03d}", b"x")
    for i in range(12):
        store.put(f"raw/undated-{i:02d}.csv", b"u")  # no collected-at tag: kept, the purge needs review
    for i in range(6):
        store.put(f"raw/old-{i}.csv", b"o", tags={"collected-at": OLD})
    store.put("raw/recent.csv", b"r", tags={"collected-at": RECENT})
    store.put("raw/held.csv", b"h", tags={"collected-at": OLD, "legal-hold": "true"})


def _left(store) -> list[str]:
    return sorted(i.key for i in store.list("") if not i.key.startswith(AUDIT_PREFIX))


def _findings(result, rules) -> tuple[str, dict]:
    from tasks.retention import purge_checks

    checks = [c for c in purge_checks(result, rules) if c.id != "retention.resume"]
    return decide(checks).outcome.value, {c.id: c.outcome.value for c in checks}


@pytest.mark.parametrize("phase", ["listing", "plan-uploaded"])
@pytest.mark.parametrize("kind", ["local", "s3"])
def test_a_purge_killed_early_decides_and_deletes_as_an_uninterrupted_one(
    kind, phase, make_bucket, moto_endpoint, tmp_path
):
    def new_store(name):
        return make_bucket(object_lock=True) if kind == "s3" else LocalStore(tmp_path / name)

    rules_path = write_rules(tmp_path)
    rules = load_rules(rules_path)
    whole = new_store("whole")
    _fill(whole)
    uninterrupted = run_purge(whole, rules, dry_run=False)

    broken = new_store("broken")
    _fill(broken)
    where = broken.bucket if kind == "s3" else str(broken.root)
    env = {**os.environ, "ENDPOINT": moto_endpoint, "PYTHONPATH": str(REPO)}
    proc = subprocess.run(
        [sys.executable, "-c", KILL_SCRIPT, kind, where, str(rules_path), phase],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert proc.returncode == -9, proc.stderr[-2000:]
    assert len(_left(broken)) == len(_left(whole)) + 36, "the killed run deleted nothing"
    pending = unfinished_purges(broken)
    assert len(pending) == (0 if phase == "listing" else 1)

    again = run_purge(broken, rules, dry_run=False)

    assert again.resumed == (phase == "plan-uploaded")
    assert _left(broken) == _left(whole)
    counts = ("objects", "versions", "bytes")  # the list digest holds version ids, which differ per bucket
    assert {k: again.certificate["deleted"][k] for k in counts} == {
        k: uninterrupted.certificate["deleted"][k] for k in counts
    }
    assert again.plan.kept == uninterrupted.plan.kept and again.plan.kept["undated"] == 12
    decision, outcomes = _findings(again, rules)
    assert (decision, outcomes) == _findings(uninterrupted, rules)
    assert decision == "needs-review" and outcomes["retention.dates"] == "inconclusive"
    assert unfinished_purges(broken) == []
