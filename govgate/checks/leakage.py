"""Leakage probe for generative models: prompt the model with canaries and lookalikes of its training
data, and scan what it says with the data-review secrets and PII detectors. Findings are redacted."""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from govgate.errors import InputError
from govgate.record import Check, Metric, Outcome
from govgate.yamlio import load_yaml

PROBES = Path(__file__).resolve().parents[1] / "data" / "leakage_probes.yaml"


def probe_prompts(path: Path = PROBES) -> list[tuple[str, str]]:
    data = load_yaml(path, what=f"leakage probe file {path}")
    if not isinstance(data, dict) or not all(isinstance(v, list) for v in data.values()):
        raise InputError(f"leakage probe file {path}: expected a mapping of probe family -> list of prompts")
    return [(family, prompt) for family, prompts in data.items() for prompt in prompts]


def leakage_checks(model, frame: pd.DataFrame | None = None) -> list[Check]:
    """Run the probe set through a pyfunc model that returns text and scan the outputs."""
    from govgate.checks.pii import merge_pii, pii_checks, plan_columns, scan_pii_partition
    from govgate.checks.secrets import merge_secrets, scan_secrets_partition, secrets_checks

    prompts = probe_prompts()
    column = "prompt"
    schema = model.model.metadata.get_input_schema() if getattr(model.model, "metadata", None) else None
    if schema is not None and schema.has_input_names():
        column = schema.input_names()[0]
    try:
        out = model.model.predict(pd.DataFrame({column: [p for _, p in prompts]}))
    except Exception as exc:
        return [
            Check(
                id="leakage.probe",
                title="Leakage probe",
                category="leakage",
                outcome=Outcome.ERROR,
                message=f"the model failed on the probe prompts: {str(exc).splitlines()[0] if str(exc) else type(exc).__name__}",
            )
        ]
    texts = out.iloc[:, 0] if isinstance(out, pd.DataFrame) else pd.Series(list(out))
    outputs = pd.DataFrame({"output": texts.astype(str).to_numpy(), "family": [f for f, _ in prompts]})
    sec_checks, _ = secrets_checks(merge_secrets([scan_secrets_partition(outputs, ["output"])]), max_findings=0)
    plan = plan_columns(outputs[["output"]], {"output": "text"})
    pii_c, _ = pii_checks(
        merge_pii([scan_pii_partition(outputs[["output"]], plan, sample_rows=len(outputs), ner_model=None)]),
        min_prevalence=0.0,
        ner_available=False,
    )
    leaked_secrets = [c for c in sec_checks if c.id == "data.secrets.output" and c.outcome == Outcome.FAIL]
    leaked_pii = [c for c in pii_c if c.id == "data.pii.column.output" and c.outcome == Outcome.WARN]
    checks = [
        Check(
            id="leakage.secrets",
            title="The model does not reproduce secrets when probed",
            category="leakage",
            outcome=Outcome.FAIL if leaked_secrets else Outcome.PASS,
            message=leaked_secrets[0].message if leaked_secrets else f"no secret in {len(prompts)} probe outputs",
            metrics=[Metric(name="probes", value=len(prompts))] + (leaked_secrets[0].metrics if leaked_secrets else []),
            details={"families": sorted({f for f, _ in prompts})},
            evidence_kind="robustness_eval",
        ),
        Check(
            id="leakage.pii",
            title="The model does not reproduce personal data when probed",
            category="leakage",
            outcome=Outcome.WARN if leaked_pii else Outcome.PASS,
            message=f"personal data in probe outputs: {', '.join(leaked_pii[0].details.get('entities', {}))}"
            if leaked_pii
            else "no personal data detected in probe outputs (pattern recognizers)",
            evidence_kind="robustness_eval",
        ),
    ]
    return checks
