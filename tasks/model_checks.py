"""The model review's check families as Prefect tasks, one task run each in the Prefect UI: performance,
fairness (and against the baseline), robustness, explainability, leakage, the model card, and the
reference distributions kept as a named output. Thin wrappers: the computation is in ``govgate.checks``.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
from prefect import task
from prefect.cache_policies import NO_CACHE

from govgate.errors import InputError
from govgate.modeling import LoadedModel
from govgate.record import Check, Outcome
from govgate.yamlio import load_yaml
from tasks.model_review import EvalData, Scored, baseline_fairness, typed_label

CARD_FIELDS = (
    "intended_use",
    "out_of_scope_use",
    "limitations",
    "training_data",
    "evaluation_data",
    "ethical_considerations",
    "owners",
    "description",
)


@task(name="performance", cache_policy=NO_CACHE)
def performance(scored: Scored, ev: EvalData, rules) -> list[Check]:
    """Overall metrics with intervals, and by group (regression: errors overall and by group)."""
    from govgate.checks.performance import classification_checks, group_performance_checks, regression_checks

    if scored.kind == "regression":
        return regression_checks(scored.y, scored.decisions, ev.sensitive, min_group_size=rules.min_group_size)
    y, d = scored.y, scored.decisions
    overall = classification_checks(
        y,
        d,
        scored.scores,
        rules=rules,
        n_boot=rules.bootstrap_resamples,
        confidence=rules.confidence_level,
        nan_scores=scored.nan_scores,
    )
    by_group = group_performance_checks(
        y,
        d,
        ev.sensitive,
        min_group_size=rules.min_group_size,
        n_boot=min(rules.bootstrap_resamples, 300),
        confidence=rules.confidence_level,
    )
    return overall + by_group


@task(name="fairness", cache_policy=NO_CACHE)
def fairness(scored: Scored, ev: EvalData, rules):
    """Group metrics and disparities with bootstrap intervals: the checks, and the report itself (a named
    output of the gate, read back as the baseline of later versions)."""
    from govgate.checks.fairness import fairness_checks, fairness_report

    report = fairness_report(
        scored.y,
        scored.decisions,
        ev.sensitive,
        min_group_size=rules.min_group_size,
        n_boot=rules.bootstrap_resamples,
        confidence=rules.confidence_level,
    )
    checks, _ = fairness_checks(report, rules)
    return checks, report


@task(name="fairness-vs-baseline", cache_policy=NO_CACHE)
def fairness_vs_baseline(report, model: LoadedModel | None, rules) -> list[Check]:
    """No worse than the last approved version of the same model (skipped when there is none)."""
    from govgate.checks.fairness import baseline_checks

    base_name, base = baseline_fairness(model)
    if base is not None:
        return baseline_checks(report, base, rules.baseline_tolerance)
    return [
        Check(
            id="fairness.vs_baseline",
            title="No worse than the last approved version",
            category="fairness",
            outcome=Outcome.SKIPPED,
            evidence_kind="fairness_eval",
            message=f"no fairness report found for {base_name}"
            if base_name
            else "no earlier approved version of this model",
        )
    ]


def _decider(scored: Scored):
    """Model output -> 0/1 decisions, the way the review turned the predictions into decisions."""
    from govgate.checks.stats import decisions_and_scores

    def decide(p):
        out = pd.Series(np.asarray(p).ravel())
        return decisions_and_scores(out, typed_label(scored.pos_label, out), scored.threshold)[0]

    return decide


def _predict_fn(model: LoadedModel):
    def predict_fn(frame):
        out = model.model.predict(frame)
        return (
            out["prediction"].to_numpy() if isinstance(out, pd.DataFrame) and "prediction" in out else np.asarray(out)
        )

    return predict_fn


@task(name="robustness", cache_policy=NO_CACHE)
def robustness(model: LoadedModel | None, X: pd.DataFrame, scored: Scored, ev: EvalData, rules) -> list[Check]:
    """Prediction stability under small perturbations, by group (skipped without a model to perturb)."""
    from govgate.checks.robustness import perturbation_stability, robustness_checks

    if model is None:
        return [
            Check(
                id="robustness.perturbation",
                title="Prediction stability",
                category="robustness",
                outcome=Outcome.SKIPPED,
                message="precomputed predictions: no model to perturb",
                evidence_kind="robustness_eval",
            )
        ]
    sens = ev.sensitive.set_index(X.index)
    report = perturbation_stability(
        _predict_fn(model), X, sensitive=sens, decide=_decider(scored), min_group_size=rules.min_group_size
    )
    checks, _ = robustness_checks(report, rules)
    return checks


@task(name="explainability", cache_policy=NO_CACHE)
def explainability(model: LoadedModel | None, X: pd.DataFrame, scored: Scored, ev: EvalData, rules) -> list[Check]:
    """Permutation importance, and whether a sensitive feature is among the most important (needs a model)."""
    from govgate.checks.robustness import explainability_checks, permutation_importance_report

    if model is None:
        return []
    imp = permutation_importance_report(_predict_fn(model), X, scored.y, decide=_decider(scored))
    checks, _ = explainability_checks(
        imp,
        sensitive=[c for c in ev.sensitive_columns if c in X.columns] or ev.sensitive_columns,
        X=X.assign(**{c: ev.frame[c] for c in ev.sensitive_columns if c not in X.columns}),
        top_k=rules.sensitive_importance_top_k,
    )
    return checks


@task(name="reference-distributions", cache_policy=NO_CACHE)
def reference_distributions(X: pd.DataFrame, values: np.ndarray, group_metrics: dict) -> dict:
    """Binned summaries of the features and the predictions (no raw rows): the baseline of reassessment,
    a named output of the gate."""
    from govgate.checks.performance import reference_distributions as summarize

    ref = summarize(X, values)
    ref["group_metrics"] = group_metrics
    return ref


@task(name="model-card", cache_policy=NO_CACHE)
def card_documentation(card: str | None, model: LoadedModel | None) -> Check:
    """Intended use, out-of-scope use and limitations: from a card YAML, else from registry tags."""
    fields = card_fields(card) if card else registry_card_fields(model) if model is not None else {}
    missing = [k for k in ("intended_use", "out_of_scope_use", "limitations") if not fields.get(k)]
    return Check(
        id="model_card.documentation",
        title="Intended use, out-of-scope use and limitations are documented",
        category="documentation",
        outcome=Outcome.WARN if missing else Outcome.PASS,
        message=f"missing: {', '.join(missing)}" if missing else "documented",
        details={"card": fields},
        evidence_kind="model_card",
    )


def card_fields(card: str) -> dict[str, str]:
    data = load_yaml(Path(card), what=f"model card file {card}") or {}
    if not isinstance(data, dict):
        raise InputError(f"model card file {card}: expected a mapping of {', '.join(CARD_FIELDS)}")
    unknown = sorted(set(data) - set(CARD_FIELDS))
    if unknown:
        raise InputError(f"model card file {card}: unknown key(s) {unknown}; expected {', '.join(CARD_FIELDS)}")
    return {k: str(v) for k, v in data.items()}


def registry_card_fields(model: LoadedModel) -> dict[str, str]:
    reg = model.registry
    fields = {k: reg.get(k) or reg.get(f"model.{k}") for k in CARD_FIELDS}
    fields["description"] = fields.get("description") or reg.get("model.description")
    return {k: v for k, v in fields.items() if v}
