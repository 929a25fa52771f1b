"""Models under review: loading any MLflow model URI with the pyfunc flavor, pinning it by content, and
predicting with errors that say what went wrong. No Prefect here."""

from __future__ import annotations

import hashlib
import os
import re
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd

from govgate.errors import GovgateError, InputError

MODEL_URI = re.compile(r"^(models:/[^/@]+(/[^/]+|@[A-Za-z0-9_\-]+)|runs:/[0-9a-f]{32}/.+|file://.+|s3://.+|/.+)$")


@dataclass
class LoadedModel:
    uri: str
    model: object  # mlflow.pyfunc.PyFuncModel
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


def load_model(uri: str, tracking_uri: str) -> LoadedModel:
    import mlflow
    from mlflow.artifacts import download_artifacts
    from mlflow.tracking import MlflowClient

    if not MODEL_URI.match(uri):
        raise InputError(
            f"model URI {uri!r} is not models:/NAME/VERSION, models:/NAME@ALIAS, runs:/RUN_ID/PATH or a path"
        )
    client = MlflowClient(tracking_uri=tracking_uri, registry_uri=tracking_uri)
    name, version, alias = parse_model_uri(uri)
    registry: dict[str, str] = {}
    run_id = None
    source = uri
    missing = "model {uri} does not exist in the MLflow registry at {registry}"
    mv = find_model_version(client, uri, registry=tracking_uri, not_found=missing) if name else None
    try:
        if mv is not None:
            version = str(mv.version)  # an int in-process, a str through a server
            run_id = mv.run_id
            rm = client.get_registered_model(name)
            registry = {**{f"model.{k}": v for k, v in (rm.tags or {}).items()}, **dict(mv.tags or {})}
            if rm.description:
                registry["model.description"] = rm.description
            if mv.description:
                registry["description"] = mv.description
            # Resolve through this client (no process-wide registry URI), then download by location.
            source = client.get_model_version_download_uri(name, version)
    except Exception as exc:
        raise InputError(
            f"model {uri} does not exist in the MLflow registry at {tracking_uri}: {_first(exc)}"
        ) from None
    try:
        local = Path(download_artifacts(artifact_uri=source, tracking_uri=tracking_uri, dst_path=_scratch()))
        model = mlflow.pyfunc.load_model(str(local))
    except Exception as exc:
        raise InputError(f"model {uri} cannot be loaded with MLflow's pyfunc flavor: {_first(exc)}") from None
    return LoadedModel(
        uri=uri, model=model, sha256=tree_digest(local), name=name, version=version, run_id=run_id, registry=registry
    )


def predict(model: LoadedModel, X: pd.DataFrame) -> pd.DataFrame:
    """Predictions as a DataFrame with column ``prediction`` and, when the model gives them, ``score``."""
    try:
        out = model.model.predict(X)
    except Exception as exc:
        raise InputError(
            f"model {model.uri} failed to predict on the evaluation data ({len(X)} rows, columns {list(X.columns)[:12]}): {_first(exc)}"
        ) from None
    if isinstance(out, pd.DataFrame):
        frame = out.reset_index(drop=True)
        if "prediction" not in frame.columns:
            frame = frame.rename(columns={frame.columns[0]: "prediction"})
        return frame
    series = pd.Series(
        list(out)
        if not hasattr(out, "shape")
        else out.reshape(len(X), -1)[:, -1]
        if getattr(out, "ndim", 1) > 1
        else out
    )
    return pd.DataFrame({"prediction": series.reset_index(drop=True)})


def _scratch() -> str:
    import tempfile

    return tempfile.mkdtemp(prefix="govgate-model-", dir=os.environ.get("TMPDIR"))


def _first(exc: Exception) -> str:
    text = str(exc).strip().splitlines()
    return text[0][:500] if text else type(exc).__name__
