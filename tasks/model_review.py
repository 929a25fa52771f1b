"""Tasks of the model-review gate: load the evaluation data and the model, predict, and compute each
family of checks. Fairness, robustness and explainability live in their own modules."""

from __future__ import annotations

import re
from dataclasses import dataclass, field

import numpy as np
import pandas as pd
from prefect import task
from prefect.cache_policies import NO_CACHE

from govgate.datasets import inspect_dataset, iter_chunks
from govgate.datasheet import Datasheet
from govgate.errors import InputError
from govgate.modeling import LoadedModel, load_model, predict
from govgate.record import Check, InputDigest, Metric, Outcome
from tasks import context

_EXPR = re.compile(r"^\s*([^<>=!]+?)\s*(>=|<=|>|<|==)\s*(-?\d+(?:\.\d+)?)\s*$")


@dataclass
class EvalData:
    frame: pd.DataFrame
    digest: InputDigest
    sensitive: pd.DataFrame  # one column per sensitive feature, as group labels
    sensitive_columns: list[str]  # the raw columns they come from
    notes: list[str] = field(default_factory=list)


@task(name="load-evaluation-data", cache_policy=NO_CACHE)
def load_eval_data(uri: str, label: str, sensitive: list[str], extra_columns: list[str]) -> EvalData:
    settings = context.settings()
    info = inspect_dataset(uri, Datasheet(), settings)
    frame = pd.concat(list(iter_chunks(info, 200_000)), ignore_index=True)
    for col in [label, *extra_columns]:
        if col and col not in frame.columns:
            raise InputError(
                f"evaluation data {uri}: column '{col}' does not exist; columns are {list(frame.columns)[:20]}"
            )
    groups, raw, notes = sensitive_groups(frame, sensitive, uri)
    return EvalData(
        frame=frame,
        digest=InputDigest(uri=uri, sha256=info.sha256, size=info.size, role="evaluation data"),
        sensitive=groups,
        sensitive_columns=raw,
        notes=notes,
    )


def sensitive_groups(frame: pd.DataFrame, specs: list[str], uri: str) -> tuple[pd.DataFrame, list[str], list[str]]:
    """Group labels for each sensitive feature spec: ``sex`` (as is), ``age>=25`` (a binary split),
    or a numeric column with many values (four quantile bins)."""
    if not specs:
        raise InputError("at least one sensitive feature is needed for a fairness review (--sensitive COL[,COL])")
    out, raw, notes = {}, [], []
    for spec in specs:
        m = _EXPR.match(spec)
        col = m[1] if m else spec.strip()
        if col not in frame.columns:
            raise InputError(
                f"evaluation data {uri}: sensitive feature '{col}' does not exist; columns are {list(frame.columns)[:20]}"
            )
        raw.append(col)
        s = frame[col]
        if m:
            values = pd.to_numeric(s, errors="coerce")
            if values.isna().any():
                raise InputError(f"sensitive feature '{spec}': column '{col}' has non-numeric or missing values")
            cond = values.__getattribute__(
                {">=": "__ge__", "<=": "__le__", ">": "__gt__", "<": "__lt__", "==": "__eq__"}[m[2]]
            )(float(m[3]))
            out[spec.replace(" ", "")] = np.where(cond, "yes", "no")  # groups read "age>=25=yes"
        elif pd.api.types.is_numeric_dtype(s) and s.nunique() > 20:
            out[col] = pd.qcut(s, 4, duplicates="drop").astype(str).to_numpy()
            notes.append(
                f"'{col}' is continuous: grouped into quantile bins; name a split like '{col}>=25' to choose one"
            )
        else:
            out[col] = s.astype(str).fillna("(missing)").to_numpy()
    return pd.DataFrame(out), raw, notes


@task(name="load-model", cache_policy=NO_CACHE)
def load(model_uri: str) -> LoadedModel:
    return load_model(model_uri, context.settings().effective_mlflow_tracking_uri)


@task(name="predict", cache_policy=NO_CACHE)
def predict_task(model: LoadedModel, X: pd.DataFrame) -> pd.DataFrame:
    return predict(model, X)


def model_features(
    model: LoadedModel | None, frame: pd.DataFrame, exclude: set[str], features: list[str] | None
) -> list[str]:
    """Columns fed to the model: explicit, else the model's input schema, else all but label/prediction."""
    if features:
        return features
    if model is not None:
        schema = model.model.metadata.get_input_schema() if model.model.metadata else None
        if schema is not None and schema.has_input_names():
            names = schema.input_names()
            missing = [n for n in names if n not in frame.columns]
            if missing:
                raise InputError(f"the evaluation data lacks columns the model's signature needs: {missing}")
            return names
    return [c for c in frame.columns if c not in exclude]


def is_text_output(pred: pd.Series) -> bool:
    sample = pred.dropna().head(50)
    return len(sample) > 0 and all(isinstance(v, str) for v in sample) and sample.str.len().mean() > 20


@task(name="reference-distributions", cache_policy=NO_CACHE)
def reference_check(X: pd.DataFrame, predictions: np.ndarray, groups: dict) -> Check:
    from govgate.checks.performance import reference_distributions

    ref = reference_distributions(X, predictions)
    ref["group_metrics"] = groups
    return Check(
        id="reference.distributions",
        title="Reference distributions for reassessment",
        category="reference",
        outcome=Outcome.PASS,
        message=f"binned summaries of {len(X.columns)} features and the predictions over {len(X)} rows",
        metrics=[Metric(name="rows", value=len(X)), Metric(name="features", value=len(X.columns))],
        details=ref,
        evidence_kind="reassessment",
    )


@task(name="baseline-report", cache_policy=NO_CACHE)
def baseline_fairness(model: LoadedModel | None) -> tuple[str | None, dict | None]:
    """The fairness report of the last approved (pass) earlier version of this model, if any."""
    if model is None or not model.name:
        return None, None
    from govgate.publish import load_record
    from govgate.store import open_store

    settings = context.settings()
    tracker = context.tracker(settings)
    store = open_store(settings)
    versions = tracker.client.search_model_versions(f"name = '{model.name}'")
    approved = sorted(
        (
            v
            for v in versions
            if v.tags.get("govgate.model_review.decision") == "pass" and int(v.version) < int(model.version or 0)
        ),
        key=lambda v: int(v.version),
    )
    if not approved:
        return None, None
    base = approved[-1]
    uri = base.tags.get("govgate.model_review.record_uri", "")
    key = uri.split(store.url.rstrip("/") + "/", 1)[-1] if uri.startswith(store.url) else None
    if not key:
        return f"{model.name}/{base.version}", None
    record = load_record(store, key)
    fairness = next((c.details.get("report") for c in record.checks if c.id == "fairness.report"), None)
    return f"{model.name}/{base.version} ({record.record_id})", fairness


@task(name="find-unreviewed-versions", cache_policy=NO_CACHE)
def find_unreviewed_versions(
    gate: str, models: list[str] | None, since_days: int, grace_minutes: int
) -> list[tuple[str, str]]:
    """Registered versions from the last ``since_days`` days, older than ``grace_minutes``, without a review."""
    import time

    from govgate.tracking import Tracker

    now_ms = int(time.time() * 1000)
    return Tracker.from_settings(context.settings()).unreviewed_versions(
        gate,
        models=models,
        created_after_ms=now_ms - since_days * 86_400_000,
        created_before_ms=now_ms - grace_minutes * 60_000,
    )
