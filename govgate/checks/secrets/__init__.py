"""Secrets scanner of the data-review gate: the gate that would have stopped a code model from training on
keys it later leaked.

Plain functions (no Prefect): the flow maps :func:`scan_secrets_partition` over chunks (threads or Dask
workers), merges with :func:`merge_secrets` and turns the result into evidence with :func:`secrets_checks`.
:func:`scan_text_file` streams one text file with bounded memory.

Detectors
---------
* **detect-secrets** (Yelp, public API ``detect_secrets.core.scan.scan_line`` inside ``transient_settings``):
  every plugin it registers, except the ones in :data:`EXCLUDED_PLUGINS` (its two high-entropy plugins run
  unthresholded in ad-hoc mode, and a public IPv4 address is not a credential). Its default heuristic filters
  run, except the inline allowlist pragma (a dataset cannot vouch for itself). Verification against vendor
  APIs is never enabled: nothing leaves the machine.
* **own detectors** (:data:`EXTRA_DETECTORS`) for what detect-secrets misses on data: whole PEM private-key
  blocks across lines (identified by the key body, so two keys are two secrets), unquoted AWS secret access
  keys, passwords in connection strings that detect-secrets' Basic Auth pattern skips (empty user, ``!$&...``
  in the password), unquoted ``api_key=`` / ``token:`` / ``password=`` / ``Authorization: Bearer``
  assignments (detect-secrets' keyword plugin requires quotes in ad-hoc mode), and long high-entropy
  base64-alphabet tokens.

Entropy detector choices: a token is a run of ``[A-Za-z0-9+/_-]`` (plus ``=`` padding) of 20-256 chars with
lower case, upper case and digits, Shannon entropy >= 0.8 * log2(min(len, 64)) bits/char, at most 60 % of it
in 3+ letter same-case runs, not camelCase-like (>= 40 % word-like runs and >= 30 % vowels among its letters),
not a path of word-like segments, not a sequential alphabet. Random base62 tokens pass ~91 % at 20 chars and
~96-98 % at 32-40; on ~1M lines of real Python (site-packages) it reports ~1 token per 40k lines, mostly real
base64 test data. Pure hex strings (any case, with or without dashes) are never reported by it: UUIDs, git
commit SHAs and sha1/sha256/md5 digests are public identifiers in code and data, and a hex secret is
indistinguishable from them without context; hex secrets are still found when a keyword names them
(``api_key=...``) or a vendor pattern matches. Over 256 chars is a blob (an embedded image, a certificate),
not a credential.

Speed: a cheap prefilter (:func:`~govgate.checks.secrets.prefilter.prefilter_needs`) clears text that no detector could match; every condition in it is
a necessary condition of the detectors' own patterns (:data:`PREFILTER_BASIS`), so it changes the speed,
never the result (a test scans with and without it). Text longer than 16 KB is matched in overlapping pieces
(secrets up to 4 KB), file lines longer than ``max_line_bytes`` in overlapping windows.

One secret is identified by a keyed HMAC-SHA256 of its value (see ``session.fingerprint``). Neither the value nor any part of it is ever stored:
partials, results, checks and findings hold hashes, lengths, types and row numbers only.

Thread safety: detect-secrets keeps its settings in a process-wide singleton; scans hold a process lock while
they use it, so parallel partitions in one process serialize on the detect-secrets part (it is pure Python,
the GIL would serialize it anyway). Other code in the same process must not reconfigure detect-secrets while
a scan runs.

Modules: ``config`` (settings, detect-secrets import), ``prefilter``, ``detectors`` (own detectors),
``results`` (dataclasses), ``session`` (the scanner), ``pem`` (PEM blocks), ``scan`` (partitions, files,
merging), ``checks`` (evidence), ``redaction``.
"""

from govgate.checks.secrets.checks import secrets_checks
from govgate.checks.secrets.config import (
    DISABLED_FILTERS,
    ENTROPY_MAX_LENGTH,
    ENTROPY_MAX_WORDINESS,
    ENTROPY_MIN_LENGTH,
    ENTROPY_RATIO,
    EXAMPLES,
    EXCLUDED_PLUGINS,
    EXTRA_DETECTORS,
    FIRST_ROWS,
    PEM_MAX_BODY,
    PEM_MIN_BODY,
    PIECE,
    PIECE_OVERLAP,
    POST_FILTERS,
)
from govgate.checks.secrets.prefilter import NEED_DS, NEED_OWN, PREFILTER_BASIS
from govgate.checks.secrets.redaction import redact_secrets_frame
from govgate.checks.secrets.results import SecretsPartial, SecretsResult, SourceTally, TypeTally
from govgate.checks.secrets.scan import merge_secrets, scan_file_lines, scan_secrets_partition, scan_text_file

__all__ = [
    "DISABLED_FILTERS",
    "ENTROPY_MAX_LENGTH",
    "ENTROPY_MAX_WORDINESS",
    "ENTROPY_MIN_LENGTH",
    "ENTROPY_RATIO",
    "EXAMPLES",
    "EXCLUDED_PLUGINS",
    "EXTRA_DETECTORS",
    "FIRST_ROWS",
    "NEED_DS",
    "NEED_OWN",
    "PEM_MAX_BODY",
    "PEM_MIN_BODY",
    "PIECE",
    "PIECE_OVERLAP",
    "POST_FILTERS",
    "PREFILTER_BASIS",
    "SecretsPartial",
    "SecretsResult",
    "SourceTally",
    "TypeTally",
    "merge_secrets",
    "redact_secrets_frame",
    "scan_file_lines",
    "scan_secrets_partition",
    "scan_text_file",
    "secrets_checks",
]
