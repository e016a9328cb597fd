"""The survey on the candidate's screen and the staff summary page (issue 17)."""

from __future__ import annotations

import datetime as dt

from delivery_support import answer_until_finished, candidate_login, login_staff
from sqlalchemy import func, select

from toetsbatterij.surveys.models import SurveyResponse


def _finished_candidate(app, world, content, language="nl"):
    world.open(world.a)
    if language != "nl":
        from toetsbatterij.delivery.models import Candidate

        world.db.get(Candidate, world.a["candidates"][0]).instruction_language = language
        world.db.commit()
    client = app.test_client()
    candidate_login(client, world.a, 0)
    from toetsbatterij.delivery.models import Attempt

    attempt = world.db.scalar(select(Attempt).where(
        Attempt.candidate_id == world.a["candidates"][0]))
    answer_until_finished(world, content, attempt)
    return client


def test_the_end_screen_offers_the_survey_once(app, world, content, db_session):
    client = _finished_candidate(app, world, content)
    end = client.get("/toets").get_data(as_text=True)
    assert "/toets/vragenlijst" in end and "niet verplicht" in end
    page = client.get("/toets/vragenlijst").get_data(as_text=True)
    assert page.count('type="radio"') == 4 * 5 and "Was het wachten niet te lang?" in page
    bad = client.post("/toets/vragenlijst", data={"clarity": "9", "action": "send"})
    assert bad.status_code == 400 and "Kies een van de gezichtjes" in bad.get_data(as_text=True)
    done = client.post("/toets/vragenlijst", data={"clarity": "5", "waiting": "3",
                                                   "action": "send"})
    assert done.status_code == 302 and done.headers["Location"].endswith("/toets?bedankt=1")
    thanks = client.get("/toets?bedankt=1").get_data(as_text=True)
    assert "Dank u wel voor uw mening." in thanks and "/toets/vragenlijst" not in thanks
    assert client.get("/toets/vragenlijst").status_code == 302   # asked once
    assert client.post("/toets/vragenlijst", data={"action": "send"}).status_code == 409
    assert db_session.scalar(select(func.count()).select_from(SurveyResponse)) == 1


def test_declining_stores_no_answers(app, world, content, db_session):
    client = _finished_candidate(app, world, content)
    assert client.post("/toets/vragenlijst", data={"action": "skip", "clarity": "5"}) \
        .status_code == 302
    assert db_session.scalar(select(func.count()).select_from(SurveyResponse)) == 0
    assert "/toets/vragenlijst" not in client.get("/toets").get_data(as_text=True)


def test_the_survey_speaks_the_candidates_language(app, world, content):
    client = _finished_candidate(app, world, content, language="ar")
    page = client.get("/toets/vragenlijst").get_data(as_text=True)
    assert "رأيك" in page and 'dir="rtl"' in page
    assert "read-aloud/ar/survey-clarity.ogg" in page and "read-aloud/ar/survey-scale.ogg" in page


def test_before_the_end_there_is_no_survey(app, world, content):
    world.open(world.a)
    client = app.test_client()
    candidate_login(client, world.a, 1)
    assert client.get("/toets/vragenlijst").status_code == 302
    assert client.post("/toets/vragenlijst", data={"action": "send"}).status_code == 409


def test_staff_see_the_summary_with_small_groups_hidden(make_app, world, db_session):
    app = make_app(WTF_CSRF_ENABLED=False, MONITORING_MIN_GROUP=3)
    for i in range(4):
        db_session.add(SurveyResponse(
            id=f"{i:032x}", organisation_id=world.a["org"], location_id=world.a["location"],
            test_code="lezen-luisteren", language="nl" if i < 3 else "ar",
            questions_version="2026-1", answered_on=dt.date(2026, 3, 2),
            answers={"clarity": 4, "treatment": 5, "technical": 3, "waiting": None}))
    db_session.commit()
    admin = app.test_client()
    login_staff(admin, world.a, "agency_admin")
    page = admin.get("/beheer/monitoring/tevredenheid").get_data(as_text=True)
    assert "4 antwoorden" in page and "4,00" in page
    by_language = admin.get("/beheer/monitoring/tevredenheid?per=language").get_data(as_text=True)
    assert "Te weinig antwoorden om te tonen" in by_language   # "ar" has one response
    csv = admin.get("/beheer/monitoring/tevredenheid.csv?per=language").get_data(as_text=True)
    lines = csv.strip().splitlines()
    assert lines[0].lstrip("\ufeff").startswith("groep,antwoorden,onderdrukt,clarity_n")
    assert lines[1].startswith("ar,1,ja,,") and lines[2].startswith("nl,3,nee,3,4.0")
    assert admin.get("/beheer/monitoring/tevredenheid?van=gisteren").status_code == 400
    assert admin.get("/beheer/monitoring/tevredenheid?per=attempt").status_code == 400
    other = app.test_client()
    login_staff(other, world.b, "agency_admin")
    assert "Nog geen antwoorden" in other.get("/beheer/monitoring/tevredenheid").get_data(
        as_text=True)
    proctor = app.test_client()
    login_staff(proctor, world.a, "proctor")
    assert proctor.get("/beheer/monitoring/tevredenheid").status_code == 403
