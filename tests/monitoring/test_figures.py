"""The monitoring figures against a hand-counted fixture (issue 17): tests, levels, purpose
profiles, retakes, waiting times, incidents, rater agreement, satisfaction; disclosure control;
one agency never in another's figures; every agency together for the Flemish agency."""

from __future__ import annotations

import datetime as dt
import io

import pytest

from toetsbatterij.delivery.models import ENDED, FINISHED, Attempt, Incident
from toetsbatterij.monitoring import report
from toetsbatterij.monitoring.service import Filters, figures
from toetsbatterij.rating.models import Rating, RatingTask
from toetsbatterij.results.models import Result
from toetsbatterij.surveys.models import SurveyResponse

START = dt.datetime(2026, 3, 2, 9, 0, tzinfo=dt.UTC)
LEVELS_A2 = {"reading": "A2", "listening": "A2", "writing": "A2", "speaking": "A2"}


def _attempt(db, world, tenant, i, day_offset, state, levels=None, *, same_person_as=None):
    cand = world.candidate(tenant["org"], tenant["session"], 10 + i, admit=False)
    if same_person_as is not None:
        cand.id_number = same_person_as.id_number
    started = START + dt.timedelta(days=day_offset)
    attempt = Attempt(organisation_id=tenant["org"], candidate_id=cand.id,
                      test_definition_id=world.definitions["lezen-luisteren"].id,
                      bank_version="b", seed=i, state=state, section_index=0,
                      started_at=started, finished_at=started + dt.timedelta(hours=1))
    db.add(attempt)
    db.flush()
    if levels:
        db.add(Result(organisation_id=tenant["org"], attempt_id=attempt.id, revision=1,
                      form_version="f" * 64, rules_version="r" * 64, inputs_hash="a" * 64,
                      fair_scores=False, frozen_at=started,
                      document={"skills": [{"skill": s, "level": lv} for s, lv in levels.items()]},
                      supersede_reason=""))
    return cand, attempt


def _task(db, tenant, scores_a, scores_b, resolved):
    task = RatingTask(kind="live", organisation_id=tenant["org"], skill="writing", item_id="W",
                      rubric_id="writing-a2", form_version="f", status="resolved",
                      created_at=resolved, resolved_at=resolved)
    db.add(task)
    db.flush()
    for scores in (scores_a, scores_b):
        db.add(Rating(task_id=task.id, scores=scores, submitted=True, senior=False,
                      created_at=resolved))


@pytest.fixture
def fixture(world, db_session):
    db, a = world.db, world.a
    first = None
    for i in range(10):                                   # March: 9 finished, 1 ended
        state = ENDED if i == 9 else FINISHED
        levels = None if state == ENDED else {**LEVELS_A2, "reading": "B1" if i < 3 else "A2"}
        cand, _ = _attempt(db, world, a, i, i, state, levels,
                           same_person_as=first if i in (4, 7) else None)
        first = first or cand
    for i in (10, 11):                                    # April: 2 finished
        _attempt(db, world, a, i, 30 + i - 10, FINISHED, LEVELS_A2)
    _attempt(db, world, world.b, 5, 1, FINISHED, LEVELS_A2)   # another agency
    for code in ("technical", "technical", "other"):
        db.add(Incident(organisation_id=a["org"], exam_session_id=a["session"],
                        candidate_id=a["candidates"][0], code=code, note="",
                        created_at=START))
    march = START + dt.timedelta(days=5)
    _task(db, a, {"a": 2, "b": 3}, {"a": 2, "b": 2}, march)
    _task(db, a, {"a": 1, "b": 1}, {"a": 3, "b": 1}, march)
    _task(db, a, {"a": 0, "b": 0}, {"a": 0, "b": 0}, march)
    for n in range(4):
        db.add(SurveyResponse(id=f"{n:032x}", organisation_id=a["org"],
                              location_id=a["location"], test_code="lezen-luisteren",
                              language="nl", questions_version="2026-1",
                              answered_on=dt.date(2026, 3, 3),
                              answers={"clarity": 4 + n % 2, "treatment": 5}))
    db.commit()
    return world


def test_the_figures_are_counted_as_by_hand(fixture, db_session):
    world = fixture
    f = figures(db_session, [world.a["org"]], min_group=3, today=dt.date(2026, 5, 1))
    assert {k: c.value for k, c in f.attempts.items()} == {"started": 12, "finished": 11,
                                                           "ended": None}   # 1 < 3
    assert {k: c.value for k, c in f.by_month.items()} == {"2026-03": 10, "2026-04": None}
    assert {lv: c.value for lv, c in f.levels["reading"].items()} == {"A2": 8, "B1": 3}
    assert {lv: c.value for lv, c in f.levels["listening"].items()} == {"A2": 11}
    nationality = f.purposes["nationaliteit"][1]
    assert (nationality.value, nationality.n.value) == (1.0, 11)
    assert f.purposes["kinderopvang"][1].value == 0.0
    assert (f.retakes.value, f.retakes.n.value) == (round(2 / 12, 3), 12)
    # registration at START, tests on days 0..9, 30 and 31
    assert f.wait_to_test_days["median"].value == 5.5
    assert f.wait_to_test_days["p90"].value == 27.9
    assert f.wait_to_attest_days["median"].value is None and f.wait_to_attest_days[
        "median"].n.value == 0
    assert f.sessions.value is None                            # one session < 3
    assert f.incidents_per_session.value is None
    exact, adjacent = f.rater_agreement["2026-03"]
    assert (exact.value, adjacent.value, exact.n.value) == (round(4 / 6, 3), round(5 / 6, 3), 3)
    assert f.satisfaction["clarity"].value == 4.5 and f.satisfaction["treatment"].value == 5.0


def test_small_groups_are_never_shown(fixture, db_session):
    world = fixture
    f = figures(db_session, [world.a["org"]], min_group=10, today=dt.date(2026, 5, 1))
    assert f.levels["reading"]["B1"].value is None and f.levels["reading"]["A2"].value is None
    assert f.levels["listening"]["A2"].value == 11
    assert f.rater_agreement["2026-03"][0].value is None       # 3 productions
    assert f.satisfaction["clarity"].value is None              # 4 answers
    rows = report.rows(f)
    shown = [int(v) for _, _, v, _ in rows if v.isdigit()] + \
        [int(n) for _, _, _, n in rows if n.isdigit()]
    assert all(v == 0 or v >= 10 for v in shown)
    assert any(v == "<10" for _, _, v, _ in rows)


def test_filters_and_agencies(fixture, db_session):
    world = fixture
    april = figures(db_session, [world.a["org"]], Filters(date_from=dt.date(2026, 4, 1)),
                    min_group=1, today=dt.date(2026, 5, 1))
    assert april.attempts["started"].value == 2
    placements = figures(db_session, [world.a["org"]], Filters(purpose="placement"), min_group=1)
    assert placements.attempts["started"].value == 0
    attests = figures(db_session, [world.a["org"]], Filters(purpose="attest"), min_group=1)
    assert attests.attempts["started"].value == 12
    arabic = figures(db_session, [world.a["org"]], Filters(language="ar"), min_group=1)
    assert arabic.attempts["started"].value == 0 and not arabic.satisfaction
    other = figures(db_session, [world.b["org"]], min_group=1, today=dt.date(2026, 5, 1))
    assert other.attempts["started"].value == 1 and not other.rater_agreement
    together = figures(db_session, [world.a["org"], world.b["org"]], min_group=1,
                       today=dt.date(2026, 5, 1), scope="all")
    assert together.attempts["started"].value == 13
    with pytest.raises(Exception):
        Filters(date_from=dt.date(2026, 4, 2), date_to=dt.date(2026, 4, 1))


def test_the_monthly_pdf_holds_the_figures(fixture, db_session):
    from pypdf import PdfReader

    world = fixture
    first, last = report.month_bounds("2026-03")
    assert (first, last) == (dt.date(2026, 3, 1), dt.date(2026, 3, 31))
    f = figures(db_session, [world.a["org"]], Filters(date_from=first, date_to=last),
                min_group=3, today=dt.date(2026, 5, 1))
    pdf = report.monthly_pdf(f, organisation="Atlas Antwerpen", month="2026-03", strict=True)
    reader = PdfReader(io.BytesIO(pdf))
    text = " ".join(page.extract_text() for page in reader.pages)
    assert "Maandrapport monitoring 2026-03" in text and "Atlas Antwerpen" in text
    assert "reading B1" in text and "begonnen" in text and "<3" in text
    assert len(reader.pages[0].images) == 2                     # the two charts


# -- the pages -----------------------------------------------------------------------------------


@pytest.fixture
def pages(make_app, fixture):
    from delivery_support import login_staff

    app = make_app(WTF_CSRF_ENABLED=False, MONITORING_MIN_GROUP=3)

    def client(tenant, role="agency_admin"):
        c = app.test_client()
        login_staff(c, tenant, role)
        return c

    return app, client


def test_the_page_shows_figures_and_charts(pages, fixture):
    _app, client = pages
    admin = client(fixture.a)
    page = admin.get("/beheer/monitoring/?van=2026-03-01&tot=2026-04-30")
    html = page.get_data(as_text=True)
    assert page.status_code == 200
    assert html.count("<svg") >= 2 and "Afnames per maand" in html
    assert "Belgische nationaliteit" in html and "100,0 %" in html
    assert "&lt;3" in html                                   # the one ended attempt
    csv = admin.get("/beheer/monitoring/cijfers.csv?taal=nl").get_data(as_text=True)
    assert csv.lstrip("\ufeff").startswith("onderdeel,cijfer,waarde,aantal personen")
    assert "Afnames,begonnen,12," in csv
    pdf = admin.get("/beheer/monitoring/maandrapport.pdf?maand=2026-03")
    assert pdf.mimetype == "application/pdf" and pdf.data.startswith(b"%PDF")
    assert admin.get("/beheer/monitoring/?doel=attest").status_code == 200
    for bad in ("?van=morgen", "?lokaal=x", "?taal=xx", "?bereik=alle", "?doel=feest",
                f"?lokaal={fixture.b['location']}"):
        assert admin.get("/beheer/monitoring/" + bad).status_code == 400, bad
    assert admin.get("/beheer/monitoring/maandrapport.pdf?maand=maart").status_code == 400
    assert client(fixture.a, "psychometrician").get("/beheer/monitoring/").status_code == 200
    assert client(fixture.a, "proctor").get("/beheer/monitoring/").status_code == 403
    assert client(fixture.a, "rater").get("/beheer/monitoring/cijfers.csv").status_code == 403


def test_the_flemish_agency_sees_every_agency_together(pages, fixture, db_session):
    from delivery_support import PASSWORD
    from sqlalchemy import select

    from toetsbatterij.accounts import service as accounts
    from toetsbatterij.organisations.models import Organisation

    app, client = pages
    agii = db_session.scalar(select(Organisation).where(Organisation.code == "agii"))
    accounts.create_account(db_session, fixture.clock, organisation_id=agii.id,
                            email="admin@agii.test", display_name="AgII", role="agency_admin",
                            password=PASSWORD)
    db_session.commit()
    central = app.test_client()
    assert central.post("/beheer/aanmelden", data={"email": "admin@agii.test",
                                                   "password": PASSWORD}).status_code == 302
    own = central.get("/beheer/monitoring/").get_data(as_text=True)
    assert "Alle agentschappen" in own
    together = central.get("/beheer/monitoring/cijfers.csv?bereik=alle").get_data(as_text=True)
    assert "Afnames,begonnen,13," in together
    # another agency's admin only ever sees its own
    gent = client(fixture.b).get("/beheer/monitoring/cijfers.csv").get_data(as_text=True)
    assert "Afnames,begonnen,<3," in gent          # its one attempt, below the minimum
    assert client(fixture.b).get("/beheer/monitoring/?bereik=alle").status_code == 400
