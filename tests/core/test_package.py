"""The launch-package tests live in tests/core/package/test_package.py. This module only keeps the helper's
old import path (tests/flows/test_launch_evidence.py:20 imports it from here) until that import moves."""

from tests.core.package.test_package import make_model_with_evidence

__all__ = ["make_model_with_evidence"]
