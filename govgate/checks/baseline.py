"""A figure compared with the same figure of the last approved version: one-sided, with the interval the
review computed for the current figure (``govgate.checks.stats``), against the value the baseline's record
kept, judged by ``Threshold.judge`` on the worsening: pass when even the worst end of the interval is
within the tolerance, fail when even the best end is beyond it, warn when the interval straddles it.

The baseline's figure is taken as recorded (its own interval is not combined): the question is whether
this version is measurably worse than what was approved, not whether the two estimates differ.
"""

from __future__ import annotations

from dataclasses import dataclass

from govgate.record import Check, Metric, Outcome, Threshold


@dataclass(frozen=True)
class BaselineRef:
    """Which approved version and record a comparison is against."""

    model: str
    version: str
    record_id: str | None = None
    record_uri: str | None = None

    @property
    def label(self) -> str:
        return f"{self.model} version {self.version}" + (f" (record {self.record_id})" if self.record_id else "")

    def to_dict(self) -> dict[str, str | None]:
        return {"model": self.model, "version": self.version, "record_id": self.record_id, "uri": self.record_uri}


def worsening(current: Metric, old: float, higher_is_better: bool) -> tuple[float, float | None, float | None]:
    """How much worse than ``old`` the current figure is (negative: better), and the interval of that,
    from the current figure's interval. Rounded so that float noise in equal figures is no worsening."""
    sign = 1.0 if higher_is_better else -1.0

    def w(x: float | None) -> float | None:
        return None if x is None else round(sign * (old - x), 12)

    lo, hi = w(current.upper), w(current.lower)
    if lo is not None and hi is not None and lo > hi:
        lo, hi = hi, lo
    return w(current.value), lo, hi


def vs_baseline_check(
    *,
    cid: str,
    title: str,
    category: str,
    evidence_kind: str,
    current: Metric,
    old: float,
    higher_is_better: bool,
    tolerance: float,
    baseline: BaselineRef | None,
) -> Check:
    """``current`` (with its interval) no worse than ``old`` by more than ``tolerance``."""
    threshold = Threshold(
        metric="worsening", op="<=", value=tolerance, baseline_record=baseline.record_id if baseline else None
    )
    value, lo, hi = worsening(current, old, higher_is_better)
    outcome = threshold.judge(value, lo, hi)
    ci = f" [{current.lower:.4f}, {current.upper:.4f}]" if current.lower is not None else ""
    w_ci = f" (interval {lo:.4f}..{hi:.4f})" if lo is not None else ""
    against = f"baseline {old:.4f} from {baseline.label}" if baseline else f"baseline {old:.4f}"
    verdict = {
        Outcome.PASS: "no worse than the tolerance allows",
        Outcome.FAIL: "worse by more than the tolerance",
        Outcome.WARN: "may be worse by more than the tolerance (the interval straddles it)",
    }.get(outcome, "not judged")
    return Check(
        id=cid,
        title=title,
        category=category,
        outcome=outcome,
        message=f"now {current.value:.4f}{ci}, {against}: worsening {value:.4f}{w_ci}, tolerance {tolerance:g}: "
        f"{verdict}",
        metrics=[
            Metric(
                name="worsening",
                value=value,
                lower=lo,
                upper=hi,
                confidence=current.confidence if lo is not None else None,
            ),
            current.model_copy(update={"name": "current"}),
            Metric(name="baseline", value=float(old)),
        ],
        threshold=threshold,
        evidence_kind=evidence_kind,
        details={"baseline": baseline.to_dict() if baseline else None, "higher_is_better": higher_is_better},
    )


def missing_baseline_check(
    *, cid: str, title: str, category: str, evidence_kind: str, where: list[str], tolerance: float, baseline, why=None
) -> Check:
    """A figure missing in the current review or in the baseline record: inconclusive, saying where."""
    return Check(
        id=cid,
        title=title,
        category=category,
        outcome=Outcome.INCONCLUSIVE,
        threshold=Threshold(
            metric="worsening", op="<=", value=tolerance, baseline_record=baseline.record_id if baseline else None
        ),
        message=f"missing in {' and '.join(where)}"
        + (f" ({why})" if why else "")
        + (f"; baseline: {baseline.label}" if baseline else ""),
        evidence_kind=evidence_kind,
        details={"baseline": baseline.to_dict() if baseline else None},
    )
