"""What a person sees of a gate run in the Prefect UI: the run's name, tags and final state, a short
summary (decision, why, top findings, links) and a checks table narrow enough for the page.

Core module (no Prefect import): ``tasks/run_view.py`` and ``tasks/evidence.py`` hand these to Prefect.
The full story stays in the HTML report; the summary only says what was decided, why, and where to read on.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import PurePosixPath

from govgate.protocol import (
    EVIDENCE_PREFIX,
    RUN_STATE_NAMES,
    RUN_TAG,
    RUN_TAG_DECISION,
    RUN_TAG_GATE,
    RUN_TAG_TIER,
)
from govgate.record import GateResult, Subject
from govgate.render import format_metric, format_threshold
from govgate.report_view import OUTCOME_ORDER

MAX_FINDINGS = 5  # the summary names the worst few; the report has them all
MAX_REASONS = 5
# The Prefect UI does not wrap table cells: these keep the checks table within a 1400 px window.
CELL_CHARS = {"concern": 12, "check": 36, "value": 20, "threshold": 14}
SUBJECT_CHARS = 60
SEVERITY_ORDER = {"critical": 0, "high": 1, "medium": 2, "low": 3, "info": 4}
# Prefect refuses these in some names and URLs; a subject id (a path, models:/name/3) often has them.
_NAME_UNSAFE = str.maketrans({"/": "\u2215", "%": " ", "&": "+", "<": "(", ">": ")"})


def trim(text: str, limit: int) -> str:
    """One line of at most ``limit`` characters, ending with an ellipsis when cut."""
    line = " ".join(str(text).split())
    return line if len(line) <= limit else line[: limit - 1].rstrip() + "\u2026"


def subject_label(subject: Subject) -> str:
    """A short name for the subject: a file's name, a model's name and version."""
    label = subject.id.rstrip("/").rsplit("/", 1)[-1] or subject.id
    # a model's version says which one; a data digest (sha256-...) says nothing to a reader here
    if subject.version and len(subject.version) <= 16 and subject.version not in label:
        label = f"{label} v{subject.version}"
    return trim(label, SUBJECT_CHARS).translate(_NAME_UNSAFE)


def decision_label(decision: str) -> str:
    return decision.upper().replace("-", " ")


def run_name(gate: str, subject: Subject, decision: str | None = None) -> str:
    """``data-review: reviews.csv -> FAIL`` (without the arrow while the gate is still running)."""
    name = f"{gate}: {subject_label(subject)}"
    return f"{name} -> {decision_label(decision)}" if decision else name


def run_tags(gate: str, tier: str | None, decision: str | None = None) -> list[str]:
    """Tags to filter runs by in the Prefect UI: govgate, gate:<gate>, tier:<tier>, decision:<decision>."""
    tags = [RUN_TAG, RUN_TAG_GATE + gate]
    if tier:
        tags.append(RUN_TAG_TIER + tier)
    if decision:
        tags.append(RUN_TAG_DECISION + decision)
    return tags


@dataclass(frozen=True)
class RunVerdict:
    """How the flow run ends: Failed (red) or Completed, under a name that says the decision."""

    failed: bool
    name: str
    message: str


def run_verdict(record: GateResult, fail_run_on: list[str]) -> RunVerdict:
    """The run ends Failed when the policy lists the decision in ``fail_run_on`` (an error always fails)."""
    decision = record.decision.outcome.value
    failed = decision == "error" or decision in fail_run_on
    reasons = "; ".join(record.decision.reasons[:3]) or "all checks passed"
    message = trim(f"{decision_label(decision)}: {reasons} (record {record.record_id})", 500)
    return RunVerdict(failed=failed, name=RUN_STATE_NAMES.get(decision, decision_label(decision)), message=message)


def store_key(uri: str, store_url: str) -> str | None:
    """The store key of ``uri`` when it lies in the store at ``store_url``, else None."""
    root = store_url.rstrip("/") + "/"
    return uri[len(root) :] if uri.startswith(root) else None


def browsable(uri: str | None, store_url: str, evidence_http_url: str | None) -> str | None:
    """An http(s) address a browser opens for a store object: the evidence server's route for an evidence/
    object of the served store (file:// or s3://), the URI itself when it is already http(s); else None."""
    if not uri:
        return None
    if uri.startswith(("http://", "https://")):
        return uri
    key = store_key(uri, store_url)
    if evidence_http_url and key and key.startswith(EVIDENCE_PREFIX):
        return f"{evidence_http_url.rstrip('/')}/{key}"
    return None


def link_line(title: str, uri: str | None, url: str | None) -> str:
    if url:
        return f"- [{title}]({url})"
    if uri and uri.startswith("file://"):
        where = PurePosixPath(uri.removeprefix("file://"))
        return f"- {title}: file `{where}` (not served over http: run `govgate serve` or `govgate stack up`)"
    return f"- {title}: `{uri}`" if uri else f"- {title}: (none)"


def summary_markdown(record: GateResult, links: list[tuple[str, str | None, str | None]]) -> str:
    """Decision and why, the worst findings, then where to read on; ``links`` are (title, uri, url)."""
    decision = record.decision.outcome.value
    lines = [
        f"## {decision_label(decision)}: {record.gate} of {subject_label(record.subject)}",
        "",
        f"Tier **{record.policy.tier}** of policy {record.policy.name} {record.policy.version}; "
        f"{len(record.checks)} checks ({_counts(record)}); record `{record.record_id}`.",
        "",
        "**Why**",
        "",
    ]
    reasons = record.decision.reasons or ["every check passed"]
    lines += [f"- {trim(r, 300)}" for r in reasons[:MAX_REASONS]]
    if len(reasons) > MAX_REASONS:
        lines.append(f"- ... and {len(reasons) - MAX_REASONS} more reasons in the report")
    lines += _findings_lines(record)
    lines += ["", "**Read on**", ""] + [link_line(*link) for link in links]
    return "\n".join(lines) + "\n"


def _counts(record: GateResult) -> str:
    counts: dict[str, int] = {}
    for check in record.checks:
        counts[check.outcome.value] = counts.get(check.outcome.value, 0) + 1
    ordered = sorted(counts.items(), key=lambda kv: OUTCOME_ORDER.get(kv[0], 9))
    return ", ".join(f"{n} {outcome}" for outcome, n in ordered) or "none"


def _findings_lines(record: GateResult) -> list[str]:
    """A list, not a table: list items wrap to the page where a markdown table's cells are clipped."""
    if not record.findings:
        return []
    worst = sorted(record.findings, key=lambda f: SEVERITY_ORDER.get(f.severity.value, 9))[:MAX_FINDINGS]
    lines = ["", f"**Top findings** ({len(worst)} of {len(record.findings)})", ""]
    for f in worst:
        todo = f" *What to do:* {trim(f.remediation, 200)}" if f.remediation else ""
        lines.append(f"- **{f.severity.value}**: {trim(f.message, 200)}.{todo}")
    return lines


def checks_rows(record: GateResult) -> list[dict[str, str]]:
    """One short row per check, worst outcome first: outcome, concern, check, value, threshold (the
    messages are in the report); an empty cell stays empty (a "-" would render as a list bullet)."""
    checks = sorted(record.checks, key=lambda c: OUTCOME_ORDER.get(c.outcome.value, 9))
    return [
        {
            "outcome": c.outcome.value,
            "concern": trim(c.category, CELL_CHARS["concern"]),
            "check": trim(c.title or c.id, CELL_CHARS["check"]),
            "value": trim("; ".join(format_metric(m) for m in c.metrics[:1]), CELL_CHARS["value"]),
            "threshold": trim(format_threshold(c) or "", CELL_CHARS["threshold"]),
        }
        for c in checks
    ]
