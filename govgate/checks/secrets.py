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

Speed: a cheap prefilter (:func:`_needs`) clears text that no detector could match; every condition in it is
a necessary condition of the detectors' own patterns (:data:`PREFILTER_BASIS`), so it changes the speed,
never the result (a test scans with and without it). Text longer than 16 KB is matched in overlapping pieces
(secrets up to 4 KB), file lines longer than ``max_line_bytes`` in overlapping windows.

One secret is identified by the sha256 of its value. Neither the value nor any part of it is ever stored:
partials, results, checks and findings hold hashes, lengths, types and row numbers only.

Thread safety: detect-secrets keeps its settings in a process-wide singleton; scans hold a process lock while
they use it, so parallel partitions in one process serialize on the detect-secrets part (it is pure Python,
the GIL would serialize it anyway). Other code in the same process must not reconfigure detect-secrets while
a scan runs.
"""

from __future__ import annotations

import codecs
import hashlib
import math
import re
import threading
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from govgate.errors import InputError
from govgate.record import Check, Finding, Metric, Outcome, Severity, Threshold, slug

if TYPE_CHECKING:
    import pandas as pd

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
_PRIO_VENDOR, _PRIO_AWS_SECRET, _PRIO_URL, _PRIO_KEYWORD, _PRIO_ASSIGN, _PRIO_ENTROPY = 0, 1, 2, 3, 4, 5
_DS_PRIO = {"Basic Auth Credentials": _PRIO_URL, "Secret Keyword": _PRIO_KEYWORD}

# ---------------------------------------------------------------------------------------------------------------
# the cheap prefilter: a union of conditions that every detector's pattern needs
#
# Each detect-secrets plugin (keyed by its secret_type) and each own detector can only match a line that
# contains one of these. When detect-secrets registers a plugin this table does not know, the prefilter is
# switched off (correct, slower), and a test fails so that the table gets reviewed.
PREFILTER_BASIS: dict[str, str] = dict(
    [
        ("AWS Access Key", "ids: A3T?|ABIA|ACCA|AKIA|ASIA; secrets: key|pw|pass|token and a 40-char run"),
        ("Artifactory Credentials", "AKC or AP[0-9A-F]"),
        ("Azure Storage Account access key", "AccountKey="),
        ("Basic Auth Credentials", "'://' then '@' without whitespace or '/' between"),
        ("Cloudant Credentials", "key|pw|pass|token and a 24+ char run; or '://...@'"),
        ("Discord Bot Token", "[MNO] and 23 token chars"),
        ("GitHub Token", "gh[pousr]_"),
        ("GitLab Token", "gl<letters>- or GR1348941"),
        ("IBM Cloud IAM Key", "key|pw|pass|token and a 44-char run"),
        ("IBM COS HMAC Credentials", "key and a 48-char run"),
        ("JSON Web Token", "eyJ"),
        (
            "Secret Keyword",
            "<api|auth|service|account|db|database|priv|private|client>_?key|pass|pwd|secret|contrase "
            "and ':', '=' or a quote (every assignment form of the plugin needs one)",
        ),
        ("Mailchimp Access Key", "-us[0-9]"),
        ("NPM tokens", "_authToken="),
        ("OpenAI Token", "T3BlbkFJ"),
        ("Private Key", "PRIVATE KEY or PuTTY-User-Key"),
        ("PyPI Token", "pypi-"),
        ("SendGrid API Key", "SG."),
        ("Slack Token", "xox or hooks.slack.com"),
        ("SoftLayer Credentials", "key|pw|pass|token and a 64-char run; or softlayer"),
        ("Square OAuth Secret", "sq0csp-"),
        ("Stripe Access Key", "k_live_"),
        ("Telegram Bot Token", "8 digits and ':'"),
        ("Twilio API Key", "AC|SK and 32 [a-z0-9]"),
        # excluded plugins (never run) listed so the coverage test sees them
        ("Base64 High Entropy String", "excluded"),
        ("Hex High Entropy String", "excluded"),
        ("Public IP (ipv4)", "excluded"),
    ]
)
# Own detectors: PEM header (PRIVATE KEY), connection strings ('://...@'), AWS secret / assignments / Bearer
# (key|pass|pw|secret|token|credential|authoriz and ':' or '='), entropy (a 20+ char run with upper, lower
# and digits).
#
# Case-insensitive parts are checked on a folded copy (lower(), plus the non-ASCII letters that Python's
# re.IGNORECASE also equates with ASCII letters: dotless/dotted i, long s; the Kelvin sign lowers to k):
# substring tests on it are several times faster than IGNORECASE regexes and match a superset.
NEED_DS, NEED_OWN = 1, 2
_PF_DS_CASED = re.compile(
    r"A3T[A-Z0-9]|ABIA|ACCA|AKIA|ASIA|AKC|AP[\dA-F]|gh[pousr]_|gl[a-z]{1,6}-|GR1348941|eyJ|-us[0-9]"
    r"|T3BlbkFJ|pypi-|SG\.|sq0csp-|k_live_|PuTTY-User-Key|AccountKey=|_authToken="
)
# Basic Auth / Cloudant URLs and connection strings (no '/', '@' or space between '://' and '@'); PEM headers
_PF_BOTH_CASED = re.compile(r"://[^\s/@]*@|PRIVATE KEY")
_PF_DS_FOLDED = ("xox", "hooks.slack.com", "softlayer")
_PF_DS_KEYWORD = re.compile(
    r"(?:api|auth|service|account|db|database|priv|private|client)_?key|pass|pwd|secret|contrase"
)
_PF_DS_LONG_KEYWORDS = ("key", "pw", "pass", "token")
_PF_OWN_KEYWORDS = ("key", "pass", "pw", "secret", "token", "credential", "authoriz")
_PF_ASSIGN = re.compile(r"[:=\"'`]")
_PF_LONG_RUN = re.compile(r"(?i:[A-Za-z0-9_+/=\-]{20})")
_PF_TELEGRAM = re.compile(r"\d{8}:")
_PF_RUN = re.compile(r"[A-Za-z\d+/_\-]{20,}")
_PF_IN_RUN = re.compile(r"[MNO][A-Za-z\d_\-]{23}|(?:AC|SK)[a-z0-9]{32}")  # Discord, Twilio
_UPPER, _LOWER, _DIGIT = re.compile(r"[A-Z]"), re.compile(r"[a-z]"), re.compile(r"[0-9]")
_FOLD = {0x17F: "s", 0x131: "i", 0x307: None}  # long s, dotless i, the dot that "İ".lower() leaves


_PF_CASED = re.compile(f"{_PF_BOTH_CASED.pattern}|{_PF_DS_CASED.pattern}")
_PF_FOLDED = re.compile("|".join(re.escape(w) for w in (*_PF_DS_FOLDED, *_PF_OWN_KEYWORDS, "contrase")))


def _needs(text: str) -> int:
    """Which detector groups could match ``text``: NEED_DS (detect-secrets), NEED_OWN, both or none (0).
    Each bit is a necessary condition of its detectors' patterns (see PREFILTER_BASIS), never a guess."""
    need = 0
    if _PF_CASED.search(text) is not None:
        if _PF_BOTH_CASED.search(text) is not None:
            return NEED_DS | NEED_OWN
        need = NEED_DS
    elif ":" in text and _PF_TELEGRAM.search(text) is not None:
        need = NEED_DS
    folded = text.lower() if text.isascii() else text.lower().translate(_FOLD)
    if _PF_FOLDED.search(folded) is not None:
        if not need and any(lit in folded for lit in _PF_DS_FOLDED):
            need = NEED_DS
        if any(k in folded for k in _PF_OWN_KEYWORDS):
            if _PF_ASSIGN.search(text) is not None:
                need |= NEED_OWN
                if not need & NEED_DS and _PF_DS_KEYWORD.search(folded) is not None:
                    need |= NEED_DS
            if not need & NEED_DS and any(k in folded for k in _PF_DS_LONG_KEYWORDS) and _PF_LONG_RUN.search(text):
                need |= NEED_DS
        elif not need & NEED_DS and "contrase" in folded and _PF_ASSIGN.search(text) is not None:
            need |= NEED_DS
    if need == NEED_DS | NEED_OWN or len(text) < 20:
        return need
    for m in _PF_RUN.finditer(text):
        run = m.group(0)
        if not need & NEED_OWN and _UPPER.search(run) and _LOWER.search(run) and _DIGIT.search(run):
            need |= NEED_OWN
        if not need & NEED_DS and _PF_IN_RUN.search(run):
            need |= NEED_DS
        if need == NEED_DS | NEED_OWN:
            break
    return need


# ---------------------------------------------------------------------------------------------------------------
# own detectors

_PEM_HEADER = re.compile(r"-{2,}\s*BEGIN ((?:[A-Z0-9]+ )*)PRIVATE KEY( BLOCK)?\s*-{2,}")
_PEM_FOOTER = re.compile(r"-{2,}\s*END (?:[A-Z0-9]+ )*PRIVATE KEY(?: BLOCK)?\s*-{2,}")
_PEM_BODY_RUN = re.compile(r"(?:[A-Za-z0-9+/=\s\"'`,;]|\\[nr])*")  # after a header on its line
_PEM_BODY_LINE = re.compile(r"[\s\"'`]*(?:[A-Za-z0-9+/=]|\\[nr])*[\s\"'`,;+\\]*")  # a whole body line
_PEM_FIELD_LINE = re.compile(r"[\s\"'`]*(?:Proc-Type|DEK-Info|Comment|Version|Hash|Charset):\s.*")
_PEM_NOT_BASE64 = re.compile(r"\\[nr]|[^A-Za-z0-9+/=]")

_AWS_SECRET = re.compile(
    r"(?i)aws[\w.-]{0,20}?(?:secret|key)[\w.-]{0,20}?[\"']?\s*(?:=|:|=>)\s*[\"']?([A-Za-z0-9/+]{40})(?![A-Za-z0-9/+=])"
)
_CONN = re.compile(r"(?i)\b[a-z][a-z0-9+.\-]{1,30}://([^\s:/?#@\"'<>]*):([^\s/@\"'<>]+)@[^\s/?#@\"'<>]+")
_ASSIGN = re.compile(
    r"(?i)(?<![a-z0-9])[a-z0-9_.\-]*?"
    r"(?:api[_\-]?key|access[_\-]?key|secret[_\-]?key|private[_\-]?key|auth[_\-]?key|client[_\-]?secret"
    r"|secret|token|passwd|password|pwd|credentials?)s?(?![a-z])[a-z0-9_.\-]*"
    r"[\"'\]]{0,2}\s*(?:=|:=|:|=>)\s*[\"']?(?![=:>])([^\s\"'`,;&<>]{8,256})"
)
_BEARER = re.compile(r"(?i)\bauthorization[\"']?\s*[:=]\s*[\"']?(?:bearer|token|basic)\s+([A-Za-z0-9._~+/\-]{16,}=*)")
_TOKEN = re.compile(r"(?<![A-Za-z0-9+/_\-])[A-Za-z0-9+/_\-]{20,}=*")
_HEX = re.compile(r"[0-9A-Fa-f\-]+")
_UUID = re.compile(r"[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}")
_WORDY = re.compile(r"[a-z]{3,}|[A-Z]{3,}")
_PLACEHOLDERS = {
    "password",
    "passwd",
    "changeme",
    "secret",
    "token",
    "none",
    "null",
    "nil",
    "true",
    "false",
    "undefined",
    "required",
    "optional",
    "string",
    "example",
    "redacted",
    "placeholder",
    "dummy",
    "test",
    "hidden",
}
_PLACEHOLDER_PARTS = (
    "xxxx",
    "****",
    "....",
    "your",
    "example",
    "changeme",
    "placeholder",
    "redacted",
    "dummy",
    "<",
    ">",
    "${",
    "{{",
    "%(",
    "$(",
)
_CODE_REF = re.compile(r"[A-Za-z_$][A-Za-z0-9_$]*(?:\.[A-Za-z_$][A-Za-z0-9_$]*)+(?![A-Za-z0-9_$])")  # obj.attr...
_INNER_EQUALS = re.compile(r"=[^=]")
_CODE_OPERATORS = ("||", "&&", "==", "!=", "=>", "->", "::", "+=", "?.", "??")
_IDENTIFIER = re.compile(r"[A-Za-z_$][A-Za-z0-9_$]*")


def _entropy(text: str) -> float:
    n = len(text)
    return -sum(c / n * math.log2(c / n) for c in Counter(text).values())


def _classes(text: str) -> int:
    lower = upper = digit = other = 0
    for ch in text:
        if ch.islower():
            lower = 1
        elif ch.isupper():
            upper = 1
        elif ch.isdigit():
            digit = 1
        elif ch not in "-_./":
            other = 1
    return lower + upper + digit + other


def _wordiness(text: str) -> float:
    """Share of ``text`` in 3+ letter same-case runs (random base62 tokens: ~0.3, identifiers: 0.6+)."""
    return sum(len(w) for w in _WORDY.findall(text)) / len(text) if text else 0.0


def _vowel_share(text: str) -> float:
    letters = [c for c in text if c.isalpha()]
    return sum(c in "aeiouAEIOU" for c in letters) / len(letters) if letters else 0.0


def _is_sequential(text: str) -> bool:
    _import_detect_secrets()
    from detect_secrets.filters.heuristic import is_sequential_string

    return is_sequential_string(text)


def _high_entropy(token: str) -> bool:
    core = token.rstrip("=")
    n = len(core)
    if n < ENTROPY_MIN_LENGTH or n > ENTROPY_MAX_LENGTH or _HEX.fullmatch(core) or _UUID.search(core):
        return False
    if not (any(c.islower() for c in core) and any(c.isupper() for c in core) and any(c.isdigit() for c in core)):
        return False
    if _entropy(core) < ENTROPY_RATIO * math.log2(min(n, 64)):
        return False
    wordiness = _wordiness(core)
    if wordiness > ENTROPY_MAX_WORDINESS:
        return False
    if wordiness >= 0.4 and _vowel_share(core) >= 0.3:
        return False  # camelCase identifiers: word-like runs and English vowel rates (random: ~19 %)
    if "/" in core and any(len(seg) >= 3 and _wordiness(seg) >= 0.75 for seg in core.split("/")):
        return False  # a path with word-like segments
    return not _is_sequential(core)


def _url_password(value: str) -> bool:
    """The password of a connection string (``user:password@host`` after the scheme): anything but a placeholder
    or a reference."""
    low = value.lower()
    if len(value) < 3 or low in _PLACEHOLDERS or low in ("pass", "pwd", "pw", "user", "username", "passwort"):
        return False
    if value[0] in "$%{<*[" or any(c in value for c in "[]{}") or any(p in low for p in _PLACEHOLDER_PARTS):
        return False  # template, [placeholder] or reference
    return len(set(value)) > 1


def _looks_secret(value: str, *, min_length: int = 8) -> bool:
    """An assigned value that is a secret rather than a reference, a type, a placeholder or a word."""
    if len(value) < min_length:
        return False
    low = value.lower()
    if low in _PLACEHOLDERS or any(p in low for p in _PLACEHOLDER_PARTS):
        return False
    if value[0] in "$%@{[(!*" or any(c in value for c in "()[]{}"):
        return False  # template, env reference, call or indexing
    if len(set(value)) <= 2 or _CODE_REF.match(value) or "://" in value or low.startswith(("urn:", "arn:")):
        return False  # a value starting with obj.attr is code; a URL or URN is an address
    if _wordiness(value) >= 0.6 and (
        not any(c.isdigit() for c in value) or ("_" in value and _IDENTIFIER.fullmatch(value))
    ):
        return False  # words or an identifier (snake_case, CamelCase, CONSTANT), not a password like "Summer2024"
    if value.endswith(":") or value.startswith("//"):
        return False  # a label, a protocol-relative URL
    if any(op in value for op in _CODE_OPERATORS) or _INNER_EQUALS.search(value):
        return False  # an expression, or a chain of assignments (base64 has '=' only as trailing padding)
    if _classes(value) < 2 or _entropy(value) < 2.5:
        return False
    return not _is_sequential(value)


# ---------------------------------------------------------------------------------------------------------------
# result types (picklable plain dataclasses; hashes, never values)


@dataclass
class TypeTally:
    """Secrets of one type in one source."""

    secrets: dict[str, int] = field(default_factory=dict)  # sha256 hex of the value -> length in chars
    rows: int = 0  # rows (file lines) holding at least one secret of this type
    occurrences: int = 0  # (row, distinct secret) pairs
    first_rows: list[int] = field(default_factory=list)  # smallest row numbers, at most FIRST_ROWS

    def merge(self, other: TypeTally) -> None:
        for h, n in other.secrets.items():
            self.secrets.setdefault(h, n)
        self.rows += other.rows
        self.occurrences += other.occurrences
        self.first_rows = sorted(set(self.first_rows) | set(other.first_rows))[:FIRST_ROWS]


@dataclass
class SourceTally:
    """One scanned column (rows are dataset-wide 0-based positions) or file (rows are 1-based line numbers)."""

    name: str
    kind: str  # "column" | "file"
    cells: int = 0  # non-null cells (column) or lines (file) scanned
    lines: int = 0  # text lines scanned (cells can hold several)
    rows_with_secrets: int = 0
    prefiltered: int = 0  # cells/lines the prefilter cleared without running the detectors
    types: dict[str, TypeTally] = field(default_factory=dict)

    def distinct(self) -> set[str]:
        return {h for t in self.types.values() for h in t.secrets}

    def add_row(self, row: int, found: dict[str, tuple[str, int]]) -> None:
        if not found:
            return
        self.rows_with_secrets += 1
        seen: set[str] = set()
        for h, (typ, length) in found.items():
            tally = self.types.setdefault(typ, TypeTally())
            tally.secrets.setdefault(h, length)
            tally.occurrences += 1
            if typ not in seen:
                seen.add(typ)
                tally.rows += 1
                if len(tally.first_rows) < FIRST_ROWS or row < tally.first_rows[-1]:
                    tally.first_rows = sorted({*tally.first_rows, row})[:FIRST_ROWS]

    def merge(self, other: SourceTally) -> None:
        if other.kind != self.kind:
            raise InputError(f"secrets scan: '{self.name}' is both a {self.kind} and a {other.kind}")
        self.cells += other.cells
        self.lines += other.lines
        self.rows_with_secrets += other.rows_with_secrets
        self.prefiltered += other.prefiltered
        for typ, tally in other.types.items():
            self.types.setdefault(typ, TypeTally()).merge(tally)


@dataclass
class SecretsPartial:
    """What one partition (or one file) held: mergeable, picklable, value-free."""

    sources: dict[str, SourceTally] = field(default_factory=dict)
    detect_secrets_version: str = ""
    plugins: list[str] = field(default_factory=list)  # detect-secrets plugin classes that ran
    filters: list[str] = field(default_factory=list)  # detect-secrets filters that ran
    prefilter: bool = True


@dataclass
class SecretsResult:
    """Merged partials: the input of :func:`secrets_checks`."""

    sources: dict[str, SourceTally] = field(default_factory=dict)
    detect_secrets_version: str = ""
    plugins: list[str] = field(default_factory=list)
    filters: list[str] = field(default_factory=list)
    prefilter: bool = True
    partitions: int = field(default=0, compare=False)


# ---------------------------------------------------------------------------------------------------------------
# detect-secrets session

_DS_LOCK = threading.RLock()
_DS_IMPORTED = False


def _import_detect_secrets() -> None:
    """Import detect-secrets whole, once, under the lock. Its modules import each other in a cycle, and
    threads importing different parts of it at once can get a half-initialised module ("cannot import name
    'Plugin' from partially initialized module"), as parallel scan tasks of a served flow did."""
    global _DS_IMPORTED
    if _DS_IMPORTED:
        return
    with _DS_LOCK:
        import detect_secrets  # noqa: F401  (the package first: it loads core, plugins and settings in order)
        import detect_secrets.core.plugins.util  # noqa: F401
        import detect_secrets.core.scan  # noqa: F401
        import detect_secrets.filters.heuristic  # noqa: F401
        import detect_secrets.settings  # noqa: F401

        _DS_IMPORTED = True


def _ds_config() -> dict[str, Any]:
    from detect_secrets.core.plugins.util import get_mapping_from_secret_type_to_class
    from detect_secrets.settings import Settings

    plugins = sorted(
        c.__name__ for c in get_mapping_from_secret_type_to_class().values() if c.__name__ not in EXCLUDED_PLUGINS
    )
    filters = sorted(p for p in Settings().filters if p not in Settings.DEFAULT_FILTERS and p not in DISABLED_FILTERS)
    return {"plugins_used": [{"name": n} for n in plugins], "filters_used": [{"path": p} for p in filters]}


class _Scanner:
    """Runs every detector over text; lives inside one detect-secrets settings session."""

    def __init__(self, prefilter: bool) -> None:
        from detect_secrets.__version__ import VERSION
        from detect_secrets.plugins.base import RegexBasedDetector
        from detect_secrets.settings import Settings, get_plugins, get_settings

        self.version = VERSION
        active = get_plugins()
        self.plugins = {p.secret_type: p for p in active}
        self.plugin_names = sorted(type(p).__name__ for p in active)
        self.filter_names = sorted(p for p in get_settings().filters if p not in Settings.DEFAULT_FILTERS)
        self.regex_plugin = RegexBasedDetector
        # the prefilter is only sound for plugins whose needs it knows
        self.prefilter = prefilter and all(t in PREFILTER_BASIS for t in self.plugins)

    def needs(self, text: str) -> int:
        return _needs(text) if self.prefilter else NEED_DS | NEED_OWN

    # -- candidates: (priority, type, value, [(start, end), ...]) --------------------------------------------
    def candidates(
        self, text: str, need: int = NEED_DS | NEED_OWN
    ) -> list[tuple[int, str, str, list[tuple[int, int]]]]:
        from detect_secrets.core.scan import scan_line

        out: list[tuple[int, str, str, list[tuple[int, int]]]] = []
        for ps in scan_line(text) if need & NEED_DS else ():
            value = ps.secret_value or ""
            if not value:
                continue
            plugin = self.plugins.get(ps.type)
            values = self._full_values(plugin, text, value) if isinstance(plugin, self.regex_plugin) else [value]
            if ps.type == "Artifactory Credentials":
                # the pattern's boundary characters are part of what it yields
                values = [v.strip(' \t\r\n=:"') for v in values]
                values = [v for v in values if any(c.islower() for c in v)]  # see POST_FILTERS
            for v in values:
                typ = ps.type
                if typ == "AWS Access Key" and len(v) == 40:
                    typ = "AWS Secret Access Key"  # detect-secrets reports the id and the secret under one type
                elif typ == "JSON Web Token":
                    v = _with_signature(text, v)
                out.append((_DS_PRIO.get(typ, _PRIO_VENDOR), typ, v, _spans(text, v)))
        if not need & NEED_OWN:
            return out
        for m in _AWS_SECRET.finditer(text):
            out.append((_PRIO_AWS_SECRET, "AWS Secret Access Key", m.group(1), [m.span(1)]))
        if "://" in text:
            for m in _CONN.finditer(text):
                if _url_password(m.group(2)):
                    out.append((_PRIO_URL, "Connection String Password", m.group(2), [m.span(2)]))
        for m in _ASSIGN.finditer(text):
            if _looks_secret(m.group(1)):
                out.append((_PRIO_ASSIGN, "Secret Assignment", m.group(1), [m.span(1)]))
        for m in _BEARER.finditer(text):
            if _looks_secret(m.group(1), min_length=16):
                out.append((_PRIO_ASSIGN, "Secret Assignment", m.group(1), [m.span(1)]))
        for m in _TOKEN.finditer(text):
            if _high_entropy(m.group(0)):
                out.append(
                    (
                        _PRIO_ENTROPY,
                        "High Entropy String",
                        m.group(0).rstrip("="),
                        [(m.start(), m.start() + len(m.group(0).rstrip("=")))],
                    )
                )
        return out

    @staticmethod
    def _full_values(plugin: Any, text: str, value: str) -> list[str]:
        """detect-secrets' regex plugins yield a capture group when the pattern has one; some patterns capture
        only a prefix label (GitHub's ``(ghp|gho|...)_``), which would make every token the same "secret"."""
        full = []
        for rx in getattr(plugin, "denylist", ()):
            if not rx.groups:
                continue
            for m in rx.finditer(text):
                for g in range(1, rx.groups + 1):
                    if m.group(g) == value and m.start(g) == m.start(0) and m.end(0) > m.end(g):
                        full.append(m.group(0))
                        break
        return full or [value]


@contextmanager
def _scanner(prefilter: bool = True) -> Iterator[_Scanner]:
    _import_detect_secrets()
    from detect_secrets.settings import transient_settings

    with _DS_LOCK, transient_settings(_ds_config()):
        yield _Scanner(prefilter)


def _with_signature(text: str, token: str) -> str:
    """detect-secrets' JWT pattern ends lazily, so it reports header.payload; the secret is the whole token."""
    m = re.search(re.escape(token) + r"\.?[A-Za-z0-9_\-+/=]*", text)
    return m.group(0).rstrip(".") if m else token


def _spans(text: str, value: str, limit: int = 16) -> list[tuple[int, int]]:
    spans, start = [], text.find(value)
    while start >= 0 and len(spans) < limit:
        spans.append((start, start + len(value)))
        start = text.find(value, start + 1)
    return spans


def _sha256(value: str) -> str:
    return hashlib.sha256(value.encode("utf-8", "surrogatepass")).hexdigest()


def _resolve(cands: list[tuple[int, str, str]]) -> dict[str, tuple[str, int]]:
    """One type per secret: the most specific detector wins; a weaker finding inside (or around) a stronger
    one on the same line is the same secret (a JWT's segments, a URL's password, a PEM body's lines)."""
    kept: list[tuple[int, str, str]] = []
    for prio, typ, value in sorted(cands, key=lambda c: (c[0], -len(c[2]))):
        clash = False
        for kprio, _, kval in kept:
            if kval == value:
                clash = True
            elif kprio < prio and min(len(kval), len(value)) >= 8 and (value in kval or kval in value):
                clash = True
            if clash:
                break
        if not clash:
            kept.append((prio, typ, value))
    return {_sha256(v): (t, len(v)) for _, t, v in kept}


# ---------------------------------------------------------------------------------------------------------------
# PEM blocks (stateful across the lines of one cell or file)


@dataclass
class _Block:
    row: int
    value: str  # base64 body, or the header when there is no body
    start: int  # span within the text the block started in (for window edges)
    end: int
    complete: bool  # footer seen


class _Pem:
    def __init__(self) -> None:
        self.open: dict[str, Any] | None = None

    def feed(self, text: str, row: int, *, can_continue: bool = True) -> tuple[list[tuple[int, int]], list[_Block]]:
        """Spans of ``text`` outside PEM blocks (for the other detectors) and the blocks that ended."""
        done: list[_Block] = []
        pos = 0
        if self.open is not None:
            footer = _PEM_FOOTER.search(text)
            if footer is not None:
                self.open["body"].append(text[: footer.start()])
                done.append(self._close(complete=True))
                pos = footer.end()
            elif can_continue and (_PEM_BODY_LINE.fullmatch(text) or _PEM_FIELD_LINE.fullmatch(text)):
                self.open["body"].append("" if _PEM_FIELD_LINE.fullmatch(text) else text)
                self.open["size"] += len(text)
                if self.open["size"] > PEM_MAX_BODY:
                    done.append(self._close(complete=False))
                return [], done
            else:
                done.append(self._close(complete=False))
        spans: list[tuple[int, int]] = []
        while True:
            head = _PEM_HEADER.search(text, pos)
            if head is None:
                spans.append((pos, len(text)))
                break
            spans.append((pos, head.start()))
            body_end = _PEM_BODY_RUN.match(text, head.end()).end()
            footer = _PEM_FOOTER.match(text, body_end)
            header = head.group(0).strip("- \t")
            if footer is not None:
                done.append(_block(row, header, text[head.end() : body_end], head.start(), footer.end(), True))
                pos = footer.end()
                continue
            if body_end == len(text) and can_continue:
                self.open = {
                    "row": row,
                    "header": header,
                    "body": [text[head.end() :]],
                    "size": len(text) - head.end(),
                    "start": head.start(),
                }
                break
            block = _block(row, header, text[head.end() : body_end], head.start(), body_end, False)
            done.append(block)
            # a header mention without a key body: the rest of the line is ordinary text
            pos = body_end if block.value != header else head.end()
            block.end = pos
        return [s for s in spans if s[1] > s[0]], done

    def close(self) -> list[_Block]:
        return [self._close(complete=False)] if self.open is not None else []

    def _close(self, *, complete: bool) -> _Block:
        o, self.open = self.open, None
        assert o is not None
        return _block(o["row"], o["header"], "".join(o["body"]), o["start"], -1, complete)


def _block(row: int, header: str, body: str, start: int, end: int, complete: bool) -> _Block:
    clean = _PEM_NOT_BASE64.sub("", body)
    return _Block(row, clean if len(clean) >= PEM_MIN_BODY else header, start, end, complete)


# ---------------------------------------------------------------------------------------------------------------
# scanning


def _scan_piece(
    scanner: _Scanner, text: str, need: int, *, first: bool = True, last: bool = True
) -> list[tuple[int, str, str]]:
    """Candidates in one line (or one window of a long line). In a window, a match touching a cut edge may be
    truncated; it is dropped here and found whole in the neighbouring window (the windows overlap).

    Text longer than PIECE chars is cut the same way into overlapping pieces: some detect-secrets patterns
    backtrack over the whole line for every candidate (``//.+/:_authToken=``), which is quadratic on a
    minified file's megabyte lines and linear on pieces."""
    if len(text) > PIECE:
        out: list[tuple[int, str, str]] = []
        step = PIECE - PIECE_OVERLAP
        for start in range(0, len(text) - PIECE_OVERLAP, step):
            piece = text[start : start + PIECE]
            piece_need = scanner.needs(piece)
            if piece_need:
                end = start + len(piece)
                out.extend(
                    _scan_piece(
                        scanner,
                        piece,
                        piece_need,
                        first=first if start == 0 else False,
                        last=last if end >= len(text) else False,
                    )
                )
        return out
    out = []
    for prio, typ, value, spans in scanner.candidates(text, need):
        if spans and not any((first or s > 0) and (last or e < len(text)) for s, e in spans):
            continue
        out.append((prio, typ, value))
    return out


def _scan_line_text(
    scanner: _Scanner,
    pem: _Pem,
    text: str,
    row: int,
    *,
    can_continue: bool = True,
    first: bool = True,
    last: bool = True,
) -> tuple[list[tuple[int, str, str]], list[_Block]]:
    """PEM handling plus the detectors on the parts of ``text`` outside PEM blocks."""
    need = scanner.needs(text)
    if pem.open is None and not need:
        return [], []
    spans, blocks = pem.feed(text, row, can_continue=can_continue)
    cands: list[tuple[int, str, str]] = []
    for s, e in spans:
        whole = (s, e) == (0, len(text))
        part = text if whole else text[s:e]
        part_need = need if whole else scanner.needs(part)
        if part_need:
            cands.extend(_scan_piece(scanner, part, part_need, first=first or s > 0, last=last or e < len(text)))
    return cands, blocks


def scan_secrets_partition(
    df: pd.DataFrame, columns: list[str], *, row_offset: int = 0, prefilter: bool = True
) -> SecretsPartial:
    """Scan every non-null cell of ``columns`` (each line of a multi-line cell; PEM blocks across lines).
    Row numbers are ``row_offset`` + the cell's position in ``df`` (0-based, dataset-wide).
    ``prefilter=False`` runs every detector on every cell (same result, 2-25x slower; for audits)."""
    missing = [c for c in columns if c not in df.columns]
    if missing:
        raise InputError(f"secrets scan: column(s) {missing} not in the partition (columns: {list(df.columns)[:20]})")
    with _scanner(prefilter) as scanner:
        partial = _partial(scanner)
        for column in columns:
            tally = partial.sources[str(column)] = SourceTally(name=str(column), kind="column")
            series = df[column]
            null = series.isna().tolist()
            for i, (cell, isnull) in enumerate(zip(series.tolist(), null)):
                if isnull:
                    continue
                text = cell if isinstance(cell, str) else str(cell)
                tally.cells += 1
                if not scanner.needs(text):
                    tally.lines += text.count("\n") + 1
                    tally.prefiltered += 1
                    continue
                row = row_offset + i
                lines = text.split("\n")
                tally.lines += len(lines)
                pem = _Pem()
                cands: list[tuple[int, str, str]] = []
                blocks: list[_Block] = []
                for line in lines:
                    c, b = _scan_line_text(scanner, pem, line.rstrip("\r"), row)
                    cands.extend(c)
                    blocks.extend(b)
                blocks.extend(pem.close())
                cands.extend((_PRIO_VENDOR, "Private Key", b.value) for b in blocks)
                tally.add_row(row, _resolve(cands))
    return partial


def _partial(scanner: _Scanner) -> SecretsPartial:
    return SecretsPartial(
        detect_secrets_version=scanner.version,
        plugins=scanner.plugin_names,
        filters=scanner.filter_names,
        prefilter=scanner.prefilter,
    )


def _iter_lines(f: Any, max_line_bytes: int, overlap: int) -> Iterator[tuple[int, str, bool, bool]]:
    """(line number, text, first window, last window): whole lines, or overlapping windows of a long line.
    At most ``max_line_bytes`` bytes (plus the overlap) are held at a time."""
    decoder = codecs.getincrementaldecoder("utf-8")(errors="replace")
    step = max(1, max_line_bytes - overlap)
    number = 0
    while True:
        chunk = f.readline(max_line_bytes)
        if not chunk:
            return
        number += 1
        if chunk.endswith(b"\n") or len(chunk) < max_line_bytes:
            yield number, chunk.decode("utf-8", "replace").rstrip("\r\n"), True, True
            continue
        decoder.reset()
        window, first = decoder.decode(chunk), True
        while True:
            more = f.readline(step)
            if not more:
                yield number, window + decoder.decode(b"", final=True), first, True
                break
            yield number, window, first, False
            first = False
            ended = more.endswith(b"\n")
            window = window[-overlap:] + decoder.decode(more, final=ended)
            if ended:
                yield number, window.rstrip("\r\n"), False, True
                break


def scan_text_file(path: str | Path, *, max_line_bytes: int = 1_000_000, prefilter: bool = True) -> SecretsPartial:
    """Stream a text file line by line (UTF-8, undecodable bytes replaced). A line longer than
    ``max_line_bytes`` is scanned in overlapping windows, never loaded whole. Rows are 1-based line numbers."""
    path = Path(path)
    if max_line_bytes < 1024:
        raise InputError(f"secrets scan: max_line_bytes must be at least 1024 (got {max_line_bytes})")
    overlap = min(16_384, max_line_bytes // 2)
    try:
        f = path.open("rb")
    except OSError as exc:
        raise InputError(f"secrets scan: cannot read {path}: {exc.strerror or exc}") from exc
    with f, _scanner(prefilter) as scanner:
        partial = _partial(scanner)
        tally = partial.sources[path.name] = SourceTally(name=path.name, kind="file")
        pem = _Pem()
        pending: dict[int, list[tuple[int, str, str]]] = {}  # lines held while a PEM block is open

        def settle(blocks: list[_Block]) -> None:
            for b in blocks:
                pending.setdefault(b.row, []).append((_PRIO_VENDOR, "Private Key", b.value))
            if pem.open is None:
                for row in sorted(pending):
                    tally.add_row(row, _resolve(pending[row]))
                pending.clear()

        window_cands: list[tuple[int, str, str]] = []
        for number, text, first, last in _iter_lines(f, max_line_bytes, overlap):
            if first:
                tally.cells += 1
                tally.lines += 1
            if first and last:  # a whole line
                if pem.open is None and not scanner.needs(text):
                    tally.prefiltered += 1
                    continue
                cands, blocks = _scan_line_text(scanner, pem, text, number)
                if cands:
                    pending.setdefault(number, []).extend(cands)
                settle(blocks)
                continue
            # a window of a long line: scanned on its own (a long line is no PEM body line)
            if first:
                settle(pem.close())
                window_cands = []
            if scanner.needs(text):
                window_cands.extend(_scan_window(scanner, text, number, first=first, last=last))
            if last:
                if window_cands:
                    pending.setdefault(number, []).extend(window_cands)
                settle([])
        settle(pem.close())
    return partial


def _scan_window(scanner: _Scanner, text: str, row: int, *, first: bool, last: bool) -> list[tuple[int, str, str]]:
    spans, blocks = _Pem().feed(text, row, can_continue=False)
    out: list[tuple[int, str, str]] = []
    for s, e in spans:
        part = text[s:e]
        need = scanner.needs(part)
        if need:
            out.extend(_scan_piece(scanner, part, need, first=first or s > 0, last=last or e < len(text)))
    for b in blocks:
        truncated = not b.complete and b.end == len(text)
        if (first or b.start > 0) and (last or not truncated):
            out.append((_PRIO_VENDOR, "Private Key", b.value))
    return out


def merge_secrets(partials: list[SecretsPartial]) -> SecretsResult:
    """Partitions are disjoint row ranges: counts add up, secrets (hashes) and row numbers unite."""
    result = SecretsResult(partitions=len(partials))
    for p in partials:
        for name, source in p.sources.items():
            if name in result.sources:
                result.sources[name].merge(source)
            else:
                result.sources[name] = SourceTally(name=source.name, kind=source.kind)
                result.sources[name].merge(source)
        if not result.detect_secrets_version:
            result.detect_secrets_version, result.plugins, result.filters = (
                p.detect_secrets_version,
                list(p.plugins),
                list(p.filters),
            )
        elif p.detect_secrets_version and p.detect_secrets_version != result.detect_secrets_version:
            result.detect_secrets_version = ", ".join(
                sorted({*result.detect_secrets_version.split(", "), p.detect_secrets_version})
            )
        result.prefilter = result.prefilter and p.prefilter
    return result


# ---------------------------------------------------------------------------------------------------------------
# evidence

_REMEDIATION = (
    "Treat every listed secret as compromised: revoke or rotate it at its issuer (for a private key, replace the "
    "key pair), remove or redact the affected {unit} from the dataset and every copy or derived artifact, then "
    "re-run the data review. Match the hashes with sha256 of a candidate value; the report never holds the value."
)


def secrets_checks(result: SecretsResult, *, max_findings: int = 0) -> tuple[list[Check], list[Finding]]:
    """One check per scanned column/file (fail when distinct secrets > ``max_findings``), one finding per
    (source, secret type), and ``data.secrets.detectors`` listing what ran."""
    checks: list[Check] = []
    findings: list[Finding] = []
    for name in sorted(result.sources):
        src = result.sources[name]
        check_id = f"data.secrets.{name}"
        unit, where = ("rows", f"column '{name}'") if src.kind == "column" else ("lines", f"file '{name}'")
        distinct = src.distinct()
        by_type = {t: len(tt.secrets) for t, tt in sorted(src.types.items())}
        outcome = Outcome.FAIL if len(distinct) > max_findings else Outcome.PASS
        if distinct:
            listed = ", ".join(f"{t}: {n}" for t, n in by_type.items())
            message = f"{len(distinct)} distinct secret(s) ({listed}) in {src.rows_with_secrets} of {src.cells} {unit} of {where}"
        else:
            message = f"no secrets in {src.cells} {'cells' if src.kind == 'column' else 'lines'} of {where}"
        checks.append(
            Check(
                id=check_id,
                title=f"No secrets in {where}",
                category="secrets",
                outcome=outcome,
                message=message,
                metrics=[
                    Metric(name="secrets", value=len(distinct), n=src.cells),
                    Metric(name="rows_with_secrets", value=src.rows_with_secrets, n=src.cells),
                    Metric(name="cells_scanned", value=src.cells),
                ],
                threshold=Threshold(metric="secrets", op="<=", value=max_findings),
                evidence_kind="data_review",
                details={
                    "kind": src.kind,
                    "lines_scanned": src.lines,
                    "secrets_by_type": by_type,
                    "cleared_by_prefilter": src.prefiltered,
                    "row_numbers": "0-based dataset positions" if src.kind == "column" else "1-based line numbers",
                },
            )
        )
        for typ, tt in sorted(src.types.items()):
            rows = ", ".join(str(r) for r in tt.first_rows) + (" ..." if tt.rows > len(tt.first_rows) else "")
            examples = [f"sha256:{h[:12]} ({typ}, {n} chars)" for h, n in sorted(tt.secrets.items())[:EXAMPLES]]
            findings.append(
                Finding(
                    id=f"{check_id}.{slug(typ).lower()}",
                    severity=Severity.CRITICAL,
                    category="secret",
                    message=f"{len(tt.secrets)} {typ}(s) in {where} ({tt.rows} {unit})",
                    check_id=check_id,
                    location={"column" if src.kind == "column" else "file": name, unit: rows},
                    count=len(tt.secrets),
                    examples=examples,
                    remediation=_REMEDIATION.format(unit=unit),
                )
            )
    checks.append(
        Check(
            id="data.secrets.detectors",
            title="Secret detectors that ran",
            category="secrets",
            outcome=Outcome.PASS,
            message=f"detect-secrets {result.detect_secrets_version or '?'}: {len(result.plugins)} plugins; "
            f"{len(EXTRA_DETECTORS)} extra detectors; {len(result.sources)} source(s) in {result.partitions} partition(s)",
            evidence_kind="data_review",
            details={
                "detect_secrets_version": result.detect_secrets_version,
                "detect_secrets_plugins": result.plugins,
                "detect_secrets_filters": result.filters,
                "excluded_plugins": EXCLUDED_PLUGINS,
                "disabled_filters": DISABLED_FILTERS,
                "post_filters": POST_FILTERS,
                "extra_detectors": EXTRA_DETECTORS,
                "entropy": {
                    "min_length": ENTROPY_MIN_LENGTH,
                    "max_length": ENTROPY_MAX_LENGTH,
                    "ratio_of_log2_length": ENTROPY_RATIO,
                    "max_wordiness": ENTROPY_MAX_WORDINESS,
                    "hex": "not reported by entropy (UUIDs, commit SHAs, digests)",
                },
                "prefilter": result.prefilter,
                "identity": "sha256 of the secret value; values are never stored",
                "verification": "never: no secret is sent to its issuer (detect-secrets verification stays off)",
            },
        )
    )
    return checks, findings


# ---------------------------------------------------------------------------------------------------------------
# redaction (for anonymized copies)

_PEM_BLOCK = re.compile(
    r"-----BEGIN [A-Z0-9 ]*PRIVATE KEY(?: BLOCK)?-----.*?(?:-----END [A-Z0-9 ]*PRIVATE KEY(?: BLOCK)?-----|\Z)", re.S
)


def redact_secrets_frame(df: pd.DataFrame, columns: list[str]) -> tuple[pd.DataFrame, int]:
    """A copy of ``df`` with every detected secret in ``columns`` replaced by ``<SECRET sha256:...>`` (PEM
    private-key blocks by ``<PRIVATE_KEY>``), and the number of cells changed. Same detectors as the scan."""
    out = df.copy()
    changed = 0
    with _scanner(True) as scanner:
        for column in columns:
            values = out[column].tolist()
            for i, cell in enumerate(values):
                if not isinstance(cell, str) or not (scanner.needs(cell) or "PRIVATE KEY" in cell):
                    continue
                pem = _Pem()
                cands: list[tuple[int, str, str]] = []
                for line in cell.split("\n"):
                    c, _ = _scan_line_text(scanner, pem, line.rstrip("\r"), 0)
                    cands.extend(c)
                text = _PEM_BLOCK.sub("<PRIVATE_KEY>", cell)
                for value in sorted({v for _, _, v in cands}, key=len, reverse=True):
                    text = text.replace(value, f"<SECRET sha256:{_sha256(value)[:12]}>")
                if text != cell:
                    values[i] = text
                    changed += 1
            out[column] = values
    return out, changed
