"""The registration fallback: review model versions that no webhook event has reviewed.

MLflow setups without webhooks (an embedded SQLite store, an older server) and deliveries that were lost
still get every new version reviewed: this scheduled flow finds registered versions without a
``govgate.model_review.decision`` tag and runs the model review for each. A grace period leaves versions
that the event path is reviewing right now alone.
"""

from __future__ import annotations

from prefect import flow, get_run_logger
from prefect.artifacts import create_table_artifact

from flows.model_review import model_review
from govgate.errors import InputError
from govgate.protocol import MODEL_REVIEW
from tasks.model_review import find_unreviewed_versions


@flow(name="model-review-poll", log_prints=True)
def model_review_poll(
    models: list[str] | None = None,
    since_days: int = 30,
    grace_minutes: int = 10,
    max_reviews: int = 10,
) -> dict:
    """Find registered model versions that have no model review yet and review them.

    Args:
        models: registered model names to watch (default: every registered model).
        since_days: only versions registered in the last N days.
        grace_minutes: skip versions younger than this (the registration event is probably reviewing them).
        max_reviews: review at most this many versions per run (the rest wait for the next run).
    """
    logger = get_run_logger()
    if since_days < 1 or grace_minutes < 0 or max_reviews < 1:
        raise InputError(
            f"since_days={since_days}, grace_minutes={grace_minutes}, max_reviews={max_reviews}: "
            "expected since_days >= 1, grace_minutes >= 0, max_reviews >= 1"
        )
    pending = find_unreviewed_versions(MODEL_REVIEW, models, since_days, grace_minutes)
    logger.info("%d model version(s) without a review; reviewing %d now", len(pending), min(len(pending), max_reviews))
    rows = []
    for name, version in pending[:max_reviews]:
        state = model_review(model_name=name, model_version=version, return_state=True)
        result = state.result(raise_on_failure=False)
        decision = result.get("decision") if isinstance(result, dict) else "error"
        rows.append(
            {
                "model": name,
                "version": version,
                "decision": decision,
                "report": result.get("report_uri", "") if isinstance(result, dict) else str(state.message),
            }
        )
    create_table_artifact(
        key="model-review-poll",
        table=rows or [{"model": "", "version": "", "decision": "nothing to review", "report": ""}],
        description=f"model versions reviewed by the fallback poll ({len(pending)} found, {len(rows)} reviewed)",
    )
    return {"found": len(pending), "reviewed": rows, "left": max(0, len(pending) - max_reviews)}
