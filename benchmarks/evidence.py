"""Launch evidence packaging and verification of N bytes of artifacts (many small files and a few large
ones) on the local store and on a local S3 server (moto), against `sha256sum` over the same files in the
same run. Reports hashing throughput against sha256sum (target: 90% or more) and whether the S3 uploads
were multipart and concurrent.

    python benchmarks/evidence.py                 # 2 GB
    python benchmarks/evidence.py --size 300M     # a quicker run
"""

from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
import tempfile
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))


def parse_size(text: str) -> int:
    units = {"K": 1 << 10, "M": 1 << 20, "G": 1 << 30}
    text = text.strip().upper().removesuffix("B")
    return int(float(text[:-1]) * units[text[-1]]) if text and text[-1] in units else int(text)


def generate(folder: Path, total: int, small_fraction: float, small_size: int, large_files: int) -> list[Path]:
    """Incompressible files: small ones up to ``small_fraction`` of ``total``, the rest in ``large_files``."""
    import numpy as np

    rng = np.random.default_rng(0)
    files = []
    small_total = int(total * small_fraction)
    n_small = max(1, small_total // small_size)
    for i in range(n_small):
        p = folder / "small" / f"{i // 500:03d}" / f"part-{i:05d}.bin"
        p.parent.mkdir(parents=True, exist_ok=True)
        p.write_bytes(rng.bytes(small_size))
        files.append(p)
    rest = total - n_small * small_size
    for i in range(large_files):
        size = rest // large_files + (rest % large_files if i == large_files - 1 else 0)
        p = folder / "large" / f"weights-{i}.bin"
        p.parent.mkdir(parents=True, exist_ok=True)
        with open(p, "wb") as f:
            left = size
            while left:
                chunk = min(left, 64 << 20)
                f.write(rng.bytes(chunk))
                left -= chunk
        files.append(p)
    return files


def sha256sum(files: list[Path]) -> float:
    """Seconds for coreutils sha256sum (one process) over the files."""
    t = time.perf_counter()
    for i in range(0, len(files), 1000):
        subprocess.run(["sha256sum", "--", *map(str, files[i : i + 1000])], check=True, stdout=subprocess.DEVNULL)
    return time.perf_counter() - t


def openssl_dgst(files: list[Path]) -> float | None:
    """Seconds for ``openssl dgst -sha256`` (one process) over the files, when openssl is installed."""
    if not shutil.which("openssl"):
        return None
    t = time.perf_counter()
    for i in range(0, len(files), 1000):
        subprocess.run(
            ["openssl", "dgst", "-sha256", *map(str, files[i : i + 1000])], check=True, stdout=subprocess.DEVNULL
        )
    return time.perf_counter() - t


def raw_s3_get(store, keys: list[str], workers: int) -> float:
    """Seconds to GET every object's body (no hashing): what the S3 server itself delivers."""

    def get(key: str) -> None:
        body = store.client.get_object(Bucket=store.bucket, Key=store._k(key))["Body"]
        while body.read(4 << 20):
            pass

    t = time.perf_counter()
    with ThreadPoolExecutor(workers) as pool:
        list(pool.map(get, keys))
    return time.perf_counter() - t


def govgate_digest(files: list[Path], workers: int) -> float:
    from govgate.digest import sha256_file

    t = time.perf_counter()
    if workers == 1:
        for p in files:
            sha256_file(p)
    else:
        with ThreadPoolExecutor(workers) as pool:
            list(pool.map(sha256_file, files))
    return time.perf_counter() - t


class UploadCounter:
    """Counts S3 multipart calls and the most UploadPart requests in flight at once."""

    def __init__(self, client):
        self.lock = threading.Lock()
        self.inflight = self.max_inflight = self.parts = self.multipart = self.puts = 0
        ev = client.meta.events
        ev.register("before-call.s3.UploadPart", self._start)
        ev.register("after-call.s3.UploadPart", self._end)
        ev.register("before-call.s3.CreateMultipartUpload", self._create)
        ev.register("before-call.s3.PutObject", self._put)

    def _start(self, **_):
        with self.lock:
            self.parts += 1
            self.inflight += 1
            self.max_inflight = max(self.max_inflight, self.inflight)

    def _end(self, **_):
        with self.lock:
            self.inflight -= 1

    def _create(self, **_):
        with self.lock:
            self.multipart += 1

    def _put(self, **_):
        with self.lock:
            self.puts += 1


def start_moto(tmp: Path):
    """moto's S3 server in its own process (as a real server would be), on a free port."""
    import socket
    import urllib.request

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    log = open(tmp / "moto.log", "wb")
    proc = subprocess.Popen(
        [sys.executable, "-m", "moto.server", "-H", "127.0.0.1", "-p", str(port)], stdout=log, stderr=log
    )
    endpoint = f"http://127.0.0.1:{port}"
    for _ in range(200):
        try:
            urllib.request.urlopen(endpoint + "/moto-api/", timeout=1)
            return proc, endpoint
        except OSError:
            if proc.poll() is not None:
                raise SystemExit(f"moto server exited; see {tmp / 'moto.log'}") from None
            time.sleep(0.1)
    proc.terminate()
    raise SystemExit("moto server did not start in 20 s")


def run_package(store, files: list[Path], root: Path, retention, key, workers: int) -> tuple[float, float, object]:
    from govgate.package import package_prefix, verify_package, write_package
    from govgate.record import new_record_id

    package_id = new_record_id()
    prefix = package_prefix("bench-model", "1", package_id)
    fields = {
        "package_id": package_id,
        "subject": {"model_uri": "models:/bench-model/1"},
        "decision": {"outcome": "pass", "reasons": []},
    }
    t = time.perf_counter()
    sealed = write_package(
        store,
        prefix,
        {f"artifacts/{p.relative_to(root)}": p for p in files},
        fields,
        key,
        retention=retention,
        workers=workers,
    )
    t_pack = time.perf_counter() - t
    report = verify_package(sealed.folder_uri, None, key.public, store=store, workers=workers)
    if not report.ok:
        raise SystemExit("verification failed:\n" + str(report))
    return t_pack, report.seconds, report


def main() -> int:
    tmp = Path(tempfile.mkdtemp(prefix="govgate-bench-evidence-", dir=os.environ.get("GOVGATE_BENCH_TMP") or None))
    os.environ.update(
        {
            "AWS_ACCESS_KEY_ID": "testing",
            "AWS_SECRET_ACCESS_KEY": "testing",
            "AWS_DEFAULT_REGION": "us-east-1",
            "GOVGATE_HOME": str(tmp / "home"),
        }
    )
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--size", default="2G", help="total artifact bytes (e.g. 2G, 300M)")
    parser.add_argument("--small-fraction", type=float, default=0.25, help="share of the bytes in small files")
    parser.add_argument("--small-file-size", default="64K", help="size of each small file")
    parser.add_argument("--large-files", type=int, default=3, help="number of large files")
    parser.add_argument("--workers", type=int, default=8, help="concurrent file uploads / verifications")
    parser.add_argument("--skip-s3", action="store_true", help="local store only")
    parser.add_argument("--keep", action="store_true", help="keep the temporary folder")
    args = parser.parse_args()
    total, small = parse_size(args.size), parse_size(args.small_file_size)

    from datetime import timedelta

    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

    from govgate.package import SigningKey
    from govgate.record import utcnow
    from govgate.store import LocalStore, Retention, S3Store

    try:
        t = time.perf_counter()
        src = tmp / "artifacts"
        files = generate(src, total, args.small_fraction, small, args.large_files)
        n_small = sum(1 for p in files if p.parent.parent.name == "small")
        large = [p.stat().st_size for p in files if p.parent.name == "large"]
        print(
            f"command: python benchmarks/evidence.py --size {args.size} --small-fraction {args.small_fraction} "
            f"--small-file-size {args.small_file_size} --large-files {args.large_files} --workers {args.workers}"
        )
        print(
            f"data: {total / 1e6:,.0f} MB in {len(files)} files: {n_small} x {small >> 10} KiB + {len(large)} large "
            f"({', '.join(f'{s / 1e6:.0f} MB' for s in large)}); generated in {time.perf_counter() - t:.1f} s; cores: {os.cpu_count()}"
        )
        mb = total / 1e6

        def rate(seconds: float) -> float:
            return mb / seconds

        t_ref = sha256sum(files)  # also warms the page cache for everyone
        t_ref = min(t_ref, sha256sum(files))
        ref = rate(t_ref)
        print(f"\nbaseline sha256sum (coreutils, 1 process): {ref:8.0f} MB/s ({t_ref:.2f} s)")
        t1 = min(govgate_digest(files, 1), govgate_digest(files, 1))
        tn = govgate_digest(files, args.workers)
        t_ossl = openssl_dgst(files)
        if t_ossl:
            print(f"openssl dgst -sha256 (1 process):          {rate(t_ossl):8.0f} MB/s ({t_ossl:.2f} s)")
        print(f"govgate sha256 (hashlib, 1 thread):       {rate(t1):8.0f} MB/s = {rate(t1) / ref:.0%} of sha256sum")
        print(
            f"govgate sha256 ({args.workers} threads):               {rate(tn):8.0f} MB/s = {rate(tn) / ref:.0%} of sha256sum"
        )

        key = SigningKey(Ed25519PrivateKey.generate(), "benchmark")
        retention = Retention("GOVERNANCE", utcnow() + timedelta(days=1))
        rows = []
        local = LocalStore(tmp / "store")
        tp, tv, rep = run_package(local, files, src, retention, key, args.workers)
        rows.append(("local store", tp, tv, rep))
        if not args.skip_s3:
            server, endpoint = start_moto(tmp)
            try:
                s3 = S3Store("bench-evidence", "", endpoint_url=endpoint, max_attempts=3)
                s3.client.create_bucket(Bucket="bench-evidence", ObjectLockEnabledForBucket=True)
                counter = UploadCounter(s3.client)
                tp, tv, rep = run_package(s3, files, src, retention, key, args.workers)
                rows.append(("S3 (moto, own process)", tp, tv, rep))
                keys = [i.key for i in s3.list("evidence/")]
                t_raw = raw_s3_get(s3, keys, args.workers)
            finally:
                server.terminate()
                server.wait(timeout=30)
        print(f"\n{'store':22} {'package MB/s':>13} {'verify MB/s':>12} {'verify vs sha256sum':>20}  files  lock")
        for name, tp, tv, rep in rows:
            lock = rep.object_lock.split(" until ")[0] + (
                " on every file" if rep.object_lock.endswith("every file") else ""
            )
            print(f"{name:22} {rate(tp):13.0f} {rate(tv):12.0f} {rate(tv) / ref:20.0%}  {rep.files_checked:5d}  {lock}")
        print(
            "  package = write every file once (hash while writing; local: copy + fsync), render, sign, seal;"
            "\n  verify = read back every file and recompute its SHA-256, check signature and Object Lock"
        )
        if not args.skip_s3:
            print(
                f"  S3 server ceiling: plain GET of the same objects without hashing, {args.workers} threads: {rate(t_raw):.0f} MB/s "
                f"(verify reaches {rate(rows[-1][2]) / rate(t_raw):.0%} of it)"
            )
            big = sum(1 for s in large if s > 64 << 20)
            print(
                f"\nS3 uploads: {counter.puts} single PUTs (files <= 64 MiB), {counter.multipart} multipart uploads "
                f"for {big} file(s) > 64 MiB, {counter.parts} parts of 16 MiB, at most {counter.max_inflight} parts in flight at once "
                f"-> multipart: {'yes' if counter.multipart >= big and big else 'no'}, concurrent: {'yes' if counter.max_inflight > 1 else 'no'}"
            )
    finally:
        if not args.keep:
            shutil.rmtree(tmp, ignore_errors=True)
        else:
            print(f"kept {tmp}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
