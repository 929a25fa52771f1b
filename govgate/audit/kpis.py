"""Governance KPIs from records, the inventory and incidents: each a numerator over a denominator in a period.

Every KPI says what its numerator and denominator count. Nothing is made up: a KPI with nothing to count
has denominator 0 (its value is None, shown as "no data", never 0% or 100%), with a note saying why.
Times are means: numerator = total hours (or seconds), denominator = how many. The period is [start, end)
by the record's start time (a record id carries it), unless a KPI says otherwise. ``docs/audit-coverage-and-kpis.md``
defines each KPI.
"""

from __future__ import annotations

import hashlib
from bisect import bisect_right
from collections.abc import Iterable
from datetime import UTC, datetime, timedelta

from govgate import protocol
from govgate.audit.coverage import decided_at, record_kinds
from govgate.audit.types import KPI
from govgate.errors import GovgateError
from govgate.evidence_index import EvidenceIndex, RecordEntry

EVALUATION_GATES = (protocol.DATA_REVIEW, protocol.MODEL_REVIEW, protocol.REASSESSMENT)
APPROVING_GATES = (protocol.MODEL_REVIEW, protocol.LAUNCH_EVIDENCE)
REGRESSION_KINDS = ("model_review", "fairness_eval", "robustness_eval")
MAX_DETAILS = 50  # items named behind a figure


class Records:
    """Verified records, grouped by subject once: a KPI looks up one model's records many times, and a
    scan over every record per lookup would not scale to 100,000 records."""

    def __init__(self, entries: list[RecordEntry]):
        self.entries = entries
        self._by_subject: dict[str, list[RecordEntry]] = {}
        self._kinds: dict[str, frozenset[str]] = {}
        for e in entries:
            self._by_subject.setdefault(e.subject_id, []).append(e)

    def of(self, subject: str, version: str | None = None) -> list[RecordEntry]:
        """A subject's records of ``version`` (all versions when None) and its records without a version
        (an intake is about the system, not one version), in start order."""
        return [e for e in self._by_subject.get(subject, ()) if version is None or e.subject_version in (None, version)]

    def kinds(self, e: RecordEntry) -> frozenset[str]:
        """``record_kinds`` of a record, worked out once (launches and releases ask for the same records)."""
        if e.record_id not in self._kinds:
            self._kinds[e.record_id] = frozenset(record_kinds(e))
        return self._kinds[e.record_id]


def _kpi(kpi_id, name, num, den, start, end, num_means, den_means, **kw) -> KPI:
    return KPI(
        id=kpi_id,
        name=name,
        numerator=num,
        denominator=den,
        period_start=start,
        period_end=end,
        numerator_means=num_means,
        denominator_means=den_means,
        **kw,
    )


def _hours(a: datetime, b: datetime) -> float:
    return (b - a).total_seconds() / 3600


def _cap(items: list) -> list:
    return items[:MAX_DETAILS]


def load_incidents(store, as_of: datetime | None = None) -> tuple[list, list[str]]:
    """Every incident folded at ``as_of``, from one listing of ``incidents/``; an incident whose events do
    not read or fold is named in the problems (the others still count)."""
    from govgate.incidents.fold import fold
    from govgate.incidents.model import IncidentEvent

    keys: dict[str, list[str]] = {}
    for info in store.list(protocol.INCIDENTS_PREFIX):
        keys.setdefault(info.key[len(protocol.INCIDENTS_PREFIX) :].split("/", 1)[0], []).append(info.key)
    found, problems = [], []
    for incident, its_keys in sorted(keys.items()):
        try:
            events = sorted((IncidentEvent.model_validate(store.get_json(k)) for k in its_keys), key=lambda e: e.seq)
            found.append(fold(events, as_of))
        except (GovgateError, ValueError) as exc:
            problems.append(f"incident {incident}: {type(exc).__name__}: {str(exc)[:200]}")
    return found, problems


def compute_kpis(
    index: EvidenceIndex,
    *,
    start: datetime,
    end: datetime,
    policy,
    store,
    inventory: dict | None = None,
    now: datetime | None = None,
    incidents: list | None = None,
    reruns: list[tuple[RecordEntry, RecordEntry]] | None = None,
) -> list[KPI]:
    """Every governance KPI over [start, end). ``index`` should reach back before ``start`` (approvals and
    baselines a KPI measures from); ``incidents`` default to the store's; ``reruns``: (record, its re-run)
    pairs for the re-run agreement KPI (default: the re-run records of the period, paired from the index)."""
    now = now or datetime.now(UTC)
    problems: list[str] = []
    if incidents is None:
        incidents, problems = load_incidents(store, now) if store is not None else ([], ["no store: no incidents"])
    # a record that no longer verifies counts as no evidence: left out of every figure and named
    not_verifying = [
        f"{e.record_id}: {e.problems[0]}" for e in index.entries if not e.verified and start <= e.started_at < end
    ]
    records = Records([e for e in index.entries if e.verified])
    in_period = [e for e in records.entries if start <= e.started_at < end]
    kpis = [
        evaluations_on_time(records, start, end, policy, inventory, now),
        prerelease_coverage(records, in_period, start, end, policy),
        reproducibility(in_period, start, end),
        rerun_agreement(reruns, start, end) if reruns is not None else rerun_agreement_from_records(index, start, end),
        evidence_package_completeness(in_period, start, end),
        fairness_detection_hours(records, start, end),
        incident_triage_hours(incidents, start, end, now),
        incident_close_hours(incidents, start, end, now),
        drift_alert_precision(records, incidents, start, end, policy),
        documentation_freshness(records, in_period, start, end, policy),
        governance_sla(in_period, start, end, policy),
        pipeline_runtime(in_period, start, end),
    ]
    unreadable = [f"{u.prefix}: {u.reason}" for u in index.unreadable]
    for k in kpis:
        if unreadable:
            k.details["unreadable_records"] = _cap(unreadable)
        if not_verifying:
            k.details["not_verifying_records"] = _cap(not_verifying)
        if problems and k.id.startswith(("incident_", "drift_")):
            k.details["unreadable_incidents"] = _cap(problems)
    return kpis


def month_periods(start: datetime, end: datetime) -> list[tuple[datetime, datetime]]:
    """Calendar months (UTC) covering [start, end), the first and last cut to the range."""
    out, cur = [], start
    while cur < end:
        nxt = (cur.replace(day=1, hour=0, minute=0, second=0, microsecond=0) + timedelta(days=32)).replace(day=1)
        out.append((cur, min(nxt, end)))
        cur = min(nxt, end)
    return out


def kpi_series(
    index: EvidenceIndex,
    *,
    periods: Iterable[tuple[datetime, datetime]],
    policy,
    store,
    inventory: dict | None = None,
    now: datetime | None = None,
    incidents: list | None = None,
) -> dict[str, list[KPI]]:
    """Each KPI per period (for trend charts): {kpi id: [KPI of period 1, period 2, ...]}; incidents read once."""
    now = now or datetime.now(UTC)
    if incidents is None and store is not None:
        incidents = load_incidents(store, now)[0]
    series: dict[str, list[KPI]] = {}
    for a, b in periods:
        for k in compute_kpis(
            index, start=a, end=b, policy=policy, store=store, inventory=inventory, now=now, incidents=incidents or []
        ):
            series.setdefault(k.id, []).append(k)
    return series


# --- evaluations on time -------------------------------------------------------------------------------


def _deployed(inventory: dict) -> list[tuple[str, str | None, str | None]]:
    """(model name, version, tier) of each deployed model in the inventory (ids ``model:<name>/<version>``)."""
    out = []
    for a in inventory.get("assets") or ():
        if a.get("status") == "deployed" and a.get("kind") in ("model", "model_version"):
            name, _, version = str(a.get("id", "")).split(":", 1)[-1].partition("/")
            out.append((name, version or None, a.get("tier")))
    return out


def evaluations_on_time(records: Records, start, end, policy, inventory, now) -> KPI:
    """Scheduled reassessment slots (the tier's cron, for each deployed model approved before the slot)
    whose grace period has passed, and those with a reassessment record started within it."""
    from cronsim import CronSim

    name = "Evaluation runs completed on time"
    num_means = "scheduled reassessment slots with a reassessment record (not error) started within the grace period"
    den_means = "scheduled reassessment slots in the period (tier cron, deployed and approved models, grace passed)"
    if inventory is None:
        return _kpi("evaluations_on_time", name, 0, 0, start, end, num_means, den_means,
                    details={"note": "no inventory snapshot: which models are deployed is unknown"})  # fmt: skip
    grace = timedelta(hours=policy.audit.reassessment_grace_hours)
    num, den, missed = 0, 0, []
    for model, version, tier in _deployed(inventory):
        its = records.of(model, version)
        approved = [decided_at(e) for e in its if e.gate in APPROVING_GATES and e.decision == "pass"]
        runs = [e.started_at for e in its if e.gate == protocol.REASSESSMENT and e.decision != "error"]
        rules = _tier(policy, tier)
        if rules is None:
            missed.append(
                f"{model} v{version}: tier {tier!r} is not in policy {policy.name}; its slots are not counted"
            )
            continue
        slots = CronSim(rules.reassessment.cron, start - timedelta(seconds=1))
        for slot in slots:
            if slot >= end or slot + grace > now:
                break
            if not approved or min(approved) > slot:
                continue
            den += 1
            if any(slot <= r <= slot + grace for r in runs):
                num += 1
            else:
                missed.append(f"{model} v{version}: due {slot.isoformat()}")
    return _kpi("evaluations_on_time", name, num, den, start, end, num_means, den_means,
                details={"missed": _cap(missed)})  # fmt: skip


# --- pre-release coverage, package completeness, documentation freshness --------------------------------


def _tier(policy, name: str | None):
    """The policy's rules for a tier (its default tier when the record or asset names none); None for a
    tier the policy does not define (a record judged by another policy): counted nowhere, named instead."""
    return policy.tiers.get(name or policy.default_tier)


def _launches(in_period: list[RecordEntry], decisions=("pass", "fail", "needs-review")) -> list[RecordEntry]:
    return [e for e in in_period if e.gate == protocol.LAUNCH_EVIDENCE and e.decision in decisions]


def _shown_before(records: Records, launches: list[RecordEntry]) -> dict[str, frozenset[str]]:
    """Per launch record id: the kinds its model version's records showed up to it (one pass per version)."""
    ids = {launch.record_id for launch in launches}
    out: dict[str, frozenset[str]] = {}
    for subject, version in {(launch.subject_id, launch.subject_version) for launch in launches}:
        shown: set[str] = set()
        for e in records.of(subject, version):  # in start order
            shown |= records.kinds(e)
            if e.record_id in ids:
                out[e.record_id] = frozenset(shown)
    return out


def prerelease_coverage(records: Records, in_period, start, end, policy) -> KPI:
    """Over launches in the period: the tier's required evidence kinds shown by a verified record of the
    same model version (at or before the launch, the launch's own checks included), of all the required kinds."""
    num, den, gaps = 0, 0, []
    launches = _launches(in_period)
    shown_before = _shown_before(records, launches)
    for launch in launches:
        tier = _tier(policy, launch.tier)
        if tier is None:
            gaps.append(f"{launch.record_id}: tier {launch.tier!r} is not in policy {policy.name}; not counted")
            continue
        required = set(tier.required_evidence)
        shown = shown_before[launch.record_id]
        num, den = num + len(required & shown), den + len(required)
        if required - shown:
            gaps.append(f"{launch.record_id} ({launch.subject_id} v{launch.subject_version}, tier {launch.tier}): "
                        f"missing {sorted(required - shown)}")  # fmt: skip
    return _kpi(
        "prerelease_coverage",
        "Pre-release coverage",
        num,
        den,
        start,
        end,
        "required evidence kinds shown by a verified, passing or warned check before the launch",
        "required evidence kinds of each launch's tier, summed over launch-evidence records in the period",
        details={"gaps": _cap(gaps)},
    )


def evidence_package_completeness(in_period, start, end) -> KPI:
    """Launch records in the period whose package was sealed and holds every required kind."""
    complete, incomplete = 0, []
    launches = _launches(in_period)
    for launch in launches:
        sealed = any(c.evidence_kind == "evidence_package" and c.outcome == "pass" for c in launch.checks)
        short = [
            c.id
            for c in launch.checks
            if c.id.startswith("launch.evidence.") and c.outcome in ("fail", "inconclusive", "error")
        ]
        if launch.verified and sealed and not short:
            complete += 1
        else:
            why = (
                short
                + ([] if sealed else ["package not sealed"])
                + ([] if launch.verified else ["record does not verify"])
            )
            incomplete.append(f"{launch.record_id}: {', '.join(why)}")
    return _kpi(
        "evidence_package_completeness",
        "Evidence package completeness",
        complete,
        len(launches),
        start,
        end,
        "launch records (verified) with a sealed package and no required evidence missing or failing",
        "launch-evidence records in the period (error runs excluded)",
        details={"incomplete": _cap(incomplete)},
    )


def documentation_freshness(records: Records, in_period, start, end, policy) -> KPI:
    """Releases (passing launch records) whose model card was updated within N days before the release: a
    record of another gate with a passing model_card check (the launch's own check only says a card exists)."""
    days = policy.audit.model_card_max_age_days
    fresh, stale = 0, []
    releases = _launches(in_period, ("pass",))
    cards: dict[tuple, list[datetime]] = {}
    for rel in releases:
        key = (rel.subject_id, rel.subject_version)
        if key not in cards:
            cards[key] = sorted(
                decided_at(e)
                for e in records.of(*key)
                if e.gate != protocol.LAUNCH_EVIDENCE and "model_card" in records.kinds(e)
            )
        before = cards[key][: bisect_right(cards[key], rel.started_at)]
        if before and before[-1] >= rel.started_at - timedelta(days=days):
            fresh += 1
        else:
            last = before[-1].date().isoformat() if before else "never"
            stale.append(f"{rel.record_id} ({rel.subject_id} v{rel.subject_version}): model card last updated {last}")
    return _kpi(
        "documentation_freshness",
        "Documentation freshness",
        fresh,
        len(releases),
        start,
        end,
        f"releases whose model card was updated within {days} days before the release",
        "releases: passing launch-evidence records in the period",
        details={"stale": _cap(stale)},
    )


# --- reproducibility ------------------------------------------------------------------------------------


def pinning(e: RecordEntry) -> list[str]:
    """What a record leaves unpinned (empty: re-runnable exactly). Seeds: a ``seed`` parameter, or, without
    one, the house rule that every random draw is seeded from the inputs, so the seeds are pinned when the
    inputs are."""
    missing = []
    inputs_pinned = bool(e.inputs) and all(i.get("sha256") for i in e.inputs)
    if not inputs_pinned:
        missing.append("inputs" if e.inputs else "inputs (none recorded)")
    if not e.git_commit:
        missing.append("code version (git commit)")
    if not e.policy_sha256 or not e.parameters:
        missing.append("parameters" if e.policy_sha256 else "parameters (policy sha256)")
    seeded = e.parameters["seed"] is not None if "seed" in e.parameters else inputs_pinned
    if not seeded:
        missing.append("seeds")
    return missing


def _evaluations(entries: Iterable[RecordEntry]) -> list[RecordEntry]:
    return [e for e in entries if e.gate in EVALUATION_GATES and e.decision != "error" and e.verified]


def reproducibility(in_period, start, end) -> KPI:
    evals = _evaluations(in_period)
    unpinned = [f"{e.record_id}: {', '.join(m)}" for e in evals if (m := pinning(e))]
    return _kpi(
        "reproducibility",
        "Reproducibility (pinned)",
        len(evals) - len(unpinned),
        len(evals),
        start,
        end,
        "evaluation records with inputs (sha256), code version, parameters and seeds all pinned",
        "verified evaluation records (data review, model review, reassessment; not error) in the period",
        details={"unpinned": _cap(unpinned)},
    )


def rerun_sample(
    index: EvidenceIndex, n: int, seed: int | str, gates: Iterable[str] = EVALUATION_GATES
) -> list[RecordEntry]:
    """``n`` fully pinned evaluation records (of ``gates``; re-runs themselves excluded) chosen by the hash of
    (seed, record id): the same store and seed always give the same sample, and a new record does not
    reshuffle the rest."""
    wanted = set(gates)
    pool = [
        e
        for e in _evaluations(index.entries)
        if e.gate in wanted and not pinning(e) and protocol.RERUN_OF_PARAMETER not in e.parameters
    ]
    return sorted(pool, key=lambda e: hashlib.sha256(f"{seed}:{e.record_id}".encode()).hexdigest())[: max(0, n)]


def same_checks(a: RecordEntry, b: RecordEntry) -> tuple[bool, list[str]]:
    """Whether two records (a record and its re-run) have the same checks with the same outcomes, and the
    differences by check id."""
    left, right = {c.id: c.outcome for c in a.checks}, {c.id: c.outcome for c in b.checks}
    diffs = [f"{cid}: {left.get(cid, 'absent')} -> {right.get(cid, 'absent')}" for cid in sorted(left.keys() | right.keys())
             if left.get(cid) != right.get(cid)]  # fmt: skip
    return not diffs, diffs


def rerun_pairs(index: EvidenceIndex, start: datetime, end: datetime) -> tuple[list, list[str]]:
    """(original, re-run) pairs of the verified re-run records (``parameters[rerun_of]``) started in
    [start, end), and the re-runs whose original is not in the index (named, not counted)."""
    by_id = {e.record_id: e for e in index.entries}
    pairs, orphans = [], []
    for e in index.entries:
        of = e.parameters.get(protocol.RERUN_OF_PARAMETER)
        if not of or not e.verified or not start <= e.started_at < end:
            continue
        if of in by_id:
            pairs.append((by_id[of], e))
        else:
            orphans.append(f"{e.record_id}: re-run of {of}, which is not in the index")
    return pairs, orphans


def could_not_rerun(index: EvidenceIndex, start: datetime, end: datetime) -> list[str]:
    """Sampled records a reproducibility check of the period could not re-run (inputs gone or changed),
    from the checks' own records: each counts against agreement, never for it."""
    found = []
    for e in index.entries:
        if e.gate == protocol.REPRODUCIBILITY_CHECK and e.verified and start <= e.started_at < end:
            for item in (e.small_outputs.get(protocol.OUTPUT_REPRODUCIBILITY) or {}).get("could_not_rerun") or ():
                found.append(f"{item.get('original')}: {item.get('reason')} (check {e.record_id})")
    return found


def rerun_agreement_from_records(index: EvidenceIndex, start: datetime, end: datetime) -> KPI:
    """The re-run agreement KPI from records alone: re-run pairs found in the index, plus the sampled
    records a reproducibility check could not re-run (in the denominator only)."""
    pairs, orphans = rerun_pairs(index, start, end)
    failed = could_not_rerun(index, start, end)
    kpi = rerun_agreement(pairs, start, end, could_not=failed)
    if orphans:
        kpi.details["originals_missing"] = _cap(orphans)
    if not pairs and not failed:
        kpi.details["note"] = "no re-run records in the period (the reproducibility-check flow re-runs a sample)"
    return kpi


def rerun_agreement(reruns, start, end, could_not: list[str] = ()) -> KPI:
    details: dict = {"could_not_rerun": _cap(list(could_not))} if could_not else {}
    same = 0
    for a, b in reruns or ():
        ok, diffs = same_checks(a, b)
        same += ok
        if not ok:
            details.setdefault("different", []).append(f"{a.record_id} vs {b.record_id}: {'; '.join(diffs[:5])}")
    if reruns is None:
        details["note"] = "no re-run sample given (rerun_sample + re-running the gates is the audit flow's step)"
    return _kpi(
        "reproducibility_rerun",
        "Reproducibility (sample re-run)",
        same,
        len(reruns or ()) + len(could_not),
        start,
        end,
        "re-runs whose checks and outcomes equal the original record's",
        "records re-run from the deterministic sample, and sampled records that could not be re-run",
        details=details,
    )


# --- fairness regression detection, drift alert precision -----------------------------------------------


def _fairness(e: RecordEntry, outcome: str) -> bool:
    return any(c.evidence_kind == "fairness_eval" and c.outcome == outcome for c in e.checks)


def fairness_detection_hours(records: Records, start, end) -> KPI:
    """For each reassessment in the period that first failed on fairness (after a good state): hours since
    the version was last known good (its approving record, or the last reassessment that passed fairness)."""
    total, found, unknown = 0.0, [], []
    subjects = {(e.subject_id, e.subject_version) for e in records.entries if e.gate == protocol.REASSESSMENT}
    for subject, version in sorted(subjects, key=str):
        good: datetime | None = None
        failing = False
        for e in records.of(subject, version):
            if e.decision == "error" or not e.verified:
                continue
            if (e.gate in APPROVING_GATES and e.decision == "pass") or (
                e.gate == protocol.REASSESSMENT and _fairness(e, "pass")
            ):
                good, failing = decided_at(e), False
            elif e.gate == protocol.REASSESSMENT and _fairness(e, "fail"):
                if not failing and start <= e.started_at < end:
                    if good is None:
                        unknown.append(f"{e.record_id}: no approving record before it")
                    else:
                        total += _hours(good, decided_at(e))
                        found.append(f"{e.record_id}: {_hours(good, decided_at(e)):.1f} h after last good")
                failing = True
    return _kpi(
        "fairness_regression_detection_hours",
        "Fairness-regression detection time",
        total,
        len(found),
        start,
        end,
        "hours from the last known-good record (approval or a reassessment passing fairness) to the first "
        "reassessment failing on fairness, summed",
        "first fairness failures (per model version) detected by reassessments in the period",
        unit="hours",
        higher_is_better=False,
        details={"detections": _cap(found), "no_baseline": _cap(unknown)},
    )


def _drift_alert(e: RecordEntry) -> bool:
    return any(
        c.outcome == "fail" and (c.evidence_kind == "drift_monitoring" or c.id.startswith("drift.")) for c in e.checks
    )


def _regressed(e: RecordEntry) -> bool:
    return any(
        c.outcome == "fail" and c.evidence_kind in REGRESSION_KINDS and not c.id.startswith("drift.") for c in e.checks
    )


def drift_alert_precision(records: Records, incidents, start, end, policy) -> KPI:
    """Drift alerts (reassessments in the period with a failed drift check) followed within N days by a
    confirmed regression: a reassessment of the same version failing a performance/fairness/robustness
    check, or a regression incident opened on it."""
    window = timedelta(days=policy.audit.drift_confirmation_days)
    cause = protocol.REASSESSMENT_INCIDENT_CAUSE + "regression"
    alerts = [
        e
        for e in records.entries
        if e.gate == protocol.REASSESSMENT and start <= e.started_at < end and _drift_alert(e)
    ]
    confirmed, unconfirmed = 0, []
    for a in alerts:
        later = [
            e
            for e in records.of(a.subject_id, a.subject_version)
            if e.gate == protocol.REASSESSMENT and a.started_at <= e.started_at <= a.started_at + window
        ]
        incident = any(
            i.asset.id == a.subject_id
            and i.asset.version in (a.subject_version, None)
            and i.cause == cause
            and a.started_at <= i.opened_at <= a.started_at + window
            for i in incidents
        )
        if incident or any(_regressed(e) for e in later):
            confirmed += 1
        else:
            unconfirmed.append(a.record_id)
    return _kpi(
        "drift_alert_precision",
        "Drift alert precision",
        confirmed,
        len(alerts),
        start,
        end,
        f"drift alerts followed within {window.days} days by a confirmed regression (failed reassessment check "
        "or regression incident)",
        "drift alerts: reassessment records in the period with a failed drift check",
        details={"unconfirmed": _cap(unconfirmed)},
    )


# --- incidents ------------------------------------------------------------------------------------------


def _incident_times(incidents, start, end, now, field: str, name: str, kpi_id: str) -> KPI:
    opened = [i for i in incidents if start <= i.opened_at < end]
    total, done, waiting = 0.0, 0, []
    for i in opened:
        at = getattr(i, field) or (i.closed_at if field == "acknowledged_at" else None)
        if at is None:
            waiting.append(f"{i.id}: still waiting after {_hours(i.opened_at, now):.1f} h")
        else:
            total, done = total + _hours(i.opened_at, at), done + 1
    verb = "triaged (acknowledged, or closed without it)" if field == "acknowledged_at" else "closed"
    return _kpi(
        kpi_id,
        name,
        total,
        done,
        start,
        end,
        f"hours from opening to {verb.split(' ')[0]}, summed over incidents opened in the period and {verb}",
        f"incidents opened in the period and {verb} (the others are listed as waiting)",
        unit="hours",
        higher_is_better=False,
        details={"waiting": _cap(waiting), "opened": len(opened)},
    )


def incident_triage_hours(incidents, start, end, now) -> KPI:
    return _incident_times(
        incidents, start, end, now, "acknowledged_at", "Time to triage incidents", "incident_triage_hours"
    )


def incident_close_hours(incidents, start, end, now) -> KPI:
    return _incident_times(incidents, start, end, now, "closed_at", "Time to close incidents", "incident_close_hours")


# --- SLA, runtime ---------------------------------------------------------------------------------------


def _requested_at(e: RecordEntry) -> datetime:
    """When the request came in: a ``requested_at`` (or ``submitted_at``) parameter, else the run's start."""
    for key in ("requested_at", "submitted_at"):
        text = e.parameters.get(key)
        if isinstance(text, str):
            try:
                when = datetime.fromisoformat(text)
                return when if when.tzinfo else when.replace(tzinfo=UTC)
            except ValueError:
                pass
    return e.started_at


def governance_sla(in_period, start, end, policy) -> KPI:
    sla = policy.audit.sla_days
    answered = [e for e in in_period if e.gate in sla and e.decision != "error"]
    late = [
        f"{e.record_id} ({e.gate}): {_hours(_requested_at(e), decided_at(e)) / 24:.1f} days, SLA {sla[e.gate]:g}"
        for e in answered
        if decided_at(e) - _requested_at(e) > timedelta(days=sla[e.gate])
    ]
    errors = [e.record_id for e in in_period if e.gate in sla and e.decision == "error"]
    return _kpi(
        "governance_sla",
        "Governance SLA adherence",
        len(answered) - len(late),
        len(answered),
        start,
        end,
        "intake and third-party review decisions made within the policy's SLA days of the request",
        "intake and third-party review records decided in the period (error runs listed, not counted)",
        details={"late": _cap(late), "errors": _cap(errors), "sla_days": dict(sla)},
    )


def pipeline_runtime(in_period, start, end) -> KPI:
    timed = [e for e in in_period if e.finished_at is not None]
    per_gate: dict[str, list[float]] = {}
    for e in timed:
        per_gate.setdefault(e.gate, []).append((e.finished_at - e.started_at).total_seconds())
    total = sum(s for v in per_gate.values() for s in v)
    return _kpi(
        "pipeline_runtime_seconds",
        "Evaluation pipeline runtime",
        total,
        len(timed),
        start,
        end,
        "seconds from a record's start to its finish, summed",
        "gate records started in the period with a finish time",
        unit="seconds",
        higher_is_better=False,
        details={"mean_by_gate": {g: sum(v) / len(v) for g, v in sorted(per_gate.items())},
                 "max_by_gate": {g: max(v) for g, v in sorted(per_gate.items())}},
    )  # fmt: skip
