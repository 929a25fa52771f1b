"""The baseline of a deployed version: its last passing model-review record, found through the
version's ``govgate.model_review.*`` tags and read with its manifest digest checked (``load_record``).
Every way this can go wrong is named: never reviewed, not passed, a record outside the store, missing or
incomplete (no manifest, no fairness report or reference distributions), bytes changed after publishing."""

from __future__ import annotations

from dataclasses import dataclass

from govgate import protocol
from govgate.checks.baseline import BaselineRef
from govgate.errors import StoreError, TamperedError
from govgate.publish import load_record
from govgate.record import FAIRNESS_REPORT, REFERENCE_DISTRIBUTIONS, GateResult
from govgate.store import ObjectStore

UNAPPROVED = "unapproved"  # never reviewed, or the last review did not pass
UNREADABLE = "unreadable"  # the record is missing, incomplete or its digest does not match


@dataclass
class Baseline:
    ref: BaselineRef | None = None
    record: GateResult | None = None
    problem: str | None = None
    kind: str | None = None  # UNAPPROVED | UNREADABLE when there is a problem

    @property
    def approved(self) -> bool:
        return self.kind != UNAPPROVED


def _key_in_store(store: ObjectStore, uri: str) -> str | None:
    base = store.url.rstrip("/") + "/"
    return uri[len(base) :] if uri.startswith(base) else None


def last_passing_review(tracker, model: str, version: str) -> dict[str, str] | None:
    """The version's newest passing model review in MLflow (its run tags), as the version's gate tags
    would name it; None when no review of the version passed. For a version whose latest review did not
    pass: the baseline is still the last one that did."""
    exp = tracker.client.get_experiment_by_name(tracker.experiment_name(protocol.MODEL_REVIEW))
    if exp is None:
        return None
    where = (
        f"tags.`{protocol.RUN_SUBJECT_ID}` = '{model}' and tags.`{protocol.RUN_SUBJECT_VERSION}` = '{version}' "
        f"and tags.`{protocol.RUN_DECISION}` = 'pass'"
    )
    runs = tracker.client.search_runs(
        [exp.experiment_id], where, order_by=["attributes.start_time DESC"], max_results=1
    )
    if not runs:
        return None
    t = runs[0].data.tags
    return {
        protocol.gate_tag(protocol.MODEL_REVIEW, protocol.DECISION): "pass",
        protocol.gate_tag(protocol.MODEL_REVIEW, protocol.RECORD_URI): t.get(protocol.RUN_RECORD_URI, ""),
        protocol.gate_tag(protocol.MODEL_REVIEW, protocol.RECORD_ID): t.get(protocol.RUN_RECORD_ID, ""),
    }


def find_baseline(
    store: ObjectStore, model: str, version: str, tags: dict[str, str], earlier: dict[str, str] | None = None
) -> Baseline:
    """The version's approved model-review record, or a Baseline whose ``problem`` says why there is none.
    ``earlier``: the last passing review's tags (``last_passing_review``), used when the latest did not pass."""
    decision = protocol.read_gate_tag(tags, protocol.MODEL_REVIEW, protocol.DECISION)
    if decision not in (None, "pass") and earlier:
        return find_baseline(store, model, version, earlier)
    uri = protocol.read_gate_tag(tags, protocol.MODEL_REVIEW, protocol.RECORD_URI)
    record_id = protocol.read_gate_tag(tags, protocol.MODEL_REVIEW, protocol.RECORD_ID)
    ref = BaselineRef(model, version, record_id, uri)
    if decision is None:
        return Baseline(
            ref,
            problem=f"{model} version {version} was never reviewed (no "
            f"{protocol.gate_tag(protocol.MODEL_REVIEW, protocol.DECISION)} tag)",
            kind=UNAPPROVED,
        )
    if decision != "pass":
        return Baseline(
            ref,
            problem=f"{model} version {version} never passed a model review: its last review "
            f"decided {decision!r} ({uri or 'no record tag'})",
            kind=UNAPPROVED,
        )
    key = _key_in_store(store, uri or "")
    if key is None:
        return Baseline(
            ref,
            problem=f"baseline record of {model} version {version}: the tag "
            f"{protocol.gate_tag(protocol.MODEL_REVIEW, protocol.RECORD_URI)} = {uri!r} is not in the "
            f"evidence store {store.url}",
            kind=UNREADABLE,
        )
    try:
        record = load_record(store, key)
    except TamperedError as exc:
        return Baseline(ref, problem=f"baseline record digest mismatch: {exc}", kind=UNREADABLE)
    except StoreError as exc:
        return Baseline(ref, problem=f"baseline record missing or incomplete: {exc}", kind=UNREADABLE)
    missing = [name for name in (FAIRNESS_REPORT, REFERENCE_DISTRIBUTIONS) if not record.outputs.get(name)]
    if missing:
        return Baseline(
            ref, record, problem=f"baseline record {uri} is incomplete: it has no {missing} output(s)", kind=UNREADABLE
        )
    return Baseline(ref, record)
