"""The prefilter covers every detect-secrets plugin and drops no detection."""

from __future__ import annotations

import json
import random
import string

import pandas as pd

from govgate.checks.secrets import (
    PREFILTER_BASIS,
    scan_secrets_partition,
)
from tests.checks.secrets.helpers import ALNUM, BEGIN, CLEAN_CELLS, END, PEM_LINES, SECRET_CELLS, b64, rand


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
