"""All govgate settings in one place.

Sources, highest precedence first: explicit arguments, ``GOVGATE_*`` environment variables, a YAML
config file (``GOVGATE_CONFIG`` or ``./govgate.yaml``), then the embedded defaults: a local folder store,
a SQLite MLflow file and a local Prefect server that govgate starts itself. Pointing at real services
is a settings change only.
"""

from __future__ import annotations

import os
import re
from pathlib import Path
from typing import Any

from pydantic import Field, SecretStr, ValidationError, field_validator
from pydantic_settings import BaseSettings, PydanticBaseSettingsSource, SettingsConfigDict, YamlConfigSettingsSource

from govgate.errors import ConfigError

REPO_ROOT = Path(__file__).resolve().parent.parent
DEFAULT_POLICY = REPO_ROOT / "policies" / "default.yaml"


def _config_file() -> Path | None:
    explicit = os.environ.get("GOVGATE_CONFIG")
    if explicit:
        path = Path(explicit)
        if not path.is_file():
            raise ConfigError(f"GOVGATE_CONFIG points at {path}, which is not a file")
        return path
    local = Path("govgate.yaml")
    return local if local.is_file() else None


class Settings(BaseSettings):
    """Effective configuration. Every field can be set as ``GOVGATE_<NAME>`` (upper case)."""

    model_config = SettingsConfigDict(env_prefix="GOVGATE_", extra="forbid", validate_default=True)

    home: Path = Field(Path(".govgate"), description="working folder for local state (store, MLflow DB, logs)")

    # object store
    store_url: str = Field(
        "", description="local folder path, file:///path, or s3://bucket[/prefix]; default <home>/store"
    )
    s3_endpoint_url: str | None = Field(None, description="S3-compatible endpoint (MinIO, moto); empty = AWS")
    s3_region: str = Field("us-east-1", description="S3 region")
    s3_access_key_id: str | None = Field(None, description="S3 access key; empty = the boto3 credential chain")
    s3_secret_access_key: SecretStr | None = Field(None, description="S3 secret key")
    s3_max_attempts: int = Field(
        4, ge=1, le=20, description="attempts per S3 request, first one included (bounded retries)"
    )
    s3_connect_timeout: float = Field(5.0, gt=0, description="seconds to wait for an S3 connection")
    s3_read_timeout: float = Field(
        6.0, gt=0, description="seconds to wait for an S3 answer; with the attempts, a dead endpoint fails in < 30 s"
    )

    # MLflow
    mlflow_tracking_uri: str = Field("", description="MLflow tracking URI; default sqlite:///<home>/mlflow.db")
    mlflow_artifact_location: str | None = Field(
        None,
        description="artifact root for new govgate experiments (e.g. s3://bucket/mlflow); default <home>/mlartifacts",
    )
    mlflow_experiment_prefix: str = Field("govgate", description="experiments are named <prefix>/<gate>")
    mlflow_max_retries: int = Field(2, ge=0, le=10, description="bounded retries of MLflow HTTP calls")

    # Prefect
    prefect_api_url: str | None = Field(
        None, description="a Prefect server's API URL; empty = govgate starts a local server itself"
    )
    prefect_server_port: int = Field(0, ge=0, le=65535, description="port of the local Prefect server (0 = a free one)")

    # registration bridge (MLflow model-registry webhooks -> Prefect events)
    bridge_host: str = Field("127.0.0.1", description="address the bridge listens on")
    bridge_port: int = Field(8085, ge=1, le=65535, description="port the bridge listens on")
    bridge_secret: SecretStr | None = Field(
        None, description="shared HMAC secret of the MLflow webhook; the bridge refuses to start without one"
    )
    bridge_max_body_bytes: int = Field(256 * 1024, ge=1024, description="larger webhook bodies are refused (413)")
    bridge_timestamp_tolerance: int = Field(
        300, ge=10, le=3600, description="seconds a delivery's timestamp may differ from now (replay window)"
    )

    # scale-out
    dask_address: str | None = Field(None, description="address of a Dask scheduler (tcp://host:8786); empty = threads")

    # policy and signing
    policy: Path = Field(DEFAULT_POLICY, description="policy-as-code file")
    retention_rules: Path = Field(
        REPO_ROOT / "policies" / "retention.yaml", description="retention rules for the retention-purge flow"
    )
    signing_key: SecretStr | None = Field(
        None, description="Ed25519 private key (PEM) or path to it, for evidence packages"
    )
    trusted_keys: str | None = Field(
        None,
        description="keys trusted to sign evidence packages: comma-separated sha256:<hex> fingerprints or public-key "
        "PEM paths (besides the configured or local signing key); a package signed by another key fails verification",
    )
    pseudonym_salt: SecretStr | None = Field(
        None,
        description="salt of stable pseudonyms in anonymized copies; default: a random salt kept in <home>/pseudonym-salt",
    )
    evidence_http_url: str | None = Field(
        None,
        description="http base URL serving the local evidence store read-only (set by `govgate serve` / `govgate "
        "stack up`); report links in the Prefect UI use it instead of file:// paths",
    )

    # data review: NER
    ner_model: str = Field(
        "auto",
        description="spaCy model for PERSON/LOCATION detection when a review names none: auto = the first installed "
        "of en_core_web_lg, en_core_web_md, en_core_web_sm (none installed: NER not used, said so in the record); "
        "a package name or model folder; none = NER off",
    )

    # inventory (issue 17)
    inventory_dir: Path | None = Field(
        None,
        description="folder of inventory YAML files (third-party AI tools, foundation-model APIs, AI features, "
        "owner/purpose/tier overrides); empty = none",
    )

    @classmethod
    def settings_customise_sources(
        cls,
        settings_cls: type[BaseSettings],
        init_settings: PydanticBaseSettingsSource,
        env_settings: PydanticBaseSettingsSource,
        dotenv_settings: PydanticBaseSettingsSource,
        file_secret_settings: PydanticBaseSettingsSource,
    ) -> tuple[PydanticBaseSettingsSource, ...]:
        sources: list[PydanticBaseSettingsSource] = [init_settings, env_settings]
        path = _config_file()
        if path is not None:
            sources.append(YamlConfigSettingsSource(settings_cls, yaml_file=path))
        return tuple(sources)

    @field_validator("store_url")
    @classmethod
    def _check_store_url(cls, value: str) -> str:
        if value.startswith("s3://"):
            if not re.fullmatch(r"s3://[a-z0-9][a-z0-9.\-]{1,61}[a-z0-9](/.*)?", value):
                raise ValueError(f"{value!r} is not s3://bucket[/prefix] with a valid bucket name")
        elif "://" in value and not value.startswith("file://"):
            raise ValueError(f"{value!r}: expected a local path, file:///path or s3://bucket[/prefix]")
        return value

    @field_validator("s3_endpoint_url", "prefect_api_url")
    @classmethod
    def _check_http_url(cls, value: str | None) -> str | None:
        if value in (None, ""):
            return None
        if not re.match(r"https?://[^/\s]+", value):
            raise ValueError(f"{value!r} is not an http(s):// URL")
        return value.rstrip("/")

    # derived values -----------------------------------------------------------------------------
    @property
    def home_dir(self) -> Path:
        return self.home.expanduser().resolve()

    @property
    def effective_store_url(self) -> str:
        if not self.store_url:
            return (self.home_dir / "store").as_uri()
        if self.store_url.startswith(("s3://", "file://")):
            return self.store_url
        return Path(self.store_url).expanduser().resolve().as_uri()

    @property
    def effective_mlflow_tracking_uri(self) -> str:
        return self.mlflow_tracking_uri or f"sqlite:///{self.home_dir / 'mlflow.db'}"

    @property
    def effective_mlflow_artifact_location(self) -> str:
        return self.mlflow_artifact_location or (self.home_dir / "mlartifacts").as_uri()

    def effective_pseudonym_salt(self) -> str:
        """The configured salt, or one generated once and kept (0600) under the home folder, so that
        pseudonyms stay stable across runs and joins between anonymized tables survive."""
        if self.pseudonym_salt:
            return self.pseudonym_salt.get_secret_value()
        import secrets

        return kept_secret(self.home_dir / "pseudonym-salt", lambda: secrets.token_hex(32))

    def describe(self) -> dict[str, Any]:
        """Effective settings for display, with secrets and URL credentials masked."""
        shown: dict[str, Any] = {}
        for name in type(self).model_fields:
            value = getattr(self, name)
            if isinstance(value, SecretStr):
                value = "********"
            elif isinstance(value, Path):
                value = str(value)
            elif isinstance(value, str):
                value = mask_url(value)
            shown[name] = value
        shown["store_url"] = mask_url(self.effective_store_url)
        shown["mlflow_tracking_uri"] = mask_url(self.effective_mlflow_tracking_uri)
        shown["mlflow_artifact_location"] = mask_url(self.effective_mlflow_artifact_location)
        shown["prefect_api_url"] = (
            self.prefect_api_url or os.environ.get("PREFECT_API_URL") or "(local server started by govgate)"
        )
        shown["config_file"] = str(_config_file() or "(none)")
        return shown


def kept_secret(path: Path, generate) -> str:
    """Read a secret file, creating it first (mode 0600, never overwritten) when missing."""
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        try:
            fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        except FileExistsError:  # created concurrently by another process
            return path.read_text().strip()
        with os.fdopen(fd, "w") as f:
            f.write(generate() + "\n")
    return path.read_text().strip()


def mask_url(value: str) -> str:
    """Hide the password part of ``scheme://user:password@host`` URLs."""
    return re.sub(r"(://[^/:@\s]+):[^@/\s]+@", r"\1:********@", value)


def load_settings(**overrides: Any) -> Settings:
    """Load settings, turning validation errors into one message that names each bad setting."""
    try:
        return Settings(**overrides)
    except ValidationError as exc:
        problems = []
        for err in exc.errors():
            key = ".".join(str(p) for p in err["loc"]) or "(settings)"
            env = f"GOVGATE_{key.upper()}"
            problems.append(f"{key} ({env}): {err['msg']}")
        raise ConfigError("invalid govgate settings: " + "; ".join(problems)) from None
