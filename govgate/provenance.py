"""Provenance filled automatically: versions, git commit, platform."""

from __future__ import annotations

import os
import platform
import subprocess
import sys
from functools import lru_cache
from importlib import metadata

from govgate import __version__
from govgate.record import Provenance
from govgate.settings import REPO_ROOT

KEY_PACKAGES = (
    "prefect",
    "mlflow",
    "great-expectations",
    "presidio-analyzer",
    "presidio-anonymizer",
    "fairlearn",
    "scikit-learn",
    "pandas",
    "numpy",
    "boto3",
    "pydantic",
    "detect-secrets",
)


@lru_cache(maxsize=1)
def package_versions() -> dict[str, str]:
    found = {}
    for name in KEY_PACKAGES:
        try:
            found[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            continue
    return found


@lru_cache(maxsize=1)
def git_commit() -> str | None:
    """The commit govgate runs from: GOVGATE_GIT_COMMIT, else ``git rev-parse`` of the checkout."""
    if env := os.environ.get("GOVGATE_GIT_COMMIT"):
        return env
    if not (REPO_ROOT / ".git").exists():
        return None
    try:
        out = subprocess.run(
            ["git", "-C", str(REPO_ROOT), "rev-parse", "HEAD"], capture_output=True, text=True, timeout=5, check=True
        )
    except (OSError, subprocess.SubprocessError):
        return None
    commit = out.stdout.strip()
    dirty = subprocess.run(
        ["git", "-C", str(REPO_ROOT), "status", "--porcelain", "--untracked-files=no"],
        capture_output=True,
        text=True,
        timeout=5,
    ).stdout.strip()
    return commit + ("-dirty" if dirty else "") if commit else None


def collect(**runtime: str | None) -> Provenance:
    """Provenance of this process; ``runtime`` adds ids known to the caller (flow run, MLflow run)."""
    return Provenance(
        govgate_version=__version__,
        git_commit=git_commit(),
        python=sys.version.split()[0],
        platform=platform.platform(),
        packages=package_versions(),
        **{k: v for k, v in runtime.items() if v is not None},
    )
