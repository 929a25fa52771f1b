"""Fixtures of the PII tests: a synthetic frame with planted PII, and the pattern-only analyzer."""

from __future__ import annotations

import pytest

from govgate.checks.pii import (
    build_analyzer,
)
from tests.checks.pii.helpers import make_frame


@pytest.fixture(scope="module")
def frame():
    return make_frame()


@pytest.fixture(scope="module")
def analyzer():
    return build_analyzer(None)[0]
