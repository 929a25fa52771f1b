"""intake: which risk tier does the law give this AI asset, and why?

The answers (a YAML file, or, without one, the Prefect UI's form of the paused run) go through the legal
decision tree of policy (EU AI Act, Vietnam AI Law, each rule with its article) to a tier; a prohibited
practice fails the intake (the asset is refused). Gate records of the asset decided under another tier are
findings of the new record. A registered MLflow model gets the tier as its govgate.tier tag.
"""

from __future__ import annotations

from prefect import flow

from govgate.intake.gate import intake_subject
from govgate.protocol import INTAKE
from tasks.gate_run import GateRun
from tasks.intake import assess_answers, read_answers, read_rules, tag_registered_model, wait_for_answers

GATE = INTAKE


@flow(name="intake", log_prints=True)
def intake(answers: str | None = None, rules: str | None = None, form_timeout_s: int = 3600) -> dict:
    """Assign an AI asset its risk tier from intake answers, by the legal decision tree, and record it.

    Args:
        answers: intake answers YAML (`govgate intake template` prints one); none: the run pauses for the form.
        rules: the decision tree (default: the policy's intake.rules, else the copy govgate ships).
        form_timeout_s: how long a paused run waits for the form, in seconds.
    """
    params = {"answers": answers, "rules": rules, "form_timeout_s": form_timeout_s}
    with GateRun(GATE, intake_subject(None, answers), params) as run:
        policy = run.load_policy()
        book = read_rules(policy, rules)
        given, source = (read_answers(answers), answers) if answers else wait_for_answers(form_timeout_s)
        run.subject = intake_subject(given, source, book)
        result = assess_answers(given, book, policy, source)
        run.use_tier(result.record_tier(policy))
        decision = run.decide(result.checks)
        decision.reasons.insert(0, result.why())  # the tier and the article that gave it, first
        published = run.finish(result.checks, findings=result.findings, outputs=result.outputs, decision=decision)
        if given.asset.registered_model and published["decision"] in ("pass", "fail"):
            tag_registered_model(given.asset.id, result.assessment.tier)
    print(
        f"intake of {given.asset.id}: tier {result.assessment.tier}, {published['decision']} ({published['report_uri']})"
    )
    return run.final_state({**published, "tier": result.assessment.tier, "reason": result.assessment.reason})
