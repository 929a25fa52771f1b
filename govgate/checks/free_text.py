"""A person's free text kept in a record (an asset's name or purpose): secrets and personal data masked.

Metadata typed into a questionnaire is still input: a purpose that quotes a contact's e-mail or pastes a
key must not reach a locked record raw. The same detectors as the data review, no NER (fast, offline).
"""

from __future__ import annotations

from functools import lru_cache


@lru_cache(maxsize=1)
def _analyzer():
    from govgate.checks.pii.engine import build_analyzer

    return build_analyzer(None)[0]


def mask_free_text(text: str) -> str:
    """``text`` with every secret replaced by ``<SECRET hmac:...>`` and every PII entity by ``<TYPE>``."""
    if not text:
        return text
    import pandas as pd

    from govgate.checks.pii.redaction import redact_text
    from govgate.checks.secrets.redaction import redact_secrets_frame

    masked = redact_secrets_frame(pd.DataFrame({"t": [text]}), ["t"])[0]["t"].iloc[0]
    return redact_text(masked, _analyzer())
