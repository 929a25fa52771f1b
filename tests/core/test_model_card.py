"""The model card: the Model Card Toolkit's sections, filled from a model-review record built from real
check results on the German credit data and a card file (owners as a YAML list must print as text)."""

from __future__ import annotations

import re
from datetime import UTC, datetime

import numpy as np
import pandas as pd
import pytest

from govgate.checks.fairness import fairness_checks, fairness_report
from govgate.checks.performance import classification_checks
from govgate.gate import build_record
from govgate.policy import ModelReviewRules, load_policy
from govgate.record import FAIRNESS_REPORT, AssetKind, InputDigest, Subject, decide
from govgate.render import render_model_card
from govgate.settings import DEFAULT_POLICY

FEATURES = ["month", "credit_amount", "age"]
SECTIONS = (
    "Model details",
    "Intended use",
    "Factors",
    "Metrics",
    "Evaluation data",
    "Ethical considerations",
    "Caveats and recommendations",
)
CARD = """\
intended_use: Rank consumer loan applications for manual review
out_of_scope_use: Fully automated rejection
limitations: Trained on 1,000 historical German applications from the 1990s
owners: [credit-risk-ml@bank.example, model-risk@bank.example]
ethical_considerations: Sex is derived from personal_status; the data predates current lending law
caveats: Age bands are coarse
recommendations: Review declined applicants under 25 by hand
"""


@pytest.fixture(scope="module")
def record(tmp_path_factory, shared_data):
    from sklearn.linear_model import LogisticRegression

    from tasks.model_checks import card_documentation

    df = pd.read_csv(shared_data / "german_credit" / "german.csv")
    y = (df["credit"] == 1).astype(int).to_numpy()
    pred = LogisticRegression(max_iter=1000).fit(df[FEATURES], y).predict(df[FEATURES])
    sens = pd.DataFrame(
        {
            "sex": np.where(df["personal_status"].isin(["A92", "A95"]), "female", "male"),
            "age>=25": np.where(df["age"] >= 25, "yes", "no"),
        }
    )
    rules = ModelReviewRules(min_group_size=120, min_accuracy=0.7)
    report = fairness_report(y, pred, sens, min_group_size=120, n_boot=200)
    checks = classification_checks(y, pred, None, rules=rules, n_boot=200, confidence=0.95)
    fair, findings = fairness_checks(report, rules)
    card_file = tmp_path_factory.mktemp("card") / "card.yaml"
    card_file.write_text(CARD)
    card = card_documentation.fn(str(card_file), None)
    # what the task adds from a loaded model (tests/ui covers it with a real MLflow model)
    card.details["model"] = {
        "flavor": "sklearn",
        "algorithm": "LogisticRegression",
        "features": [{"name": f, "type": "long"} for f in FEATURES],
        "run_id": "0123abcd",
        "run_url": "http://127.0.0.1:5000/#/experiments/1/runs/0123abcd",
    }
    checks += fair + [card]
    return build_record(
        gate="model-review",
        subject=Subject(
            kind=AssetKind.MODEL,
            id="credit-scorer",
            version="3",
            inputs=[InputDigest(uri="german_eval.csv", sha256="ab" * 32, size=51234, role="evaluation data")],
            attributes={"rows": len(df)},
        ),
        policy=load_policy(DEFAULT_POLICY),
        tier="high",
        started_at=datetime(2026, 12, 7, 20, 0, tzinfo=UTC),
        checks=checks,
        findings=findings,
        decision=decide(checks),
        parameters={"label": "credit", "pos_label": "1", "threshold": 0.5, "sensitive": ["sex", "age>=25"]},
        outputs={FAIRNESS_REPORT: report.to_dict()},
    )


def test_markdown_card_has_every_section_filled_from_record_and_card(record):
    md = render_model_card(record, "md")
    for section in SECTIONS:
        assert f"\n## {section}\n" in md, section
    # model details: name, version, algorithm, flavor, features, favourable label, threshold, date, run link
    assert "| Name | credit-scorer |" in md and "| Version | 3 |" in md
    assert "| Algorithm | LogisticRegression |" in md and "| MLflow flavor | sklearn |" in md
    assert "| Features | 3: month (long), credit_amount (long), age (long) |" in md
    assert "| Label and favourable label | credit = 1 is favourable |" in md
    # a labels-only model: the threshold is not what turns its output into decisions, and the card says so
    assert "| Decision threshold | not used: the model returns labels, taken as its decisions" in md
    assert "| Reviewed | " in md and f"record {record.record_id}" in md
    assert "<http://127.0.0.1:5000/#/experiments/1/runs/0123abcd>" in md
    # owners as text, never a Python list
    assert "| Owners | credit-risk-ml@bank.example, model-risk@bank.example |" in md and "['" not in md
    assert "Rank consumer loan applications for manual review" in md and "Fully automated rejection" in md
    # factors: each sensitive feature and the intersection, with group sizes and the small ones marked
    assert "sex & age>=25 (intersection, 4 groups)" in md and "too small" in md
    # metrics with intervals, and who is worse off
    assert "| Accuracy | 0." in md and "95% CI" in md
    assert "demographic parity difference by sex" in md and "Who is worse off:" in md
    assert "receive the favourable decision (1) less often" in md
    # evaluation data, ethics, caveats and recommendations from the card and the record
    assert "german_eval.csv (sha256 abababababababab, 51,234 bytes)" in md and "| rows evaluated | 1,000 |" in md
    assert "Sex is derived from personal_status" in md
    assert "Trained on 1,000 historical German applications" in md and "Age bands are coarse" in md
    assert "Review declined applicants under 25 by hand" in md
    assert "Not judged: Metrics by group: sex & age>=25" in md  # the small cells, inconclusive


def test_html_card_charts_every_judged_group_metric(record):
    html = render_model_card(record, "html")
    for section in SECTIONS:
        assert f"<h2>{section}</h2>" in html, section
    # selection rate, TPR and FPR by group for sex, age>=25 and their intersection, with limit lines
    assert html.count('<svg xmlns="http://www.w3.org/2000/svg" class="chart"') == 9
    assert html.count("selection rate by group") == 3 and html.count("false positive rate by group") == 3
    assert "line: where the limit falls" in html and 'stroke-dasharray="5 3"' in html
    # exactly the two small cells of the intersection are marked, in each of its 3 charts (a group whose
    # rate rests on fewer than 120 negatives is not a small group), and the pattern is defined
    assert html.count('fill="url(#small-hatch)"') == 6 and 'id="small-hatch"' in html
    assert re.search(r"limit &gt;= 0\.\d{1,3}</text>", html)  # the line's value, rounded to 3 decimals
    assert '<a href="http://127.0.0.1:5000/#/experiments/1/runs/0123abcd">' in html
    assert "credit-risk-ml@bank.example, model-risk@bank.example" in html and "[&#39;" not in html
