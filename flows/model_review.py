"""model-review: may this model version ship at its risk tier?

Performance (with intervals), fairness by group with bootstrap intervals (Fairlearn-exact figures from
count tables), robustness, explainability, a leakage probe for generative models, reference
distributions for reassessment, and a model card, decided by policy and tagged on the model version.
"""

from __future__ import annotations

from prefect import flow

from govgate.checks.leakage import leakage_findings
from govgate.protocol import MODEL_REVIEW
from govgate.record import DRIFT_PROFILE, FAIRNESS_REPORT, REFERENCE_DISTRIBUTIONS
from tasks.gate_run import GateRun
from tasks.leakage_probe import leakage
from tasks.model_checks import (
    card_documentation,
    drift_profile,
    explainability,
    fairness,
    fairness_vs_baseline,
    performance,
    reference_distributions,
    robustness,
)
from tasks.model_review import (
    ReviewRequest,
    check_inputs,
    features_and_predictions,
    find,
    load,
    load_eval_data,
    model_card_files,
    model_tier,
    review_inputs,
    review_subject,
    score_predictions,
    version_of,
)

GATE = MODEL_REVIEW


@flow(name="model-review", log_prints=True)
def model_review(
    model_uri: str | None = None,
    data: str = "",
    label: str = "",
    sensitive: list[str] | None = None,
    prediction_column: str | None = None,
    score_column: str | None = None,
    features: list[str] | None = None,
    pos_label: str = "1",
    threshold: float = 0.5,
    task_type: str = "classification",
    tier: str | None = None,
    card: str | None = None,
    compare_baseline: bool = True,
    model_name: str | None = None,
    model_version: str | None = None,
    probes: str | None = None,
) -> dict:
    """Review a model version for performance, fairness, robustness and leakage, and record it.

    Args:
        model_uri: models:/NAME/VERSION, models:/NAME@ALIAS or runs:/RUN/PATH (omit when the data already holds predictions).
        data: evaluation data, local path or s3:// (CSV, Parquet, JSONL); none for task generation.
        label: the label column (none for task generation).
        sensitive: sensitive features: a column (sex), a split (age>=25), several for intersections.
        prediction_column: a column of precomputed predictions (instead of running a model).
        score_column: a column of precomputed scores (probability of the positive label).
        features: columns fed to the model (default: the model signature, else all other columns).
        pos_label: the favourable / positive label value.
        threshold: score threshold that turns scores into decisions.
        task_type: classification, regression or generation (a generative model: the leakage probe only).
        tier: policy risk tier (default: the version's govgate.tier tag, else the policy's default).
        card: YAML with intended_use, out_of_scope_use, limitations, ... (default: the registry's tags).
        compare_baseline: also compare fairness with the last approved version of the same model.
        model_name: registered model name (when fired by a registration event instead of model_uri).
        model_version: registered model version (with model_name).
        probes: your own leakage probes (YAML or JSONL: id, prompt, optional expect markers), run with the built-in ones.
    """
    req = ReviewRequest(**locals())  # the parameters above, normalised
    with GateRun(
        GATE, review_subject(req), req.parameters(), tier=tier, model_version=version_of(req.model_uri)
    ) as run:
        policy = run.load_policy()
        req.check()
        ref = find(req.model_uri) if req.model_uri else None  # registry tags and signature: nothing loaded yet
        req = review_inputs(ref, req)
        run.parameters.update(req.parameters())
        run.model_version = version_of(req.model_uri, ref)
        rules = policy.tier(run.use_tier(tier or model_tier(ref, policy) or policy.default_tier)).model_review
        ev = (
            None
            if req.generative
            else load_eval_data(req.data, req.label, req.sensitive, req.prediction_columns, req.from_tags)
        )
        prompts = check_inputs(ref, ev, req)  # every input checked before the model loads
        model = load(ref, req.pos_label) if ref else None
        run.subject = review_subject(req, model, ev)
        checks, outputs = (
            (leakage(model, prompts, True), {}) if ev is None else tabular_checks(model, ev, req, rules, prompts)
        )
        run.subject = review_subject(req, model, ev)  # now with how the model's output was read
        run.checks = checks  # what ran, should the model card fail to read
        checks.append(card_documentation(card, model))
        result = run.finish(checks, outputs=outputs, findings=leakage_findings(checks), extra_files=model_card_files)
    print(f"model review of {req.model_uri or req.data}: {result['decision']} ({result['report_uri']})")
    return run.final_state(result)  # named after the decision; Failed when the policy says so


def tabular_checks(model, ev, req, rules, prompts) -> tuple[list, dict]:
    """The checks of a model reviewed on evaluation data, by the kind of its output, and the named outputs."""
    X, out = features_and_predictions(model, ev.frame, req)
    scored = score_predictions(model, ev.frame, out, req)
    if scored.kind == "text":  # a generative model reviewed as a classifier: only the probe applies
        return leakage(model, prompts, True), {}
    checks, outputs = performance(scored, ev, rules), {}
    if scored.kind == "classification":
        fairness_checks, report = fairness(scored, ev, rules)
        outputs[FAIRNESS_REPORT] = report.to_dict()
        checks += fairness_checks + (fairness_vs_baseline(report, model, rules, checks) if req.compare_baseline else [])
        checks += robustness(model, X, scored, ev, rules) + explainability(model, X, scored, ev, rules)
        checks += leakage(model, prompts, False)
    groups = outputs.get(FAIRNESS_REPORT, {})
    outputs[REFERENCE_DISTRIBUTIONS] = reference_distributions(X, scored.reference_values, groups)
    outputs[DRIFT_PROFILE] = drift_profile(X, scored.reference_values, ev.sensitive)
    return checks, outputs
