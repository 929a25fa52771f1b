"""A complete vendor submission with its evidence files, to change one thing at a time in tests."""

from __future__ import annotations

import copy
from datetime import date
from pathlib import Path

import yaml

AS_OF = date(2026, 12, 7)
# planted in an evidence file: personal data and a secret that must never reach record, report or logs
PLANTED_EMAIL = "nguyen.van.an@acme-vision.example"
PLANTED_PHONE = "0912345678"
PLANTED_SECRET = "AKIAZ7QK4LJ2M9XPV3TR"
CONTACT_EMAIL = "tran.thi.binh@acme-vision.example"
CONTACT_NAME = "Tran Thi Binh"

_ITEM = {"issued": date(2026, 6, 1), "expires": date(2027, 6, 1)}

COMPLETE = {
    "id": "acme-face-match",
    "vendor": "ACME Vision Ltd",
    "service": "Face match API v3",
    "tier": "high",
    "ai_act_role": "deployer",
    "personal_data": True,
    "data_subjects": ["VN"],
    "data_locations": [{"country": "SG", "purpose": "inference"}],
    "items": {
        "documentation": {"evidence": ["docs/tech-doc.txt"], "issued": date(2026, 6, 1)},
        "model_card": {"evidence": ["docs/model-card.md"], "issued": date(2026, 6, 1)},
        "evaluation_evidence": {"evidence": ["docs/eval-2026.txt", "docs/bias-eval.txt"], **_ITEM},
        "data_processing_terms": {"evidence": ["contracts/dpa-signed.txt"], **_ITEM},
        "data_location": {"evidence": ["docs/hosting.txt"], "issued": date(2026, 6, 1)},
        "transfer_impact_assessment_vn": {
            "evidence": ["dossiers/tia-vn.txt"],
            **_ITEM,
            "answers": {"first_transfer": date(2026, 6, 10), "dossier_filed": date(2026, 7, 20)},
        },
        "sub_processors": {
            "evidence": ["docs/subprocessors.txt"],
            "issued": date(2026, 6, 1),
            "answers": {"sub_processors": [{"name": "Example Cloud Pte", "country": "SG"}]},
        },
        "incident_contacts_sla": {
            "evidence": ["contracts/sla.txt"],
            **_ITEM,
            "answers": {
                "contacts": [{"role": "security", "name": CONTACT_NAME, "email": CONTACT_EMAIL}],
                "notification_hours": 24,
            },
        },
        "ai_act_role": {"evidence": ["docs/role-memo.txt"], "issued": date(2026, 6, 1)},
        "deployer_duties": {
            "evidence": ["docs/monitoring-plan.txt"],
            "issued": date(2026, 6, 1),
            "answers": {"log_retention_days": 365},
        },
        "fundamental_rights_assessment": {"evidence": ["docs/fria.txt"], "issued": date(2026, 6, 1)},
    },
}


def submission(**changes) -> dict:
    """The complete submission with top-level keys replaced (``items=...`` replaces all items)."""
    data = copy.deepcopy(COMPLETE)
    data.update(copy.deepcopy(changes))
    return data


def write(folder: Path, data: dict | None = None, name: str = "acme.yaml") -> Path:
    """The submission YAML and every evidence file it lists (the DPA holds planted PII and a secret)."""
    data = submission() if data is None else data
    folder.mkdir(parents=True, exist_ok=True)
    for item_id, item in data.get("items", {}).items():
        for rel in item.get("evidence", []):
            path = folder / rel
            path.parent.mkdir(parents=True, exist_ok=True)
            text = f"{item_id} evidence of ACME Vision ({rel})\n"
            if item_id == "data_processing_terms":
                text += f"Signed by {PLANTED_EMAIL}, tel {PLANTED_PHONE}\naws_access_key_id = {PLANTED_SECRET}\n"
            path.write_text(text)
    path = folder / name
    path.write_text(yaml.dump(data, Dumper=_NoAliases, sort_keys=False))
    return path


class _NoAliases(yaml.SafeDumper):
    """Plain YAML as a person writes it: a date used twice is written twice, not as an anchor."""

    def ignore_aliases(self, data) -> bool:
        return True
