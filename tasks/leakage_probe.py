"""The leakage probe as a Prefect task: the built-in probes and the user's probe file, run through a model
that returns text; skipped (saying so) for a model that returns labels, scores or numbers."""

from __future__ import annotations

from prefect.cache_policies import NO_CACHE

from govgate.checks.leakage import BUILTIN, Probe
from govgate.modeling import LoadedModel
from govgate.record import Check, Outcome
from tasks import context
from tasks.govgate_task import govgate_task as task


@task(name="leakage", cache_policy=NO_CACHE)
def leakage(model: LoadedModel | None, probes: list[Probe], text_output: bool) -> list[Check]:
    """Per-probe, redacted evidence of what the model leaked; fingerprints keyed like the data review's."""
    if text_output and model is not None:
        from govgate.checks.leakage import leakage_checks

        key = context.settings().effective_pseudonym_salt().encode()
        return leakage_checks(model, probes, key=key)
    user = sorted({p.source for p in probes if p.source != BUILTIN})
    return [
        Check(
            id="leakage.probe",
            title="Leakage probe",
            category="leakage",
            outcome=Outcome.SKIPPED,
            message="tabular model: the leakage probe applies to generative models that return text"
            + (f"; the probe file {', '.join(user)} was not used" if user else ""),
        )
    ]
