"""The control catalog as data: identifiers, levels, effective dates as written and parsed, frameworks in force."""

from __future__ import annotations

from datetime import date

import pytest
import yaml

from govgate.audit import catalog
from govgate.controls import build_index, framework_dates, iso_dates, load_index
from govgate.errors import ConfigError, InputError
from tests.conftest import SHARED


def test_every_control_keeps_its_identifier_title_level_and_dates():
    controls = {c.ref: c for c in catalog.controls()}
    art6 = controls["eu-ai-act:Art. 6(3)-(4)"]
    assert art6.applies_from.startswith("2027-12-02 for Annex III systems")  # the text as written
    assert (art6.applies_from_date, art6.applies_from_later_dates) == (date(2026, 8, 2), (date(2027, 12, 2),))
    art9 = controls["eu-ai-act:Art. 9"]
    assert (art9.applies_from_date, art9.applies_from_later_dates) == (date(2027, 12, 2), (date(2028, 8, 2),))
    gov = controls["nist-ai-rmf-1.0:GOVERN 1"]
    assert (gov.level, gov.own_kinds) == ("category", ())
    assert gov.children and all(ref.startswith("nist-ai-rmf-1.0:GOVERN 1.") for ref in gov.children)
    assert controls["nist-ai-rmf-1.0:GOVERN 1.2"].level == "subcategory"
    assert controls["vn-decree-13-2023:Art. 11"].repealed_from == date(2026, 1, 1)


def test_frameworks_in_force_and_repealed():
    fws = catalog.frameworks()
    d13 = fws["vn-decree-13-2023"]
    assert (d13.in_force_from, d13.in_force_until, d13.repealed_from) == (
        date(2023, 7, 1),
        date(2025, 12, 31),
        date(2026, 1, 1),
    )
    assert d13.not_in_force(date(2025, 12, 31)) is None and "repealed" in d13.not_in_force(date(2026, 1, 1))
    assert fws["vn-ai-law-134-2025"].in_force_from == date(2026, 3, 1)
    assert fws["eu-ai-act"].in_force_from == date(2024, 8, 1)
    assert fws["nist-ai-rmf-1.0"].not_in_force(date(2020, 1, 1)) is None  # voluntary: no dates, always applies


def test_date_parsing_keeps_the_earliest_and_the_rest():
    assert iso_dates("2027-12-02 (Annex III) / 2028-08-02 (Annex I)") == ["2027-12-02", "2028-08-02"]
    assert iso_dates("2026-08-02 (systems on market before 2026-08-02: by 2026-12-02, Art. 111(4))") == [
        "2026-08-02",
        "2026-12-02",
    ]
    assert iso_dates("on adoption") == []
    assert framework_dates({"name": "X (in force 2026-01-01)", "status": "confirmed"}) == {
        "in_force_from": "2026-01-01",
        "in_force_until": None,
        "repealed_from": None,
    }


def test_unknown_framework_is_named_with_the_known_ones():
    with pytest.raises(InputError, match=r"unknown framework\(s\) \['iso-9001'\]; the catalog has \['nist-ai-rmf-1.0'"):
        catalog.controls(["iso-9001"])


def _catalog(tmp_path, controls):
    doc = {
        "meta": {"title": "t", "compiled_from_sources_dated_up_to": "2026-08-05", "evidence_vocabulary": ["policy"]},
        "frameworks": [{"framework": "fw-x", "name": "X (in force 2026-01-01)", "controls": controls}],
    }
    path = tmp_path / "catalog.yaml"
    path.write_text(yaml.safe_dump(doc))
    return path


def test_a_catalog_entry_without_an_identifier_is_named(tmp_path):
    path = _catalog(tmp_path, [{"id": "A.1", "title": "one", "evidence_kinds": ["policy"]}, {"title": "two"}])
    with pytest.raises(ConfigError, match=r"framework 'fw-x', control entry #2 \('two'\) has no 'id'"):
        build_index(path)
    ok = build_index(_catalog(tmp_path, [{"id": "A.1", "title": "one", "evidence_kinds": ["policy"]}]))
    assert ok["controls"]["fw-x:A.1"]["evidence_kinds"] == ["policy"]
    assert ok["frameworks"]["fw-x"]["in_force_from"] == "2026-01-01"


def test_every_catalog_control_is_in_the_shipped_index():
    """Where the shared catalog is beside the clone: every control's id, title and kinds are kept."""
    path = SHARED / "standards" / "catalog.yaml"
    shipped = {c.ref: c for c in catalog.controls()}
    if not path.is_file():  # a user's clone: the shipped index stands on its own
        assert len(shipped) == len(load_index()["controls"]) and all(c.title and c.id for c in shipped.values())
        return
    raw = yaml.safe_load(path.read_text())
    in_order = [f"{fw['framework']}:{ctl['id']}" for fw in raw["frameworks"] for ctl in fw["controls"]]
    assert list(shipped) == in_order  # the catalog's order, though the JSON's keys are sorted
    n = 0
    for fw in raw["frameworks"]:
        for ctl in fw["controls"]:
            c = shipped[f"{fw['framework']}:{ctl['id']}"]
            assert (c.title, c.own_kinds, c.applies_from) == (
                ctl["title"],
                tuple(ctl["evidence_kinds"]),
                ctl.get("applies_from"),
            )
            n += 1
    assert n == len(shipped)
