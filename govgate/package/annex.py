"""The EU AI Act Annex IV / ISO/IEC 42001 index of a package (``annex-iv.html``): which file serves which item."""

from __future__ import annotations

import re
from collections.abc import Iterable
from functools import lru_cache
from typing import Any

from govgate.controls import load_index
from govgate.package.completeness import Requirement
from govgate.package.layout import MANIFEST_NAME, PACKAGE_KINDS, PUBLIC_KEY_NAME, SIGNATURE_NAME

FRAMEWORKS = ("eu-ai-act", "iso-iec-42001-2023")


@lru_cache(maxsize=1)
def _kinds_by_control() -> dict[str, list[str]]:
    out: dict[str, list[str]] = {}
    for kind, refs in load_index()["by_evidence_kind"].items():
        for ref in refs:
            out.setdefault(ref, []).append(kind)
    return out


def documentation_items(served_kinds: Iterable[str] = ()) -> list[dict[str, Any]]:
    """Controls of the EU AI Act and ISO/IEC 42001 a package speaks to: every Annex IV item and Art. 11,
    plus every other control of the two whose evidence kinds a package can hold."""
    idx = load_index()
    can_serve = set(PACKAGE_KINDS) | set(served_kinds)
    items = []
    for ref, ctl in idx["controls"].items():
        if ctl["framework"] not in FRAMEWORKS:
            continue
        kinds = sorted(_kinds_by_control().get(ref, []))
        annex = ctl["framework"] == "eu-ai-act" and (ctl["id"].startswith("Annex IV") or ctl["id"] == "Art. 11")
        if annex or set(kinds) & can_serve:
            items.append(
                {
                    "ref": ref,
                    "framework": ctl["framework"],
                    "id": ctl["id"],
                    "title": ctl["title"],
                    "kinds": kinds,
                    "annex_iv": annex,
                }
            )
    return sorted(items, key=lambda i: (FRAMEWORKS.index(i["framework"]), not i["annex_iv"], _natural(i["id"])))


def _natural(text: str) -> list:

    return [int(p) if p.isdigit() else p for p in re.split(r"(\d+)", text)]


def map_documentation(requirements: dict[str, Requirement]) -> list[dict[str, Any]]:
    """For each documentation item: the package files that serve it (through its evidence kinds), or none.
    Status: served (every kind of the item is in the package and passing), partly served, not passing, none."""
    served = {k: r for k, r in requirements.items() if r.satisfied_by and r.status not in ("missing",)}
    rows = []
    for item in documentation_items(served):
        serving = [
            {"kind": k, "files": served[k].satisfied_by, "status": served[k].status}
            for k in item["kinds"]
            if k in served
        ]
        unserved = [k for k in item["kinds"] if k not in served]
        present = [s for s in serving if s["status"] == "present"]
        status = (
            ("served" if not unserved and len(present) == len(serving) else "partly served")
            if present
            else ("not passing" if serving else "none")
        )
        rows.append({**item, "served_by": serving, "unserved_kinds": unserved, "status": status})
    return rows


@lru_cache(maxsize=1)
def _template_env():
    import jinja2

    return jinja2.Environment(
        loader=jinja2.PackageLoader("govgate", "templates"),
        autoescape=True,
        trim_blocks=True,
        lstrip_blocks=True,
        undefined=jinja2.StrictUndefined,
    )


def render_index(
    fields: dict[str, Any], requirements: dict[str, Requirement], files: dict[str, dict[str, Any]]
) -> bytes:
    rows = map_documentation(requirements)
    frameworks = load_index()["frameworks"]
    groups = [
        {
            "framework": fw,
            "name": frameworks.get(fw, {}).get("name", fw),
            "rows": [r for r in rows if r["framework"] == fw],
        }
        for fw in FRAMEWORKS
    ]
    html = (
        _template_env()
        .get_template("annex_iv.html.j2")
        .render(
            p=fields,
            requirements=list(requirements.values()),
            groups=groups,
            files=sorted(files.items()),
            manifest=MANIFEST_NAME,
            signature=SIGNATURE_NAME,
            public_key=PUBLIC_KEY_NAME,
            catalog=load_index()["source"],
        )
    )
    return html.encode()
