"""Tasks of the model-review gate before the checks: what is reviewed (registry tags, evaluation data,
the model), its predictions scored for the checks, and the baseline a fairness report is compared with.
The check families themselves are tasks in ``tasks.model_checks``."""

from __future__ import annotations

import re
from dataclasses import dataclass, field, replace

import numpy as np
import pandas as pd
from prefect import get_run_logger
from prefect.cache_policies import NO_CACHE

from govgate import protocol
from govgate.datasets import inspect_dataset, iter_chunks
from govgate.datasheet import Datasheet
from govgate.errors import InputError
from govgate.intake.tier import latest_intakes, resolve_tier
from govgate.model_output import PROBABILITIES, TEXT, ModelOutput
from govgate.modeling import LoadedModel, ModelRef, find_model, load_model, parse_model_uri, predict
from govgate.record import (
    FAIRNESS_REPORT,
    LEGACY_FAIRNESS_CHECK,
    AssetKind,
    GateResult,
    InputDigest,
    Subject,
)
from govgate.render import render_model_card
from tasks import context
from tasks.govgate_task import govgate_task as task

_EXPR = re.compile(r"^\s*([^<>=!]+?)\s*(>=|<=|>|<|==)\s*(-?\d+(?:\.\d+)?)\s*$")


@dataclass
class EvalData:
    frame: pd.DataFrame
    digest: InputDigest
    sensitive: pd.DataFrame  # one column per sensitive feature, as group labels
    sensitive_columns: list[str]  # the raw columns they come from
    notes: list[str] = field(default_factory=list)


@task(name="load-evaluation-data", cache_policy=NO_CACHE)
def load_eval_data(
    uri: str, label: str, sensitive: list[str], extra_columns: list[str], from_tags: dict[str, str] | None = None
) -> EvalData:
    """The evaluation data, its label, sensitive and prediction columns checked (before any model loads).
    ``from_tags``: inputs read from registry tags, named in an error so the tag can be fixed."""
    try:
        return _eval_data(uri, label, sensitive, extra_columns)
    except InputError as exc:
        if not from_tags:
            raise
        named = ", ".join(f"{k} from the tag {t}" for k, t in from_tags.items() if k != "task_type")
        raise InputError(f"{exc} ({named})" if named else str(exc)) from None


def _eval_data(uri: str, label: str, sensitive: list[str], extra_columns: list[str]) -> EvalData:
    settings = context.settings()
    info = inspect_dataset(uri, Datasheet(), settings)
    frame = pd.concat(list(iter_chunks(info, 200_000)), ignore_index=True)
    for col in [label, *extra_columns]:
        if col and col not in frame.columns:
            raise InputError(
                f"evaluation data {uri}: column '{col}' does not exist; columns are {list(frame.columns)[:20]}"
            )
    groups, raw, notes = sensitive_groups(frame, sensitive, uri)
    for note in notes:
        get_run_logger().info(note)
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


@task(name="find-model", cache_policy=NO_CACHE)
def find(model_uri: str) -> ModelRef:
    """The model's registry entry (tags) and MLmodel file (signature): what the inputs are checked
    against before the model itself is downloaded and loaded."""
    return find_model(model_uri, context.settings().effective_mlflow_tracking_uri)


@task(name="load-model", cache_policy=NO_CACHE)
def load(ref: ModelRef, pos_label: str) -> LoadedModel:
    return load_model(ref, context.settings().effective_mlflow_tracking_uri, pos_label)


@task(name="predict", cache_policy=NO_CACHE)
def predict_task(model: LoadedModel, X: pd.DataFrame) -> ModelOutput:
    return predict(model, X)


def model_features(
    input_names: list[str] | None, frame: pd.DataFrame, exclude: set[str], features: list[str] | None
) -> list[str]:
    """Columns fed to the model: explicit, else the model's input schema, else all but label/prediction."""
    if features:
        missing = [f for f in features if f not in frame.columns]
        if missing:
            raise InputError(
                f"features {missing} are not columns of the evaluation data; columns are {list(frame.columns)[:20]}"
            )
        return features
    if input_names:
        missing = [n for n in input_names if n not in frame.columns]
        if missing:
            raise InputError(f"the evaluation data lacks columns the model's signature needs: {missing}")
        return input_names
    return [c for c in frame.columns if c not in exclude]


def baseline_report(record: GateResult) -> dict | None:
    """The fairness report a model-review record kept: its ``fairness_report`` output, or in a 1.0.0
    record the ``fairness.report`` check's details."""
    return record.output(FAIRNESS_REPORT, LEGACY_FAIRNESS_CHECK, "report")


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


# ------------------------------------------------------------------------------------ what is reviewed

REGISTRY_INPUT_TAGS = {
    "data": protocol.MODEL_EVAL_DATA,
    "label": protocol.MODEL_LABEL,
    "sensitive": protocol.MODEL_SENSITIVE,
    "pos_label": protocol.MODEL_POS_LABEL,
    "task_type": protocol.MODEL_TASK,
}
TASK_TYPES = ("classification", "regression", "generation")


@dataclass
class ReviewRequest:
    """The model-review flow's parameters, normalised: a registration event's name and version become the
    model URI, sensitive features may be comma-separated. ``parameters()`` is what the record keeps."""

    model_uri: str | None = None
    data: str = ""
    label: str = ""
    sensitive: list[str] | None = None
    prediction_column: str | None = None
    score_column: str | None = None
    features: list[str] | None = None
    pos_label: str = "1"
    threshold: float = 0.5
    task_type: str = "classification"
    tier: str | None = None
    card: str | None = None
    compare_baseline: bool = True
    model_name: str | None = None
    model_version: str | None = None
    probes: str | None = None
    from_tags: dict[str, str] = field(default_factory=dict)  # input -> the registry tag it was read from

    def __post_init__(self) -> None:
        self.model_uri = registered_uri(self.model_uri, self.model_name, self.model_version)
        self.sensitive = [s for item in (self.sensitive or []) for s in str(item).split(",") if s.strip()]

    def parameters(self) -> dict:
        keys = ("model_uri", "data", "label", "sensitive", "prediction_column", "score_column", "pos_label")
        return {
            **{k: getattr(self, k) for k in keys},
            "threshold": self.threshold,
            "task_type": self.task_type,
            "tier": self.tier,
            "probes": self.probes,
        }

    @property
    def generative(self) -> bool:
        return self.task_type == "generation"

    def named(self, key: str) -> str:
        """How an input is named in a message: with the registry tag it came from, if any."""
        tag = self.from_tags.get(key)
        return f"{key} {getattr(self, key)!r}" + (f" (from the tag {tag})" if tag else "")

    @property
    def prediction_columns(self) -> list[str]:
        return [c for c in (self.prediction_column, self.score_column) if c]

    def check(self) -> None:
        if self.task_type not in TASK_TYPES:
            raise InputError(f"task_type {self.task_type!r}: expected one of {', '.join(TASK_TYPES)}")
        if self.generative:
            given = [k for k in ("data", "label", "prediction_column", "score_column") if getattr(self, k)]
            given += ["sensitive"] if self.sensitive else []
            if not self.model_uri or given:
                raise InputError(
                    "task generation reviews a generative model by probing it (built-in probes plus --probes FILE): "
                    + (f"it takes no {', '.join(given)}" if given else "give the model URI")
                )
        elif not self.model_uri and not self.prediction_column and not self.score_column:
            raise InputError("give a model URI, or a prediction_column/score_column of precomputed predictions")


def registered_uri(model_uri: str | None, model_name: str | None, model_version: str | None) -> str | None:
    """The model URI, or ``models:/NAME/VERSION`` when a registration event gave name and version."""
    if not model_uri and model_name and model_version:
        return f"models:/{model_name}/{model_version}"
    return model_uri


def version_of(model_uri: str | None, model: ModelRef | LoadedModel | None = None) -> tuple[str, str] | None:
    """(name, version) whose tags carry the decision: the model's, else a ``models:/NAME/VERSION`` URI's."""
    if model is not None and model.name:
        return model.name, model.version
    name, version, _ = parse_model_uri(model_uri or "")
    return (name, version) if name and version else None


def review_inputs(ref: ModelRef | None, req: ReviewRequest) -> ReviewRequest:
    """Evaluation data, label, sensitive features, favourable label and task: as given, else (a registration
    event carries only name and version) from the version's tags, else the registered model's tags."""
    if ref is not None:
        req = _from_registry(ref, req)
        model_tier(ref, load_policy_of_run(), explicit=req.tier)  # a lower tier than the intake's stops here
    req.check()
    if not req.generative and (not req.data or not req.label):
        raise InputError(
            "model review needs evaluation data (data) and its label column (label); for a registered "
            f"model, tag the version or the registered model with {protocol.MODEL_EVAL_DATA} and {protocol.MODEL_LABEL}"
            f" (or {protocol.MODEL_TASK}=generation for a generative model)"
        )
    return req


def _from_registry(ref: ModelRef, req: ReviewRequest) -> ReviewRequest:
    """``req`` with each input left empty (or at its default) filled from the version's, else the registered
    model's tag; ``from_tags`` remembers which tag gave what, so that messages can name it."""
    values, used = {}, {}
    for key, name in REGISTRY_INPUT_TAGS.items():
        current = getattr(req, key)
        if current not in (None, "", []) and current != _DEFAULTS.get(key):
            continue  # given explicitly
        for where in (name, f"model.{name}"):
            if (ref.registry.get(where) or "").strip():
                value = ref.registry[where].strip()
                values[key] = [s.strip() for s in value.split(",") if s.strip()] if key == "sensitive" else value
                used[key] = f"{name} of the {'registered model' if where.startswith('model.') else 'version'}"
                break
    if values.get("task_type", req.task_type) == "generation":  # a generative model takes no data columns
        values = {k: v for k, v in values.items() if k == "task_type"}
        used = {k: v for k, v in used.items() if k == "task_type"}
    return replace(req, **values, from_tags={**req.from_tags, **used})


_DEFAULTS = {"pos_label": "1", "task_type": "classification"}


def load_policy_of_run():
    from govgate.policy import load_policy

    return load_policy(context.settings().policy)


def model_tier(ref: ModelRef | LoadedModel | None, policy, explicit: str | None = None) -> str | None:
    """The tier of the model's latest intake record (an explicit ``explicit`` tier below it is refused),
    else the version's ``govgate.tier`` tag, checked against the policy's tiers before anything else runs."""
    name = getattr(ref, "name", None) if ref else None
    intake = latest_intakes(context.store(), name).get(name) if name else None
    if intake is not None:
        return resolve_tier(policy, explicit=explicit, tagged=None, intake=intake, asset=f"model {name}")
    tier = ref.registry.get(protocol.MODEL_TIER) if ref else None
    if tier and tier not in policy.tier_names:
        raise InputError(
            f"model {ref.uri}: tag {protocol.MODEL_TIER}={tier!r} is not a tier of policy {policy.name} "
            f"({', '.join(policy.tier_names)})"
        )
    return tier


def review_subject(req: ReviewRequest, model: LoadedModel | None = None, ev: EvalData | None = None) -> Subject:
    """The model under review, pinned by the inputs read so far (evaluation data, model artifact), and how
    its output was read (labels, scores, probabilities, text) once it has predicted."""
    model_uri, data = req.model_uri, req.data
    name, version, _ = parse_model_uri(model_uri or "")
    subject = Subject(
        kind=AssetKind.MODEL,
        id=name or model_uri or f"predictions:{data}",
        version=(model.version if model else None) or version,
        uris=[u for u in (model_uri, data) if u],
    )
    if ev is None and model is None:
        return subject
    inputs = ([ev.digest] if ev else []) + (
        [InputDigest(uri=model.uri, sha256=model.sha256, role="model")] if model else []
    )
    attributes = {"rows": len(ev.frame)} if ev else {}
    if model is not None:
        attributes.update({f"registry.{k}": v for k, v in model.registry.items()})
        reading = model.model.reading
        if reading is not None:
            attributes["model.output"] = reading.kind + (f" ({reading.columns} columns)" if reading.columns > 1 else "")
            attributes.update({"model.output.note": reading.note} if reading.note else {})
    return subject.model_copy(update={"inputs": inputs, "attributes": attributes})


@task(name="check-inputs", cache_policy=NO_CACHE)
def check_inputs(ref: ModelRef | None, ev: EvalData | None, req: ReviewRequest) -> list:
    """Every input the review reads, checked before the model is loaded: the feature columns against the
    model's signature, the model card file, the probe file. The probes to run (built-in and the user's)."""
    from govgate.checks.leakage import builtin_probes, load_probe_file
    from tasks.model_checks import card_fields

    if ev is not None and ref is not None:
        model_features(ref.input_names, ev.frame, {req.label, *req.prediction_columns}, req.features)
    named = req.pos_label != "1" or "pos_label" in req.from_tags  # the default may suit a text-output model
    if ev is not None and req.task_type == "classification" and named:
        values = ev.frame[req.label].dropna()
        if values.nunique() > 1 and not is_label(values, req.pos_label).any():
            raise InputError(
                f"{req.named('pos_label')} is not a value of the label column '{req.label}' "
                f"(values: {[str(v) for v in values.unique()[:10]]})"
            )
    if req.card:
        card_fields(req.card)
    return builtin_probes() + (load_probe_file(req.probes) if req.probes else [])


def features_and_predictions(
    model: LoadedModel | None, frame: pd.DataFrame, req: ReviewRequest
) -> tuple[pd.DataFrame, ModelOutput | pd.Series]:
    """The model's input columns and its output (run now), or the precomputed prediction column."""
    exclude = {req.label, *req.prediction_columns}
    if model is None:
        return frame.drop(columns=list(exclude)), frame[req.prediction_column or req.score_column]
    schema = model.model.metadata.get_input_schema() if model.model.metadata else None
    names = schema.input_names() if schema is not None and schema.has_input_names() else None
    X = frame[model_features(names, frame, exclude, req.features)]
    return X, predict_task(model, X)


# ------------------------------------------------------------------------------------ scored predictions


@dataclass
class Scored:
    """What the check families compare, by the kind of output: 0/1 labels and decisions with scores
    (classification), numbers (regression), or text (a generative model: only the leakage probe applies)."""

    kind: str  # classification | regression | text
    y: np.ndarray | None = None
    decisions: np.ndarray | None = None  # 0/1 decisions, or the predicted values of a regression
    scores: np.ndarray | None = None
    nan_scores: int = 0
    pos_label: object = None
    threshold: float = 0.5

    @property
    def reference_values(self) -> np.ndarray | None:
        return self.scores if self.scores is not None else self.decisions


def score_predictions(
    model: LoadedModel | None, frame: pd.DataFrame, out: ModelOutput | pd.Series, req: ReviewRequest
) -> Scored:
    """Labels, decisions and scores as the check families compare them (an InputError names a bad label).
    Probabilities: the positive label's column is the score, decided by the threshold; with more than two
    classes the decision is whether the most probable class is the positive label (one against the rest)."""
    from govgate.checks.stats import binary_labels, decisions_and_scores, scores_to_decisions

    label, pos_label, threshold = req.label, req.pos_label, req.threshold
    reading = out.reading if isinstance(out, ModelOutput) else None
    if reading is not None and reading.kind == TEXT:
        return Scored("text")
    if req.task_type == "regression":
        return _regression(frame, out.values if reading else out, label, reading)
    if reading is not None and reading.multiclass:
        y = is_label(frame[label], pos_label).to_numpy(dtype=np.int8)  # the favourable class against the rest
    else:
        y = binary_labels(frame[label], typed_label(pos_label, frame[label]), label)
    if req.score_column and model is None:
        raw = pd.to_numeric(frame[req.score_column], errors="coerce")
        nan_scores = int(raw.isna().sum())
        d = scores_to_decisions(raw.fillna(0).to_numpy(), threshold)
        return Scored(
            "classification", y, d, None if nan_scores else raw.to_numpy(dtype=float), nan_scores, pos_label, threshold
        )
    if reading is not None and reading.kind == PROBABILITIES:
        if reading.multiclass:
            d = (out.values.astype(str) == str(pos_label)).to_numpy(dtype=np.int8)
        else:
            d = scores_to_decisions(out.scores, threshold)
        return Scored("classification", y, d, out.scores, 0, pos_label, threshold)
    pred = out.values if reading else out
    d, scores = decisions_and_scores(pred.reset_index(drop=True), typed_label(pos_label, pred), threshold)
    return Scored("classification", y, d, scores, 0, pos_label, threshold)


def _regression(frame: pd.DataFrame, pred: pd.Series, label: str, reading) -> Scored:
    if reading is not None and reading.kind == PROBABILITIES:
        raise InputError(
            f"task regression: the model returns {reading.columns} probability columns (a classifier); "
            "review it with task classification"
        )
    y = pd.to_numeric(frame[label], errors="coerce")
    if y.isna().any():
        raise InputError(f"label column '{label}' has {int(y.isna().sum())} missing or non-numeric value(s)")
    return Scored("regression", y.to_numpy(dtype=float), pd.to_numeric(pred, errors="coerce").to_numpy(dtype=float))


def is_label(values: pd.Series, pos_label: str) -> pd.Series:
    """Where ``values`` equal the label, in their own type or as text ("1" matches 1 and 1.0)."""
    return values.isin([typed_label(pos_label, values)]) | (values.astype(str) == str(pos_label))


def typed_label(pos_label: str, values: pd.Series):
    """The positive label in the type of the values (1 for an int column, '1' for strings)."""
    if pd.api.types.is_numeric_dtype(values):
        try:
            return type(values.dropna().iloc[0].item())(pos_label) if len(values.dropna()) else pos_label
        except (ValueError, AttributeError):
            return pos_label
    return pos_label


def model_card_files(record: GateResult) -> dict[str, bytes]:
    return {
        "model_card.md": render_model_card(record, "md").encode(),
        "model_card.html": render_model_card(record, "html").encode(),
    }
