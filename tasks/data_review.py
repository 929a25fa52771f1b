"""Tasks of the data-review gate: read and partition the dataset, scan each partition (PII, secrets,
quality) where the task runner puts it (threads or Dask workers), merge, and turn the datasheet into checks.

Partitions are written once as Parquet under the store's ``tmp/`` prefix so that any worker that can
reach the store can scan them, and the driver never holds more than one chunk.
"""

from __future__ import annotations

import hashlib
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd
from prefect import get_run_logger
from prefect.cache_policies import NO_CACHE

from govgate.datasets import DatasetInfo, frame_to_parquet, inspect_dataset, iter_chunks, parquet_to_frame
from govgate.datasheet import Datasheet
from govgate.errors import GovgateError
from govgate.gate import input_digest
from govgate.policy import DataReviewRules
from govgate.protocol import DATA_REVIEW
from govgate.record import (
    ArtifactRef,
    AssetKind,
    Check,
    Finding,
    GateResult,
    InputDigest,
    Metric,
    Outcome,
    Severity,
    Subject,
    Threshold,
    slug,
)
from tasks import context
from tasks.govgate_task import govgate_task as task

# text-like pandas dtypes whose cells can hold secrets
_TEXTLIKE = ("object", "str", "string")


@dataclass
class Partition:
    key: str
    index: int
    row_offset: int
    rows: int


@dataclass
class PartitionPlan:
    partitions: list[Partition]
    columns: list[str]
    column_kinds: dict[str, str]  # column -> text | structured | numeric
    string_columns: list[str]
    rows: int
    sample: pd.DataFrame = field(repr=False)
    text_file: bool = False  # a text file's lines (column "line"): secrets scanned as a file, lines 1-based


@dataclass
class PartitionScan:
    index: int
    pii: object
    secrets: object
    quality: object


@task(name="inspect-dataset", cache_policy=NO_CACHE)
def inspect(dataset: str, sheet: Datasheet, max_line_bytes: int) -> DatasetInfo:
    return inspect_dataset(dataset, sheet, context.settings(), max_line_bytes=max_line_bytes)


def fingerprint_key() -> bytes:
    """The key of secret fingerprints: the kept pseudonym salt, the same on every worker and run."""
    return context.settings().effective_pseudonym_salt().encode()


@task(name="input-file-checks", cache_policy=NO_CACHE)
def input_file_checks(info: DatasetInfo) -> list[Check]:
    """NUL bytes and repeated column names: the file itself, before its values."""
    from govgate.checks.input import input_checks

    return input_checks(info)


@task(name="partition-dataset", cache_policy=NO_CACHE)
def partition_dataset(info: DatasetInfo, sheet: Datasheet, chunk_rows: int, prefix: str) -> PartitionPlan:
    """Stream the dataset once, writing each chunk as a Parquet partition to the store."""
    from govgate.checks.pii import plan_columns

    store = context.store()
    partitions: list[Partition] = []
    offset = 0
    kinds: dict[str, str] = {}
    strings: set[str] = set()
    sample = pd.DataFrame()
    for i, chunk in enumerate(iter_chunks(info, chunk_rows)):
        if i == 0:
            declared = {c.name: c.type for c in sheet.columns if c.type}
            kinds = plan_columns(chunk.head(2000), declared)
            sample = chunk.head(2000).copy()
        strings |= {c for c in chunk.columns if str(chunk[c].dtype) in _TEXTLIKE}
        key = f"{prefix}part-{i:05d}.parquet"
        store.put(key, frame_to_parquet(chunk), content_type="application/vnd.apache.parquet")
        partitions.append(Partition(key=key, index=i, row_offset=offset, rows=len(chunk)))
        offset += len(chunk)
    if not partitions:
        from govgate.errors import InputError

        raise InputError(f"dataset {info.uri} has a header but no data rows")
    return PartitionPlan(partitions, list(info.columns), kinds, sorted(strings), offset, sample, info.format == "text")


@task(name="scan-partition", cache_policy=NO_CACHE)
def scan_partition(
    partition: Partition,
    column_kinds: dict[str, str],
    string_columns: list[str],
    expectations: list[dict],
    sample_rows: int,
    ner_model: str | None,
    text_file: bool = False,
) -> PartitionScan:
    from govgate.checks.pii import scan_pii_partition
    from govgate.checks.quality import quality_partition
    from govgate.checks.secrets import scan_file_lines, scan_secrets_partition

    df = parquet_to_frame(context.store().get_bytes(partition.key))
    per_partition_sample = max(10, sample_rows // 4)  # several partitions add up to the policy's sample size
    return PartitionScan(
        index=partition.index,
        pii=scan_pii_partition(
            df, column_kinds, sample_rows=per_partition_sample, ner_model=ner_model, seed=partition.index
        ),
        secrets=scan_file_lines(df["line"], "line", first_line=partition.row_offset + 1, key=fingerprint_key())
        if text_file
        else scan_secrets_partition(
            df, [c for c in string_columns if c in df.columns], row_offset=partition.row_offset, key=fingerprint_key()
        ),
        quality=quality_partition(df, expectations, row_offset=partition.row_offset, text_lines=text_file),
    )


@task(name="merge-scans", cache_policy=NO_CACHE)
def merge_scans(
    scans: list[PartitionScan],
    rules: DataReviewRules,
    confidence: float,
    ner_model: str | None,
    declared_pii: dict[str, bool] | None = None,
) -> tuple[list[Check], list[Finding]]:
    from govgate.checks.pii import build_analyzer, merge_pii, pii_checks
    from govgate.checks.quality import merge_quality, quality_checks
    from govgate.checks.secrets import merge_secrets, secrets_checks

    scans = sorted(scans, key=lambda s: s.index)
    _, ner_available = build_analyzer(ner_model)
    checks: list[Check] = []
    findings: list[Finding] = []
    for c, f in (
        pii_checks(
            merge_pii([s.pii for s in scans]),
            min_prevalence=rules.pii_min_prevalence,
            confidence=confidence,
            ner_available=ner_available,
            declared=declared_pii,
        ),
        secrets_checks(merge_secrets([s.secrets for s in scans]), max_findings=rules.max_secret_findings),
        quality_checks(
            merge_quality([s.quality for s in scans]),
            max_null_fraction=rules.max_null_fraction,
            max_duplicate_row_fraction=rules.max_duplicate_row_fraction,
        ),
    ):
        checks += c
        findings += f
    return checks, findings


@task(name="expectations", cache_policy=NO_CACHE)
def build_expectations(sheet: Datasheet, columns: list[str], suites: list[str]) -> list[dict]:
    from govgate.checks.quality import generic_expectations, load_suite

    expectations = generic_expectations([c.model_dump(exclude_none=True) for c in sheet.columns], columns)
    for name in dict.fromkeys([*sheet.expectation_suites, *suites]):
        expectations += load_suite(name)
    return expectations


@task(name="sensitive-attributes", cache_policy=NO_CACHE)
def sensitive_attributes(
    columns: list[str], sample: pd.DataFrame, sheet: Datasheet, rules: DataReviewRules
) -> tuple[list[Check], list[Finding]]:
    from govgate.checks.sensitive import sensitive_attribute_checks

    return sensitive_attribute_checks(
        columns, sample, sheet.sensitive_attributes, undeclared_outcome=rules.undeclared_sensitive_attribute
    )


@task(name="datasheet-checks", cache_policy=NO_CACHE)
def datasheet_checks(sheet: Datasheet, rules: DataReviewRules) -> tuple[list[Check], list[Finding]]:
    """Required datasheet fields, legal basis and consent, retention and provenance, as checks."""
    required, findings = required_fields_check(sheet, rules)
    checks = [required]
    if sheet.legal_basis == "consent":
        checks.append(consent_check(sheet))
    checks += [retention_check(sheet), provenance_check(sheet)]
    return checks, findings


def required_fields_check(sheet: Datasheet, rules: DataReviewRules) -> tuple[Check, list[Finding]]:
    """The fields the policy requires: one check, and a finding for each field missing."""
    missing = sheet.missing_fields(rules.required_datasheet_fields)
    check = Check(
        id="data.datasheet.required_fields",
        title="The datasheet has every field the policy requires",
        category="datasheet",
        outcome=Outcome.FAIL if missing else Outcome.PASS,
        message=f"missing: {', '.join(missing)}"
        if missing
        else f"all of {', '.join(rules.required_datasheet_fields)} present",
        metrics=[Metric(name="missing_fields", value=len(missing))],
        threshold=Threshold(metric="missing_fields", op="==", value=0),
        evidence_kind="datasheet",
        details={
            "datasheet": sheet.model_dump(mode="json", exclude={"columns"}),
            "columns": [c.model_dump(mode="json", exclude_none=True) for c in sheet.columns],
        },
    )
    return check, [missing_field_finding(sheet, name) for name in missing]


def missing_field_finding(sheet: Datasheet, name: str) -> Finding:
    return Finding(
        id=f"datasheet.missing.{name}",
        severity=Severity.MEDIUM,
        category="datasheet",
        check_id="data.datasheet.required_fields",
        message=f"the datasheet does not record '{name}'",
        location={"file": sheet.path or "(no datasheet given)"},
        remediation=f"add '{name}' to the datasheet (who is accountable, where the data came from, why it may be used, how long it is kept)",
    )


def consent_check(sheet: Datasheet) -> Check:
    """When consent is the legal basis, the consent itself must be recorded and obtained."""
    ok = sheet.consent is not None and sheet.consent.obtained
    return Check(
        id="data.datasheet.consent",
        title="Consent is recorded when it is the legal basis",
        category="datasheet",
        outcome=Outcome.PASS if ok else Outcome.FAIL,
        message=f"consent obtained via {sheet.consent.mechanism or 'an unnamed mechanism'}"
        if ok
        else "legal_basis is consent but no obtained consent is recorded",
        evidence_kind="data_review",
    )


def retention_check(sheet: Datasheet) -> Check:
    period = sheet.retention_period
    return Check(
        id="data.datasheet.retention",
        title="A retention period is recorded",
        category="datasheet",
        outcome=Outcome.PASS if period else Outcome.FAIL,
        message=f"{sheet.retention} ({period.days} days)"
        if period
        else "no retention period: raw data cannot be purged on time",
        metrics=[Metric(name="retention_days", value=period.days if period else None)],
        evidence_kind="retention_purge",
    )


def provenance_check(sheet: Datasheet) -> Check:
    provenance_ok = bool(sheet.source and sheet.collection_method)
    return Check(
        id="data.datasheet.provenance",
        title="Source and collection method are recorded",
        category="datasheet",
        outcome=Outcome.PASS if provenance_ok else Outcome.WARN,
        message=f"source: {sheet.source}; collected by: {sheet.collection_method}"
        if provenance_ok
        else "source or collection_method is missing",
        evidence_kind="datasheet",
    )


@task(name="legal-basis", cache_policy=NO_CACHE)
def legal_basis_check(pii: list[Check], sheet: Datasheet, rules: DataReviewRules) -> Check:
    """Direct identifiers may be used for training only on a recorded legal basis (policy rule)."""
    from govgate.checks.pii import DIRECT_IDENTIFIERS

    columns = {
        c.id.removeprefix("data.pii.column."): sorted(set(c.details.get("entities", {})) & DIRECT_IDENTIFIERS)
        + (["declared personal data"] if c.details.get("declared_pii") else [])
        for c in pii
        if c.id.startswith("data.pii.column.") and c.outcome == Outcome.WARN
    }
    columns = {k: v for k, v in columns.items() if v}
    basis = sheet.legal_basis if sheet.legal_basis not in (None, "none") else None
    consent_missing = basis == "consent" and not (sheet.consent and sheet.consent.obtained)
    if not columns:
        outcome, message = Outcome.PASS, "no direct identifiers found"
    elif not rules.direct_identifiers_require_legal_basis:
        outcome, message = (
            Outcome.WARN,
            f"direct identifiers in {sorted(columns)}; the policy tier does not require a legal basis",
        )
    elif basis is None or consent_missing:
        outcome = Outcome.FAIL
        message = f"direct identifiers in {sorted(columns)} but " + (
            "consent is not recorded" if consent_missing else "no legal basis is recorded"
        )
    else:
        outcome, message = Outcome.PASS, f"direct identifiers in {sorted(columns)}, legal basis: {basis}"
    return Check(
        id="data.legal_basis.direct_identifiers",
        title="Direct identifiers have a recorded legal basis",
        category="privacy",
        outcome=outcome,
        message=message,
        evidence_kind="pii_scan",
        metrics=[Metric(name="columns_with_direct_identifiers", value=len(columns))],
        details={"columns": columns, "legal_basis": sheet.legal_basis},
    )


@task(name="consent-checks", cache_policy=NO_CACHE)
def consent_for_personal_data(pii: list[Check], sheet: Datasheet) -> tuple[list[Check], list[Finding]]:
    """Consent recorded as not obtained, against the personal data found or declared."""
    from govgate.checks.consent import consent_checks

    return consent_checks(pii, sheet)


@dataclass
class CopyResult:
    ref: ArtifactRef
    rows_written: int
    changed: dict[str, tuple[int, int]]  # column -> (non-null cells, cells changed)
    left: dict  # column -> ColumnLeft: the re-scan of the written copy
    rules: object  # the CopyRules the copy followed


def _log_copy_progress(part: Partition, plan: PartitionPlan, rows_written: int, started: float) -> None:
    import time

    get_run_logger().info(
        "anonymized copy: partition %d/%d, %d of %d rows (%.0f%%) anonymized and re-scanned in %.0f s",
        part.index + 1,
        len(plan.partitions),
        rows_written,
        plan.rows,
        100 * rows_written / max(plan.rows, 1),
        time.monotonic() - started,
    )


@task(name="anonymized-copy", cache_policy=NO_CACHE)
def anonymized_copy(
    plan: PartitionPlan, dest_key: str, ner_model: str | None, pii_checks: list[Check], sheet: Datasheet
) -> CopyResult:
    """One Parquet file anonymized column by column by the rules of the datasheet and the review's PII
    checks (govgate.checks.pii.copy_rules), written once to
    ``dest_key``; each partition is re-scanned as written and its changed cells counted. Logs progress
    per partition (a copy with NER can take minutes)."""
    import time

    import pyarrow as pa
    import pyarrow.parquet as pq

    from govgate.checks.pii.anonymize import anonymize_partition
    from govgate.checks.pii.copy_rules import copy_rules
    from govgate.checks.pii.rescan import merge_rescans

    rules = copy_rules(plan.column_kinds, pii_checks, sheet, plan.sample, ner_model)
    settings = context.settings()
    store = context.store(settings)
    salt = settings.effective_pseudonym_salt()
    changed: dict[str, tuple[int, int]] = {}
    rescans, rows_written, started = [], 0, time.monotonic()
    with tempfile.TemporaryDirectory(prefix="govgate-anon-") as tmp:
        out = Path(tmp) / "anonymized.parquet"
        writer = None
        try:
            for part in plan.partitions:
                df = parquet_to_frame(store.get_bytes(part.key))
                done = anonymize_partition(df, rules, plan.string_columns, salt=salt, ner_model=ner_model)
                anon = done.frame
                changed = {c: tuple(a + b for a, b in zip(changed.get(c, (0, 0)), n)) for c, n in done.changed.items()}
                rescans.append(done.left)
                table = pa.Table.from_pandas(
                    anon.astype({c: "string" for c in anon.columns if str(anon[c].dtype) in _TEXTLIKE}),
                    preserve_index=False,
                )
                if writer is None:
                    writer = pq.ParquetWriter(out, table.schema)
                writer.write_table(table.cast(writer.schema))
                rows_written += len(anon)
                _log_copy_progress(part, plan, rows_written, started)
        finally:
            if writer is not None:
                writer.close()
        info = store.put(
            dest_key,
            out,
            write_once=True,
            content_type="application/vnd.apache.parquet",
            tags={"govgate-kind": "anonymized-copy"},
        )
    ref = ArtifactRef(
        name="anonymized-copy",
        uri=store.uri(dest_key),
        sha256=info.sha256,
        size=info.size,
        media_type="application/vnd.apache.parquet",
    )
    return CopyResult(ref=ref, rows_written=rows_written, changed=changed, left=merge_rescans(rescans), rules=rules)


@task(name="remove-partitions", cache_policy=NO_CACHE)
def remove_partitions(prefix: str) -> int:
    store = context.store()
    return len(store.delete_many(i.key for i in store.list(prefix)).deleted)


def dataset_version(sheet: Datasheet, info: DatasetInfo | None) -> str:
    if sheet.version:
        return sheet.version
    return f"sha256-{info.sha256[:12]}" if info else "unknown"


def content_id(text: str) -> str:
    return hashlib.sha256(text.encode()).hexdigest()[:12]


def dataset_tier(subject_id: str, policy, explicit: str | None, sheet_tier: str | None) -> str:
    """The dataset's latest intake tier wins over the datasheet's and the default; an explicit tier below
    it is refused (govgate.intake.tier.resolve_tier)."""
    from govgate.intake.tier import latest_intakes, resolve_tier

    intake = latest_intakes(context.store(), subject_id).get(subject_id)
    return resolve_tier(policy, explicit=explicit, tagged=sheet_tier, intake=intake, asset=f"dataset {subject_id}")


def dataset_subject(dataset: str, datasheet: str | None, sheet: Datasheet, info: DatasetInfo | None = None) -> Subject:
    """The dataset under review: named by its datasheet, pinned by the content digests read so far."""
    inputs = [input_digest(datasheet, "datasheet")] if datasheet else []
    if info is None:
        return Subject(
            kind=AssetKind.DATASET,
            id=sheet.name or Path(dataset).stem or dataset,
            version=sheet.version,
            uris=[dataset],
            inputs=inputs,
        )
    return Subject(
        kind=AssetKind.DATASET,
        id=sheet.name or Path(dataset).stem or dataset,
        version=dataset_version(sheet, info),
        uris=[dataset],
        inputs=[InputDigest(uri=dataset, sha256=info.sha256, size=info.size, role="data"), *inputs],
        attributes={"format": info.format, "columns": len(info.columns)},
    )


@contextmanager
def scratch_prefix(record_id: str) -> Iterator[str]:
    """A store prefix for this run's partitions, removed when the run ends (leftovers under tmp/ are
    purged by the retention policy)."""
    prefix = f"tmp/{DATA_REVIEW}/{record_id}/"
    try:
        yield prefix
    finally:
        try:
            remove_partitions(prefix)
        except GovgateError as exc:
            get_run_logger().warning("could not remove temporary partitions under %s: %s", prefix, exc)


def used_ner_model(requested: str | None) -> str | None:
    """The NER model of this review: the one asked for, else the setting's (auto: the first installed)."""
    from govgate.checks.pii.engine import resolve_ner_model

    chosen = resolve_ner_model(requested, context.settings().ner_model)
    if chosen and not requested:
        get_run_logger().info("PERSON/LOCATION detection with the installed NER model %s", chosen)
    return chosen


def declared_pii(sheet: Datasheet) -> dict[str, bool]:
    return {c.name: c.pii for c in sheet.columns if c.pii is not None}


def scan_dataset(
    plan: PartitionPlan, expectations: list[dict], sheet: Datasheet, rules, confidence: float, ner_model: str | None
) -> tuple[list[Check], list[Finding]]:
    """PII, secrets and quality of every partition, scanned in parallel by the flow's task runner (threads
    or Dask workers: so this is called in the flow, not a task itself), then merged. ``ner_model`` None:
    the ``ner_model`` setting (auto: an installed spaCy model)."""
    ner_model = used_ner_model(ner_model)
    futures = [
        scan_partition.submit(
            p, plan.column_kinds, plan.string_columns, expectations, rules.pii_sample_rows, ner_model, plan.text_file
        )
        for p in plan.partitions
    ]
    return merge_scans([f.result() for f in futures], rules, confidence, ner_model, declared_pii(sheet))


def rows_check(plan: PartitionPlan) -> Check:
    return Check(
        id="data.review.rows",
        title="Rows and partitions reviewed",
        category="scale",
        outcome=Outcome.PASS,
        message=f"{plan.rows} rows in {len(plan.partitions)} partition(s)",
    )


def redacted_copy(
    plan: PartitionPlan, run, dataset: str, scan_checks: list[Check], sheet: Datasheet, ner_model: str | None
) -> tuple[list[ArtifactRef], list[Check]]:
    """The anonymized copy (under the store's anonymized/ prefix), ruled column by column from the datasheet
    and the review's PII checks: its reference, the check that records it (rule and share of cells changed
    per column) and the re-scan check. ``run`` is the flow's GateRun (subject, record id)."""
    from govgate.checks.pii.copy_checks import copy_check, rescan_check

    ner_model = used_ner_model(ner_model)
    pii = [c for c in scan_checks if c.id.startswith("data.pii.column.")]
    dest = f"anonymized/{slug(run.subject.id)}/{run.record_id}/{slug(Path(dataset).stem)}.anonymized.parquet"
    done = anonymized_copy(plan, dest, ner_model, pii, sheet)
    checks = [
        copy_check(done.ref.uri, done.ref.sha256, plan.rows, done.rows_written, done.rules, done.changed),
        rescan_check(done.left, done.rules),
    ]
    return [done.ref], checks


def datasheet_files(record: GateResult) -> dict[str, bytes]:
    """The generated datasheet published beside the record."""
    from govgate.render import render_datasheet

    return {"datasheet.md": render_datasheet(record).encode()}
