"""model-review: may this model version ship at its risk tier?

Performance (with intervals), fairness by group with bootstrap intervals (Fairlearn-exact figures from
count tables), robustness, explainability, a leakage probe for generative models, reference
distributions for reassessment, and a model card, decided by policy and tagged on the model version.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import yaml
from prefect import flow, get_run_logger

from govgate.errors import GovgateError, InputError
from govgate.gate import build_record, error_record, unloaded_policy_ref
from govgate.modeling import parse_model_uri
from govgate.policy import Policy, load_policy
from govgate.record import AssetKind, Check, InputDigest, Outcome, Subject, decide, new_record_id, utcnow
from govgate.render import render_model_card
from tasks import context
from tasks.evidence import publish_evidence
from tasks.model_review import (
    baseline_fairness,
    is_text_output,
    load,
    load_eval_data,
    model_features,
    predict_task,
    reference_check,
)

GATE = "model-review"
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
) -> dict:
    """Review a model version for performance, fairness, robustness and leakage, and record it.

    Args:
        model_uri: models:/NAME/VERSION, models:/NAME@ALIAS or runs:/RUN/PATH (omit when the data already holds predictions).
        data: evaluation data, local path or s3:// (CSV, Parquet, JSONL).
        label: the label column.
        sensitive: sensitive features: a column (sex), a split (age>=25), several for intersections.
        prediction_column: a column of precomputed predictions (instead of running a model).
        score_column: a column of precomputed scores (probability of the positive label).
        features: columns fed to the model (default: the model signature, else all other columns).
        pos_label: the favourable / positive label value.
        threshold: score threshold that turns scores into decisions.
        task_type: classification or regression.
        tier: policy risk tier (default: the version's govgate.tier tag, else the policy's default).
        card: YAML with intended_use, out_of_scope_use, limitations, ... (default: the registry's tags).
        compare_baseline: also compare fairness with the last approved version of the same model.
        model_name: registered model name (when fired by a registration event instead of model_uri).
        model_version: registered model version (with model_name).
    """
    logger = get_run_logger()
    started = utcnow()
    record_id = new_record_id(started)
    settings = context.settings()
    if not model_uri and model_name and model_version:
        model_uri = f"models:/{model_name}/{model_version}"
    sensitive = [s for item in (sensitive or []) for s in str(item).split(",") if s.strip()]
    params = {
        "model_uri": model_uri,
        "data": data,
        "label": label,
        "sensitive": sensitive,
        "prediction_column": prediction_column,
        "score_column": score_column,
        "pos_label": pos_label,
        "threshold": threshold,
        "task_type": task_type,
        "tier": tier,
    }
    name, version, _ = parse_model_uri(model_uri or "")
    subject = Subject(
        kind=AssetKind.MODEL,
        id=name or model_uri or f"predictions:{data}",
        version=version,
        uris=[u for u in (model_uri, data) if u],
    )
    policy: Policy | None = None
    checks: list[Check] = []
    try:
        policy = load_policy(settings.policy)
        if not model_uri and not prediction_column and not score_column:
            raise InputError("give a model URI, or a prediction_column/score_column of precomputed predictions")
        if task_type not in ("classification", "regression"):
            raise InputError(f"task_type {task_type!r}: expected classification or regression")
        model = load(model_uri) if model_uri else None
        if model is not None and (not data or not label):
            # A registration event carries only name and version: the rest comes from the registry's tags.
            data, label, sensitive, pos_label = review_inputs_from_registry(model, data, label, sensitive, pos_label)
            params.update(data=data, label=label, sensitive=sensitive, pos_label=pos_label)
        if not data or not label:
            raise InputError(
                "model review needs evaluation data (data) and its label column (label); for a registered "
                "model, tag the version or the registered model with govgate.eval_data and govgate.label"
            )
        if model is not None:
            subject = subject.model_copy(update={"version": model.version or subject.version})
        tier = tier or (model.registry.get("govgate.tier") if model else None) or policy.default_tier
        rules = policy.tier(tier).model_review
        ev = load_eval_data(data, label, sensitive, [c for c in (prediction_column, score_column) if c])
        frame = ev.frame
        inputs = [ev.digest] + ([InputDigest(uri=model.uri, sha256=model.sha256, role="model")] if model else [])
        subject = subject.model_copy(
            update={
                "inputs": inputs,
                "attributes": {
                    "rows": len(frame),
                    **({f"registry.{k}": v for k, v in model.registry.items()} if model else {}),
                },
            }
        )
        exclude = {label, *(c for c in (prediction_column, score_column) if c)}
        X = frame[model_features(model, frame, exclude, features)] if model else frame.drop(columns=list(exclude))
        if model is not None:
            out = predict_task(model, X)
            pred = out["prediction"]
        else:
            pred = frame[prediction_column] if prediction_column else frame[score_column]
        checks = review_checks(
            frame,
            X,
            pred,
            model,
            ev,
            label=label,
            pos_label=pos_label,
            threshold=threshold,
            task_type=task_type,
            score_column=score_column,
            rules=rules,
            tier_name=tier,
            compare_baseline=compare_baseline,
            logger=logger,
        )
        checks.append(card_check(card, model))
        decision = decide(
            [c for c in checks if c.outcome != Outcome.SKIPPED],
            inconclusive_blocks=policy.tier(tier).inconclusive_blocks,
        )
        record = build_record(
            gate=GATE,
            subject=subject,
            policy=policy,
            tier=tier,
            started_at=started,
            checks=checks,
            decision=decision,
            parameters=params,
            runtime=context.run_ids(),
            record_id=record_id,
        )
        extra = {
            "model_card.md": render_model_card(record, "md").encode(),
            "model_card.html": render_model_card(record, "html").encode(),
        }
        result = publish_evidence(
            record, extra_files=extra, model_version=(model.name, model.version) if model and model.name else None
        )
    except GovgateError as exc:
        logger.error("model review could not finish: %s", exc)
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
            mv = (name, version) if name and version else None
            publish_evidence(failed, model_version=mv)  # the version's tag says error, never a pass not computed
        except GovgateError as publish_exc:
            logger.error("the error record could not be published either: %s", publish_exc)
        raise
    print(f"model review of {model_uri or data}: {result['decision']} ({result['report_uri']})")
    return result


REGISTRY_INPUT_TAGS = {
    "data": "govgate.eval_data",
    "label": "govgate.label",
    "sensitive": "govgate.sensitive",
    "pos_label": "govgate.pos_label",
}


def review_inputs_from_registry(model, data: str, label: str, sensitive: list[str], pos_label: str):
    """Fill what the caller left empty from the version's tags, else the registered model's tags."""

    def tag(key: str) -> str | None:
        name = REGISTRY_INPUT_TAGS[key]
        return model.registry.get(name) or model.registry.get(f"model.{name}")

    data = data or tag("data") or ""
    label = label or tag("label") or ""
    sensitive = sensitive or [s.strip() for s in (tag("sensitive") or "").split(",") if s.strip()]
    if pos_label == "1":  # the parameter's default: the registry may name another favourable label
        pos_label = tag("pos_label") or pos_label
    return data, label, sensitive, pos_label


def review_checks(
    frame,
    X,
    pred,
    model,
    ev,
    *,
    label,
    pos_label,
    threshold,
    task_type,
    score_column,
    rules,
    tier_name,
    compare_baseline,
    logger,
) -> list[Check]:
    from govgate.checks.fairness import baseline_checks, fairness_checks, fairness_report
    from govgate.checks.performance import classification_checks, group_performance_checks, regression_checks
    from govgate.checks.stats import binary_labels, decisions_and_scores, scores_to_decisions

    checks: list[Check] = []
    for note in ev.notes:
        logger.info(note)
    if model is not None and is_text_output(pred):
        from govgate.checks.leakage import leakage_checks

        return leakage_checks(model, frame)
    if task_type == "regression":
        y = pd.to_numeric(frame[label], errors="coerce")
        if y.isna().any():
            raise InputError(f"label column '{label}' has {int(y.isna().sum())} missing or non-numeric value(s)")
        p = pd.to_numeric(pred, errors="coerce").to_numpy(dtype=float)
        checks += regression_checks(y.to_numpy(dtype=float), p, ev.sensitive, min_group_size=rules.min_group_size)
        checks.append(reference_check(X, p, {}))
        return checks
    y = binary_labels(frame[label], _typed(pos_label, frame[label]), label)
    if score_column and model is None:
        raw_scores = pd.to_numeric(frame[score_column], errors="coerce")
        nan_scores = int(raw_scores.isna().sum())
        scores = None if nan_scores else raw_scores.to_numpy(dtype=float)
        d = scores_to_decisions(raw_scores.fillna(0).to_numpy(), threshold)
    else:
        d, scores = decisions_and_scores(pred.reset_index(drop=True), _typed(pos_label, pred), threshold)
        nan_scores = 0
    checks += classification_checks(
        y,
        d,
        scores,
        rules=rules,
        n_boot=rules.bootstrap_resamples,
        confidence=rules.confidence_level,
        nan_scores=nan_scores,
    )
    checks += group_performance_checks(
        y,
        d,
        ev.sensitive,
        min_group_size=rules.min_group_size,
        n_boot=min(rules.bootstrap_resamples, 300),
        confidence=rules.confidence_level,
    )
    report = fairness_report(
        y,
        d,
        ev.sensitive,
        min_group_size=rules.min_group_size,
        n_boot=rules.bootstrap_resamples,
        confidence=rules.confidence_level,
    )
    fchecks, _ = fairness_checks(report, rules)
    checks += fchecks
    checks.append(
        Check(
            id="fairness.report",
            title="Fairness report (kept for baseline comparison)",
            category="fairness",
            outcome=Outcome.PASS,
            message=f"{len(ev.sensitive.columns)} sensitive feature(s)",
            details={"report": report.to_dict()},
            evidence_kind="fairness_eval",
        )
    )
    if compare_baseline:
        base_name, base = baseline_fairness(model)
        if base is not None:
            checks += baseline_checks(report, base, rules.baseline_tolerance)
        else:
            checks.append(
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
            )
    if model is not None:
        checks += robustness_and_explainability(model, X, y, ev, rules, pos_label, threshold)
    else:
        checks.append(
            Check(
                id="robustness.perturbation",
                title="Prediction stability",
                category="robustness",
                outcome=Outcome.SKIPPED,
                message="precomputed predictions: no model to perturb",
                evidence_kind="robustness_eval",
            )
        )
    checks.append(
        Check(
            id="leakage.probe",
            title="Leakage probe",
            category="leakage",
            outcome=Outcome.SKIPPED,
            message="tabular model: the leakage probe applies to generative models that return text",
        )
    )
    checks.append(reference_check(X, scores if scores is not None else d, report.to_dict()))
    return checks


def robustness_and_explainability(model, X, y, ev, rules, pos_label, threshold) -> list[Check]:
    from govgate.checks.robustness import (
        explainability_checks,
        permutation_importance_report,
        perturbation_stability,
        robustness_checks,
    )
    from govgate.checks.stats import decisions_and_scores

    def decide(p):
        return decisions_and_scores(
            pd.Series(np.asarray(p).ravel()), _typed(pos_label, pd.Series(np.asarray(p).ravel())), threshold
        )[0]

    def predict_fn(frame):
        out = model.model.predict(frame)
        return (
            out["prediction"].to_numpy() if isinstance(out, pd.DataFrame) and "prediction" in out else np.asarray(out)
        )

    sens = ev.sensitive.set_index(X.index)
    report = perturbation_stability(predict_fn, X, sensitive=sens, decide=decide, min_group_size=rules.min_group_size)
    rchecks, _ = robustness_checks(report, rules)
    imp = permutation_importance_report(predict_fn, X, y, decide=decide)
    echecks, _ = explainability_checks(
        imp,
        sensitive=[c for c in ev.sensitive_columns if c in X.columns] or ev.sensitive_columns,
        X=X.assign(**{c: ev.frame[c] for c in ev.sensitive_columns if c not in X.columns}),
        top_k=rules.sensitive_importance_top_k,
    )
    return rchecks + echecks


def card_check(card: str | None, model) -> Check:
    """Intended use, out-of-scope use and limitations: from a card YAML, else from registry tags."""
    fields = {}
    if card:
        try:
            with open(card, encoding="utf-8") as f:
                data = yaml.safe_load(f) or {}
        except (OSError, yaml.YAMLError) as exc:
            raise InputError(f"model card file {card} cannot be read: {exc}") from None
        if not isinstance(data, dict):
            raise InputError(f"model card file {card}: expected a mapping of {', '.join(CARD_FIELDS)}")
        unknown = sorted(set(data) - set(CARD_FIELDS))
        if unknown:
            raise InputError(f"model card file {card}: unknown key(s) {unknown}; expected {', '.join(CARD_FIELDS)}")
        fields = {k: str(v) for k, v in data.items()}
    elif model is not None:
        reg = model.registry
        fields = {k: reg.get(k) or reg.get(f"model.{k}") for k in CARD_FIELDS}
        fields["description"] = fields.get("description") or reg.get("model.description")
        fields = {k: v for k, v in fields.items() if v}
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


def _typed(pos_label: str, values: pd.Series):
    """The positive label in the type of the values (1 for an int column, '1' for strings)."""
    if pd.api.types.is_numeric_dtype(values):
        try:
            return type(values.dropna().iloc[0].item())(pos_label) if len(values.dropna()) else pos_label
        except (ValueError, AttributeError):
            return pos_label
    return pos_label
