"""Tasks of the third-party-review gate: thin wrappers over govgate.thirdparty (load, review, attach)."""

from __future__ import annotations

from datetime import date
from pathlib import Path

from prefect.artifacts import create_table_artifact
from prefect.cache_policies import NO_CACHE

from govgate.digest import sha256_file
from govgate.protocol import THIRD_PARTY_ITEMS_ARTIFACT
from govgate.record import AssetKind, InputDigest, Subject, slug
from govgate.thirdparty import Checklist, Review, Submission, load_checklist, load_submission, review
from tasks import context
from tasks.govgate_task import govgate_task as task


def provisional_subject(submission: str) -> Subject:
    """What the run knows before the file is read: an error record still names the submission."""
    return Subject(kind=AssetKind.THIRD_PARTY_TOOL, id=slug(Path(submission).stem), uris=[str(submission)])


def vendor_subject(sub: Submission, checklist: Checklist, result: Review | None = None) -> Subject:
    """The tool under review, pinned by the digests of the submission, the checklist and every evidence file."""
    inputs = [_digest(sub.path, "third-party-submission"), _digest(checklist.path, "third-party-checklist")]
    inputs += [f.input_digest() for f in (result.files if result else [])]
    return Subject(
        kind=AssetKind.THIRD_PARTY_TOOL,
        id=sub.id,
        uris=[str(sub.path)],
        inputs=inputs,
        attributes={"vendor": sub.vendor, "service": sub.service, "ai_act_role": sub.ai_act_role},
    )


def _digest(path: str, role: str) -> InputDigest:
    digest, size = sha256_file(path)
    return InputDigest(uri=Path(path).resolve().as_uri(), sha256=digest, size=size, role=role)


@task(name="load-third-party-submission", cache_policy=NO_CACHE)
def load_inputs(submission: str, checklist: str | None) -> tuple[Submission, Checklist]:
    items = load_checklist(checklist)
    return load_submission(submission, items), items


@task(name="review-third-party-items", cache_policy=NO_CACHE)
def review_items(sub: Submission, checklist: Checklist, tier: str, as_of: date) -> Review:
    key = context.settings().effective_pseudonym_salt().encode()  # contacts become keyed pseudonyms
    return review(sub, checklist, tier, as_of, key)


def attachments(result: Review) -> dict[str, Path]:
    """Each evidence file under its record name (written once by the publisher, never read into the record)."""
    return {f.name: f.path for f in result.files}


@task(name="third-party-items-table", cache_policy=NO_CACHE)
def items_table(result: Review, record_id: str) -> None:
    create_table_artifact(
        key=THIRD_PARTY_ITEMS_ARTIFACT,
        table=[
            {
                "item": i["item"],
                "status": i["status"],
                "expires": i["expires"] or "",
                "sha256": (i["sha256"] or "")[:16],
            }
            for i in result.items
        ],
        description=f"Checklist items of {result.vendor['id']} (record {record_id}) on {result.vendor['as_of']}",
    )
