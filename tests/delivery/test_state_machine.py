"""The attempt state machine: one test per transition, illegal moves refused, and the screen of
every state read without a single write."""

from __future__ import annotations

import pytest
from sqlalchemy import event

from toetsbatterij.delivery import attempts
from toetsbatterij.delivery.models import (
    ADMISSION,
    ENDED,
    FINISHED,
    INSTRUCTIONS,
    PRACTICE,
    SECTION,
)
from toetsbatterij.errors import Conflict


def _login(world, i=0):
    world.open(world.a)
    _, attempt, _ = attempts.candidate_login(
        world.db, world.clock, session_code=world.a["session_code"],
        access_code=world.a["access_codes"][i], device_token=None)
    world.db.commit()
    return attempt


def _answer(world, content, scr):
    answers = {j: content.items[j].itype.full_credit_responses(content.items[j].definition)[0]
               for j in scr.presentation.item_ids}
    attempts.submit(world.db, world.clock, content, scr.attempt,
                    presentation_id=scr.presentation.id, responses=answers)


def _practise(world, content, attempt):
    attempts.start_practice(world.db, world.clock, attempt)
    scr = attempts.advance(world.db, world.clock, content, attempt)
    while scr.kind == "practice":
        _answer(world, content, scr)
        scr = attempts.advance(world.db, world.clock, content, attempt)
    world.db.commit()
    return scr


class ReadOnly:
    """Fails the test when anything is written through the session's engine."""

    def __init__(self, db):
        self.engine, self.writes = db.get_bind(), []

    def __enter__(self):
        event.listen(self.engine, "before_cursor_execute", self._seen)
        return self

    def __exit__(self, *exc):
        event.remove(self.engine, "before_cursor_execute", self._seen)
        assert self.writes == []

    def _seen(self, _c, _cur, statement, *_a):
        if statement.lstrip().upper().startswith(("INSERT", "UPDATE", "DELETE")):
            self.writes.append(statement)


def test_table_names_every_transition():
    assert set(attempts.TRANSITIONS) == {"admit", "start_practice", "practice_done",
                                         "start_section", "close_section", "end"}
    assert attempts.TRANSITIONS["end"].keys() == {ADMISSION, INSTRUCTIONS, PRACTICE, SECTION}


def test_start_practice_instructions_to_practice(world, content):
    attempt = _login(world)
    assert attempt.state == INSTRUCTIONS
    attempts.start_practice(world.db, world.clock, attempt)
    assert attempt.state == PRACTICE


def test_practice_done_practice_to_section_intro(world, content):
    attempt = _login(world)
    scr = _practise(world, content, attempt)
    assert attempt.state == SECTION and attempt.section_index == 0
    assert scr.kind == "section_intro" and scr.section_number == 1


def test_start_section_opens_the_run_and_presents_the_first_unit(world, content):
    attempt = _login(world)
    _practise(world, content, attempt)
    run = attempts.start_section(world.db, world.clock, content, attempt, 0)
    scr = attempts.advance(world.db, world.clock, content, attempt)
    assert run.deadline_at > world.clock.now() and scr.kind == "item" and attempt.state == SECTION
    with pytest.raises(Conflict):
        attempts.start_section(world.db, world.clock, content, attempt, 1)  # not the current section


def test_close_section_by_time_to_the_next_section_then_finished(world, content):
    attempt = _login(world)
    _practise(world, content, attempt)
    n = len(content.for_attempt(world.db, attempt).sections)
    for index in range(n):
        attempts.start_section(world.db, world.clock, content, attempt, index)
        attempts.advance(world.db, world.clock, content, attempt)
        world.clock.advance(minutes=240)
        scr = attempts.advance(world.db, world.clock, content, attempt)
        run = attempts._section_run(world.db, attempt, index)
        assert run.finished_at is not None and run.finish_reason == "time"
    assert attempt.state == FINISHED and scr.kind == "finished"
    with pytest.raises(Conflict):
        attempts.transition(attempt, "close_section", SECTION)


def test_end_from_every_active_state(world, content):
    for i, state in enumerate((INSTRUCTIONS, PRACTICE, SECTION)):
        attempt = _login(world, i)
        if state != INSTRUCTIONS:
            attempts.start_practice(world.db, world.clock, attempt)
        if state == SECTION:
            _practise(world, content, attempt)
        assert attempt.state == state
        attempts.end_attempt(world.db, world.clock, attempt, reason="ziek", actor_id=None)
        assert attempt.state == ENDED
        with pytest.raises(Conflict):
            attempts.end_attempt(world.db, world.clock, attempt, reason="nog eens", actor_id=None)


def test_illegal_transitions_are_refused(world, content):
    attempt = _login(world)
    for event_name, target in (("practice_done", SECTION), ("start_section", SECTION),
                               ("close_section", FINISHED), ("start_practice", SECTION)):
        with pytest.raises(Conflict):
            attempts.transition(attempt, event_name, target)
    assert attempt.state == INSTRUCTIONS


def test_pause_and_resume_keep_the_state_and_stop_the_clock(world, content):
    attempt = _login(world)
    _practise(world, content, attempt)
    attempts.start_section(world.db, world.clock, content, attempt, 0)
    scr = attempts.advance(world.db, world.clock, content, attempt)
    before = scr.remaining_seconds
    attempts.pause(world.db, world.clock, attempt, actor_id=None)
    world.clock.advance(minutes=5)
    assert attempts.current_screen(world.db, world.clock, content, attempt).kind == "paused"
    attempts.resume_attempt(world.db, world.clock, attempt, actor_id=None)
    scr = attempts.current_screen(world.db, world.clock, content, attempt)
    assert attempt.state == SECTION and scr.kind == "item" and scr.remaining_seconds == before


def test_current_screen_never_writes(world, content):
    attempt = _login(world)
    world.db.commit()
    with ReadOnly(world.db):
        assert attempts.current_screen(world.db, world.clock, content, attempt).kind == \
            "instructions"
    attempts.start_practice(world.db, world.clock, attempt)
    world.db.commit()
    with ReadOnly(world.db):  # the first practice unit is due but not presented by a read
        assert attempts.current_screen(world.db, world.clock, content, attempt).kind == "continue"
    scr = attempts.advance(world.db, world.clock, content, attempt)
    world.db.commit()
    with ReadOnly(world.db):
        again = attempts.current_screen(world.db, world.clock, content, attempt)
    assert again.kind == "practice" and again.presentation.id == scr.presentation.id
    _practise(world, content, attempt)
    attempts.start_section(world.db, world.clock, content, attempt, 0)
    attempts.advance(world.db, world.clock, content, attempt)
    world.db.commit()
    world.clock.advance(minutes=240)
    with ReadOnly(world.db):  # time ran out: shown as the next section, closed by no read
        scr = attempts.current_screen(world.db, world.clock, content, attempt)
    assert scr.kind == "section_intro" and scr.section_number == 2
    assert attempts._section_run(world.db, attempt, 0).finished_at is None
    attempts.advance(world.db, world.clock, content, attempt)
    assert attempts._section_run(world.db, attempt, 0).finished_at is not None
    assert attempt.section_index == 1


def test_advance_is_idempotent(world, content):
    attempt = _login(world)
    attempts.start_practice(world.db, world.clock, attempt)
    first = attempts.advance(world.db, world.clock, content, attempt)
    world.db.commit()
    with ReadOnly(world.db):
        second = attempts.advance(world.db, world.clock, content, attempt)
    assert first.presentation.id == second.presentation.id


def test_admit_admission_to_instructions(world, content):
    world.open(world.a, admit=False)
    sess = world.a
    cand = world.candidate(sess["org"], sess["session"], 7, admit=False)
    world.db.commit()
    _, attempt, _ = attempts.candidate_login(world.db, world.clock,
                                             session_code=sess["session_code"],
                                             access_code=cand.access_code, device_token=None)
    assert attempt.state == ADMISSION
    with ReadOnly(world.db):
        assert attempts.current_screen(world.db, world.clock, content, attempt).kind == "waiting"
    attempts.start_practice(world.db, world.clock, attempt)  # no effect before admission
    assert attempt.state == ADMISSION
    assert attempts.admit(world.db, world.clock, cand, actor_id=None) is True
    assert attempt.state == INSTRUCTIONS and cand.admitted_at == world.clock.now()
    assert attempts.admit(world.db, world.clock, cand, actor_id=None) is False
