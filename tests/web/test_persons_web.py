"""The staff pages of persons, matches, trajectories and certificates over HTTP, the public
certificate check, the CSV exports, and that one agency never reaches another's."""

from __future__ import annotations

import csv
import io
import re

from attest_support import LEVELS, FakeResults, finished_attempt
from attest_support import issue as issue_attest
from delivery_support import login_staff
from sqlalchemy import select

from toetsbatterij.audit.models import AuditEntry
from toetsbatterij.delivery.identity import make_national_number
from toetsbatterij.delivery.models import Candidate
from toetsbatterij.persons.models import Person, PersonMatch
from toetsbatterij.trajectories.models import CivicCertificate, Trajectory


def person_of(world, i=0):
    return world.db.get(Candidate, world.a["candidates"][i]).person_id


def attested(app, world, content):
    results = FakeResults(world.db, world.clock)
    done = finished_attempt(world, content, world.a)
    return issue_attest(world, app.extensions["toetsbatterij"].signer, results, world.a,
                        results.add(world.a["org"], done.id, LEVELS))


def test_a_likely_match_at_registration_waits_for_staff(app, world, client):
    login_staff(client, world.a, "proctor")
    cand = world.db.get(Candidate, world.a["candidates"][0])
    resp = client.post(f"/beheer/sessies/{world.a['session']}/kandidaten", data={
        "first_name": cand.first_name.upper(), "last_name": cand.last_name,
        "birth_date": cand.birth_date.isoformat(), "id_kind": "foreign",
        "id_number": "P7654321", "id_country": "MA", "instruction_language": "nl",
        "extra_time_percent": "0", "extra_audio_plays": "0", "speaking_prep_percent": "0"},
        follow_redirects=True)
    assert resp.status_code == 200
    assert "lijken op een bestaande persoon" in resp.get_data(as_text=True)
    page = client.get("/beheer/personen/koppelingen").get_data(as_text=True)
    assert "P7654321" in page and cand.last_name in page
    match = world.db.scalars(select(PersonMatch)).one()
    new = world.db.get(Candidate, match.candidate_id)
    assert new.person_id is None
    resp = client.post(f"/beheer/personen/koppelingen/{match.id}/bevestigen")
    assert resp.status_code == 302
    world.db.expire_all()
    assert world.db.get(Candidate, new.id).person_id == cand.person_id
    assert "Geen mogelijke overeenkomsten" in client.get("/beheer/personen/koppelingen") \
        .get_data(as_text=True)
    # twice: refused with a message, nothing changes
    resp = client.post(f"/beheer/personen/koppelingen/{match.id}/weigeren",
                       follow_redirects=True)
    assert "al beslist" in resp.get_data(as_text=True)


def test_create_edit_and_find_a_person(app, world, client):
    login_staff(client, world.a, "proctor")
    number = make_national_number(__import__("datetime").date(1979, 11, 3), 55, kind="bis")
    data = {"first_name": "Oleksandr", "last_name": "Kovalenko", "birth_date": "1979-11-03",
            "id_kind": "bis", "id_number": number[:9] + "00", "instruction_language": "uk"}
    resp = client.post("/beheer/personen/nieuw", data=data)
    assert resp.status_code == 400 and "controlegetal" in resp.get_data(as_text=True)
    assert 'value="Kovalenko"' in resp.get_data(as_text=True)  # what was typed stays
    resp = client.post("/beheer/personen/nieuw", data=data | {"id_number": number,
                                                             "email": "o@k.be"})
    assert resp.status_code == 302
    person = world.db.scalars(select(Person).where(Person.last_name == "Kovalenko")).one()
    assert client.get("/beheer/personen/?q=koval").get_data(as_text=True).count(
        f"/beheer/personen/{person.id}") == 1
    resp = client.post(f"/beheer/personen/{person.id}/wijzigen",
                       data=data | {"id_number": number, "phone": "+32 470 00 00 00"})
    assert resp.status_code == 302
    world.db.expire_all()
    assert world.db.get(Person, person.id).phone == "+32 470 00 00 00"
    assert client.get(f"/beheer/personen/{person.id}/wijzigen").status_code == 200


def test_the_person_page_shows_sessions_results_attests_and_trajectory(app, world, client,
                                                                       content):
    attest = attested(app, world, content)
    login_staff(client, world.a, "agency_admin")
    person_id = person_of(world)
    page = client.get(f"/beheer/personen/{person_id}").get_data(as_text=True)
    assert world.a["session_code"] in page
    assert f"/beheer/attesten/{attest.id}" in page
    assert "/beheer/resultaten/" in page  # results: admins only
    assert "Traject starten" in page
    resp = client.post(f"/beheer/trajecten/nieuw/{person_id}", data={
        "kind": "obliged", "legal_ground": "Decreet art. 27", "start_date": "2025-09-01",
        "mo": "y", "nt2": "y", "career": "y", "participation": "y"})
    assert resp.status_code == 302
    trajectory = world.db.scalars(select(Trajectory)).one()
    page = client.get(f"/beheer/personen/{person_id}").get_data(as_text=True)
    assert f"/beheer/trajecten/{trajectory.id}" in page
    # a proctor sees the person but not the results or the trajectory pages
    proctor = app.test_client()
    login_staff(proctor, world.a, "proctor")
    page = proctor.get(f"/beheer/personen/{person_id}").get_data(as_text=True)
    assert "/beheer/resultaten/" not in page and f"/beheer/trajecten/{trajectory.id}" not in page
    assert proctor.get(f"/beheer/trajecten/{trajectory.id}").status_code == 403


def test_the_trajectory_flow_to_a_verifiable_certificate(app, world, client, content):
    login_staff(client, world.a, "agency_admin")
    person_id = person_of(world)
    client.post(f"/beheer/trajecten/nieuw/{person_id}", data={
        "kind": "voluntary", "start_date": "2025-09-01", "mo": "y", "nt2": "y"})
    trajectory = world.db.scalars(select(Trajectory)).one()
    url = f"/beheer/trajecten/{trajectory.id}"
    page = client.get(url).get_data(as_text=True)
    assert "Wat ontbreekt" in page and "er is geen geldig attest gekoppeld" in page
    attested(app, world, content)  # linked to the NT2 component by identity
    from toetsbatterij.trajectories import service as trajectories

    comps = {c.kind: c for c in trajectories.components(world.db, trajectory.id)}
    assert comps["nt2"].attest_id is not None
    resp = client.post(f"/beheer/trajecten/onderdelen/{comps['mo'].id}/status",
                       data={f"e{comps['mo'].id}-status": "passed",
                             f"e{comps['mo'].id}-occurred_on": "2026-01-15",
                             f"e{comps['mo'].id}-note": "POP afgerond"})
    assert resp.status_code == 302
    resp = client.post(f"{url}/onderdelen", data={"add-kind": "career"})
    resp = client.post(f"{url}/onderdelen", data={"add-kind": "participation"})
    comps = {c.kind: c for c in trajectories.components(world.db, trajectory.id)}
    for kind in ("career", "participation"):
        client.post(f"/beheer/trajecten/onderdelen/{comps[kind].id}/status",
                    data={f"e{comps[kind].id}-status": "passed",
                          f"e{comps[kind].id}-occurred_on": "2026-02-01"})
    page = client.get(url).get_data(as_text=True)
    assert "De regel is voldaan." in page
    resp = client.post(f"{url}/inburgeringsattest")  # without the ticked decision
    assert world.db.scalar(select(CivicCertificate.id)) is None
    resp = client.post(f"{url}/inburgeringsattest", data={"issue-confirm": "y"})
    assert resp.status_code == 302
    row = world.db.scalars(select(CivicCertificate)).one()
    detail = client.get(resp.headers["Location"]).get_data(as_text=True)
    assert "Handtekening klopt" in detail
    pdf = client.get(f"/beheer/trajecten/inburgeringsattesten/{row.id}/document.pdf")
    assert pdf.data.startswith(b"%PDF")
    vc = client.get(f"/beheer/trajecten/inburgeringsattesten/{row.id}/document.vc.jwt")
    assert vc.data.count(b".") == 2
    # the public check (the QR address opens the form filled in)
    public = app.test_client()
    form = public.get(f"/inburgeringsattest/{row.number}?code={row.verification_code}")
    assert row.verification_code in form.get_data(as_text=True)
    person = world.db.get(Person, person_id)
    answer = public.post("/inburgeringsattest/controle", data={
        "number": row.number, "code": row.verification_code,
        "birth_date": person.birth_date.isoformat()}).get_data(as_text=True)
    assert "Geldig inburgeringsattest" in answer and person.last_name in answer
    answer = public.post("/inburgeringsattest/controle", data={
        "number": row.number, "code": "AAAAAA"}).get_data(as_text=True)
    assert "Onbekend" in answer
    # the exports (POST, audited)
    resp = client.post("/beheer/trajecten/export/trajecten.csv")
    rows = list(csv.DictReader(io.StringIO(resp.get_data(as_text=True).lstrip("\ufeff")),
                               delimiter=";"))
    assert rows[0]["inburgeringsattest"] == row.number
    resp = client.post("/beheer/trajecten/export/inburgeringsattesten.csv")
    assert row.number in resp.get_data(as_text=True)
    actions = set(world.db.scalars(select(AuditEntry.action)))
    assert {"trajectory.create", "trajectory.status", "trajectory.link_attest",
            "certificate.issue_certificate", "trajectory.export",
            "certificate.export"} <= actions


def test_a_declaration_is_refused_without_a_decision_and_issued_with_one(app, world, client):
    login_staff(client, world.a, "agency_admin")
    client.post(f"/beheer/trajecten/nieuw/{person_of(world)}", data={
        "kind": "voluntary", "start_date": "2025-09-01", "mo": "y", "nt2": "y"})
    trajectory = world.db.scalars(select(Trajectory)).one()
    url = f"/beheer/trajecten/{trajectory.id}/verklaring"
    resp = client.post(url, data={"decl-reason": "", "decl-confirm": "y"})
    assert resp.status_code == 400 and "Beschrijf de beslissing" in resp.get_data(as_text=True)
    resp = client.post(url, data={"decl-reason": "Drie jaar NT2 gevolgd.", "decl-confirm": "y"})
    assert resp.status_code == 302
    assert world.db.scalars(select(CivicCertificate)).one().kind == "effort_declaration"


def test_another_agency_sees_nothing(app, world, client, content):
    login_staff(client, world.a, "agency_admin")
    client.post(f"/beheer/trajecten/nieuw/{person_of(world)}", data={
        "kind": "voluntary", "start_date": "2025-09-01", "mo": "y", "nt2": "y"})
    trajectory = world.db.scalars(select(Trajectory)).one()
    other = app.test_client()
    login_staff(other, world.b, "agency_admin")
    assert other.get(f"/beheer/personen/{person_of(world)}").status_code == 404
    assert other.get(f"/beheer/trajecten/{trajectory.id}").status_code == 404
    listing = other.get("/beheer/personen/").get_data(as_text=True)
    assert f'/beheer/personen/{person_of(world)}"' not in listing
    assert other.post(f"/beheer/trajecten/{trajectory.id}/afsluiten",
                      data={"close-reason": "x"}).status_code == 404
    exported = other.post("/beheer/trajecten/export/trajecten.csv").get_data(as_text=True)
    assert len(exported.strip().splitlines()) == 1  # the header only
    assert re.search(rf"/beheer/trajecten/{trajectory.id}\b",
                     other.get("/beheer/trajecten/").get_data(as_text=True)) is None
