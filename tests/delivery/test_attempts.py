"""The attempt state machine, driven without HTTP (frozen clock, the test bank)."""

import datetime as dt

import pytest
from sqlalchemy import select

from toetsbatterij.delivery import attempts
from toetsbatterij.delivery.models import Presentation, Response, SectionRun
from toetsbatterij.errors import (
    AttemptPaused,
    Conflict,
    DeadlinePassed,
    DeviceInUse,
    LoginFailed,
    SessionNotOpen,
)


def login(world, tenant, i=0, device=None):
    return attempts.candidate_login(world.db, world.clock, session_code=tenant["session_code"],
                                    access_code=tenant["access_codes"][i], device_token=device)


def answer_key(content, pres, right=True):
    out = {}
    for item_id in pres.item_ids:
        item = content.items[item_id]
        if item.rated:
            out[item_id] = "Beste juf, mijn zoon is ziek."
        else:
            full = item.itype.full_credit_responses(item.definition)
            zero = item.itype.zero_credit_responses(item.definition)
            out[item_id] = full[0] if right else zero[0]
    return out


def step(world, content, attempt, right=True):
    scr = attempts.advance(world.db, world.clock, content, attempt)
    if scr.kind in ("item", "practice"):
        attempts.submit(world.db, world.clock, content, attempt,
                        presentation_id=scr.presentation.id,
                        responses=answer_key(content, scr.presentation, right))
    elif scr.kind == "instructions":
        attempts.start_practice(world.db, world.clock, attempt)
    elif scr.kind == "section_intro":
        attempts.start_section(world.db, world.clock, content, attempt, scr.section_number - 1)
    world.db.commit()
    return scr


def test_login_needs_open_session_and_right_codes(world):
    with pytest.raises(SessionNotOpen):
        login(world, world.a)
    world.open(world.a)
    with pytest.raises(LoginFailed):
        attempts.candidate_login(world.db, world.clock, session_code=world.a["session_code"],
                                 access_code=world.b["access_codes"][0], device_token=None)
    with pytest.raises(LoginFailed):
        attempts.candidate_login(world.db, world.clock, session_code=world.b["session_code"],
                                 access_code=world.a["access_codes"][0], device_token=None)
    cand, attempt, device = login(world, world.a)
    assert attempt.state == "instructions" and device


def test_login_outside_window_refused(world):
    world.open(world.a)
    world.clock.advance(hours=9)
    with pytest.raises(SessionNotOpen):
        login(world, world.a)


def test_one_active_device_until_released(world):
    world.open(world.a)
    cand, attempt, device = login(world, world.a)
    world.db.commit()
    with pytest.raises(DeviceInUse):
        login(world, world.a)
    # the same browser (same device token) may log in again
    assert login(world, world.a, device=device)[2] == device
    attempts.release_device(world.db, world.clock, cand, actor_id=None)
    _, again, new_device = login(world, world.a)
    assert again.id == attempt.id and new_device != device


def test_full_flow_practice_sections_finish(world, content):
    world.open(world.a)
    _, attempt, _ = login(world, world.a)
    world.db.commit()
    kinds = []
    for _ in range(60):
        scr = step(world, content, attempt, right=True)
        kinds.append(scr.kind)
        if scr.kind == "finished":
            break
    assert kinds[0] == "instructions"
    assert kinds.count("practice") == 2  # one reading and one listening practice unit
    assert kinds.count("section_intro") == 2
    assert kinds[-1] == "finished"
    runs = world.db.scalars(select(SectionRun).where(SectionRun.attempt_id == attempt.id)
                            .order_by(SectionRun.section_index)).all()
    assert [r.skill for r in runs] == ["reading", "listening"]
    assert all(r.finished_at is not None and r.theta is not None for r in runs)
    assert all(r.level for r in runs)
    # pretest item seeded at position 2 of the reading section, unscored
    pres = world.db.scalars(select(Presentation).where(Presentation.attempt_id == attempt.id,
                                                       Presentation.section_index == 0)
                            .order_by(Presentation.position)).all()
    assert pres[1].kind == "pretest" and pres[1].unit_id == "R-A2-0201"
    pre_resp = world.db.scalar(select(Response).where(Response.presentation_id == pres[1].id))
    assert pre_resp.counts is False
    # adaptive: six items or fewer per section (max_items 6), testlets count per item
    assert 4 <= sum(len(p.item_ids) for p in pres if p.kind == "operational") <= 7


def _to_first_item(world, content, attempt):
    for _ in range(10):
        scr = attempts.advance(world.db, world.clock, content, attempt)
        if scr.kind == "item":
            world.db.commit()
            return scr
        step(world, content, attempt)
    raise AssertionError("no item reached")


def test_reload_never_redraws_and_double_submit_is_harmless(world, content):
    world.open(world.a)
    _, attempt, _ = login(world, world.a)
    scr = _to_first_item(world, content, attempt)
    again = attempts.advance(world.db, world.clock, content, attempt)
    assert again.presentation.id == scr.presentation.id
    answers = answer_key(content, scr.presentation)
    assert attempts.submit(world.db, world.clock, content, attempt,
                           presentation_id=scr.presentation.id, responses=answers) is True
    world.db.commit()
    assert attempts.submit(world.db, world.clock, content, attempt,
                           presentation_id=scr.presentation.id, responses=answers) is False
    count = len(world.db.scalars(select(Response).where(
        Response.presentation_id == scr.presentation.id)).all())
    assert count == len(scr.presentation.item_ids)


def test_deadline_ends_section_and_keeps_earlier_answers(world, content):
    world.open(world.a)
    _, attempt, _ = login(world, world.a)
    scr = _to_first_item(world, content, attempt)
    step(world, content, attempt)  # answer the first item in time
    scr = attempts.advance(world.db, world.clock, content, attempt)
    world.db.commit()
    world.clock.advance(minutes=21)
    with pytest.raises(DeadlinePassed):
        attempts.submit(world.db, world.clock, content, attempt,
                        presentation_id=scr.presentation.id,
                        responses=answer_key(content, scr.presentation))
    world.db.rollback()
    nxt = attempts.advance(world.db, world.clock, content, attempt)
    assert nxt.kind == "section_intro" and nxt.section_number == 2
    run = world.db.scalar(select(SectionRun).where(SectionRun.attempt_id == attempt.id))
    assert run.finish_reason == "time" and run.finished_at == run.deadline_at
    counted = world.db.scalars(select(Response).join(Presentation).where(
        Presentation.attempt_id == attempt.id, Presentation.section_index == 0)).all()
    assert len(counted) >= 1


def test_submit_inside_grace_counts(world, content):
    world.open(world.a)
    _, attempt, _ = login(world, world.a)
    scr = _to_first_item(world, content, attempt)
    world.clock.advance(minutes=20, seconds=1)
    # a status poll right after the deadline does not close the section before the grace ends
    assert attempts.advance(world.db, world.clock, content, attempt).kind == "item"
    assert attempts.submit(world.db, world.clock, content, attempt,
                           presentation_id=scr.presentation.id,
                           responses=answer_key(content, scr.presentation), grace_seconds=2)
    world.db.commit()
    # ... and no new unit is presented after the deadline: the section closes on the spot
    nxt = attempts.advance(world.db, world.clock, content, attempt)
    assert nxt.kind == "section_intro" and nxt.section_number == 2
    run = world.db.scalar(select(SectionRun).where(SectionRun.attempt_id == attempt.id,
                                                   SectionRun.section_index == 0))
    assert run.finish_reason == "time"
    assert world.db.scalar(select(Presentation).where(
        Presentation.attempt_id == attempt.id, Presentation.section_index == 0,
        Presentation.position == 1)) is None


def test_pause_stops_the_clock_and_blocks_answers(world, content):
    world.open(world.a)
    _, attempt, _ = login(world, world.a)
    scr = _to_first_item(world, content, attempt)
    before = scr.remaining_seconds
    world.clock.advance(seconds=60)
    attempts.pause(world.db, world.clock, attempt, actor_id=None)
    world.clock.advance(minutes=30)
    paused = attempts.advance(world.db, world.clock, content, attempt)
    assert paused.kind == "paused" and paused.remaining_seconds == before - 60
    with pytest.raises(AttemptPaused):
        attempts.submit(world.db, world.clock, content, attempt,
                        presentation_id=scr.presentation.id,
                        responses=answer_key(content, scr.presentation))
    attempts.resume_attempt(world.db, world.clock, attempt, actor_id=None)
    resumed = attempts.advance(world.db, world.clock, content, attempt)
    assert resumed.kind == "item" and resumed.presentation.id == scr.presentation.id
    assert resumed.remaining_seconds == before - 60


def test_extra_time_accommodation_and_proctor_minutes(world, content):
    cand = world.candidate(world.a["org"], world.a["session"], 7, extra_time_percent=25)
    world.db.commit()
    world.open(world.a)
    _, attempt, _ = attempts.candidate_login(world.db, world.clock,
                                             session_code=world.a["session_code"],
                                             access_code=cand.access_code, device_token=None)
    scr = _to_first_item(world, content, attempt)
    assert scr.remaining_seconds == 25 * 60  # 20 minutes + 25 %
    attempts.add_extra_time(world.db, world.clock, attempt, minutes=5, actor_id=None)
    assert attempts.advance(world.db, world.clock, content, attempt).remaining_seconds \
        == 30 * 60


def test_end_attempt_with_reason(world, content):
    world.open(world.a)
    _, attempt, _ = login(world, world.a)
    _to_first_item(world, content, attempt)
    attempts.end_attempt(world.db, world.clock, attempt, reason="onwel", actor_id=None)
    assert attempts.advance(world.db, world.clock, content, attempt).kind == "ended"
    with pytest.raises(Conflict):
        attempts.end_attempt(world.db, world.clock, attempt, reason="opnieuw", actor_id=None)


def test_audio_plays_are_counted_on_the_server(world, content):
    world.open(world.a)
    _, attempt, _ = login(world, world.a)
    attempts.start_practice(world.db, world.clock, attempt)
    for _ in range(3):  # practice: reading unit first, then the listening unit (audio)
        scr = attempts.advance(world.db, world.clock, content, attempt)
        if scr.view["max_plays"]:
            break
        step(world, content, attempt)
    assert scr.view["max_plays"] == 2
    assert attempts.register_audio_play(world.db, world.clock, content, attempt, scr.presentation.id) == 1
    world.db.commit()
    # a reload does not give the plays back
    scr2 = attempts.advance(world.db, world.clock, content, attempt)
    assert scr2.presentation.audio_plays == 1
    assert attempts.register_audio_play(world.db, world.clock, content, attempt, scr.presentation.id) == 0
    with pytest.raises(Conflict):
        attempts.register_audio_play(world.db, world.clock, content, attempt, scr.presentation.id)


def test_fixed_writing_section_stores_unscored_text(world, content):
    from toetsbatterij.delivery import sessions

    sess = sessions.create_session(
        world.db, world.clock, organisation_id=world.a["org"], actor_id=None,
        location_id=world.a["location"],
        test_definition_id=world.definitions["lezen-schrijven"].id,
        starts_at=world.clock.now() - dt.timedelta(minutes=1),
        ends_at=world.clock.now() + dt.timedelta(hours=3))
    cand = world.candidate(world.a["org"], sess.id, 9)
    sessions.open_session(world.db, world.clock, organisation_id=world.a["org"], actor_id=None,
                          session_id=sess.id)
    world.db.commit()
    _, attempt, _ = attempts.candidate_login(world.db, world.clock, session_code=sess.code,
                                             access_code=cand.access_code, device_token=None)
    for _ in range(40):
        scr = step(world, content, attempt)
        if scr.kind == "finished":
            break
    assert scr.kind == "finished"
    written = world.db.scalar(select(Response).where(Response.item_id == "W-A2-0001",
                                                     Response.attempt_id == attempt.id))
    assert written.score is None and written.raw.startswith("Beste juf")


def test_practice_feedback_follows_the_answer_and_never_a_scored_unit(world, content):
    world.open(world.a)
    _, attempt, _ = login(world, world.a)
    attempts.start_practice(world.db, world.clock, attempt)
    first = attempts.advance(world.db, world.clock, content, attempt)
    assert first.kind == "practice" and first.feedback == ""
    step(world, content, attempt)
    second = attempts.advance(world.db, world.clock, content, attempt)
    assert second.feedback == 'Het goede antwoord is "rood".'
    step(world, content, attempt)
    intro = attempts.advance(world.db, world.clock, content, attempt)
    assert intro.kind == "section_intro" and intro.feedback == "Om tien uur."
    assert content.feedback("R-A2-0101") == ""


def test_practice_feedback_says_whether_the_answer_was_right(world, content):
    # The server scored the practice answer at submit: the screen says right or wrong (the
    # page shows them differently), not only the explanation.
    world.open(world.a)
    _, attempt, _ = login(world, world.a)
    attempts.start_practice(world.db, world.clock, attempt)
    first = attempts.advance(world.db, world.clock, content, attempt)
    assert first.feedback_outcome == ""  # nothing answered yet
    step(world, content, attempt, right=False)
    second = attempts.advance(world.db, world.clock, content, attempt)
    assert second.feedback_outcome == "wrong"
    step(world, content, attempt, right=True)
    intro = attempts.advance(world.db, world.clock, content, attempt)
    assert intro.kind == "section_intro" and intro.feedback_outcome == "correct"
    step(world, content, attempt)  # the section starts: no practice feedback any more
    assert attempts.advance(world.db, world.clock, content, attempt).feedback_outcome == ""


def test_section_closes_after_the_grace(world, content):
    world.open(world.a)
    _, attempt, _ = login(world, world.a)
    _to_first_item(world, content, attempt)
    world.clock.advance(minutes=20, seconds=3)
    assert attempts.advance(world.db, world.clock, content, attempt,
                                   grace_seconds=2).kind == "section_intro"


def test_all_wrong_is_stored_as_below_a1(db_session, clock, tmp_path):
    import yaml
    from bankfixture import write_bank
    from delivery_support import World, open_forms

    # A form whose cut scores are high: all wrong lies below A1 (the cuts are part of the form).
    root = write_bank(tmp_path / "bank")
    path = root / "tests" / "lezen-luisteren.yaml"
    manifest = yaml.safe_load(path.read_text(encoding="utf-8"))
    cuts = {"A1": -0.5, "A2": 0.3, "B1": 1.0, "B2": 1.8, "C1": 2.6}
    manifest["cut_scores"] = {"reading": cuts, "listening": cuts}
    path.write_text(yaml.safe_dump(manifest, allow_unicode=True), encoding="utf-8")
    content = open_forms(root)
    world = World(db_session, clock, content)
    world.open(world.a)
    _, attempt, _ = attempts.candidate_login(world.db, world.clock,
                                             session_code=world.a["session_code"],
                                             access_code=world.a["access_codes"][0],
                                             device_token=None, forms=content)
    for _ in range(60):
        scr = step(world, content, attempt, right=False)
        if scr.kind == "finished":
            break
    runs = world.db.scalars(select(SectionRun).where(SectionRun.attempt_id == attempt.id)).all()
    assert len(runs) == 2 and {r.level for r in runs} == {"below_A1"}
