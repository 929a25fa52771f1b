"""The model review's check families as Prefect tasks, one task run each in the Prefect UI: performance,
fairness (and against the baseline), robustness, explainability, leakage, the model card, and the
reference distributions kept as a named output. Thin wrappers: the computation is in ``govgate.checks``.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
from prefect.cache_policies import NO_CACHE

from govgate.errors import InputError
from govgate.modeling import LoadedModel
from govgate.record import Check, Outcome
from govgate.yamlio import load_yaml
from tasks import context
from tasks.govgate_task import govgate_task as task
from tasks.model_review import EvalData, Scored, baseline_report, typed_label

CARD_FIELDS = (
    "intended_use",
    "out_of_scope_use",
    "limitations",
    "training_data",
    "evaluation_data",
    "ethical_considerations",
    "owners",
    "description",
    # the Model Card Toolkit's sections that the record cannot fill on its own
    "algorithm",
    "factors",
    "caveats",
    "recommendations",
    "license",
    "references",
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


def approved_baseline(model: LoadedModel | None):
    """The last approved (pass) earlier version of this model: (which version and record, the record),
    (ref, None) when its record cannot be read, (None, None) when there is none."""
    from govgate import protocol
    from govgate.checks.baseline import BaselineRef
    from govgate.publish import load_record
    from govgate.store import open_store

    if model is None or not model.name:
        return None, None
    settings = context.settings()
    versions = context.tracker(settings).client.search_model_versions(f"name = '{model.name}'")
    approved = sorted(
        (
            v
            for v in versions
            if protocol.read_gate_tag(v.tags, protocol.MODEL_REVIEW, protocol.DECISION) == "pass"
            and int(v.version) < int(model.version or 0)
        ),
        key=lambda v: int(v.version),
    )
    if not approved:
        return None, None
    base = approved[-1]
    uri = protocol.read_gate_tag(base.tags, protocol.MODEL_REVIEW, protocol.RECORD_URI) or None
    store = open_store(settings)
    key = uri.split(store.url.rstrip("/") + "/", 1)[-1] if uri and uri.startswith(store.url) else None
    record = load_record(store, key) if key else None
    ref = BaselineRef(model.name, str(base.version), record.record_id if record else None, uri)
    return ref, record


@task(name="fairness-vs-baseline", cache_policy=NO_CACHE)
def fairness_vs_baseline(report, model: LoadedModel | None, rules, current: list[Check] | None = None) -> list[Check]:
    """Fairness and performance no worse than the last approved version of the same model (skipped when
    there is none); every check names the version and record it compared with. ``current``: this
    review's checks so far (the performance figures compared)."""
    from govgate.checks.fairness import baseline_checks
    from govgate.checks.performance import performance_baseline_checks

    ref, record = approved_baseline(model)
    if record is not None:
        fairness = baseline_checks(report, baseline_report(record) or {}, rules.baseline_tolerance, ref=ref)
        performance = performance_baseline_checks(current or [], record.checks, rules.baseline_tolerance, ref=ref)
        return performance + fairness
    unread = ref is not None
    return [
        Check(
            id="fairness.vs_baseline",
            title="No worse than the last approved version",
            category="fairness",
            outcome=Outcome.INCONCLUSIVE if unread else Outcome.SKIPPED,
            evidence_kind="fairness_eval",
            message=f"the record of the approved {ref.label} could not be read ({ref.record_uri or 'no record tag'})"
            if unread
            else "no earlier approved version of this model",
            details={"baseline": ref.to_dict() if ref else None},
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
    from govgate.checks.explainability import proxy_inputs
    from govgate.checks.robustness import explainability_checks, permutation_importance_report

    if model is None:
        return []
    imp = permutation_importance_report(_predict_fn(model), X, scored.y, decide=_decider(scored))
    # every sensitive feature, used by the model or not, raw or derived (age>=25), is looked for proxies of
    with_sensitive, names = proxy_inputs(X, ev.frame.set_index(X.index), ev.sensitive, ev.sensitive_columns)
    checks, _ = explainability_checks(imp, sensitive=names, X=with_sensitive, top_k=rules.sensitive_importance_top_k)
    return checks


@task(name="reference-distributions", cache_policy=NO_CACHE)
def reference_distributions(X: pd.DataFrame, values: np.ndarray, group_metrics: dict) -> dict:
    """Binned summaries of the features and the predictions (no raw rows): the baseline of reassessment,
    a named output of the gate. Identifier, name and free-text columns are withheld: their top categories
    would be personal data (the drift profile's rule)."""
    from govgate.checks.drift.profile import withheld_columns
    from govgate.checks.performance import reference_distributions as summarize

    withheld = withheld_columns(X, list(X.columns))
    ref = summarize(X.drop(columns=list(withheld)), values)
    ref["group_metrics"] = group_metrics
    ref["withheld"] = withheld
    return ref


@task(name="drift-profile", cache_policy=NO_CACHE)
def drift_profile(X: pd.DataFrame, values: np.ndarray, sensitive: pd.DataFrame) -> dict:
    """The fine drift reference (fixed edges and counts, overall and per sensitive group) of the features
    and the predictions, no raw rows; identifier, name, free-text and high-cardinality columns withheld.
    A named output of the gate: the baseline of reassessment."""
    from govgate.checks.drift.constants import PREDICTION
    from govgate.checks.drift.profile import recorded_profile

    frame = X.reset_index(drop=True).copy()
    frame[PREDICTION] = np.asarray(values)
    columns = [c for c in X.columns if c != PREDICTION] + [PREDICTION]
    groups = [str(c) for c in sensitive.columns]
    for name in groups:  # the group labels, as the fairness checks see them
        frame[name] = sensitive[name].reset_index(drop=True).astype("string")
    return recorded_profile(frame, columns=[c for c in columns if c not in groups], groups=groups)


@task(name="model-card", cache_policy=NO_CACHE)
def card_documentation(card: str | None, model: LoadedModel | None) -> Check:
    """Intended use, out-of-scope use and limitations: from a card YAML, else from registry tags; with the
    model's details (flavor, algorithm, features, training run) for the model card."""
    fields = card_fields(card) if card else registry_card_fields(model) if model is not None else {}
    missing = [k for k in ("intended_use", "out_of_scope_use", "limitations") if not fields.get(k)]
    return Check(
        id="model_card.documentation",
        title="Intended use, out-of-scope use and limitations are documented",
        category="documentation",
        outcome=Outcome.WARN if missing else Outcome.PASS,
        message=f"missing: {', '.join(missing)}" if missing else "documented",
        details={"card": fields, "model": model_details(model) if model is not None else {}},
        evidence_kind="model_card",
    )


def as_text(value) -> str:
    """A card value as people read it: a list as "a, b", a mapping as "k: v; k: v", never Python syntax."""
    if isinstance(value, (list, tuple, set)):
        return ", ".join(as_text(v) for v in value)
    if isinstance(value, dict):
        return "; ".join(f"{k}: {as_text(v)}" for k, v in value.items())
    return "" if value is None else str(value).strip()


def card_fields(card: str) -> dict[str, str]:
    data = load_yaml(Path(card), what=f"model card file {card}") or {}
    if not isinstance(data, dict):
        raise InputError(f"model card file {card}: expected a mapping of {', '.join(CARD_FIELDS)}")
    unknown = sorted(set(data) - set(CARD_FIELDS))
    if unknown:
        raise InputError(f"model card file {card}: unknown key(s) {unknown}; expected {', '.join(CARD_FIELDS)}")
    return {k: as_text(v) for k, v in data.items() if as_text(v)}


def registry_card_fields(model: LoadedModel) -> dict[str, str]:
    reg = model.registry
    fields = {k: reg.get(k) or reg.get(f"model.{k}") for k in CARD_FIELDS}
    fields["description"] = fields.get("description") or reg.get("model.description")
    return {k: v for k, v in fields.items() if v}


def model_details(model: LoadedModel) -> dict:
    """What the model card's details section needs from the loaded model: flavor, algorithm (the raw
    model's classes, e.g. a pipeline's steps), input features and types, and the training run with a link
    when MLflow is served over HTTP. A detail that cannot be read is left out, never guessed."""
    meta = getattr(model.model, "metadata", None)
    flavors = sorted(k for k in (getattr(meta, "flavors", None) or {}) if k != "python_function")
    schema = meta.get_input_schema() if meta is not None else None
    features = []
    if schema is not None and schema.has_input_names():
        features = [{"name": c.name, "type": str(getattr(c, "type", ""))} for c in schema.inputs]
    out = {"flavor": ", ".join(flavors), "algorithm": _algorithm(model), "features": features, "run_id": model.run_id}
    if model.run_id:
        try:
            tracker = context.tracker()
            out["experiment_id"] = tracker.client.get_run(model.run_id).info.experiment_id
            out["run_url"] = tracker.run_url(out["experiment_id"], model.run_id)
        except Exception:  # noqa: BLE001 - a missing link must not fail the review; the run id stays
            pass
    return {k: v for k, v in out.items() if v}


def _algorithm(model: LoadedModel) -> str:
    """The raw model's class (a pipeline: its steps' classes), e.g. ``Pipeline(StandardScaler, LogisticRegression)``."""
    try:
        raw = model.model.get_raw_model()
    except Exception:  # noqa: BLE001 - flavors without a raw model: the flavor names it
        return ""
    steps = getattr(raw, "steps", None)
    if isinstance(steps, list):
        return f"{type(raw).__name__}({', '.join(type(step).__name__ for _, step in steps)})"
    return type(raw).__name__
