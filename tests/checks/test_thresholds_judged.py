"""Every threshold-bearing check of the data and model checks takes its outcome from its threshold.

Real runs on small data (no fakes): for each check that records a threshold and a numeric value, the
outcome must equal ``Threshold.judge`` of that value and its interval (several values -- one metric per
column or level -- combine to the worst verdict), made advisory where the check only flags for review,
and made worse only by the reasons the check documents beside the threshold (a datasheet declaration,
groups too small to assess, a model that raises). The oracle is written out here, apart from the code.
"""

from __future__ import annotations

import random
import string

import numpy as np
import pandas as pd
import pytest
from sklearn.tree import DecisionTreeClassifier

from govgate.checks.explainability import explainability_checks, permutation_importance_report
from govgate.checks.pii import merge_pii, pii_checks, plan_columns, scan_pii_partition
from govgate.checks.quality import generic_expectations, merge_quality, quality_checks, quality_partition
from govgate.checks.robustness import perturbation_stability, robustness_checks
from govgate.checks.secrets import merge_secrets, scan_secrets_partition, secrets_checks
from govgate.checks.sensitive import sensitive_attribute_checks
from govgate.policy import ModelReviewRules
from govgate.record import Check, Outcome

# Worst first (an oracle of its own, not the library's).
ORDER = [Outcome.ERROR, Outcome.FAIL, Outcome.INCONCLUSIVE, Outcome.WARN, Outcome.PASS]
# Checks whose breach warns: they flag for a human, the gate does not fail on them alone.
ADVISORY = (
    "data.pii.column.",
    "data.sensitive.scan",
    "robustness.perturbation.",
    "robustness.missing_values",
    "explainability.sensitive_proxies",
)


def _worst(outcomes: list[Outcome]) -> Outcome:
    return min(outcomes, key=ORDER.index)


def _documented_reasons(check: Check) -> list[Outcome]:
    """Outcomes a check documents beside its threshold (they can only make it worse)."""
    d = check.details
    reasons = []
    if d.get("declared_pii") is True and d.get("scanned"):
        reasons.append(Outcome.WARN)
    groups = d.get("groups") or []
    if any(g["status"] == "inconclusive" for g in groups):
        reasons.append(Outcome.INCONCLUSIVE)
    if any(g["status"] == "above limit" for g in groups):
        reasons.append(Outcome.WARN)
    columns = d.get("columns", []) if check.id == "robustness.missing_values" else []
    if any(c["error"] and not c.get("schema_refused") for c in columns):
        reasons.append(Outcome.WARN)  # the model raised on missing values
    if any(c.get("schema_refused") for c in columns):
        reasons.append(Outcome.INCONCLUSIVE)  # the input schema refused them: the model was not tested
    return reasons


def _judged(check: Check) -> Outcome | None:
    """What the check's threshold says of its recorded values; None when it records none to judge."""
    t = check.threshold
    values = [m for m in check.metrics if m.name == t.metric or m.name.startswith(t.metric + ".")]
    if not values or check.outcome in (Outcome.ERROR, Outcome.SKIPPED):
        return None
    verdict = _worst([t.judge(m.value, m.lower, m.upper) for m in values])
    if check.id.startswith(ADVISORY) and verdict == Outcome.FAIL:
        verdict = Outcome.WARN
    return _worst([verdict, *_documented_reasons(check)])


def assert_outcomes_judged(checks: list[Check]) -> int:
    judged = 0
    for check in checks:
        if check.threshold is None:
            continue
        expected = _judged(check)
        if expected is None:
            continue
        assert check.outcome == expected, (check.id, check.outcome, expected, check.threshold, check.metrics)
        judged += 1
    return judged


def _outcomes(checks: list[Check]) -> set[Outcome]:
    return {c.outcome for c in checks if c.threshold is not None}


# ------------------------------------------------------------------------------------------------ data


@pytest.fixture(scope="module")
def people() -> pd.DataFrame:
    rng = random.Random(7)
    rows = 60
    return pd.DataFrame(
        {
            "id": list(range(rows - 2)) + [3, 4],  # two repeated ids
            "email": [f"user{i}@example.com" if i % 3 else None for i in range(rows)],
            "age": [rng.randint(18, 90) if i % 7 else None for i in range(rows)],
            "gender": [rng.choice(["female", "male"]) for _ in range(rows)],
            "review": [
                f"Call me on 0912 345 {i:03d}, thanks" if i % 10 == 0 else "Great guitar, warm sound and easy to tune"
                for i in range(rows)
            ],
            "token": [
                "gh" + "p_" + "".join(rng.choice(string.ascii_letters) for _ in range(36)) if i == 5 else "ok"
                for i in range(rows)
            ],
        }
    )


def test_data_checks_take_their_outcomes_from_their_thresholds(people):
    frame = pd.concat([people, people.iloc[:3]], ignore_index=True)  # three duplicate rows
    sheet = [{"name": "id", "unique": True, "nullable": False}, {"name": "age", "min": 18, "max": 80}]
    suite = generic_expectations(sheet, list(frame.columns))
    quality = merge_quality(
        [quality_partition(frame.iloc[:30], suite), quality_partition(frame.iloc[30:], suite, row_offset=30)]
    )
    qchecks, _ = quality_checks(quality, max_null_fraction=0.1, max_duplicate_row_fraction=0.01)

    plan = plan_columns(frame)
    pii = merge_pii([scan_pii_partition(frame, plan, sample_rows=20, ner_model=None, seed=1)])
    pchecks, _ = pii_checks(pii, min_prevalence=0.3, ner_available=False, declared={"gender": True})
    strict, _ = pii_checks(pii, min_prevalence=0.0, ner_available=False)

    schecks, _ = secrets_checks(merge_secrets([scan_secrets_partition(frame, ["review", "token"])]), max_findings=0)
    tolerant, _ = secrets_checks(merge_secrets([scan_secrets_partition(frame, ["token"])]), max_findings=1)
    sens, _ = sensitive_attribute_checks(list(frame.columns), frame, ["age"])

    checks = [*qchecks, *pchecks, *strict, *schecks, *tolerant, *sens]
    assert assert_outcomes_judged(checks) >= 20
    # the runs reach both sides of the limits, so the comparison above is not vacuous
    assert {Outcome.PASS, Outcome.FAIL, Outcome.WARN} <= _outcomes(checks)


def test_model_checks_take_their_outcomes_from_their_thresholds():
    rng = np.random.default_rng(11)
    n = 600
    near = np.where(rng.random(n) < 0.3, rng.normal(0, 0.01, n), rng.normal(0, 3, n))
    X = pd.DataFrame({"score": near, "income": rng.normal(50, 10, n), "n_accounts": rng.integers(0, 9, n)})
    group = np.where(X["income"] > 52, "a", "b")
    group[:10] = "tiny"  # a group too small to assess
    X["proxy"] = (group == "a").astype(float) + rng.normal(0, 0.05, n)
    y = ((X["score"] > 0) ^ (X["proxy"] > 0.5)).astype(int)
    model = DecisionTreeClassifier(max_depth=4, random_state=0).fit(X, y)
    sensitive = pd.DataFrame({"group": group, "band": np.where(X["n_accounts"] > 4, "hi", "lo")})

    checks = []
    for noise in (0.001, 0.2):
        report = perturbation_stability(model, X, sensitive=sensitive, numeric_noise=noise, n_repeats=2, seed=3)
        for limit in (0.05, report.flip_rate):  # clear of the interval, then inside it (the interval straddles)
            rules = ModelReviewRules(max_flip_rate=limit, min_group_size=30)
            checks += robustness_checks(report, rules, max_missing_flip_rate=0.1)[0]
    importance = permutation_importance_report(model, X, y, n_repeats=2, seed=3)
    both = X.assign(group=group)
    checks += explainability_checks(importance, sensitive=["group"], X=both, top_k=3)[0]
    checks += explainability_checks(importance, sensitive=["group"], X=both, top_k=3, proxy_threshold=0.99)[0]

    assert assert_outcomes_judged(checks) >= 6
    assert {Outcome.PASS, Outcome.FAIL, Outcome.WARN, Outcome.INCONCLUSIVE} <= _outcomes(checks)
