"""One column in one scope tested: the chosen test on the reference and current summaries, PSI beside,
or the reason it could not be tested."""

from __future__ import annotations

from dataclasses import dataclass, field

from govgate.checks.drift.constants import (
    CATEGORICAL,
    CHI_SQUARE,
    DISTANCE_THRESHOLD,
    JENSEN_SHANNON,
    KS,
    NUMERIC,
    P_VALUE_THRESHOLD,
    WASSERSTEIN,
)
from govgate.checks.drift.plan import ColumnPlan, as_binned
from govgate.checks.drift.selection import P_VALUE_TESTS, choose_test
from govgate.checks.drift.stattests import (
    chi_square_test,
    homogeneity_test,
    jensen_shannon,
    ks_test,
    n_unique,
    psi,
    recorded_bin_counts,
    std_norm,
    value_counts,
    z_test,
)
from govgate.checks.drift.summary import CategoryCounts, NumericCounts, Scope
from govgate.checks.drift.wasserstein import wasserstein_bounds


@dataclass
class ColumnResult:
    scope: Scope
    column: str
    kind: str
    n_reference: int = 0
    n_current: int = 0
    missing_current: int = 0
    test: str | None = None
    statistic: float | None = None  # KS D, chi-square, z, or the distance itself
    p_value: float | None = None  # p-value tests only: the judged one
    p_value_evidently: float | None = None  # Evidently's (differs for chi-square: its goodness-of-fit form)
    p_adjusted: float | None = None  # Holm, across the scope's p-value tests
    distance: float | None = None  # distance tests only (Wasserstein / std, Jensen-Shannon)
    lower: float | None = None  # binning bounds of the Wasserstein distance / std
    upper: float | None = None
    n_values: int | None = None
    psi: float | None = None
    std: float | None = None
    inconclusive: str = ""  # why it could not be tested
    approximate: str = ""
    extra: dict = field(default_factory=dict)

    @property
    def is_p_value(self) -> bool:
        return self.test in P_VALUE_TESTS

    def evidently_drift(self, alpha: float = P_VALUE_THRESHOLD, limit: float = DISTANCE_THRESHOLD) -> bool | None:
        """Evidently's own verdict (raw p-value, no correction): KS drifts at p <= alpha, chi-square and Z
        at p < alpha, distances at >= limit."""
        if self.test is None:
            return None
        if self.test == KS:
            return self.p_value_evidently <= alpha
        if self.is_p_value:
            return self.p_value_evidently < alpha
        return self.distance >= limit


def evaluate_column(
    plan: ColumnPlan, scope: Scope, ref: NumericCounts | CategoryCounts | None, cur, min_rows: int
) -> ColumnResult:
    """The test Evidently would choose, on the summaries; ``min_rows`` non-missing rows needed on each side
    (0 overall: any non-empty data is tested, as Evidently does)."""
    result = ColumnResult(scope=scope, column=plan.name, kind=plan.kind, approximate=plan.approximate)
    result.n_reference = ref.n if ref is not None else 0
    result.n_current = cur.n if cur is not None else 0
    result.missing_current = cur.missing if cur is not None else 0
    reason = _untestable(result, min_rows)
    if reason:
        result.inconclusive = reason
        return result
    if plan.kind == NUMERIC and plan.binned:
        # a coarse recorded reference is known only per bin: exact tests on values (KS, Wasserstein) would
        # compare bin middles with raw values and flag identical data; the bins are tested as categories
        ref_values, cur_values = recorded_bin_counts(plan, ref), recorded_bin_counts(plan, cur)
        result.n_values = n_unique(ref_values, cur_values)
        result.test = choose_test(CATEGORICAL, result.n_reference, result.n_values)
        result.approximate = f"approximate reference: {plan.approximate}; tested as counts per recorded bin"
    else:
        cur = as_binned(plan, cur) if plan.kind == NUMERIC else cur
        ref_values, cur_values = value_counts(plan, ref), value_counts(plan, cur)
        result.n_values = n_unique(ref_values, cur_values)
        result.test = choose_test(plan.kind, result.n_reference, result.n_values)
    _run(result, plan, ref, cur, ref_values, cur_values)
    result.psi = psi(plan, ref, cur)
    return result


def _untestable(result: ColumnResult, min_rows: int) -> str:
    if result.n_reference == 0:
        return "no reference values (the reference has none for this column and scope)"
    if result.n_current == 0:
        missing = f" ({result.missing_current} missing)" if result.missing_current else ""
        return f"no current values{missing}: nothing to compare"
    if min(result.n_reference, result.n_current) < min_rows:
        return (
            f"too few rows to judge: {result.n_reference} reference and {result.n_current} current values, "
            f"at least {min_rows} needed on each side"
        )
    return ""


def _run(result: ColumnResult, plan: ColumnPlan, ref, cur, ref_values, cur_values) -> None:
    if result.test == KS:
        result.statistic, result.p_value = ks_test(plan, ref, cur)
    elif result.test == CHI_SQUARE:
        result.statistic, result.p_value = homogeneity_test(ref_values, cur_values)
        result.extra["chi_square_evidently"], result.p_value_evidently = chi_square_test(ref_values, cur_values)
    elif result.test in P_VALUE_TESTS:
        result.statistic, result.p_value = z_test(ref_values, cur_values)
    elif result.test == JENSEN_SHANNON:
        result.distance = result.statistic = jensen_shannon(ref_values, cur_values)
    elif result.test == WASSERSTEIN:
        result.std = std_norm(ref)
        estimate, low, high = wasserstein_bounds(plan, ref, cur)
        result.distance = result.statistic = estimate / result.std
        result.lower, result.upper = low / result.std, high / result.std
    if result.p_value_evidently is None:
        result.p_value_evidently = result.p_value
    if plan.kind == NUMERIC and result.test == KS and not plan.exact and not result.approximate:
        result.approximate = "KS on quantile bins: D at bin edges only"
