"""PII scan: govgate's partition scan against an exhaustive plain Presidio loop.

Data: a generated table of N rows x 8 columns (email, VN phone, CCCD, credit card and a name-like
handle; an amount and a category; a free-text comment of which about 2% hold an e-mail address or a
phone number), and the shared reviews file ../shared/data/ecommerce/Musical_instruments_reviews.csv.

govgate: partitions of --partition-rows through ``scan_pii_partition`` (structured columns sampled,
text columns every row, cells joined into documents), on --workers processes, then ``merge_pii``.
Baseline: ``AnalyzerEngine.analyze`` once per cell (Presidio's engine as it comes, with the same
recognizers, score threshold, column context and overlap rule), on the first --baseline-rows rows,
which it can finish.

Reported: rows/s of both, the ratio, and the column-level agreement of findings: the entity types
each one flags per column under the gate's rule (structured: prevalence >= --min-prevalence; text:
any hit), for govgate on all rows and for govgate on the baseline's rows.

    python benchmarks/pii_scan.py --rows 100000
    python benchmarks/pii_scan.py                      # 1,000,000 rows, 2 processes
    python benchmarks/pii_scan.py --rows 100000 --repeat 5   # medians of 5 interleaved runs (small files are noisy)
"""

from __future__ import annotations

import argparse
import os
import platform
import shlex
import statistics
import sys
import time
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

os.environ.setdefault("TLDEXTRACT_PUBLIC_SUFFIX_LIST_URLS", "")  # no public-suffix download (FIELD-NOTES)

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402

from govgate.checks.pii import (  # noqa: E402
    SCORE_THRESHOLD,
    ColumnPii,
    PiiPartial,
    build_analyzer,
    merge_pii,
    plan_columns,
    resolve_overlaps,
    scan_pii_partition,
)

REVIEWS = REPO.parent / "shared" / "data" / "ecommerce" / "Musical_instruments_reviews.csv"
REVIEW_COLUMNS = [
    "reviewerID",
    "asin",
    "reviewerName",
    "helpful",
    "reviewText",
    "overall",
    "summary",
    "unixReviewTime",
    "reviewTime",
]

WORDS = (
    "giao hàng nhanh sản phẩm tốt đóng gói cẩn thận shop tư vấn nhiệt tình sẽ ủng hộ lần sau "
    "the delivery was quick and the product works as described but the box was a bit damaged "
    "màu sắc đẹp chất lượng ổn giá hợp lý great value would recommend to friends and family "
    "hơi chậm một chút nhưng vẫn hài lòng customer service answered all my questions"
).split()
MOBILE = [
    "090",
    "091",
    "093",
    "094",
    "096",
    "097",
    "098",
    "099",
    "032",
    "033",
    "034",
    "035",
    "036",
    "037",
    "038",
    "039",
    "070",
    "076",
    "077",
    "078",
    "079",
    "081",
    "082",
    "083",
    "084",
    "085",
    "086",
    "088",
    "089",
]
PROVINCES = [
    "001",
    "002",
    "004",
    "008",
    "010",
    "022",
    "024",
    "031",
    "036",
    "038",
    "040",
    "046",
    "048",
    "056",
    "074",
    "075",
    "079",
    "080",
    "082",
    "087",
    "089",
    "092",
    "094",
    "096",
]
FAMILY = ["nguyen", "tran", "le", "pham", "hoang", "huynh", "phan", "vu", "vo", "dang", "bui", "do", "ho", "ngo"]
GIVEN = [
    "an",
    "binh",
    "chi",
    "dung",
    "giang",
    "ha",
    "hai",
    "hoa",
    "hung",
    "khanh",
    "lan",
    "linh",
    "minh",
    "nam",
    "ngoc",
    "phuong",
    "quang",
    "son",
    "thao",
    "trang",
    "tuan",
    "viet",
    "xuan",
    "yen",
]
CATEGORIES = ["electronics", "fashion", "home", "books", "beauty", "sports", "toys", "grocery"]


# --- data ----------------------------------------------------------------------------------------------------


def _pick(rng: np.random.Generator, items: list[str], n: int) -> np.ndarray:
    return np.asarray(items, dtype=object)[rng.integers(0, len(items), n)]


def _digits(rng: np.random.Generator, n: int, width: int) -> np.ndarray:
    return np.char.zfill(rng.integers(0, 10**width, n).astype(str), width).astype(object)


def _luhn_cards(rng: np.random.Generator, n: int) -> list[str]:
    body = rng.integers(0, 10, (n, 15))
    body[:, 0] = 4  # Visa
    doubled = body[:, ::-1][:, ::2] * 2  # every second digit from the right of the payload, doubled
    total = (doubled - 9 * (doubled > 9)).sum(axis=1) + body[:, ::-1][:, 1::2].sum(axis=1)
    check = (10 - total % 10) % 10
    digits = np.concatenate([body, check[:, None]], axis=1).astype(str)
    plain = ["".join(row) for row in digits]
    return [f"{c[:4]} {c[4:8]} {c[8:12]} {c[12:]}" if i % 3 == 0 else c for i, c in enumerate(plain)]


def generate(rows: int, seed: int) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    family, given = _pick(rng, FAMILY, rows), _pick(rng, GIVEN, rows)
    year = rng.integers(60, 100, rows).astype(str).astype(object)
    email = family + "." + given + year + "@" + _pick(rng, ["gmail.com", "yahoo.com.vn", "example.vn", "fpt.vn"], rows)
    phone = _pick(rng, MOBILE, rows) + _digits(rng, rows, 7)
    intl = rng.random(rows) < 0.3
    phone[intl] = ["+84 " + p[1:4] + " " + p[4:7] + " " + p[7:] for p in phone[intl]]
    cccd = _pick(rng, PROVINCES, rows) + rng.integers(0, 4, rows).astype(str).astype(object) + _digits(rng, rows, 8)
    handle = given + "_" + family + "_" + _digits(rng, rows, 3)
    lengths = rng.integers(6, 20, rows)
    words = np.asarray(WORDS, dtype=object)[rng.integers(0, len(WORDS), (rows, 20))]
    # one to three sentences: "w w w. w w w w. w w."
    cut = rng.integers(3, 8, rows)
    comment = [
        " ".join(w[:c]) + ". " + " ".join(w[c:k]) + "." if k > c + 2 else " ".join(w[:k]) + "."
        for w, c, k in zip(words, cut, lengths)
    ]
    planted = np.flatnonzero(rng.random(rows) < 0.02)
    for i in planted:
        comment[i] += f", liên hệ {email[i]}" if i % 2 else f", gọi em số {phone[i]} nhé"
    with_number = np.flatnonzero(rng.random(rows) < 0.05)
    for i in with_number:
        comment[i] += f" mua {int(lengths[i])} cái"
    return pd.DataFrame(
        {
            "email": email.astype(str),
            "phone": phone.astype(str),
            "cccd": cccd.astype(str),
            "card_number": _luhn_cards(rng, rows),
            "customer_handle": handle.astype(str),
            "amount": np.round(rng.gamma(2.0, 150_000, rows), -2),
            "category": _pick(rng, CATEGORIES, rows).astype(str),
            "comment": comment,
        }
    )


def load_reviews() -> pd.DataFrame | None:
    if not REVIEWS.is_file():
        return None
    return pd.read_csv(REVIEWS, header=None, names=REVIEW_COLUMNS)


# --- the two scanners --------------------------------------------------------------------------------------


def _scan(args: tuple) -> PiiPartial:
    df, plan, sample_rows, seed = args
    return scan_pii_partition(df, plan, sample_rows=sample_rows, ner_model=None, seed=seed)


def _warm() -> None:
    build_analyzer(None)


def govgate_scan(df: pd.DataFrame, plan: dict[str, str], partition_rows: int, sample_rows: int, workers: int):
    parts = [
        (df.iloc[i : i + partition_rows], plan, sample_rows, k) for k, i in enumerate(range(0, len(df), partition_rows))
    ]
    started = time.perf_counter()
    if workers > 1:
        with ProcessPoolExecutor(max_workers=workers, initializer=_warm) as pool:
            partials = list(pool.map(_scan, parts))
    else:
        partials = [_scan(p) for p in parts]
    result = merge_pii(partials)
    return result, time.perf_counter() - started, len(parts)


def plain_analyzer():
    """Presidio as it comes (its default context enhancer) with govgate's recognizers."""
    from presidio_analyzer import AnalyzerEngine

    ours, _ = build_analyzer(None)
    return AnalyzerEngine(
        registry=ours.registry,
        nlp_engine=ours.nlp_engine,
        supported_languages=["en"],
        default_score_threshold=SCORE_THRESHOLD,
    )


def plain_loop(df: pd.DataFrame, plan: dict[str, str]):
    """Exhaustive baseline: one analyze call per cell."""
    analyzer = plain_analyzer()
    columns: dict[str, ColumnPii] = {}
    started = time.perf_counter()
    for col in df.columns:
        kind = plan[col]
        context = None if kind == "text" else [col]
        stats = ColumnPii(kind=kind)
        for value in df[col].dropna():
            text = str(int(value)) if isinstance(value, float) and value.is_integer() else str(value)
            found = resolve_overlaps(analyzer.analyze(text, language="en", context=context))
            stats.values += 1
            stats.scanned += 1
            stats.with_pii += bool(found)
            for entity in {r.entity_type for r in found}:
                stats.counts[entity] = stats.counts.get(entity, 0) + 1
        columns[col] = stats
    return columns, time.perf_counter() - started


def flagged(col: ColumnPii, min_prevalence: float) -> set[str]:
    n = max(col.scanned, 1)
    return {e for e, k in col.counts.items() if k and (col.kind == "text" or k / n >= min_prevalence)}


def agreement(a: dict[str, ColumnPii], b: dict[str, ColumnPii], min_prevalence: float) -> tuple[int, list[str]]:
    same, lines = 0, []
    for col in a:
        fa, fb = flagged(a[col], min_prevalence), flagged(b[col], min_prevalence)
        same += fa == fb
        mark = "==" if fa == fb else "!="
        lines.append(f"    {col:<16} {a[col].kind:<10} govgate {sorted(fa) or '-'} {mark} plain {sorted(fb) or '-'}")
    return same, lines


# --- report ------------------------------------------------------------------------------------------------


def run_table(name: str, df: pd.DataFrame, args) -> dict:
    plan = plan_columns(df.head(2000))
    print(f"\n== {name}: {len(df):,} rows x {df.shape[1]} columns; plan: {plan}")
    partition_rows = min(args.partition_rows, -(-len(df) // args.workers))  # every process gets work
    base = df.head(args.baseline_rows)
    # Both sides run --repeat times, interleaved (machine noise hits both alike); medians are reported.
    gg_runs, base_runs = [], []
    for _ in range(args.repeat):
        result, seconds, partitions = govgate_scan(df, plan, partition_rows, args.sample_rows, args.workers)
        gg_runs.append(seconds)
        columns, base_seconds = plain_loop(base, plan)
        base_runs.append(base_seconds)
    seconds, base_seconds = statistics.median(gg_runs), statistics.median(base_runs)
    spread = lambda runs: f" (median of {len(runs)}: {min(runs):.1f}..{max(runs):.1f} s)" if len(runs) > 1 else ""  # noqa: E731
    gg_rate = len(df) / seconds
    print(
        f"  govgate: {partitions} partition(s) of <= {partition_rows:,} rows, {args.workers} process(es), "
        f"sample {args.sample_rows}/column/partition: {seconds:.1f} s wall{spread(gg_runs)}, {gg_rate:,.0f} rows/s "
        f"(scan CPU in workers {result.seconds:.1f} s)"
    )
    base_rate = len(base) / base_seconds
    print(
        f"  plain Presidio loop: {len(base):,} rows x {df.shape[1]} cells, 1 process: {base_seconds:.1f} s{spread(base_runs)}, "
        f"{base_rate:,.1f} rows/s"
    )
    print(
        f"  ratio: {gg_rate / base_rate:,.0f}x rows/s (govgate on {args.workers} process(es) vs the loop on 1; "
        f"per process {gg_rate / base_rate / args.workers:,.0f}x)"
    )
    same, lines = agreement(result.columns, columns, args.min_prevalence)
    print(f"  agreement, govgate on all {len(df):,} rows vs plain loop on {len(base):,}: {same}/{len(columns)} columns")
    print("\n".join(lines))
    sample_result = merge_pii([scan_pii_partition(base, plan, sample_rows=args.sample_rows, ner_model=None)])
    same_s, lines_s = agreement(sample_result.columns, columns, args.min_prevalence)
    print(f"  agreement, govgate vs plain loop on the same {len(base):,} rows: {same_s}/{len(columns)} columns")
    if same_s != len(columns):
        print("\n".join(lines_s))
    return {"rows": len(df), "seconds": seconds, "rate": gg_rate, "base_rate": base_rate}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rows", type=int, default=1_000_000, help="rows of the generated table")
    parser.add_argument("--partition-rows", type=int, default=100_000)
    parser.add_argument("--workers", type=int, default=2, help="processes scanning partitions")
    parser.add_argument(
        "--sample-rows",
        type=int,
        default=500,
        help="values sampled per structured column and partition (the flow uses pii_sample_rows // 4)",
    )
    parser.add_argument("--baseline-rows", type=int, default=2000, help="rows the plain loop analyses")
    parser.add_argument("--min-prevalence", type=float, default=0.05)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--skip-reviews", action="store_true")
    parser.add_argument("--repeat", type=int, default=1, help="runs of each side (interleaved); medians are reported")
    args = parser.parse_args(argv)

    print("command:", shlex.join([sys.executable, *sys.argv]))
    print(f"machine: {platform.platform()}, python {platform.python_version()}, {os.cpu_count()} CPU(s)")
    started = time.perf_counter()
    build_analyzer(None)
    print(f"analyzer built in {time.perf_counter() - started:.1f} s (no-op NLP engine, pattern recognizers + VN)")
    started = time.perf_counter()
    df = generate(args.rows, args.seed)
    print(f"generated {len(df):,} x {df.shape[1]} in {time.perf_counter() - started:.1f} s")
    summary = {"generated": run_table("generated table", df, args)}
    reviews = None if args.skip_reviews else load_reviews()
    if reviews is not None:
        summary["reviews"] = run_table(f"reviews ({REVIEWS.name})", reviews, args)
    elif not args.skip_reviews:
        print(f"\n(reviews file {REVIEWS} not found: skipped)")
    g = summary["generated"]
    print(
        f"\nsummary: {g['rows']:,} x 8 scanned in {g['seconds']:.1f} s on {args.workers} process(es) "
        f"({g['rate']:,.0f} rows/s) vs plain loop {g['base_rate']:,.1f} rows/s = {g['rate'] / g['base_rate']:,.0f}x; "
        f"targets: >= 20x and < 120 s for 1M x 8"
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
