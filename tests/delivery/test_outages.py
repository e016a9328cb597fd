"""Fair time (delivery.outages), with a frozen clock: a gap in which the platform could answer
nobody is given back to the running section, once, with an incident for the proctor; a
candidate who simply went idle while the platform was up is not; a long outage pauses."""

from __future__ import annotations

import re

from delivery_support import candidate_login, form_for
from sqlalchemy import select

from toetsbatterij.delivery.models import Incident, OutageCredit


def in_section(client, world, content) -> int:
    """Log candidate 0 in and bring them into the first section; returns its time left."""
    world.open(world.a)
    assert candidate_login(client, world.a).status_code == 302
    client.post("/toets/verder", data={"step": "practice"})
    for _ in range(20):
        html = client.get("/toets").get_data(as_text=True)
        idx = re.search(r'name="section_index" value="(\d+)"', html)
        if idx:
            client.post("/toets/verder", data={"step": "section", "section_index": idx[1]})
            break
        client.post("/toets/antwoord", data=form_for(client, html, content))
    status = client.post("/toets/status.json").json
    assert status["kind"] == "item"
    return int(status["remaining_seconds"])


def beat(app, clock) -> object:
    """One beat of the platform, as its background thread makes it (and what follows)."""
    return app.extensions["toetsbatterij"].beat_once()


def test_a_gap_without_beats_is_credited_once_with_an_incident(app, client, world, content,
                                                                 clock, db_session):
    left = in_section(client, world, content)
    beat(app, clock)
    clock.advance(1)
    assert beat(app, clock) is None  # alive: no outage
    clock.advance(30)                 # nobody beats: no worker, or no database
    outage = beat(app, clock)         # back: the first beat records the outage
    assert outage is not None and (outage.ended_at - outage.started_at).total_seconds() == 30
    status = client.post("/toets/status.json").json
    assert status["kind"] == "item" and abs(status["remaining_seconds"] - (left - 1)) <= 1
    again = client.post("/toets/status.json").json  # credited once, not twice
    assert again["remaining_seconds"] == status["remaining_seconds"]
    credits = db_session.scalars(select(OutageCredit)).all()
    assert [c.seconds for c in credits] == [30.0]
    incidents = db_session.scalars(select(Incident).where(Incident.code == "server_outage")).all()
    assert len(incidents) == 1 and "30 s bijgegeven" in incidents[0].note
    assert incidents[0].candidate_id == world.a["candidates"][0]


def test_an_idle_candidate_is_not_credited(app, client, world, content, clock, db_session):
    left = in_section(client, world, content)
    beat(app, clock)
    for _ in range(15):  # the platform stays up; the candidate sends nothing for 30 s
        clock.advance(2)
        assert beat(app, clock) is None
    status = client.post("/toets/status.json").json
    assert status["remaining_seconds"] == left - 30
    assert db_session.scalars(select(OutageCredit)).all() == []
    assert db_session.scalars(select(Incident)).all() == []


def test_a_long_outage_pauses_the_running_attempts(app, client, world, content, clock):
    left = in_section(client, world, content)
    beat(app, clock)
    clock.advance(150)
    assert beat(app, clock) is not None
    status = client.post("/toets/status.json").json
    assert status["kind"] == "paused" and abs(status["remaining_seconds"] - left) <= 1


def test_the_sweep_closes_what_nobody_comes_back_for_and_keeps_every_answer(
        app, client, world, content, clock, db_session):
    from toetsbatterij.delivery import attempts
    from toetsbatterij.delivery.models import Attempt, Response, SectionRun

    left = in_section(client, world, content)
    html = client.get("/toets").get_data(as_text=True)
    client.post("/toets/antwoord", data=form_for(client, html, content))  # one answer, then gone
    platform = app.extensions["toetsbatterij"]
    with platform.unit_of_work() as db:
        before = db.scalar(select(Attempt).where(Attempt.candidate_id == world.a["candidates"][0]))
        answers = sorted((r.item_id, r.raw) for r in db.scalars(
            select(Response).where(Response.attempt_id == before.id)))
    clock.advance(left - 10)
    with platform.unit_of_work() as db:  # not yet: the section still runs
        assert attempts.sweep(db, clock, content) == {"sections_closed": 0, "attempts_ended": 0}
    clock.advance(30)
    with platform.unit_of_work() as db:
        assert attempts.sweep(db, clock, content)["sections_closed"] == 1
        run = db.scalar(select(SectionRun).where(SectionRun.attempt_id == before.id,
                                                 SectionRun.section_index == 0))
        assert run.finish_reason == "time" and run.finished_at == run.deadline_at
    clock.advance(hours=9)  # the session has ended; the candidate never came back
    with platform.unit_of_work() as db:
        assert attempts.sweep(db, clock, content)["attempts_ended"] == 1
        after = db.get(Attempt, before.id)
        assert after.state == "ended" and after.end_reason == attempts.SWEEP_REASON
        kept = sorted((r.item_id, r.raw) for r in db.scalars(
            select(Response).where(Response.attempt_id == before.id)))
        assert kept == answers and kept
    with platform.unit_of_work() as db:  # idempotent
        assert attempts.sweep(db, clock, content) == {"sections_closed": 0, "attempts_ended": 0}


def test_a_candidate_back_before_the_platform_noticed_is_credited_too(app, client, world,
                                                                      content, clock, db_session):
    left = in_section(client, world, content)
    beat(app, clock)
    clock.advance(20)
    # The candidate's request reaches a fresh worker before any beat has recorded the outage.
    early = client.post("/toets/status.json").json
    assert early["remaining_seconds"] == left - 20
    clock.advance(1)
    assert beat(app, clock) is not None  # the outage (21 s) is recorded and credited at once
    status = client.post("/toets/status.json").json
    assert status["remaining_seconds"] == left
    assert [c.seconds for c in db_session.scalars(select(OutageCredit))] == [21.0]
