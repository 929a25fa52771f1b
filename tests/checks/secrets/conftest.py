"""Fixtures of the secrets tests: one scan of the planted frame."""

from __future__ import annotations

import pytest

from govgate.checks.secrets import (
    SecretsPartial,
    scan_secrets_partition,
)
from tests.checks.secrets.helpers import frame


@pytest.fixture(scope="module")
def scanned() -> SecretsPartial:
    return scan_secrets_partition(frame(), ["text"], row_offset=1000)
