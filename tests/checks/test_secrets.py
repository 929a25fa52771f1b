"""Secrets scanner of the data-review gate, on real detect-secrets (no mocks).

Every credential below is fake and built at run time from pieces, so that this file does not trip secret
scanners itself.
"""

from __future__ import annotations

import base64
import hashlib
import json
import pickle
import random
import string
import tracemalloc

import pandas as pd
import pytest

from govgate.checks.secrets import (
    PREFILTER_BASIS,
    SecretsPartial,
    SecretsResult,
    merge_secrets,
    scan_secrets_partition,
    scan_text_file,
    secrets_checks,
)
from govgate.errors import InputError

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
    return hashlib.sha256(value.encode()).hexdigest()


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


@pytest.fixture(scope="module")
def scanned() -> SecretsPartial:
    return scan_secrets_partition(frame(), ["text"], row_offset=1000)


def test_planted_secrets_found_with_type_and_row(scanned):
    src = scanned.sources["text"]
    assert src.kind == "column" and src.cells == 23  # one null cell
    expected: dict[str, set[int]] = {}
    for row, (_, types) in SECRET_CELLS.items():
        for t in types:
            expected.setdefault(t, set()).add(1000 + row)
    assert {t: set(tt.first_rows) for t, tt in src.types.items()} == expected
    assert src.rows_with_secrets == len(SECRET_CELLS)
    # identity is sha256 of the whole secret value
    assert src.types["AWS Access Key"].secrets == {sha(AWS_ID): 20}
    assert src.types["AWS Secret Access Key"].secrets == {sha(AWS_SECRET): 40}
    assert src.types["GitHub Token"].secrets == {sha(GITHUB): 40, sha(GITHUB_2): 40}  # not just the 'ghp' prefix
    assert src.types["Slack Token"].secrets == {sha(SLACK): len(SLACK)}
    assert src.types["Private Key"].secrets == {sha(PEM_BODY): len(PEM_BODY)}  # the body, not the header
    assert src.types["Basic Auth Credentials"].secrets == {sha(PG_CREDENTIAL): len(PG_CREDENTIAL)}
    assert src.types["Connection String Password"].secrets == {sha(REDIS_CREDENTIAL): len(REDIS_CREDENTIAL)}
    assert src.types["High Entropy String"].secrets == {sha(ENTROPY_TOKEN): 40}
    assert src.types["JSON Web Token"].secrets == {sha(JWT): len(JWT)}  # with its signature
    assert src.types["Secret Assignment"].secrets == {sha(API_KEY): 32}
    assert len(src.distinct()) == 11


def test_clean_rows_give_no_findings():
    df = pd.DataFrame({"text": CLEAN_CELLS})
    partial = scan_secrets_partition(df, ["text"])
    assert {t: tt.first_rows for t, tt in partial.sources["text"].types.items()} == {}
    checks, findings = secrets_checks(merge_secrets([partial]))
    assert findings == []
    assert checks[0].id == "data.secrets.text" and checks[0].outcome.value == "pass"
    assert checks[0].message == f"no secrets in {len(CLEAN_CELLS)} cells of column 'text'"


def test_evidence_never_holds_a_secret(scanned):
    checks, findings = secrets_checks(merge_secrets([scanned]))
    blob = json.dumps([c.model_dump(mode="json") for c in checks] + [f.model_dump(mode="json") for f in findings])
    pickled = pickle.dumps(scanned).decode("latin-1")
    for secret in PLANTED:
        assert secret not in blob and secret not in pickled
        for i in range(len(secret) - 7):
            assert secret[i : i + 8] not in blob, f"8-char piece of a planted secret in the evidence: {secret[:3]}..."
            assert secret[i : i + 8] not in pickled


def test_checks_and_findings(scanned):
    checks, findings = secrets_checks(merge_secrets([scanned]), max_findings=0)
    column, detectors = checks
    assert column.id == "data.secrets.text" and column.outcome.value == "fail"
    assert {m.name: m.value for m in column.metrics} == {"secrets": 11, "rows_with_secrets": 10, "cells_scanned": 23}
    assert column.threshold.model_dump() == {"metric": "secrets", "op": "<=", "value": 0, "baseline_record": None}
    assert column.evidence_kind == "data_review" and column.controls
    assert column.details["secrets_by_type"]["GitHub Token"] == 2

    assert detectors.id == "data.secrets.detectors" and detectors.outcome.value == "pass"
    assert detectors.details["detect_secrets_version"] == "1.5.0"
    assert "AWSKeyDetector" in detectors.details["detect_secrets_plugins"]
    assert "Base64HighEntropyString" not in detectors.details["detect_secrets_plugins"]
    assert "High Entropy String" in detectors.details["extra_detectors"]

    by_id = {f.id: f for f in findings}
    assert len(findings) == 10
    gh = by_id["data.secrets.text.github-token"]
    assert gh.severity.value == "critical" and gh.category == "secret" and gh.check_id == "data.secrets.text"
    assert gh.message == "2 GitHub Token(s) in column 'text' (2 rows)"
    assert gh.location == {"column": "text", "rows": "1003, 1019"} and gh.count == 2
    assert sorted(gh.examples) == sorted(f"sha256:{sha(t)[:12]} (GitHub Token, 40 chars)" for t in (GITHUB, GITHUB_2))
    assert "rotate" in gh.remediation and "re-run" in gh.remediation

    passing, _ = secrets_checks(merge_secrets([scanned]), max_findings=11)
    assert passing[0].outcome.value == "pass"


def test_merge_of_partitions_equals_one_scan():
    df = frame()
    whole = merge_secrets([scan_secrets_partition(df, ["text"], row_offset=500)])
    parts = merge_secrets(
        [
            scan_secrets_partition(df.iloc[:10].reset_index(drop=True), ["text"], row_offset=500),
            scan_secrets_partition(df.iloc[10:].reset_index(drop=True), ["text"], row_offset=510),
        ]
    )
    assert isinstance(parts, SecretsResult) and parts.partitions == 2
    assert parts == whole

    def dump(r):
        return json.dumps(
            [c.model_dump(mode="json") for c in secrets_checks(r)[0][:-1]]
            + [f.model_dump(mode="json") for f in secrets_checks(r)[1]]
        )

    assert dump(parts) == dump(whole)
    assert pickle.loads(pickle.dumps(parts)) == parts


def plugin_samples() -> dict[str, str]:
    """One line per detect-secrets plugin that runs, to prove the prefilter keeps each one."""
    lower36 = string.ascii_lowercase + string.digits
    rng = random.Random(11)
    rand = lambda n, alphabet=ALNUM: "".join(rng.choice(alphabet) for _ in range(n))  # noqa: E731
    return dict(
        [
            ("AWS Access Key", "id " + "AK" + "IA" + rand(16, string.ascii_uppercase + string.digits)),
            ("AWS Secret Access Key", 'aws_secret = "' + rand(40) + '"'),
            ("Artifactory Credentials", "artifactory: " + "AK" + "Cp8" + rand(40) + " end"),
            (
                "Azure Storage Account access key",
                "DefaultEndpointsProtocol=https;AccountName=x;Account" + "Key=" + rand(86, ALNUM + "+/") + "==",
            ),
            ("Basic Auth Credentials", "https://admin:" + rand(12) + "@internal.example"),
            ("Cloudant Credentials", "cloudant_password = '" + rand(64, "0123456789abcdef") + "'"),
            ("Discord Bot Token", "discord " + "M" + rand(23) + "." + rand(6) + "." + rand(27)),
            ("GitHub Token", "gh" + "o_" + rand(36)),
            ("GitLab Token", "gl" + "pat-" + rand(20)),
            ("IBM Cloud IAM Key", "ibm_cloud_iam_api_key = " + rand(44, ALNUM + "_-")),
            ("IBM COS HMAC Credentials", "cos_hmac_secret_access_key = " + rand(48, "0123456789abcdef")),
            ("JSON Web Token", b64({"alg": "none"}) + "." + b64({"sub": "x"}) + "."),
            ("Secret Keyword", 'db_pass = "' + rand(12) + '"'),
            ("Mailchimp Access Key", rand(32, lower36) + "-us" + "12"),
            ("NPM tokens", "//registry.npmjs.org/:_auth" + "Token=npm_" + rand(36)),
            ("OpenAI Token", "sk" + "-" + rand(20) + "T3Blbk" + "FJ" + rand(20)),
            ("Private Key", "PuTTY-User-" + "Key-File-2: ssh-rsa"),
            ("PyPI Token", "pypi-" + "AgEIcHlwaS5vcmc" + rand(80, ALNUM + "-_")),
            ("SendGrid API Key", "SG" + "." + rand(22) + "." + rand(43)),
            ("Slack Token", "https://hooks.slack.com/services/" + "T" + rand(8) + "/B" + rand(8) + "/" + rand(24)),
            ("SoftLayer Credentials", "softlayer_api_key = " + rand(64, lower36)),
            ("Square OAuth Secret", "sq0" + "csp-" + rand(43)),
            ("Stripe Access Key", "sk" + "_live_" + rand(24)),
            ("Telegram Bot Token", "bot" + rand(9, string.digits) + ":" + rand(35)),
            ("Twilio API Key", "S" + "K" + rand(32, "0123456789abcdef")),
        ]
    )


def test_prefilter_covers_every_plugin_and_drops_no_detection():
    from detect_secrets.core.plugins.util import get_mapping_from_secret_type_to_class

    # a new detect-secrets plugin must be reviewed into PREFILTER_BASIS (until then the prefilter is off)
    assert set(get_mapping_from_secret_type_to_class()) <= set(PREFILTER_BASIS)

    samples = plugin_samples()
    rng = random.Random(12)
    tricky = [  # case and Unicode variants that re.IGNORECASE equates with ASCII keywords
        'PASSWORD = "' + rand(12, rng=rng) + '"',
        'pa\u017f\u017fword = "' + rand(12, rng=rng) + '"',  # long s
        'api_\u212aey = "' + rand(12, rng=rng) + '"',  # Kelvin sign
        "secret_access_key " + rand(48, "0123456789abcdef", rng=rng),
        "contrase\u00f1a: '" + rand(10, rng=rng) + "'",
        "Private key in JSON: " + json.dumps({"private_key": BEGIN + "\n" + "\n".join(PEM_LINES) + "\n" + END + "\n"}),
    ]
    cells = [*samples.values(), *tricky, *(c for c, _ in SECRET_CELLS.values()), *CLEAN_CELLS]
    df = pd.DataFrame({"text": cells})
    fast = scan_secrets_partition(df, ["text"])
    full = scan_secrets_partition(df, ["text"], prefilter=False)
    assert fast.prefilter and not full.prefilter
    fast_src, full_src = fast.sources["text"], full.sources["text"]
    assert fast_src.prefiltered > len(CLEAN_CELLS) // 2 and full_src.prefiltered == 0
    assert fast_src.types == full_src.types
    found = {t: tt.first_rows for t, tt in full_src.types.items()}
    for i, (typ, _) in enumerate(samples.items()):
        assert i in found.get(typ, []), f"{typ} not found in its sample"
    for j in range(len(tricky)):
        assert any(len(samples) + j in rows for rows in found.values()), tricky[j][:12]


def test_allowlist_pragma_does_not_hide_a_secret():
    key = "AK" + "IA" + rand(16, string.ascii_uppercase + string.digits, rng=random.Random(13))
    partial = scan_secrets_partition(pd.DataFrame({"c": [f"aws_id = '{key}'  # pragma: allowlist secret"]}), ["c"])
    assert partial.sources["c"].types["AWS Access Key"].secrets == {sha(key): 20}


def test_unknown_column_is_an_input_error():
    with pytest.raises(InputError, match="nope"):
        scan_secrets_partition(pd.DataFrame({"a": ["x"]}), ["nope"])


def test_text_file_reports_line_numbers(tmp_path):
    token = "gh" + "p_" + rand(36, rng=random.Random(14))
    path = tmp_path / "notes.md"
    body = ["# notes", "nothing here", f"ci token: {token}", "", BEGIN, *PEM_LINES, END, "done"]
    path.write_text("\n".join(body) + "\n", encoding="utf-8")
    partial = scan_text_file(path)
    src = partial.sources["notes.md"]
    assert src.kind == "file" and src.cells == len(body)
    assert src.types["GitHub Token"].first_rows == [3] and src.types["GitHub Token"].secrets == {sha(token): 40}
    assert src.types["Private Key"].first_rows == [5] and src.types["Private Key"].secrets == {
        sha(PEM_BODY): len(PEM_BODY)
    }
    assert set(src.types) == {"GitHub Token", "Private Key"}
    checks, findings = secrets_checks(merge_secrets([partial]))
    assert checks[0].id == "data.secrets.notes.md"
    gh = next(f for f in findings if "GitHub" in f.message)
    assert gh.location == {"file": "notes.md", "lines": "3"}
    assert gh.message == "1 GitHub Token(s) in file 'notes.md' (1 lines)"


def test_long_single_line_is_scanned_in_windows_with_bounded_memory(tmp_path):
    """A 5 MB line, read in 256 KB windows: keys across window boundaries are found once, whole."""
    max_line, overlap = 262_144, 16_384
    step = max_line - overlap
    words = "lorem ipsum dolor sit amet consectetur adipiscing elit sed do eiusmod tempor incididunt ut labore".split()
    filler_rng = random.Random(5)
    filler = []
    size = 0
    while size < 5_100_000:
        w = filler_rng.choice(words)
        filler.append(w)
        size += len(w) + 1
    line = list(" ".join(filler))
    rng = random.Random(15)
    aws = "AK" + "IA" + rand(16, string.ascii_uppercase + string.digits, rng=rng)
    gh = "gh" + "p_" + rand(36, rng=rng)
    blob, cut_blob = mixed(48, rng=rng), mixed(48, rng=rng)
    plants = {  # start offsets: across the ends of windows 10, 11 and 13, inside window 12
        10 * step + max_line - 10: aws,
        11 * step + max_line - 25: gh,
        12 * step + 100_000: blob,
        13 * step + max_line - 30: cut_blob,  # its first 30 chars alone would look like another secret
    }
    for start, value in plants.items():
        line[start - 1 : start + len(value) + 1] = list(f" {value} ")
    path = tmp_path / "one-line.txt"
    path.write_text("".join(line), encoding="ascii")
    assert path.stat().st_size >= 5_000_000
    del line

    warm = tmp_path / "warm.txt"  # imports and detect-secrets caches are not the line's memory
    warm.write_text("x = 1\n")
    scan_text_file(warm)
    tracemalloc.start()
    try:
        partial = scan_text_file(path, max_line_bytes=max_line)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert peak < 2_500_000, f"peak {peak} bytes: the line was not windowed"
    src = partial.sources["one-line.txt"]
    assert src.cells == 1
    assert {t: tt.secrets for t, tt in src.types.items()} == {
        "AWS Access Key": {sha(aws): 20},
        "GitHub Token": {sha(gh): 40},
        "High Entropy String": {sha(blob): 48, sha(cut_blob): 48},
    }
    assert all(tt.first_rows == [1] for tt in src.types.values())
    assert overlap == min(16_384, max_line // 2)  # the window layout the offsets above assume


def test_missing_file_is_an_input_error(tmp_path):
    with pytest.raises(InputError, match="cannot read"):
        scan_text_file(tmp_path / "absent.txt")


def test_first_use_from_many_threads_at_once(tmp_path):
    """detect-secrets' modules import each other in a cycle: threads that import parts of it at once in a
    fresh process got half-initialised modules (a served flow's parallel scan tasks failed so). Fresh
    interpreter, 8 threads released together, half opening a scanner, half using a filter."""
    import subprocess
    import sys
    from pathlib import Path

    script = tmp_path / "race.py"
    script.write_text(
        "import sys, threading\n"
        f"sys.path.insert(0, {str(Path(__file__).resolve().parents[2])!r})\n"
        "from govgate.checks.secrets.detectors import _is_sequential\n"
        "from govgate.checks.secrets.session import open_scanner\n"
        "errors, barrier = [], threading.Barrier(8)\n"
        "def work(i):\n"
        "    barrier.wait()\n"
        "    try:\n"
        "        if i % 2:\n"
        "            _is_sequential('abcdef')\n"
        "        else:\n"
        "            with open_scanner():\n"
        "                pass\n"
        "    except Exception as exc:\n"
        "        errors.append(repr(exc))\n"
        "threads = [threading.Thread(target=work, args=(i,)) for i in range(8)]\n"
        "[t.start() for t in threads]\n"
        "[t.join() for t in threads]\n"
        "print(errors)\n"
        "sys.exit(1 if errors else 0)\n"
    )
    for _ in range(3):
        proc = subprocess.run([sys.executable, str(script)], capture_output=True, text=True, timeout=120)
        assert proc.returncode == 0, proc.stdout + proc.stderr[-2000:]
