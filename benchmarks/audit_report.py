"""The audit report over N generated gate records (default 100,000) on a local store, against the baseline of
reading every record one by one with ``govgate.publish.load_record`` in the same run.

Records are written straight into the store layout (a small valid record.json and its manifest.json per
record folder, evidence/<asset>/<version>/<gate>/<record id>/), spread over 90 days, 200 assets and four
gates. The report is built end to end as the flow builds it: the evidence index (paged listing, bounded
parallel reads, each record checked against its manifest), the inventory, incidents and certificates,
coverage and KPIs, the HTML page, the OSCAL export, the signed write-once folder. The baseline lists the
same folders and calls load_record on each; it is timed on a sample and extrapolated when N is large
(said in the output).

    python benchmarks/audit_report.py                  # 100,000 records
    python benchmarks/audit_report.py --records 20000  # a quicker run
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import random
import sys
import tempfile
import time
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

GATES = ("data-review", "model-review", "reassessment", "launch-evidence")
KINDS = {
    "data-review": "data_quality",
    "model-review": "fairness_eval",
    "reassessment": "drift_monitoring",
    "launch-evidence": "evidence_package",
}
DAY0 = datetime(2026, 9, 1, tzinfo=UTC)


def record_body(i: int, rng: random.Random) -> tuple[str, str, bytes]:
    """(folder, record id, record.json bytes) of the i-th record: seeded from i, a valid 1.1.0 record."""
    gate = GATES[i % len(GATES)]
    asset = f"model-{i % 200:03d}"
    started = DAY0 + timedelta(seconds=rng.randrange(90 * 86400))
    rid = f"{started:%Y%m%dT%H%M%SZ}-{i:08x}"
    outcome = "fail" if rng.random() < 0.05 else "pass"
    body = {
        "schema_version": "1.1.0",
        "record_id": rid,
        "gate": gate,
        "subject": {"kind": "model", "id": asset, "version": "1", "uris": [], "inputs": [], "attributes": {}},
        "policy": {
            "name": "default",
            "version": "1",
            "tier": "medium",
            "path": "policies/default.yaml",
            "sha256": "0" * 64,
        },
        "started_at": started.isoformat(),
        "finished_at": (started + timedelta(seconds=30)).isoformat(),
        "provenance": {"govgate_version": "bench", "python": "3.11", "platform": "linux", "git_commit": "abc"},
        "checks": [{"id": "x.c", "title": "c", "category": "x", "outcome": outcome, "evidence_kind": KINDS[gate]}],
        "findings": [],
        "decision": {"outcome": outcome, "reasons": [], "decided_by": "policy", "sign_offs": []},
        "artifacts": [],
        "parameters": {"seed": i},
        "outputs": {},
    }
    folder = f"evidence/{asset}/1/{gate}/{rid}/"
    return folder, rid, json.dumps(body).encode()


def generate(root: Path, n: int) -> float:
    """Write n record folders (record.json + manifest.json) with plain file writes; seconds taken."""
    t0 = time.perf_counter()
    rng = random.Random(0)
    for i in range(n):
        folder, rid, body = record_body(i, rng)
        path = root / folder
        path.mkdir(parents=True, exist_ok=True)
        (path / "record.json").write_bytes(body)
        manifest = {
            "record_id": rid,
            "files": {"record.json": {"sha256": hashlib.sha256(body).hexdigest(), "size": len(body)}},
        }
        (path / "manifest.json").write_bytes(json.dumps(manifest).encode())
    return time.perf_counter() - t0


class CountingStore:
    """A store with its listing calls counted (pages asked for, and every list() call): for S3, where each
    page is one API call."""

    def __init__(self, store):
        self._store, self.list_calls, self.pages = store, 0, 0

    def __getattr__(self, name):
        return getattr(self._store, name)

    def list_pages(self, *args, **kwargs):
        self.list_calls += 1
        for page in self._store.list_pages(*args, **kwargs):
            self.pages += 1
            yield page

    def list(self, *args, **kwargs):
        self.list_calls += 1
        return self._store.list(*args, **kwargs)


def counting_local_store(root: Path):
    """A local store (so the index's local fast paths apply) whose listings are counted: the store's own
    list()/list_pages() calls and the prefix listings of govgate.evidence_index.list_pages."""
    from govgate import evidence_index
    from govgate.audit import dashboard, report
    from govgate.store import LocalStore

    class CountingLocal(LocalStore):
        list_calls = 0

        def list_pages(self, *args, **kwargs):
            CountingLocal.list_calls += 1
            return super().list_pages(*args, **kwargs)

    original = evidence_index.list_pages

    def counted(store, root):
        CountingLocal.list_calls += 1
        return original(store, root)

    for module in (evidence_index, report, dashboard):
        module.list_pages = counted
    return CountingLocal(root)


def build_report(store, key, policy) -> dict:
    from govgate.audit.oscal import oscal_json
    from govgate.audit.report import gather, history_days, measure, period
    from govgate.audit.report_html import render_report
    from govgate.audit.report_seal import write_report

    t = {}
    t0, c0 = time.perf_counter(), time.process_time()
    start, end = period(date(2026, 9, 1), date(2026, 11, 29))
    data = gather(store, start=start, end=end, history_days=history_days(policy))
    t["gather"] = time.perf_counter() - t0
    t_cpu_gather = time.process_time() - c0
    measure(data, policy=policy, store=store)
    t["measure"] = time.perf_counter() - t0 - sum(t.values())
    html = render_report(data)
    t["render"] = time.perf_counter() - t0 - sum(t.values())
    sealed = write_report(store, data, html, oscal_json(data), key)
    t["seal"] = time.perf_counter() - t0 - sum(t.values())
    t["total"] = time.perf_counter() - t0
    t["cpu"] = time.process_time() - c0
    t["gather_cpu"] = t_cpu_gather
    return {
        "seconds": t,
        "records": len(data.runs),
        "reads": data.index.reads,
        "pages": data.index.listing_pages,
        "html_bytes": len(html),
        "notes": data.notes,
        "folder": sealed.folder_uri,
        "coverage": len(data.coverage),
        "kpis": len(data.kpis),
    }


def baseline(store, sample: int) -> dict:
    """List every record folder, then load_record each (one by one); a sample is timed when asked."""
    from govgate.publish import load_record

    t0 = time.perf_counter()
    prefixes = sorted(
        {i.key.rsplit("/", 1)[0] + "/" for i in store.list("evidence/") if i.key.endswith("/manifest.json")}
    )
    listed = time.perf_counter() - t0
    chosen = prefixes if sample >= len(prefixes) else random.Random(1).sample(prefixes, sample)
    t1, c1 = time.perf_counter(), time.process_time()
    for prefix in chosen:
        load_record(store, prefix)
    per_record = (time.perf_counter() - t1) / max(len(chosen), 1)
    cpu = (time.process_time() - c1) / max(len(chosen), 1) * len(prefixes)
    return {
        "records": len(prefixes),
        "timed": len(chosen),
        "list_seconds": listed,
        "per_record": per_record,
        "seconds": listed + per_record * len(prefixes),
        "cpu": cpu,
        "extrapolated": len(chosen) < len(prefixes),
    }


def s3_comparison(n: int) -> None:
    """The same records on S3 (moto's server on 127.0.0.1): the index (16 parallel reads, paged listing)
    against load_record one by one, every record on both sides."""
    import logging
    import uuid

    from moto.server import ThreadedMotoServer

    from govgate.evidence_index import scan_records
    from govgate.publish import load_record
    from govgate.store import S3Store

    logging.getLogger("werkzeug").setLevel(logging.ERROR)  # moto's server logs every request otherwise
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    host, port = server.get_host_and_port()
    os.environ.setdefault("AWS_ACCESS_KEY_ID", "testing")
    os.environ.setdefault("AWS_SECRET_ACCESS_KEY", "testing")
    try:
        store = S3Store(f"bench-{uuid.uuid4().hex[:8]}", "", endpoint_url=f"http://{host}:{port}")
        store.client.create_bucket(Bucket=store.bucket)
        rng = random.Random(0)
        for i in range(n):
            folder, rid, body = record_body(i, rng)
            manifest = {"files": {"record.json": {"sha256": hashlib.sha256(body).hexdigest(), "size": len(body)}}}
            store.put(folder + "record.json", body)
            store.put(folder + "manifest.json", json.dumps(manifest).encode())
        counted = CountingStore(store)
        t0 = time.perf_counter()
        index = scan_records(counted)
        ours = time.perf_counter() - t0
        t0 = time.perf_counter()
        for e in index.entries:
            load_record(store, e.prefix)
        base = time.perf_counter() - t0
        print(
            f"S3 (moto) {n:,} records: index {ours:.1f} s ({index.listing_pages} listing pages, {index.reads:,} "
            f"reads, 16 in parallel); load_record one by one {base:.1f} s; {base / ours:.1f}x"
        )
    finally:
        server.stop()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--records", type=int, default=100_000)
    parser.add_argument(
        "--baseline-sample", type=int, default=5_000, help="records load_record reads (then extrapolated)"
    )
    parser.add_argument("--dir", help="keep the generated store here (default: a temporary folder)")
    parser.add_argument("--reuse", action="store_true", help="use the records already under --dir (no generation)")
    parser.add_argument("--s3", type=int, default=0, help="also compare on S3 (moto) with this many records")
    args = parser.parse_args()
    if args.s3:
        s3_comparison(args.s3)
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

    from govgate.package.signing import SigningKey
    from govgate.policy import load_policy
    from govgate.settings import DEFAULT_POLICY

    root = Path(args.dir or tempfile.mkdtemp(prefix="govgate-bench-audit-"))
    if args.reuse and (root / "evidence").is_dir():
        print(f"reusing the records under {root} ({os.cpu_count()} CPUs, load average {os.getloadavg()[0]:.1f})")
    else:
        made = generate(root, args.records)
        print(f"generated {args.records:,} records in {made:.1f} s under {root} ({os.cpu_count()} CPUs)")
    store = counting_local_store(root)
    key = SigningKey(Ed25519PrivateKey.generate(), "benchmark")
    ours = build_report(store, key, load_policy(DEFAULT_POLICY))
    calls = store.list_calls  # before the baseline's own listing
    s = ours["seconds"]
    print(
        f"audit report: {s['total']:.1f} s wall, {s['cpu']:.1f} s CPU (gather {s['gather']:.1f} wall / {s['gather_cpu']:.1f} CPU, coverage+KPIs "
        f"{s['measure']:.1f}, render {s['render']:.1f}, seal {s['seal']:.1f}); {ours['records']:,} records, "
        f"{ours['reads']:,} reads, {ours['pages']} listing pages of evidence/, {calls} listing calls in "
        f"all; {ours['coverage']} controls, {ours['kpis']} KPIs; HTML {ours['html_bytes'] / 1e6:.1f} MB; "
        f"load average {os.getloadavg()[0]:.1f}"
    )
    for note in ours["notes"]:
        print(f"  note: {note}")
    base = baseline(store, args.baseline_sample)
    how = f"timed on {base['timed']:,} records and extrapolated" if base["extrapolated"] else "every record"
    print(
        f"baseline load_record one by one: {base['seconds']:.1f} s wall, {base['cpu']:.1f} s CPU for the reads, for "
        f"{base['records']:,} records ({base['per_record'] * 1e3:.2f} ms per record, {how}; listing "
        f"{base['list_seconds']:.1f} s)"
    )
    print(
        f"| {args.records:,} | {s['total']:.1f} s ({s['cpu']:.1f} s CPU) | {s['gather']:.1f} s | {s['measure']:.1f} s | "
        f"{s['render'] + s['seal']:.1f} s | {ours['pages']} / {calls} | {base['seconds']:.1f} s ({how}) | "
        f"{os.getloadavg()[0]:.1f} |"
    )


if __name__ == "__main__":
    main()
