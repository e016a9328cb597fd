"""The staff side of the exam day: confirmations the server requires, login locks shown per
candidate in the room view, accommodations set and shown by staff and applied on the
candidate's pages, and a real start page for every role."""

import re
from pathlib import Path

import pytest
from delivery_support import candidate_login, form_for, login_staff, take_attempt
from sqlalchemy import select

from toetsbatterij.audit.models import AuditEntry
from toetsbatterij.delivery import sessions, throttle
from toetsbatterij.delivery.models import Attempt, Candidate


def _started(app, world, i=0):
    """Candidate ``i`` of agency A logged in and practising; returns their test client."""
    world.open(world.a)
    cand = app.test_client()
    assert candidate_login(cand, world.a, i).status_code == 302
    cand.post("/toets/verder", data={"step": "practice"})
    return cand


# -- confirmations -------------------------------------------------------------------------------


def test_ending_needs_the_confirmation_and_a_reason(app, world, db_session):
    _started(app, world)
    proctor = app.test_client()
    login_staff(proctor, world.a, "proctor")
    cid = world.a["candidates"][0]
    url = f"/beheer/kandidaten/{cid}/beeindigen"
    page = proctor.get(url).get_data(as_text=True)
    assert 'type="checkbox"' in page and "required" in page and 'id="confirm"' in page
    assert 'for="confirm"' in page and 'id="reason"' in page  # labelled, keyboard-reachable
    unconfirmed = proctor.post(url, data={"reason": "ziek geworden"})
    body = unconfirmed.get_data(as_text=True)
    assert unconfirmed.status_code == 400 and "Vink aan" in body
    assert 'value="ziek geworden"' in body  # the reason is kept
    no_reason = proctor.post(url, data={"confirm": "y", "reason": "  "})
    assert no_reason.status_code == 400 and "Geef een reden op." in no_reason.get_data(
        as_text=True)
    state = lambda: db_session.scalar(select(Attempt.state).where(Attempt.candidate_id == cid))  # noqa: E731
    db_session.expire_all()
    assert state() == "practice"
    done = proctor.post(url, data={"confirm": "y", "reason": "ziek geworden"})
    assert done.status_code == 302
    db_session.expire_all()
    assert state() == "ended"


def test_releasing_a_device_needs_the_confirmation(app, world, db_session):
    _started(app, world)
    proctor = app.test_client()
    login_staff(proctor, world.a, "proctor")
    cid = world.a["candidates"][0]
    bound = lambda: db_session.scalar(select(Candidate.device_token).where(Candidate.id == cid))  # noqa: E731
    refused = proctor.post(f"/beheer/kandidaten/{cid}/vrijgeven", data={})
    assert refused.status_code == 400 and "Vink aan" in refused.get_data(as_text=True)
    db_session.expire_all()
    assert bound() is not None
    as_json = proctor.post(f"/beheer/kandidaten/{cid}/vrijgeven", data={},
                           headers={"Accept": "application/json"})
    assert as_json.status_code == 400 and as_json.json["ok"] is False
    assert proctor.post(f"/beheer/kandidaten/{cid}/vrijgeven",
                        data={"confirm": "y"}).status_code == 302
    db_session.expire_all()
    assert bound() is None


def test_pausing_the_whole_room_needs_the_confirmation(app, world, db_session):
    _started(app, world)
    proctor = app.test_client()
    login_staff(proctor, world.a, "proctor")
    url = f"/beheer/sessies/{world.a['session']}/zaal/pauze"
    room = proctor.get(f"/beheer/sessies/{world.a['session']}/zaal").get_data(as_text=True)
    assert f'href="{url}"' in room  # a link to the confirmation page, no one-click POST
    assert proctor.post(url, data={}).status_code == 400
    db_session.expire_all()
    assert db_session.scalar(select(Attempt.paused_at)) is None
    assert proctor.post(url, data={"confirm": "y"}).status_code == 302
    db_session.expire_all()
    assert db_session.scalar(select(Attempt.paused_at)) is not None


def test_extra_minutes_refused_on_their_own_page(app, world):
    _started(app, world)
    proctor = app.test_client()
    login_staff(proctor, world.a, "proctor")
    cid = world.a["candidates"][0]
    resp = proctor.post(f"/beheer/kandidaten/{cid}/extra-tijd", data={"minutes": "500"})
    page = resp.get_data(as_text=True)
    assert resp.status_code == 400 and "tussen 1 en 120" in page and 'value="500"' in page
    practising = proctor.post(f"/beheer/kandidaten/{cid}/extra-tijd", data={"minutes": "5"})
    assert practising.status_code == 409 and "tijdens een onderdeel" in practising.get_data(
        as_text=True)


# -- login locks in the room view ----------------------------------------------------------------


def test_the_room_row_shows_a_locked_access_code_and_lifts_it(app, world):
    world.open(world.a)
    code = world.a["access_codes"][1]
    cid = world.a["candidates"][1]
    visitor = app.test_client()
    for _ in range(throttle.DEFAULT_POLICY.max_per_access):
        visitor.post("/aanmelden", data={"session_code": "ZZZZZZ", "access_code": code})
    proctor = app.test_client()
    login_staff(proctor, world.a, "proctor")
    url = f"/beheer/sessies/{world.a['session']}/zaal"
    rows = {r["candidate_id"]: r for r in proctor.get(url + ".json").json["candidates"]}
    assert rows[cid]["login_locked_until"] is not None
    assert rows[world.a["candidates"][0]]["login_locked_until"] is None
    page = proctor.get(url).get_data(as_text=True)
    row = re.search(rf'<tr data-candidate="{cid}".*?</tr>', page, re.S).group(0)
    assert 'data-locked="ja"' in row and "Aanmelden geblokkeerd tot" in row
    assert f'name="candidate_id" value="{cid}"' in row and "Blokkering opheffen" in row
    other = re.search(rf'<tr data-candidate="{world.a["candidates"][0]}".*?</tr>', page,
                      re.S).group(0)
    assert "Aanmelden geblokkeerd" not in other
    assert proctor.post(f"/beheer/sessies/{world.a['session']}/aanmeldblokkering/opheffen",
                        data={"candidate_id": cid}).status_code == 302
    assert all(r["login_locked_until"] is None
               for r in proctor.get(url + ".json").json["candidates"])
    assert visitor.post("/aanmelden", data={"session_code": world.a["session_code"],
                                            "access_code": code}).status_code == 302


# -- accommodations ------------------------------------------------------------------------------


def test_staff_change_accommodations_audited_and_shown_in_the_room(app, world, db_session):
    proctor = app.test_client()
    login_staff(proctor, world.a, "proctor")
    cid = world.a["candidates"][0]
    url = f"/beheer/kandidaten/{cid}/aanpassingen"
    assert proctor.get(url).status_code == 200
    bad = proctor.post(url, data={"extra_time_percent": "10", "extra_audio_plays": "1",
                                  "speaking_prep_percent": "400"})
    assert bad.status_code == 400 and "0 tot 100" in bad.get_data(as_text=True)
    ok = proctor.post(url + "?terug=zaal", data={"extra_time_percent": "10",
                                                 "extra_audio_plays": "2",
                                                 "speaking_prep_percent": "50",
                                                 "larger_text": "y"})
    assert ok.status_code == 302 and ok.headers["Location"].endswith("/zaal")
    cand = db_session.get(Candidate, cid)
    assert (cand.extra_time_percent, cand.larger_text, cand.extra_audio_plays,
            cand.speaking_prep_percent) == (10, True, 2, 50)
    assert db_session.scalar(select(AuditEntry).where(
        AuditEntry.action == "candidate.accommodations", AuditEntry.object_id == cid))
    room = proctor.get(f"/beheer/sessies/{world.a['session']}/zaal").get_data(as_text=True)
    row = re.search(rf'<tr data-candidate="{cid}".*?</tr>', room, re.S).group(0)
    for tag in ("+10 %", "grote tekst", "+2 beluisteren", "+50 % voorbereiding"):
        assert tag in row
    session_page = proctor.get(f"/beheer/sessies/{world.a['session']}").get_data(as_text=True)
    assert "+2 beluisteren" in session_page
    other = app.test_client()
    login_staff(other, world.b, "proctor")
    assert other.get(url).status_code == 404  # another agency's candidate


def test_larger_text_is_applied_on_the_candidate_pages(app, world, db_session):
    cid = world.a["candidates"][0]
    cand_client = _started(app, world)
    plain = cand_client.get("/toets").get_data(as_text=True)
    assert 'class="large-text"' not in plain
    db_session.get(Candidate, cid).larger_text = True
    db_session.commit()
    larger = cand_client.get("/toets").get_data(as_text=True)
    assert re.search(r'<html lang="nl" class="large-text">', larger)
    css = (Path(__file__).resolve().parents[2] / "toetsbatterij" / "web" / "static"
           / "app.css").read_text(encoding="utf-8")
    assert re.search(r"html\.large-text \{ font-size: 1[3-9]\d%", css)
    # another candidate of the room keeps the normal size
    other = app.test_client()
    candidate_login(other, world.a, 1)
    assert 'class="large-text"' not in other.get("/toets").get_data(as_text=True)


def test_extra_plays_reach_the_candidate_screen_and_the_play_counter(app, world, db_session,
                                                                     content):
    cid = world.a["candidates"][0]
    db_session.get(Candidate, cid).extra_audio_plays = 1
    db_session.commit()
    cand = _started(app, world)
    html = cand.get("/toets").get_data(as_text=True)
    for _ in range(4):
        if "data-play-url" in html:
            break
        cand.post("/toets/antwoord", data=form_for(cand, html, content))
        html = cand.get("/toets").get_data(as_text=True)
    assert 'data-plays-left="3"' in html
    play = re.search(r'data-play-url="([^"]+)"', html).group(1)
    assert [cand.post(play).json["plays_left"] for _ in range(3)] == [2, 1, 0]
    assert cand.post(play).status_code == 409


# -- role start pages ----------------------------------------------------------------------------


def _write_through(world, content, session_code, access_code):
    """Take a whole attempt through the service, with a text for every rated item."""
    from toetsbatterij.delivery import attempts

    _, attempt, _ = attempts.candidate_login(world.db, world.clock, session_code=session_code,
                                             access_code=access_code, device_token=None)
    for _ in range(60):
        scr = attempts.advance(world.db, world.clock, content, attempt)
        if scr.kind == "finished":
            break
        if scr.kind == "instructions":
            attempts.start_practice(world.db, world.clock, attempt)
        elif scr.kind == "section_intro":
            attempts.start_section(world.db, world.clock, content, attempt, scr.section_number - 1)
        elif scr.kind in ("item", "practice"):
            items = {j: content.items[j] for j in scr.presentation.item_ids}
            answers = {j: "Beste juf, mijn zoon is vandaag ziek." if it.rated else
                       it.itype.full_credit_responses(it.definition)[0]
                       for j, it in items.items()}
            attempts.submit(world.db, world.clock, content, attempt,
                            presentation_id=scr.presentation.id, responses=answers)
        world.db.commit()
    assert scr.kind == "finished"
    world.db.commit()


def test_the_rater_sees_the_waiting_productions_of_the_own_agency(app, world, content):
    """The rater's start page is the queue: counts of the productions that wait for this rater
    (of closed sections, of the own agency, of the skills the rater is admitted to)."""
    import datetime as dt

    from toetsbatterij.rating import calibration

    rater = app.test_client()
    login_staff(rater, world.a, "rater")
    empty = rater.get("/beheer/").get_data(as_text=True)
    assert "nog niet toegelaten" in empty and "werkplek" not in empty
    for tenant in (world.a, world.b):
        calibration.decide_admission(world.db, world.clock, organisation_id=tenant["org"],
                                     actor_id=None, rater_id=tenant["staff"]["rater"],
                                     skill="writing", admitted=True, reason="test")
    world.db.commit()
    assert "Er wacht nu geen productie op u." in rater.get("/beheer/").get_data(as_text=True)
    sess = sessions.create_session(
        world.db, world.clock, organisation_id=world.a["org"], actor_id=None,
        location_id=world.a["location"],
        test_definition_id=world.definitions["lezen-schrijven"].id,
        starts_at=world.clock.now() - dt.timedelta(minutes=1),
        ends_at=world.clock.now() + dt.timedelta(hours=3))
    cand = world.candidate(world.a["org"], sess.id, 9)
    world.db.commit()
    world.open({"org": world.a["org"], "session": sess.id})
    _write_through(world, content, sess.code, cand.access_code)
    page = rater.get("/beheer/").get_data(as_text=True)
    counts = re.search(r'<ul class="queue-counts".*?</ul>', page, re.S).group(0)
    assert re.search(r"Schrijven: <strong class=\"count\">1</strong>", counts)
    assert 'id="next-production"' in page
    other = app.test_client()
    login_staff(other, world.b, "rater")
    assert "Er wacht nu geen productie op u." in other.get("/beheer/").get_data(as_text=True)


def test_the_psychometrician_sees_the_forms_their_versions_and_exposure(app, world, content):
    psy = app.test_client()
    login_staff(psy, world.a, "psychometrician")
    page = psy.get("/beheer/").get_data(as_text=True)
    definition = world.definitions["lezen-luisteren"]
    assert definition.version in page and content.bank_version in page
    assert "wordt nu geleverd" in page and "werkplek" not in page
    world.open(world.a)
    take_attempt(world, content, world.a)
    page = psy.get("/beheer/").get_data(as_text=True)
    section = re.search(rf'id="form-{definition.id}".*?</section>', page, re.S).group(0)
    first = re.search(r"<tr><td>1 · Lezen</td><td>(\d+)</td><td>(\d+)</td>\s*<td>([\d.]+)</td>",
                      section)
    assert first and first.group(1) == "1" and int(first.group(2)) > 0
    assert first.group(3) == "1.00"  # one attempt: every item it saw has rate 1


@pytest.mark.parametrize("role", ["agency_admin", "proctor"])
def test_exam_roles_keep_the_session_dashboard(client, world, role):
    login_staff(client, world.a, role)
    page = client.get("/beheer/").get_data(as_text=True)
    assert "Nieuwe sessie plannen" in page and world.a["session_code"] in page
