"""govgate: AI governance as code that runs.

The core package holds what every gate stands on (settings, the evidence record, policy-as-code,
object stores, MLflow tracking and rendering) and never imports Prefect: flows and tasks live in the
top-level ``flows`` and ``tasks`` packages.
"""

__version__ = "0.1.0"

from govgate.errors import GovgateError  # noqa: E402

__all__ = ["__version__", "GovgateError"]
