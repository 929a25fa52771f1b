"""The legal decision tree: each rule family fires with its article, exemptions, the profiling override,
the GPAI compute presumption, dates not yet in force, contradictions named by file and key."""

from __future__ import annotations

import copy
from pathlib import Path

import pytest
import yaml

from govgate.errors import InputError, PolicyError
from govgate.intake import assess, check_contradictions, load_answers, load_rulebook
from govgate.intake.answers import Answers
from govgate.intake.rules import PACKAGED_RULES
from govgate.intake.template import template
from govgate.policy import load_policy
from govgate.settings import DEFAULT_POLICY

REPO = Path(__file__).resolve().parents[3]
POLICY = load_policy(DEFAULT_POLICY)
BOOK = load_rulebook(REPO / "policies" / "risk_rules.yaml")


def base() -> dict:
    """Every question answered 'no', in the EU and Vietnam, on 2026-12-07."""
    d = yaml.safe_load(template())
    for section in ("people", "biometrics", "practices", "content", "gpai", "vn"):
        d[section] = {k: False if v is None else v for k, v in d[section].items()}
    d["gpai"].update(training_compute_flop=None, placed_on_market=None)
    d["vn"]["sector"] = "other"
    d["eu"] = {"annex_i_product": False, "annex_iii_areas": [], "art_6_3_conditions": []}
    d.update(markets=["EU", "VN"], intake_date="2026-12-07")
    return d


def answers(**changes) -> Answers:
    d = copy.deepcopy(base())
    for key, value in changes.items():
        node = d
        *path, last = key.split("__")
        for part in path:
            node = node[part]
        node[last] = value
    return Answers.model_validate(d)


def test_shipped_copies_are_the_same_file():
    assert PACKAGED_RULES.read_bytes() == (REPO / "policies" / "risk_rules.yaml").read_bytes()


def test_every_control_is_in_the_catalog():
    from govgate.controls import load_index

    known = set(load_index()["controls"])
    missing = [f"{r.framework}:{c}" for r in BOOK.rules for c in r.controls if f"{r.framework}:{c}" not in known]
    assert missing == []
    assert sum(1 for r in BOOK.rules if r.controls) >= 30


def test_all_no_is_minimal_and_low():
    a = assess(answers(), BOOK, POLICY.intake)
    assert (a.tier, a.legal_class, a.undecided) == ("low", "minimal", [])
    assert a.regimes["eu-ai-act"]["class"] == "minimal"
    assert a.regimes["vn-ai-law-134-2025"]["class"] == "low"
    assert a.risk_tier()["citations"] == [
        "eu-ai-act Art. 2(1)",
        "vn-ai-law-134-2025 Law 134/2025/QH15 (AI systems developed, provided or used in Vietnam)",
        "vn-ai-law-134-2025 Art. 9 (low risk)",
    ]


PROHIBITED = [
    ("practices__manipulative_techniques", "eu.art5-1-a", "Art. 5(1)(a)"),
    ("practices__exploits_vulnerabilities", "eu.art5-1-b", "Art. 5(1)(b)"),
    ("practices__social_scoring", "eu.art5-1-c", "Art. 5(1)(c)"),
    ("practices__crime_risk_profiling_only", "eu.art5-1-d", "Art. 5(1)(d)"),
    ("practices__untargeted_face_scraping", "eu.art5-1-e", "Art. 5(1)(e)"),
    ("biometrics__categorises_sensitive_traits", "eu.art5-1-g", "Art. 5(1)(g)"),
    ("vn__unlawful_training_data", "vn.art7-3", "Art. 7(3)"),
    ("vn__defeats_oversight_or_labels", "vn.art7-4-5", "Art. 7(4)-(5)"),
]


@pytest.mark.parametrize(("key", "rule", "citation"), PROHIBITED)
def test_prohibited_practice_refuses(key, rule, citation):
    a = assess(answers(**{key: True}), BOOK, POLICY.intake)
    assert a.tier == "refused" and a.legal_class == "prohibited"
    assert a.deciding.rule.id == rule and a.deciding.rule.citation == citation and a.deciding.in_force


def test_emotion_at_work_prohibited_unless_medical_or_safety():
    on = {
        "people__personal_data": True,
        "biometrics__emotion_recognition": True,
        "practices__emotion_at_work_or_school": True,
    }
    a = assess(answers(**on), BOOK, POLICY.intake)
    assert a.deciding.rule.citation == "Art. 5(1)(f)" and a.tier == "refused"
    b = assess(answers(**on, practices__emotion_for_medical_or_safety=True), BOOK, POLICY.intake)
    assert b.tier == "high" and "eu.art5-1-f" not in [f.rule.id for f in b.fired]
    assert {"eu.annex3-1", "eu.art50-3"} <= {f.rule.id for f in b.fired}


def test_realtime_rbi_prohibited_unless_authorised_exception():
    on = {"people__personal_data": True, "biometrics__remote_identification": True}
    a = assess(answers(**on, biometrics__realtime_public_law_enforcement=True), BOOK, POLICY.intake)
    assert a.deciding.rule.citation == "Art. 5(1)(h)"
    b = assess(
        answers(**on, biometrics__realtime_public_law_enforcement=True, practices__rbi_authorised_exception=True),
        BOOK,
        POLICY.intake,
    )
    assert b.tier == "high" and b.deciding.rule.id == "eu.annex3-1"


AREAS = [
    ("biometrics", 1),
    ("critical_infrastructure", 2),
    ("education", 3),
    ("employment", 4),
    ("essential_services", 5),
    ("law_enforcement", 6),
    ("migration", 7),
    ("justice_democracy", 8),
]


@pytest.mark.parametrize(("area", "point"), AREAS)
def test_annex_iii_area_is_high_risk_from_2027_12_02(area, point):
    a = assess(answers(people__personal_data=True, eu__annex_iii_areas=[area]), BOOK, POLICY.intake)
    assert a.tier == "high" and a.deciding.rule.id == f"eu.annex3-{point}"
    assert a.deciding.rule.citation.startswith(f"Art. 6(2), Annex III point {point} ")
    assert (a.deciding.in_force, a.deciding.binds_from.isoformat()) == (False, "2027-12-02")
    assert a.regimes["eu-ai-act"] | {"rules": None, "undecided": None} == {
        "class": "high-risk",
        "rule": f"eu.annex3-{point}",
        "citation": a.deciding.rule.citation,
        "applies_from": "2027-12-02",
        "in_force": False,
        "rules": None,
        "undecided": None,
    }


def test_annex_i_product_is_high_risk_from_2028_08_02():
    a = assess(answers(eu__annex_i_product=True), BOOK, POLICY.intake)
    assert (a.tier, a.deciding.rule.citation, a.deciding.binds_from.isoformat()) == (
        "high",
        "Art. 6(1), Annex I",
        "2028-08-02",
    )


@pytest.mark.parametrize(
    ("condition", "rule"),
    [
        ("narrow_procedural_task", "eu.art6-3-a"),
        ("improves_completed_human_activity", "eu.art6-3-b"),
        ("detects_patterns_without_replacing_review", "eu.art6-3-c"),
        ("preparatory_task", "eu.art6-3-d"),
    ],
)
def test_art_6_3_exemption_lifts_annex_iii_without_profiling(condition, rule):
    a = assess(answers(eu__annex_iii_areas=["employment"], eu__art_6_3_conditions=[condition]), BOOK, POLICY.intake)
    fired = [f.rule.id for f in a.fired]
    assert rule in fired and "eu.annex3-4" not in fired
    assert a.tier == "low" and a.regimes["eu-ai-act"]["class"] == "minimal"


def test_profiling_keeps_annex_iii_high_risk_despite_exemption():
    a = assess(
        answers(
            people__personal_data=True,
            people__profiling=True,
            eu__annex_iii_areas=["essential_services"],
            eu__art_6_3_conditions=["preparatory_task"],
        ),
        BOOK,
        POLICY.intake,
    )
    fired = [f.rule.id for f in a.fired]
    assert "eu.art6-3-d" not in fired and {"eu.annex3-5", "eu.art6-3-profiling"} <= set(fired)
    assert a.tier == "high" and a.deciding.rule.citation == "Art. 6(3), third subparagraph"


@pytest.mark.parametrize(
    ("changes", "rule", "citation", "binds"),
    [
        ({"people__interacts_with_people": True}, "eu.art50-1", "Art. 50(1)", "2026-08-02"),
        ({"content__generates_synthetic_media": True}, "eu.art50-2", "Art. 50(2)", "2026-08-02"),
        (
            {"content__generates_synthetic_media": True, "in_service_since": "2026-05-01"},
            "eu.art50-2",
            "Art. 50(2)",
            "2026-12-02",
        ),
        ({"people__personal_data": True, "biometrics__categorisation": True}, "eu.art50-3", "Art. 50(3)", "2026-08-02"),
        (
            {"content__generates_synthetic_media": True, "content__deep_fake": True},
            "eu.art50-4",
            "Art. 50(4)",
            "2026-08-02",
        ),
        ({"content__public_interest_text": True}, "eu.art50-4", "Art. 50(4)", "2026-08-02"),
    ],
)
def test_transparency_duties(changes, rule, citation, binds):
    a = assess(answers(**changes), BOOK, POLICY.intake)
    hit = next(f for f in a.fired if f.rule.id == rule)
    assert (hit.rule.citation, hit.binds_from.isoformat()) == (citation, binds)
    assert a.tier in ("medium", "high")


def test_public_interest_text_under_editorial_review_is_not_art_50_4():
    a = assess(answers(content__public_interest_text=True, content__human_editorial_review=True), BOOK, POLICY.intake)
    assert "eu.art50-4" not in [f.rule.id for f in a.fired]


@pytest.mark.parametrize(
    ("flop", "designated", "tier", "rule"),
    [
        (1e24, False, "medium", "eu.art53"),
        (1e25, False, "medium", "eu.art53"),  # the presumption is "greater than" 10^25
        (3e25, False, "high", "eu.art51-2"),
        (1e23, True, "high", "eu.art51-1-b"),
    ],
)
def test_gpai_systemic_risk_threshold(flop, designated, tier, rule):
    a = assess(
        answers(gpai__is_gpai_model=True, gpai__training_compute_flop=flop, gpai__commission_designated=designated),
        BOOK,
        POLICY.intake,
    )
    assert (a.tier, a.deciding.rule.id) == (tier, rule)


def test_gpai_placed_before_august_2025_binds_from_2027():
    a = assess(answers(gpai__is_gpai_model=True, gpai__placed_on_market="2025-03-01"), BOOK, POLICY.intake)
    assert (a.deciding.rule.citation, a.deciding.binds_from.isoformat(), a.deciding.in_force) == (
        "Art. 53(1)",
        "2027-08-02",
        False,
    )


def test_prohibition_not_yet_in_force_is_reported_not_applied():
    early = assess(answers(practices__intimate_imagery_or_csam=True, intake_date="2026-11-30"), BOOK, POLICY.intake)
    hit = next(f for f in early.fired if f.rule.id == "eu.art5-ncii")
    assert (hit.in_force, hit.binds_from.isoformat()) == (False, "2026-12-02")
    assert early.tier == "high"  # counted as high-risk until it binds, never refused early, never dropped
    late = assess(answers(practices__intimate_imagery_or_csam=True, intake_date="2026-12-02"), BOOK, POLICY.intake)
    assert late.tier == "refused"


@pytest.mark.parametrize(
    ("since", "sector", "binds"),
    [(None, "other", "2026-03-01"), ("2025-06-01", "health", "2027-09-01"), ("2025-06-01", "other", "2027-03-01")],
)
def test_vietnam_high_risk_with_art_35_transition(since, sector, binds):
    a = assess(answers(vn__significant_harm=True, vn__sector=sector, in_service_since=since), BOOK, POLICY.intake)
    hit = next(f for f in a.fired if f.rule.id == "vn.art9-high")
    assert (hit.rule.citation, hit.binds_from.isoformat()) == ("Art. 9 (high risk)", binds)
    assert a.regimes["vn-ai-law-134-2025"]["class"] == "high" and a.tier == "high"


def test_vietnam_medium_is_transparency_tier():
    a = assess(answers(vn__may_mislead_users_about_ai=True), BOOK, POLICY.intake)
    assert a.regimes["vn-ai-law-134-2025"]["class"] == "medium" and a.tier == "medium"


def test_unknown_answer_leaves_rules_undecided_not_no():
    a = assess(answers(practices__social_scoring=None), BOOK, POLICY.intake)
    assert [(u.rule.id, u.unknown) for u in a.undecided] == [("eu.art5-1-c", ("practices.social_scoring",))]


def test_outside_both_markets_nothing_applies():
    a = assess(answers(markets=[]), BOOK, POLICY.intake)
    assert a.regimes["eu-ai-act"]["class"] == "out of scope" and a.tier == "low"


CONTRADICTIONS = [
    (
        {"people__personal_data": False, "biometrics__remote_identification": True},
        "people.personal_data=false, biometrics.remote_identification=true",
    ),
    ({"people__personal_data": False, "people__profiling": True}, "people.personal_data=false, people.profiling=true"),
    ({"markets": ["VN"], "eu__annex_iii_areas": ["employment"]}, "markets=['VN'], eu.annex_iii_areas=['employment']"),
    ({"markets": ["VN"], "eu__annex_i_product": True}, "markets=['VN'], eu.annex_i_product=true"),
    (
        {"gpai__is_gpai_model": False, "gpai__training_compute_flop": 2e25},
        "gpai.is_gpai_model=false, gpai.training_compute_flop=2e+25",
    ),
    ({"markets": ["EU"], "vn__significant_harm": True}, "markets=['EU'], vn.significant_harm=true"),
]


@pytest.mark.parametrize(("changes", "named"), CONTRADICTIONS)
def test_contradicting_answers_name_the_file_and_keys(changes, named, tmp_path):
    d = answers(**changes).model_dump(mode="json")
    path = tmp_path / "answers.yaml"
    path.write_text(yaml.safe_dump(d))
    with pytest.raises(InputError) as err:
        check_contradictions(load_answers(path), BOOK, str(path))
    assert str(err.value).startswith(f"{path}: contradicting answers: {named}: ")


def test_unknown_key_names_file_and_key(tmp_path):
    d = base()
    d["people"]["personal_dta"] = True
    path = tmp_path / "typo.yaml"
    path.write_text(yaml.safe_dump(d))
    with pytest.raises(InputError, match=rf"^{path}: people.personal_dta: unknown key"):
        load_answers(path)


def test_not_a_bool_is_refused(tmp_path):
    d = base()
    d["people"]["profiling"] = "maybe"
    path = tmp_path / "bad.yaml"
    path.write_text(yaml.safe_dump(d))
    with pytest.raises(InputError, match=r"people.profiling: Input should be a valid boolean"):
        load_answers(path)


def test_rules_file_naming_a_later_rule_is_refused(tmp_path):
    text = (
        (REPO / "policies" / "risk_rules.yaml")
        .read_text()
        .replace(
            "when: {all: [{fired: eu.scope}, {answer: practices.manipulative_techniques, is: true}]}",
            "when: {all: [{fired: eu.annex3-1}, {answer: practices.manipulative_techniques, is: true}]}",
        )
    )
    path = tmp_path / "rules.yaml"
    path.write_text(text)
    with pytest.raises(
        PolicyError, match=r"rules.1.when.all.0: fired names \['eu.annex3-1'\], which is not a rule above"
    ):
        load_rulebook(path)


def test_template_validates_and_names_every_key():
    text = template()
    Answers.model_validate(yaml.safe_load(text))
    assert "annex_iii_areas: null  # Annex III areas" in text and "training_compute_flop: null" in text


def test_unknown_market_leaves_a_rule_undecided_through_its_scope():
    a = assess(answers(markets=None, people__interacts_with_people=True), BOOK, POLICY.intake)
    undecided = {u.rule.id: u.unknown for u in a.undecided}
    assert undecided["eu.art50-1"] == ("markets",)  # through {fired: eu.scope}, which needs markets
    assert "eu.art5-1-a" not in undecided  # answered "no": false whatever the market (three-valued all)
