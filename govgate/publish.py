"""The one publishing path every gate uses (the part without Prefect).

Order matters for "nothing half-written is marked complete":
1. the MLflow run is created first, so its id is in the record (and MLflow is known to be reachable);
2. the gate's extra files, ``record.json``, ``report.md`` and ``report.html`` are written once to
   ``evidence/<asset>/<version>/<gate>/<record_id>/``;
3. ``manifest.json`` (every file with its SHA-256 and size) is written last: a record is complete only
   when its manifest exists, and readers ignore prefixes without one;
4. the MLflow run gets metrics, the decision as tags and the files as artifacts, and is ended;
5. the model version (if any) gets ``govgate.<gate>.decision`` and ``govgate.<gate>.record_uri`` tags.
"""

from __future__ import annotations

import hashlib
import json
import logging
from collections.abc import Collection
from dataclasses import dataclass, field
from pathlib import Path

from govgate import protocol
from govgate.errors import GovgateError, StoreError, TamperedError
from govgate.record import ArtifactRef, GateResult, utcnow
from govgate.render import render_html, render_markdown
from govgate.store import ObjectStore, Retention
from govgate.tracking import Tracker

log = logging.getLogger(__name__)

MANIFEST = protocol.MANIFEST  # kept importable: tests and older callers use publish.MANIFEST


@dataclass
class Published:
    record: GateResult
    prefix: str
    record_uri: str
    report_uri: str
    manifest_uri: str
    summary_markdown: str
    mlflow_run_id: str | None = None
    mlflow_run_url: str | None = None
    files: dict[str, str] = field(default_factory=dict)  # name -> sha256
    # name -> S3 version id where the bucket keeps versions (manifest.json's own included): read these
    versions: dict[str, str] = field(default_factory=dict)


def media_type(name: str) -> str:
    return {
        ".json": "application/json",
        ".html": "text/html; charset=utf-8",
        ".md": "text/markdown; charset=utf-8",
        ".csv": "text/csv",
        ".parquet": "application/vnd.apache.parquet",
        ".png": "image/png",
        ".svg": "image/svg+xml",
        ".yaml": "application/yaml",
    }.get(Path(name).suffix, "application/octet-stream")


def publish(
    record: GateResult,
    *,
    store: ObjectStore,
    tracker: Tracker,
    extra_files: dict[str, bytes | Path] | None = None,
    model_version: tuple[str, str | int] | None = None,
    retention: Retention | None = None,
) -> Published:
    """Write the record and its reports once (retention-locked when ``retention`` is given and the store
    supports Object Lock), log them to MLflow, tag the model version."""
    exp_id, run_id = tracker.start_run(record)
    record.provenance.mlflow_run_id = run_id
    record.provenance.mlflow_experiment_id = exp_id
    record.provenance.mlflow_tracking_uri = _safe_uri(tracker.tracking_uri)
    if record.finished_at is None:
        record.finished_at = utcnow()
    prefix = record.evidence_prefix()
    ok = False
    try:
        put = _WriteOnce(store, prefix, retention)
        files = {name: put(name, content, record) for name, content in (extra_files or {}).items()}
        record_uri = store.uri(prefix + protocol.RECORD_JSON)
        report_uri = store.uri(prefix + protocol.REPORT_HTML)
        run_url = tracker.run_url(exp_id, run_id)
        links = {
            "evidence record": record_uri,
            "HTML report": report_uri,
            **({"MLflow run": run_url} if run_url else {}),
        }
        rendered = {
            protocol.RECORD_JSON: record.model_dump_json(indent=2).encode(),
            protocol.REPORT_MD: render_markdown(record, links).encode(),
            protocol.REPORT_HTML: render_html(record, links).encode(),
        }
        files.update({name: put(name, body) for name, body in rendered.items()})
        put(
            MANIFEST, json.dumps(_manifest(record, files, put.versions, put.sizes), indent=2).encode()
        )  # last: complete
        tracker.log_result(run_id, record, record_uri, rendered)
        if model_version is not None:
            name, version = model_version
            tracker.set_model_version_tags(name, version, _gate_tags(record, record_uri))
        ok = True
        return Published(
            record=record,
            prefix=prefix,
            record_uri=record_uri,
            report_uri=report_uri,
            manifest_uri=store.uri(prefix + MANIFEST),
            summary_markdown=rendered[protocol.REPORT_MD].decode(),
            mlflow_run_id=run_id,
            mlflow_run_url=run_url,
            files=files,
            versions=dict(put.versions),
        )
    finally:
        try:
            tracker.end_run(run_id, ok and record.decision.outcome.value != "error")
        except GovgateError as exc:  # never mask the original error
            log.warning("could not end MLflow run %s: %s", run_id, exc)


@dataclass
class _WriteOnce:
    """Writes one file of a record's prefix, write-once and under the record's retention."""

    store: ObjectStore
    prefix: str
    retention: Retention | None
    versions: dict[str, str] = field(default_factory=dict)  # name -> version id, where the store gives one
    sizes: dict[str, int] = field(default_factory=dict)  # name -> bytes: lets a listing alone spot a changed file

    def __call__(self, name: str, content: bytes | Path, record: GateResult | None = None) -> str:
        """Write ``name``; with ``record``, list it among the record's artifacts. Returns its SHA-256."""
        key = self.prefix + name
        info = self.store.put(key, content, write_once=True, content_type=media_type(name), retention=self.retention)
        if info.version_id:
            self.versions[name] = info.version_id
        self.sizes[name] = info.size
        if record is not None:
            ref = ArtifactRef(
                name=name, uri=self.store.uri(key), sha256=info.sha256, size=info.size, media_type=media_type(name)
            )
            record.artifacts.append(ref)
        return info.sha256


def _manifest(record: GateResult, files: dict[str, str], versions: dict[str, str], sizes: dict[str, int]) -> dict:
    """Every file with its SHA-256 and, on a versioned bucket, the version written: a reader fetches that
    version, so a later plain put or delete marker over the key cannot change what it reads."""
    return {
        "record_id": record.record_id,
        "gate": record.gate,
        "decision": record.decision.outcome.value,
        "complete": True,
        "files": {
            name: {
                "sha256": digest,
                **({"size": sizes[name]} if name in sizes else {}),
                **({"version_id": versions[name]} if name in versions else {}),
            }
            for name, digest in sorted(files.items())
        },
    }


def _gate_tags(record: GateResult, record_uri: str) -> dict[str, str]:
    """The gate's tag family on the model version: decision, record URI, record id."""
    return {
        protocol.gate_tag(record.gate, protocol.DECISION): record.decision.outcome.value,
        protocol.gate_tag(record.gate, protocol.RECORD_URI): record_uri,
        protocol.gate_tag(record.gate, protocol.RECORD_ID): record.record_id,
    }


def evidence_retention(policy, tier: str, now=None) -> Retention | None:
    """The Object Lock retention the policy tier asks for on evidence objects (None: write-once only)."""
    from datetime import timedelta

    rules = policy.tier(tier).evidence
    if not rules.lock_mode or rules.lock_days <= 0:
        return None
    return Retention(rules.lock_mode, (now or utcnow()) + timedelta(days=rules.lock_days))


def _safe_uri(uri: str) -> str:
    from govgate.settings import mask_url

    return mask_url(uri)


def load_record(store: ObjectStore, prefix_or_key: str) -> GateResult:
    """Read a complete record (its manifest must exist) from a prefix or a record.json key; a record.json
    whose SHA-256 is not the one its manifest lists is refused (TamperedError names the file)."""
    prefix = (
        prefix_or_key[: -len(protocol.RECORD_JSON)]
        if prefix_or_key.endswith(protocol.RECORD_JSON)
        else prefix_or_key.rstrip("/") + "/"
    )
    manifest = read_record_manifest(store, prefix)
    entry = manifest["files"].get(protocol.RECORD_JSON, {})
    body = store.get_bytes(prefix + protocol.RECORD_JSON, entry.get("version_id"))  # the version sealed
    listed = entry.get("sha256")
    if hashlib.sha256(body).hexdigest() != listed:
        raise TamperedError(
            f"{store.uri(prefix + protocol.RECORD_JSON)} does not match the sha256 in its {MANIFEST}: "
            "the record was changed after it was published"
        )
    return GateResult.model_validate_json(body)


def read_record_manifest(store: ObjectStore, prefix: str) -> dict:
    """A record's parsed manifest.json, or StoreError (incomplete) / TamperedError (not a manifest)."""
    if not store.exists(prefix + MANIFEST):
        raise StoreError(f"{store.uri(prefix)} has no {MANIFEST}: the record is incomplete or does not exist")
    try:
        manifest = json.loads(store.get_bytes(prefix + MANIFEST))
        if not isinstance(manifest.get("files"), dict):
            raise ValueError("no 'files' mapping")
    except (ValueError, AttributeError) as exc:
        raise TamperedError(f"{store.uri(prefix + MANIFEST)} is not a record manifest: {exc}") from None
    return manifest


def check_record_files(
    store: ObjectStore, prefix: str, *, also_listed: Collection[str] = (), report_added: bool = True
) -> list[str]:
    """Every problem with a published record's files, each naming the file: changed or missing against
    the record's manifest.json, or present under the prefix without being listed (in the manifest or in
    ``also_listed``, e.g. the files of a package sealed in the same folder)."""
    try:
        files = read_record_manifest(store, prefix)["files"]
    except StoreError as exc:
        return [str(exc)]
    problems = []
    for name, entry in sorted(files.items()):
        problems += _file_problems(store, prefix + name, name, entry)
    problems += _rewritten_keys(store, prefix)
    if not report_added:
        return problems
    known = set(files) | set(also_listed) | {MANIFEST}
    problems += [
        f"{key[len(prefix) :]}: added after publishing (in neither manifest)"
        for key in (i.key for i in store.list(prefix))
        if key[len(prefix) :] not in known
    ]
    return problems


def _file_problems(store: ObjectStore, key: str, name: str, entry: dict) -> list[str]:
    """One listed file against its manifest entry: missing, changed, or (on a versioned bucket) hidden by a
    newer version or a delete marker that readers of the plain key would get instead of the sealed one."""
    sealed = entry.get("version_id")
    info = store.head(key, sealed)
    if info is None:
        return [f"{name}: listed in the record's {MANIFEST} but missing" + (f" (version {sealed})" if sealed else "")]
    problems = []
    if _sha256_of(store, key, sealed) != entry.get("sha256"):
        problems.append(f"{name}: changed after publishing (sha256 differs from the record's {MANIFEST})")
    if sealed:
        current = store.head(key)
        if current is None:
            problems.append(f"{name}: a delete marker hides the sealed version {sealed} (the plain key reads as gone)")
        elif current.version_id != sealed:
            problems.append(
                f"{name}: a newer version {current.version_id} was written over the sealed version {sealed} "
                "(the plain key reads the newer one)"
            )
    return problems


def _rewritten_keys(store: ObjectStore, prefix: str) -> list[str]:
    """On a bucket that keeps versions, every key of a record was written once: a second version or a
    delete marker under the prefix (manifest.json's own included) is a write over a sealed key."""
    if not store.keeps_versions():
        return []
    seen: dict[str, list[bool]] = {}
    for page in store.list_version_pages(prefix):
        for info in page:
            seen.setdefault(info.key, []).append(info.delete_marker)
    return [
        f"{key[len(prefix) :]}: written over after sealing ({markers.count(False)} version(s), "
        f"{markers.count(True)} delete marker(s); a sealed key has one version)"
        for key, markers in sorted(seen.items())
        if len(markers) > 1
    ]


def _sha256_of(store: ObjectStore, key: str, version_id: str | None = None) -> str:
    h = hashlib.sha256()
    with store.open(key, version_id) as stream:
        while chunk := stream.read(1 << 20):
            h.update(chunk)
    return h.hexdigest()


def find_record(store: ObjectStore, record_id: str) -> str:
    """The prefix of the complete record with this id (searches evidence/)."""
    for info in store.list(protocol.EVIDENCE_PREFIX):
        if info.key.endswith(f"/{record_id}/{MANIFEST}"):
            return info.key[: -len(MANIFEST)]
    raise StoreError(f"no complete record with id {record_id!r} under {store.uri(protocol.EVIDENCE_PREFIX)}")
