"""The shared gate-run context: what every gate does around its checks, written once.

``with GateRun(gate, subject, parameters) as run:`` opens a run (record id, start time); the flow loads
the policy through it, runs its tasks, and ends with ``run.finish(checks, outputs=...)``, which decides,
builds the record (provenance, timing, Prefect run ids) and publishes it (store, MLflow, Prefect
artifacts). A ``GovgateError`` inside the block is logged, recorded as an ``error`` record (the version's
tag then says error, never a pass that was not computed) and re-raised with its message unchanged.
"""

from __future__ import annotations

import traceback
from collections.abc import Callable
from pathlib import Path
from typing import Any

from prefect import get_run_logger
from prefect.states import State

from govgate.errors import GovgateError, unexpected_error
from govgate.gate import build_record, error_record, unloaded_policy_ref
from govgate.policy import Policy, load_policy
from govgate.record import ArtifactRef, Check, Decision, Finding, GateResult, Subject, decide, new_record_id, utcnow
from tasks import context
from tasks.evidence import publish_evidence
from tasks.run_view import final_state, label_run

ExtraFiles = dict[str, bytes | Path] | Callable[[GateResult], dict[str, bytes | Path]] | None


class GateRun:
    """One gate run, from its record id to its published record (or error record)."""

    def __init__(
        self,
        gate: str,
        subject: Subject,
        parameters: dict[str, Any],
        *,
        tier: str | None = None,
        model_version: tuple[str, str] | None = None,
        error_record: bool = True,
    ) -> None:
        self.gate = gate
        self.started_at = utcnow()
        self.record_id = new_record_id(self.started_at)
        self.settings = context.settings()
        self.subject = subject  # updated by the flow as it learns more; the error record names what it knew
        self.parameters = parameters
        self.tier = tier
        self.policy: Policy | None = None
        self.checks: list[Check] = []  # the checks decided so far: kept in an error record
        self.model_version = model_version  # the model version whose tags carry the decision
        self.record: GateResult | None = None
        self._error_record = error_record  # False where there is nowhere to publish (the selftest)

    def __enter__(self) -> GateRun:
        label_run(self.gate, self.subject, self.tier)  # gate and subject in the run's name from the start
        return self

    def __exit__(self, exc_type, exc, tb) -> bool:
        """Any exception leaves an error record (and the version's error tag, so the registration poll does
        not retry it forever). One govgate did not expect is recorded and re-raised as an ``UnexpectedError``
        by type and place only: its own text may quote data values. A cancellation is not recorded."""
        if not isinstance(exc, Exception):
            return False
        cause = exc if isinstance(exc, GovgateError) else unexpected_error(exc, tb)
        logger = get_run_logger()
        logger.error("%s could not finish: %s", self.gate.replace("-", " "), cause)
        if cause is not exc:
            logger.error("where it was raised (code lines only):\n%s", "".join(traceback.format_tb(tb)))
        if self._error_record:
            try:
                self._publish_error(cause)
            except Exception as publish_exc:  # the run's own error is the one to report
                logger.error("the error record could not be published: %s", unexpected_error(publish_exc))
        if cause is not exc:
            raise cause from None
        return False  # never swallow: the flow run fails with the error's message

    def load_policy(self) -> Policy:
        self.policy = load_policy(self.settings.policy)
        return self.policy

    def use_tier(self, tier: str) -> str:
        """The tier the run is decided at (once known: from a parameter, a tag, the policy's default)."""
        self.tier = tier
        return tier

    def decide(self, checks: list[Check], inconclusive_blocks: bool | None = None) -> Decision:
        """The one decision rule; inconclusive blocks as the policy tier says (always, without a tier)."""
        if inconclusive_blocks is None:
            inconclusive_blocks = self.policy.tier(self.tier).inconclusive_blocks if self.policy and self.tier else True
        self.checks = checks
        return decide(checks, inconclusive_blocks=inconclusive_blocks)

    def build(
        self,
        checks: list[Check],
        *,
        findings: list[Finding] | None = None,
        outputs: dict[str, Any] | None = None,
        decision: Decision | None = None,
        artifacts: list[ArtifactRef] | None = None,
    ) -> GateResult:
        decision = decision or self.decide(checks)
        record = build_record(
            gate=self.gate,
            subject=self.subject,
            policy=self.policy or unloaded_policy_ref(self.settings.policy, self.tier),
            tier=self.tier,
            started_at=self.started_at,
            checks=checks,
            findings=findings,
            decision=decision,
            parameters=self.parameters,
            runtime=context.run_ids(),
            record_id=self.record_id,
            outputs=outputs,
        )
        record.artifacts += artifacts or []
        self.record = record
        return record

    def finish(self, checks: list[Check], *, extra_files: ExtraFiles = None, **record_fields) -> dict:
        """Decide (unless a decision is given), build and publish the record; the publish result.
        ``extra_files`` may be a function of the record (a model card, a datasheet)."""
        record = self.build(checks, **record_fields)
        files = extra_files(record) if callable(extra_files) else extra_files
        return publish_evidence(record, extra_files=files, model_version=self.model_version)

    def final_state(self, result: dict) -> State:
        """What the flow returns (``return run.final_state(result)``): a Completed state named after the
        decision, or Failed when the tier's ``fail_run_on`` lists it; ``result`` is the state's data."""
        if self.record is None:
            raise RuntimeError("final_state() needs a finished run: call finish() first")
        rules = self.policy.tiers.get(self.record.policy.tier) if self.policy else None
        return final_state(self.record, result, rules.fail_run_on if rules else ["fail"])

    def _publish_error(self, exc: GovgateError) -> None:
        failed = error_record(
            gate=self.gate,
            subject=self.subject,
            policy=self.policy or unloaded_policy_ref(self.settings.policy, self.tier),
            tier=self.tier,
            started_at=self.started_at,
            error=exc,
            checks=self.checks,
            parameters=self.parameters,
            runtime=context.run_ids(),
            record_id=self.record_id,
        )
        try:
            publish_evidence(failed, model_version=self.model_version)
        except GovgateError as publish_exc:
            get_run_logger().error("the error record could not be published either: %s", publish_exc)
