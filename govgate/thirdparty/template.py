"""A commented submission to start from (``govgate third-party template``), built from the checklist so
that every item and answer it names is one the review knows."""

from __future__ import annotations

from govgate.thirdparty.checklist import Checklist

_EXAMPLE = {
    "date": "2026-01-15",
    "integer": "24",
    "boolean": "true",
    "text": '""',
    "choice": None,
    "organisations": "[{name: Example Cloud Ltd, country: SG}]",
    "contacts": "[{role: security, email: security@vendor.example}]",
}

_HEADER = """\
# Third-party AI review submission (docs/third-party-review.md). Checked strictly: unknown keys, bad
# dates, an expiry before the issue date, a duplicate item or a listed file that does not exist are
# errors naming this file and the key. An item left out is a finding of the review (where required).
# Evidence paths are relative to this file; each file is hashed (SHA-256) and attached to the record
# (never its text). Contacts' addresses are kept out of the record (keyed pseudonyms only).
id: vendor-tool-id              # the tool's id, as in the inventory (lower-case, digits, . _ -)
vendor: Vendor Ltd
service: Name of the model or AI service
# tier: high                    # risk tier (default: the --tier option, else the policy's default)
ai_act_role: deployer           # our EU AI Act role for this system: provider | deployer
personal_data: true             # the service receives personal data
data_subjects: [VN]             # whose personal data: VN, EU, or ISO country codes
data_locations:                 # every country where the data is processed or stored
  - {country: SG, purpose: inference}
items:
"""


def template(checklist: Checklist) -> str:
    lines = [_HEADER.rstrip("\n")]
    for item_id, item in checklist.items.items():
        when = f"; only when {', '.join(item.when)}" if item.when else ""
        lines.append(f"  # {item.title}")
        lines.append(f"  # required at tiers {', '.join(item.tiers)}{when}; expiry date {item.expiry}")
        lines.append(f"  {item_id}:")
        lines.append(f"    evidence: [evidence/{item_id}.pdf]")
        lines.append("    issued: 2026-01-15")
        lines.append(f"    {'' if item.expiry == 'required' else '# '}expires: 2027-01-15")
        if item.answers:
            lines.append("    answers:")
        for name, spec in item.answers.items():
            example = _EXAMPLE[spec.type] or spec.choices[0]
            note = spec.help or (f"one of {spec.choices}" if spec.choices else spec.type)
            flag = "" if spec.required else "# "
            lines.append(f"      {flag}{name}: {example}    # {note}{' (required)' if spec.required else ''}")
    return "\n".join(lines) + "\n"
