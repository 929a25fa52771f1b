"""Shared pieces of the model-check tests: the review rules and a check lookup."""

from __future__ import annotations

from govgate.policy import ModelReviewRules

RULES = ModelReviewRules(max_flip_rate=0.05, min_group_size=30)


def by_id(checks):
    return {c.id: c for c in checks}


def numeric(X):
    return X.drop(columns=["region"])
