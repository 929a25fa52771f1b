"""The control catalog as data for the audit: each control with its identifier, title, level, evidence kinds
and effective date, and each framework with the dates it is in force.

Read from the shipped index (``govgate/data/controls.json``, built from the standards catalog by
``govgate controls build``), so a user's clone needs no catalog. A category control (NIST AI RMF
``GOVERN 1``) maps no evidence itself: the catalog says its evidence is the union of its subcategories'.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from typing import Any

from govgate.controls import load_index
from govgate.errors import InputError


@dataclass(frozen=True)
class Framework:
    id: str
    name: str
    binding: bool | None
    status: str
    in_force_from: date | None = None
    in_force_until: date | None = None  # last day in force (a repealed framework)
    repealed_from: date | None = None

    def not_in_force(self, on: date) -> str | None:
        """Why the framework does not apply on ``on`` (repealed, not yet in force), None when it does."""
        if (self.repealed_from and on >= self.repealed_from) or (self.in_force_until and on > self.in_force_until):
            span = f"{self.in_force_from or '?'}..{self.in_force_until or '?'}"
            gone = f"; repealed from {self.repealed_from}" if self.repealed_from else ""
            return f"{self.id} is repealed/historical on {on}: in force {span}{gone}"
        if self.in_force_from and on < self.in_force_from:
            return f"{self.id} is not in force on {on}: in force from {self.in_force_from}"
        return None


@dataclass(frozen=True)
class Control:
    ref: str  # "<framework>:<id>"
    framework: str
    id: str
    title: str
    level: str | None
    evidence_kinds: tuple[str, ...]  # effective: a category's are the union of its subcategories'
    own_kinds: tuple[str, ...]  # as the catalog maps them to this entry
    applies_from: str | None = None  # as written in the catalog
    applies_from_date: date | None = None  # the earliest date in that text
    applies_from_later_dates: tuple[date, ...] = ()  # the other dates the text names (e.g. Annex I systems)
    repealed_from: date | None = None
    children: tuple[str, ...] = field(default=())


def _day(text: Any) -> date | None:
    return date.fromisoformat(str(text)) if text else None


def frameworks(index: dict | None = None) -> dict[str, Framework]:
    index = index or load_index()
    return {
        fid: Framework(
            id=fid,
            name=fw["name"],
            binding=fw.get("binding"),
            status=str(fw.get("status") or ""),
            in_force_from=_day(fw.get("in_force_from")),
            in_force_until=_day(fw.get("in_force_until")),
            repealed_from=_day(fw.get("repealed_from")),
        )
        for fid, fw in sorted(index["frameworks"].items(), key=lambda kv: kv[1].get("position", 0))
    }


def check_frameworks(wanted: list[str] | None, index: dict | None = None) -> list[str]:
    """The frameworks asked for (all when None); an unknown one is an error naming it and the known ones."""
    known = list(frameworks(index))
    if wanted is None:
        return known
    unknown = [f for f in wanted if f not in known]
    if unknown:
        raise InputError(f"unknown framework(s) {unknown}; the catalog has {known}")
    return list(wanted)


def controls(wanted: list[str] | None = None, index: dict | None = None) -> list[Control]:
    """Every control of the wanted frameworks, in catalog order, categories with their subcategories' kinds."""
    index = index or load_index()
    chosen = set(check_frameworks(wanted, index))
    raw = index["controls"]
    children: dict[str, list[str]] = {}
    for ref, c in raw.items():
        if c.get("parent"):
            children.setdefault(f"{c['framework']}:{c['parent']}", []).append(ref)
    order = {fid: n for n, fid in enumerate(frameworks(index))}
    out = []
    for ref, c in sorted(raw.items(), key=lambda kv: (order[kv[1]["framework"]], kv[1].get("position", 0))):
        if c["framework"] not in chosen:
            continue
        own = tuple(c.get("evidence_kinds") or ())
        kids = tuple(children.get(ref, ())) if c.get("level") == "category" else ()
        kinds = own or tuple(dict.fromkeys(k for kid in kids for k in raw[kid].get("evidence_kinds") or ()))
        out.append(
            Control(
                ref=ref,
                framework=c["framework"],
                id=c["id"],
                title=c["title"],
                level=c.get("level"),
                evidence_kinds=kinds,
                own_kinds=own,
                applies_from=c.get("applies_from"),
                applies_from_date=_day(c.get("applies_from_date")),
                applies_from_later_dates=tuple(_day(d) for d in c.get("applies_from_later_dates") or ()),
                repealed_from=_day(c.get("repealed_from")),
                children=kids,
            )
        )
    return out
