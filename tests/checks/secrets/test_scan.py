"""Partition scans on real detect-secrets: planted secrets found with type and row, clean rows clean, no value in the evidence, partitions merge."""

from __future__ import annotations

import json
import pickle
import random
import string

import pandas as pd
import pytest

from govgate.checks.secrets import (
    SecretsResult,
    merge_secrets,
    scan_secrets_partition,
    secrets_checks,
)
from govgate.errors import InputError
from tests.checks.secrets.helpers import (
    API_KEY,
    AWS_ID,
    AWS_SECRET,
    CLEAN_CELLS,
    ENTROPY_TOKEN,
    GITHUB,
    GITHUB_2,
    JWT,
    PEM_BODY,
    PG_CREDENTIAL,
    PLANTED,
    REDIS_CREDENTIAL,
    SECRET_CELLS,
    SLACK,
    frame,
    rand,
    sha,
)


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


def test_allowlist_pragma_does_not_hide_a_secret():
    key = "AK" + "IA" + rand(16, string.ascii_uppercase + string.digits, rng=random.Random(13))
    partial = scan_secrets_partition(pd.DataFrame({"c": [f"aws_id = '{key}'  # pragma: allowlist secret"]}), ["c"])
    assert partial.sources["c"].types["AWS Access Key"].secrets == {sha(key): 20}


def test_unknown_column_is_an_input_error():
    with pytest.raises(InputError, match="nope"):
        scan_secrets_partition(pd.DataFrame({"a": ["x"]}), ["nope"])
