"""The reassessment gate's tasks: which versions are deployed, the approved baseline and the version's
status, the fresh data of the window, regression against the baseline (the model review's own
performance and fairness tasks, then ``govgate.checks.baseline`` comparisons), drift, incidents and the
table artifact of judged metrics. Thin wrappers: the logic is in ``govgate.reassessment`` and the checks.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

import pandas as pd
from prefect import get_run_logger
from prefect.artifacts import create_table_artifact
from prefect.cache_policies import NO_CACHE

from govgate import protocol
from govgate.policy import Tier, load_policy
from govgate.reassessment import (
    Baseline,
    FreshData,
    Target,
    Window,
    approval_check,
    deployed_targets,
    find_baseline,
    load_fresh_data,
    overdue_check,
    problem_check,
)
from govgate.reassessment.freshdata import ROW_DATE, schema_problems
from govgate.record import (
    FAIRNESS_REPORT,
    REFERENCE_DISTRIBUTIONS,
    AssetKind,
    Check,
    Finding,
    InputDigest,
    Outcome,
    Severity,
    Subject,
)
from tasks import context
from tasks.govgate_task import govgate_task as task

METRICS_ARTIFACT = protocol.REASSESSMENT_METRICS_ARTIFACT


@dataclass
class Assessment:
    """What one version's reassessment has found so far: checks, findings, named outputs."""

    target: Target
    checks: list[Check] = field(default_factory=list)
    findings: list[Finding] = field(default_factory=list)
    outputs: dict[str, Any] = field(default_factory=dict)
    baseline: Baseline | None = None
    fresh: FreshData | None = None

    def add(self, checks: list[Check], findings: list[Finding | None] = ()) -> None:
        self.checks += checks
        self.findings += [f for f in findings if f is not None]

    def problem(self, cid: str, title: str, message: str) -> None:
        check, finding = problem_check(cid, title, message)
        self.add([check], [finding])


@task(name="find-deployed-versions", cache_policy=NO_CACHE)
def find_targets(model: str | None, tier: str | None, alias: str | None) -> list[Target]:
    """Every version the alias marks as deployed (one model, one tier, or all)."""
    policy = load_policy(context.settings().policy)
    if tier:
        policy.tier(tier)  # an unknown tier is a PolicyError naming it
    alias = alias or policy.tier(tier).reassessment.deployed_alias
    client = context.tracker().client
    targets = deployed_targets(client, alias, model=model, tier=tier, default_tier=policy.default_tier)
    get_run_logger().info(
        "%d deployed version(s) under alias %r: %s", len(targets), alias, ", ".join(t.label for t in targets) or "none"
    )
    return targets


def subject(target: Target, fresh: FreshData | None = None) -> Subject:
    uris = [f"models:/{target.model}/{target.version}" if target.version else f"models:/{target.model}@{target.alias}"]
    inputs = list(fresh.inputs) if fresh else []
    attributes = {"alias": target.alias, **({"fresh_rows": len(fresh.frame)} if fresh else {})}
    return Subject(
        kind=AssetKind.MODEL,
        id=target.model,
        version=target.version,
        uris=uris + ([fresh.location] if fresh else []),
        inputs=inputs,
        attributes=attributes,
    )


@task(name="version-status", cache_policy=NO_CACHE)
def version_status(target: Target, rules: Tier, now: datetime) -> tuple[Baseline | None, list[Check], list[Finding]]:
    """The alias resolves, the version passed a model review (its baseline record readable, digest
    checked), and it was reassessed recently enough."""
    if target.version is None:
        check, finding = problem_check(
            "reassessment.alias",
            "The deployment alias points to a model version",
            target.problem or "the alias points nowhere",
        )
        return None, [check], [finding]
    from govgate.reassessment.baseline import last_passing_review

    latest = target.tags.get(protocol.gate_tag(protocol.MODEL_REVIEW, protocol.DECISION))
    earlier = (
        last_passing_review(context.tracker(), target.model, target.version) if latest not in (None, "pass") else None
    )
    baseline = find_baseline(context.store(), target.model, target.version, target.tags, earlier)
    approved, unapproved = approval_check(baseline, rules.reassessment)
    checks, findings = [approved], [unapproved]
    if baseline.approved and baseline.problem:
        check, finding = problem_check(
            "reassessment.baseline", "The baseline record is complete and unchanged", baseline.problem
        )
        checks.append(check)
        findings.append(finding)
    last = target.tags.get(protocol.gate_tag(protocol.REASSESSMENT, protocol.RECORD_ID))
    if target.tags.get(protocol.gate_tag(protocol.REASSESSMENT, protocol.DECISION)) == "error":
        last = None  # a reassessment that could not run does not count as one
    approval = baseline.ref.record_id if baseline.approved else None
    overdue, late = overdue_check(last, approval, now, rules.reassessment)
    return baseline, checks + [overdue], [f for f in findings + [late] if f is not None]


def assess_status(target: Target, rules: Tier, now: datetime) -> Assessment:
    baseline, checks, findings = version_status(target, rules, now)
    a = Assessment(target, baseline=baseline)
    a.add(checks, findings)
    return a


def data_location(target: Target, rules: Tier, data: str | None) -> str | None:
    """The flow's parameter, else the version's (or registered model's) tag, else the policy's template."""
    location = data or target.tags.get(protocol.MODEL_REASSESSMENT_DATA) or rules.reassessment.data
    return location.replace("{model}", target.model) if location else None


def review_parameters(a: Assessment) -> dict:
    """The baseline review's label, sensitive features, favourable label and threshold."""
    return dict(a.baseline.record.parameters) if a.baseline and a.baseline.record else {}


def sensitive_specs(a: Assessment) -> list[str]:
    return [s for s in review_parameters(a).get("sensitive") or [] if s]


@task(name="fresh-data", cache_policy=NO_CACHE)
def read_fresh_data(location: str, window: Window, required: list[str]) -> FreshData:
    return load_fresh_data(location, window, context.settings(), required)


def assess_fresh_data(a: Assessment, rules: Tier, data: str | None, as_of: date) -> FreshData | None:
    """Read the window's files; every problem becomes an error check and a finding (never a pass).
    None when there is nothing usable to reassess on."""
    from tasks.model_review import _EXPR  # the review's own spelling of a split (age>=25)

    if a.target.version is None:
        return None
    location = data_location(a.target, rules, data)
    if not location:
        a.problem(
            "reassessment.data",
            "Fresh data is available",
            f"no fresh data location for {a.target.label}: set the {protocol.MODEL_REASSESSMENT_DATA} tag "
            "or the policy's reassessment.data",
        )
        return None
    window = Window(as_of, rules.reassessment.window_days, rules.reassessment.label_delay_days)
    reference = (a.baseline.record.outputs.get(REFERENCE_DISTRIBUTIONS) or {}).get("features") or {}
    required = list(reference) + [(m[1] if (m := _EXPR.match(s)) else s) for s in sensitive_specs(a)]
    fresh = read_fresh_data(location, window, required)
    if not fresh.problems:
        fresh.problems += schema_problems(fresh.frame, reference, location)
    a.fresh = fresh
    a.outputs["fresh_data"] = fresh.summary()
    for i, message in enumerate(fresh.problems):
        a.problem("reassessment.data" + (f".{i + 1}" if i else ""), "Fresh data is usable", message)
    return None if fresh.problems else fresh


# ------------------------------------------------------------------------------------ regression


def _no_labels(reason: str) -> Check:
    return Check(
        id="reassessment.regression",
        title="Performance and fairness no worse than the baseline",
        category="reassessment",
        outcome=Outcome.INCONCLUSIVE,
        message=f"regression not measured: {reason}; drift stands in",
    )


@dataclass
class Scoring:
    """The version's predictions on the fresh data, as the baseline review made them."""

    X: pd.DataFrame
    values: Any  # scores (or decisions) of every row: the predictions whose drift is tested
    groups: pd.DataFrame
    req: Any
    model: Any
    out: Any  # the model's output (ModelOutput), or the precomputed prediction column
    decisions: Any = None  # 0/1 decisions of every row (classification)
    scores: Any = None  # scores of every row, when the model gives them


def review_request(a: Assessment, data: str):
    """The baseline review's request, on other data: same label, groups, favourable label, threshold."""
    from tasks.model_review import ReviewRequest

    p = review_parameters(a)
    return ReviewRequest(
        model_uri=f"models:/{a.target.model}/{a.target.version}" if p.get("model_uri") else None,
        data=data,
        label=p.get("label") or "",
        sensitive=sensitive_specs(a),
        prediction_column=p.get("prediction_column"),
        score_column=p.get("score_column"),
        features=p.get("features"),
        pos_label=str(p.get("pos_label", "1")),
        threshold=float(p.get("threshold", 0.5)),
        task_type=p.get("task_type") or "classification",
    )


def decisions_scores(out, req) -> tuple[Any, Any]:
    """0/1 decisions and scores (None when the model gives none) of a model output, without labels, as
    the review's ``score_predictions`` reads them."""
    from govgate.checks.stats import decisions_and_scores, scores_to_decisions
    from govgate.model_output import PROBABILITIES, ModelOutput
    from tasks.model_review import typed_label

    reading = out.reading if isinstance(out, ModelOutput) else None
    if reading is not None and reading.kind == PROBABILITIES:
        if reading.multiclass:
            return (out.values.astype(str) == str(req.pos_label)).to_numpy(dtype="int8"), None
        return scores_to_decisions(out.scores, req.threshold), out.scores
    pred = pd.Series(out.values if reading else out).reset_index(drop=True)
    return decisions_and_scores(pred, typed_label(req.pos_label, pred), req.threshold)


def rows_of(out, keep):
    """The model output of the rows ``keep`` selects."""
    from dataclasses import replace

    from govgate.model_output import ModelOutput

    if isinstance(out, ModelOutput):
        scores = None if out.scores is None else out.scores[keep]
        return replace(out, values=out.values[keep].reset_index(drop=True), scores=scores)
    return pd.Series(out)[keep].reset_index(drop=True)


def score_frame(a: Assessment, frame: pd.DataFrame, data: str) -> Scoring:
    """Run the deployed version on ``frame`` (or read the precomputed column), as the review did."""
    from tasks.model_review import features_and_predictions, find, load, sensitive_groups

    req = review_request(a, data)
    model = load(find(req.model_uri), req.pos_label) if req.model_uri else None
    X, out = features_and_predictions(model, frame, req)
    d = scores = None
    if req.task_type == "classification":
        d, scores = decisions_scores(out, req)
        values = scores if scores is not None else d
    else:
        values = pd.to_numeric(pd.Series(getattr(out, "values", out)), errors="coerce").to_numpy()
    groups, _, _ = sensitive_groups(frame, req.sensitive, data)
    return Scoring(X.reset_index(drop=True), values, groups, req, model, out, d, scores)


def score_fresh(a: Assessment, fresh: FreshData) -> Scoring:
    frame = fresh.frame.drop(columns=[ROW_DATE, protocol.REASSESSMENT_DATE_COLUMN], errors="ignore")
    return score_frame(a, frame, fresh.location)


def assess_regression(a: Assessment, fresh: FreshData, s: Scoring, rules: Tier) -> None:
    """Where outcomes have matured: the review's performance and fairness tasks on the fresh rows, each
    figure compared with the baseline record's (one-sided, intervals, the tier's tolerance)."""
    from govgate.checks.fairness import baseline_checks
    from govgate.checks.performance import performance_baseline_checks
    from tasks.model_checks import fairness, performance
    from tasks.model_review import EvalData, baseline_report, score_predictions

    label = s.req.label
    if not label or label not in fresh.frame.columns:
        a.add([_no_labels(f"the fresh data has no outcome column {label!r}")])
        return
    keep = (fresh.mature & fresh.frame[label].notna()).to_numpy()
    if not keep.any():
        a.add([_no_labels(f"no outcomes older than the label delay ({fresh.window.label_delay_days} days) yet")])
        return
    rows = fresh.frame[keep].reset_index(drop=True)
    digest = InputDigest(
        uri=fresh.location, sha256=_combined(fresh), size=sum(f["size"] for f in fresh.files), role="fresh data"
    )
    ev = EvalData(rows, digest, s.groups[keep].reset_index(drop=True), sensitive_specs(a))
    scored = score_predictions(s.model, rows, rows_of(s.out, keep), s.req)
    mr, ra, record = rules.model_review, rules.reassessment, a.baseline.record
    current = performance(scored, ev, mr)
    fair, report = fairness(scored, ev, mr)
    a.outputs[FAIRNESS_REPORT] = report.to_dict()
    compared = performance_baseline_checks(current, record.checks, ra.max_performance_drop, ref=a.baseline.ref)
    compared += baseline_checks(report, baseline_report(record) or {}, ra.max_fairness_regression, ref=a.baseline.ref)
    worse = [c for c in compared if c.outcome == Outcome.FAIL]
    a.add(current + fair + compared, [_regression_finding(c) for c in worse])
    a.outputs["labelled_rows"] = int(keep.sum())
    reconcile_estimates(a, a.outputs[FAIRNESS_REPORT], current, rules)


def _combined(fresh: FreshData) -> str:
    from govgate.digest import sha256_bytes

    return sha256_bytes("\n".join(f"{f['uri']} {f['sha256']}" for f in fresh.files).encode())


def _regression_finding(check: Check) -> Finding:
    return Finding(
        id=f"regression.{check.id}",
        severity=Severity.HIGH,
        category=check.category,
        message=f"regression against the approved baseline: {check.message}",
        check_id=check.id,
        remediation="investigate the regression (incident opened); retrain or roll back the version",
    )


@task(name="estimated-performance", cache_policy=NO_CACHE)
def estimated_performance(
    ref_labels, ref_scores, ref_groups, scores, decisions, groups: pd.DataFrame, threshold: float
):
    """CBPE per group (``govgate.checks.estimated``): calibration learnt and checked (overall and per
    group) on the approved review's rows."""
    from govgate.checks.estimated import estimate_performance

    return estimate_performance(
        ref_labels, ref_scores, scores, decisions=decisions, groups=groups, threshold=threshold,
        reference_groups=ref_groups,
    )  # fmt: skip


def _not_estimated(reason: str, outcome: Outcome = Outcome.INCONCLUSIVE) -> Check:
    return Check(
        id="reassessment.estimated",
        title="Performance estimated from calibrated scores (estimated)",
        category="performance",
        outcome=outcome,
        message=f"performance not estimated: {reason}",
    )


def reference_scoring(a: Assessment) -> tuple[Any, Any, pd.DataFrame] | str:
    """The approved review's own evaluation rows (digest checked against its record), scored again by the
    version: the labels, scores and groups the calibration is learnt and checked on. A reason when they
    cannot be had."""
    from govgate.checks.stats import binary_labels
    from tasks.model_review import load_eval_data, typed_label

    record = a.baseline.record
    req = review_request(a, review_parameters(a).get("data") or "")
    if not req.data:
        return "the baseline record names no evaluation data to learn the calibration on"
    extra = [c for c in (req.prediction_column, req.score_column) if c]
    ev = load_eval_data(req.data, req.label, req.sensitive, extra)
    approved = {i.sha256 for i in record.subject.inputs if i.role == "evaluation data"}
    if approved and ev.digest.sha256 not in approved:
        return f"the evaluation data {req.data} changed since approval (digest differs from the baseline record)"
    scoring = score_frame(a, ev.frame, req.data)
    if scoring.scores is None:
        return "the model gives no scores on the evaluation data"
    labels = binary_labels(ev.frame[req.label], typed_label(req.pos_label, ev.frame[req.label]), req.label)
    return labels, scoring.scores, scoring.groups


def assess_estimated(a: Assessment, fresh: FreshData, s: Scoring, rules: Tier) -> None:
    """Rows whose outcomes have not arrived: accuracy, TPR, FPR and precision per group estimated from the
    scores (calibration checked first), against the approved values, marked estimated, with intervals."""
    from govgate.checks.estimated_checks import estimated_baseline_checks
    from govgate.reassessment.figures import approved_values, is_estimate
    from tasks.model_review import baseline_report

    if s.scores is None:
        return a.add([_not_estimated("the model gives decisions, not scores: nothing to estimate from")])
    label = s.req.label
    known = fresh.mature & fresh.frame[label].notna() if label in fresh.frame.columns else fresh.mature & False
    waiting = (~known).to_numpy()
    if not waiting.any():
        return a.add([_not_estimated("every outcome has arrived: the realized figures are judged", Outcome.SKIPPED)])
    reference = reference_scoring(a)
    if isinstance(reference, str):
        return a.add([_not_estimated(reference)])
    groups = s.groups[waiting].reset_index(drop=True)
    est = estimated_performance(*reference, s.scores[waiting], s.decisions[waiting], groups, s.req.threshold)
    record = a.baseline.record
    approved = approved_values(baseline_report(record), record.checks)
    tolerance = rules.reassessment.max_performance_drop
    compared = estimated_baseline_checks(est, approved, tolerance, ref=a.baseline.ref)
    worse = [c for c in compared if is_estimate(c) and c.outcome == Outcome.FAIL]
    a.add(compared, [_regression_finding(c) for c in worse])
    a.outputs["estimated_rows"] = int(waiting.sum())
    a.outputs["estimated_figures"] = estimated_figures(est)


def estimated_figures(est) -> dict:
    """Every group's estimates, judged or not (F1 and ROC AUC have no per-group baseline): numbers only."""
    return {
        g.group: {
            name: {"value": m.value, "lower": m.lower, "upper": m.upper, "n": m.n} for name, m in g.metrics.items()
        }
        for g in est.groups.values()
    }


def reconcile_estimates(a: Assessment, report: dict, current: list[Check], rules: Tier) -> None:
    """Labels have matured: the version's last reassessment that estimated figures without them is
    reconciled with the realized ones (was the estimated regression confirmed?)."""
    from govgate.checks.estimated_checks import reconcile_checks
    from govgate.reassessment.figures import earlier_estimates, group_figures
    from govgate.reassessment.trends import past_records

    record_id, estimated = earlier_estimates(past_records(context.store(), a.target.model, a.target.version))
    if not estimated:
        return
    realized = group_figures(report, current)
    tolerance = rules.reassessment.max_performance_drop
    checks = reconcile_checks(estimated, realized, tolerance, ref=a.baseline.ref)
    a.add([c.model_copy(update={"details": {**c.details, "estimated_record": record_id}}) for c in checks])
    a.outputs["reconciled_with"] = record_id


# ------------------------------------------------------------------------------------ drift


@task(name="drift", cache_policy=NO_CACHE)
def drift(outputs: dict, current: pd.DataFrame, groups: list[str], **options) -> tuple[list[Check], list[Finding]]:
    """Features and predictions of the fresh data against the baseline review's recorded reference (its
    fine ``drift_profile``, else the coarse ``reference_distributions``), overall and per protected group."""
    from govgate.checks.drift import detect_drift
    from govgate.checks.drift.profile import baseline_profile

    profile = baseline_profile(outputs)
    if not profile.groups:  # a coarse reference has none: per-group drift is said inconclusive, never passed
        profile.groups = list(groups)
    return detect_drift(profile, [current], **options)


def assess_drift(a: Assessment, s: Scoring) -> None:
    """Drift against the baseline's recorded reference; inconclusive (never a pass) where it cannot run."""
    from govgate.checks.drift import PREDICTION

    extra = s.groups[[c for c in s.groups.columns if c not in s.X.columns]].reset_index(drop=True)
    current = pd.concat([s.X, extra], axis=1).assign(**{PREDICTION: s.values})
    checks, findings = drift(a.baseline.record.outputs, current, list(s.groups.columns))
    a.add(checks, findings)


# ------------------------------------------------------------------------------------ the whole version


def assess_version(a: Assessment, rules: Tier, data: str | None, as_of: date) -> None:
    """With a readable approved baseline: fresh data, then regression where labels exist, and drift.
    Without one there is nothing to compare the data with: the status checks name why."""
    if a.target.version is None:
        return
    if a.baseline is None or a.baseline.record is None or a.baseline.problem:
        a.add([_no_labels("there is no readable approved baseline to compare with")])
        return
    fresh = assess_fresh_data(a, rules, data, as_of)
    if fresh is None:
        return
    scoring = score_fresh(a, fresh)
    assess_regression(a, fresh, scoring, rules)
    assess_estimated(a, fresh, scoring, rules)
    assess_drift(a, scoring)


# ------------------------------------------------------------------------------------ incidents


def record_uri(gate_run) -> str:
    """Where this run's record will be published (the evidence layout is fixed by the record id)."""
    from govgate.record import slug

    t = gate_run.subject
    prefix = f"{protocol.EVIDENCE_PREFIX}{slug(t.id)}/{slug(t.version or 'unversioned')}/{gate_run.gate}/"
    return context.store().uri(f"{prefix}{gate_run.record_id}/{protocol.RECORD_JSON}")


def _regressed(c: Check) -> bool:
    from govgate.reassessment.figures import is_estimate

    return c.id.endswith(".vs_baseline") or is_estimate(c)


CAUSES = {  # incident cause -> which failed checks make it (a hard drift failure is dataset drift)
    "regression": _regressed,
    "drift": lambda c: c.id.startswith("drift.dataset"),
}


def legal_scope(target: Target) -> tuple[list, list]:
    """Jurisdictions from the version's (or model's) ``govgate.jurisdictions`` tag, and the incident kind:
    a regression or drift of a deployed model there may be a serious incident (EU AI Act Art. 3(49), e.g.
    a fundamental-rights infringement), so the clocks start at once; a person may close it as not one."""
    from govgate.errors import InputError
    from govgate.incidents import IncidentKind, Jurisdiction

    names = [j.strip().upper() for j in (target.tags.get(protocol.MODEL_JURISDICTIONS) or "").split(",") if j.strip()]
    try:
        jurisdictions = [Jurisdiction(j) for j in names]
    except ValueError:
        known = [j.value for j in Jurisdiction]
        raise InputError(f"tag {protocol.MODEL_JURISDICTIONS}={names}: unknown jurisdiction; known: {known}") from None
    return jurisdictions, [IncidentKind.SERIOUS_INCIDENT] if jurisdictions else []


def open_incidents(a: Assessment, evidence_uri: str) -> None:
    """One incident per cause (regression, drift) on this version; a re-run finds the open one and opens
    none. The incidents (new or already open) are named in the record's outputs."""
    from govgate.incidents import Asset
    from tasks.incidents import open_incident_task

    if a.target.version is None:
        return
    jurisdictions, kinds = legal_scope(a.target)
    opened = []
    for cause, is_cause in CAUSES.items():
        failed = [c for c in a.checks if c.outcome == Outcome.FAIL and is_cause(c)]
        if not failed:
            continue
        summary = f"{cause} of {a.target.model} version {a.target.version}: " + "; ".join(c.id for c in failed[:5])
        result = open_incident_task(
            asset=Asset(kind=AssetKind.MODEL, id=a.target.model, version=a.target.version),
            cause=protocol.REASSESSMENT_INCIDENT_CAUSE + cause,
            summary=summary,
            severity=Severity.HIGH,
            by="govgate reassessment",
            evidence=[evidence_uri],
            kinds=kinds,
            jurisdictions=jurisdictions,
            source="reassessment",
        )
        opened.append({**result, "cause": cause, "checks": [c.id for c in failed]})
    a.outputs["incidents"] = opened


# ------------------------------------------------------------------------------------ the metrics table


def metrics_rows(checks: list[Check], report: dict | None, baseline: dict | None) -> list[dict]:
    """Every judged comparison with the baseline, then each group's rates now and at the baseline."""
    rows = []
    for c in checks:
        if not c.id.endswith(".vs_baseline"):
            continue
        m = {x.name: x for x in c.metrics}
        now = m.get("current")
        rows.append(
            {
                "check": c.id,
                "group": "",
                "outcome": c.outcome.value,
                "now": None if now is None else now.value,
                "interval": "" if now is None or now.lower is None else f"[{now.lower:.4f}, {now.upper:.4f}]",
                "baseline": m["baseline"].value if "baseline" in m else None,
                "limit": c.threshold.value if c.threshold else None,
            }
        )
    old = ((baseline or {}).get("features")) or {}
    for key, f in ((report or {}).get("features") or {}).items():
        before = {g["name"]: g for g in (old.get(key) or {}).get("groups", [])}
        for g in f.get("groups", []):
            for name, est in (g.get("metrics") or {}).items():
                was = ((before.get(g["name"]) or {}).get("metrics") or {}).get(name) or {}
                lo, hi = est.get("lower"), est.get("upper")
                rows.append(
                    {
                        "check": f"fairness.{key}.{name}",
                        "group": g["name"],
                        "outcome": "",
                        "now": est.get("value"),
                        "interval": f"[{lo:.4f}, {hi:.4f}]" if lo is not None else "",
                        "baseline": was.get("value"),
                        "limit": None,
                    }
                )
    return rows


@task(name="metrics-table", cache_policy=NO_CACHE)
def metrics_table(a: Assessment, result: dict) -> str | None:
    """A Prefect table artifact of the judged metrics per group (now, interval, baseline, limit)."""
    from tasks.model_review import baseline_report

    base = baseline_report(a.baseline.record) if a.baseline and a.baseline.record else None
    rows = metrics_rows(a.checks, a.outputs.get(FAIRNESS_REPORT), base)
    if not rows:
        return None
    return str(
        create_table_artifact(
            key=METRICS_ARTIFACT,
            table=rows,
            description=f"{a.target.label}: judged metrics against the baseline (record {result.get('record_id')})",
        )
    )


# ------------------------------------------------------------------------------------ trends


def trend_files(a: Assessment):
    """The record's trends: names the ``REASSESSMENT_TRENDS`` output in ``a.outputs`` (each judged metric
    per group over the version's past reassessments and this one, drawn in the record's report; called as
    the record is finished, after every check is in) and returns the extra files: ``trends.html``."""
    from govgate.reassessment.trends import TRENDS_FILE, past_records, trend_series, trends_page
    from govgate.record import REASSESSMENT_TRENDS

    past = past_records(context.store(), a.target.model, a.target.version) if a.target.version else []
    if a.target.version is not None:
        a.outputs[REASSESSMENT_TRENDS] = trend_series(past, a.checks, outputs=a.outputs)

    def files(record) -> dict[str, bytes]:
        if a.target.version is None:
            return {}
        title = f"{a.target.model} version {a.target.version}: reassessments against the baseline"
        page = trends_page(title, past, a.checks, f"{record.started_at:%Y-%m-%d %H:%M} (this run)")
        return {TRENDS_FILE: page} if page else {}

    return files


# ------------------------------------------------------------------------------------ the run's end state

WORST_FIRST = ("error", "fail", "needs-review", "pass")


def batch_state(results: list[dict], failed: list[bool], tier: str | None):
    """The flow run's end state over every version it reassessed: Failed when any version's decision is in
    its tier's ``fail_run_on``, carrying the result list; the run named and tagged by the decisions."""
    from prefect.states import Completed, Failed

    decisions = [r["decision"] for r in results]
    worst = next((d for d in WORST_FIRST if d in decisions), None)
    counts = ", ".join(f"{decisions.count(d)} {d}" for d in WORST_FIRST if d in decisions)
    _label_flow_run(*batch_label(decisions, tier))
    message = f"{len(results)} version(s) reassessed" + (f": {counts}" if counts else "")
    state_name = protocol.RUN_STATE_NAMES.get(worst, "Passed") if worst else "No deployed versions"
    return (Failed if any(failed) else Completed)(name=state_name, message=message, data=results)


def batch_label(decisions: list[str], tier: str | None) -> tuple[str, list[str]]:
    """The flow run's name (``reassessment: 3 versions -> FAIL``, the worst decision) and its tags (one
    ``decision:<d>`` per decision seen)."""
    from govgate.summary import decision_label, run_tags

    worst = next((d for d in WORST_FIRST if d in decisions), None)
    name = f"{protocol.REASSESSMENT}: {len(decisions)} version{'s' if len(decisions) != 1 else ''}"
    name += f" -> {decision_label(worst)}" if worst else " (none deployed)"
    return name, run_tags(protocol.REASSESSMENT, tier) + [
        protocol.RUN_TAG_DECISION + d for d in dict.fromkeys(decisions)
    ]


def _label_flow_run(name: str, tags: list[str]) -> None:
    """Name and tag the current flow run for all its versions (each GateRun labelled it for one)."""
    from uuid import UUID

    from prefect import runtime
    from prefect.client.orchestration import get_client

    run_id = runtime.flow_run.id
    if not run_id:
        return
    own = (protocol.RUN_TAG_GATE, protocol.RUN_TAG_DECISION, protocol.RUN_TAG_TIER)
    try:
        with get_client(sync_client=True) as client:
            current = client.read_flow_run(UUID(str(run_id)))
            kept = [t for t in current.tags if not t.startswith(own)]
            client.update_flow_run(current.id, name=name, tags=list(dict.fromkeys([*kept, *tags])))
    except Exception as exc:  # noqa: BLE001 - the label is a convenience, the records are the evidence
        get_run_logger().warning("could not name and tag flow run %s in Prefect: %s", run_id, exc)
