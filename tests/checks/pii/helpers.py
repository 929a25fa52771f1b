"""Synthetic data for the PII tests: Vietnamese phones and CCCD numbers planted in a frame, and a check lookup."""

from __future__ import annotations

import random

import pandas as pd

SALT = "test-salt-0123456789abcdef"
WORDS = (
    "the order arrived late but the product works well and support answered my question quickly "
    "thanks again great price would buy again"
).split()
PROVINCES = ["001", "079", "048", "031", "092"]
MOBILE = ["090", "091", "093", "096", "097", "098", "032", "086", "070", "081"]


def vn_phone(rng: random.Random) -> str:
    return rng.choice(MOBILE) + f"{rng.randrange(10**7):07d}"


def cccd(rng: random.Random) -> str:
    return rng.choice(PROVINCES) + str(rng.randrange(4)) + f"{rng.randrange(100):02d}{rng.randrange(10**6):06d}"


def make_frame(rows: int = 240, seed: int = 7) -> tuple[pd.DataFrame, dict[str, list[str]]]:
    """Emails, VN phones, CCCD numbers, free text with some emails, plain numbers. Returns the frame and
    the planted PII values."""
    rng = random.Random(seed)
    emails = [f"khach.hang{i}.{rng.randrange(10**6)}@example.vn" for i in range(rows)]
    phones = [vn_phone(rng) for _ in range(rows)]
    ids = [cccd(rng) for _ in range(rows)]
    notes, planted_in_notes = [], []
    for i in range(rows):
        sentence = " ".join(rng.choices(WORDS, k=rng.randint(6, 14)))
        if i % 10 == 3:
            address = f"lien.he{i}@shop-example.com"
            planted_in_notes.append(address)
            sentence += f" write to {address} for a refund"
        notes.append(sentence)
    df = pd.DataFrame(
        {
            "email": emails,
            "phone": phones,
            "cccd": ids,
            "note": notes,
            "quantity": [rng.randint(1, 50) for _ in range(rows)],
            "price": [round(rng.uniform(1, 500), 2) for _ in range(rows)],
        }
    )
    return df, {"email": emails, "phone": phones, "cccd": ids, "note": planted_in_notes}


def column_check(checks, name):
    return next(c for c in checks if c.id == f"data.pii.column.{name}")
