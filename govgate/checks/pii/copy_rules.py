"""Per-column rules of the anonymized copy: which columns are replaced whole, which entity by entity, which kept, and why."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal

import pandas as pd

from govgate.checks.pii.names import LIKELY_PERSON_NAME, named_as_person_name
from govgate.checks.pii.scan import analyze_column, cell_strings, named_as_time
from govgate.datasheet import LOW_RISK_IN_TEXT, Anonymization, Datasheet
from govgate.errors import InputError
from govgate.record import Check, Outcome

Treatment = Literal["identifier", "entities", "keep"]
#: entity type of an identifier column in which the scan found none (declared, or named in the datasheet)
IDENTIFIER = "IDENTIFIER"
_DATE_TYPES = ("date", "datetime")


@dataclass(frozen=True)
class ColumnRule:
    treatment: Treatment
    reason: str
    kind: str = "structured"  # the scan plan's kind: text, structured or numeric
    entity: str = IDENTIFIER  # what an identifier column holds (its placeholder: <EMAIL_ADDRESS>)


@dataclass(frozen=True)
class CopyRules:
    columns: dict[str, ColumnRule]
    text_entities: frozenset[str] | None  # None: every type the analyzer finds but ``kept_in_text``
    kept_in_text: frozenset[str]
    text_operator: str = "placeholder"
    identifier_operator: str = "pseudonym"
    settings: dict = field(default_factory=dict)

    def replaces(self, entity: str) -> bool:
        """Whether ``entity`` is replaced where a column is anonymized entity by entity."""
        if self.text_entities is not None:
            return entity in self.text_entities
        return entity not in self.kept_in_text


def copy_rules(
    column_kinds: dict[str, str],
    pii_checks: list[Check],
    sheet: Datasheet,
    sample: pd.DataFrame | None = None,
    ner_model: str | None = None,
) -> CopyRules:
    """The rule of each column (first match wins, in this order: ``anonymization.columns``; declared type
    ``id`` or ``pii: true`` (not free text): identifier; date or time columns: kept; mostly PII, or named as a
    person's name with names in ``NAME_COLUMN_MIN_SHARE`` of its values: identifier;
    free text, or PII found: entity by entity; else kept), from the datasheet (``anonymization``, column ``type`` and ``pii``) and
    the review's ``data.pii.column.*`` checks. The review counts each entity type apart; a free-text
    column in which several types add up (an address: street, city, phone) is judged on ``sample`` (the
    first rows), analysed with ``ner_model``: the share of its values holding any type the copy replaces.
    Unknown column names in ``anonymization.columns`` are an
    :class:`InputError`."""
    conf = sheet.anonymization
    unknown = sorted(set(conf.columns) - set(column_kinds))
    if unknown:
        where = f"datasheet {sheet.path}" if sheet.path else "the datasheet"
        raise InputError(f"{where}: anonymization.columns names column(s) {unknown} that the dataset does not have")
    kept = frozenset(LOW_RISK_IN_TEXT) - set(conf.text_also)
    rules = CopyRules(
        columns={},
        text_entities=frozenset([*conf.text_entities, *conf.text_also]) if conf.text_entities is not None else None,
        kept_in_text=kept,
        text_operator=conf.text_operator,
        identifier_operator=conf.identifier_operator,
        settings=conf.model_dump(mode="json"),
    )
    by_column = {c.id.removeprefix("data.pii.column."): c for c in pii_checks if c.id.startswith("data.pii.column.")}
    for name, kind in column_kinds.items():
        rule = _column_rule(name, kind, by_column.get(name), sheet, conf, rules)
        if rule.reason == "free text" and sample is not None and name in sample.columns:
            rule = _mostly_pii_text(rule, name, sample[name], rules, conf.identifier_min_share, ner_model)
        rules.columns[name] = rule
    return rules


#: values of the sample analysed to judge whether a free-text column is mostly PII
SHARE_SAMPLE = 200


def _mostly_pii_text(
    rule: ColumnRule, name: str, values: pd.Series, rules: CopyRules, min_share: float, ner_model: str | None
) -> ColumnRule:
    """``rule`` (entity by entity), or identifier when at least ``min_share`` of the first
    ``SHARE_SAMPLE`` values hold a type the copy replaces."""
    from govgate.checks.pii.engine import build_analyzer

    cells = cell_strings(values)[:SHARE_SAMPLE]
    if not cells or rule.entity == IDENTIFIER:  # the review found no replaced type in the column
        return rule
    found = analyze_column(build_analyzer(ner_model)[0], name, "text", cells)
    share = sum(any(rules.replaces(r.entity_type) for r in rs) for rs in found) / len(cells)
    if share < min_share:
        return rule
    return ColumnRule(
        "identifier", f"PII in {share:.0%} of {len(cells)} sampled values (mostly PII)", rule.kind, rule.entity
    )


#: a column named as a person's name (names.py: reviewerName, customer_name, ho_ten ...) in which at least this
#: share of values are tagged as names is replaced whole: NER tags a bare name in some cells and not in
#: others (the e-commerce reviewerName: PERSON in 48.7%), and what it missed stays in the copy
NAME_COLUMN_MIN_SHARE = 0.2
_NAME_TYPES = ("PERSON", LIKELY_PERSON_NAME)


def _column_rule(
    name: str, kind: str, check: Check | None, sheet: Datasheet, conf: Anonymization, rules: CopyRules
) -> ColumnRule:
    spec = sheet.column(name)
    entities = _replaced_entities(check, rules)
    top = max(entities, key=entities.get) if entities else IDENTIFIER
    if name in conf.columns:
        chosen = conf.columns[name]
        treatment: Treatment = "entities" if chosen == "text" else chosen
        return ColumnRule(treatment, f"anonymization.columns: {chosen}", kind, top)
    if spec is not None and spec.type == "id":
        return ColumnRule("identifier", "declared type id", kind, top)
    if spec is not None and spec.pii and kind != "text":
        return ColumnRule("identifier", "declared personal data (pii: true)", kind, top)
    explained = check is not None and check.details.get("explanation") == "unix_time"
    # a duration ("Time on App", numbers) is no date: only strings named as a time are taken for dates
    if (spec is not None and spec.type in _DATE_TYPES) or (kind == "structured" and named_as_time(name)) or explained:
        return ColumnRule("keep", "a date or time column (declare it to replace it)", kind)
    share = max(entities.values(), default=0.0)
    if share >= conf.identifier_min_share:
        return ColumnRule("identifier", f"{top} in {share:.0%} of values (mostly PII)", kind, top)
    if share >= NAME_COLUMN_MIN_SHARE and named_as_person_name(name) and top in _NAME_TYPES:
        why = f"named as a person's name, {top} in {share:.0%} of values"
        return ColumnRule("identifier", why, kind, top)
    if kind == "text":
        return ColumnRule("entities", "free text", kind, top)
    if entities and check is not None and check.outcome == Outcome.WARN:
        return ColumnRule("entities", f"PII found: {', '.join(sorted(entities))}", kind, top)
    return ColumnRule("keep", "no PII found", kind)


def _replaced_entities(check: Check | None, rules: CopyRules) -> dict[str, float]:
    """The entity types the review flagged in a column that the copy replaces, with their prevalence."""
    if check is None:
        return {}
    flagged = check.details.get("entities") or {}
    return {e: float(info.get("prevalence", 0.0)) for e, info in flagged.items() if rules.replaces(e)}
