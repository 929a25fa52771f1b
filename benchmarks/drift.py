"""Drift on 10,000,000 rows x 20 columns (11 numeric features, the predictions, 8 categorical features;
a protected group column) with planted drift in 3 features and in one group, against Evidently's
DataDriftPreset on the same data, in the same run.

    python benchmarks/drift.py                     # 10M current rows, 1M reference rows
    python benchmarks/drift.py --rows 1000000 --evidently-rows 1000000

Phases run as separate processes so that each peak RSS is its own: ``generate`` writes seeded Parquet
files (the reference and the current data in 1M-row files); ``govgate`` profiles the reference and
summarises the current files partition by partition (``govgate.datasets.iter_chunks``), merges and
judges; ``evidently`` runs Evidently 0.7 in its own venv (it needs pandas < 3, which the lock does not
allow; see docs/drift.md) on the first ``--evidently-rows`` current rows. Then the verdicts per column
are compared (asserted equal), with the time ratio and both peak memories. A second, small comparison
(1,000 reference rows: KS, chi-square and Z) checks the p-value tests against Evidently itself.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

NUMERIC = [f"n{i}" for i in range(11)]
CATEGORICAL = [f"c{i}" for i in range(8)]
PREDICTION = "prediction"
FEATURES = NUMERIC + [PREDICTION] + CATEGORICAL
GROUP = "sex"
PLANTED = {"n0", "n3", "c2"}  # drift for everyone
GROUP_PLANTED = ("n5", "F")  # drift for women only: below the limit overall, above it in the group
FILE_ROWS = 1_000_000
EVIDENTLY_PYTHON = ".venv-evidently/bin/python"  # python -m venv .venv-evidently && .venv-evidently/bin/pip install evidently==0.7.23 "pandas<3"


# --------------------------------------------------------------------------------------------- data


def make_frame(n: int, seed: int, drifted: bool):
    """Seeded rows; ``drifted`` plants the drift of PLANTED and GROUP_PLANTED."""
    import numpy as np
    import pandas as pd

    rng = np.random.default_rng(seed)
    sex = rng.choice(np.array(["F", "M"]), n)
    women = sex == "F"
    cols = {
        "n0": rng.normal(0.3 if drifted else 0.0, 1.0, n),
        "n1": rng.lognormal(0, 0.6, n),
        "n2": rng.uniform(0, 10, n),
        "n3": rng.lognormal(0, 0.9 if drifted else 0.6, n),
        "n4": rng.integers(18, 91, n).astype(float),  # ages: 73 values, exact edges
        "n5": rng.normal(0, 1, n) + (0.16 if drifted else 0.0) * women,
        "n6": rng.exponential(2.0, n),
        "n7": rng.beta(2, 5, n),
        "n8": rng.gamma(2.0, 1.5, n),
        "n9": rng.integers(0, 4, n).astype(float),  # four values: Jensen-Shannon on value counts
        "n10": rng.standard_t(5, n),
    }
    cols[PREDICTION] = 1 / (1 + np.exp(-(0.8 * cols["n0"] + 0.3 * cols["n2"] - 1.5 + rng.normal(0, 0.5, n))))
    sizes = [2, 3, 5, 8, 12, 20, 50, 200]
    for i, k in enumerate(sizes):
        p = np.full(k, 1.0 / k)
        if drifted and f"c{i}" in PLANTED:
            p = np.array([0.45, 0.25, 0.1, 0.1, 0.1])
        labels = np.array([f"v{j:03d}" for j in range(k)])
        cols[f"c{i}"] = labels[rng.choice(k, n, p=p)]
    cols[GROUP] = sex
    return pd.DataFrame(cols)


def generate(workdir: Path, rows: int, reference_rows: int, seed: int) -> None:
    import pyarrow as pa
    import pyarrow.parquet as pq

    def write(df, path):
        pq.write_table(pa.Table.from_pandas(df, preserve_index=False), path, row_group_size=250_000)

    write(make_frame(reference_rows, seed, drifted=False), workdir / "reference.parquet")
    (workdir / "current").mkdir(exist_ok=True)
    for i in range((rows + FILE_ROWS - 1) // FILE_ROWS):
        n = min(FILE_ROWS, rows - i * FILE_ROWS)
        write(make_frame(n, seed + 1 + i, drifted=True), workdir / "current" / f"part-{i:04d}.parquet")


def small_frames(seed: int):
    """1,000 reference rows (p-value tests) and 5,000 current rows, same planted drift."""
    return make_frame(1000, seed, drifted=False), make_frame(5000, seed + 1, drifted=True)


# --------------------------------------------------------------------------------------------- govgate


def parquet_chunks(path: Path, chunk_rows: int):
    from govgate.datasets import DatasetInfo, iter_chunks

    info = DatasetInfo(
        uri=str(path),
        path=str(path),
        format="parquet",
        sha256="",
        size=path.stat().st_size,
        columns=[],
        header=True,
        delimiter=",",
        encoding="utf-8",
        longest_line=0,
    )
    return iter_chunks(info, chunk_rows)


def run_govgate(workdir: Path, chunk_rows: int, dask_workers: int) -> dict:
    import resource

    import pandas as pd

    from govgate.checks.drift import drift_checks, merge_summaries, reference_profile

    start = time.perf_counter()
    reference = pd.read_parquet(workdir / "reference.parquet")
    profile = reference_profile(reference, columns=FEATURES, groups=[GROUP])
    del reference
    profiled = time.perf_counter()
    files = sorted((workdir / "current").glob("part-*.parquet"))
    if dask_workers:
        from distributed import Client, LocalCluster

        with LocalCluster(n_workers=dask_workers, threads_per_worker=1) as cluster, Client(cluster) as client:
            parts = client.gather(client.map(summarize_file, files, profile=profile, chunk_rows=chunk_rows))
    else:
        parts = [summarize_file(f, profile, chunk_rows) for f in files]
    summary = merge_summaries(parts)
    checks, findings = drift_checks(profile, summary)
    elapsed = time.perf_counter() - start
    usage = resource.getrusage(resource.RUSAGE_SELF)
    rss = usage.ru_maxrss * 1024
    return {
        "seconds": elapsed,
        "cpu_seconds": usage.ru_utime + usage.ru_stime,
        "profile_seconds": profiled - start,
        "peak_rss_bytes": rss,
        "rows": summary.rows[("", "")],
        "checks": [_check_row(c) for c in checks],
        "findings": len(findings),
    }


def summarize_file(path: Path, profile, chunk_rows: int):
    from govgate.checks.drift import DriftSummary

    out = DriftSummary()
    for chunk in parquet_chunks(path, chunk_rows):
        out = out.merge(profile.summarize(chunk))
    return out


def _check_row(check) -> dict:
    metric = check.metrics[0] if check.metrics else None
    return {
        "id": check.id,
        "outcome": check.outcome.value,
        "test": check.details.get("test"),
        "value": metric.value if metric else None,
        "p_value_evidently": next((m.value for m in check.metrics if m.name == "p_value_evidently"), None),
        "p_value": next((m.value for m in check.metrics if m.name == "p_value"), None),
        "evidently_drift": check.details.get("evidently_drift"),
    }


# --------------------------------------------------------------------------------------------- Evidently

EVIDENTLY_SCRIPT = r"""
import json, resource, sys, time
import pandas as pd
from evidently import Dataset, DataDefinition, Report
from evidently.presets import DataDriftPreset

workdir, rows, numeric, categorical = sys.argv[1], int(sys.argv[2]), json.loads(sys.argv[3]), json.loads(sys.argv[4])
columns = numeric + categorical
start = time.perf_counter()
reference = pd.read_parquet(f"{workdir}/reference.parquet", columns=columns)
files = sorted(__import__("glob").glob(f"{workdir}/current/part-*.parquet"))
frames, have = [], 0
for f in files:
    if have >= rows:
        break
    frames.append(pd.read_parquet(f, columns=columns).iloc[: rows - have])
    have += len(frames[-1])
current = pd.concat(frames, ignore_index=True)
del frames
loaded = time.perf_counter()
definition = DataDefinition(numerical_columns=numeric, categorical_columns=categorical)
snapshot = Report([DataDriftPreset()]).run(
    current_data=Dataset.from_pandas(current, data_definition=definition),
    reference_data=Dataset.from_pandas(reference, data_definition=definition),
)
done = time.perf_counter()
usage = resource.getrusage(resource.RUSAGE_SELF)
out = {"rows": len(current), "seconds": done - loaded, "load_seconds": loaded - start,
       "cpu_seconds_total": usage.ru_utime + usage.ru_stime,
       "peak_rss_bytes": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024, "columns": {}}
for metric in snapshot.dict()["metrics"]:
    config = metric["config"]
    if config.get("type", "").endswith("ValueDrift"):
        out["columns"][config["column"]] = {"method": config["method"], "value": metric["value"],
                                            "threshold": config["threshold"]}
    elif config.get("type", "").endswith("DriftedColumnsCount"):
        out["dataset"] = metric["value"]
print(json.dumps(out))
"""


def run_evidently(python: str, workdir: Path, rows: int) -> dict:
    script = workdir / "evidently_run.py"
    script.write_text(EVIDENTLY_SCRIPT)
    args = [python, str(script), str(workdir), str(rows), json.dumps(NUMERIC + [PREDICTION]), json.dumps(CATEGORICAL)]
    done = subprocess.run(args, capture_output=True, text=True, check=False)
    if done.returncode != 0:
        raise SystemExit(f"Evidently run failed ({rows} rows):\n{done.stderr[-3000:]}")
    return json.loads(done.stdout.strip().splitlines()[-1])


def evidently_drift(entry: dict) -> bool:
    """Evidently's verdict from its value: p-value methods drift below the threshold, distances at or
    above it."""
    if "p_value" in entry["method"]:
        return entry["value"] < entry["threshold"]
    return entry["value"] >= entry["threshold"]


METHODS = {
    "K-S p_value": "ks",
    "chi-square p_value": "chisquare",
    "Z-test p_value": "z",
    "Wasserstein distance (normed)": "wasserstein",
    "Jensen-Shannon distance": "jensenshannon",
}


# --------------------------------------------------------------------------------------------- comparison


def compare(gov: dict, ev: dict, *, small: bool) -> list[dict]:
    """Per column: the test, govgate's value and Evidently's, and the two verdicts (govgate's judged
    outcome; on the small run, where Holm may differ by design, Evidently's raw rule as govgate applies it)."""
    checks = {c["id"]: c for c in gov["checks"]}
    rows = []
    for column, entry in ev["columns"].items():
        mine = checks[f"drift.{column}"]
        theirs = evidently_drift(entry)
        ours = bool(mine["evidently_drift"]) if small else mine["outcome"] == "fail"
        value = mine["value"]
        if METHODS[entry["method"]] in ("ks", "chisquare", "z"):
            value = mine["p_value"] if mine["p_value_evidently"] is None else mine["p_value_evidently"]
        rows.append(
            {
                "column": column,
                "test": mine["test"],
                "evidently_test": METHODS[entry["method"]],
                "govgate": value,
                "evidently": entry["value"],
                "govgate_drift": ours,
                "evidently_drift": theirs,
                "outcome": mine["outcome"],
            }
        )
    return rows


def print_table(rows: list[dict]) -> None:
    print(f"{'column':<11} {'test':<14} {'govgate':>12} {'evidently':>12} {'rel.diff':>9}  drift (govgate/evidently)")
    for r in rows:
        diff = abs(r["govgate"] - r["evidently"]) / max(abs(r["evidently"]), 1e-300)
        print(
            f"{r['column']:<11} {r['test']:<14} {r['govgate']:>12.6g} {r['evidently']:>12.6g} {diff:>9.2e}  "
            f"{r['govgate_drift']!s:>5} / {r['evidently_drift']!s:<5} ({r['outcome']})"
        )


def check_rows(rows: list[dict], label: str) -> None:
    wrong = [
        r["column"] for r in rows if r["test"] != r["evidently_test"] or r["govgate_drift"] != r["evidently_drift"]
    ]
    assert not wrong, f"{label}: test or verdict differs from Evidently for {wrong}"


def small_comparison(workdir: Path, python: str, seed: int) -> None:
    """1,000 reference rows: KS, chi-square (Evidently's goodness-of-fit p recorded beside) and Z."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    from govgate.checks.drift import detect_drift, reference_profile

    small = workdir / "small"
    (small / "current").mkdir(parents=True, exist_ok=True)
    reference, current = small_frames(seed)
    pq.write_table(pa.Table.from_pandas(reference, preserve_index=False), small / "reference.parquet")
    pq.write_table(pa.Table.from_pandas(current, preserve_index=False), small / "current" / "part-0000.parquet")
    checks, _ = detect_drift(reference_profile(reference, columns=FEATURES, groups=[GROUP]), [current])
    gov = {"checks": [_check_row(c) for c in checks]}
    rows = compare(gov, run_evidently(python, small, len(current)), small=True)
    print("\nsmall reference (1,000 rows): p-value tests, Evidently's raw rule")
    print_table(rows)
    check_rows(rows, "small run")
    worst = max(abs(r["govgate"] - r["evidently"]) for r in rows)
    assert worst < 1e-9, f"small run: p-values differ from Evidently's by {worst}"
    print(f"same test and verdict for all {len(rows)} columns; largest p-value difference {worst:.1e}")


def phase(args, name: str, *extra: str) -> dict:
    cmd = [sys.executable, __file__, "--phase", name, "--workdir", str(args.workdir), *extra]
    done = subprocess.run(cmd, capture_output=True, text=True, check=False)
    if done.returncode != 0:
        raise SystemExit(f"phase {name} failed:\n{done.stderr[-3000:]}")
    return json.loads(done.stdout.strip().splitlines()[-1]) if done.stdout.strip() else {}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--rows", type=int, default=10_000_000)
    parser.add_argument("--reference-rows", type=int, default=1_000_000)
    parser.add_argument("--evidently-rows", type=int, default=None, help="default: --rows (a multiple of 1M)")
    parser.add_argument("--chunk-rows", type=int, default=250_000)
    parser.add_argument("--dask-workers", type=int, default=0, help="summarise files on a Dask LocalCluster")
    parser.add_argument("--evidently-python", default=EVIDENTLY_PYTHON)
    parser.add_argument("--workdir", type=Path, default=None)
    parser.add_argument("--seed", type=int, default=20261207)
    parser.add_argument("--phase", choices=["generate", "govgate"], default=None)
    parser.add_argument("--files", type=int, default=0, help="(govgate phase) only the first N current files")
    args = parser.parse_args()
    if args.phase == "generate":
        generate(args.workdir, args.rows, args.reference_rows, args.seed)
        return 0
    if args.phase == "govgate":
        if args.files:
            keep = sorted((args.workdir / "current").glob("part-*.parquet"))[: args.files]
            view = args.workdir / f"first-{args.files}"
            (view / "current").mkdir(parents=True, exist_ok=True)
            for f in keep:
                link = view / "current" / f.name
                if not link.exists():
                    link.symlink_to(f)
            if not (view / "reference.parquet").exists():
                (view / "reference.parquet").symlink_to(args.workdir / "reference.parquet")
            args.workdir = view
        print(json.dumps(run_govgate(args.workdir, args.chunk_rows, args.dask_workers)))
        return 0
    return orchestrate(args)


def orchestrate(args) -> int:
    args.workdir = args.workdir or Path(tempfile.mkdtemp(prefix="govgate-drift-bench-"))
    args.workdir.mkdir(parents=True, exist_ok=True)
    ev_rows = args.evidently_rows or args.rows
    if ev_rows % FILE_ROWS and ev_rows != args.rows:
        raise SystemExit("--evidently-rows must be a multiple of 1,000,000 (whole current files)")
    print(f"workdir {args.workdir}; {args.rows:,} current rows, {args.reference_rows:,} reference rows, 20 columns")
    t = time.perf_counter()
    if not (args.workdir / "reference.parquet").exists():
        phase(args, "generate", "--rows", str(args.rows), "--reference-rows", str(args.reference_rows))
    print(f"data generated in {time.perf_counter() - t:.1f} s")
    small_comparison(args.workdir, args.evidently_python, args.seed)
    dask = ["--dask-workers", str(args.dask_workers)] if args.dask_workers else []
    gov = phase(args, "govgate", "--chunk-rows", str(args.chunk_rows), *dask)
    print(
        f"\ngovgate, {gov['rows']:,} rows: {gov['seconds']:.1f} s, CPU {gov['cpu_seconds']:.1f} s "
        f"(reference profile {gov['profile_seconds']:.1f} s), "
        f"peak RSS {gov['peak_rss_bytes'] / 2**30:.2f} GiB, {len(gov['checks'])} checks"
    )
    gov_same = gov
    if ev_rows != args.rows:
        gov_same = phase(args, "govgate", "--chunk-rows", str(args.chunk_rows), "--files", str(ev_rows // FILE_ROWS))
        print(f"govgate, {gov_same['rows']:,} rows: {gov_same['seconds']:.1f} s")
    ev = run_evidently(args.evidently_python, args.workdir, ev_rows)
    print(
        f"Evidently DataDriftPreset, {ev['rows']:,} rows: {ev['seconds']:.1f} s, CPU incl. reading "
        f"{ev['cpu_seconds_total']:.1f} s (+{ev['load_seconds']:.1f} s to "
        f"read the Parquet into pandas), peak RSS {ev['peak_rss_bytes'] / 2**30:.2f} GiB"
    )
    rows = compare(gov_same, ev, small=False)
    print_table(rows)
    check_rows(rows, f"{ev_rows:,}-row run")
    ratio = ev["seconds"] / gov_same["seconds"]
    summary(args, gov, gov_same, ev, rows, ratio)
    assert gov["peak_rss_bytes"] < 4 * 2**30, "govgate's peak memory is over 4 GiB"
    return 0


def summary(args, gov, gov_same, ev, rows, ratio) -> None:
    checks = {c["id"]: c for c in gov["checks"]}
    group_col, group_value = GROUP_PLANTED
    planted = sorted(r["column"] for r in rows if r["govgate_drift"])
    expected = sorted(PLANTED | {PREDICTION})  # the predictions follow n0, so they drift too
    print(f"\ndrifted columns found: {planted} (planted: {sorted(PLANTED)}, and the predictions follow n0)")
    print(
        f"group drift: {group_col} overall {checks[f'drift.{group_col}']['outcome']} "
        f"({checks[f'drift.{group_col}']['value']:.4f}), {GROUP}={group_value} "
        f"{checks[f'drift.{group_col}.{GROUP}={group_value}']['outcome']} "
        f"({checks[f'drift.{group_col}.{GROUP}={group_value}']['value']:.4f}), {GROUP}=M "
        f"{checks[f'drift.{group_col}.{GROUP}=M']['outcome']}"
    )
    print(
        f"same test and verdict as Evidently for all {len(rows)} columns at {ev['rows']:,} rows; "
        f"speed ratio (Evidently compute / govgate end to end incl. reading Parquet) {ratio:.1f}x; "
        f"govgate peak RSS {gov['peak_rss_bytes'] / 2**30:.2f} GiB at {gov['rows']:,} rows"
    )
    if gov_same.get("cpu_seconds") and ev.get("cpu_seconds_total"):
        print(
            f"CPU-time ratio (Evidently incl. reading / govgate incl. reading): "
            f"{ev['cpu_seconds_total'] / gov_same['cpu_seconds']:.1f}x"
        )
    assert expected == planted, planted
    assert checks[f"drift.{group_col}.{GROUP}={group_value}"]["outcome"] == "fail"
    assert checks[f"drift.{group_col}.{GROUP}=M"]["outcome"] == "pass"
    assert checks[f"drift.{group_col}"]["outcome"] == "pass"


if __name__ == "__main__":
    os.environ.setdefault("PYTHONHASHSEED", "0")
    sys.exit(main())
