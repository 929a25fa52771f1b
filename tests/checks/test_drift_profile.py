"""The fine drift profile a model review records: exact round trip, preferred over the coarse record,
per-group drift possible from it, personal data and identifiers never in it, and its size bounded."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest

from govgate.checks.drift import drift_checks, merge_summaries
from govgate.checks.drift.profile import (
    FINE,
    RECORDED,
    baseline_profile,
    profile_from_dict,
    profile_from_record,
    profile_to_dict,
    recorded_profile,
    reference_profile,
    withheld_columns,
)
from govgate.checks.performance import reference_distributions
from govgate.errors import InputError
from govgate.record import DRIFT_PROFILE, REFERENCE_DISTRIBUTIONS, Outcome


def _frame(n: int, seed: int, shift: float = 0.0, f_shift: float = 0.0) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    sex = rng.choice(["F", "M"], n, p=[0.4, 0.6])
    income = rng.lognormal(10, 0.5, n) * np.where(sex == "F", 1 + f_shift, 1.0) + shift * 1000
    return pd.DataFrame(
        {
            "income": income,
            "age": rng.integers(18, 80, n),
            "region": rng.choice(["north", "south", "east", "west"], n),
            "prediction": rng.random(n),
            "sex": sex,
        }
    )


def _same(a, b) -> None:
    """Two profiles equal field by field, arrays bit for bit."""
    assert a.plans.keys() == b.plans.keys() and a.groups == b.groups and a.notes == b.notes
    for name, plan in a.plans.items():
        other = b.plans[name]
        assert (plan.kind, plan.exact, plan.categories, plan.approximate, plan.binned) == (
            other.kind,
            other.exact,
            other.categories,
            other.approximate,
            other.binned,
        )
        assert np.array_equal(plan.edges, other.edges) and np.array_equal(plan.psi_cuts, other.psi_cuts)
        assert plan.psi_cuts.dtype == other.psi_cuts.dtype
    assert a.reference.rows == b.reference.rows and a.reference.missing_columns == b.reference.missing_columns
    assert a.reference.columns.keys() == b.reference.columns.keys()
    for scope, cols in a.reference.columns.items():
        assert cols.keys() == b.reference.columns[scope].keys()
        for name, counts in cols.items():
            again = b.reference.columns[scope][name]
            if hasattr(counts, "sums"):
                assert np.array_equal(counts.counts, again.counts) and np.array_equal(counts.sums, again.sums)
                assert (counts.missing, counts.n, counts.mean, counts.m2, counts.off_edge) == (
                    again.missing,
                    again.n,
                    again.mean,
                    again.m2,
                    again.off_edge,
                )
            else:
                assert counts == again


@pytest.mark.parametrize("rows", [600, 20_000])  # exact edges (every value) and 4,000 quantile edges
def test_round_trip_through_json_is_exact(rows):
    ref = _frame(rows, 1)
    ref.loc[::37, "income"] = np.nan  # missing values are counted, and survive
    profile = reference_profile(ref, groups=["sex"])
    text = json.dumps(profile_to_dict(profile))
    again = profile_from_dict(json.loads(text))
    _same(profile, again)
    assert again.source == FINE
    # the same checks, to the last bit, on the same current data
    cur = _frame(5000, 2, shift=1.0)
    assert [c.model_dump() for c in drift_checks(profile, profile.summarize(cur))[0]] == [
        c.model_dump() for c in drift_checks(again, again.summarize(cur))[0]
    ]


def test_a_broken_profile_is_one_clear_error():
    data = profile_to_dict(reference_profile(_frame(300, 3), groups=["sex"]))
    with pytest.raises(InputError, match="expected format"):
        profile_from_dict({"features": {}})
    bad = json.loads(json.dumps(data))
    bad["plans"]["income"]["edges"]["n"] = 3
    with pytest.raises(InputError, match="recorded drift profile: malformed"):
        profile_from_dict(bad)


def test_the_fine_profile_is_preferred_and_finds_drift_in_one_group():
    ref, cur = _frame(5000, 4), _frame(20_000, 5, f_shift=0.6)  # women's incomes rise; men's do not
    fine = recorded_profile(ref, columns=["income", "age", "region", "prediction"], groups=["sex"])
    coarse = reference_distributions(ref.drop(columns=["sex", "prediction"]), ref["prediction"].to_numpy())
    outputs = json.loads(json.dumps({DRIFT_PROFILE: fine, REFERENCE_DISTRIBUTIONS: coarse}))
    profile = baseline_profile(outputs)
    assert profile.source == FINE and profile.groups == ["sex"]
    assert profile_from_record(outputs[DRIFT_PROFILE]).source == FINE  # the old entry point reads it too
    checks, _ = drift_checks(profile, merge_summaries([profile.summarize(cur[:9000]), profile.summarize(cur[9000:])]))
    by_id = {c.id: c for c in checks}
    assert by_id["drift.income.sex=F"].outcome == Outcome.FAIL
    assert by_id["drift.income.sex=M"].outcome == Outcome.PASS
    assert "approximate" not in by_id["drift.income"].details
    # without the fine profile: the coarse one, per group inconclusive
    old = baseline_profile({REFERENCE_DISTRIBUTIONS: outputs[REFERENCE_DISTRIBUTIONS]})
    old.groups = ["sex"]
    assert old.source == RECORDED
    group = next(c for c in drift_checks(old, old.summarize(cur))[0] if c.id == "drift.income.sex=F")
    assert group.outcome == Outcome.INCONCLUSIVE
    with pytest.raises(InputError, match="neither"):
        baseline_profile({})


def _with_personal_data(n: int) -> pd.DataFrame:
    rng = np.random.default_rng(7)
    df = _frame(n, 6)
    first = ["Anna", "Bertha", "Carla", "Dora", "Emma", "Frieda", "Greta", "Hanna"]
    last = ["Schulz", "Meyer", "Wagner", "Becker", "Hoffmann", "Koch", "Richter", "Klein"]
    df["ref"] = [f"applicant{i:05d}@mail.example" for i in range(n)]  # an e-mail-like id, not named as one
    df["holder"] = [f"{rng.choice(first)} {rng.choice(last)}" for _ in range(n)]  # person names, neutral name
    df["customer_no"] = rng.permutation(np.arange(700_000, 700_000 + n))  # a distinct integer per row
    df["note"] = [f"called on day {i} about the loan" for i in range(n)]
    df["date_of_birth"] = pd.Timestamp("1970-01-01") + pd.to_timedelta(rng.integers(0, 15000, n), unit="D")
    df["contact_email"] = "x@y.example"  # said by its name
    return df


def test_personal_data_and_identifiers_never_reach_the_record():
    df = _with_personal_data(800)
    planted = ["applicant00042@mail.example", "mail.example", df["holder"].iloc[3], "called on day", "Schulz"]
    columns = [c for c in df.columns if c != "sex"]
    withheld = withheld_columns(df, columns)
    assert set(withheld) == {"ref", "holder", "customer_no", "note", "date_of_birth", "contact_email"}
    recorded = recorded_profile(df, columns=columns, groups=["sex"])
    text = json.dumps(recorded)
    assert set(recorded["withheld"]) == set(withheld) and "income" in recorded["plans"]
    raw = json.dumps(profile_to_dict(reference_profile(df.drop(columns=["date_of_birth"]), groups=["sex"])))
    for value in planted:
        assert value not in text
    assert not {"customer_no", "date_of_birth"} & set(recorded["plans"])  # numbers: not even as edges
    assert planted[0] in raw or planted[2] in raw  # the test can fail: unfiltered, the values are there
    # the labels of the groups, the categories of a small code list and the column names are kept
    assert '"F"' in text and "north" in text and "customer_no" in text


def test_one_million_rows_stay_small():
    rng = np.random.default_rng(8)
    n = 1_000_000
    cols = {f"x{i}": rng.normal(i, 1 + i / 10, n) for i in range(14)}
    cols |= {f"c{i}": rng.choice([f"level{j}" for j in range(12)], n) for i in range(5)}
    cols["prediction"] = rng.random(n)
    cols["sex"] = rng.choice(["F", "M"], n)
    df = pd.DataFrame(cols)
    recorded = recorded_profile(df, columns=[c for c in df.columns if c != "sex"], groups=["sex"])
    size = len(json.dumps(recorded).encode())
    print(f"drift profile of 1,000,000 x 20 (+ sex groups): {size} bytes")
    assert all(len(recorded["plans"][f"x{i}"]["edges"]["zlib_b64"]) > 0 for i in range(14))
    assert size < 4_000_000  # measured 2.6 MB: 14 numbers x 3 scopes x 4,000 edges
