from __future__ import annotations

import shutil

import pytest

from govgate.errors import PolicyError
from govgate.policy import load_policy
from govgate.settings import DEFAULT_POLICY


def test_default_policy_is_valid_and_digested():
    policy = load_policy(DEFAULT_POLICY)
    assert {"low", "medium", "high"} <= set(policy.tiers)
    assert len(policy.sha256) == 64
    high = policy.tier("high")
    assert "model_review" in high.required_gates and "signoff" in high.required_evidence
    assert (
        high.model_review.max_demographic_parity_difference
        <= policy.tier("low").model_review.max_demographic_parity_difference
    )
    ref = policy.ref("high")
    assert ref.tier == "high" and ref.sha256 == policy.sha256 and ref.path.endswith("default.yaml")


def _write(tmp_path, text: str):
    path = tmp_path / "policy.yaml"
    path.write_text(text)
    return path


def _copy_default(tmp_path):
    return shutil.copy(DEFAULT_POLICY, tmp_path / "policy.yaml")


def test_unknown_key_names_file_and_key(tmp_path):
    path = _copy_default(tmp_path)
    text = open(path).read().replace("max_demographic_parity_difference: 0.05", "max_dp_diff: 0.05")
    open(path, "w").write(text)
    with pytest.raises(PolicyError) as err:
        load_policy(path)
    assert str(path) in str(err.value)
    assert "tiers.high.model_review.max_dp_diff: unknown key" in str(err.value)


def test_bad_value_names_key_and_value(tmp_path):
    path = _copy_default(tmp_path)
    text = open(path).read().replace("min_group_size: 50", "min_group_size: -5")
    open(path, "w").write(text)
    with pytest.raises(
        PolicyError, match=r"tiers\.high\.model_review\.min_group_size: .*greater than or equal to 1.*-5"
    ):
        load_policy(path)


def test_missing_tier(tmp_path):
    path = _write(tmp_path, "name: p\nversion: '1'\ndefault_tier: low\ntiers:\n  low: {}\n")
    with pytest.raises(PolicyError, match=r"missing tier\(s\) \['medium', 'high'\]"):
        load_policy(path)


def test_unknown_gate_and_evidence_kind(tmp_path):
    path = _write(
        tmp_path,
        "name: p\nversion: '1'\ntiers:\n  low: {required_gates: [data_reveiw]}\n  medium: {required_evidence: [vibes]}\n  high: {}\n",
    )
    with pytest.raises(PolicyError) as err:
        load_policy(path)
    assert "tiers.low.required_gates" in str(err.value) and "data_reveiw" in str(err.value)
    assert "tiers.medium.required_evidence" in str(err.value) and "vibes" in str(err.value)


def test_yaml_syntax_error_names_line(tmp_path):
    path = _write(tmp_path, "name: p\nversion: '1'\ntiers:\n  low: [unclosed\n")
    with pytest.raises(PolicyError, match=r"policy.yaml: not valid YAML at line \d+"):
        load_policy(path)


def test_missing_file(tmp_path):
    with pytest.raises(PolicyError, match="does-not-exist.yaml does not exist"):
        load_policy(tmp_path / "does-not-exist.yaml")


def test_bad_cron(tmp_path):
    path = _write(
        tmp_path, "name: p\nversion: '1'\ntiers:\n  low: {reassessment: {cron: 'daily'}}\n  medium: {}\n  high: {}\n"
    )
    with pytest.raises(PolicyError, match="tiers.low.reassessment.cron: .*not a 5-field cron"):
        load_policy(path)


def test_unknown_tier_request():
    with pytest.raises(PolicyError, match="unknown risk tier 'extreme'"):
        load_policy(DEFAULT_POLICY).tier("extreme")


def test_digest_changes_with_content(tmp_path):
    path = _copy_default(tmp_path)
    first = load_policy(path).sha256
    open(path, "a").write("\n# a comment changes the digest too\n")
    assert load_policy(path).sha256 != first


def test_schedules_are_validated(tmp_path):
    base = "name: p\nversion: '1'\ntiers:\n  low: {}\n  medium: {}\n  high: {}\n"
    path = _write(tmp_path, base + "schedules:\n  retention_purge: {cron: '0 25 * * *'}\n")
    with pytest.raises(PolicyError, match="schedules.retention_purge.cron: .*not a valid cron"):
        load_policy(path)
    path = _write(tmp_path, base + "schedules:\n  retention_purge: {cron: '0 2 * * *', timezone: Mars/Olympus}\n")
    with pytest.raises(PolicyError, match="schedules.retention_purge.timezone: .*IANA time zone"):
        load_policy(path)
    path = _write(tmp_path, base + "schedules:\n  retention_purge: {cron: '0 2 * * *', exectue: true}\n")
    with pytest.raises(PolicyError, match="schedules.retention_purge.exectue: unknown key"):
        load_policy(path)
    assert load_policy(DEFAULT_POLICY).schedules.retention_purge.cron == "0 2 * * *"
