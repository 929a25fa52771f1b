from __future__ import annotations

import pytest

from govgate.errors import ConfigError
from govgate.settings import load_settings, mask_url


def test_embedded_defaults(local_settings, tmp_path):
    s = local_settings
    assert s.effective_store_url == (tmp_path / "home" / "store").as_uri()
    assert s.effective_mlflow_tracking_uri == f"sqlite:///{tmp_path / 'home' / 'mlflow.db'}"
    assert s.prefect_api_url is None
    assert s.policy.name == "default.yaml"


def test_environment_points_at_real_services(monkeypatch):
    monkeypatch.setenv("GOVGATE_STORE_URL", "s3://evidence-bucket/govgate")
    monkeypatch.setenv("GOVGATE_S3_ENDPOINT_URL", "http://minio.internal:9000/")
    monkeypatch.setenv("GOVGATE_MLFLOW_TRACKING_URI", "https://mlflow.internal")
    monkeypatch.setenv("GOVGATE_PREFECT_API_URL", "http://prefect.internal:4200/api")
    s = load_settings()
    assert s.effective_store_url == "s3://evidence-bucket/govgate"
    assert s.s3_endpoint_url == "http://minio.internal:9000"
    assert s.effective_mlflow_tracking_uri == "https://mlflow.internal"
    assert s.prefect_api_url == "http://prefect.internal:4200/api"


def test_config_file(monkeypatch, tmp_path):
    cfg = tmp_path / "govgate.yaml"
    cfg.write_text("store_url: s3://from-file-bucket\nmlflow_experiment_prefix: team-x\n")
    monkeypatch.setenv("GOVGATE_CONFIG", str(cfg))
    monkeypatch.setenv("GOVGATE_MLFLOW_EXPERIMENT_PREFIX", "from-env")  # env wins over the file
    s = load_settings()
    assert s.store_url == "s3://from-file-bucket"
    assert s.mlflow_experiment_prefix == "from-env"


def test_config_file_typo_is_an_error(monkeypatch, tmp_path):
    cfg = tmp_path / "govgate.yaml"
    cfg.write_text("stor_url: s3://x\n")
    monkeypatch.setenv("GOVGATE_CONFIG", str(cfg))
    with pytest.raises(ConfigError, match="stor_url"):
        load_settings()


@pytest.mark.parametrize(
    "name,value,expected",
    [
        ("GOVGATE_STORE_URL", "gs://bucket", "store_url .*GOVGATE_STORE_URL.*gs://bucket"),
        ("GOVGATE_STORE_URL", "s3://Bad_Bucket", "not s3://bucket"),
        ("GOVGATE_S3_ENDPOINT_URL", "minio:9000", "s3_endpoint_url .*not an http"),
        ("GOVGATE_S3_MAX_ATTEMPTS", "lots", "s3_max_attempts"),
        ("GOVGATE_PREFECT_SERVER_PORT", "99999", "prefect_server_port"),
    ],
)
def test_malformed_setting_names_the_setting(monkeypatch, name, value, expected):
    monkeypatch.setenv(name, value)
    with pytest.raises(ConfigError, match=expected):
        load_settings()


def test_missing_config_file(monkeypatch, tmp_path):
    monkeypatch.setenv("GOVGATE_CONFIG", str(tmp_path / "nope.yaml"))
    with pytest.raises(ConfigError, match="nope.yaml, which is not a file"):
        load_settings()


def test_describe_masks_secrets(monkeypatch):
    monkeypatch.setenv("GOVGATE_S3_SECRET_ACCESS_KEY", "super-secret-value")
    monkeypatch.setenv("GOVGATE_MLFLOW_TRACKING_URI", "postgresql://gov:hunter2@db:5432/mlflow")
    shown = load_settings().describe()
    text = repr(shown)
    assert "super-secret-value" not in text and "hunter2" not in text
    assert shown["s3_secret_access_key"] == "********"
    assert shown["mlflow_tracking_uri"] == "postgresql://gov:********@db:5432/mlflow"


def test_mask_url_leaves_plain_urls():
    assert mask_url("http://127.0.0.1:5000") == "http://127.0.0.1:5000"
