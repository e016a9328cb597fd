"""The attest pages: public verification (page, JSON, the holder's download), keys and status
lists over HTTP; the staff pages (detail, PDF, credential, revocation with four eyes, rules)."""

from __future__ import annotations

import datetime as dt
import io

import jwt as pyjwt
import pytest
from attest_support import LEVELS, FakeResults, finished_attempt, issue, second_admin
from delivery_support import PASSWORD, login_staff
from sqlalchemy import func, select

from toetsbatterij.attests import credential as vc
from toetsbatterij.attests.models import AttestRuleSet, AttestVerification


@pytest.fixture
def attest(app, world, content):
    results = FakeResults(world.db, world.clock)
    done = finished_attempt(world, content, world.a)
    return issue(world, app.extensions["toetsbatterij"].signer, results, world.a,
                 results.add(world.a["org"], done.id, LEVELS))


def _birth(attest):
    return attest.person["birth_date"]


def test_the_qr_address_opens_the_form_filled_in_and_a_post_checks(client, attest, db_session):
    page = client.get(f"/attest/{attest.number}?code={attest.verification_code}")
    html = page.get_data(as_text=True)
    assert page.status_code == 200 and attest.verification_code in html
    assert "Geldig attest" not in html  # a GET only shows the form
    resp = client.post("/attest/controle", data={"number": attest.number,
                                                 "code": attest.verification_code})
    html = resp.get_data(as_text=True)
    assert resp.status_code == 200 and "Geldig attest" in html and "Kandidaat0" not in html
    named = client.post("/attest/controle", data={"number": attest.number,
                                                  "code": attest.verification_code,
                                                  "birth_date": _birth(attest)})
    assert "Kandidaat0 Achternaam0" in named.get_data(as_text=True)
    unknown = client.post("/attest/controle", data={"number": attest.number, "code": "AAAAAA"})
    assert "Onbekend" in unknown.get_data(as_text=True)
    bad = client.post("/attest/controle", data={"number": "x", "code": "y",
                                                "birth_date": "gisteren"})
    assert bad.status_code == 400
    assert db_session.scalar(select(func.count(AttestVerification.id))) == 3


def test_the_json_endpoint(client, attest):
    ok = client.post("/attest/controle.json", json={"number": attest.number,
                                                     "code": attest.verification_code})
    assert ok.status_code == 200 and ok.json["status"] == "valid"
    assert ok.json["levels"]["kinds"] == {"mondeling": "A2", "schriftelijk": "A2"}
    assert "holder" not in ok.json
    named = client.post("/attest/controle.json", json={
        "number": attest.number, "code": attest.verification_code, "birth_date": _birth(attest)})
    assert named.json["holder"]["last_name"] == "Achternaam0"
    assert client.post("/attest/controle.json", json={"number": "nope", "code": "x"}).json == \
        {"status": "unknown"}
    assert client.post("/attest/controle.json", json={
        "number": attest.number, "code": attest.verification_code,
        "birth_date": None}).json["status"] == "valid"
    for body in ([1], "x", {"number": 5}):
        assert client.post("/attest/controle.json", json=body).status_code == 400
    assert client.post("/attest/controle.json", data="{not json",
                       content_type="application/json").status_code == 400


def test_the_holder_downloads_the_credential_with_the_birth_date(client, attest):
    data = {"number": attest.number, "code": attest.verification_code}
    assert client.post("/attest/credential", data=data).status_code == 400
    assert client.post("/attest/credential",
                       data=data | {"birth_date": "1900-01-01"}).status_code == 404
    resp = client.post("/attest/credential", data=data | {"birth_date": _birth(attest)})
    assert resp.status_code == 200 and resp.mimetype == "application/vc+jwt"
    assert resp.get_data(as_text=True) == attest.credential_jwt


def test_jwks_and_status_list_verify_the_credential(app, client, world, attest):
    keyset = pyjwt.PyJWKSet.from_dict(client.get("/.well-known/jwks.json").json)
    key = keyset[attest.key_id]
    claims = pyjwt.decode(attest.credential_jwt, key, algorithms=["EdDSA"])
    status_url = claims["credentialStatus"]["statusListCredential"]
    assert status_url.endswith("/attest/status/antwerpen")
    token = client.get("/attest/status/antwerpen").get_data(as_text=True)
    listing = pyjwt.decode(token, key, algorithms=["EdDSA"])
    bits = vc.decode_bits(listing["credentialSubject"]["encodedList"])
    assert vc.bit(bits, attest.status_index) == 0
    assert client.get("/attest/status/nergens").status_code == 404
    assert client.get("/attest/uitgevers/antwerpen").json["type"] == ["Profile"]


def test_staff_see_download_and_revoke_with_four_eyes(app, world, attest, db_session):
    second_admin(world, world.a)
    first = app.test_client()
    login_staff(first, world.a, "agency_admin")
    page = first.get(f"/beheer/attesten/{attest.id}")
    assert page.status_code == 200 and "Handtekening klopt" in page.get_data(as_text=True)
    pdf = first.get(f"/beheer/attesten/{attest.id}/attest.pdf")
    assert pdf.mimetype == "application/pdf" and pdf.data.startswith(b"%PDF")
    from pypdf import PdfReader

    assert "Kandidaat0" in PdfReader(io.BytesIO(pdf.data)).pages[0].extract_text()
    assert first.get(f"/beheer/attesten/{attest.id}/attest.vc.jwt").get_data(as_text=True) \
        == attest.credential_jwt
    assert first.post(f"/beheer/attesten/{attest.id}/intrekking",
                      data={"reason": ""}).status_code == 400
    assert first.post(f"/beheer/attesten/{attest.id}/intrekking",
                      data={"reason": "Fraude"}).status_code == 302
    assert first.post(f"/beheer/attesten/{attest.id}/intrekking/bevestigen",
                      data={"confirm": "y"}).status_code == 403  # the same person
    second = app.test_client()
    second.post("/beheer/aanmelden", data={"email": "admin2@antwerpen.test",
                                           "password": PASSWORD})
    assert second.post(f"/beheer/attesten/{attest.id}/intrekking/bevestigen",
                       data={}).status_code == 400  # not ticked
    assert second.post(f"/beheer/attesten/{attest.id}/intrekking/bevestigen",
                       data={"confirm": "y"}).status_code == 302
    db_session.expire_all()
    assert db_session.get(type(attest), attest.id).revoked_at is not None
    public = app.test_client()
    assert public.post("/attest/controle.json", json={
        "number": attest.number, "code": attest.verification_code}).json["status"] == "revoked"
    token = public.get("/attest/status/antwerpen").get_data(as_text=True)
    bits = vc.decode_bits(pyjwt.decode(token, options={"verify_signature": False})
                          ["credentialSubject"]["encodedList"])
    assert vc.bit(bits, attest.status_index) == 1
    assert "INGETROKKEN" in PdfReader(io.BytesIO(first.get(
        f"/beheer/attesten/{attest.id}/attest.pdf").data)).pages[0].extract_text()


def test_another_agency_sees_nothing(app, world, attest):
    other = app.test_client()
    login_staff(other, world.b, "agency_admin")
    for url in (f"/beheer/attesten/{attest.id}", f"/beheer/attesten/{attest.id}/attest.pdf",
                f"/beheer/attesten/{attest.id}/attest.vc.jwt"):
        assert other.get(url).status_code == 404
    assert other.post(f"/beheer/attesten/{attest.id}/intrekking",
                      data={"reason": "x"}).status_code == 404
    assert attest.number not in other.get("/beheer/attesten/").get_data(as_text=True)


def test_admins_change_the_rules_from_tomorrow(app, world, db_session):
    admin = app.test_client()
    login_staff(admin, world.a, "agency_admin")
    page = admin.get("/beheer/attesten/regels").get_data(as_text=True)
    assert "mondeling" in page and "2026-03-03" in page
    doc = ("levels: [below_A1, A1, A2, B1, B2, C1, C2]\nskills: [reading, listening]\n"
           "kinds: {}\nprofiles: {}\nretake: {waiting_days: 30}\n")
    assert admin.post("/beheer/attesten/regels", data={
        "document": doc, "effective_from": "2026-03-02", "note": ""}).status_code == 400
    assert admin.post("/beheer/attesten/regels", data={
        "document": "levels: [", "effective_from": "2026-03-03"}).status_code == 400
    assert admin.post("/beheer/attesten/regels", data={
        "document": "kinds: 5", "effective_from": "2026-03-03"}).status_code == 400
    resp = admin.post("/beheer/attesten/regels", data={
        "document": doc, "effective_from": "2026-03-03", "note": "alleen receptief"})
    assert resp.status_code == 302
    versions = db_session.scalars(select(AttestRuleSet.version).where(
        AttestRuleSet.organisation_id == world.a["org"])).all()
    assert sorted(versions) == [1, 2]
    proctor = app.test_client()
    login_staff(proctor, world.a, "proctor")
    assert proctor.get("/beheer/attesten/regels").status_code == 403


def test_an_admin_issues_from_a_result_frozen_by_the_results_service(app, world, content,
                                                                     db_session):
    from toetsbatterij.results import service as results
    from toetsbatterij.results.rules import ScoringRules

    done = finished_attempt(world, content, world.a)
    frozen = results.freeze(world.db, world.clock, content, done, lambda _db, _id: {},
                            ScoringRules.from_config({}))
    world.db.commit()
    levels = {s["skill"]: s["level"] for s in frozen.document["skills"] if s["level"]}
    assert levels  # reading and listening, from the responses
    proctor = app.test_client()
    login_staff(proctor, world.a, "proctor")
    listing = proctor.get("/beheer/attesten/").get_data(as_text=True)
    assert "Kandidaat0 Achternaam0" in listing and "Attest uitreiken" not in listing
    assert proctor.post("/beheer/attesten/uitreiken",
                        data={"result_id": frozen.id}).status_code == 403
    admin = app.test_client()
    login_staff(admin, world.a, "agency_admin")
    assert "Attest uitreiken" in admin.get("/beheer/attesten/").get_data(as_text=True)
    resp = admin.post("/beheer/attesten/uitreiken", data={"result_id": frozen.id})
    assert resp.status_code == 302 and "/beheer/attesten/" in resp.headers["Location"]
    page = admin.get(resp.headers["Location"]).get_data(as_text=True)
    assert "Handtekening klopt" in page
    from toetsbatterij.attests.models import Attest

    attest = db_session.scalar(select(Attest).where(Attest.result_id == frozen.id))
    assert attest.payload["levels"]["skills"] == levels
    assert attest.payload["result"]["inputs_hash"] == frozen.inputs_hash
    # a second issue of the same result is refused with a message, not an error page
    again = admin.post("/beheer/attesten/uitreiken", data={"result_id": frozen.id})
    assert again.status_code == 302
    assert "al een attest" in admin.get("/beheer/attesten/").get_data(as_text=True)
    other = app.test_client()
    login_staff(other, world.b, "agency_admin")
    assert other.post("/beheer/attesten/uitreiken",
                      data={"result_id": frozen.id}).status_code == 404
    for bogus in ("99999999999", "abc", "", "-1"):
        assert admin.post("/beheer/attesten/uitreiken",
                          data={"result_id": bogus}).status_code in (302, 404), bogus


def test_registration_warns_when_the_retake_policy_says_not_yet(app, world, content):
    from toetsbatterij.delivery import sessions
    from toetsbatterij.delivery.models import Candidate

    finished_attempt(world, content, world.a)  # candidate 0 took the test today
    cand = world.db.get(Candidate, world.a["candidates"][0])
    later = sessions.create_session(
        world.db, world.clock, organisation_id=world.a["org"], actor_id=None,
        location_id=world.a["location"],
        test_definition_id=world.definitions["lezen-luisteren"].id,
        starts_at=world.clock.now() + dt.timedelta(days=30),
        ends_at=world.clock.now() + dt.timedelta(days=30, hours=8))
    world.db.commit()
    admin = app.test_client()
    login_staff(admin, world.a, "agency_admin")
    data = {"first_name": cand.first_name, "last_name": cand.last_name,
            "birth_date": cand.birth_date.isoformat(), "id_kind": cand.id_kind,
            "id_number": cand.id_number, "instruction_language": "nl"}
    resp = admin.post(f"/beheer/sessies/{later.id}/kandidaten", data=data,
                      follow_redirects=True)
    html = resp.get_data(as_text=True)
    assert resp.status_code == 200 and "is ingeschreven" in html
    assert "Wachttijd na de vorige afname" in html and "31/05/2026" in html


def test_the_purpose_given_at_registration_picks_its_retake_policy(app, world, content):
    """A profile of the rules may carry its own retake policy: registering with that purpose
    applies it (here a shorter waiting time), registering without one the general policy."""
    import yaml

    from toetsbatterij.attests import rulesets
    from toetsbatterij.attests.rules import load_default_document
    from toetsbatterij.delivery import sessions
    from toetsbatterij.delivery.models import Candidate

    document = load_default_document()
    document["profiles"]["taxi"]["retake"] = {"waiting_days": 20, "max_attempts": 3,
                                              "period_days": 365, "free_attempts": 1,
                                              "technical_incident_free_retake": True}
    rulesets.add_version(world.db, world.clock, organisation_id=world.a["org"], actor_id=None,
                         document=yaml.safe_load(yaml.safe_dump(document)),
                         effective_from=world.clock.now().date() + dt.timedelta(days=1))
    finished_attempt(world, content, world.a)  # candidate 0 took the test today
    cand = world.db.get(Candidate, world.a["candidates"][0])
    later = sessions.create_session(
        world.db, world.clock, organisation_id=world.a["org"], actor_id=None,
        location_id=world.a["location"],
        test_definition_id=world.definitions["lezen-luisteren"].id,
        starts_at=world.clock.now() + dt.timedelta(days=30),
        ends_at=world.clock.now() + dt.timedelta(days=30, hours=8))
    world.db.commit()
    admin = app.test_client()
    login_staff(admin, world.a, "agency_admin")
    page = admin.get(f"/beheer/sessies/{later.id}").get_data(as_text=True)
    assert 'value="nationaliteit"' in page and "Geen of onbekend" in page
    data = {"first_name": cand.first_name, "last_name": cand.last_name,
            "birth_date": cand.birth_date.isoformat(), "id_kind": cand.id_kind,
            "id_number": cand.id_number, "instruction_language": "nl", "purpose": "taxi"}
    assert admin.post(f"/beheer/sessies/{later.id}/kandidaten", data={**data,
                                                                    "purpose": "feest"}
                      ).status_code == 400
    html = admin.post(f"/beheer/sessies/{later.id}/kandidaten", data=data,
                      follow_redirects=True).get_data(as_text=True)
    assert "is ingeschreven" in html and "Wachttijd na de vorige afname" not in html
    registered = world.db.scalars(select(Candidate).where(
        Candidate.exam_session_id == later.id)).one()
    assert registered.purpose == "taxi"
