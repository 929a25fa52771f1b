"""Gap rules over a hand-built inventory: each rule fires exactly where its state is, and nowhere else."""

from __future__ import annotations

from dataclasses import replace
from datetime import timedelta

import pytest

from govgate import protocol
from govgate.inventory.gaps import RULES, as_datetime, find_gaps
from govgate.policy import load_policy
from tests.core.inventory.assets import NOW, entry, portfolio, status


@pytest.fixture(scope="module")
def policy():
    return load_policy("policies/default.yaml")


def by_rule(gaps):
    out = {}
    for g in gaps:
        out.setdefault(g.rule, []).append(g.asset_id)
    return out


def test_every_rule_fires_exactly_where_its_state_is(policy):
    assets, index = portfolio()
    gaps = find_gaps(assets, index, policy, NOW)
    assert by_rule(gaps) == {
        "deployed-without-passing-review": ["model:churn/1", "model:fraud/1"],
        "reassessment-overdue": ["model:churn/1", "model:credit/2"],
        "dataset-without-data-review": ["dataset:clicks"],
        "dataset-without-datasheet": ["dataset:raw-notes"],
        "third-party-unreviewed": ["chat-vendor"],
        "third-party-review-expired": ["ocr-cloud"],
        "no-owner": ["faq-bot"],
        "no-tier": ["faq-bot"],
        "record-not-verified": ["model:fraud/1", "record:evidence/x/1/model-review/r-broken/"],
    }
    assert "model:credit/3" not in {g.asset_id for g in gaps}  # approved, reassessed, trained on reviewed data


def test_messages_fixes_and_evidence(policy):
    assets, index = portfolio()
    gaps = {(g.rule, g.asset_id): g for g in find_gaps(assets, index, policy, NOW)}
    overdue = gaps[("reassessment-overdue", "model:credit/2")]
    assert overdue.message == "model:credit/2: last reassessed 20 days ago (2026-11-17); tier high allows 8 days"
    assert overdue.severity == "high" and overdue.fix == RULES["reassessment-overdue"].fix
    assert overdue.evidence == ["s3://govgate/evidence/credit/2/reassessment/r-credit2-ra/record.json"]
    never = gaps[("reassessment-overdue", "model:churn/1")]
    assert (
        never.message
        == "model:churn/1: never reassessed, deployed 60 days ago (2026-10-08); tier medium allows 35 days"
    )
    tampered = gaps[("deployed-without-passing-review", "model:fraud/1")]
    assert (
        tampered.message == "model:fraud/1 is deployed: its last model review is pass but its record no longer verifies"
    )
    assert tampered.severity == "critical"
    expired = gaps[("third-party-review-expired", "ocr-cloud")]
    assert expired.message == "ocr-cloud: third-party review items expired: dpa"  # model_card expires in 2027
    assert gaps[("dataset-without-data-review", "dataset:clicks")].message == (
        "dataset:clicks trained model:churn/1: no data-review record"
    )


def test_a_failing_review_is_no_review_and_an_error_reassessment_does_not_count(policy):
    assets, index = portfolio()
    credit3 = next(a for a in assets if a.id == "model:credit/3")
    failed = entry("r-c3-fail", protocol.MODEL_REVIEW, "credit", "3", decision="fail", days_ago=1, tier="high")
    errored = entry("r-c3-err", protocol.REASSESSMENT, "credit", "3", decision="error", days_ago=1, tier="high")
    credit3.gates = {protocol.MODEL_REVIEW: status(failed), protocol.REASSESSMENT: status(errored)}
    credit3.attributes["created_at"] = (NOW - timedelta(days=9)).isoformat()
    gaps = [g for g in find_gaps(assets, index, policy, NOW) if g.asset_id == "model:credit/3"]
    assert [(g.rule, g.message) for g in gaps] == [
        ("deployed-without-passing-review", "model:credit/3 is deployed: its last model review is fail"),
        (
            "reassessment-overdue",
            "model:credit/3: never reassessed, deployed 9 days ago (2026-11-28); tier high allows 8 days",
        ),
    ]


def test_versions_not_deployed_need_no_review_and_an_unknown_deploy_date_is_overdue(policy):
    assets, index = portfolio()
    churn = next(a for a in assets if a.id == "model:churn/1")
    churn.status = "development"
    assert "model:churn/1" not in by_rule(find_gaps(assets, index, policy, NOW)).get("deployed-without-passing-review")
    churn.status, churn.attributes = "deployed", {}
    msgs = [g.message for g in find_gaps(assets, index, policy, NOW) if g.rule == "reassessment-overdue"]
    assert "model:churn/1: never reassessed and its deployment date is unknown; tier medium allows 35 days" in msgs


def test_a_datasheet_named_by_the_asset_counts(policy):
    assets, index = portfolio()
    notes = next(a for a in assets if a.id == "dataset:raw-notes")
    notes.attributes["datasheet"] = "s3://govgate/datasheets/raw-notes.yaml"
    assert "dataset-without-datasheet" not in by_rule(find_gaps(assets, index, policy, NOW))


def test_times_from_attributes():
    assert as_datetime(1_700_000_000_000).year == 2023  # MLflow epoch milliseconds
    assert as_datetime("2026-12-01T00:00:00Z") == as_datetime("2026-12-01T00:00:00+00:00")
    assert as_datetime("2026-12-01").tzinfo is not None
    assert as_datetime("not a date") is None and as_datetime(None) is None


def test_gap_order_is_stable(policy):
    assets, index = portfolio()
    first = find_gaps(assets, index, policy, NOW)
    second = find_gaps(list(reversed(assets)), replace(index), policy, NOW)
    assert [g.to_dict() for g in first] == [g.to_dict() for g in second]


def test_a_launch_package_that_no_longer_verifies_is_a_gap(tmp_path):
    """A real sealed package (local store, MLflow on SQLite): verified, then one byte changed -> a gap."""
    from govgate.package import gather
    from govgate.settings import load_settings
    from tests.core.package.test_package import _seal, make_model_with_evidence

    settings = load_settings(home=tmp_path / "home")
    made = make_model_with_evidence(settings, model="inv-gap-model")
    ev = gather(made["model_uri"], store=made["store"], tracker=made["tracker"], settings=settings)
    store = made["store"]
    sealed = _seal(settings, store, ev)
    launch = replace(
        entry(sealed.package_id, protocol.LAUNCH_EVIDENCE, "inv-gap-model", made["version"]), prefix=sealed.prefix
    )
    assets, index = portfolio()
    asset = next(a for a in assets if a.id == "model:credit/3")
    asset.gates[protocol.LAUNCH_EVIDENCE] = status(launch)
    index.entries.append(launch)
    policy = load_policy(settings.policy)
    assert "package-not-verified" not in by_rule(find_gaps(assets, index, policy, NOW, store=store, settings=settings))
    signed = store.root / sealed.prefix / "signoffs.json"
    signed.write_bytes(b'[{"name": "forged"}]')
    gaps = [
        g
        for g in find_gaps(assets, index, policy, NOW, store=store, settings=settings)
        if g.rule == "package-not-verified"
    ]
    assert [g.asset_id for g in gaps] == ["model:credit/3"]
    assert gaps[0].severity == "critical" and "signoffs.json" in gaps[0].message
    assert gaps[0].message.startswith(f"launch package {sealed.package_id} of model:credit/3: ")


def test_a_failed_vendor_review_names_its_expired_items(policy):
    assets, index = portfolio()
    ocr = next(a for a in assets if a.id == "ocr-cloud")
    failed = replace(
        next(e for e in index.entries if e.record_id == "r-ocr-tpr"), record_id="r-ocr-fail", decision="fail"
    )
    index.entries.append(failed)
    ocr.gates[protocol.THIRD_PARTY_REVIEW] = status(failed)
    gaps = [g for g in find_gaps(assets, index, policy, NOW) if g.asset_id == "ocr-cloud"]
    assert [(g.rule, g.message) for g in gaps] == [
        (
            "third-party-unreviewed",
            "third_party_tool ocr-cloud: its last third-party review is fail (items expired: dpa)",
        )
    ]
