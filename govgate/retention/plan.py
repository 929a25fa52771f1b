"""The purge plan: eligible versions streamed to a local JSONL file by section, then written once to the audit
prefix before any delete."""

from __future__ import annotations

import json
import os
import uuid
from collections import Counter, defaultdict
from collections.abc import Callable, Iterator
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Literal

from govgate import protocol
from govgate.retention.evaluate import Verdict, group_versions
from govgate.retention.rules import AUDIT_PREFIX, PLAN_KIND, PurgeError, RetentionRules
from govgate.store import ObjectInfo, ObjectStore


@dataclass
class Section:
    """One listing the plan covers: a prefix of a store (the primary one, or an MLflow run's artifacts)."""

    store_url: str
    prefix: str
    kind: Literal["prefix", "mlflow-run"] = "prefix"
    rule: str | None = None
    run_id: str | None = None

    def as_dict(self) -> dict:
        return {k: v for k, v in self.__dict__.items() if v is not None}


@dataclass
class Tally:
    objects: int = 0
    versions: int = 0
    bytes: int = 0

    def add(self, group_size: int, versions: int, nbytes: int) -> None:
        self.objects += group_size
        self.versions += versions
        self.bytes += nbytes


@dataclass
class Plan:
    purge_id: str
    mode: Literal["dry-run", "execute"]
    as_of: datetime
    rules_sha256: str
    sections: list[Section]
    local_path: Path
    entries: int = 0
    scanned: int = 0
    eligible: Tally = field(default_factory=Tally)
    by_rule: dict[str, Tally] = field(default_factory=lambda: defaultdict(Tally))
    by_class: dict[str, Tally] = field(default_factory=lambda: defaultdict(Tally))
    kept: Counter = field(default_factory=Counter)
    kept_by_rule: dict[str, Counter] = field(default_factory=lambda: defaultdict(Counter))
    kept_examples: dict[str, list[str]] = field(default_factory=lambda: defaultdict(list))
    sample: list[dict] = field(default_factory=list)
    plan_key: str | None = None
    plan_sha256: str | None = None
    plan_size: int | None = None
    api_calls: dict[str, int] = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)

    def header(self, *, with_summary: bool = False) -> dict:
        head = {
            "kind": PLAN_KIND,
            "purge_id": self.purge_id,
            "mode": self.mode,
            "as_of": self.as_of.isoformat(),
            "rules_sha256": self.rules_sha256,
            "sections": [s.as_dict() for s in self.sections],
        }
        return head | ({"summary": self.summary()} if with_summary else {})

    def summary(self) -> dict:
        """What the listing found, kept in the plan so that a resumed purge records the same findings
        (objects kept undated or held, tallies) as an uninterrupted one."""
        return {
            "entries": self.entries,
            "scanned": self.scanned,
            "eligible": asdict(self.eligible),
            "by_rule": {k: asdict(v) for k, v in self.by_rule.items()},
            "by_class": {k: asdict(v) for k, v in self.by_class.items()},
            "kept": dict(self.kept),
            "kept_by_rule": {k: dict(v) for k, v in self.kept_by_rule.items()},
            "kept_examples": dict(self.kept_examples),
            "notes": list(self.notes),
        }

    @classmethod
    def from_header(cls, header: dict, local_path: Path) -> Plan:
        """The plan as its run saw it, from a plan file's header (the sample is not kept)."""
        s = header.get("summary") or {}
        return cls(
            purge_id=header["purge_id"],
            mode=header["mode"],
            as_of=datetime.fromisoformat(header["as_of"]),
            rules_sha256=header["rules_sha256"],
            sections=[Section(**d) for d in header["sections"]],
            local_path=local_path,
            entries=s.get("entries", 0),
            scanned=s.get("scanned", 0),
            eligible=Tally(**s.get("eligible", {})),
            by_rule=defaultdict(Tally, {k: Tally(**v) for k, v in s.get("by_rule", {}).items()}),
            by_class=defaultdict(Tally, {k: Tally(**v) for k, v in s.get("by_class", {}).items()}),
            kept=Counter(s.get("kept", {})),
            kept_by_rule=defaultdict(Counter, {k: Counter(v) for k, v in s.get("kept_by_rule", {}).items()}),
            kept_examples=defaultdict(list, s.get("kept_examples", {})),
            notes=list(s.get("notes", [])),
        )


def new_purge_id(now: datetime | None = None) -> str:
    now = now or datetime.now(UTC)
    return now.strftime("%Y%m%dT%H%M%SZ") + "-" + uuid.uuid4().hex[:8]


def audit_key(purge_id: str, name: str) -> str:
    return f"{AUDIT_PREFIX}{purge_id}/{name}"


def _entry_line(index: int, section: int, info: ObjectInfo, verdict: Verdict) -> dict:
    return {
        "i": index,
        "s": section,
        "key": info.key,
        "version_id": info.version_id,
        "size": info.size,
        "etag": info.etag,
        "last_modified": info.last_modified.isoformat(),
        "delete_marker": info.delete_marker,
        "rule": verdict.rule,
        "class": verdict.data_class,
    }


EXAMPLES_PER_REASON = 20


class Planner:
    """Lists every section once, decides each key, and streams the plan to a local file (bounded memory)."""

    def __init__(self, plan: Plan, rules: RetentionRules, sample_limit: int = 500):
        self.plan = plan
        self.rules = rules
        self.sample_limit = sample_limit
        self._out = open(plan.local_path, "w", encoding="utf-8")
        self._out.write(json.dumps(plan.header(), sort_keys=True) + "\n")

    def add_section(
        self, section: Section, store: ObjectStore, decide: Callable[[str, list[ObjectInfo]], Verdict]
    ) -> None:
        plan = self.plan
        index = len(plan.sections)
        plan.sections.append(section)
        for key, group in group_versions(store.list_version_pages(section.prefix)):
            plan.scanned += 1
            verdict = decide(key, group)
            if not verdict.eligible:
                plan.kept[verdict.reason] += 1
                if verdict.rule:
                    plan.kept_by_rule[verdict.rule][verdict.reason] += 1
                if (
                    verdict.reason in ("undated", "held-tag", "held-lock")
                    and len(plan.kept_examples[verdict.reason]) < EXAMPLES_PER_REASON
                ):
                    plan.kept_examples[verdict.reason].append(f"{key}: {verdict.detail}")
                continue
            nbytes = sum(v.size for v in group if not v.delete_marker)
            for info in group:
                line = _entry_line(plan.entries, index, info, verdict)
                self._out.write(json.dumps(line, sort_keys=True) + "\n")
                if len(plan.sample) < self.sample_limit:
                    plan.sample.append(line)
                plan.entries += 1
            plan.eligible.add(1, len(group), nbytes)
            plan.by_rule[verdict.rule or "?"].add(1, len(group), nbytes)
            plan.by_class[verdict.data_class].add(1, len(group), nbytes)

    def close(self) -> None:
        # The header is rewritten with the final section list: sections are only known after listing.
        self._out.close()
        lines_path = self.plan.local_path
        final = lines_path.with_suffix(".final")
        with open(lines_path, encoding="utf-8") as src, open(final, "w", encoding="utf-8") as out:
            src.readline()
            out.write(json.dumps(self.plan.header(with_summary=True), sort_keys=True) + "\n")
            for line in src:
                out.write(line)
        os.replace(final, lines_path)


def read_plan(path: Path) -> tuple[dict, Iterator[dict]]:
    fh = open(path, encoding="utf-8")
    header = json.loads(fh.readline())
    if header.get("kind") != PLAN_KIND:
        fh.close()
        raise PurgeError(f"{path} is not a govgate retention plan (kind {header.get('kind')!r})")

    def entries() -> Iterator[dict]:
        with fh:
            for line in fh:
                if line.strip():
                    yield json.loads(line)

    return header, entries()


def upload_plan(primary: ObjectStore, plan: Plan) -> None:
    """Write the plan once, before anything is deleted."""
    key = audit_key(plan.purge_id, f"plan-{plan.mode}.jsonl")
    info = primary.put(
        key,
        plan.local_path,
        write_once=True,
        content_type="application/x-ndjson",
        tags={protocol.OBJECT_KIND_TAG: "retention-plan"},
    )
    plan.plan_key, plan.plan_sha256, plan.plan_size = key, info.sha256, info.size
