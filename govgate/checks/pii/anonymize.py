"""The anonymized copy: each column replaced whole, entity by entity or kept, through Presidio's AnonymizerEngine operators."""

from __future__ import annotations

import hashlib
import hmac
from dataclasses import dataclass
from functools import lru_cache

import numpy as np
import pandas as pd
import regex as re

from govgate.checks.pii.constants import KINDS
from govgate.checks.pii.copy_rules import ColumnRule, CopyRules
from govgate.checks.pii.engine import build_analyzer
from govgate.checks.pii.scan import analyze_column, cell_strings, distinct_values
from govgate.datasheet import LOW_RISK_IN_TEXT
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


def _operators(salt: str) -> dict:
    """Presidio operator of each copy operator name: ``placeholder`` is Presidio's ``replace`` (its default
    new value is ``<ENTITY_TYPE>``), ``pseudonym`` its ``custom`` operator with :func:`pseudonymizer` (keyed
    HMAC, letters only; Presidio's ``hash`` salts by appending and writes hex digits, which a re-scan of the
    copy can take for numbers). The salt stays in this closure: it is never recorded."""
    from presidio_anonymizer.entities import OperatorConfig

    return {
        "placeholder": OperatorConfig("replace"),
        "pseudonym": OperatorConfig("custom", {"lambda": pseudonymizer(salt)}),
    }


def rules_for_plan(plan: dict[str, str], whole: frozenset[str] | set[str] = frozenset()) -> CopyRules:
    """Rules without a review: the ``whole`` columns that are not free text replaced whole, every other
    planned column entity by entity, low-risk types left in text."""
    for name, kind in plan.items():
        if kind not in KINDS:
            raise InputError(f"column {name!r}: unknown plan kind {kind!r} (expected one of {list(KINDS)})")
    columns = {
        name: ColumnRule("identifier" if name in whole and kind != "text" else "entities", "plan", kind)
        for name, kind in plan.items()
    }
    columns |= {n: ColumnRule("identifier", "whole", "structured") for n in whole if n not in plan}
    return CopyRules(columns=columns, text_entities=None, kept_in_text=frozenset(LOW_RISK_IN_TEXT))


def anonymize_frame(
    df: pd.DataFrame,
    rules: CopyRules | dict[str, str],
    *,
    salt: str,
    ner_model: str | None = None,
    whole: frozenset[str] | set[str] = frozenset(),
) -> pd.DataFrame:
    """A copy of ``df`` anonymized column by column (:mod:`govgate.checks.pii.copy_rules`) through Presidio's
    AnonymizerEngine: identifier columns replaced whole, other columns entity by entity (only the entity
    types the rules replace), kept columns as they are. ``rules`` may be a scan plan (column -> kind) with
    the ``whole`` columns (:func:`rules_for_plan`). A numeric column in which something is replaced becomes
    a column of strings."""
    if not isinstance(rules, CopyRules):
        rules = rules_for_plan(rules, whole)
    operators = _operators(salt)
    analyzer, _ = build_analyzer(ner_model)
    out = df.copy()
    for col in df.columns:
        rule = rules.columns.get(str(col))
        if rule is None or rule.treatment == "keep":
            continue
        series = df[col]
        distinct, inverse = distinct_values(cell_strings(series))
        replaced = _replace_column(analyzer, str(col), rule, rules, distinct, operators)
        if replaced:
            out[col] = _with_replacements(series, inverse, distinct, replaced)
    _replace_row_identifiers(df, out, rules, operators)
    return out


#: shortest identifier value looked for in the same row's text (shorter ones are words: "Al", "Jo")
MIN_ROW_IDENTIFIER_CHARS = 3


def _replace_row_identifiers(df: pd.DataFrame, out: pd.DataFrame, rules: CopyRules, operators) -> None:
    """Where a row's free text repeats the value of one of its identifier columns as a whole word, same
    case ("Jake" signing a review whose reviewerName is "Jake"), that occurrence is replaced too, as the
    identifier's entity type: NER misses names that the row itself gives away."""
    from presidio_anonymizer.entities import RecognizerResult

    ids = [n for n, r in rules.columns.items() if r.treatment == "identifier" and n in df.columns]
    texts = [n for n, r in rules.columns.items() if r.treatment == "entities" and r.kind == "text" and n in out.columns]
    if not ids or not texts:
        return
    engine, op = _anonymizer(), {"DEFAULT": operators[rules.text_operator]}
    for text_col in texts:
        column = out[text_col].to_numpy(dtype=object, copy=True)
        changed = False
        for id_col in ids:
            entity = rules.columns[id_col].entity
            for at, (value, text) in enumerate(zip(df[id_col].to_numpy(dtype=object), column)):
                if (
                    not isinstance(value, str)
                    or not isinstance(text, str)
                    or len(value.strip()) < MIN_ROW_IDENTIFIER_CHARS
                ):
                    continue
                if value.strip() not in text:
                    continue
                spans = [m.span() for m in re.finditer(r"(?<!\w)" + re.escape(value.strip()) + r"(?!\w)", text)]
                if spans:
                    found = [RecognizerResult(entity, a, b, 1.0) for a, b in spans]
                    column[at] = engine.anonymize(text, found, op).text
                    changed = True
        if changed:
            out[text_col] = pd.Series(column, index=out.index, dtype=out[text_col].dtype)


def _replace_column(analyzer, name: str, rule: ColumnRule, rules: CopyRules, distinct: list[str], operators) -> dict:
    """Distinct value index -> its replacement, for the values that change."""
    from presidio_anonymizer.entities import RecognizerResult

    engine = _anonymizer()
    if rule.treatment == "identifier":
        op = {"DEFAULT": operators[rules.identifier_operator]}
        return {
            u: engine.anonymize(v, [RecognizerResult(rule.entity, 0, len(v), 1.0)], op).text
            for u, v in enumerate(distinct)
            if v
        }
    # a value of a structured column is an identifier value: it takes the identifier operator (joins)
    op = {"DEFAULT": operators[rules.text_operator if rule.kind == "text" else rules.identifier_operator]}
    replaced = {}
    for u, found in enumerate(analyze_column(analyzer, name, rule.kind, distinct)):
        wanted = [
            RecognizerResult(r.entity_type, r.start, r.end, r.score) for r in found if rules.replaces(r.entity_type)
        ]
        if wanted:
            replaced[u] = engine.anonymize(distinct[u], wanted, op).text
    return replaced


def _with_replacements(series: pd.Series, inverse: list[int], distinct: list[str], replaced: dict) -> pd.Series:
    positions = np.flatnonzero(series.notna().to_numpy())
    if pd.api.types.is_string_dtype(series) or pd.api.types.is_object_dtype(series):
        arr = series.to_numpy(dtype=object, copy=True)
        for at, u in zip(positions, inverse):
            if u in replaced:
                arr[at] = replaced[u]
        return pd.Series(arr, index=series.index, dtype=series.dtype)
    arr = np.full(len(series), None, dtype=object)  # numeric, boolean, dates: the column becomes strings
    arr[positions] = [replaced.get(u, distinct[u]) for u in inverse]
    return pd.Series(arr, index=series.index, dtype="string")


def changed_cells(before: pd.DataFrame, after: pd.DataFrame) -> dict[str, tuple[int, int]]:
    """Column -> (non-null cells, cells the copy changed)."""
    out: dict[str, tuple[int, int]] = {}
    for col in before.columns:
        present = before[col].notna().to_numpy()
        differs = (before[col].astype(str).to_numpy() != after[col].astype(str).to_numpy()) & present
        out[str(col)] = (int(present.sum()), int(differs.sum()))
    return out


@dataclass
class PartitionCopy:
    frame: pd.DataFrame  # the anonymized partition, ready to write
    changed: dict[str, tuple[int, int]]  # column -> (non-null cells, cells changed)
    left: dict  # column -> rescan.ColumnLeft: the partition re-scanned as written


def anonymize_partition(
    df: pd.DataFrame, rules: CopyRules, string_columns: list[str], *, salt: str, ner_model: str | None
) -> PartitionCopy:
    """One partition of the copy: anonymized by ``rules``, secrets in string columns redacted, columns in
    which nothing changed given back their original type, cells changed counted, and re-scanned."""
    from govgate.checks.pii.rescan import rescan_frame
    from govgate.checks.secrets import redact_secrets_frame

    anon = anonymize_frame(df, rules, salt=salt, ner_model=ner_model)
    anon, _ = redact_secrets_frame(anon, [c for c in string_columns if c in anon.columns], key=salt.encode())
    for col in df.columns:
        if (anon[col].astype(str) == df[col].astype(str)).all():
            anon[col] = df[col]
    left = rescan_frame(anon, rules, ner_model=ner_model, key=salt.encode())
    left = _anonymize_again(anon, rules, left, salt=salt, ner_model=ner_model)
    return PartitionCopy(frame=anon, changed=changed_cells(df, anon), left=left)


#: passes after the first over the cells in which the copy's re-scan still finds PII
EXTRA_PASSES = 2


def _anonymize_again(anon: pd.DataFrame, rules: CopyRules, left: dict, *, salt: str, ner_model: str | None) -> dict:
    """NER tags depend on the words around a name, and the copy changes them: a name left untagged in the
    original can be tagged in the copy. The cells in which the re-scan finds PII are anonymized again
    (their copied text, in place), at most ``EXTRA_PASSES`` times, each pass re-scanned; only what is left
    after the last pass counts. Each column's ``repassed`` is the number of cells that needed a second pass."""
    from govgate.checks.pii.rescan import rescan_frame

    for column_left in left.values():
        column_left.repassed = len(column_left.positions) if EXTRA_PASSES else 0
    for _ in range(EXTRA_PASSES):
        todo = {col: found.positions for col, found in left.items() if found.positions}
        if not todo:
            break
        for col, positions in todo.items():
            if not (pd.api.types.is_string_dtype(anon[col]) or pd.api.types.is_object_dtype(anon[col])):
                anon[col] = anon[col].astype("string")  # a replacement is text
            again = anonymize_frame(anon.iloc[positions][[col]], rules, salt=salt, ner_model=ner_model)
            anon.iloc[positions, anon.columns.get_loc(col)] = again[col].to_numpy(dtype=object)
        for col, found in rescan_frame(anon, rules, ner_model=ner_model, key=salt.encode(), only=todo).items():
            left[col].with_pii, left[col].counts = found.with_pii, found.counts
            left[col].examples, left[col].positions = found.examples, found.positions
    return left
