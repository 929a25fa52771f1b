"""Seeded stand-ins for the two e-commerce files of ``../shared/data`` (see README.md beside this file).

The originals carry no licence, so they are not copied into the repository; the tests read them when
``../shared/data`` is beside the clone (CI) and otherwise these stand-ins, which have the same shape and
the traits the tests rely on: a headerless reviews file of 5,050 rows (Amazon-like reviewer ids and ASINs,
display names, "[a, b]" helpfulness, prose with a few planted e-mails, URLs and phone numbers, day-aligned
Unix times) and a customers table of 500 rows (a leading blank line, multi-line quoted addresses). Every
value is invented; the same seed gives the same bytes.
"""

from __future__ import annotations

import csv
import random
import shutil
from datetime import UTC, datetime
from pathlib import Path

HERE = Path(__file__).resolve().parent
GERMAN = HERE / "german_credit" / "german.csv"
REVIEWS_NAME = "Musical_instruments_reviews.csv"
CUSTOMERS_NAME = "ecommerce_customers.csv"

FIRST = "James Mary Robert Linda Michael Susan David Karen Daniel Nancy Paul Laura Mark Helen Steven Ruth Kevin Anna Brian Emma Jason Grace".split()
LAST = "Hollins Marsh Garrow Pennick Ashby Tolland Whitcombe Redfern Calloway Brannock Ellery Fenwick Gadsby Harlow Kimber Lawless Morrow Northcott Oakley Prewitt".split()
HANDLES = "StudioDude GaryG Meant2Rock puddytat cowboylove Bloose fendertele67 CaptAdams35 sid Papa".split()
THINGS = "pop filter|guitar strap|capo|tuner|patch cable|mic stand|set of strings|pedal|picks|gig bag".split("|")
OPINIONS = [
    "It does exactly what it is supposed to do",
    "The build quality is better than I expected for the price",
    "I have used it for a month of rehearsals and it still works well",
    "The clamp is a little stiff but it holds",
    "Sound is clean and there is no hum at all",
    "It arrived quickly and was packed well",
    "My teacher recommended it and I agree with her",
    "Not the best I have owned, but good enough for home recording",
]
VERDICTS = ["Would buy again", "Recommended", "Good value", "Works as described", "Does the job"]
COLORS = "Violet DarkGreen Bisque SaddleBrown Aqua FloralWhite DarkSlateBlue Tomato Khaki Lavender".split()
STREETS = "Tunnel Common Unions Throughway Passage Park Lights Lane Crossing Forge".split()
STATES = "MI CA DC OH PR MN WV TX NY WA".split()
ID_CHARS = "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789"


def _reviewer_name(rng: random.Random, i: int) -> str | None:
    if i % 316 == 7:
        return None  # ~16 reviews without a display name, as in the original
    kind = rng.random()
    if kind < 0.55:
        return f"{rng.choice(FIRST)} {rng.choice(LAST)}"
    if kind < 0.7:
        return f'{rng.choice(FIRST)} {rng.choice(LAST)[0]}. "{rng.choice(HANDLES)}"'
    return rng.choice(HANDLES) if kind < 0.9 else rng.choice(FIRST)


def _review_text(rng: random.Random, i: int) -> str | None:
    if i in (1234, 4321):
        return None  # two empty reviews, as in the original
    thing = rng.choice(THINGS)
    sentences = [f"I bought this {thing} for my band", *rng.sample(OPINIONS, rng.randint(2, 5))]
    text = ". ".join(sentences) + "."
    if rng.random() < 0.3:  # a missing space after a full stop, as people type ("expected.As")
        text = text.replace(". ", ".", 1)
    if i % 97 == 5:
        text += f" Questions? Write to {rng.choice(FIRST).lower()}.{rng.choice(LAST).lower()}@example.com"
    if i % 89 == 3:
        text += f" The manual is at https://www.example.org/manuals/{thing.replace(' ', '-')}.pdf"
    if i % 131 == 11:
        text += f" Call the shop at (202) 555-01{rng.randint(10, 99)} if yours breaks."
    return text


def write_reviews(path: Path, rows: int = 5050, seed: int = 20140228) -> Path:
    """Headerless like the original: reviewerID, asin, reviewerName, helpful, reviewText, overall, summary,
    unixReviewTime, reviewTime; (reviewerID, asin) unique, as in 5-core data."""
    rng = random.Random(seed)
    reviewers = ["A" + "".join(rng.choices(ID_CHARS, k=13)) for _ in range(1400)]
    products = [
        "".join(rng.choices("0123456789", k=10)) if k % 5 == 0 else "B00" + "".join(rng.choices(ID_CHARS, k=7))
        for k in range(400)
    ]
    pairs: set[tuple[str, str]] = set()
    with path.open("w", newline="", encoding="utf-8") as f:
        out = csv.writer(f)
        i = 0
        while i < rows:
            pair = (rng.choice(reviewers), rng.choice(products))
            if pair in pairs:
                continue
            pairs.add(pair)
            day = datetime.fromtimestamp(1095465600 + 86400 * rng.randint(0, 3600), UTC)
            total = rng.choice([0, 0, 0, 0, 0, 1, 1, 2, 5, 14])
            out.writerow(
                [
                    *pair,
                    _reviewer_name(rng, i),
                    f"[{rng.randint(0, total)}, {total}]",
                    _review_text(rng, i),
                    rng.choices([5, 4, 3, 2, 1], weights=[68, 21, 7, 2, 2])[0],
                    rng.choice(VERDICTS),
                    int(day.timestamp()),
                    f"{day.month:02d} {day.day}, {day.year}",
                ]
            )
            i += 1
    return path


def write_customers(path: Path, rows: int = 500, seed: int = 82180) -> Path:
    """A blank first line, then Email, a two-line quoted Address, Avatar and five measurements."""
    rng = random.Random(seed)
    header = ["Email", "Address", "Avatar", "Avg. Session Length", "Time on App", "Time on Website"]
    header += ["Length of Membership", "Yearly Amount Spent"]
    with path.open("w", newline="", encoding="utf-8") as f:
        f.write("\n")
        out = csv.writer(f, lineterminator="\n")
        out.writerow(header)
        for i in range(rows):
            first, last = rng.choice(FIRST).lower(), rng.choice(LAST).lower()
            domain = rng.choice(["example.com", "example.net", "example.org", "mail.example.com"])
            town = f"{rng.choice(['Port ', 'East ', ''])}{rng.choice(LAST)}{rng.choice(['chester', 'bury', 'mouth'])}"
            address = f"{rng.randint(1, 99999)} {rng.choice(LAST)} {rng.choice(STREETS)}\n{town}, {rng.choice(STATES)} {rng.randint(10000, 99999)}-{rng.randint(1000, 9999)}"
            numbers = [rng.gauss(33, 1), rng.gauss(12, 1), rng.gauss(37, 1), rng.gauss(3.5, 1), rng.gauss(500, 80)]
            out.writerow([f"{first[0]}{last}{i}@{domain}", address, rng.choice(COLORS), *numbers])
    return path


def data_dir(shared: Path, scratch: Path) -> Path:
    """``shared`` when it is there (CI), else ``scratch`` filled with the vendored German credit file and
    the stand-ins, laid out like ``../shared/data``."""
    if shared.is_dir():
        return shared
    (scratch / "german_credit").mkdir(parents=True, exist_ok=True)
    (scratch / "ecommerce").mkdir(parents=True, exist_ok=True)
    if not (scratch / "german_credit" / "german.csv").is_file():
        shutil.copyfile(GERMAN, scratch / "german_credit" / "german.csv")
    if not (scratch / "ecommerce" / REVIEWS_NAME).is_file():
        write_reviews(scratch / "ecommerce" / REVIEWS_NAME)
    if not (scratch / "ecommerce" / CUSTOMERS_NAME).is_file():
        write_customers(scratch / "ecommerce" / CUSTOMERS_NAME)
    return scratch
