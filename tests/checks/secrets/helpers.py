"""Fake credentials for the secrets tests, built at run time from pieces so that these files do not trip secret scanners themselves, and the cells that carry them."""

from __future__ import annotations

import base64
import json
import random
import string

import pandas as pd

RNG = random.Random(20261122)
ALNUM = string.ascii_letters + string.digits


def rand(n: int, alphabet: str = ALNUM, rng: random.Random = RNG) -> str:
    return "".join(rng.choice(alphabet) for _ in range(n))


def mixed(n: int, rng: random.Random = RNG) -> str:
    """A random-looking token that certainly mixes upper case, lower case and digits (no word-like runs)."""
    out: list[str] = []
    while len(out) < n:
        triple = [rng.choice(string.ascii_uppercase), rng.choice(string.ascii_lowercase), rng.choice(string.digits)]
        rng.shuffle(triple)
        out.extend(triple)
    return "".join(out[:n])


def sha(value: str) -> str:
    """The fingerprint a scan without an explicit key gives (keyed with this process's key)."""
    from govgate.checks.secrets.session import fingerprint

    return fingerprint(value)


def b64(obj: dict) -> str:
    return base64.urlsafe_b64encode(json.dumps(obj).encode()).decode().rstrip("=")


BEGIN, END = "-----BEGIN RSA " + "PRIVATE KEY-----", "-----END RSA " + "PRIVATE KEY-----"

# the secret values (what must never appear in evidence) and the cells that carry them
AWS_ID = "AK" + "IA" + rand(16, string.ascii_uppercase + string.digits)
AWS_SECRET = rand(40, ALNUM + "/+")
GITHUB = "gh" + "p_" + rand(36)
GITHUB_2 = "gh" + "p_" + rand(36)
SLACK = (
    "xo"
    + "xb-"
    + "2"
    + rand(10, string.digits)
    + "-"
    + rand(13, string.digits)
    + "-"
    + rand(24, string.ascii_lowercase + string.digits)
)
PEM_LINES = [rand(64, ALNUM + "+/") for _ in range(12)] + [rand(40, ALNUM + "+/") + "=="]
PEM_BODY = "".join(PEM_LINES)
PG_CREDENTIAL = "Pg" + rand(14)
REDIS_CREDENTIAL = "r3d!s" + rand(10) + "$"
ENTROPY_TOKEN = mixed(40)
JWT = (
    b64({"alg": "HS256", "typ": "JWT"})
    + "."
    + b64({"sub": "4711", "name": "Jo", "iat": 1700000000})
    + "."
    + rand(43, ALNUM + "-_")
)
API_KEY = rand(32)
PLANTED = [
    AWS_ID,
    AWS_SECRET,
    GITHUB,
    GITHUB_2,
    SLACK,
    *PEM_LINES,
    PEM_BODY,
    PG_CREDENTIAL,
    REDIS_CREDENTIAL,
    ENTROPY_TOKEN,
    JWT,
    API_KEY,
]

SECRET_CELLS = {  # row -> (cell, expected types)
    1: (
        f"[default]\naws_access_key_id = {AWS_ID}\naws_secret_access_key = {AWS_SECRET}\nregion = eu-west-1",
        {"AWS Access Key", "AWS Secret Access Key"},
    ),
    3: (f"export GITHUB_TOKEN={GITHUB}  # ci bot", {"GitHub Token"}),
    5: (f"ping the bot with {SLACK} please", {"Slack Token"}),
    7: ("deploy key:\n" + BEGIN + "\n" + "\n".join(PEM_LINES) + "\n" + END + "\nkeep it safe", {"Private Key"}),
    9: (f"DATABASE_URL=postgres://app:{PG_CREDENTIAL}@db.internal:5432/prod", {"Basic Auth Credentials"}),
    11: (f"cache: redis://:{REDIS_CREDENTIAL}@cache.internal:6379/0", {"Connection String Password"}),
    13: (f"blob {ENTROPY_TOKEN} end", {"High Entropy String"}),
    15: (f"curl -H 'Authorization: Bearer {JWT}' https://api.internal/v1/me", {"JSON Web Token"}),
    17: (f"api_key={API_KEY}", {"Secret Assignment"}),
    19: (f"two bots: {GITHUB} and {GITHUB_2}", {"GitHub Token"}),
}

CLEAN_CELLS = [
    "Great product, would buy again! The keyboard feels solid and the battery lasts two days.",
    "Terrible delivery: the box arrived crushed, but the seller refunded me quickly. 2 stars",
    "I forgot my password again, so I used the reset link; it worked fine.",
    "The secret to a good espresso is fresh beans and the right grind.",
    "Sản phẩm tốt, giao hàng nhanh, đóng gói cẩn thận. Sẽ ủng hộ shop lần sau!",
    "def add(a, b):\n    return a + b",
    "for key, value in sorted(config.items()):\n    print(f'{key}: {value}')",
    "password = request.form['password']",
    'api_key = os.environ["API_KEY"]',
    "token: str = Field(..., description='the access token')",
    "max_tokens = 2048",
    "tokenizer_name: bert-base-uncased",
    "if user.password == confirm_password:\n    login(user)",
    "self.assertEqual(response.status_code, 200)",
    "class AbstractSingletonProxyFactoryBean(HTMLInputElementPrototype):",
    "from org.apache.commons.lang3 import StringUtils",
    "123e4567-e89b-12d3-a456-426614174000",
    "550E8400-E29B-41D4-A716-446655440000",
    "commit 3f786850e387550fdab836ed7e6dc881de23001b fixes the login bug",
    "sha256 9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08",
    "https://example.com/products/widget-2000?ref=home&utm_source=newsletter",
    "see https://docs.python.org/3/library/hashlib.html#hashlib.sha256 for details",
    "ssh://git@github.com/org/repo.git",
    "Contact: anna.nguyen@example.com, +84 912 345 678",
    "Order 123456789 shipped on 2024-05-17T10:42:00Z",
    "42",
    "3.14159",
    "-----BEGIN PUBLIC KEY-----",
    "password: ********",
    "DB_PASSWORD=${DB_PASSWORD}",
    "redis://[[username]:[password]]@localhost:6379/0",
    "token_counter: _TokenCounter | None = None",
    "elif hint_curr_sign is HintSignPep484585GenericUnsubbed:",
    'e.apiKey=t.apiKey||"";if(n.token!==void 0){h["Authorization"]="Bearer "+n.token}',
    "# pragma: allowlist secret",
    "AP" + "B6VJX5CNR5C",  # an Amazon reviewer id, which detect-secrets' Artifactory pattern alone would flag
]


def frame() -> pd.DataFrame:
    n = 24
    cells = [CLEAN_CELLS[i % len(CLEAN_CELLS)] for i in range(n)]
    for row, (cell, _) in SECRET_CELLS.items():
        cells[row] = cell
    cells[21] = None
    return pd.DataFrame({"text": cells, "n": range(n)})
