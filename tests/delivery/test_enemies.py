"""Enemies across sections: no unit is presented when an enemy of one of its items was presented
earlier in the same attempt, in any section (ISSUE 4 follow-up, gap 1)."""

from pathlib import Path

import yaml
from bankfixture import write_bank
from delivery_support import World, take_attempt
from delivery_support import open_forms as open_bank
from sqlalchemy import select

from toetsbatterij.delivery.models import FINISHED, Presentation
from toetsbatterij.items import build_forms, load_bank

BANNED = [f"L-{lvl}-T{i:03d}" for i, lvl in
          ((3, "A2"), (4, "A2"), (5, "B1"), (6, "B1"), (7, "B2"), (8, "B2"))]


def _bank_with_cross_skill_enemies(dest: Path) -> Path:
    """The test bank, with every reading unit an enemy of six of the eight listening testlets
    (the testlet R-B1-T001 lists them at testlet level, the others at item level)."""
    root = write_bank(dest)
    for path in (root / "items" / "reading").rglob("*.yaml"):
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
        data["enemies"] = list(BANNED)
        path.write_text(yaml.safe_dump(data, allow_unicode=True, sort_keys=False),
                        encoding="utf-8")
    return root


def _run(world, content, tenant, i):
    attempt = take_attempt(world, content, tenant, i)
    assert attempt.state == FINISHED, attempt.state
    return list(world.db.scalars(select(Presentation).where(
        Presentation.attempt_id == attempt.id, Presentation.section_index >= 0)
        .order_by(Presentation.section_index, Presentation.position)))


def test_enemy_of_an_earlier_section_is_never_presented(db_session, clock, tmp_path):
    content = open_bank(_bank_with_cross_skill_enemies(tmp_path / "bank"))
    world = World(db_session, clock, content)
    world.open(world.a)
    pres = _run(world, content, world.a, 0)
    listening = [p.unit_id for p in pres if p.section_index == 1]
    assert listening, "the listening section still presents the units without an enemy"
    assert set(listening) <= {"L-A1-T001", "L-A1-T002"}
    assert any(p.section_index == 0 for p in pres)


def test_without_enemies_the_same_run_uses_the_banned_units(db_session, clock, tmp_path):
    """The control: the plain bank (no enemies) does present banned units, so the test above
    fails when the exclusion is missing."""
    content = open_bank(write_bank(tmp_path / "bank"))
    world = World(db_session, clock, content)
    world.open(world.a)
    pres = _run(world, content, world.a, 0)
    assert {p.unit_id for p in pres if p.section_index == 1} & set(BANNED)


def test_select_honours_presented_items_in_fixed_pretest_and_adaptive_sections(tmp_path):
    root = write_bank(tmp_path / "bank")
    # The writing task and the pretest item are enemies of a reading item.
    for rel, enemies in (("items/writing/a2/W-A2-0001.yaml", ["R-A1-0001"]),
                         ("items/reading/a2/R-A2-0201.yaml", ["R-A1-0002"])):
        path = root / rel
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
        data["enemies"] = enemies
        path.write_text(yaml.safe_dump(data, allow_unicode=True, sort_keys=False),
                        encoding="utf-8")
    forms = build_forms(load_bank(root))
    fixed = forms["lezen-schrijven"]
    assert fixed.select(1, [], [], 1, 0, False).unit_id == "W-A2-0001"
    stop = fixed.select(1, [], [], 1, 0, False, frozenset({"R-A1-0001"}))
    assert stop.unit_id is None
    adaptive = forms["lezen-luisteren"]
    assert adaptive.select(0, [], [], 1, 1, True).unit_id == "R-A2-0201"
    assert adaptive.select(0, [], [], 1, 1, True, frozenset({"R-A1-0002"})).kind == "operational"
    # adaptive: the first choice, once its enemy was presented elsewhere, is never chosen again
    first = adaptive.select(0, [], [], 7, 0, False).unit_id
    assert adaptive.excluded_by_enemies(frozenset()) == frozenset()
    object.__setattr__(adaptive, "enemies",
                       {"X-OTHER": frozenset({first}), first: frozenset({"X-OTHER"})})
    again = adaptive.select(0, [], [], 7, 0, False, frozenset({"X-OTHER"})).unit_id
    assert again is not None and again != first
