"""The cheap prefilter: a union of conditions that every detector's pattern needs, so text no detector could match is cleared fast."""

from __future__ import annotations

import re

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


def prefilter_needs(text: str) -> int:
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
