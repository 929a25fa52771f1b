"""The inventory page: one static HTML file from a snapshot's ``inventory.json`` alone.

It opens offline (styles and the filter script are inline, nothing is fetched), fits a 1280 px window,
and shows every asset with its tier and why, its status, each gate's last decision and age, its lineage
and its gaps; then the gaps and the assets that disappeared. A gate that failed, is missing where a rule
wants it, or is overdue is drawn red, so a reader sees it without reading the text.
"""

from __future__ import annotations

from typing import Any

import jinja2

# Which gate a gap rule is about: the page marks that gate's chip failed (or shows it missing).
RULE_GATE = {
    "deployed-without-passing-review": "model-review",
    "reassessment-overdue": "reassessment",
    "dataset-without-data-review": "data-review",
    "third-party-unreviewed": "third-party-review",
    "third-party-review-expired": "third-party-review",
}
SUFFIX = {"reassessment-overdue": " · overdue", "third-party-review-expired": " · items expired"}
SEVERITY_ORDER = ("critical", "high", "medium", "low")
DECISION_CSS = {"pass": "ok", "fail": "bad", "error": "bad", "needs-review": "warn"}


def _env() -> jinja2.Environment:
    return jinja2.Environment(
        loader=jinja2.PackageLoader("govgate", "templates"),
        autoescape=True,
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )


def gate_chips(asset: dict[str, Any], gaps: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Each gate of the asset as {gate, text, css}: its decision and age; red when a gap names it."""
    flagged = {RULE_GATE[g["rule"]]: g["rule"] for g in gaps if g["rule"] in RULE_GATE}
    chips = []
    for gate, status in sorted(asset["gates"].items()):
        css = DECISION_CSS.get(status["decision"], "warn")
        text = f"{status['decision']} · {status['age_days']:.0f} d"
        if not status.get("verified", True):
            css, text = "bad", text + " · not verified"
        if gate in flagged:
            css = "bad"
            if flagged[gate] in SUFFIX:
                text += SUFFIX[flagged[gate]]
        chips.append({"gate": gate, "text": text, "css": css})
    for gate, rule in sorted(flagged.items()):
        if gate not in asset["gates"]:
            chips.append({"gate": gate, "text": "overdue" if rule == "reassessment-overdue" else "none", "css": "bad"})
    return chips


def _rows(doc: dict[str, Any]) -> list[dict[str, Any]]:
    by_asset: dict[str, list[dict[str, Any]]] = {}
    for g in doc["gaps"]:
        by_asset.setdefault(g["asset_id"], []).append(g)
    rows = []
    for a in doc["assets"]:
        gaps = by_asset.get(a["id"], [])
        worst = min((SEVERITY_ORDER.index(g["severity"]) for g in gaps), default=None)
        rows.append(
            {
                "a": a,
                "gaps": gaps,
                "chips": gate_chips(a, gaps),
                "worst": SEVERITY_ORDER[worst] if worst is not None else "",
                "search": " ".join(
                    str(x or "") for x in (a["id"], a["name"], a.get("owner"), a.get("purpose"), a.get("tier_reason"))
                ).lower(),
            }
        )
    return rows


def render_page(doc: dict[str, Any]) -> str:
    """The page of one snapshot (``inventory.json`` as a dict)."""
    rows = _rows(doc)
    counts = {s: sum(1 for g in doc["gaps"] if g["severity"] == s) for s in SEVERITY_ORDER}
    verdict = "GAPS" if counts["critical"] or counts["high"] else ("NOTES" if doc["gaps"] else "COMPLETE")
    return (
        _env()
        .get_template("inventory.html.j2")
        .render(
            doc=doc,
            rows=rows,
            counts=counts,
            verdict=verdict,
            kinds=sorted({a["kind"] for a in doc["assets"]}),
            tiers=sorted({a.get("tier") or "(none)" for a in doc["assets"]}),
            statuses=sorted({a["status"] for a in doc["assets"]}),
            gaps=sorted(doc["gaps"], key=lambda g: (SEVERITY_ORDER.index(g["severity"]), g["rule"], g["asset_id"])),
        )
    )
