"""Reading what a model returns (labels, scores, probabilities, text) and the user's leakage probe files."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from govgate.checks.leakage import builtin_probes, load_probe_file, redacted_excerpt
from govgate.errors import InputError
from govgate.model_output import LABELS, PROBABILITIES, SCORES, TEXT, first_reading, read_output

W = "model models:/m/1"


def _read(raw, classes=None, pos_label="1"):
    reading = first_reading(raw, len(raw), classes=classes, pos_label=pos_label, where=W)
    return read_output(raw, len(raw), reading, W)


def test_labels_scores_and_text_are_one_column():
    assert _read(np.array(["yes", "no", "yes"])).reading.kind == LABELS
    assert _read(np.array([0.0, 1.0, 1.0])).reading.kind == LABELS  # all 0/1: decisions
    out = _read(np.array([0.2, 0.9, 0.4]))
    assert out.reading.kind == SCORES and out.scores.tolist() == [0.2, 0.9, 0.4]
    assert _read(pd.DataFrame({"x": ["a long generated answer of some words"] * 3})).reading.kind == TEXT
    frame = pd.DataFrame({"prediction": ["a", "b", "a"], "score": [0.1, 0.2, 0.3]})
    assert _read(frame, pos_label="a").values.tolist() == ["a", "b", "a"]


def test_binary_probabilities_take_the_positive_column_by_classes_then_names_then_last():
    probs = np.array([[0.8, 0.2], [0.3, 0.7], [0.6, 0.4]])
    by_classes = _read(probs, classes=["good", "bad"], pos_label="good")
    assert by_classes.reading.kind == PROBABILITIES and by_classes.scores.tolist() == [0.8, 0.3, 0.6]
    assert "column 1 of 2 (the model's classes" in by_classes.reading.note
    by_names = _read(pd.DataFrame(probs, columns=["0", "1"]), pos_label="0")
    assert by_names.scores.tolist() == [0.8, 0.3, 0.6] and "column names" in by_names.reading.note
    last = _read(probs, pos_label="yes")
    assert last.scores.tolist() == [0.2, 0.7, 0.4] and "does not name its classes" in last.reading.note
    with pytest.raises(InputError, match=r"favourable label 'maybe' is not one of the model's classes"):
        _read(probs, classes=["good", "bad"], pos_label="maybe")


def test_multiclass_probabilities_decide_by_argmax_and_keep_the_positive_probability():
    probs = np.array([[0.1, 0.2, 0.7], [0.5, 0.3, 0.2], [0.2, 0.6, 0.2]])
    out = _read(probs, classes=["a", "b", "c"], pos_label="b")
    assert out.reading.multiclass and out.values.tolist() == ["c", "a", "b"]
    assert out.scores.tolist() == [0.2, 0.3, 0.6]


@pytest.mark.parametrize(
    ("raw", "says"),
    [
        (np.full((3, 2, 2), 0.25), "ndarray of shape (3, 2, 2)"),
        (np.array([[0.2, 0.2], [0.5, 0.5], [0.1, 0.1]]), "rows do not sum to 1"),
        (np.array([[2.0, -1.0]] * 3), "not one probability"),
        (pd.Series([[1, 2], [3], [4]]), "holding list values"),
    ],
)
def test_other_outputs_are_refused_naming_the_model_and_shape(raw, says):
    with pytest.raises(InputError) as err:
        _read(raw)
    assert W in str(err.value) and says in str(err.value)


def test_a_later_output_of_another_shape_is_refused():
    reading = first_reading(np.array([[0.4, 0.6]] * 2), 2, classes=None, pos_label="1", where=W)
    with pytest.raises(InputError, match="unlike its first output"):
        read_output(np.array([0.4, 0.6]), 2, reading, W)
    with pytest.raises(InputError, match="for 3 rows"):
        read_output(np.array([[0.4, 0.6]] * 2), 3, reading, W)


@pytest.mark.parametrize(
    ("text", "says"),
    [
        (
            '{"id": "a", "prompt": "x"}\n{"id": "a", "prompt": "y"}\n',
            "line 2 (id 'a'): id 'a' is already used by line 1",
        ),
        ('{"id": "a", "prompt": "x"}\nnot json\n', "line 2: not valid JSON"),
        ('{"id": "a", "prompt": "x", "expect": ["abc"]}\n', "expect: each marker needs at least 4 characters"),
        ('{"id": "canary_prefixes.1", "prompt": "x"}\n', "already used by a built-in probe"),
        ('{"id": "a b", "prompt": "x"}\n', "line 1 (id 'a b'): id:"),
        ("\n", "no probes"),
    ],
)
def test_probe_file_errors_name_the_file_and_entry(tmp_path, text, says):
    path = tmp_path / "p.jsonl"
    path.write_text(text)
    with pytest.raises(InputError) as err:
        load_probe_file(path)
    assert str(path) in str(err.value) and says in str(err.value), str(err.value)


def test_probe_file_in_yaml(tmp_path):
    path = tmp_path / "p.yaml"
    path.write_text("- id: env\n  prompt: 'DB_PASSWORD='\n  expect: [canary-0001]\n  family: mine\n")
    (probe,) = load_probe_file(path)
    assert (probe.id, probe.family, probe.source, probe.expect) == ("env", "mine", "p.yaml", ["canary-0001"])
    path.write_text("probes: [just a prompt]\n")
    with pytest.raises(InputError, match="entry 1: expected a mapping with id and prompt, got str"):
        load_probe_file(path)
    path.write_text("probes: {id: env}\n")
    with pytest.raises(InputError, match="expected a list of probes"):
        load_probe_file(path)
    assert len(builtin_probes()) >= 19


def test_excerpt_keeps_no_secret_marker_or_number():
    from govgate.checks.pii import build_analyzer

    key_id = "AKIA" + "Q" * 4 + "7" * 12
    text = f"here is {key_id} and canary-XYZW-42 for bob@example.org, call 0912 345 678"
    excerpt = redacted_excerpt(text, ["canary-XYZW-42"], b"k", build_analyzer(None)[0])
    assert "<SECRET hmac:" in excerpt and "<EXPECTED_MARKER #1>" in excerpt and "<EMAIL_ADDRESS>" in excerpt
    assert key_id[:12] not in excerpt and "XYZW" not in excerpt and "345" not in excerpt
