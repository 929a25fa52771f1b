"""Models under review: finding a model URI's registry entry and signature without loading it (so inputs
are checked first), loading it with the pyfunc flavor, pinning it by content, and predicting with errors
that say what went wrong; its output is read by ``govgate.model_output``. No Prefect here."""

from __future__ import annotations

import hashlib
import logging
import os
import re
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from govgate.errors import GovgateError, InputError
from govgate.model_output import ModelOutput, OutputReading, first_reading, read_output

MODEL_URI = re.compile(r"^(models:/[^/@]+(/[^/]+|@[A-Za-z0-9_\-]+)|runs:/[0-9a-f]{32}/.+|file://.+|s3://.+|/.+)$")


@dataclass
class ModelRef:
    """A model found but not loaded: its registry entry and its MLmodel file (signature, flavors). Enough to
    validate every input before the (slow) download and load of the model itself."""

    uri: str
    source: str  # where its artifacts are downloaded from
    name: str | None = None
    version: str | None = None
    run_id: str | None = None
    registry: dict[str, str] = field(default_factory=dict)  # description and tags of the version/model
    input_names: list[str] | None = None  # the signature's input columns, when it names them


class ReviewedModel:
    """A pyfunc model whose ``predict`` returns one value per row (a DataFrame with column ``prediction``),
    read the way its first output was read (labels, scores, P(positive label), or text): every check that
    predicts again (robustness, explainability, leakage) compares like with like."""

    def __init__(self, pyfunc, uri: str, pos_label, classes: list | None) -> None:
        self.pyfunc = pyfunc
        self.uri = uri
        self.pos_label = pos_label
        self.classes = classes  # the model's own classes (sklearn ``classes_``), when it has them
        self.reading: OutputReading | None = None

    @property
    def metadata(self):
        return self.pyfunc.metadata

    def get_raw_model(self):
        """The flavor's own model (the model card names its algorithm from it)."""
        return self.pyfunc.get_raw_model()

    def read(self, raw, rows: int) -> ModelOutput:
        """``raw`` (what the pyfunc returned for ``rows`` rows) read like the first output."""
        where = f"model {self.uri}"
        if self.reading is None:
            self.reading = first_reading(raw, rows, classes=self.classes, pos_label=self.pos_label, where=where)
        return read_output(raw, rows, self.reading, where)

    def predict(self, X: pd.DataFrame, params=None) -> pd.DataFrame:
        return pd.DataFrame({"prediction": self.read(self.pyfunc.predict(X), len(X)).values})


@dataclass
class LoadedModel:
    uri: str
    model: ReviewedModel
    sha256: str
    name: str | None = None
    version: str | None = None
    run_id: str | None = None
    registry: dict[str, str] = field(default_factory=dict)  # description and tags of the version/model


def parse_model_uri(uri: str) -> tuple[str | None, str | None, str | None]:
    """(name, version, alias) of a models:/ URI; Nones otherwise."""
    if m := re.match(r"^models:/([^/@]+)/([^/]+)$", uri):
        return m[1], m[2], None
    if m := re.match(r"^models:/([^/@]+)@(.+)$", uri):
        return m[1], None, m[2]
    return None, None, None


def find_model_version(
    client,
    uri: str,
    *,
    registry: str,
    error: type[GovgateError] = InputError,
    not_found: str = "model version {uri} not found in MLflow at {registry}",
):
    """The registered model version (``ModelVersion``) that ``models:/NAME/VERSION`` or ``models:/NAME@ALIAS``
    names, through ``client`` (an ``MlflowClient``; ``registry`` names it in messages, ``not_found`` is the
    caller's wording of a missing version)."""
    name, version, alias = parse_model_uri(uri)
    if not name:
        raise error(f"{uri!r} is not a model version URI: expected models:/NAME/VERSION or models:/NAME@ALIAS")
    try:
        return client.get_model_version_by_alias(name, alias) if alias else client.get_model_version(name, version)
    except Exception as exc:  # MlflowException (RESOURCE_DOES_NOT_EXIST), connection errors
        raise error(not_found.format(uri=uri, registry=registry) + f": {_first(exc)}") from None


def tree_digest(path: Path) -> str:
    """SHA-256 over the files of a model directory (relative names and contents, in sorted order)."""
    h = hashlib.sha256()
    files = sorted(p for p in path.rglob("*") if p.is_file()) if path.is_dir() else [path]
    for p in files:
        h.update(str(p.relative_to(path) if path.is_dir() else p.name).encode() + b"\0")
        with open(p, "rb") as f:
            while chunk := f.read(1 << 20):
                h.update(chunk)
    return h.hexdigest()


def find_model(uri: str, tracking_uri: str) -> ModelRef:
    """The registry entry and MLmodel file of a model URI, without downloading or loading the model."""
    from mlflow.tracking import MlflowClient

    if not MODEL_URI.match(uri):
        raise InputError(
            f"model URI {uri!r} is not models:/NAME/VERSION, models:/NAME@ALIAS, runs:/RUN_ID/PATH or a path"
        )
    client = MlflowClient(tracking_uri=tracking_uri, registry_uri=tracking_uri)
    name, version, _ = parse_model_uri(uri)
    ref = ModelRef(uri=uri, source=uri, name=name, version=version)
    missing = "model {uri} does not exist in the MLflow registry at {registry}"
    mv = find_model_version(client, uri, registry=tracking_uri, not_found=missing) if name else None
    try:
        if mv is not None:
            ref.version = str(mv.version)  # an int in-process, a str through a server
            ref.run_id = mv.run_id
            rm = client.get_registered_model(name)
            ref.registry = {**{f"model.{k}": v for k, v in (rm.tags or {}).items()}, **dict(mv.tags or {})}
            if rm.description:
                ref.registry["model.description"] = rm.description
            if mv.description:
                ref.registry["description"] = mv.description
            # Resolve through this client (no process-wide registry URI), then download by location.
            ref.source = client.get_model_version_download_uri(name, ref.version)
    except Exception as exc:
        raise InputError(
            f"model {uri} does not exist in the MLflow registry at {tracking_uri}: {_first(exc)}"
        ) from None
    return _with_mlmodel(ref, tracking_uri)


def _with_mlmodel(ref: ModelRef, tracking_uri: str) -> ModelRef:
    """The signature's input names, from the MLmodel file alone."""
    from mlflow.artifacts import download_artifacts
    from mlflow.models import Model

    try:
        path = download_artifacts(
            artifact_uri=ref.source.rstrip("/") + "/MLmodel", tracking_uri=tracking_uri, dst_path=_scratch()
        )
        meta = Model.load(path)
    except Exception as exc:
        raise InputError(f"model {ref.uri}: its MLmodel file cannot be read: {_first(exc)}") from None
    schema = meta.get_input_schema()
    ref.input_names = schema.input_names() if schema is not None and schema.has_input_names() else None
    return ref


def load_model(ref: ModelRef, tracking_uri: str, pos_label=None) -> LoadedModel:
    """Download and load the model (pyfunc flavor); its output is read for favourable label ``pos_label``."""
    import mlflow
    from mlflow.artifacts import download_artifacts

    try:
        local = Path(download_artifacts(artifact_uri=ref.source, tracking_uri=tracking_uri, dst_path=_scratch()))
        pyfunc = mlflow.pyfunc.load_model(str(local))
    except Exception as exc:
        raise InputError(f"model {ref.uri} cannot be loaded with MLflow's pyfunc flavor: {_first(exc)}") from None
    return LoadedModel(
        uri=ref.uri,
        model=ReviewedModel(pyfunc, ref.uri, pos_label, model_classes(pyfunc)),
        sha256=tree_digest(local),
        name=ref.name,
        version=ref.version,
        run_id=ref.run_id,
        registry=ref.registry,
    )


def model_classes(pyfunc) -> list | None:
    """The classes a flavor's underlying model knows (sklearn ``classes_``), in its probability columns' order."""
    try:
        classes = getattr(pyfunc.get_raw_model(), "classes_", None)
    except Exception:  # flavors without a raw model (a python_function model) raise
        return None
    return list(classes) if classes is not None and np.ndim(classes) == 1 else None


def predict(model: LoadedModel, X: pd.DataFrame) -> ModelOutput:
    """The model's output on ``X``, one value per row (see ``govgate.model_output``)."""
    try:
        raw = model.model.pyfunc.predict(X)
    except Exception as exc:
        # the model's (or its library's) message quotes the data it choked on ("could not convert string to
        # float: '<a cell>'"): named by type here, its text only in the local log (never Prefect's or the record)
        logging.getLogger("govgate.unexpected").error("the model failed to predict (raw traceback)", exc_info=exc)
        raise InputError(
            f"model {model.uri} failed to predict on the evaluation data ({len(X)} rows, columns "
            f"{list(X.columns)[:12]}): {type(exc).__name__} (its message may quote data values: left out of the "
            "evidence; the CLI's log file has it)"
        ) from None
    return model.model.read(raw, len(X))


def _scratch() -> str:
    import tempfile

    return tempfile.mkdtemp(prefix="govgate-model-", dir=os.environ.get("TMPDIR"))


def _first(exc: Exception) -> str:
    text = str(exc).strip().splitlines()
    return text[0][:500] if text else type(exc).__name__
