"""Every staff route x every role, including another organisation's ids."""

import io
import re

import pytest
from delivery_support import PASSWORD, login_staff
from sqlalchemy import select

from toetsbatterij.accounts.models import ROLES
from toetsbatterij.audit.models import AuditEntry
from toetsbatterij.delivery.models import Candidate

EXAM = {"agency_admin", "proctor"}
ADMIN = {"agency_admin"}


def routes(t):
    s, c = t["session"], t["candidates"][0]
    return [
        ("GET", "/beheer/", None, set(ROLES)),
        ("GET", "/beheer/sessies/nieuw", None, EXAM),
        ("GET", f"/beheer/sessies/{s}", None, EXAM),
        ("POST", f"/beheer/sessies/{s}/tickets.pdf", {}, EXAM),
        ("GET", f"/beheer/sessies/{s}/zaal", None, EXAM),
        ("GET", f"/beheer/sessies/{s}/zaal.json", None, EXAM),
        ("POST", f"/beheer/sessies/{s}/openen", {}, EXAM),
        ("GET", f"/beheer/sessies/{s}/zaal/pauze", None, EXAM),
        ("POST", f"/beheer/sessies/{s}/zaal/pauze", {"confirm": "y"}, EXAM),
        ("POST", f"/beheer/sessies/{s}/zaal/hervatten", {}, EXAM),
        ("POST", f"/beheer/sessies/{s}/incident", {"code": "technical", "note": "x"}, EXAM),
        ("POST", f"/beheer/sessies/{s}/kandidaten",
         {"first_name": "A", "last_name": "B", "birth_date": "1990-01-01", "id_kind": "foreign",
          "id_number": "P1234567", "id_country": "MA"}, EXAM),
        ("GET", f"/beheer/kandidaten/{c}/vrijgeven", None, EXAM),
        ("POST", f"/beheer/kandidaten/{c}/vrijgeven", {"confirm": "y"}, EXAM),
        ("GET", f"/beheer/kandidaten/{c}/aanpassingen", None, EXAM),
        ("POST", f"/beheer/kandidaten/{c}/aanpassingen", {"extra_time_percent": "10"}, EXAM),
        ("GET", "/beheer/locaties", None, ADMIN),
        ("POST", "/beheer/locaties", {"name": "Zaal 2", "capacity": "10"}, ADMIN),
        ("GET", "/beheer/personeel", None, ADMIN),
        ("POST", "/beheer/personeel", {"email": "nieuw@x.test", "display_name": "Nieuw",
                                      "role": "rater", "password": "lang genoeg wachtwoord"},
         ADMIN),
        ("GET", "/beheer/audit", None, ADMIN),
    ]


def call(client, method, url, data):
    return client.get(url) if method == "GET" else client.post(url, data=data)


@pytest.mark.parametrize("role", ROLES)
def test_route_by_role_own_organisation(client, world, role):
    login_staff(client, world.a, role)
    for method, url, data, allowed in routes(world.a):
        resp = call(client, method, url, data)
        if role in allowed:
            assert resp.status_code in (200, 302), (role, url, resp.status_code)
        else:
            assert resp.status_code == 403, (role, url, resp.status_code)


@pytest.mark.parametrize("role", ["agency_admin", "proctor"])
def test_other_organisations_ids_are_not_found(client, world, role):
    login_staff(client, world.a, role)
    for method, url, data, _allowed in routes(world.b):
        if url.startswith(("/beheer/locaties", "/beheer/personeel", "/beheer/audit")) \
                or url == "/beheer/" or url.endswith("/nieuw"):
            continue  # routes without ids: scoped by the logged-in organisation
        resp = call(client, method, url, data)
        assert resp.status_code == 404, (url, resp.status_code)
    # nothing of organisation B changed or leaked
    json_b = client.get(f"/beheer/sessies/{world.b['session']}/zaal.json")
    assert json_b.status_code == 404


def test_anonymous_is_sent_to_login(client, world):
    for method, url, data, _ in routes(world.a):
        resp = call(client, method, url, data)
        assert resp.status_code in (302, 401), url


def test_location_of_other_org_cannot_be_used_for_a_session(client, world):
    login_staff(client, world.a, "proctor")
    resp = client.post("/beheer/sessies/nieuw", data={
        "location_id": world.b["location"], "test_definition_id": world.definitions[
            "lezen-luisteren"].id, "date": "2026-03-03", "start": "09:00", "end": "12:00"})
    assert resp.status_code == 404


def test_plan_session_register_and_tickets(client, world, db_session):
    login_staff(client, world.a, "proctor")
    resp = client.post("/beheer/sessies/nieuw", data={
        "location_id": world.a["location"], "test_definition_id": world.definitions[
            "lezen-luisteren"].id, "date": "2026-03-03", "start": "09:00", "end": "12:00"})
    assert resp.status_code == 302
    sid = int(resp.headers["Location"].rstrip("/").split("/")[-1])
    resp = client.post(f"/beheer/sessies/{sid}/kandidaten", data={
        "first_name": "Amina", "last_name": "El Idrissi", "birth_date": "1985-07-30",
        "id_kind": "rrn", "id_number": "85.07.30-033.28", "instruction_language": "ar",
        "extra_time_percent": "25"})
    assert resp.status_code == 302, resp.get_data(as_text=True)[:300]
    bad = client.post(f"/beheer/sessies/{sid}/kandidaten", data={
        "first_name": "X", "last_name": "Y", "birth_date": "1985-07-30", "id_kind": "rrn",
        "id_number": "85.07.30-033.29"})
    assert bad.status_code == 400 and "controlegetal" in bad.get_data(as_text=True)
    pdf = client.post(f"/beheer/sessies/{sid}/tickets.pdf")
    assert pdf.status_code == 200 and pdf.data.startswith(b"%PDF")
    assert len(re.findall(rb"/Type\s*/Page\b", pdf.data)) == 1  # one page per candidate
    cand = db_session.scalar(select(Candidate).where(Candidate.exam_session_id == sid))
    assert cand.extra_time_percent == 25 and len(cand.access_code) == 8


def test_csv_import_reports_row_by_row_and_imports_nothing_on_error(client, world, db_session):
    login_staff(client, world.a, "proctor")
    sid = world.a["session"]
    csv_text = ("voornaam;achternaam;geboortedatum;identiteit;nummer;land;taal;extra_tijd\n"
                "Amina;El Idrissi;30/07/1985;rrn;85073003328;;nl;0\n"
                "Piet;Fout;30/07/1985;rrn;85073003329;;nl;0\n"
                "Ana;Lopez;01/02/1990;buitenlands;ES123456;ES;fr;10\n"
                ";Leeg;01/02/1990;rrn;85073003328;;nl;0\n")
    before = len(world.db.scalars(select(Candidate).where(
        Candidate.exam_session_id == sid)).all())
    resp = client.post(f"/beheer/sessies/{sid}/import", data={
        "file": (io.BytesIO(csv_text.encode()), "kandidaten.csv")},
        content_type="multipart/form-data")
    html = resp.get_data(as_text=True)
    assert resp.status_code == 422
    assert "<td>3</td>" in html and "controlegetal" in html
    assert "<td>5</td>" in html and "voornaam" in html.lower()
    after = len(db_session.scalars(select(Candidate).where(
        Candidate.exam_session_id == sid)).all())
    assert after == before
    good = "\n".join(csv_text.splitlines()[:2] + [csv_text.splitlines()[3]])
    resp = client.post(f"/beheer/sessies/{sid}/import", data={
        "file": (io.BytesIO(good.encode()), "kandidaten.csv")},
        content_type="multipart/form-data")
    assert resp.status_code == 302
    assert len(db_session.scalars(select(Candidate).where(
        Candidate.exam_session_id == sid)).all()) == before + 2


def test_login_throttled_per_account_not_per_ip(client, world, app):
    for _ in range(app.config["LOGIN_MAX_FAILURES"]):
        resp = client.post("/beheer/aanmelden", data={"email": "proctor@antwerpen.test",
                                                      "password": "fout"})
        assert resp.status_code == 401
    delayed = client.post("/beheer/aanmelden", data={"email": "proctor@antwerpen.test",
                                                     "password": PASSWORD})
    assert delayed.status_code == 401  # the same answer as a wrong password
    # same client (same IP) can still log in with another account of the room
    login_staff(client, world.a, "agency_admin")
    world.clock.advance(seconds=app.config["LOGIN_BACKOFF_SECONDS"])
    other = app.test_client()
    login_staff(other, world.a, "proctor")


def test_session_rotates_at_login_and_cookie_flags(make_app, world):
    app = make_app(WTF_CSRF_ENABLED=False, SESSION_COOKIE_SECURE=True)
    client = app.test_client()
    client.get("/beheer/aanmelden")
    resp = client.post("/beheer/aanmelden", data={"email": "proctor@antwerpen.test",
                                                  "password": PASSWORD})
    cookie = resp.headers["Set-Cookie"]
    assert "HttpOnly" in cookie and "Secure" in cookie and "SameSite=Lax" in cookie


def test_csrf_is_enforced(make_app, world):
    app = make_app()  # CSRF on
    client = app.test_client()
    resp = client.post("/beheer/aanmelden", data={"email": "proctor@antwerpen.test",
                                                  "password": PASSWORD})
    assert resp.status_code == 400 and "verlopen" in resp.get_data(as_text=True)
    assert app.config["WTF_CSRF_TIME_LIMIT"] >= 8 * 3600


def test_proctor_actions_are_audited(client, world, content, app):
    world.open(world.a)
    cand_client = app.test_client()
    cand_client.post("/aanmelden", data={"session_code": world.a["session_code"],
                                         "access_code": world.a["access_codes"][0]})
    cand_client.post("/toets/verder", data={"step": "practice"})
    login_staff(client, world.a, "proctor")
    cid = world.a["candidates"][0]
    for action, data in (("pauze", {}), ("hervatten", {}), ("vrijgeven", {"confirm": "y"}),
                         ("beeindigen", {"reason": "ziek geworden", "confirm": "y"})):
        assert client.post(f"/beheer/kandidaten/{cid}/{action}", data=data).status_code == 302
    actions = [e.action for e in world.db.scalars(select(AuditEntry).where(
        AuditEntry.organisation_id == world.a["org"]))]
    room = client.get(f"/beheer/sessies/{world.a['session']}/zaal.json").json
    client.post("/beheer/afmelden")
    assert client.get("/beheer/").status_code == 302
    actions = [e.action for e in world.db.scalars(select(AuditEntry).where(
        AuditEntry.organisation_id == world.a["org"]))]
    for expected in ("staff.login", "staff.logout", "attempt.pause", "attempt.resume",
                     "candidate.release_device", "attempt.end"):
        assert expected in actions
    row = next(r for r in room["candidates"] if r["candidate_id"] == cid)
    assert row["state"] == "ended" and row["device_bound"] is False


def test_only_definitions_of_the_delivered_bank_can_be_planned(client, world, db_session):
    from toetsbatterij.delivery import definitions

    stale = definitions.sync_definitions(db_session, world.clock, [
        {**world.definitions["lezen-luisteren"].manifest, "name": "Oude versie"}], "old-bank")[0]
    db_session.commit()
    login_staff(client, world.a, "proctor")
    page = client.get("/beheer/sessies/nieuw").get_data(as_text=True)
    assert "Lezen en luisteren (test)" in page and "Oude versie" not in page
    resp = client.post("/beheer/sessies/nieuw", data={
        "location_id": world.a["location"], "test_definition_id": stale.id,
        "date": "2026-03-03", "start": "09:00", "end": "12:00"})
    assert resp.status_code == 400


def test_admin_creates_staff_in_own_organisation_only(client, world, db_session):
    from toetsbatterij.accounts.models import StaffAccount

    login_staff(client, world.a, "agency_admin")
    short = client.post("/beheer/personeel", data={"email": "kort@x.test", "display_name": "K",
                                                   "role": "proctor", "password": "kort"})
    assert short.status_code == 400 and "minstens 12" in short.get_data(as_text=True)
    ok = client.post("/beheer/personeel", data={"email": "Nieuw@X.test", "display_name": "N",
                                                "role": "proctor",
                                                "password": "lang genoeg wachtwoord"})
    assert ok.status_code == 302
    acc = db_session.scalar(select(StaffAccount).where(StaffAccount.email == "nieuw@x.test"))
    assert acc.organisation_id == world.a["org"] and acc.password_hash.startswith("$argon2")
    page = client.get("/beheer/personeel").get_data(as_text=True)
    assert "proctor@gent.test" not in page and "nieuw@x.test" in page
