"""Launch evidence packages: everything a model version's launch rests on, sealed so that an auditor can
check it years later (no Prefect here; ``flows/launch_evidence.py`` orders the steps).

A package lives at ``evidence/<asset>/<version>/launch-evidence/<package_id>/`` and holds copies of the
version's gate records (record, reports, model card, datasheet, their manifests), the documents given to
the flow (risk assessment, ...), the policy file, the sign-offs, the lineage, the signer's public key and
``annex-iv.html`` (which file serves which EU AI Act Annex IV / ISO/IEC 42001 item). Then:

1. every file is written once (``write_once``) with the tier's Object Lock retention when the store has it;
2. ``package.sig`` (raw Ed25519 signature of the exact bytes of ``package.json``) is written;
3. ``package.json`` (every file with size and SHA-256, the policy digest, the records' decisions, the
   sign-offs, the completeness table and the lineage) is written LAST: a folder without it is an
   unfinished package that readers and ``verify_package`` refuse. A package is never overwritten.

The gate record of the run (``record.json``, ``report.*``, ``manifest.json``) is published beside the
package by the usual path and names the package's manifest digest.

Signing key: ``settings.signing_key`` (``GOVGATE_SIGNING_KEY``), PEM text or a path to a PEM file; without
one, a key is generated once under ``<home>/keys/`` (0600). In a Prefect deployment the key can come from a
Prefect Secret block, e.g. ``GOVGATE_SIGNING_KEY="$(python -c 'from prefect.blocks.system import Secret;
print(Secret.load("govgate-signing-key").get())')"``. Anyone can check a package without govgate:
``openssl pkeyutl -verify -pubin -inkey signing-key.pub.pem -rawin -in package.json -sigfile package.sig``
(with a public key obtained from the signer, not only the copy inside the package).

Modules, in the order a package is made: ``layout`` (names, kinds, the error), ``signing`` (the Ed25519 key),
``collect`` (gathering a version's records, lineage and documents), ``completeness`` (what the tier requires),
``signoffs`` (human decisions), ``annex`` (the Annex IV / ISO 42001 index), ``seal`` (writing once, manifest
last) and ``verify`` (checking a package later). Everything other code uses is importable from here.
"""

from __future__ import annotations

from govgate.package.annex import FRAMEWORKS, documentation_items, map_documentation, render_index
from govgate.package.collect import (
    DATA_REVIEW_URI,
    LINEAGE_VIA,
    Evidence,
    FoundRecord,
    StoreSource,
    gather,
    locate,
    read_record,
)
from govgate.package.completeness import Requirement, assess_kind, completeness
from govgate.package.layout import (
    CHECK_KINDS,
    GATE,
    GOOD,
    INDEX_NAME,
    KEY_FILE,
    LINEAGE_NAME,
    MANIFEST_NAME,
    PACKAGE_KINDS,
    PUBLIC_KEY_NAME,
    RECORD_FILES,
    RECORD_MANIFEST,
    RESERVED,
    SCHEMA,
    SIGNATURE_NAME,
    SIGNOFFS_NAME,
    PackageError,
)
from govgate.package.seal import SealedPackage, launch_retention, package_prefix, record_files, write_package
from govgate.package.signing import SigningKey, key_fingerprint, load_public_key, load_signing_key, public_pem
from govgate.package.signoffs import assess_signoffs, parse_signoffs, signoffs_needed
from govgate.package.verify import VerifyReport, locate_package, verify_package

__all__ = [
    "CHECK_KINDS",
    "DATA_REVIEW_URI",
    "Evidence",
    "FRAMEWORKS",
    "FoundRecord",
    "GATE",
    "GOOD",
    "INDEX_NAME",
    "KEY_FILE",
    "LINEAGE_NAME",
    "LINEAGE_VIA",
    "MANIFEST_NAME",
    "PACKAGE_KINDS",
    "PUBLIC_KEY_NAME",
    "PackageError",
    "RECORD_FILES",
    "RECORD_MANIFEST",
    "RESERVED",
    "Requirement",
    "SCHEMA",
    "SIGNATURE_NAME",
    "SIGNOFFS_NAME",
    "SealedPackage",
    "SigningKey",
    "StoreSource",
    "VerifyReport",
    "assess_kind",
    "assess_signoffs",
    "completeness",
    "documentation_items",
    "gather",
    "key_fingerprint",
    "launch_retention",
    "load_public_key",
    "load_signing_key",
    "locate",
    "locate_package",
    "map_documentation",
    "package_prefix",
    "parse_signoffs",
    "public_pem",
    "read_record",
    "record_files",
    "render_index",
    "signoffs_needed",
    "verify_package",
    "write_package",
]
