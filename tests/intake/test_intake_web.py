"""The intake pages (issue 17): interview, advice, referral with its status, by staff of the
person's agency only."""

from __future__ import annotations

import datetime as dt

import pytest
from delivery_support import login_staff

from toetsbatterij.intake.models import Referral
from toetsbatterij.persons.models import Person

INTERVIEW = {"education_country": "SY", "schooling_years": "13", "highest_education": "higher",
             "mother_tongue": "Arabisch", "mother_tongue_literacy": "good",
             "latin_literacy": "good", "languages": "Engels", "goals": ["study"],
             "availability": ["evening"], "notes": ""}


@pytest.fixture
def person(world):
    p = Person(organisation_id=world.a["org"], first_name="Rami", last_name="Haddad",
               birth_date=dt.date(1994, 2, 3), id_kind="foreign", id_number="N1234567",
               id_country="SY", created_at=world.clock.now())
    world.db.add(p)
    world.db.commit()
    return p


def test_interview_advice_and_referral(app, world, person, db_session):
    staff = app.test_client()
    login_staff(staff, world.a, "agency_admin")
    page = staff.get(f"/beheer/intake/{person.id}").get_data(as_text=True)
    assert "Intakegesprek" in page and "Nog geen plaatsingstoets" in page and "Advies" not in page
    bad = staff.post(f"/beheer/intake/{person.id}/gesprek", data={**INTERVIEW,
                                                                 "schooling_years": "-1"})
    assert bad.status_code == 400
    ok = staff.post(f"/beheer/intake/{person.id}/gesprek", data=INTERVIEW)
    assert ok.status_code == 302
    page = staff.get(f"/beheer/intake/{person.id}").get_data(as_text=True)
    assert "Centrum voor Volwassenenonderwijs (CVO)" in page and 'value="13"' in page
    assert "cvo-fast" in page                  # no placement: below A1, so not the language centre
    no_reason = staff.post(f"/beheer/intake/{person.id}/doorverwijzing", data={
        "provider": "language_centre", "course": "nt2", "pace": "fast",
        "provider_name": "Linguapolis"})
    assert no_reason.status_code == 400
    done = staff.post(f"/beheer/intake/{person.id}/doorverwijzing", data={
        "provider": "language_centre", "course": "nt2", "pace": "fast",
        "provider_name": "Linguapolis", "override_reason": "Diploma erkend; start in september."})
    assert done.status_code == 302
    referral = db_session.query(Referral).one()
    assert referral.provider == "language_centre" and referral.advice["rule"] == "cvo-fast"
    assert staff.post(f"/beheer/intake/doorverwijzingen/{referral.id}/status",
                      data={"status": "started"}).status_code == 409   # enrolled first
    assert staff.post(f"/beheer/intake/doorverwijzingen/{referral.id}/status",
                      data={"status": "enrolled"}).status_code == 302
    assert "ingeschreven" in staff.get(f"/beheer/intake/{person.id}").get_data(as_text=True)


def test_another_agency_and_raters_see_nothing(app, world, person):
    other = app.test_client()
    login_staff(other, world.b, "agency_admin")
    assert other.get(f"/beheer/intake/{person.id}").status_code == 404
    assert other.post(f"/beheer/intake/{person.id}/gesprek", data=INTERVIEW).status_code == 404
    rater = app.test_client()
    login_staff(rater, world.a, "rater")
    assert rater.get(f"/beheer/intake/{person.id}").status_code == 403
