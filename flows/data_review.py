"""data-review: may this dataset be used for training?

PII (Presidio, with Vietnamese recognizers), secrets (detect-secrets + entropy), quality (Great
Expectations suites from expectations/), sensitive attributes, and the datasheet's consent, provenance
and retention, decided by the policy tier and published as one evidence record with a generated datasheet.
"""

from __future__ import annotations

from prefect import flow

from govgate.datasets import DEFAULT_MAX_LINE_BYTES
from govgate.datasheet import Datasheet, load_datasheet
from govgate.protocol import DATA_REVIEW, RERUN_OF_PARAMETER
from tasks.data_review import (
    build_expectations,
    consent_for_personal_data,
    dataset_subject,
    dataset_tier,
    datasheet_checks,
    datasheet_files,
    input_file_checks,
    inspect,
    legal_basis_check,
    partition_dataset,
    redacted_copy,
    rows_check,
    scan_dataset,
    scratch_prefix,
    sensitive_attributes,
)
from tasks.gate_run import GateRun

GATE = DATA_REVIEW


@flow(name="data-review", log_prints=True)
def data_review(
    dataset: str,
    datasheet: str | None = None,
    tier: str | None = None,
    redact: bool = False,
    suites: list[str] | None = None,
    ner_model: str | None = None,
    chunk_rows: int = 100_000,
    max_line_bytes: int = DEFAULT_MAX_LINE_BYTES,
    rerun_of: str | None = None,
) -> dict:
    """Review a dataset before it is used for training, and record the review.

    Args:
        dataset: local path or s3://bucket/key of a CSV, Parquet, JSONL or text file.
        datasheet: path of the datasheet YAML (owner, source, purpose, legal basis, retention, columns ...).
        tier: policy risk tier (default: the datasheet's tier, else the policy's default).
        redact: also write an anonymized copy (per-column rules from the datasheet's ``anonymization``) to the
            store's anonymized/ prefix, re-scanned as written.
        suites: extra Great Expectations suites from expectations/ (by name) besides the datasheet's.
        ner_model: spaCy model name or path for PERSON/LOCATION detection (default: none, reported inconclusive).
        chunk_rows: rows per partition; partitions are scanned in parallel by the task runner.
        max_line_bytes: longest line accepted in CSV/JSONL/text input.
        rerun_of: the record id this run re-runs (set by the reproducibility check; recorded as a parameter).
    """
    params = {
        "dataset": dataset,
        "datasheet": datasheet,
        "tier": tier,
        "redact": redact,
        "suites": suites or [],
        "ner_model": ner_model,
        "chunk_rows": chunk_rows,
        **({RERUN_OF_PARAMETER: rerun_of} if rerun_of else {}),
    }
    with (
        GateRun(GATE, dataset_subject(dataset, None, Datasheet()), params, tier=tier) as run,
        scratch_prefix(run.record_id) as scratch,
    ):
        policy = run.load_policy()
        sheet = load_datasheet(datasheet)
        run.subject = dataset_subject(dataset, datasheet, sheet)
        rules = policy.tier(run.use_tier(dataset_tier(run.subject.id, policy, tier, sheet.tier))).data_review
        info = inspect(dataset, sheet, max_line_bytes)
        run.subject = dataset_subject(dataset, datasheet, sheet, info)
        plan = partition_dataset(info, sheet, chunk_rows, scratch)
        run.subject.attributes["rows"] = plan.rows
        expectations = build_expectations(sheet, plan.columns, suites or [])
        confidence = policy.tier(run.tier).model_review.confidence_level
        scan_checks, scan_findings = scan_dataset(plan, expectations, sheet, rules, confidence, ner_model)
        sheet_checks, sheet_findings = datasheet_checks(sheet, rules)
        sens_checks, sens_findings = sensitive_attributes(plan.columns, plan.sample, sheet, rules)
        pii = [c for c in scan_checks if c.id.startswith("data.pii.")]
        legal = legal_basis_check(pii, sheet, rules)
        consent, consent_findings = consent_for_personal_data(pii, sheet)
        checks = [
            *input_file_checks(info),
            *sheet_checks,
            *scan_checks,
            *sens_checks,
            legal,
            *consent,
            rows_check(plan),
        ]
        copies, copy_checks = redacted_copy(plan, run, dataset, scan_checks, sheet, ner_model) if redact else ([], [])
        decision = run.decide([*checks, *copy_checks])  # PII left in a requested copy fails the review
        findings = [*sheet_findings, *scan_findings, *sens_findings, *consent_findings]
        result = run.finish(
            [*checks, *copy_checks], findings=findings, decision=decision, artifacts=copies, extra_files=datasheet_files
        )
    if redact:
        result["anonymized_copy"] = copies[0].uri
    print(f"data review of {dataset}: {result['decision']} ({result['report_uri']})")
    return run.final_state(result)  # named after the decision; Failed when the policy says so
