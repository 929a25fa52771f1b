"""Tier precedence: the latest decided intake wins over tags and the default; an explicit lower tier is
refused; an intake that needs review (unknown answers) or erred tiers nothing; a refused asset stops."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from govgate import protocol
from govgate.errors import InputError
from govgate.evidence_index import RecordEntry
from govgate.intake.tier import IntakeTier, intake_tier, resolve_tier
from tests.core.intake.test_engine import POLICY


def entry(decision: str, tier: str) -> RecordEntry:
    return RecordEntry(
        prefix="evidence/m/unversioned/intake/r1/",
        uri="s3://b/evidence/m/unversioned/intake/r1/record.json",
        record_id="r1",
        gate=protocol.INTAKE,
        subject_kind="model",
        subject_id="m",
        subject_version=None,
        decision=decision,
        decided_by="policy",
        started_at=datetime(2026, 12, 7, tzinfo=UTC),
        finished_at=None,
        tier="high",
        policy_name="p",
        policy_sha256="",
        small_outputs={protocol.OUTPUT_RISK_TIER: {"tier": tier, "reason": "eu-ai-act Art. 5(1)(c): social scoring"}},
    )


@pytest.mark.parametrize(
    ("explicit", "tagged", "expected"), [(None, "low", "medium"), ("high", "low", "high"), (None, None, "medium")]
)
def test_intake_tier_wins_over_tag_and_default(explicit, tagged, expected):
    found = intake_tier(entry("pass", "medium"))
    assert resolve_tier(POLICY, explicit=explicit, tagged=tagged, intake=found, asset="model m") == expected


def test_explicit_lower_tier_is_refused():
    with pytest.raises(InputError, match=r"^model m: tier 'low' is lower than 'medium' from its intake record r1 "):
        resolve_tier(POLICY, explicit="low", tagged=None, intake=intake_tier(entry("pass", "medium")), asset="model m")


@pytest.mark.parametrize("decision", ["needs-review", "error"])
def test_undecided_or_failed_intake_sets_no_tier(decision):
    assert intake_tier(entry(decision, "low")) is None
    assert resolve_tier(POLICY, explicit=None, tagged="high", intake=None, asset="m") == "high"


def test_refused_asset_stops_every_gate():
    refused = intake_tier(entry("fail", "refused"))
    assert refused == IntakeTier(
        "refused", "r1", entry("fail", "refused").uri, "eu-ai-act Art. 5(1)(c): social scoring"
    )
    with pytest.raises(InputError, match=r"refused by its intake record r1 .*Art. 5\(1\)\(c\)"):
        resolve_tier(POLICY, explicit="high", tagged=None, intake=refused, asset="model m")
