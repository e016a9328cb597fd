"""Pinned forms: an attempt stores its form version and runs on exactly that form to the end,
also after the bank on disk changed; a new attempt gets the new form; every section run stores
its design name and version; a form whose files no longer match its version does not start."""

from __future__ import annotations

import yaml
from bankfixture import write_bank
from delivery_support import World, open_forms
from sqlalchemy import select

from toetsbatterij.delivery import attempts, models
from toetsbatterij.delivery.forms import FormNotAvailable, FormStore
from toetsbatterij.delivery.models import FINISHED, Attempt, FormSnapshot, SectionRun


def _login(world, content, i):
    _, attempt, _ = attempts.candidate_login(
        world.db, world.clock, session_code=world.a["session_code"],
        access_code=world.a["access_codes"][i], device_token=None, forms=content)
    world.db.commit()
    return attempt


def _finish(world, content, attempt, limit=80):
    for _ in range(limit):
        scr = attempts.advance(world.db, world.clock, content, attempt)
        if scr.kind in ("item", "practice"):
            form = content.for_attempt(world.db, attempt)
            answers = {j: form.item(j).itype.full_credit_responses(form.item(j).definition)[0]
                       for j in scr.presentation.item_ids}
            attempts.submit(world.db, world.clock, content, attempt,
                            presentation_id=scr.presentation.id, responses=answers)
        elif scr.kind == "instructions":
            attempts.start_practice(world.db, world.clock, attempt)
        elif scr.kind == "section_intro":
            attempts.start_section(world.db, world.clock, content, attempt,
                                   scr.section_number - 1)
        elif scr.kind == "finished":
            break
        world.db.commit()
    return attempt


def _change_a_cut_score(root):
    path = root / "tests" / "lezen-luisteren.yaml"
    manifest = yaml.safe_load(path.read_text(encoding="utf-8"))
    manifest["cut_scores"]["reading"]["A2"] = -1.1
    path.write_text(yaml.safe_dump(manifest, allow_unicode=True), encoding="utf-8")


def test_a_running_attempt_keeps_its_form_across_a_bank_change(db_session, clock, tmp_path):
    root = write_bank(tmp_path / "bank")
    old = open_forms(root, tmp_path / "assets")
    world = World(db_session, clock, old)
    world.open(world.a)
    running = _login(world, old, 0)
    old_version = old.current["lezen-luisteren"].version
    assert running.form_version == old_version
    attempts.start_practice(world.db, world.clock, running)
    attempts.advance(world.db, world.clock, old, running)
    world.db.commit()
    # The bank on disk changes (a cut score), and the server restarts with the new bank.
    _change_a_cut_score(root)
    new = FormStore(root, tmp_path / "assets")
    new_version = new.current["lezen-luisteren"].version
    assert new_version != old_version
    # The running attempt finishes on its own form, rebuilt from the snapshot.
    _finish(world, new, running)
    assert running.state == FINISHED and running.form_version == old_version
    assert new.for_attempt(world.db, running).version == old_version
    assert world.db.get(FormSnapshot, old_version) is not None
    # A new attempt (same session) gets the new form and a new definition version.
    fresh = _login(world, new, 1)
    assert fresh.form_version == new_version
    definition = world.db.get(models.TestDefinitionRecord, fresh.test_definition_id)
    assert definition.version == new_version and definition.code == "lezen-luisteren"
    _finish(world, new, fresh)
    # Every section run stores its design name and version.
    runs = world.db.scalars(select(SectionRun)).all()
    assert runs and all(r.design_name and r.design_version for r in runs)
    by_attempt = {a.id: a.form_version for a in world.db.scalars(select(Attempt))}
    assert {r.design_version for r in runs if r.attempt_id == running.id} == {old_version}
    assert {r.design_version for r in runs if r.attempt_id == fresh.id} == {new_version}
    assert {r.design_name for r in runs} == {"lezen-luisteren/reading",
                                             "lezen-luisteren/listening"}
    assert by_attempt[running.id] != by_attempt[fresh.id]


def test_a_form_whose_files_changed_does_not_start(db_session, clock, tmp_path):
    root = write_bank(tmp_path / "bank")
    content = open_forms(root, tmp_path / "assets")
    world = World(db_session, clock, content)
    world.open(world.a)
    form = content.current["lezen-luisteren"]
    _digest, rel = form.assets()[0]
    (root / rel).write_bytes(b"not the audio the version was made with")
    try:
        _login(world, content, 0)
    except FormNotAvailable as exc:
        assert "niet starten" in exc.message
    else:
        raise AssertionError("an attempt started on a form whose files do not match")
    assert world.db.scalar(select(Attempt)) is None
