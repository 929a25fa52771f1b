"""Protocol names: one tag family per gate, the launch gate's legacy tags still read, and no tag name
spelled outside govgate/protocol.py."""

from __future__ import annotations

import ast
import re
from pathlib import Path

import pytest

from govgate import protocol

ROOT = Path(__file__).resolve().parents[2]
# Scanned for tag literals: every layer.
SCANNED = ("govgate", "tasks", "flows", "cli", "deployments")
TAG_SHAPE = re.compile(r"^govgate\.[a-z_]+\.[a-z_]+")
# Every tag name protocol.py defines (document kinds such as govgate.fairness/1 are not tags).
PROTOCOL_TAGS = {
    value
    for name, value in vars(protocol).items()
    if name.isupper() and isinstance(value, str) and re.fullmatch(r"govgate\.[a-z_.]+", value)
}


def test_gate_tag_is_one_family_per_gate():
    assert protocol.gate_tag(protocol.MODEL_REVIEW, protocol.DECISION) == "govgate.model_review.decision"
    assert protocol.gate_tag(protocol.LAUNCH_EVIDENCE, protocol.PACKAGE_URI) == "govgate.launch_evidence.package_uri"
    assert protocol.gate_family(protocol.RETENTION_PURGE) == "govgate.retention_purge"


def test_read_gate_tag_prefers_the_family_and_falls_back_to_the_legacy_launch_tag():
    new, old = "s3://b/evidence/new/", "s3://b/evidence/old/"
    tags = {"govgate.launch_evidence.package_uri": new, "govgate.launch.package_uri": old}
    assert protocol.read_gate_tag(tags, protocol.LAUNCH_EVIDENCE, protocol.PACKAGE_URI) == new
    assert protocol.read_gate_tag({"govgate.launch.package_uri": old}, protocol.LAUNCH_EVIDENCE, "package_uri") == old
    assert protocol.read_gate_tag({}, protocol.LAUNCH_EVIDENCE, protocol.PACKAGE_URI) is None
    # only the launch gate had a legacy family
    assert protocol.read_gate_tag({"govgate.model.decision": "pass"}, protocol.MODEL_REVIEW, "decision") is None


@pytest.mark.parametrize(
    ("key", "parsed"),
    [
        ("govgate.model_review.record_uri", ("model-review", "record_uri")),
        ("govgate.launch.package_uri", ("launch-evidence", "package_uri")),
        ("govgate.launch_evidence.package_id", ("launch-evidence", "package_id")),
        ("govgate.tier", None),
        ("mlflow.note.content", None),
    ],
)
def test_parse_gate_tag(key, parsed):
    assert protocol.parse_gate_tag(key) == parsed


def _docstrings(tree: ast.AST) -> set[int]:
    ids = set()
    for node in ast.walk(tree):
        if isinstance(node, (ast.Module, ast.ClassDef, ast.FunctionDef, ast.AsyncFunctionDef)):
            body = node.body
            if body and isinstance(body[0], ast.Expr) and isinstance(body[0].value, ast.Constant):
                ids.add(id(body[0].value))
    return ids


def _logger_names(tree: ast.AST) -> set[int]:
    return {
        id(arg)
        for node in ast.walk(tree)
        if isinstance(node, ast.Call) and getattr(node.func, "attr", getattr(node.func, "id", None)) == "getLogger"
        for arg in node.args
    }


def tag_literals(path: Path) -> list[str]:
    """``line: literal`` of every string constant in the file that spells a govgate tag."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    allowed = _docstrings(tree) | _logger_names(tree)
    found = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Constant) and isinstance(node.value, str) and id(node) not in allowed:
            if TAG_SHAPE.match(node.value) or node.value in PROTOCOL_TAGS:
                found.append(f"{node.lineno}: {node.value!r}")
        elif isinstance(node, ast.JoinedStr) and node.values:
            first = node.values[0]
            if isinstance(first, ast.Constant) and str(first.value).startswith("govgate.") and "." in first.value[8:]:
                found.append(f"{node.lineno}: f-string {first.value!r}...")
    return found


def test_the_scan_finds_a_tag_literal(tmp_path):
    sample = tmp_path / "sample.py"
    sample.write_text(
        '"""govgate.model_review.decision in a docstring is fine."""\n'
        'import logging\nlog = logging.getLogger("govgate.bridge.sub")\n'
        'TAG = "govgate.model_review.decision"\nDEC = "govgate.decision"\nFAM = f"govgate.x.{1}"\n'
    )
    assert tag_literals(sample) == [
        "4: 'govgate.model_review.decision'",
        "5: 'govgate.decision'",
        "6: f-string 'govgate.x.'...",
    ]


def test_no_tag_literal_outside_protocol():
    found = {}
    for folder in SCANNED:
        for path in sorted((ROOT / folder).rglob("*.py")):
            if path == ROOT / "govgate" / "protocol.py":
                continue
            if hits := tag_literals(path):
                found[str(path.relative_to(ROOT))] = hits
    assert found == {}, "spell these through govgate.protocol: " + repr(found)
