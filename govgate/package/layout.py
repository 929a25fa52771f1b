"""The names and layout of a launch package: file names, the evidence kinds it can hold, its error."""

from __future__ import annotations

from govgate import protocol
from govgate.errors import GovgateError

GATE = protocol.LAUNCH_EVIDENCE
SCHEMA = protocol.LAUNCH_PACKAGE_SCHEMA
MANIFEST_NAME = "package.json"
SIGNATURE_NAME = "package.sig"
PUBLIC_KEY_NAME = "signing-key.pub.pem"
INDEX_NAME = "annex-iv.html"
SIGNOFFS_NAME = "signoffs.json"
LINEAGE_NAME = "lineage.json"
RECORD_MANIFEST = protocol.MANIFEST
# Written beside the package by the gate record's publishing (covered by its own manifest).
RECORD_FILES = (*protocol.RECORD_FILES, RECORD_MANIFEST)
RESERVED = (MANIFEST_NAME, SIGNATURE_NAME, *RECORD_FILES)
KEY_FILE = "launch-signing-ed25519.pem"

# Evidence kinds a package can hold (what the completeness table knows how to find).
PACKAGE_KINDS = (
    "data_review",
    "pii_scan",
    "data_quality",
    "datasheet",
    "model_review",
    "fairness_eval",
    "robustness_eval",
    "explainability",
    "model_card",
    "risk_assessment",
    "signoff",
    "evidence_package",
    "policy",
)
CHECK_KINDS = {
    "pii_scan": protocol.DATA_REVIEW,
    "data_quality": protocol.DATA_REVIEW,
    "fairness_eval": protocol.MODEL_REVIEW,
    "robustness_eval": protocol.MODEL_REVIEW,
    "explainability": protocol.MODEL_REVIEW,
}
GOOD = ("pass", "warn")


class PackageError(GovgateError):
    """A package cannot be written, found or read."""
