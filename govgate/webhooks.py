"""Register govgate's model-registry webhook on an MLflow server (``govgate webhook install``)."""

from __future__ import annotations

from typing import Any

from govgate.bridge import check_secret
from govgate.errors import ConfigError, TrackingError

EVENTS = ["model_version.created"]


def _client(settings, tracking_uri: str | None):
    from mlflow import MlflowClient

    uri = tracking_uri or settings.mlflow_tracking_uri
    if not uri or not uri.startswith(("http://", "https://")):
        raise ConfigError(
            f"webhooks fire only from an MLflow tracking server (http(s)://...), not from {uri or 'the embedded SQLite store'}: "
            "set GOVGATE_MLFLOW_TRACKING_URI or --tracking-uri, or rely on the model-review-poll deployment instead"
        )
    return MlflowClient(tracking_uri=uri, registry_uri=uri), uri


def _all_webhooks(client) -> list:
    hooks, token = [], None
    while True:
        page = client.list_webhooks(max_results=100, page_token=token)
        hooks.extend(page)
        token = page.token
        if not token:
            return hooks


def install_webhook(
    settings, *, url: str, tracking_uri: str | None = None, name: str = "govgate-bridge", test: bool = True
) -> dict[str, Any]:
    """Create the webhook, or update the one with this name (url, events, secret), then optionally send
    MLflow's test delivery, which the bridge verifies and forwards as a ``govgate.bridge.test`` event."""
    from mlflow.exceptions import MlflowException

    check_secret(settings.bridge_secret.get_secret_value() if settings.bridge_secret else None)
    if not url.startswith(("http://", "https://")):
        raise ConfigError(f"--url {url!r}: expected the bridge's http(s)://host:port/mlflow address")
    secret = settings.bridge_secret.get_secret_value()
    client, uri = _client(settings, tracking_uri)
    try:
        existing = [h for h in _all_webhooks(client) if h.name == name]
        if existing:
            hook = client.update_webhook(existing[0].webhook_id, url=url, events=EVENTS, secret=secret, status="ACTIVE")
            action = "updated"
        else:
            hook = client.create_webhook(
                name=name,
                url=url,
                events=EVENTS,
                secret=secret,
                description="govgate: model versions -> bridge -> model-review runs",
            )
            action = "created"
        result: dict[str, Any] = {
            "name": name,
            "webhook_id": hook.webhook_id,
            "action": action,
            "events": EVENTS,
            "tracking_uri": uri,
        }
        if test:
            outcome = client.test_webhook(hook.webhook_id)
            result["test_ok"] = bool(outcome.success)
            result["test_detail"] = (
                f"(HTTP {outcome.response_status}) {outcome.error_message or outcome.response_body or ''}".strip()
            )
        return result
    except MlflowException as exc:
        raise TrackingError(f"MLflow server {uri} refused the webhook: {exc.message}") from None


def remove_webhook(settings, *, tracking_uri: str | None = None, name: str = "govgate-bridge") -> int:
    from mlflow.exceptions import MlflowException

    client, uri = _client(settings, tracking_uri)
    try:
        hooks = [h for h in _all_webhooks(client) if h.name == name]
        for hook in hooks:
            client.delete_webhook(hook.webhook_id)
        return len(hooks)
    except MlflowException as exc:
        raise TrackingError(f"MLflow server {uri}: {exc.message}") from None
