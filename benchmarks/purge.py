"""Retention purge of N objects (a share of them past retention) on a local S3 server (moto over HTTP),
against the minimum possible number of S3 API calls (list pages + one DeleteObjects per 1,000 keys) and
against a plain boto3 loop (list, then one DeleteObject per expired key) on an identical bucket, in the
same run.

    python benchmarks/purge.py                          # 100,000 objects, 30% eligible
    python benchmarks/purge.py --objects 20000          # a quicker run

Three configurations of govgate are measured, each on its own fresh bucket:
  prefix-rules:  rules by prefix and creation time, holds by S3 Object Lock only (the bucket has none);
  tag-holds:     the same plus legal hold by object tag (one GetObjectTagging per expired object, the
                 least S3 allows: listings carry no tags);
  versioned:     prefix rules on a versioned bucket (ListObjectVersions, deletes by version id).
"""

from __future__ import annotations

import argparse
import math
import os
import socket
import subprocess
import sys
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

RULES = """
version: 1
legal_hold: {{tags: {holds}}}
rules:
  - id: temporary
    prefix: tmp/
    retain: 0d
    data_class: temporary
  - id: raw
    prefix: raw/
    retain: P90D
    data_class: raw-personal
"""


def seed(client, bucket: str, n: int, eligible_share: float, versioned: bool, workers: int = 16) -> int:
    """n empty-ish objects: eligible ones under tmp/ (expire at once), the rest under raw/ (90 days)."""
    if versioned:
        client.put_bucket_versioning(Bucket=bucket, VersioningConfiguration={"Status": "Enabled"})
    n_eligible = int(n * eligible_share)
    keys = [f"tmp/part-{i:07d}" for i in range(n_eligible)] + [f"raw/file-{i:07d}" for i in range(n - n_eligible)]

    def put(chunk: list[str]) -> None:
        for key in chunk:
            client.put_object(Bucket=bucket, Key=key, Body=b"x" * 64)

    step = math.ceil(len(keys) / workers)
    with ThreadPoolExecutor(workers) as pool:
        list(pool.map(put, [keys[i : i + step] for i in range(0, len(keys), step)]))
    return n_eligible


def plain_loop(client, bucket: str) -> tuple[int, int, float]:
    """Baseline: list everything, delete each expired object with its own DeleteObject call."""
    calls = deleted = 0
    t0 = time.perf_counter()
    for page in client.get_paginator("list_objects_v2").paginate(Bucket=bucket, PaginationConfig={"PageSize": 1000}):
        calls += 1
        for obj in page.get("Contents", []):
            if obj["Key"].startswith("tmp/"):
                client.delete_object(Bucket=bucket, Key=obj["Key"])
                calls += 1
                deleted += 1
    return deleted, calls, time.perf_counter() - t0


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--objects", type=int, default=100_000)
    ap.add_argument("--eligible", type=float, default=0.30)
    ap.add_argument("--configs", default="prefix-rules,tag-holds,versioned")
    ap.add_argument(
        "--others", type=int, default=10_000, help="objects for the tag-holds and versioned runs and the plain loop"
    )
    args = ap.parse_args()

    os.environ.setdefault("AWS_ACCESS_KEY_ID", "testing")
    os.environ.setdefault("AWS_SECRET_ACCESS_KEY", "testing")
    from govgate.retention import load_rules, run_purge
    from govgate.store import S3Store

    # moto's server in its own process, so that the client under test does not share its interpreter lock
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    server = subprocess.Popen(
        [str(Path(sys.executable).parent / "moto_server"), "-H", "127.0.0.1", "-p", str(port)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    endpoint = f"http://127.0.0.1:{port}"
    for _ in range(100):
        try:
            socket.create_connection(("127.0.0.1", port), timeout=0.2).close()
            break
        except OSError:
            time.sleep(0.1)
    print(f"command: python benchmarks/purge.py --objects {args.objects} --eligible {args.eligible}")
    print(f"local S3 server (moto) at {endpoint}; {args.objects} objects, {args.eligible:.0%} past retention")

    work = Path(tempfile.mkdtemp(prefix="govgate-bench-purge-"))
    results = []

    def fresh(name: str, versioned: bool, n: int) -> tuple[S3Store, int, float]:
        store = S3Store(name, endpoint_url=endpoint)
        store.client.create_bucket(Bucket=name)
        t0 = time.perf_counter()
        n_eligible = seed(store.client, name, n, args.eligible, versioned)
        return store, n_eligible, time.perf_counter() - t0

    # The plain loop makes one call per expired object, so its cost is linear: measured on --others objects.
    base, n_eligible, seconds = fresh("bench-plain", False, args.others)
    print(f"seeded {args.others} objects in {seconds:.0f} s")
    deleted, base_calls, base_s = plain_loop(base.client, "bench-plain")
    assert deleted == n_eligible
    base_rate = args.others / base_s
    print(
        f"baseline plain boto3 loop: {args.others} objects, {deleted} deleted in {base_s:.1f} s ({base_rate:,.0f} objects/s), {base_calls} API calls"
    )

    for config in args.configs.split(","):
        holds = '{"legal-hold": ["true"]}' if config == "tag-holds" else "{}"
        rules_path = work / f"{config}.yaml"
        rules_path.write_text(RULES.format(holds=holds))
        rules = load_rules(rules_path)
        n = args.objects if config == "prefix-rules" else args.others
        store, n_eligible, _ = fresh(f"bench-{config}", config == "versioned", n)
        store.api_calls = 0
        t0 = time.perf_counter()
        result = run_purge(store, rules, dry_run=False)
        seconds = time.perf_counter() - t0
        calls = store.api_calls  # before the checks below list the bucket again
        cert = result.certificate
        assert cert["deleted"]["objects"] == n_eligible, cert["statuses"]
        remaining = sum(len(p) for p in store.list_pages(""))
        audit = sum(len(p) for p in store.list_pages("audit/"))
        assert remaining - audit == n - n_eligible
        list_pages = math.ceil(n * args.eligible / 1000) + math.ceil(
            n * (1 - args.eligible) / 1000
        )  # one listing per rule prefix
        minimum = list_pages + math.ceil(n_eligible / 1000)
        if config == "tag-holds":
            minimum += n_eligible  # one tag read per expired object: listings carry no tags
        results.append((config, seconds, calls, minimum))
        print(
            f"govgate {config:<13} {n} objects, {n_eligible} deleted in {seconds:.1f} s ({n / seconds:,.0f} objects/s listed and decided), "
            f"{calls} API calls vs minimum {minimum} (+{(calls - minimum) / minimum:.1%}); "
            f"{cert['delete_calls']} DeleteObjects, {cert['checkpoints']} checkpoints; "
            + f"throughput {n / seconds / base_rate:.1f}x the plain loop's"
        )
    server.terminate()


if __name__ == "__main__":
    main()
