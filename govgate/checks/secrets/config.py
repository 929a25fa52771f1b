"""Configuration of the secrets scan: excluded plugins and filters, own detectors, entropy limits, sizes, priorities; detect-secrets imported once under a lock."""

from __future__ import annotations

import threading

# ---------------------------------------------------------------------------------------------------------------
# configuration

EXCLUDED_PLUGINS: dict[str, str] = {
    "Base64HighEntropyString": "ad-hoc scan_line returns every base64-alphabet word unthresholded; replaced by the own entropy detector",
    "HexHighEntropyString": "flags every git SHA / digest (limit 3.0, unthresholded in ad-hoc mode); hex is not reported by entropy alone",
    "IPPublicDetector": "a public IPv4 address is not a credential (the PII scan covers addresses)",
}
DISABLED_FILTERS: dict[str, str] = {
    "detect_secrets.filters.allowlist.is_line_allowlisted": "a '# pragma: allowlist secret' comment in the data must not hide a secret",
}
POST_FILTERS: dict[str, str] = {
    "Artifactory Credentials": "values without a lower-case letter are dropped: the AP[0-9A-F]... pattern matches "
    "upper-case IDs (Amazon reviewer ids such as APB6...), JFrog tokens are mixed-case",
}
EXTRA_DETECTORS: dict[str, str] = {
    "Private Key": "PEM blocks (-----BEGIN ... PRIVATE KEY-----) across lines or with escaped \\n, identified by the key body",
    "AWS Secret Access Key": "40-char AWS secret keys after an aws*secret/key name, quoted or not",
    "Connection String Password": "user:password@host after a URL scheme, including empty users and passwords detect-secrets' Basic Auth skips",
    "Secret Assignment": "unquoted api_key= / token: / password= / secret= / Authorization: Bearer values that look like secrets",
    "High Entropy String": "20-256 char base64-alphabet tokens with upper, lower, digits and high Shannon entropy (hex excluded)",
}
ENTROPY_MIN_LENGTH = 20
ENTROPY_MAX_LENGTH = 256
ENTROPY_RATIO = 0.8  # of log2(min(len, 64)): random tokens sit at ~0.84-0.95, identifiers and prose lower
ENTROPY_MAX_WORDINESS = 0.6  # share of the token in 3+ letter same-case runs
FIRST_ROWS = 10  # row numbers kept per (source, type) for the report
EXAMPLES = 3  # hashed examples per finding
PEM_MAX_BODY = 64 * 1024  # chars of one PEM body collected before giving up
PEM_MIN_BODY = 64  # base64 chars below which a "key" is only a header mention
PIECE, PIECE_OVERLAP = 16_384, 4_096  # long text is matched in overlapping pieces (secrets up to the overlap)

# Priority when several detectors report overlapping values on one line (lower wins).
PRIO_VENDOR, PRIO_AWS_SECRET, PRIO_URL, PRIO_KEYWORD, PRIO_ASSIGN, PRIO_ENTROPY = 0, 1, 2, 3, 4, 5
DS_PRIO = {"Basic Auth Credentials": PRIO_URL, "Secret Keyword": PRIO_KEYWORD}


DS_LOCK = threading.RLock()
_DS_IMPORTED = False


def import_detect_secrets() -> None:
    """Import detect-secrets whole, once, under the lock. Its modules import each other in a cycle, and
    threads importing different parts of it at once can get a half-initialised module ("cannot import name
    'Plugin' from partially initialized module"), as parallel scan tasks of a served flow did."""
    global _DS_IMPORTED
    if _DS_IMPORTED:
        return
    with DS_LOCK:
        import detect_secrets  # noqa: F401  (the package first: it loads core, plugins and settings in order)
        import detect_secrets.core.plugins.util  # noqa: F401
        import detect_secrets.core.scan  # noqa: F401
        import detect_secrets.filters.heuristic  # noqa: F401
        import detect_secrets.settings  # noqa: F401

        _DS_IMPORTED = True
