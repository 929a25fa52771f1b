"""The anonymized copy: stable salted pseudonyms, no raw identifiers left, and it reviews clean."""

from __future__ import annotations

import pandas as pd
import pytest

from govgate.checks.pii import (
    anonymize_frame,
    plan_columns,
    scan_pii_partition,
)
from govgate.errors import InputError
from tests.checks.pii.helpers import SALT


def test_anonymize_frame_is_stable_and_leaves_no_raw_emails(frame):
    df, planted = frame
    df = pd.concat([df.head(20), df.head(20)], ignore_index=True)  # every value twice
    anon = anonymize_frame(df, plan_columns(df), salt=SALT)
    assert anon.shape == df.shape and list(anon.columns) == list(df.columns)
    assert anon["email"].iloc[3] == anon["email"].iloc[23] != df["email"].iloc[3]
    assert anon["phone"].iloc[5] == anon["phone"].iloc[25] != df["phone"].iloc[5]
    assert anon["email"].nunique() == df["email"].nunique()  # joins survive
    text = anon.to_csv()
    assert "@" not in text
    for value in [*planted["email"][:20], *planted["phone"][:20], *planted["cccd"][:20]]:
        assert value not in text
    assert anon["note"].iloc[0] == df["note"].iloc[0]  # no PII: unchanged
    assert anon["quantity"].tolist() == df["quantity"].tolist() and anon["price"].tolist() == df["price"].tolist()
    again = anonymize_frame(df, plan_columns(df), salt=SALT)
    assert again.equals(anon)
    other = anonymize_frame(df, plan_columns(df), salt=SALT + "x")
    assert other["email"].iloc[0] != anon["email"].iloc[0]
    with pytest.raises(InputError, match="16 bytes"):
        anonymize_frame(df, plan_columns(df), salt="short")
    assert anon["email"].str.fullmatch(r"[a-z]{24}").all()


def test_anonymized_copy_reviews_clean(frame):
    df, _ = frame
    anon = anonymize_frame(df, plan_columns(df), salt=SALT)
    again = scan_pii_partition(anon, plan_columns(anon), sample_rows=1000, ner_model=None)
    assert {name: col.counts for name, col in again.columns.items() if col.counts} == {}
