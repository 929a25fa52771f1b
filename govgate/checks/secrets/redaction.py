"""Redaction of secrets in a data frame (for anonymized copies)."""

from __future__ import annotations

import re
from typing import TYPE_CHECKING

from govgate.checks.secrets.pem import PemState
from govgate.checks.secrets.scan import scan_line_text
from govgate.checks.secrets.session import fingerprint, open_scanner

if TYPE_CHECKING:
    import pandas as pd

# ---------------------------------------------------------------------------------------------------------------
# redaction (for anonymized copies)

_PEM_BLOCK = re.compile(
    r"-----BEGIN [A-Z0-9 ]*PRIVATE KEY(?: BLOCK)?-----.*?(?:-----END [A-Z0-9 ]*PRIVATE KEY(?: BLOCK)?-----|\Z)", re.S
)


def redact_secrets_frame(df: pd.DataFrame, columns: list[str], key: bytes | None = None) -> tuple[pd.DataFrame, int]:
    """A copy of ``df`` with every detected secret in ``columns`` replaced by ``<SECRET hmac:...>`` (PEM
    private-key blocks by ``<PRIVATE_KEY>``), and the number of cells changed. Same detectors as the scan."""
    out = df.copy()
    changed = 0
    with open_scanner(True) as scanner:
        for column in columns:
            values = out[column].tolist()
            for i, cell in enumerate(values):
                if not isinstance(cell, str) or not (scanner.needs(cell) or "PRIVATE KEY" in cell):
                    continue
                pem = PemState()
                cands: list[tuple[int, str, str]] = []
                for line in cell.split("\n"):
                    c, _ = scan_line_text(scanner, pem, line.rstrip("\r"), 0)
                    cands.extend(c)
                text = _PEM_BLOCK.sub("<PRIVATE_KEY>", cell)
                for value in sorted({v for _, _, v in cands}, key=len, reverse=True):
                    text = text.replace(value, f"<SECRET hmac:{fingerprint(value, key)[:12]}>")
                if text != cell:
                    values[i] = text
                    changed += 1
            out[column] = values
    return out, changed
