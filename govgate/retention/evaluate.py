"""Deciding one key: protected, held, or expired under every rule that covers it (tags and lock state read
only when a rule needs them)."""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime

from govgate.errors import StoreError
from govgate.retention.rules import MlflowArtifactRule, RetentionRules, parse_tag_date
from govgate.store import ObjectInfo, ObjectStore


@dataclass
class Verdict:
    eligible: bool
    reason: str  # expired | not-expired | out-of-scope | protected | undated | held-tag | held-lock
    rule: str | None = None
    data_class: str = "unclassified"
    detail: str = ""


def group_versions(pages: Iterable[list[ObjectInfo]]) -> Iterator[tuple[str, list[ObjectInfo]]]:
    """(key, versions newest first) from version pages; a key's versions may straddle a page break."""
    key: str | None = None
    group: list[ObjectInfo] = []
    for page in pages:
        for info in page:
            if info.key != key:
                if group:
                    yield key, group  # type: ignore[misc]
                key, group = info.key, []
            group.append(info)
    if group:
        yield key, group  # type: ignore[misc]


class Evaluator:
    """Decides one key at a time, reading tags or lock state only when the decision needs them."""

    def __init__(self, rules: RetentionRules, as_of: datetime, store: ObjectStore, *, check_locks: bool):
        self.rules = rules
        self.as_of = as_of
        self.store = store
        self.check_locks = check_locks
        self.tag_reads = 0
        self.lock_reads = 0
        self.now = datetime.now(UTC)

    def _tags(self, info: ObjectInfo) -> dict[str, str]:
        if info.delete_marker:
            return {}
        from_listing = self.store.tags_from_listing(info)
        if from_listing is not None:
            return from_listing
        self.tag_reads += 1
        try:
            return self.store.get_tags(info.key, info.version_id)
        except StoreError as exc:
            if "no object at" in str(exc):
                return {}
            raise

    def _lock(self, group: list[ObjectInfo]) -> str | None:
        """A reason when any version is under Object Lock legal hold or unexpired retention."""
        for info in group:
            if info.delete_marker:
                continue
            state = info
            if self.check_locks:
                self.lock_reads += 1
                state = self.store.head(info.key, info.version_id) or info
            if state.legal_hold:
                return "Object Lock legal hold" + (f" on version {info.version_id}" if info.version_id else "")
            if state.retention and state.retention.until > self.now:
                return f"Object Lock {state.retention.mode} retention until {state.retention.until.isoformat()}"
        return None

    def evaluate(self, key: str, group: list[ObjectInfo]) -> Verdict:
        if self.rules.is_protected(key):
            return Verdict(False, "protected")
        covering = [r for r in self.rules.rules if r.covers(key)]
        if not covering:
            return Verdict(False, "out-of-scope")
        data = [v for v in group if not v.delete_marker]
        newest = data[0] if data else group[0]
        created = newest.last_modified
        # Cheap first: a rule that needs no tags and is not yet over keeps the object without another call.
        for rule in covering:
            if not rule.needs_tags and created + rule.period > self.as_of:
                return Verdict(False, "not-expired", rule.id)
        tags = self._tags(newest) if (self.rules.needs_tags and data) else {}
        matching = [r for r in covering if r.tags_match(tags)]
        if not matching:
            return Verdict(False, "out-of-scope")
        decisive, latest = None, None
        for rule in matching:
            start = created
            if rule.date_tag:
                start = parse_tag_date(tags.get(rule.date_tag))
                if start is None:
                    shown = tags.get(rule.date_tag)
                    return Verdict(
                        False,
                        "undated",
                        rule.id,
                        detail=f"tag {rule.date_tag}={shown!r}" if shown else f"no tag {rule.date_tag}",
                    )
            expiry = start + rule.period
            if expiry > self.as_of:
                return Verdict(False, "not-expired", rule.id)
            if latest is None or expiry > latest:
                decisive, latest = rule, expiry
        assert decisive is not None
        data_class = tags.get(self.rules.class_tag) or decisive.data_class or "unclassified"
        if hold := self.rules.on_hold(tags):
            return Verdict(False, "held-tag", decisive.id, data_class, hold)
        if lock := self._lock(group):
            return Verdict(False, "held-lock", decisive.id, data_class, lock)
        return Verdict(True, "expired", decisive.id, data_class)

    def evaluate_run_artifact(self, key: str, group: list[ObjectInfo], rule: MlflowArtifactRule) -> Verdict:
        """An artifact of a run already past its period: only holds can keep it."""
        data = [v for v in group if not v.delete_marker]
        tags = self._tags(data[0]) if (self.rules.legal_hold.tags and data) else {}
        data_class = tags.get(self.rules.class_tag) or rule.data_class
        if hold := self.rules.on_hold(tags):
            return Verdict(False, "held-tag", rule.id, data_class, hold)
        if lock := self._lock(group):
            return Verdict(False, "held-lock", rule.id, data_class, lock)
        return Verdict(True, "expired", rule.id, data_class)
