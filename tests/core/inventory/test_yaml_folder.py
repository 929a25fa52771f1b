"""The inventory/ YAML folder: the shipped example reads; every bad input is one ConfigError naming the file
and the key."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from govgate.errors import ConfigError
from govgate.inventory.sources.yaml_folder import check_lineage, read_folder

REPO = Path(__file__).resolve().parents[3]
EXAMPLE = REPO / "docs" / "examples" / "inventory"
TIERS = ["low", "medium", "high"]

GOOD = """\
assets:
  - id: tool:copilot
    kind: third_party_tool
    name: Copilot
    owner: lead@example.com
"""


def test_the_example_folder_reads():
    inv = read_folder(EXAMPLE, tiers=TIERS)
    by_id = {a.id: a for a in inv.assets}
    assert sorted(by_id) == [
        "api:openai-gpt-4o",
        "feature:support-assistant",
        "tool:github-copilot",
        "tool:speech-transcriber",
    ]
    copilot = by_id["tool:github-copilot"]
    assert (copilot.kind, copilot.owner, copilot.tier, copilot.status, copilot.sources) == (
        "third_party_tool",
        "platform-lead@example.com",
        "low",
        "deployed",
        ["yaml"],
    )
    assert copilot.tier_reason == f"inventory YAML {EXAMPLE / 'third-party-tools.yaml'}"
    assert copilot.attributes["vendor"] == "GitHub (Microsoft)" and copilot.attributes["seats"] == 120
    assert [(lk.relation, lk.from_id, lk.to_id) for lk in copilot.lineage] == [
        ("depends_on", "tool:github-copilot", "api:openai-gpt-4o")
    ]
    assert sorted(inv.overrides) == ["dataset:loans", "model:credit-risk"]
    check_lineage(inv, set(by_id))  # the example's lineage points inside the example


BAD = [
    (
        "unknown key",
        {"a.yaml": GOOD + "    colour: blue\n"},
        "a.yaml: assets.0.colour: unknown key",
    ),
    (
        "unknown top-level key",
        {"a.yaml": "asets: []\n"},
        "a.yaml: asets: unknown key",
    ),
    (
        "unknown kind",
        {"a.yaml": GOOD.replace("third_party_tool", "robot")},
        "a.yaml: assets.0.kind: Input should be",
    ),
    (
        "owner not an address",
        {"a.yaml": GOOD.replace("lead@example.com", "Bob from IT")},
        "a.yaml: assets.0.owner: 'Bob from IT' is not an e-mail address",
    ),
    (
        "override owner not an address",
        {"a.yaml": "overrides:\n  - id: model:credit\n    owner: bob\n"},
        "a.yaml: overrides.0.owner: 'bob' is not an e-mail address",
    ),
    (
        "duplicate id across files",
        {"a.yaml": GOOD, "b.yaml": GOOD},
        "b.yaml: assets[0].id: duplicate id 'tool:copilot' (already used at ",
    ),
    (
        "duplicate id: an asset and an override",
        {"a.yaml": GOOD, "b.yaml": "overrides:\n  - id: tool:copilot\n    owner: x@example.com\n"},
        "b.yaml: overrides[0].id: duplicate id 'tool:copilot'",
    ),
    (
        "duplicate key in one mapping",
        {"a.yaml": GOOD + "    name: Again\n"},
        "found duplicate key 'name'",
    ),
    (
        "tier the policy does not define",
        {"a.yaml": GOOD + "    tier: extreme\n"},
        "a.yaml: assets[0].tier: unknown risk tier 'extreme'; the policy defines ['low', 'medium', 'high']",
    ),
    (
        "missing name",
        {"a.yaml": "assets:\n  - id: x:y\n    kind: ai_feature\n"},
        "a.yaml: assets.0.name: required key is missing",
    ),
    (
        "id with a space",
        {"a.yaml": GOOD.replace("tool:copilot", "tool copilot")},
        "a.yaml: assets.0.id: String should match pattern",
    ),
    (
        "not a mapping",
        {"a.yaml": "- just\n- a list\n"},
        "a.yaml: expected a mapping with keys assets and/or overrides; got list",
    ),
    (
        "not YAML",
        {"a.yml": "assets: [\n"},
        "a.yml: not valid YAML at line",
    ),
]


@pytest.mark.parametrize(("files", "message"), [b[1:] for b in BAD], ids=[b[0] for b in BAD])
def test_bad_input_is_one_error_naming_the_file_and_key(tmp_path, files, message):
    for name, text in files.items():
        (tmp_path / name).write_text(text)
    with pytest.raises(ConfigError) as err:
        read_folder(tmp_path, tiers=TIERS)
    assert message in str(err.value)
    assert str(tmp_path) in str(err.value)


def test_a_lineage_that_points_nowhere_names_the_file_and_key(tmp_path):
    shutil.copytree(EXAMPLE, tmp_path / "inv")
    inv = read_folder(tmp_path / "inv", tiers=TIERS)
    known = {a.id for a in inv.assets} - {"api:openai-gpt-4o"}
    with pytest.raises(ConfigError) as err:
        check_lineage(inv, known)
    assert str(err.value) == (
        f"{tmp_path / 'inv' / 'foundation-models.yaml'}: assets[1].lineage[0].to: 'api:openai-gpt-4o' points "
        "nowhere (no source found an asset with that id)"
    )


def test_a_missing_folder_and_an_empty_file(tmp_path):
    with pytest.raises(ConfigError, match="does not exist or is not a folder"):
        read_folder(tmp_path / "nope")
    (tmp_path / "empty.yaml").write_text("# nothing yet\n")
    (tmp_path / "notes.txt").write_text("not read")
    inv = read_folder(tmp_path)
    assert inv.assets == [] and inv.files == [str(tmp_path / "empty.yaml")]
