"""The intake's checks: judged by the one rule, a prohibition in force fails, one not yet in force warns,
an unknown answer makes its family inconclusive (needs review), and the decision follows."""

from __future__ import annotations

from govgate.intake.gate import run_intake
from govgate.record import decide
from tests.core.intake.test_engine import BOOK, POLICY, answers


def outcomes(result) -> dict[str, str]:
    return {c.id: c.outcome.value for c in result.checks}


def test_prohibition_in_force_fails_the_intake():
    r = run_intake(answers(practices__social_scoring=True), BOOK, POLICY, [], "a.yaml")
    assert outcomes(r)["intake.eu.prohibited"] == "fail"
    assert decide(r.checks).outcome.value == "fail" and r.record_tier(POLICY) == "high"
    assert r.outputs["risk_tier"]["tier"] == "refused"


def test_prohibition_not_yet_in_force_warns_with_its_date():
    r = run_intake(
        answers(practices__intimate_imagery_or_csam=True, intake_date="2026-11-01"), BOOK, POLICY, [], "a.yaml"
    )
    o = outcomes(r)
    assert (o["intake.eu.prohibited"], o["intake.eu.prohibited.not-yet-in-force"]) == ("pass", "warn")
    assert decide(r.checks).outcome.value == "pass"
    (pending,) = [f for f in r.findings if f.id == "intake.not-yet-in-force.eu.art5-ncii"]
    assert pending.severity.value == "high" and "from 2026-12-02 (not yet in force on 2026-11-01)" in pending.message


def test_unknown_answer_needs_review_and_names_the_key():
    r = run_intake(answers(people__interacts_with_people=None), BOOK, POLICY, [], "a.yaml")
    assert outcomes(r)["intake.eu.transparency"] == "inconclusive"
    assert decide(r.checks).outcome.value == "needs-review"
    (f,) = [f for f in r.findings if f.id == "intake.undecided.eu.art50-1"]
    assert f.location == {"file": "a.yaml", "keys": "people.interacts_with_people"}


def test_every_family_has_a_check_judged_against_its_threshold():
    r = run_intake(answers(), BOOK, POLICY, [], "a.yaml")
    families = {f"intake.{rule.family}" for rule in BOOK.rules}
    assert families <= set(outcomes(r)) and all(c.threshold is not None for c in r.checks)
    assert set(outcomes(r).values()) == {"pass"}


def test_free_text_of_the_answers_is_masked_in_the_record():
    from govgate.intake.gate import intake_subject

    a = answers(asset__purpose="rank loans; ask jane.roe@example.org, key AKIAQWERTYUIOPASDFGH", asset__name="Scorer")
    subject = intake_subject(a, None, BOOK)
    purpose = subject.attributes["purpose"]
    assert "jane.roe@example.org" not in purpose and "AKIAQWERTYUIOPASDFGH" not in purpose
    assert purpose.startswith("rank loans; ask <EMAIL_ADDRESS>, key <SECRET hmac:")
    assert subject.attributes["name"] == "Scorer"
