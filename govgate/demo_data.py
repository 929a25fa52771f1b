"""The demo's generated credit dataset: realistic enough to exercise every gate, with planted problems
(direct identifiers, one leaked cloud key in a free-text note, and a fairness gap by sex)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import yaml

# Assembled at run time so that this source file itself holds no credential-shaped string.
_FAKE_KEY_ID = "AKIA" + "Q3EGOVGATE" + "DEMO12"
_FAKE_SECRET = "wJalrXUtnFEMI" + "/K7MDENG/bPxRfiCY" + "GOVGATEDEMOKEY"

FIRST = [
    "Anh",
    "Binh",
    "Chi",
    "Dung",
    "Giang",
    "Hanh",
    "Khanh",
    "Lan",
    "Minh",
    "Ngoc",
    "Phuong",
    "Quang",
    "Thao",
    "Tuan",
    "Vy",
]
PROVINCES = ["001", "079", "048", "031", "092", "038", "075", "052"]
MOBILE = ["32", "33", "34", "70", "76", "77", "81", "83", "86", "90", "91", "96", "97", "98"]
NOTES = [
    "Customer asked for a longer repayment period because of seasonal income.",
    "Existing customer, paid two previous loans on time.",
    "Application completed in branch; documents verified by the officer.",
    "Self-employed, income documents from the last two years attached.",
    "Requested a call back in the afternoon.",
]


def credit_applications(n: int = 2000, seed: int = 7) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    sex = rng.choice(["female", "male"], size=n, p=[0.45, 0.55])
    age = rng.integers(19, 70, size=n)
    income = np.round(rng.lognormal(mean=9.6, sigma=0.45, size=n), -1)
    amount = np.round(rng.uniform(1000, 20000, size=n), -1)
    duration = rng.choice([6, 12, 18, 24, 36, 48], size=n)
    # Planted gap: the historical label penalises women beyond what income and amount explain.
    score = 0.9 * np.log(income) - 0.00006 * amount - 0.01 * duration + 0.01 * (age - 40) - 0.9 * (sex == "female")
    score = score - np.median(score) + rng.normal(0, 0.6, size=n)
    good = (score > -0.2).astype(int)
    names = [f"{rng.choice(FIRST)} {rng.choice(FIRST)}" for _ in range(n)]
    emails = [f"{nm.lower().replace(' ', '.')}{i}@example.vn" for i, nm in enumerate(names)]
    phones = [f"0{rng.choice(MOBILE)}{rng.integers(1000000, 9999999)}" for _ in range(n)]
    cccd = [
        f"{rng.choice(PROVINCES)}{rng.choice(['0', '1', '2', '3'])}{rng.integers(10, 99)}{rng.integers(100000, 999999)}"
        for _ in range(n)
    ]
    notes = [str(rng.choice(NOTES)) for _ in range(n)]
    for i in rng.choice(n, size=max(1, n // 50), replace=False):
        notes[i] = f"Please email the contract to {emails[i]} or call {phones[i]}."
    notes[n // 3] = (
        f"Debug dump from the scoring job: aws_access_key_id={_FAKE_KEY_ID} aws_secret_access_key={_FAKE_SECRET}"
    )
    return pd.DataFrame(
        {
            "application_id": [f"APP-{i:06d}" for i in range(n)],
            "email": emails,
            "phone": phones,
            "national_id": cccd,
            "age": age,
            "sex": sex,
            "monthly_income": income,
            "credit_amount": amount,
            "duration_months": duration,
            "officer_notes": notes,
            "good_credit": good,
        }
    )


def datasheet(name: str = "demo-credit-applications") -> dict:
    return {
        "name": name,
        "version": "2026-11",
        "description": "Generated credit applications for the govgate demo (planted PII, a leaked key, a fairness gap).",
        "owner": "credit-risk-data@bank.example",
        "source": "loan origination system export (generated for the demo)",
        "collection_method": "application forms filled in branch and online",
        "purpose": "train a credit-scoring model for consumer loans",
        "legal_basis": "contract",
        "retention": "P2Y",
        "tier": "high",
        "sensitive_attributes": ["age", "sex"],
        "columns": [
            {"name": "application_id", "type": "id", "nullable": False, "unique": True},
            {"name": "email", "type": "string", "pii": True},
            {"name": "phone", "type": "string", "pii": True},
            {"name": "national_id", "type": "string", "pii": True, "description": "CCCD citizen ID"},
            {"name": "age", "type": "integer", "min": 18, "max": 100, "nullable": False},
            {"name": "sex", "type": "category", "allowed_values": ["female", "male"]},
            {"name": "monthly_income", "type": "float", "min": 0},
            {"name": "credit_amount", "type": "float", "min": 0},
            {"name": "duration_months", "type": "integer", "min": 1, "max": 120},
            {"name": "officer_notes", "type": "text"},
            {"name": "good_credit", "type": "integer", "allowed_values": [0, 1], "nullable": False},
        ],
    }


def write_demo_inputs(folder: Path, n: int = 2000) -> tuple[Path, Path]:
    folder.mkdir(parents=True, exist_ok=True)
    data = folder / "credit_applications.csv"
    credit_applications(n).to_csv(data, index=False)
    sheet = folder / "credit_applications.datasheet.yaml"
    sheet.write_text(yaml.safe_dump(datasheet(), sort_keys=False))
    return data, sheet
