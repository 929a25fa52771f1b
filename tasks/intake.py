"""Intake tasks: the answers (a YAML file, or the Prefect UI's form of a paused run), the decision tree,
the records decided under another tier, and the tier tag of a registered MLflow model."""

from __future__ import annotations

from pathlib import Path

from prefect import get_run_logger, pause_flow_run
from prefect.cache_policies import NO_CACHE
from prefect.input import RunInput

from govgate import protocol
from govgate.errors import InputError, TrackingError
from govgate.evidence_index import RecordEntry, scan_records
from govgate.intake.answers import Answers, load_answers
from govgate.intake.gate import IntakeResult, run_intake
from govgate.intake.rules import RuleBook, load_rulebook, rules_path_for
from govgate.policy import Policy
from govgate.record import slug
from tasks import context
from tasks.govgate_task import govgate_task as task


class IntakeForm(RunInput, Answers):
    """The intake questionnaire as the Prefect UI's form (the same fields and checks as the YAML file)."""


def wait_for_answers(timeout_s: int) -> tuple[Answers, str]:
    """Pause the flow run until someone submits the form in the Prefect UI (or ``resume_flow_run`` with
    ``run_input``); the answers and where they came from."""
    from prefect import runtime

    form = pause_flow_run(wait_for_input=IntakeForm, timeout=timeout_s, key=protocol.INTAKE_FORM_KEY)
    answers = Answers.model_validate(form.model_dump())
    return answers, f"prefect:flow-run/{runtime.flow_run.id}/input/{protocol.INTAKE_FORM_KEY}"


@task(name="read-intake-answers", cache_policy=NO_CACHE)
def read_answers(path: str) -> Answers:
    if not Path(path).is_file():
        raise InputError(f"intake answers file {path} does not exist")
    return load_answers(path)


@task(name="load-risk-rules", cache_policy=NO_CACHE)
def read_rules(policy: Policy, rules: str | None) -> RuleBook:
    return load_rulebook(rules or rules_path_for(policy))


def asset_records(asset_id: str) -> list[RecordEntry]:
    """Every gate record of the asset (one listing under its folder; only its own records are read)."""
    index = scan_records(context.store(), subject=slug(asset_id))
    return [e for e in index.entries if e.subject_id == asset_id]


@task(name="decide-risk-tier", cache_policy=NO_CACHE)
def assess_answers(answers: Answers, book: RuleBook, policy: Policy, source: str) -> IntakeResult:
    """The tree over the answers, and the asset's gate records decided under another tier."""
    result = run_intake(answers, book, policy, asset_records(answers.asset.id), source)
    a = result.assessment
    get_run_logger().info("intake of %s: tier %s (%s)", answers.asset.id, a.tier, a.reason)
    return result


@task(name="tag-registered-model", cache_policy=NO_CACHE)
def tag_registered_model(name: str, tier: str) -> None:
    """The registered model's ``govgate.tier`` tag says the intake's tier (refused included)."""
    client = context.tracker().client
    try:
        client.set_registered_model_tag(name, protocol.MODEL_TIER, tier)
    except Exception as exc:  # noqa: BLE001 - MLflow raises its own types; the message names the model
        raise TrackingError(
            f"registered model {name!r}: cannot set tag {protocol.MODEL_TIER} ({type(exc).__name__})"
        ) from None
