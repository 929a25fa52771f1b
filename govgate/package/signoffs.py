"""Human sign-offs: parsed from a list or a YAML/JSON file, and judged against the tier's rules."""

from __future__ import annotations

from pathlib import Path

from govgate.errors import InputError
from govgate.record import SignOff, utcnow
from govgate.yamlio import load_yaml


def parse_signoffs(value: list[dict] | str | Path | None) -> list[SignOff] | None:
    """Sign-offs from a list of dicts or a YAML/JSON file (a list, or a mapping with ``signoffs``)."""
    if value is None:
        return None
    where = "signoffs"
    if isinstance(value, (str, Path)):
        where = str(value)
        data = load_yaml(Path(value), what=f"sign-off file {value}")
        value = data.get("signoffs") if isinstance(data, dict) else data
    if not isinstance(value, list):
        raise InputError(
            f"{where}: expected a list of sign-offs (name, role, decision approve/reject, comment, accepted_risks)"
        )
    out = []
    for i, item in enumerate(value):
        if not isinstance(item, dict):
            raise InputError(f"{where}[{i}]: expected a mapping with name, role, decision")
        item = {**item}
        item.setdefault("signed_at", utcnow())
        if isinstance(item.get("accepted_risks"), str):
            item["accepted_risks"] = [r.strip() for r in item["accepted_risks"].split(";") if r.strip()]
        try:
            out.append(SignOff.model_validate(item))
        except ValueError as exc:
            errs = getattr(exc, "errors", lambda: [])()
            msg = "; ".join(f"{'.'.join(map(str, e['loc']))}: {e['msg']}" for e in errs) or str(exc)
            raise InputError(f"{where}[{i}]: {msg}") from None
    return out


def signoffs_needed(rules) -> int:
    return max(rules.required_signoffs, len(rules.signoff_roles)) if rules.required_signoffs > 0 else 0


def assess_signoffs(signoffs: list[SignOff], rules, *, timed_out: str | None = None) -> tuple[str, str]:
    """(outcome, message): pass, fail (a rejection) or inconclusive (too few approvals, a role missing,
    a timeout)."""
    if rules.required_signoffs == 0:
        return "pass", "the tier requires no sign-off"
    rejects = [s for s in signoffs if s.decision == "reject"]
    if rejects:
        return "fail", "; ".join(
            f"rejected by {s.name} ({s.role})" + (f": {s.comment}" if s.comment else "") for s in rejects
        )
    approvers = {s.name.strip().lower(): s for s in signoffs if s.decision == "approve"}
    roles = {s.role for s in approvers.values()}
    problems = []
    if timed_out:
        problems.append(timed_out)
    if len(approvers) < rules.required_signoffs:
        problems.append(f"{len(approvers)} of {rules.required_signoffs} required approval(s) from distinct people")
    if missing := [r for r in rules.signoff_roles if r not in roles]:
        problems.append(f"no approval from role(s) {', '.join(missing)}")
    if problems:
        return "inconclusive", "; ".join(problems)
    return "pass", "approved by " + ", ".join(f"{s.name} ({s.role})" for s in approvers.values())


# ==================================================================================================
