"""The anonymized copy: every detected entity replaced through Presidio's anonymizer by a stable salted pseudonym."""

from __future__ import annotations

import hashlib
import hmac
from functools import lru_cache

import numpy as np
import pandas as pd

from govgate.checks.pii.constants import KINDS
from govgate.checks.pii.engine import build_analyzer
from govgate.checks.pii.scan import analyze_column, cell_strings, distinct_values
from govgate.errors import InputError

# --------------------------------------------------------------------------------------------------------
# anonymized copy


@lru_cache(maxsize=1)
def _anonymizer():
    from presidio_anonymizer import AnonymizerEngine

    return AnonymizerEngine()


#: hex digits of the keyed digest kept in a pseudonym (96 bits), spelled with letters only
PSEUDONYM_CHARS = 24
_LETTERS_ONLY = str.maketrans("0123456789abcdef", "ghjkmnpqrstvwxyz")


def pseudonymizer(salt: str):
    """The function that turns a detected value into its pseudonym: HMAC-SHA256 keyed with ``salt``,
    truncated to ``PSEUDONYM_CHARS`` hex digits spelled with letters only ("0912345678" ->
    "xkpmg..."). Same value and salt, same pseudonym (joins survive); without the salt it cannot be
    reversed by enumerating phone numbers or ids; and having no digit, "@" or ".", a pseudonym cannot be
    taken for PII when the anonymized copy is reviewed again (hex digests do look like ids)."""
    if len(salt.encode()) < 16:
        raise InputError("the pseudonym salt must be at least 16 bytes")
    key = salt.encode()

    def pseudonym(value: str) -> str:
        digest = hmac.new(key, value.encode("utf-8", "surrogatepass"), hashlib.sha256).hexdigest()
        return digest[:PSEUDONYM_CHARS].translate(_LETTERS_ONLY)

    return pseudonym


def anonymize_frame(
    df: pd.DataFrame,
    plan: dict[str, str],
    *,
    salt: str,
    ner_model: str | None = None,
    whole: frozenset[str] | set[str] = frozenset(),
) -> pd.DataFrame:
    """A copy of ``df`` in which every detected entity in every cell of the planned columns is replaced
    through Presidio's AnonymizerEngine by a stable salted pseudonym (:func:`pseudonymizer`, as a
    ``custom`` operator); in the ``whole`` columns (declared personal data) every value that is not free
    text is replaced whole.
    A numeric column in which something is replaced becomes a column of strings."""
    from presidio_anonymizer.entities import OperatorConfig, RecognizerResult

    pseudonym = pseudonymizer(salt)
    operators = {"DEFAULT": OperatorConfig("custom", {"lambda": pseudonym})}
    analyzer, _ = build_analyzer(ner_model)
    engine = _anonymizer()
    out = df.copy()
    for col in df.columns:
        name = str(col)
        if name not in plan and name not in whole:  # columns outside the plan are left as they are
            continue
        series = df[col]
        values = cell_strings(series)
        distinct, inverse = distinct_values(values)
        kind = plan.get(name, "structured")
        if kind not in KINDS:
            raise InputError(f"column {name!r}: unknown plan kind {kind!r} (expected one of {list(KINDS)})")
        if name in whole and kind != "text":  # free text keeps its words: entities are replaced, as always
            replaced = {u: pseudonym(value) for u, value in enumerate(distinct)}
        else:
            results = analyze_column(analyzer, name, kind, distinct)
            replaced = {
                u: engine.anonymize(
                    distinct[u], [RecognizerResult(r.entity_type, r.start, r.end, r.score) for r in rs], operators
                ).text
                for u, rs in enumerate(results)
                if rs
            }
        if not replaced:
            continue
        positions = np.flatnonzero(series.notna().to_numpy())
        if pd.api.types.is_string_dtype(series) or pd.api.types.is_object_dtype(series):
            arr = series.to_numpy(dtype=object, copy=True)
            for at, u in zip(positions, inverse):
                if u in replaced:
                    arr[at] = replaced[u]
            out[col] = pd.Series(arr, index=df.index, dtype=series.dtype)
        else:  # numeric, boolean, dates: the column becomes strings
            arr = np.full(len(series), None, dtype=object)
            arr[positions] = [replaced.get(u, distinct[u]) for u in inverse]
            out[col] = pd.Series(arr, index=df.index, dtype="string")
    return out
