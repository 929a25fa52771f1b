"""reproducibility-check: re-run a deterministic sample of a period's records and compare the checks.

The sample is ``rerun_sample`` seeded from the period (the same period re-runs the same records). Each
sampled data review is re-run as a subflow with its recorded parameters plus ``rerun_of``, so the re-run is
a gate record like any other; a record whose inputs are gone or changed is not re-run and counts as
"could not re-run", never as agreement. The check's own record lists the pairs.
"""

from __future__ import annotations

from datetime import date

from prefect import flow

from flows.data_review import data_review
from govgate.audit.rerun import period_seed, rerun_parameters, rerun_summary
from govgate.protocol import OUTPUT_REPRODUCIBILITY, REPRODUCIBILITY_CHECK
from tasks.gate_run import GateRun
from tasks.reproducibility import find_reruns, period_subject, rerun_blockers, sample_records

GATE = REPRODUCIBILITY_CHECK


@flow(name="reproducibility-check", log_prints=True)
def reproducibility_check(date_from: date, date_to: date, n: int = 5) -> dict:
    """Re-run ``n`` records of [date_from, date_to] (UTC days, both included) and record whether each
    re-run gave the same checks and outcomes.

    Args:
        date_from: first day of the period.
        date_to: last day of the period.
        n: how many records to re-run (each a full gate run).
    """
    params = {"date_from": str(date_from), "date_to": str(date_to), "n": n}
    with GateRun(GATE, period_subject(date_from, date_to), params) as run:
        run.use_tier(run.load_policy().default_tier)
        sample = sample_records(date_from, date_to, n)
        blocked = {e.record_id: why for e in sample if (why := rerun_blockers(e))}
        for e in sample:
            if e.record_id not in blocked:
                data_review(**rerun_parameters(e), return_state=True)  # its own decision is not this gate's
        reruns = find_reruns(run.started_at, sample)
        checks, output = rerun_summary(period_seed(date_from, date_to), sample, reruns, blocked)
        result = run.finish(checks, outputs={OUTPUT_REPRODUCIBILITY: output})
    print(f"reproducibility check {params}: {len(output['pairs'])} re-run(s), {len(output['could_not_rerun'])} not")
    return run.final_state({**result, **output})
