"""NUL bytes, other control characters, invalid Unicode and over-long text in every staff form
and CSV row: a clear Dutch 400 naming the field, nothing stored, the same on SQLite and
PostgreSQL (which refuses NUL in text: that was a 500)."""

from __future__ import annotations

import io

import pytest
from delivery_support import PASSWORD, login_staff
from sqlalchemy import func, select

from toetsbatterij.accounts.models import StaffAccount
from toetsbatterij.delivery.models import Attempt, Candidate, Incident
from toetsbatterij.organisations.models import Location

BAD = ["Am\x00ina", "Am\x1bina", "Am\u202eanima", "x" * 400]


def _count(db, model):
    db.expire_all()
    return db.scalar(select(func.count(model.id)))


@pytest.mark.parametrize("bad", BAD, ids=["nul", "escape", "bidi", "long"])
def test_candidate_names_and_numbers(client, world, db_session, bad):
    login_staff(client, world.a, "proctor")
    before = _count(db_session, Candidate)
    base = {"first_name": "Ana", "last_name": "Lopez", "birth_date": "1990-01-01",
            "id_kind": "foreign", "id_number": "P1234567", "id_country": "MA"}
    for field, label in (("first_name", "Voornaam"), ("last_name", "Achternaam"),
                         ("id_number", "Nummer")):
        resp = client.post(f"/beheer/sessies/{world.a['session']}/kandidaten",
                           data={**base, field: bad})
        assert resp.status_code == 400, (field, resp.status_code)
        assert f"{label}: de tekst" in resp.get_data(as_text=True)
    assert _count(db_session, Candidate) == before


@pytest.mark.parametrize("bad", BAD, ids=["nul", "escape", "bidi", "long"])
def test_location_names_and_addresses(client, world, db_session, bad):
    login_staff(client, world.a, "agency_admin")
    before = _count(db_session, Location)
    for data, label in (({"name": bad, "capacity": "10"}, "Naam"),
                        ({"name": "Zaal", "address": bad, "capacity": "10"}, "Adres")):
        resp = client.post("/beheer/locaties", data=data)
        assert resp.status_code == 400 and f"{label}: de tekst" in resp.get_data(as_text=True)
    assert _count(db_session, Location) == before


def test_incident_notes_and_end_reasons(client, world, db_session, app):
    world.open(world.a)
    login_staff(client, world.a, "proctor")
    before = _count(db_session, Incident)
    resp = client.post(f"/beheer/sessies/{world.a['session']}/incident",
                       data={"code": "technical", "note": "scherm\x00zwart"})
    assert resp.status_code == 400 and "Notitie: de tekst" in resp.get_data(as_text=True)
    resp = client.post(f"/beheer/sessies/{world.a['session']}/incident",
                       data={"code": "technical", "note": "n" * 2001})
    assert resp.status_code == 400 and "hoogstens 2000" in resp.get_data(as_text=True)
    assert _count(db_session, Incident) == before
    ok = client.post(f"/beheer/sessies/{world.a['session']}/incident",
                     data={"code": "technical", "note": "regel 1\r\nregel 2"})
    assert ok.status_code == 302
    note = db_session.scalar(select(Incident.note).order_by(Incident.id.desc()))
    assert note == "regel 1\nregel 2"
    cand_client = app.test_client()
    cand_client.post("/aanmelden", data={"session_code": world.a["session_code"],
                                         "access_code": world.a["access_codes"][0]})
    cid = world.a["candidates"][0]
    resp = client.post(f"/beheer/kandidaten/{cid}/beeindigen",
                       data={"reason": "ziek\x00", "confirm": "y"})
    assert resp.status_code == 400 and "Reden: de tekst" in resp.get_data(as_text=True)
    db_session.expire_all()
    assert db_session.scalar(select(Attempt.state).where(Attempt.candidate_id == cid)) != "ended"


def test_staff_accounts_and_login(client, world, db_session, app):
    login_staff(client, world.a, "agency_admin")
    before = _count(db_session, StaffAccount)
    for data, label in (({"email": "nieuw\x00@x.test", "display_name": "N"}, "E-mailadres"),
                        ({"email": "nieuw@x.test", "display_name": "N\x00"}, "Naam")):
        resp = client.post("/beheer/personeel", data={
            **data, "role": "rater", "password": "lang genoeg wachtwoord"})
        assert resp.status_code == 400 and f"{label}: de tekst" in resp.get_data(as_text=True)
    assert _count(db_session, StaffAccount) == before
    anon = app.test_client()
    for email in ("proctor@antwerpen.test\x00", "x" * 5000):
        resp = anon.post("/beheer/aanmelden", data={"email": email, "password": PASSWORD})
        assert resp.status_code == 401
    # a lone surrogate as CESU-8 bytes, and bytes that are no UTF-8 at all
    for raw in (b"email=%ED%A0%80%40x.test&password=x", b"email=%FF%FE%00&password=%C0"):
        resp = anon.post("/beheer/aanmelden", data=raw,
                         content_type="application/x-www-form-urlencoded")
        assert resp.status_code == 401


def test_csv_rows_with_control_characters_are_reported(client, world, db_session):
    login_staff(client, world.a, "proctor")
    before = _count(db_session, Candidate)
    text = "\r\n".join([
        "voornaam;achternaam;geboortedatum;identiteit;nummer;land;taal;extra_tijd",
        "Ana;Lo\x00pez;01/02/1990;buitenlands;ES123456;ES;fr;10",
        '"Om\rar";Haddad;03/04/1985;buitenlands;MA765432;MA;ar;0'])
    resp = client.post(f"/beheer/sessies/{world.a['session']}/import", data={
        "file": (io.BytesIO(text.encode()), "kandidaten.csv")},
        content_type="multipart/form-data")
    html = resp.get_data(as_text=True)
    assert resp.status_code == 422
    assert "<td>2</td>" in html and "<td>3</td>" in html
    assert "Achternaam: de tekst" in html and "Voornaam: de tekst" in html
    assert _count(db_session, Candidate) == before


def test_typed_answers_reach_the_service_cleaned():
    from werkzeug.datastructures import MultiDict

    from toetsbatterij.web.candidate import parse_answers

    view = {"items": [
        {"id": "W1", "type": "extended_text", "view": {}},
        {"id": "T1", "type": "text_entry", "view": {"gaps": [{"id": "g1"}]}}]}
    from toetsbatterij.delivery.opaque import OpaqueIds

    ids = OpaqueIds("secret", 1, 2)
    form = MultiDict({f"r.{ids.of('W1')}": "Beste\r\nmevrouw\x00",
                      f"r.{ids.of('T1')}.{ids.of('T1', 'gap', 'g1')}": "hu\x07is"})
    assert parse_answers(view, form, ids) == {"W1": "Beste\nmevrouw", "T1": {"g1": "huis"}}
