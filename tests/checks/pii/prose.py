"""Generated review-like prose for the anonymized-copy tests: sentences joined as reviews join them
("expected.As an added bonus"), real links, dates, and planted PII (e-mail addresses, Vietnamese phones,
the reviewer's own name signing the summary). Seeded, so every run draws the same rows; runs without
../shared/data."""

from __future__ import annotations

import random

import pandas as pd

from tests.checks.pii.helpers import vn_phone

SENTENCES = [
    "the strings arrived quickly and sound bright",
    "I had expected less for the price",
    "it stays in tune for weeks",
    "the tuner clips on the headstock and reads fast",
    "as an added bonus the case is sturdy",
    "so far no complaints at all",
    "it is what it is for a cheap cable",
    "do not buy it if you need a long cord",
    "my son loves the pedal",
    "now I use it every night",
]
# a ccTLD-looking start of the next sentence, joined without a space ("expected.As", "cable.so")
JOIN_WORDS = ["As", "It", "Is", "So", "Do", "My", "No", "Now", "so", "it", "as", "Asking", "Itself"]
LINKS = ["https://www.example.com/manual", "www.musicstore.example.org", "fender.com", "http://bit.ly/x1"]
NAMES = ["Jake Miller", "Tran Thi Mai", "Rick Bennette", "Olivia Park", "Nguyen Van An"]


def _sentence(rng: random.Random) -> str:
    s = rng.choice(SENTENCES)
    return s[0].upper() + s[1:]


def make_reviews(rows: int = 400, seed: int = 11) -> tuple[pd.DataFrame, dict[str, list]]:
    """Columns reviewerID, reviewerName, reviewText, summary, reviewTime, unixReviewTime. Returns the
    frame and what was planted: row numbers with PII in the text, the PII values, joins and links."""
    rng = random.Random(seed)
    planted: dict[str, list] = {"pii_rows": [], "values": [], "joins": [], "links": [], "signed_rows": []}
    data: dict[str, list] = {k: [] for k in ("reviewerID", "reviewerName", "reviewText", "summary", "reviewTime")}
    for i in range(rows):
        name = rng.choice(NAMES)
        parts = [_sentence(rng) for _ in range(rng.randint(2, 5))]
        text = ". ".join(parts) + "."
        if i % 3 == 0:  # a sentence join without a space
            word = rng.choice(JOIN_WORDS)
            joined = f"{parts[0].split()[-1]}.{word}"
            text = text.replace(f"{parts[0]}. ", f"{parts[0]}.{word} ", 1)
            planted["joins"].append(joined)
        if i % 17 == 5:
            link = rng.choice(LINKS)
            text += f" See {link} for details."
            planted["links"].append(link)
        if i % 10 == 7:
            value = f"buyer{i}.{rng.randrange(10**5)}@example.vn" if i % 20 == 7 else vn_phone(rng)
            text += f" Contact me at {value} please."
            planted["pii_rows"].append(i)
            planted["values"].append(value)
        summary = rng.choice(["Great strings", "Works", "Five stars", "Not bad"])
        if i % 25 == 4:
            summary += f" - {name}"
            planted["signed_rows"].append(i)
        data["reviewerID"].append(f"A{rng.randrange(16**10):010X}")
        data["reviewerName"].append(name)
        data["reviewText"].append(text)
        data["summary"].append(summary)
        data["reviewTime"].append(f"{rng.randint(1, 12):02d} {rng.randint(1, 28):02d}, 20{rng.randint(10, 14)}")
    frame = pd.DataFrame(data)
    frame["unixReviewTime"] = [1_300_000_000 + 86_400 * rng.randrange(1500) for _ in range(rows)]
    return frame, planted
