"""Staff forms (Flask-WTF): a refusal re-renders the page with what was typed and the Dutch error
beside its field (status 400, never a dead-end error page); the new-account form starts at the
least privileged role; CSRF holds on the forms."""

import html as htmllib
import io
import re

from delivery_support import PASSWORD, login_staff
from sqlalchemy import func, select

from toetsbatterij.accounts.models import StaffAccount
from toetsbatterij.delivery.models import Candidate, ExamSession
from toetsbatterij.organisations.models import Location


def field_error(page: str, field_id: str) -> str:
    """The error text shown beside the field with this id ('' when there is none)."""
    match = re.search(rf'<p class="field-error" id="{field_id}-error">(.*?)</p>', page, re.S)
    return htmllib.unescape(match.group(1)) if match else ""


def value_of(page: str, field_id: str) -> str:
    tag = re.search(rf'<input[^>]*\bid="{field_id}"[^>]*>', page).group(0)
    value = re.search(r'value="([^"]*)"', tag)
    return htmllib.unescape(value.group(1)) if value else ""


def selected(page: str, field_id: str) -> str:
    select_html = re.search(rf'<select[^>]*id="{field_id}".*?</select>', page, re.S).group(0)
    return re.search(r'<option selected value="([^"]*)"|<option value="([^"]*)" selected',
                     select_html).group(0).split('value="')[1].split('"')[0]


REGISTRATION = {"first_name": "Amina", "last_name": "El Idrissi", "birth_date": "1985-07-30",
                "id_kind": "rrn", "id_number": "85.07.30-033.29", "instruction_language": "ar",
                "extra_time_percent": "25", "extra_audio_plays": "1",
                "speaking_prep_percent": "30", "larger_text": "y"}


def test_bad_checksum_keeps_the_input_and_shows_the_error_beside_the_number(client, world):
    login_staff(client, world.a, "proctor")
    sid = world.a["session"]
    before = world.db.scalar(select(func.count(Candidate.id)))
    resp = client.post(f"/beheer/sessies/{sid}/kandidaten", data=REGISTRATION)
    page = resp.get_data(as_text=True)
    assert resp.status_code == 400
    assert "controlegetal" in field_error(page, "id_number")
    assert 'aria-invalid="true"' in re.search(r'<input[^>]*id="id_number"[^>]*>', page).group(0)
    assert 'aria-describedby="id_number-error"' in page
    assert field_error(page, "first_name") == ""
    # what was typed is still there, accommodations included
    assert value_of(page, "first_name") == "Amina" and value_of(page, "last_name") == "El Idrissi"
    assert value_of(page, "id_number") == "85.07.30-033.29"
    assert value_of(page, "extra_time_percent") == "25"
    assert value_of(page, "speaking_prep_percent") == "30"
    assert selected(page, "instruction_language") == "ar"
    assert selected(page, "extra_audio_plays") == "1"
    assert re.search(r'<input[^>]*checked[^>]*id="larger_text"|<input[^>]*id="larger_text"'
                     r'[^>]*checked', page)
    assert "Kandidaten (3)" in page  # the session page itself, not an error page
    world.db.expire_all()
    assert world.db.scalar(select(func.count(Candidate.id))) == before


def test_a_duplicate_candidate_is_refused_beside_the_number(client, world, db_session):
    login_staff(client, world.a, "proctor")
    sid = world.a["session"]
    good = {**REGISTRATION, "id_number": "85.07.30-033.28"}
    assert client.post(f"/beheer/sessies/{sid}/kandidaten", data=good).status_code == 302
    again = client.post(f"/beheer/sessies/{sid}/kandidaten", data={**good, "first_name": "Amna"})
    page = again.get_data(as_text=True)
    assert again.status_code == 400
    assert "al ingeschreven" in field_error(page, "id_number")
    assert value_of(page, "first_name") == "Amna"
    cands = db_session.scalars(select(Candidate).where(Candidate.id_number == "85073003328")).all()
    assert len(cands) == 1
    amina = cands[0]
    assert (amina.extra_time_percent, amina.larger_text, amina.extra_audio_plays,
            amina.speaking_prep_percent) == (25, True, 1, 30)


def test_a_short_password_keeps_the_rest_of_the_account_form(client, world, db_session):
    login_staff(client, world.a, "agency_admin")
    resp = client.post("/beheer/personeel", data={"email": "kort@x.test", "display_name": "Kim",
                                                   "role": "proctor", "password": "kort"})
    page = resp.get_data(as_text=True)
    assert resp.status_code == 400
    assert "minstens 12" in field_error(page, "password")
    assert value_of(page, "display_name") == "Kim" and value_of(page, "email") == "kort@x.test"
    assert value_of(page, "password") == ""  # a password is never sent back
    assert selected(page, "role") == "proctor"
    assert db_session.scalar(select(StaffAccount).where(StaffAccount.email == "kort@x.test")) \
        is None


def test_the_new_account_form_starts_at_the_least_privileged_role(client, world):
    login_staff(client, world.a, "agency_admin")
    page = client.get("/beheer/personeel").get_data(as_text=True)
    assert selected(page, "role") == "rater"
    options = re.findall(r'<option[^>]*value="(\w+)"', re.search(
        r'<select[^>]*id="role".*?</select>', page, re.S).group(0))
    assert options[0] == "rater" and options[-1] == "agency_admin"


def test_a_session_window_error_stays_on_the_planning_form(client, world, db_session):
    login_staff(client, world.a, "proctor")
    data = {"location_id": world.a["location"],
            "test_definition_id": world.definitions["lezen-luisteren"].id,
            "date": "2026-03-03", "start": "12:00", "end": "09:00"}
    count = db_session.scalar(select(func.count(ExamSession.id)))
    resp = client.post("/beheer/sessies/nieuw", data=data)
    page = resp.get_data(as_text=True)
    assert resp.status_code == 400
    assert "na het begin" in field_error(page, "end")
    assert value_of(page, "date") == "2026-03-03" and value_of(page, "start") == "12:00"
    no_date = client.post("/beheer/sessies/nieuw", data={**data, "date": "", "end": "13:00"})
    assert no_date.status_code == 400
    assert field_error(no_date.get_data(as_text=True), "date") == "Geef de datum."
    assert db_session.scalar(select(func.count(ExamSession.id))) == count


def test_a_wrong_login_stays_on_the_login_form_with_the_email(client, world):
    resp = client.post("/beheer/aanmelden", data={"email": "proctor@antwerpen.test",
                                                  "password": "fout"})
    page = resp.get_data(as_text=True)
    assert resp.status_code == 401
    assert "Aanmelden is niet gelukt" in page and 'role="alert"' in page
    assert value_of(page, "email") == "proctor@antwerpen.test"
    empty = client.post("/beheer/aanmelden", data={"email": "", "password": ""})
    assert empty.status_code == 400
    assert field_error(empty.get_data(as_text=True), "email") == "Geef uw e-mailadres."


def test_location_errors_are_beside_their_field(client, world, db_session):
    login_staff(client, world.a, "agency_admin")
    resp = client.post("/beheer/locaties", data={"name": "Zaal 9", "address": "Kerkstraat 1",
                                                 "capacity": "0"})
    page = resp.get_data(as_text=True)
    assert resp.status_code == 400
    assert "tussen 1 en 500" in field_error(page, "capacity")
    assert value_of(page, "name") == "Zaal 9" and value_of(page, "address") == "Kerkstraat 1"
    words = client.post("/beheer/locaties", data={"name": "Zaal 9", "capacity": "veel"})
    assert words.status_code == 400
    assert field_error(words.get_data(as_text=True), "capacity") == "Geef een geheel getal."
    assert db_session.scalar(select(Location).where(Location.name == "Zaal 9")) is None


def test_csv_import_without_a_file_stays_on_the_session_page(client, world):
    login_staff(client, world.a, "proctor")
    resp = client.post(f"/beheer/sessies/{world.a['session']}/import", data={},
                       content_type="multipart/form-data")
    page = resp.get_data(as_text=True)
    assert resp.status_code == 400
    assert field_error(page, "file") == "Kies een CSV-bestand."
    assert "Kandidaat inschrijven" in page


def test_a_closed_session_refuses_registration_on_the_form(client, world, db_session):
    world.clock.advance(hours=9)  # the session of world.a has ended
    login_staff(client, world.a, "proctor")  # (a login of 9 hours ago has expired by now)
    resp = client.post(f"/beheer/sessies/{world.a['session']}/kandidaten",
                       data={**REGISTRATION, "id_number": "85.07.30-033.28"})
    page = resp.get_data(as_text=True)
    assert resp.status_code == 409 and "afgelopen" in page and value_of(page, "first_name") \
        == "Amina"
    csv_resp = client.post(f"/beheer/sessies/{world.a['session']}/import", data={
        "file": (io.BytesIO(b"voornaam;achternaam;geboortedatum;identiteit;nummer\n"),
                 "k.csv")}, content_type="multipart/form-data")
    assert csv_resp.status_code == 409 and "afgelopen" in csv_resp.get_data(as_text=True)


def test_incident_with_an_unknown_code_is_shown_on_the_room_page(client, world):
    login_staff(client, world.a, "proctor")
    resp = client.post(f"/beheer/sessies/{world.a['session']}/incident",
                       data={"code": "nonsense", "note": "rook in de gang"})
    page = resp.get_data(as_text=True)
    assert resp.status_code == 400
    assert field_error(page, "code") == "Kies een soort incident."
    assert "rook in de gang" in page and "Zaaloverzicht sessie" in page


def test_csrf_holds_on_a_refused_form(make_app, world):
    app = make_app()  # CSRF on; over https a browser sends the same-origin Referer
    client = app.test_client()
    client.environ_base["HTTP_REFERER"] = "https://localhost/beheer/"
    page = client.get("/beheer/aanmelden").get_data(as_text=True)
    token = re.search(r'name="csrf_token" value="([^"]+)"', page).group(1)
    refused = client.post("/beheer/aanmelden", data={"csrf_token": token,
                                                     "email": "proctor@antwerpen.test",
                                                     "password": "fout"})
    assert refused.status_code == 401 and 'name="csrf_token"' in refused.get_data(as_text=True)
    ok = client.post("/beheer/aanmelden", data={"csrf_token": token,
                                                "email": "proctor@antwerpen.test",
                                                "password": PASSWORD})
    assert ok.status_code == 302
    page = client.get(f"/beheer/sessies/{world.a['session']}").get_data(as_text=True)
    token = re.search(r'name="csrf_token" value="([^"]+)"', page).group(1)
    forged = client.post(f"/beheer/sessies/{world.a['session']}/kandidaten",
                         data={**REGISTRATION, "csrf_token": "forged"})
    assert forged.status_code == 400 and "verlopen" in forged.get_data(as_text=True)
    good = client.post(f"/beheer/sessies/{world.a['session']}/kandidaten",
                       data={**REGISTRATION, "id_number": "85.07.30-033.28", "csrf_token": token})
    assert good.status_code == 302
