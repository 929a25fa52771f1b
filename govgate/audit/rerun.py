"""Re-running a sampled record: whether it can be re-run (its inputs still those it was judged on), with
which parameters, and how the re-run compares with it, as checks judged by ``Threshold.judge``.

A re-run is a gate record like any other whose ``parameters[rerun_of]`` names the record it re-ran; the
re-run agreement KPI (``govgate.audit.kpis``) pairs them from records alone.
"""

from __future__ import annotations

import tempfile
from datetime import date
from pathlib import Path

from govgate import protocol
from govgate.audit.kpis import same_checks
from govgate.digest import sha256_file
from govgate.errors import GovgateError
from govgate.evidence_index import RecordEntry
from govgate.record import Check, Metric, Outcome, Threshold

RERUNNABLE_GATES = (protocol.DATA_REVIEW,)  # gates whose recorded parameters are enough to re-run them
AGREEMENT = Threshold(metric="same_checks", op="==", value=1)
MAX_DIFFS = 20  # differing checks named per re-run


def period_seed(date_from: date, date_to: date) -> str:
    """The sample's seed: the period itself, so the same period always re-runs the same records."""
    return f"{date_from:%Y-%m-%d}..{date_to:%Y-%m-%d}"


def current_sha256(uri: str, settings) -> str:
    """The SHA-256 of an input as it is now (a local path, file:// URI or s3:// object)."""
    from govgate.datasets import fetch

    with tempfile.TemporaryDirectory() as scratch:
        return sha256_file(fetch(uri, settings, Path(scratch)))[0]


def rerun_blockers(entry: RecordEntry, settings) -> list[str]:
    """Why a record cannot be re-run as it was: a gate this check does not re-run, an input gone, or an
    input whose SHA-256 differs from the recorded one (re-running on other data proves nothing)."""
    if entry.gate not in RERUNNABLE_GATES:
        return [f"gate {entry.gate} is not re-run by this check (re-runs: {', '.join(RERUNNABLE_GATES)})"]
    why = []
    for item in entry.inputs:
        uri, recorded = str(item.get("uri")), item.get("sha256")
        try:
            now = current_sha256(uri, settings)
        except GovgateError as exc:
            why.append(f"input {uri} is gone or unreadable: {exc}")
            continue
        if now != recorded:
            why.append(f"input {uri} changed: sha256 {str(recorded)[:12]}... recorded, {now[:12]}... now")
    return why


def rerun_parameters(entry: RecordEntry) -> dict:
    """The original run's parameters, plus the id of the record being re-run."""
    return {**entry.parameters, protocol.RERUN_OF_PARAMETER: entry.record_id}


def agreement_check(original: RecordEntry, rerun: RecordEntry | None, reason: str | None) -> Check:
    """One re-run judged: same checks and outcomes -> 1 (pass), different -> 0 (fail); not re-run (or its
    record not found) -> no value (inconclusive), with the reason."""
    diffs: list[str] = []
    if rerun is None:
        value, message = None, f"could not re-run: {reason or 'no re-run record found'}"
    else:
        same, diffs = same_checks(original, rerun)
        value = int(same)
        message = f"re-run {rerun.record_id}: " + ("same checks and outcomes" if same else "; ".join(diffs[:5]))
    outcome = AGREEMENT.judge(value)
    return Check(
        id=f"reproducibility.rerun.{original.record_id}",
        title=f"Re-run of {original.gate} {original.record_id} ({original.subject_id})",
        category="reproducibility",
        outcome=outcome,
        message=message,
        metrics=[Metric(name=AGREEMENT.metric, value=value)],
        threshold=AGREEMENT,
        details={"rerun": rerun.record_id if rerun else None, "differences": diffs[:MAX_DIFFS]},
    )


def sample_check(sampled: int) -> Check:
    """Whether anything was sampled at all: an empty period re-runs nothing, which is said, not passed."""
    threshold = Threshold(metric="sampled", op=">=", value=1)
    return Check(
        id="reproducibility.sample",
        title="Records sampled for re-run",
        category="reproducibility",
        outcome=threshold.judge(sampled or None),
        message=f"{sampled} record(s) sampled" if sampled else "no re-runnable record in the period",
        metrics=[Metric(name="sampled", value=sampled)],
        threshold=threshold,
    )


def rerun_summary(
    seed: str, sample: list[RecordEntry], reruns: dict[str, RecordEntry], blocked: dict[str, list[str]]
) -> tuple[list[Check], dict]:
    """The check record's checks and its output: the pairs, and what could not be re-run with the reason."""
    checks = [sample_check(len(sample))]
    pairs, could_not = [], []
    for e in sample:
        rerun = reruns.get(e.record_id)
        reason = "; ".join(blocked.get(e.record_id, [])) or None
        check = agreement_check(e, None if reason else rerun, reason)
        checks.append(check)
        if rerun is not None and not reason:
            pairs.append({"original": e.record_id, "rerun": rerun.record_id, "same": check.outcome == Outcome.PASS})
        else:
            could_not.append({"original": e.record_id, "reason": reason or "no re-run record found"})
    output = {"seed": seed, "sampled": [e.record_id for e in sample], "pairs": pairs, "could_not_rerun": could_not}
    return checks, output
