"""data-review: may this dataset be used for training?

PII (Presidio, with Vietnamese recognizers), secrets (detect-secrets + entropy), quality (Great
Expectations suites from expectations/), sensitive attributes, and the datasheet's consent, provenance
and retention, decided by the policy tier and published as one evidence record with a generated datasheet.
"""

from __future__ import annotations

from pathlib import Path

from prefect import flow, get_run_logger

from govgate.datasheet import Datasheet, load_datasheet
from govgate.errors import GovgateError
from govgate.gate import build_record, error_record, input_digest, unloaded_policy_ref
from govgate.policy import Policy, load_policy
from govgate.record import (
    AssetKind,
    Check,
    InputDigest,
    Outcome,
    Subject,
    decide,
    new_record_id,
    slug,
    utcnow,
)
from govgate.render import render_datasheet
from tasks import context
from tasks.data_review import (
    anonymized_copy,
    build_expectations,
    dataset_version,
    datasheet_checks,
    inspect,
    legal_basis_check,
    merge_scans,
    partition_dataset,
    remove_partitions,
    scan_partition,
    sensitive_attributes,
)
from tasks.evidence import publish_evidence

GATE = "data-review"


@flow(name="data-review", log_prints=True)
def data_review(
    dataset: str,
    datasheet: str | None = None,
    tier: str | None = None,
    redact: bool = False,
    suites: list[str] | None = None,
    ner_model: str | None = None,
    chunk_rows: int = 100_000,
    max_line_bytes: int = 64 * 1024 * 1024,
) -> dict:
    """Review a dataset before it is used for training, and record the review.

    Args:
        dataset: local path or s3://bucket/key of a CSV, Parquet, JSONL or text file.
        datasheet: path of the datasheet YAML (owner, source, purpose, legal basis, retention, columns ...).
        tier: policy risk tier (default: the datasheet's tier, else the policy's default).
        redact: also write an anonymized copy (stable salted pseudonyms) to the store's anonymized/ prefix.
        suites: extra Great Expectations suites from expectations/ (by name) besides the datasheet's.
        ner_model: spaCy model name or path for PERSON/LOCATION detection (default: none, reported inconclusive).
        chunk_rows: rows per partition; partitions are scanned in parallel by the task runner.
        max_line_bytes: longest line accepted in CSV/JSONL/text input.
    """
    logger = get_run_logger()
    started = utcnow()
    record_id = new_record_id(started)
    settings = context.settings()
    params = {
        "dataset": dataset,
        "datasheet": datasheet,
        "tier": tier,
        "redact": redact,
        "suites": suites or [],
        "ner_model": ner_model,
        "chunk_rows": chunk_rows,
    }
    subject = Subject(kind=AssetKind.DATASET, id=Path(dataset).stem or dataset, uris=[dataset])
    policy: Policy | None = None
    sheet = Datasheet()
    checks: list[Check] = []
    partition_prefix = f"tmp/data-review/{record_id}/"
    try:
        policy = load_policy(settings.policy)
        sheet = load_datasheet(datasheet)
        tier = tier or sheet.tier or policy.default_tier
        rules = policy.tier(tier).data_review
        subject = Subject(
            kind=AssetKind.DATASET,
            id=sheet.name or subject.id,
            version=sheet.version,
            uris=[dataset],
            inputs=[input_digest(datasheet, "datasheet")] if datasheet else [],
        )
        info = inspect(dataset, sheet, max_line_bytes)
        subject = subject.model_copy(
            update={
                "version": dataset_version(sheet, info),
                "inputs": [InputDigest(uri=dataset, sha256=info.sha256, size=info.size, role="data"), *subject.inputs],
                "attributes": {"format": info.format, "columns": len(info.columns)},
            }
        )
        plan = partition_dataset(info, sheet, chunk_rows, partition_prefix)
        subject.attributes["rows"] = plan.rows
        expectations = build_expectations(sheet, plan.columns, suites or [])
        confidence = policy.tier(tier).model_review.confidence_level
        futures = [
            scan_partition.submit(
                p, plan.column_kinds, plan.string_columns, expectations, rules.pii_sample_rows, ner_model
            )
            for p in plan.partitions
        ]
        scans = [f.result() for f in futures]
        declared_pii = {c.name: c.pii for c in sheet.columns if c.pii is not None}
        scan_checks, findings = merge_scans(scans, rules, confidence, ner_model, declared_pii)
        sheet_checks, sheet_findings = datasheet_checks(sheet, rules)
        sens_checks, sens_findings = sensitive_attributes(plan.columns, plan.sample, sheet, rules)
        checks = [*sheet_checks, *scan_checks, *sens_checks]
        checks.append(legal_basis_check([c for c in scan_checks if c.id.startswith("data.pii.")], sheet, rules))
        findings = [*sheet_findings, *findings, *sens_findings]
        checks.append(
            Check(
                id="data.review.rows",
                title="Rows and partitions reviewed",
                category="scale",
                outcome=Outcome.PASS,
                message=f"{plan.rows} rows in {len(plan.partitions)} partition(s)",
            )
        )
        decision = decide(checks, inconclusive_blocks=policy.tier(tier).inconclusive_blocks)
        record = build_record(
            gate=GATE,
            subject=subject,
            policy=policy,
            tier=tier,
            started_at=started,
            checks=checks,
            findings=findings,
            decision=decision,
            parameters=params,
            runtime=context.run_ids(),
            record_id=record_id,
        )
        if redact:
            dest = f"anonymized/{slug(subject.id)}/{record_id}/{slug(Path(dataset).stem)}.anonymized.parquet"
            pii_columns = [
                c.id.removeprefix("data.pii.column.")
                for c in scan_checks
                if c.id.startswith("data.pii.column.") and c.outcome == Outcome.WARN
            ]
            ref = anonymized_copy(plan, dest, ner_model, pii_columns, [c for c, pii in declared_pii.items() if pii])
            record.artifacts.append(ref)
            record.checks.append(
                Check(
                    id="data.anonymized_copy",
                    title="Anonymized copy written",
                    category="privacy",
                    outcome=Outcome.PASS,
                    message=f"{ref.uri} sha256 {ref.sha256[:12]}",
                    details={"uri": ref.uri, "sha256": ref.sha256},
                    evidence_kind="pii_scan",
                )
            )
        result = publish_evidence(record, extra_files={"datasheet.md": render_datasheet(record).encode()})
    except GovgateError as exc:
        logger.error("data review could not finish: %s", exc)
        failed = error_record(
            gate=GATE,
            subject=subject,
            policy=policy or unloaded_policy_ref(settings.policy, tier),
            tier=tier,
            started_at=started,
            error=exc,
            checks=checks,
            parameters=params,
            runtime=context.run_ids(),
            record_id=record_id,
        )
        try:
            publish_evidence(failed)
        except GovgateError as publish_exc:
            logger.error("the error record could not be published either: %s", publish_exc)
        raise
    finally:
        try:
            remove_partitions(partition_prefix)
        except GovgateError as exc:  # leftovers under tmp/ are purged by the retention policy
            logger.warning("could not remove temporary partitions under %s: %s", partition_prefix, exc)
    if redact:
        result["anonymized_copy"] = record.artifacts[0].uri if record.artifacts else None
    print(f"data review of {dataset}: {result['decision']} ({result['report_uri']})")
    return result
