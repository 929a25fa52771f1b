"""Own detectors: AWS secrets, connection strings, unquoted assignments, Bearer tokens and high-entropy tokens, with their placeholder and code filters."""

from __future__ import annotations

import math
import re
from collections import Counter

from govgate.checks.secrets.config import (
    ENTROPY_MAX_LENGTH,
    ENTROPY_MAX_WORDINESS,
    ENTROPY_MIN_LENGTH,
    ENTROPY_RATIO,
    import_detect_secrets,
)

# ---------------------------------------------------------------------------------------------------------------
# own detectors


AWS_SECRET = re.compile(
    r"(?i)aws[\w.-]{0,20}?(?:secret|key)[\w.-]{0,20}?[\"']?\s*(?:=|:|=>)\s*[\"']?([A-Za-z0-9/+]{40})(?![A-Za-z0-9/+=])"
)
CONN = re.compile(r"(?i)\b[a-z][a-z0-9+.\-]{1,30}://([^\s:/?#@\"'<>]*):([^\s/@\"'<>]+)@[^\s/?#@\"'<>]+")
ASSIGN = re.compile(
    r"(?i)(?<![a-z0-9])[a-z0-9_.\-]*?"
    r"(?:api[_\-]?key|access[_\-]?key|secret[_\-]?key|private[_\-]?key|auth[_\-]?key|client[_\-]?secret"
    r"|secret|token|passwd|password|pwd|credentials?)s?(?![a-z])[a-z0-9_.\-]*"
    r"[\"'\]]{0,2}\s*(?:=|:=|:|=>)\s*[\"']?(?![=:>])([^\s\"'`,;&<>]{8,256})"
)
BEARER = re.compile(r"(?i)\bauthorization[\"']?\s*[:=]\s*[\"']?(?:bearer|token|basic)\s+([A-Za-z0-9._~+/\-]{16,}=*)")
TOKEN = re.compile(r"(?<![A-Za-z0-9+/_\-])[A-Za-z0-9+/_\-]{20,}=*")
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
    import_detect_secrets()
    from detect_secrets.filters.heuristic import is_sequential_string

    return is_sequential_string(text)


def high_entropy(token: str) -> bool:
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


def url_password(value: str) -> bool:
    """The password of a connection string (``user:password@host`` after the scheme): anything but a placeholder
    or a reference."""
    low = value.lower()
    if len(value) < 3 or low in _PLACEHOLDERS or low in ("pass", "pwd", "pw", "user", "username", "passwort"):
        return False
    if value[0] in "$%{<*[" or any(c in value for c in "[]{}") or any(p in low for p in _PLACEHOLDER_PARTS):
        return False  # template, [placeholder] or reference
    return len(set(value)) > 1


def looks_secret(value: str, *, min_length: int = 8) -> bool:
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
