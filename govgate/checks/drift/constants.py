"""Settings of the drift engine: Evidently's defaults (test choice by type and size) and the engine's own."""

from __future__ import annotations

# Evidently's default test choice (``get_default_stattest``): a reference of at most this many rows gets
# p-value tests (KS / chi-square / Z), a larger one distances (Wasserstein / Jensen-Shannon), because on
# large samples a p-value flags every negligible shift.
SMALL_REFERENCE_ROWS = 1000
LOW_CARDINALITY = 5  # n unique values (reference and current together) at or below it: a categorical test
BINARY = 2  # at or below it (small reference): the two-proportion Z-test instead of chi-square
P_VALUE_THRESHOLD = 0.05
DISTANCE_THRESHOLD = 0.1
DATASET_DRIFT_SHARE = 0.5  # dataset drift when at least this share of the tested columns drift
STD_FLOOR = 0.001  # Evidently's floor of the reference std that normalises the Wasserstein distance

# Test names as Evidently names them (recorded in each check's details).
KS = "ks"
CHI_SQUARE = "chisquare"
Z_TEST = "z"
WASSERSTEIN = "wasserstein"
JENSEN_SHANNON = "jensenshannon"

# Binning of numeric columns. A column with at most EXACT_EDGES_MAX distinct reference values keeps every
# value as an edge (so KS, chi-square and Z are exact); above it the edges are QUANTILE_BINS reference
# quantiles (Wasserstein then carries bounds on its binning error, which shrink as 1 / QUANTILE_BINS).
EXACT_EDGES_MAX = 1000
QUANTILE_BINS = 4000
# Off-edge values (current values that are no reference value) are counted one by one, up to this many
# distinct ones, only when the reference has at most this many distinct values: that is when the count of
# unique values can still decide the test.
OFF_EDGE_CAP = 64

# PSI, reported beside every test (not judged): reference deciles (each value its own bin when a column
# has at most PSI_BINS values, each category for categorical columns); zero proportions replaced by
# Evidently's rule (PSI_EPSILON, or the smallest non-zero share / 1e6 when that is below PSI_EPSILON).
PSI_BINS = 10
PSI_EPSILON = 1e-4
PSI_BANDS = ((0.1, "no significant change"), (0.25, "moderate change"), (float("inf"), "major change"))

# Per protected group: fewer non-missing rows than this in the group's reference or current data is
# inconclusive, never a pass.
MIN_GROUP_ROWS = 100

OTHER = "__other__"  # the categories a recorded reference lumped together beyond its top list
PREDICTION = "prediction"  # the column that holds the model's predictions in current data
NUMERIC = "numeric"
CATEGORICAL = "categorical"
CATEGORY = "drift"
EVIDENCE_KIND = "drift_monitoring"
