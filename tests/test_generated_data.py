"""The stand-ins a fresh clone reviews instead of ../shared/data (tests/data/README.md): seeded, and with
the shape and traits the tests rely on."""

from __future__ import annotations

import hashlib

import pandas as pd

from tests.checks.quality.helpers import REVIEW_COLUMNS
from tests.data.generate import GERMAN, data_dir, write_customers, write_reviews


def test_stand_ins_are_seeded_and_shaped_like_the_originals(tmp_path):
    data = data_dir(tmp_path / "no-shared", tmp_path / "data")
    reviews = data / "ecommerce" / "Musical_instruments_reviews.csv"
    customers = data / "ecommerce" / "ecommerce_customers.csv"
    again = write_reviews(tmp_path / "again.csv")
    assert reviews.read_bytes() == again.read_bytes()  # same seed, same bytes
    assert write_customers(tmp_path / "c.csv").read_bytes() == customers.read_bytes()

    df = pd.read_csv(reviews, header=None, names=REVIEW_COLUMNS)
    assert len(df) == 5050 and not df.duplicated(["reviewerID", "asin"]).any()
    assert df["reviewTime"].str.fullmatch(r"\d{2} \d{1,2}, \d{4}").all()
    assert df["helpful"].str.fullmatch(r"\[\d+, \d+\]").all() and df["overall"].between(1, 5).all()
    assert 10 <= df["reviewerName"].isna().sum() <= 20 and df["reviewText"].isna().sum() == 2
    text = df["reviewText"].dropna()
    assert text.str.contains("@example.com").sum() > 20 and text.str.contains("https://").sum() > 20

    assert customers.read_text().startswith("\nEmail,Address,Avatar,")
    table = pd.read_csv(customers)
    assert len(table) == 500 and table["Address"].str.contains("\n").all() and table.shape[1] == 8

    digest = hashlib.sha256(GERMAN.read_bytes()).hexdigest()
    assert digest == "532082711a8ec4df65cf60775eb7d59d3a5e3458c5a88695630beffd96dfff86"  # as in README.md
    assert (data / "german_credit" / "german.csv").read_bytes() == GERMAN.read_bytes()


def test_the_shared_folder_wins_when_it_is_there(tmp_path):
    shared = tmp_path / "shared-data"
    shared.mkdir()
    assert data_dir(shared, tmp_path / "scratch") == shared and not (tmp_path / "scratch").exists()
