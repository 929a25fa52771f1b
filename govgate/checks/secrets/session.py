"""A detect-secrets session: the scanner that runs every detector over text under the process lock, and how overlapping candidates resolve."""

from __future__ import annotations

import hashlib
import hmac
import os
import re
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from govgate.checks.secrets.config import (
    DISABLED_FILTERS,
    DS_LOCK,
    DS_PRIO,
    EXCLUDED_PLUGINS,
    PRIO_ASSIGN,
    PRIO_AWS_SECRET,
    PRIO_ENTROPY,
    PRIO_URL,
    PRIO_VENDOR,
    import_detect_secrets,
)
from govgate.checks.secrets.detectors import (
    ASSIGN,
    AWS_SECRET,
    BEARER,
    CONN,
    TOKEN,
    high_entropy,
    looks_secret,
    url_password,
)
from govgate.checks.secrets.prefilter import NEED_DS, NEED_OWN, PREFILTER_BASIS, prefilter_needs

# ---------------------------------------------------------------------------------------------------------------
# detect-secrets session


def _ds_config() -> dict[str, Any]:
    from detect_secrets.core.plugins.util import get_mapping_from_secret_type_to_class
    from detect_secrets.settings import Settings

    plugins = sorted(
        c.__name__ for c in get_mapping_from_secret_type_to_class().values() if c.__name__ not in EXCLUDED_PLUGINS
    )
    filters = sorted(p for p in Settings().filters if p not in Settings.DEFAULT_FILTERS and p not in DISABLED_FILTERS)
    return {"plugins_used": [{"name": n} for n in plugins], "filters_used": [{"path": p} for p in filters]}


class Scanner:
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
        return prefilter_needs(text) if self.prefilter else NEED_DS | NEED_OWN

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
                out.append((DS_PRIO.get(typ, PRIO_VENDOR), typ, v, _spans(text, v)))
        if not need & NEED_OWN:
            return out
        for m in AWS_SECRET.finditer(text):
            out.append((PRIO_AWS_SECRET, "AWS Secret Access Key", m.group(1), [m.span(1)]))
        if "://" in text:
            for m in CONN.finditer(text):
                if url_password(m.group(2)):
                    out.append((PRIO_URL, "Connection String Password", m.group(2), [m.span(2)]))
        for m in ASSIGN.finditer(text):
            if looks_secret(m.group(1)):
                out.append((PRIO_ASSIGN, "Secret Assignment", m.group(1), [m.span(1)]))
        for m in BEARER.finditer(text):
            if looks_secret(m.group(1), min_length=16):
                out.append((PRIO_ASSIGN, "Secret Assignment", m.group(1), [m.span(1)]))
        for m in TOKEN.finditer(text):
            if high_entropy(m.group(0)):
                out.append(
                    (
                        PRIO_ENTROPY,
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
def open_scanner(prefilter: bool = True) -> Iterator[Scanner]:
    import_detect_secrets()
    from detect_secrets.settings import transient_settings

    with DS_LOCK, transient_settings(_ds_config()):
        yield Scanner(prefilter)


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


# Key of the fingerprints when the caller gives none: stable within a process, unguessable outside it. The
# gates pass the kept pseudonym salt, so partitions scanned on other workers fingerprint alike.
_PROCESS_KEY = os.urandom(32)


def fingerprint(value: str, key: bytes | None = None) -> str:
    """A secret's identity: HMAC-SHA256 keyed with a kept secret, so that a report's fingerprint cannot
    confirm a guessed password offline (an unkeyed hash of a weak secret can be brute-forced)."""
    return hmac.new(key or _PROCESS_KEY, value.encode("utf-8", "surrogatepass"), hashlib.sha256).hexdigest()


def resolve_candidates(cands: list[tuple[int, str, str]], key: bytes | None = None) -> dict[str, tuple[str, int]]:
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
    return {fingerprint(v, key): (t, len(v)) for _, t, v in kept}
