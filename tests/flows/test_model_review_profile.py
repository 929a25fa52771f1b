"""The model review records a fine drift profile of German credit (all 20 features, the scores, per sex
and age group): the reassessment's baseline reads it back as the preferred reference, and the planted
personal data (an e-mail-like id, names, a customer number) is nowhere in the written record's bytes."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd

from flows.model_review import model_review
from govgate.checks.drift import drift_checks
from govgate.checks.drift.profile import FINE, baseline_profile
from govgate.record import DRIFT_PROFILE, REFERENCE_DISTRIBUTIONS
from govgate.store import open_store


def test_model_review_records_a_fine_private_drift_profile(prefect_harness, s3_settings, shared_data, tmp_path):
    df = pd.read_csv(shared_data / "german_credit" / "german.csv")
    rng = np.random.default_rng(16)
    df["sex"] = np.where(df["personal_status"].isin(["A92", "A95"]), "female", "male")
    df["score"] = rng.random(len(df))
    df["credit"] = (df["credit"] == 1).astype(int)
    first = ["Anna", "Bernd", "Clara", "Dieter", "Erika", "Frank", "Gisela", "Horst"]
    df["applicant_ref"] = [f"kunde{i:04d}@bank.example" for i in range(len(df))]  # e-mail-like id
    df["holder"] = [f"{rng.choice(first)} Quenzelmann" for _ in range(len(df))]  # names, a neutral column name
    df["customer_no"] = rng.permutation(np.arange(481_516, 481_516 + len(df)))
    path = tmp_path / "german_scored.csv"
    df.to_csv(path, index=False)

    result = model_review(
        data=str(path), label="credit", sensitive=["sex", "age>=25"], score_column="score", tier="low"
    )
    store = open_store(s3_settings)
    raw = store.get_bytes(result["record_uri"].split(f"s3://{store.bucket}/{store.prefix}", 1)[1])
    record = json.loads(raw)
    outputs = record["outputs"]
    assert {DRIFT_PROFILE, REFERENCE_DISTRIBUTIONS} <= set(outputs)  # the old output kept beside
    recorded = outputs[DRIFT_PROFILE]
    size = len(json.dumps(recorded).encode())
    print(f"German credit drift profile: {size} bytes; record {len(raw)} bytes")
    assert size < 400_000

    # nothing planted is in the written bytes; the withheld columns are named with why
    for planted in (b"bank.example", b"kunde0042", b"Quenzelmann", b"Gisela"):
        assert planted not in raw
    assert set(recorded["withheld"]) == {"applicant_ref", "holder", "customer_no"}
    rows = {tuple(r[:2]): r[2] for r in recorded["rows"]}
    assert rows[("sex", "female")] == 310 and rows[("age>=25", "yes")] + rows[("age>=25", "no")] == 1000

    profile = baseline_profile(outputs)
    assert profile.source == FINE and profile.groups == ["sex", "age>=25"]
    assert "prediction" in profile.plans and "credit_amount" in profile.plans and "sex" not in profile.plans
    assert profile.plans["credit_amount"].exact  # every reference value an edge: KS is exact, not approximate

    # current data = the reference itself: every column and group compares equal (no drift, nothing approximate)
    cur = df.drop(columns=["applicant_ref", "holder", "customer_no"]).rename(columns={"score": "prediction"})
    cur["age>=25"] = np.where(cur["age"] >= 25, "yes", "no")  # the review's labels of a split
    checks, _ = drift_checks(profile, profile.summarize(cur))
    by_id = {c.id: c for c in checks}
    assert by_id["drift.credit_amount"].outcome.value == "pass"
    assert "approximate" not in by_id["drift.credit_amount"].details
    assert by_id["drift.credit_amount.sex=female"].outcome.value == "pass"
    assert by_id["drift.prediction.age>=25=no"].outcome.value == "pass"
    assert not [c.id for c in checks if c.outcome.value == "fail"]
