"""Retention purge: rules as policy-as-code, a write-ahead deletion plan, batched deletes, a certificate.

The purge never decides on partial information: an object is deleted only when every rule that covers it
says its period is over, no legal hold (object tag or S3 Object Lock) applies, and it is outside the
protected prefixes (``evidence/`` and ``audit/`` always, plus the rule file's own). Anything unclear
(a date tag that is missing or unreadable) keeps the object and is reported.

What happens, in order, all recorded under ``audit/retention-purge/<purge id>/`` in the primary store:

1. ``plan-<mode>.jsonl`` (write-once): a header and one line per object version to delete (key, version
   id, size, etag, rule, data class), written *before* the first delete;
2. deletes in batches of up to 1,000 keys per DeleteObjects call, with ``progress-<n>.json`` checkpoints
   (write-once) every few batches;
3. ``certificate.json`` (write-once): counts, bytes, the SHA-256 of the plan and of the list of what was
   deleted, the rules' SHA-256 and the time.

A plan with no certificate is an interrupted purge. The next run resumes it: it re-lists what is left,
keeps whatever changed or stopped being eligible since the plan, deletes the rest, and certifies every
planned entry exactly once.
"""

from __future__ import annotations

import hashlib
import json
import os
import tempfile
import uuid
from collections import Counter, defaultdict
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from fnmatch import fnmatchcase
from pathlib import Path
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

from govgate import protocol
from govgate.datasheet import parse_retention
from govgate.digest import sha256_bytes, sha256_file
from govgate.errors import GovgateError, PolicyError, StoreError
from govgate.store import DELETE_BATCH, ObjectInfo, ObjectStore
from govgate.yamlio import load_yaml

AUDIT_PREFIX = protocol.RETENTION_AUDIT_PREFIX
ALWAYS_PROTECTED = protocol.ALWAYS_PROTECTED
PLAN_KIND = protocol.RETENTION_PLAN_KIND
CERTIFICATE_KIND = protocol.RETENTION_CERTIFICATE_KIND
PURGED_RUN_TAG = protocol.RUN_PURGED


class RetentionRulesError(PolicyError):
    """The retention rule file cannot be read or does not validate: nothing is deleted."""


class PurgeError(GovgateError):
    """The purge cannot go on safely."""


# --------------------------------------------------------------------------------------------------
# rules
# --------------------------------------------------------------------------------------------------


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, populate_by_name=True)


def _check_period(value: str) -> str:
    try:
        parse_retention(value)
    except ValueError as exc:
        raise ValueError(str(exc)) from None
    return value


class PrefixRule(_Strict):
    """Objects under ``prefix`` (and matching ``pattern`` and ``tags``) are kept ``retain`` from ``from``."""

    id: str = Field(..., pattern=r"^[a-z0-9][a-z0-9._-]*$", description="stable rule id, shown in every record")
    description: str = ""
    prefix: str = Field(..., description="key prefix in the store, e.g. raw/clickstream/ ('' = the whole store)")
    pattern: str | None = Field(None, description="glob on the whole key, e.g. '*.csv'")
    tags: dict[str, str | list[str]] = Field(default_factory=dict, description="object tags that must all match")
    retain: str = Field(..., description="ISO 8601 duration (P90D, P2Y) or 90d / 2y")
    start: str = Field("created", alias="from", description="'created' or 'tag:<name>' holding an ISO date")
    data_class: str | None = Field(None, description="class reported when the object has no class tag")

    _retain = field_validator("retain")(classmethod(lambda cls, v: _check_period(v)))

    @field_validator("start")
    @classmethod
    def _start(cls, value: str) -> str:
        if value != "created" and not (value.startswith("tag:") and len(value) > 4):
            raise ValueError(f"{value!r} is neither 'created' nor 'tag:<name>'")
        return value

    @property
    def period(self) -> timedelta:
        return parse_retention(self.retain)

    @property
    def date_tag(self) -> str | None:
        return self.start[4:] if self.start.startswith("tag:") else None

    @property
    def needs_tags(self) -> bool:
        return bool(self.tags) or self.date_tag is not None

    def covers(self, key: str) -> bool:
        return key.startswith(self.prefix) and (self.pattern is None or fnmatchcase(key, self.pattern))

    def tags_match(self, tags: dict[str, str]) -> bool:
        for name, wanted in self.tags.items():
            allowed = [wanted] if isinstance(wanted, str) else wanted
            if tags.get(name) not in allowed:
                return False
        return True


class MlflowArtifactRule(_Strict):
    """Artifacts under ``artifact_path`` of runs in ``experiments`` are kept ``retain`` from the run's start."""

    id: str = Field(..., pattern=r"^[a-z0-9][a-z0-9._-]*$")
    description: str = ""
    experiments: list[str] = Field(..., min_length=1, description="MLflow experiment names")
    artifact_path: str = Field(..., min_length=1, description="folder inside each run's artifacts, e.g. raw-data")
    retain: str
    data_class: str = "raw-data"

    _retain = field_validator("retain")(classmethod(lambda cls, v: _check_period(v)))

    @field_validator("artifact_path")
    @classmethod
    def _path(cls, value: str) -> str:
        if value.startswith("/") or ".." in value.split("/"):
            raise ValueError(f"{value!r} must be a relative folder inside the run's artifacts")
        return value.strip("/")

    @property
    def period(self) -> timedelta:
        return parse_retention(self.retain)


class LegalHoldRules(_Strict):
    tags: dict[str, list[str]] = Field(
        default_factory=lambda: {"legal-hold": ["true", "yes", "on", "1"]},
        description="an object with any of these tag values is on legal hold and never deleted",
    )


class RetentionRules(_Strict):
    version: Literal[1] = 1
    description: str = ""
    protected_prefixes: list[str] = Field(
        default_factory=list, description="never eligible, besides evidence/ and audit/"
    )
    legal_hold: LegalHoldRules = Field(default_factory=LegalHoldRules)
    class_tag: str = Field("data-class", description="object tag that names an object's data class")
    rules: list[PrefixRule] = Field(default_factory=list)
    mlflow_artifacts: list[MlflowArtifactRule] = Field(default_factory=list)

    path: str = Field("", exclude=True)
    sha256: str = Field("", exclude=True)

    @field_validator("protected_prefixes")
    @classmethod
    def _protected(cls, value: list[str]) -> list[str]:
        bad = [p for p in value if not p or not p.endswith("/")]
        if bad:
            raise ValueError(f"{bad} must be folder prefixes ending in '/'")
        return value

    @model_validator(mode="after")
    def _consistent(self) -> RetentionRules:
        if not self.rules and not self.mlflow_artifacts:
            raise ValueError("no rules: give at least one entry under 'rules' or 'mlflow_artifacts'")
        ids = [r.id for r in self.rules] + [r.id for r in self.mlflow_artifacts]
        if dupes := sorted({i for i in ids if ids.count(i) > 1}):
            raise ValueError(f"rule ids must be unique; repeated: {dupes}")
        for n, rule in enumerate(self.rules):
            for protected in self.protected:
                if rule.prefix.startswith(protected):
                    raise ValueError(
                        f"rules[{n}] ({rule.id}).prefix {rule.prefix!r} is inside the protected prefix {protected!r}: "
                        "evidence and audit records are never eligible"
                    )
        return self

    @property
    def protected(self) -> tuple[str, ...]:
        return (*ALWAYS_PROTECTED, *self.protected_prefixes)

    def is_protected(self, key: str) -> bool:
        return key.startswith(self.protected)

    def on_hold(self, tags: dict[str, str]) -> str | None:
        for name, values in self.legal_hold.tags.items():
            if name in tags and tags[name].strip().lower() in [v.lower() for v in values]:
                return f"tag {name}={tags[name]}"
        return None

    @property
    def needs_tags(self) -> bool:
        return bool(self.legal_hold.tags) or any(r.needs_tags for r in self.rules)

    def roots(self) -> list[str]:
        """The fewest prefixes to list so that every rule's objects are seen once, in key order."""
        roots: list[str] = []
        for prefix in sorted({r.prefix for r in self.rules}):
            if not any(prefix.startswith(r) for r in roots):
                roots.append(prefix)
        return roots


def load_rules(path: str | Path) -> RetentionRules:
    """Read and validate a retention rule file; every problem names the file and the key."""
    path = Path(path)
    try:
        raw = path.read_bytes()
    except FileNotFoundError:
        raise RetentionRulesError(f"retention rule file {path} does not exist") from None
    except OSError as exc:
        raise RetentionRulesError(f"retention rule file {path} cannot be read: {exc.strerror or exc}") from None
    data = load_yaml(raw, what=str(path), error=RetentionRulesError)
    if not isinstance(data, dict):
        raise RetentionRulesError(f"{path}: expected a mapping with a 'rules' list; got {type(data).__name__}")
    try:
        rules = RetentionRules.model_validate(data)
    except ValidationError as exc:
        raise RetentionRulesError(f"{path}: " + "; ".join(_describe(e) for e in exc.errors())) from None
    return rules.model_copy(update={"path": str(path), "sha256": sha256_bytes(raw)})


def _describe(err: dict) -> str:
    key = ".".join(str(p) for p in err["loc"]) or "(top level)"
    if err["type"] == "extra_forbidden":
        return f"{key}: unknown key"
    if err["type"] == "missing":
        return f"{key}: required key is missing"
    msg = err["msg"].removeprefix("Value error, ")
    return f"{key}: {msg}" + (f" (got {err.get('input')!r})" if err["loc"] else "")


def parse_tag_date(text: str | None) -> datetime | None:
    """An ISO date or date-time from a tag value; None when missing or unreadable (never a guess)."""
    if not text:
        return None
    try:
        value = datetime.fromisoformat(text.strip().replace("Z", "+00:00"))
    except ValueError:
        try:
            value = datetime.combine(date.fromisoformat(text.strip()), datetime.min.time())
        except ValueError:
            return None
    return value if value.tzinfo else value.replace(tzinfo=UTC)


# --------------------------------------------------------------------------------------------------
# evaluation
# --------------------------------------------------------------------------------------------------


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


# --------------------------------------------------------------------------------------------------
# plan
# --------------------------------------------------------------------------------------------------


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

    def header(self) -> dict:
        return {
            "kind": PLAN_KIND,
            "purge_id": self.purge_id,
            "mode": self.mode,
            "as_of": self.as_of.isoformat(),
            "rules_sha256": self.rules_sha256,
            "sections": [s.as_dict() for s in self.sections],
        }


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
            out.write(json.dumps(self.plan.header(), sort_keys=True) + "\n")
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
        tags={"govgate-kind": "retention-plan"},
    )
    plan.plan_key, plan.plan_sha256, plan.plan_size = key, info.sha256, info.size


# --------------------------------------------------------------------------------------------------
# execution, checkpoints, resume, certificate
# --------------------------------------------------------------------------------------------------


@dataclass
class Progress:
    """What is known about a plan's entries: index -> final status other than 'deleted'."""

    entries_done: int = 0
    status: dict[int, str] = field(default_factory=dict)  # refused:<reason> | gone | changed | kept:<reason>
    checkpoints: int = 0
    batches: int = 0
    delete_calls: int = 0
    attempts: int = 1
    resumed_from: int | None = None


def _batches(entries: Iterator[dict], start: int, size: int) -> Iterator[list[dict]]:
    batch: list[dict] = []
    for entry in entries:
        if entry["i"] < start:
            continue
        if batch and (len(batch) == size or batch[-1]["s"] != entry["s"]):
            yield batch
            batch = []
        batch.append(entry)
    if batch:
        yield batch


def execute_plan(
    primary: ObjectStore,
    plan_path: Path,
    stores: Callable[[int], ObjectStore],
    progress: Progress,
    *,
    batch_size: int = DELETE_BATCH,
    checkpoint_every: int = 50,
    checkpoint_seconds: float = 60.0,
    on_batch: Callable[[int], None] | None = None,
) -> Progress:
    """Delete the plan's entries from ``progress.entries_done`` on, in batches, with a checkpoint every
    ``checkpoint_every`` batches or ``checkpoint_seconds``, whichever comes first. Checkpoints only save
    work on resume: what follows the last one is re-checked against a fresh listing."""
    import time

    if not 1 <= batch_size <= DELETE_BATCH:
        raise PurgeError(f"batch_size must be between 1 and {DELETE_BATCH}; got {batch_size}")
    header, entries = read_plan(plan_path)
    purge_id = header["purge_id"]
    since_checkpoint: dict[int, str] = {}
    batches_since = 0
    last_checkpoint = time.monotonic()
    for batch in _batches(entries, progress.entries_done, batch_size):
        todo = [e for e in batch if e["i"] not in progress.status]
        if todo:
            report = stores(batch[0]["s"]).delete_many([(e["key"], e["version_id"]) for e in todo])
            progress.delete_calls += report.calls
            deleted = set(report.deleted)
            refused = {k: reason for k, reason in report.errors}
            for e in todo:
                if (e["key"], e["version_id"]) not in deleted:
                    progress.status[e["i"]] = "refused:" + refused.get(e["key"], "not confirmed by the store")
        # The checkpoint carries every non-deleted status of its batches (refused, and what a resume kept).
        since_checkpoint.update({e["i"]: progress.status[e["i"]] for e in batch if e["i"] in progress.status})
        progress.entries_done = batch[-1]["i"] + 1
        progress.batches += 1
        batches_since += 1
        if on_batch is not None:
            on_batch(progress.batches)
        if batches_since >= checkpoint_every or time.monotonic() - last_checkpoint >= checkpoint_seconds:
            write_checkpoint(primary, purge_id, progress, since_checkpoint)
            since_checkpoint, batches_since, last_checkpoint = {}, 0, time.monotonic()
    return progress


def write_checkpoint(primary: ObjectStore, purge_id: str, progress: Progress, statuses: dict[int, str]) -> None:
    body = {"entries_done": progress.entries_done, "status": {str(i): s for i, s in statuses.items()}}
    primary.put(
        audit_key(purge_id, f"progress-{progress.entries_done:010d}.json"),
        json.dumps(body, sort_keys=True),
        write_once=True,
        content_type="application/json",
    )
    progress.checkpoints += 1


def load_progress(primary: ObjectStore, purge_id: str, names: list[str]) -> Progress:
    progress = Progress()
    for name in sorted(n for n in names if n.startswith("progress-")):
        body = primary.get_json(audit_key(purge_id, name))
        progress.entries_done = max(progress.entries_done, int(body["entries_done"]))
        progress.status.update({int(i): s for i, s in body.get("status", {}).items()})
        progress.checkpoints += 1
    return progress


def unfinished_purges(primary: ObjectStore) -> list[tuple[str, list[str]]]:
    """(purge id, object names) of execute plans without a certificate, oldest first."""
    names: dict[str, list[str]] = defaultdict(list)
    for info in primary.list(AUDIT_PREFIX):
        rest = info.key[len(AUDIT_PREFIX) :]
        if "/" in rest:
            purge_id, name = rest.split("/", 1)
            names[purge_id].append(name)
    return [(pid, n) for pid, n in sorted(names.items()) if "plan-execute.jsonl" in n and "certificate.json" not in n]


def revalidate(
    plan_path: Path,
    progress: Progress,
    stores: Callable[[int], ObjectStore],
    decide: Callable[[int, str, list[ObjectInfo]], Verdict],
) -> Counter:
    """Before resuming: re-list what the plan has left and keep whatever changed or stopped being eligible.

    Entries at or after ``entries_done`` may or may not have been deleted before the interruption. Each one
    is matched against a fresh listing: gone (deleted by the interrupted attempt), changed since the plan
    (kept), no longer eligible under the rules now (kept), or still to delete.
    """
    header, entries = read_plan(plan_path)
    remaining: dict[int, dict[str, list[dict]]] = defaultdict(lambda: defaultdict(list))
    for e in entries:
        if e["i"] >= progress.entries_done and e["i"] not in progress.status:
            remaining[e["s"]][e["key"]].append(e)
    outcome: Counter = Counter()
    for section_index, by_key in remaining.items():
        section = header["sections"][section_index]
        current: dict[str, list[ObjectInfo]] = {}
        for key, group in group_versions(stores(section_index).list_version_pages(section["prefix"])):
            if key in by_key:
                current[key] = group
        for key, planned in by_key.items():
            group = current.get(key)
            live = {v.version_id: v for v in group or []}
            present = []
            for e in planned:
                info = live.get(e["version_id"])
                if info is None:
                    progress.status[e["i"]] = "gone"
                elif e["version_id"] is None and (
                    info.etag != e["etag"]
                    or info.size != e["size"]
                    or info.last_modified.isoformat() != e["last_modified"]
                ):
                    progress.status[e["i"]] = "changed"
                else:
                    present.append(e)
            if present and group:
                verdict = decide(section_index, key, group)
                if not verdict.eligible:
                    for e in present:
                        progress.status[e["i"]] = f"kept:{verdict.reason}"
    outcome.update(s.split(":", 1)[0] for i, s in progress.status.items() if i >= progress.entries_done)
    return outcome


def certify(
    primary: ObjectStore,
    plan: Plan | None,
    plan_path: Path,
    progress: Progress,
    *,
    started_at: datetime,
    rules: RetentionRules,
    extra: dict | None = None,
) -> dict:
    """One pass over the plan: every entry gets exactly one status. Written once as certificate.json."""
    header, entries = read_plan(plan_path)
    statuses: Counter = Counter()
    deleted = Tally()
    by_rule: dict[str, Counter] = defaultdict(Counter)
    by_class: dict[str, Counter] = defaultdict(Counter)
    refused: list[dict] = []
    kept: list[dict] = []
    deleted_digest = hashlib.sha256()
    seen_keys: set[tuple[int, str]] = set()
    for e in entries:
        status = (
            progress.status.get(e["i"], "deleted")
            if e["i"] < progress.entries_done
            else progress.status.get(e["i"], "not-attempted")
        )
        kind = status.split(":", 1)[0]
        statuses[kind] += 1
        by_rule[e["rule"]][kind] += 1
        by_class[e["class"]][kind] += 1
        if kind in ("deleted", "gone"):
            deleted.versions += 1
            deleted.bytes += 0 if e["delete_marker"] else e["size"]
            if (e["s"], e["key"]) not in seen_keys:
                seen_keys.add((e["s"], e["key"]))
                deleted.objects += 1
            line = json.dumps({k: e[k] for k in ("s", "key", "version_id", "etag", "size")}, sort_keys=True)
            deleted_digest.update(line.encode() + b"\n")
        elif kind == "refused" and len(refused) < 1000:
            refused.append({"key": e["key"], "version_id": e["version_id"], "reason": status.split(":", 1)[1]})
        elif kind != "deleted" and len(kept) < 1000:
            kept.append({"key": e["key"], "version_id": e["version_id"], "status": status})
        if len(seen_keys) > 100_000:
            seen_keys.clear()  # keys are grouped in the plan: only the recent ones can repeat
    total = sum(statuses.values())
    certificate = {
        "kind": CERTIFICATE_KIND,
        "purge_id": header["purge_id"],
        "status": "complete" if statuses.get("not-attempted", 0) == 0 else "incomplete",
        "as_of": header["as_of"],
        "started_at": started_at.isoformat(),
        "finished_at": datetime.now(UTC).isoformat(),
        "rules": {"path": rules.path, "sha256": header["rules_sha256"]},
        "plan": {
            "key": audit_key(header["purge_id"], "plan-execute.jsonl"),
            "sha256": sha256_file(plan_path)[0],
            "entries": total,
        },
        "deleted": {
            "objects": deleted.objects,
            "versions": deleted.versions,
            "bytes": deleted.bytes,
            "list_sha256": deleted_digest.hexdigest(),
        },
        "statuses": dict(statuses),
        "accounted": total,
        "by_rule": {k: dict(v) for k, v in sorted(by_rule.items())},
        "by_class": {k: dict(v) for k, v in sorted(by_class.items())},
        "refused": refused,
        "kept": kept,
        "attempts": progress.attempts,
        "resumed_from_entry": progress.resumed_from,
        "delete_calls": progress.delete_calls,
        "checkpoints": progress.checkpoints,
        **(extra or {}),
    }
    primary.put(
        audit_key(header["purge_id"], "certificate.json"),
        json.dumps(certificate, indent=2, sort_keys=True),
        write_once=True,
        content_type="application/json",
        tags={"govgate-kind": "retention-certificate"},
    )
    return certificate


def scratch_dir() -> Path:
    return Path(tempfile.mkdtemp(prefix="govgate-purge-"))


# --------------------------------------------------------------------------------------------------
# one purge, start to end
# --------------------------------------------------------------------------------------------------


@dataclass
class PurgeResult:
    purge_id: str
    mode: Literal["dry-run", "execute"]
    as_of: datetime
    plan: Plan | None
    certificate: dict | None = None
    resumed: bool = False
    revalidated: dict[str, int] = field(default_factory=dict)
    rules_changed: bool = False
    runs_tagged: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    api_calls: int | None = None


def _api_calls(stores: Iterable[ObjectStore]) -> int | None:
    counts = [s.api_calls for s in stores]
    return sum(c for c in counts if c is not None) if any(c is not None for c in counts) else None


def expired_runs(client, rule: MlflowArtifactRule, as_of: datetime, notes: list[str]) -> Iterator:
    """MLflow runs of the rule's experiments that started more than ``retain`` before ``as_of`` and were
    not purged by this rule yet."""
    ids = []
    for name in rule.experiments:
        exp = client.get_experiment_by_name(name)
        if exp is None:
            notes.append(f"rule {rule.id}: MLflow experiment {name!r} does not exist")
        else:
            ids.append(exp.experiment_id)
    if not ids:
        return
    cutoff_ms = int((as_of - rule.period).timestamp() * 1000)
    token = None
    while True:
        runs = client.search_runs(
            ids, filter_string=f"attributes.start_time < {cutoff_ms}", max_results=1000, page_token=token
        )
        for run in runs:
            if f"{PURGED_RUN_TAG}.{rule.id}" not in run.data.tags:
                yield run
        token = runs.token
        if not token:
            break


def _check_as_of(as_of: datetime | None, dry_run: bool, now: datetime) -> datetime:
    as_of = as_of or now
    if as_of.tzinfo is None:
        as_of = as_of.replace(tzinfo=UTC)
    if not dry_run and as_of > now + timedelta(minutes=1):
        raise PurgeError(
            f"as_of {as_of.isoformat()} is in the future: an execute run may only delete what has already "
            "expired (use a dry run to preview a future date)"
        )
    return as_of


def run_purge(
    primary: ObjectStore,
    rules: RetentionRules,
    *,
    dry_run: bool = True,
    as_of: datetime | None = None,
    batch_size: int = DELETE_BATCH,
    checkpoint_every: int = 50,
    open_store: Callable[[str], ObjectStore] | None = None,
    mlflow_client=None,
    on_batch: Callable[[int], None] | None = None,
    workdir: Path | None = None,
    sample_limit: int = 500,
) -> PurgeResult:
    """Plan (and unless ``dry_run``, carry out and certify) one purge of ``primary`` under ``rules``.

    An interrupted execute purge found in the audit prefix is finished first, instead of a new plan.
    """
    if workdir is None:
        import shutil

        scratch = scratch_dir()  # plan files stream through here; removed when the purge ends
        try:
            return run_purge(
                primary,
                rules,
                dry_run=dry_run,
                as_of=as_of,
                batch_size=batch_size,
                checkpoint_every=checkpoint_every,
                open_store=open_store,
                mlflow_client=mlflow_client,
                on_batch=on_batch,
                workdir=scratch,
                sample_limit=sample_limit,
            )
        finally:
            shutil.rmtree(scratch, ignore_errors=True)
    started = datetime.now(UTC)
    as_of = _check_as_of(as_of, dry_run, started)
    opened: dict[str, ObjectStore] = {primary.url: primary}

    def store_at(url: str) -> ObjectStore:
        if url not in opened:
            if open_store is None:
                raise PurgeError(f"the plan names another store ({url}) and no way to open it was given")
            opened[url] = open_store(url)
        return opened[url]

    if not dry_run and (pending := unfinished_purges(primary)):
        return _resume(
            primary,
            rules,
            pending[0],
            store_at,
            opened,
            started,
            workdir,
            batch_size,
            checkpoint_every,
            mlflow_client,
            on_batch,
        )

    purge_id = new_purge_id(started)
    plan = Plan(
        purge_id=purge_id,
        mode="dry-run" if dry_run else "execute",
        as_of=as_of,
        rules_sha256=rules.sha256,
        sections=[],
        local_path=workdir / f"plan-{purge_id}.jsonl",
    )
    result = PurgeResult(purge_id, plan.mode, as_of, plan)
    check_locks = primary.supports_object_lock() and not primary.lists_lock_state
    evaluator = Evaluator(rules, as_of, primary, check_locks=check_locks)
    planner = Planner(plan, rules, sample_limit)
    try:
        for root in rules.roots():
            planner.add_section(Section(primary.url, root), primary, evaluator.evaluate)
        if rules.mlflow_artifacts and mlflow_client is not None:
            for rule in rules.mlflow_artifacts:
                for run in expired_runs(mlflow_client, rule, as_of, result.notes):
                    store = store_at(run.info.artifact_uri)
                    run_eval = Evaluator(
                        rules, as_of, store, check_locks=store.supports_object_lock() and not store.lists_lock_state
                    )
                    planner.add_section(
                        Section(store.url, rule.artifact_path + "/", "mlflow-run", rule.id, run.info.run_id),
                        store,
                        lambda key, group, r=rule, ev=run_eval: ev.evaluate_run_artifact(key, group, r),
                    )
        elif rules.mlflow_artifacts:
            result.notes.append("MLflow artifact rules were not applied: no MLflow client was given")
    finally:
        planner.close()
    plan.api_calls = {"tag_reads": evaluator.tag_reads, "lock_reads": evaluator.lock_reads}
    upload_plan(primary, plan)
    if dry_run:
        result.api_calls = _api_calls(opened.values())
        return result

    stores_by_section = {i: store_at(s.store_url) for i, s in enumerate(plan.sections)}
    progress = execute_plan(
        primary,
        plan.local_path,
        stores_by_section.__getitem__,
        Progress(),
        batch_size=batch_size,
        checkpoint_every=checkpoint_every,
        on_batch=on_batch,
    )
    result.certificate = certify(
        primary,
        plan,
        plan.local_path,
        progress,
        started_at=started,
        rules=rules,
        extra={"resumed": False, "notes": result.notes},
    )
    result.runs_tagged = _tag_purged_runs(mlflow_client, plan.header()["sections"], purge_id, progress, plan.local_path)
    result.api_calls = _api_calls(opened.values())
    return result


def _tag_purged_runs(client, sections: list[dict], purge_id: str, progress: Progress, plan_path: Path) -> list[str]:
    """Mark MLflow runs whose planned artifacts are all gone, so later purges skip them."""
    runs = {i: s for i, s in enumerate(sections) if s.get("kind") == "mlflow-run"}
    if not runs or client is None:
        return []
    blocked = set()
    _, entries = read_plan(plan_path)
    for e in entries:
        if e["s"] in runs and progress.status.get(e["i"], "deleted").split(":", 1)[0] not in ("deleted", "gone"):
            blocked.add(e["s"])
    tagged = []
    for i, section in runs.items():
        if i not in blocked:
            client.set_tag(section["run_id"], f"{PURGED_RUN_TAG}.{section['rule']}", purge_id)
            tagged.append(section["run_id"])
    return tagged


def _resume(
    primary, rules, pending, store_at, opened, started, workdir, batch_size, checkpoint_every, mlflow_client, on_batch
) -> PurgeResult:
    purge_id, names = pending
    plan_path = workdir / f"plan-{purge_id}.jsonl"
    primary.download(audit_key(purge_id, "plan-execute.jsonl"), plan_path)
    header, _ = read_plan(plan_path)
    as_of = datetime.fromisoformat(header["as_of"])
    result = PurgeResult(purge_id, "execute", as_of, None, resumed=True)
    result.rules_changed = header["rules_sha256"] != rules.sha256
    if result.rules_changed:
        result.notes.append(
            "the rules changed since this purge was planned: what is left was re-decided under the current rules"
        )
    progress = load_progress(primary, purge_id, names)
    progress.resumed_from = progress.entries_done
    progress.attempts = 2
    sections = header["sections"]
    stores_by_section = {i: store_at(s["store_url"]) for i, s in enumerate(sections)}
    evaluators = {
        i: Evaluator(rules, as_of, st, check_locks=st.supports_object_lock() and not st.lists_lock_state)
        for i, st in stores_by_section.items()
    }
    rule_by_id = {r.id: r for r in rules.mlflow_artifacts}

    def decide(i: int, key: str, group: list[ObjectInfo]) -> Verdict:
        section = sections[i]
        if section.get("kind") == "mlflow-run":
            rule = rule_by_id.get(section.get("rule"))
            if rule is None:
                return Verdict(False, "rule-removed", section.get("rule"))
            return evaluators[i].evaluate_run_artifact(key, group, rule)
        return evaluators[i].evaluate(key, group)

    result.revalidated = dict(revalidate(plan_path, progress, stores_by_section.__getitem__, decide))
    progress = execute_plan(
        primary,
        plan_path,
        stores_by_section.__getitem__,
        progress,
        batch_size=batch_size,
        checkpoint_every=checkpoint_every,
        on_batch=on_batch,
    )
    result.certificate = certify(
        primary,
        None,
        plan_path,
        progress,
        started_at=started,
        rules=rules,
        extra={
            "resumed": True,
            "revalidated": result.revalidated,
            "rules_changed": result.rules_changed,
            "notes": result.notes,
        },
    )
    result.runs_tagged = _tag_purged_runs(mlflow_client, sections, purge_id, progress, plan_path)
    result.api_calls = _api_calls(opened.values())
    return result
