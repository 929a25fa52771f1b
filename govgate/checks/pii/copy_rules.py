"""Per-column rules of the anonymized copy: which columns are replaced whole, which entity by entity, which kept, and why."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal

from govgate.checks.pii.scan import named_as_time
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


def copy_rules(column_kinds: dict[str, str], pii_checks: list[Check], sheet: Datasheet) -> CopyRules:
    """The rule of each column (first match wins, in this order: ``anonymization.columns``; declared type
    ``id`` or ``pii: true`` (not free text): identifier; date or time columns: kept; mostly PII: identifier;
    free text, or PII found: entity by entity; else kept), from the datasheet (``anonymization``, column ``type`` and ``pii``) and
    the review's ``data.pii.column.*`` checks. Unknown column names in ``anonymization.columns`` are an
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
        rules.columns[name] = _column_rule(name, kind, by_column.get(name), sheet, conf, rules)
    return rules


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
    if (spec is not None and spec.type in _DATE_TYPES) or (kind != "text" and named_as_time(name)) or explained:
        return ColumnRule("keep", "a date or time column (declare it to replace it)", kind)
    share = max(entities.values(), default=0.0)
    if share >= conf.identifier_min_share:
        return ColumnRule("identifier", f"{top} in {share:.0%} of values (mostly PII)", kind, top)
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
