"""Third-party AI review: a vendor model or AI service checked against a checklist (policy data), each
item with hashed evidence files and an expiry date; missing, expired and soon-to-expire items are findings.

Public API: ``load_checklist``, ``load_submission``, ``review`` (-> ``Review``), ``template``.
No Prefect here: the gate is flows/third_party_review.py over tasks/third_party.py.
"""

from govgate.thirdparty.checklist import Checklist, default_checklist_path, load_checklist
from govgate.thirdparty.evidence import EvidenceFile
from govgate.thirdparty.review import Review, facts, review
from govgate.thirdparty.submission import Submission, load_submission
from govgate.thirdparty.template import template

__all__ = [
    "Checklist",
    "EvidenceFile",
    "Review",
    "Submission",
    "default_checklist_path",
    "facts",
    "load_checklist",
    "load_submission",
    "review",
    "template",
]
