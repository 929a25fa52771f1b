"""What a model card says, read from a model-review record: the Model Card Toolkit's sections (model
details, intended use, factors, metrics with intervals, evaluation data, ethical considerations, caveats
and recommendations), filled from the record (its parameters, checks and outputs) and the card file the
``model_card.documentation`` check kept. The templates only lay it out.

Pure functions of the record (no I/O, no clock), like every renderer: a card can always be re-rendered
from the stored record and agree with it.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from govgate.charts import Chart, group_charts
from govgate.record import FAIRNESS_REPORT, LEGACY_FAIRNESS_CHECK, REFERENCE_DISTRIBUTIONS, Check, GateResult
from govgate.report_view import min_group_n, reading, small_groups

NOT_DOCUMENTED = "not documented"
# Overall figures shown under Metrics: (check id, metric name, plain name).
PERFORMANCE_FIGURES = (
    ("performance.accuracy", "accuracy", "Accuracy"),
    ("performance.classification", "precision", "Precision"),
    ("performance.classification", "recall", "Recall (true positive rate)"),
    ("performance.classification", "f1", "F1"),
    ("performance.classification", "selection_rate", "Selection rate (share given the favourable decision)"),
    ("performance.roc_auc", "roc_auc", "ROC AUC"),
)


@dataclass
class Figure:
    name: str
    reading: str  # "0.76 (95% CI 0.73–0.79, n=1,000)" or why it was not measured
    outcome: str
    rule: str = ""


@dataclass
class ModelCard:
    title: str
    details: list[tuple[str, str]]
    links: list[tuple[str, str]]  # (label, URL) that open in a browser
    intended_use: list[tuple[str, str]]
    factors: list[str]
    performance: list[Figure]
    fairness: list[Figure]
    worse_off: list[str]
    charts: list[tuple[str, list[Chart]]]  # (grouping, its charts)
    evaluation_data: list[tuple[str, str]]
    ethical: list[str]
    caveats: list[str]
    recommendations: list[str]
    decision: str
    reasons: list[str] = field(default_factory=list)


def _card(record: GateResult) -> tuple[dict[str, str], dict[str, Any]]:
    try:
        details = record.check("model_card.documentation").details
    except KeyError:
        return {}, {}
    return details.get("card") or {}, details.get("model") or {}


def _features(record: GateResult, model: dict[str, Any]) -> str:
    """The model's input features: from its signature (with types), else the reference distributions."""
    if model.get("features"):
        items = [f"{f['name']} ({f['type']})" if f.get("type") else f["name"] for f in model["features"]]
    else:
        items = list((record.outputs.get(REFERENCE_DISTRIBUTIONS) or {}).get("features") or {})
    return f"{len(items)}: {', '.join(items)}" if items else NOT_DOCUMENTED


def _when(record: GateResult) -> str:
    at = record.finished_at or record.started_at
    return at.strftime("%Y-%m-%d %H:%M UTC")


def _threshold_text(record: GateResult, threshold) -> str:
    if not isinstance(threshold, (int, float)):
        return NOT_DOCUMENTED
    try:
        labels_only = "returns labels" in record.check("performance.roc_auc").message
    except KeyError:
        labels_only = False
    if labels_only:
        return f"not used: the model returns labels, taken as its decisions (threshold parameter {threshold:g})"
    return f"score >= {threshold:g} gives the favourable decision"


def model_details(record: GateResult, card: dict[str, str], model: dict[str, Any]) -> list[tuple[str, str]]:
    p, s = record.parameters, record.subject
    label, pos = p.get("label"), p.get("pos_label")
    threshold = p.get("threshold")
    rows = [
        ("Name", s.id),
        ("Version", str(s.version) if s.version else NOT_DOCUMENTED),
        ("Description", card.get("description") or s.attributes.get("registry.description") or NOT_DOCUMENTED),
        ("Algorithm", card.get("algorithm") or model.get("algorithm") or NOT_DOCUMENTED),
        ("MLflow flavor", model.get("flavor") or NOT_DOCUMENTED),
        ("Features", _features(record, model)),
        ("Label and favourable label", f"{label} = {pos} is favourable" if label else NOT_DOCUMENTED),
        ("Decision threshold", _threshold_text(record, threshold)),
        ("Reviewed", f"{_when(record)}, record {record.record_id}"),
        ("Policy", f"{record.policy.name} {record.policy.version}, risk tier {record.policy.tier}"),
        ("Owners", card.get("owners") or NOT_DOCUMENTED),
        ("Training run", model.get("run_id") or NOT_DOCUMENTED),
    ]
    rows += [(k.capitalize(), card[k]) for k in ("license", "references") if card.get(k)]
    return rows


def links(record: GateResult, model: dict[str, Any]) -> list[tuple[str, str]]:
    out = []
    if model.get("run_url"):
        out.append(("MLflow training run", model["run_url"]))
    prov = record.provenance
    uri = prov.mlflow_tracking_uri or ""
    if prov.mlflow_run_id and prov.mlflow_experiment_id and uri.startswith(("http://", "https://")):
        out.append(
            (
                "MLflow review run",
                f"{uri.rstrip('/')}/#/experiments/{prov.mlflow_experiment_id}/runs/{prov.mlflow_run_id}",
            )
        )
    return out


def factors(record: GateResult, card: dict[str, str]) -> list[str]:
    """The groups the model was evaluated across: each sensitive feature, its groups and their sizes."""
    report = record.output(FAIRNESS_REPORT, LEGACY_FAIRNESS_CHECK, "report") or {}
    out = [card["factors"]] if card.get("factors") else []
    minimum = report.get("min_group_size")
    for key, feature in (report.get("features") or {}).items():
        groups = feature.get("groups") or []
        sizes = ", ".join(
            f"{g['name']} (n={g['n']:,}{', too small' if g['status'] in ('small', 'empty') else ''})" for g in groups
        )
        kind = "intersection" if " & " in key else "sensitive feature"
        out.append(f"{key} ({kind}, {len(groups)} groups): {sizes}")
    if minimum:
        out.append(f"Groups under {minimum} people are reported but not compared (too small to judge).")
    return out or [NOT_DOCUMENTED]


def _metric(checks: list[Check], check_id: str, name: str) -> tuple[Check | None, Any]:
    for c in checks:
        if c.id == check_id:
            return c, next((m for m in c.metrics if m.name == name), None)
    return None, None


def performance_figures(record: GateResult) -> list[Figure]:
    from govgate.report_view import rule_in_words

    out = []
    for check_id, name, title in PERFORMANCE_FIGURES:
        check, metric = _metric(record.checks, check_id, name)
        if check is None:
            continue
        text = reading(metric) if metric is not None and metric.value is not None else check.message
        rule = rule_in_words(check) if check.threshold and check.threshold.metric == name else ""
        out.append(Figure(title, text, check.outcome.value, rule))
    return out


def fairness_figures(record: GateResult) -> tuple[list[Figure], list[str]]:
    """Each judged disparity with its interval and outcome, and who is worse off (in words)."""
    from govgate.report_view import rule_in_words

    figures, worse = [], []
    for c in record.checks:
        if not c.id.startswith("fairness.") or c.id.startswith("fairness.groups.") or c.id == LEGACY_FAIRNESS_CHECK:
            continue
        if c.id.endswith(".vs_baseline") or c.threshold is None:
            continue
        m = c.metrics[0] if c.metrics else None
        figures.append(Figure(c.title, reading(m) if m is not None else c.message, c.outcome.value, rule_in_words(c)))
        for h in c.details.get("worse_off") or []:
            if h.get("text") and h["text"] not in worse:
                worse.append(h["text"])
    return figures, worse


def charts(record: GateResult) -> list[tuple[str, list[Chart]]]:
    min_n = min_group_n(record)
    return [
        (c.id.removeprefix("fairness.groups."), group_charts(c, min_n, small_groups(c)))
        for c in record.checks
        if c.id.startswith("fairness.groups.")
    ]


def evaluation_data(record: GateResult, card: dict[str, str]) -> list[tuple[str, str]]:
    rows = [
        (i.role, f"{i.uri} (sha256 {(i.sha256 or '')[:16]}, {i.size or 0:,} bytes)")
        for i in record.subject.inputs
        if i.role != "model"
    ]
    if isinstance(record.subject.attributes.get("rows"), int):
        rows.append(("rows evaluated", f"{record.subject.attributes['rows']:,}"))
    rows.append(("label column", str(record.parameters.get("label") or NOT_DOCUMENTED)))
    rows.append(("about the evaluation data", card.get("evaluation_data") or NOT_DOCUMENTED))
    rows.append(("training data", card.get("training_data") or NOT_DOCUMENTED))
    rows += [
        ("model artifact", f"{i.uri} (sha256 {(i.sha256 or '')[:16]})")
        for i in record.subject.inputs
        if i.role == "model"
    ]
    return rows


def ethical(record: GateResult, card: dict[str, str]) -> list[str]:
    out = [card["ethical_considerations"]] if card.get("ethical_considerations") else []
    for c in record.checks:
        if c.id == "explainability.sensitive_proxies" and c.outcome.value not in ("pass", "skipped"):
            out.append(f"Sensitive attributes and proxies among the features that drive the model: {c.message}")
    failing = [c for c in record.checks if c.category == "fairness" and c.outcome.value in ("fail", "warn")]
    if failing:
        out.append(
            f"{len(failing)} fairness check(s) failed or were uncertain; the groups worse off are listed under Metrics."
        )
    return out or [NOT_DOCUMENTED]


def caveats(record: GateResult, card: dict[str, str]) -> tuple[list[str], list[str]]:
    """Caveats (the card's limitations and caveats, what could not be judged, robustness coverage) and
    recommendations (the card's, and the remediation of each finding)."""
    out = [card[k] for k in ("limitations", "caveats") if card.get(k)]
    unsure = [c for c in record.checks if c.outcome.value == "inconclusive"]
    out += [f"Not judged: {c.title}: {c.message}" for c in unsure]
    for c in record.checks:
        if c.id == "robustness.perturbation" and c.message:
            out.append(f"Robustness: {c.message}")
    recs = [card["recommendations"]] if card.get("recommendations") else []
    for f in record.findings:
        if f.remediation and f.remediation not in recs:
            recs.append(f.remediation)
    return out or [NOT_DOCUMENTED], recs or [NOT_DOCUMENTED]


def model_card(record: GateResult) -> ModelCard:
    card, model = _card(record)
    fairness, worse = fairness_figures(record)
    cav, recs = caveats(record, card)
    version = f" version {record.subject.version}" if record.subject.version else ""
    return ModelCard(
        title=f"Model card: {record.subject.id}{version}",
        details=model_details(record, card, model),
        links=links(record, model),
        intended_use=[
            ("Intended use", card.get("intended_use") or NOT_DOCUMENTED),
            ("Out-of-scope use", card.get("out_of_scope_use") or NOT_DOCUMENTED),
        ],
        factors=factors(record, card),
        performance=performance_figures(record),
        fairness=fairness,
        worse_off=worse,
        charts=charts(record),
        evaluation_data=evaluation_data(record, card),
        ethical=ethical(record, card),
        caveats=cav,
        recommendations=recs,
        decision=record.decision.outcome.value,
        reasons=list(record.decision.reasons),
    )
