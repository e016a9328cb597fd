"""No GET route writes to the database: every GET rule of the URL map is requested (by every
kind of user that can reach it, mid-exam, with a section whose time ran out) while the write
statements on the engine are counted. A new GET route without a request here fails the test."""

from __future__ import annotations

import re

import pytest
from delivery_support import candidate_login, form_for, login_staff
from sqlalchemy import event, select

from toetsbatterij.attests import wallet
from toetsbatterij.delivery.models import Attempt, Candidate, Presentation

WRITES = re.compile(r"^\s*(INSERT|UPDATE|DELETE|CREATE|DROP|ALTER)\b", re.IGNORECASE)
# The one exception: the partner API writes every read to its read log, in a transaction of
# its own (web/partner_api.py); the request's own unit of work stays read-only. Nothing else.
READ_LOG_WRITES = re.compile(r"^INSERT INTO (partner_read|partner_read_person) ")


class WriteCounter:
    def __init__(self, engine) -> None:
        self.engine, self.statements = engine, []

    def __enter__(self):
        event.listen(self.engine, "before_cursor_execute", self._count)
        return self

    def __exit__(self, *exc) -> None:
        event.remove(self.engine, "before_cursor_execute", self._count)

    def _count(self, _conn, _cursor, statement, *_args) -> None:
        if WRITES.match(statement):
            self.statements.append(statement.split("\n")[0][:120])


def _released_result(world, content) -> int:
    from delivery_support import take_attempt

    from toetsbatterij.delivery import attempts
    from toetsbatterij.delivery.models import Candidate
    from toetsbatterij.reports import service as reports
    from toetsbatterij.results import service as results
    from toetsbatterij.results.rules import ScoringRules

    attempt = take_attempt(world, content, world.a, 2)
    result = results.freeze(world.db, world.clock, content, attempt, lambda _db, _a: {},
                            ScoringRules())
    reports.release(world.db, world.clock, organisation_id=world.a["org"],
                    result_ids=[result.id], actor_id=None)
    attempts.release_device(world.db, world.clock, world.db.get(Candidate, attempt.candidate_id),
                            actor_id=None)
    world.db.commit()
    return result.id


def test_no_get_route_writes(app, world, content, db_session):
    world.open(world.a)
    engine = app.extensions["toetsbatterij"].engine
    sid, cid = world.a["session"], world.a["candidates"][0]
    cand = app.test_client()
    candidate_login(cand, world.a)
    cand.post("/toets/verder", data={"step": "practice"})
    practice = cand.get("/toets").get_data(as_text=True)
    cand.post("/toets/antwoord", data=form_for(cand, practice, content))
    html = cand.get("/toets").get_data(as_text=True)
    play = re.search(r'data-play-url="([^"]+)"', html)
    media = cand.post(play.group(1)).json["url"] if play else None
    staff = {role: app.test_client() for role in ("agency_admin", "proctor", "rater",
                                                   "psychometrician")}
    for role, client in staff.items():
        login_staff(client, world.a, role)
    rating = _rating_pages(app, world, content)
    # A finished attempt with a released result, and its candidate in a browser of their own.
    rid = _released_result(world, content)
    done = app.test_client()
    candidate_login(done, world.a, 2)
    readers = [staff["agency_admin"], staff["psychometrician"]]
    from attest_support import issue as issue_attest

    # An attest issued from that result, and a verifier's browser.
    attest = issue_attest(world, app.extensions["toetsbatterij"].signer, None, world.a, rid)
    aid, public = attest.id, app.test_client()
    # A person with a trajectory (its NT2 linked to that attest) and a declaration of effort.
    from toetsbatterij.trajectories import certificates
    from toetsbatterij.trajectories import service as trajectories

    pid = db_session.get(Candidate, cid).person_id
    tid = trajectories.create_trajectory(
        world.db, world.clock, organisation_id=world.a["org"],
        actor_id=world.a["staff"]["agency_admin"], person_id=pid, kind="voluntary",
        start_date="2025-01-01").id
    certificate = certificates.issue_declaration(
        world.db, world.clock, app.extensions["toetsbatterij"].signer,
        organisation_id=world.a["org"], actor_id=world.a["staff"]["agency_admin"],
        trajectory_id=tid, reason="inzet", base_url="https://x.test")
    world.db.commit()
    from toetsbatterij.complaints import service as complaints
    from toetsbatterij.results.models import Result

    complaint = complaints.record_complaint(
        world.db, world.clock, content, organisation_id=world.a["org"],
        actor_id=world.a["staff"]["agency_admin"],
        attempt_id=db_session.get(Result, rid).attempt_id, subject="result",
        skills=["reading"], channel="letter", received_on=None, text="Klacht")
    world.db.commit()
    kid = complaint.id
    partner_id, ref, partner_token = _partner(world)
    api = {"Authorization": f"Bearer {partner_token}"}
    requests = {
        "static": [(cand, "/static/app.css")],
        "staff.login": [(app.test_client(), "/beheer/aanmelden")],
        "staff.dashboard": [(c, "/beheer/") for c in staff.values()],
        "staff.new_session": [(staff["proctor"], "/beheer/sessies/nieuw")],
        "staff.session_detail": [(staff["proctor"], f"/beheer/sessies/{sid}")],
        "staff.room": [(staff["proctor"], f"/beheer/sessies/{sid}/zaal")],
        "staff.room_json": [(staff["proctor"], f"/beheer/sessies/{sid}/zaal.json")],
        "staff.pause_room": [(staff["proctor"], f"/beheer/sessies/{sid}/zaal/pauze")],
        "staff.release_device": [(staff["proctor"], f"/beheer/kandidaten/{cid}/vrijgeven")],
        "staff.end_attempt": [(staff["proctor"], f"/beheer/kandidaten/{cid}/beeindigen")],
        "staff.extra_time": [(staff["proctor"], f"/beheer/kandidaten/{cid}/extra-tijd")],
        "staff.candidate_accommodations": [
            (staff["agency_admin"], f"/beheer/kandidaten/{cid}/aanpassingen")],
        "staff.locations": [(staff["agency_admin"], "/beheer/locaties")],
        "staff.staff_accounts": [(staff["agency_admin"], "/beheer/personeel")],
        "staff.audit": [(staff["agency_admin"], "/beheer/audit")],
        "results.result_list": [(c, "/beheer/resultaten?status=all") for c in readers],
        "results.result_csv": [(c, "/beheer/resultaten.csv") for c in readers],
        "results.session_results": [(c, f"/beheer/sessies/{sid}/resultaten") for c in readers],
        "results.session_csv": [(c, f"/beheer/sessies/{sid}/resultaten.csv") for c in readers],
        "results.result_detail": [(c, f"/beheer/resultaten/{rid}") for c in readers],
        "results.report_preview": [(staff["agency_admin"], f"/beheer/resultaten/{rid}/rapport")],
        "results.report_pdf": [(staff["agency_admin"], f"/beheer/resultaten/{rid}/rapport.pdf")],
        "results.release_result": [(staff["agency_admin"], f"/beheer/resultaten/{rid}/vrijgeven")],
        "results.release_session": [
            (staff["agency_admin"], f"/beheer/sessies/{sid}/resultaten/vrijgeven")],
        "report.candidate_report": [(done, "/toets/resultaat"), (cand, "/toets/resultaat")],
        "report.candidate_report_pdf": [(done, "/toets/resultaat.pdf")],
        "candidate.login": [(app.test_client(), "/"), (cand, "/")],
        "candidate.screen": [(cand, "/toets"), (done, "/toets")],
        "candidate.status": [(cand, "/toets/status.json")],
        "candidate.media": [(cand, media)] if media else [],
        "health": [(cand, "/gezondheid")],
        "rating.rate": [(staff["rater"], f"/beheer/beoordelen/{rating['token']}")],
        "rating.audio": [(staff["rater"], f"/beheer/beoordelen/{rating['token']}/opname/1")],
        "rating.raters": [(staff["agency_admin"], "/beheer/beoordelaars")],
        "rating.calibration_sets": [(c, "/beheer/kalibratie") for c in
                                    (staff["agency_admin"], staff["psychometrician"])],
        "rating.calibration_set": [(staff["psychometrician"],
                                    f"/beheer/kalibratie/{rating['set_id']}")],
        "rating.controls": [(staff["agency_admin"], "/beheer/controles")],
        "rating.statistics": [(c, "/beheer/beoordelaars/statistieken") for c in
                              (staff["agency_admin"], staff["psychometrician"])],
        "rating.candidate_audio": [(staff["agency_admin"],
                                    f"/beheer/referenties/kandidaat/{rating['task_id']}/opname/1")],
        "attest_public.jwks": [(public, "/.well-known/jwks.json")],
        "attest_public.verify_form": [(public, "/attest")],
        "attest_public.verify_link": [
            (public, f"/attest/{attest.number}?code={attest.verification_code}")],
        "attest_public.status_list": [(public, "/attest/status/antwerpen")],
        "attest_public.issuer_profile": [(public, "/attest/uitgevers/antwerpen")],
        "survey.survey_form": [(cand, "/toets/vragenlijst")],
        "monitoring.overview": [(staff["agency_admin"], "/beheer/monitoring/"),
                                (staff["psychometrician"], "/beheer/monitoring/?taal=nl")],
        "monitoring.figures_csv": [(staff["agency_admin"], "/beheer/monitoring/cijfers.csv")],
        "monitoring.monthly_report": [(staff["agency_admin"],
                                       "/beheer/monitoring/maandrapport.pdf?maand=2026-03")],
        "monitoring.survey_summary": [(staff["agency_admin"], "/beheer/monitoring/tevredenheid"),
                                      (staff["psychometrician"],
                                       "/beheer/monitoring/tevredenheid?per=month")],
        "monitoring.survey_csv": [(staff["agency_admin"],
                                   "/beheer/monitoring/tevredenheid.csv?per=language")],
        "attest_public.wallet_issuer_metadata": [
            (public, "/.well-known/openid-credential-issuer")],
        "attest_public.wallet_authorization_server": [
            (public, "/.well-known/oauth-authorization-server")],
        "attest_public.wallet_offer": [(public, "/openid4vci/credential-offer/" + str(
            wallet.pre_authorized_code(app.config["SECRET_KEY"], world.clock,
                                       number=attest.number, code=attest.verification_code)))],
        "attests.index": [(staff["agency_admin"], "/beheer/attesten/"),
                          (staff["proctor"], "/beheer/attesten/")],
        "attests.detail": [(staff["agency_admin"], f"/beheer/attesten/{aid}"),
                           (staff["proctor"], f"/beheer/attesten/{aid}")],
        "attests.pdf": [(staff["agency_admin"], f"/beheer/attesten/{aid}/attest.pdf")],
        "attests.credential": [(staff["proctor"], f"/beheer/attesten/{aid}/attest.vc.jwt")],
        "attests.rules": [(staff["agency_admin"], "/beheer/attesten/regels")],
        # persons and trajectories
        "persons.index": [(staff["proctor"], "/beheer/personen/?q=kandidaat")],
        "persons.new": [(staff["proctor"], "/beheer/personen/nieuw")],
        "persons.detail": [(staff["agency_admin"], f"/beheer/personen/{pid}"),
                           (staff["proctor"], f"/beheer/personen/{pid}")],
        "persons.edit": [(staff["proctor"], f"/beheer/personen/{pid}/wijzigen")],
        "intake.page": [(staff["proctor"], f"/beheer/intake/{pid}")],
        "persons.matches": [(staff["proctor"], "/beheer/personen/koppelingen")],
        "trajectories.index": [(staff["agency_admin"], "/beheer/trajecten/")],
        "trajectories.detail": [(staff["agency_admin"], f"/beheer/trajecten/{tid}")],
        "trajectories.certificate": [
            (staff["agency_admin"], f"/beheer/trajecten/inburgeringsattesten/{certificate.id}")],
        "trajectories.certificate_pdf": [
            (staff["agency_admin"],
             f"/beheer/trajecten/inburgeringsattesten/{certificate.id}/document.pdf")],
        "trajectories.certificate_credential": [
            (staff["agency_admin"],
             f"/beheer/trajecten/inburgeringsattesten/{certificate.id}/document.vc.jwt")],
        "certificate_public.verify_form": [(public, "/inburgeringsattest")],
        "certificate_public.verify_link": [
            (public, f"/inburgeringsattest/{certificate.number}"
                     f"?code={certificate.verification_code}")],
        "complaints.index": [(staff["agency_admin"], "/beheer/klachten/"),
                             (staff["proctor"], "/beheer/klachten/?alle=1")],
        "complaints.new": [(staff["proctor"], "/beheer/klachten/nieuw?afname=1")],
        "complaints.detail": [(staff["agency_admin"], f"/beheer/klachten/{kid}"),
                              (staff["proctor"], f"/beheer/klachten/{kid}")],
        "inzage.show": [(staff["agency_admin"], f"/beheer/inzage/{rid}")],
        "inzage.recording": [(staff["agency_admin"], f"/beheer/inzage/{rid}/opname/1/1")],
        "complaint_public.form": [(public, "/klacht"), (public, "/klacht?taal=ar")],
        "partners.index": [(staff["agency_admin"], "/beheer/partners/")],
        "partners.detail": [(staff["agency_admin"], f"/beheer/partners/{partner_id}")],
        "partners.read_log": [(staff["agency_admin"], f"/beheer/partners/leeslog?partner={partner_id}")],
        "partner_api.openapi_document": [(public, "/api/partner/v1/openapi.json")],
        "partner_api.me": [(public, "/api/partner/v1/me", api)],
        "partner_api.list_persons": [(public, "/api/partner/v1/persons", api),
                                     (public, "/api/partner/v1/persons", {})],
        "partner_api.get_person": [(public, f"/api/partner/v1/persons/{ref}", api)],
        "partner_api.get_trajectory": [(public, f"/api/partner/v1/persons/{ref}/trajectory",
                                        api)],
        "partner_api.get_nt2": [(public, f"/api/partner/v1/persons/{ref}/nt2", api)],
        "partner_api.get_attests": [(public, f"/api/partner/v1/persons/{ref}/attests", api)],
    }
    studio = _studio_takes(app, world, content)
    requests.update({
        "studio.index": [(staff["psychometrician"], "/beheer/studio")],
        "studio.record": [(staff["psychometrician"], f"/beheer/studio/opnemen?stimulus={studio}")],
        "studio.take_audio": [(staff["psychometrician"],
                               f"/beheer/studio/opname/beluisteren?stimulus={studio}&turn=0")],
        "studio.preview": [(staff["psychometrician"], f"/beheer/studio/voorbeeld?stimulus={studio}")],
    })
    get_rules = {r.endpoint for r in app.url_map.iter_rules() if "GET" in r.methods}
    assert get_rules <= set(requests), f"GET routes without a write check: {get_rules - set(requests)}"
    assert all(requests[e] for e in get_rules - {"candidate.media"}) and media

    def check_all(moment: str) -> None:
        for endpoint, calls in requests.items():
            for client, url, *headers in calls:
                with WriteCounter(engine) as counter:
                    resp = client.get(url, headers=headers[0] if headers else None)
                    resp.close()
                assert resp.status_code < 500, (endpoint, url, resp.status_code)
                writes = counter.statements
                if endpoint.startswith("partner_api.") and endpoint != "partner_api.openapi_document":
                    logged = [w for w in writes if READ_LOG_WRITES.match(w)]
                    assert bool(logged) == (resp.status_code == 200), (endpoint, url, writes)
                    writes = [w for w in writes if w not in logged]
                assert writes == [], (moment, endpoint, url, writes)

    check_all("practice")
    # In a section whose time has run out: the GETs show the next screen without closing it.
    html = cand.get("/toets").get_data(as_text=True)
    while "section_index" not in html:  # answer the rest of the practice block
        cand.post("/toets/antwoord", data=form_for(cand, html, content))
        html = cand.get("/toets").get_data(as_text=True)
    cand.post("/toets/verder", data={"step": "section", "section_index": "0"})
    for _ in range(4):  # the page keeps polling (a read) while the time runs out
        world.clock.advance(minutes=30)
        assert cand.get("/toets/status.json").status_code == 200
    check_all("section expired")
    assert "section_index" in cand.get("/toets").get_data(as_text=True)  # next section's intro

    mid_exam = db_session.scalar(select(Attempt.id).where(Attempt.candidate_id == cid))
    open_pres = db_session.scalar(select(Presentation).where(Presentation.section_index == 0,
                                                             Presentation.attempt_id == mid_exam)
                                  .order_by(Presentation.position))
    assert open_pres is not None and open_pres.answered_at is None  # nothing was closed by a GET


def _partner(world):
    """A partner of agency A with every scope and a token, and a person shared with it."""
    import datetime as dt

    from toetsbatterij.partners import service as partners
    from toetsbatterij.persons.models import Person

    org = world.a["org"]
    person = Person(organisation_id=org, first_name="Amina", last_name="El Idrissi",
                    birth_date=dt.date(1990, 5, 17), id_kind="foreign", id_number="P1234567",
                    id_country="MA", email="", phone="", instruction_language="nl",
                    created_at=world.clock.now())
    world.db.add(person)
    world.db.flush()
    partner = partners.create_partner(world.db, world.clock, organisation_id=org, actor_id=None,
                                      name="VDAB", kind="work", scopes=list(partners.SCOPES))
    token = partners.create_token(world.db, world.clock, organisation_id=org, actor_id=None,
                                  partner_id=partner.id)
    shared = partners.share(world.db, world.clock, organisation_id=org, actor_id=None,
                            partner_id=partner.id, person_id=person.id)
    world.db.commit()
    return partner.id, shared.person_ref, token.secret


def _rating_pages(app, world, content):
    """A resolved speaking production (two raters), another one the world's rater is rating,
    and a calibration set of the agency: what the rating GET routes show."""
    from pathlib import Path

    from rating_support import finished_attempt, rate_all, rater

    from toetsbatterij.accounts.models import StaffAccount
    from toetsbatterij.productions.storage import storage_for
    from toetsbatterij.rating import calibration, service
    from toetsbatterij.rating.models import RatingTask

    store = storage_for(app.config, Path(app.instance_path))
    finished_attempt(world, content, store, world.a)
    for name in ("r1", "r2"):
        rate_all(world, content, rater(world, world.a, name, skills=("speaking",)))
    resolved = world.db.scalar(select(RatingTask).where(RatingTask.skill == "speaking",
                                                        RatingTask.status == "resolved"))
    finished_attempt(world, content, store, world.a, number=1)
    mine = world.db.get(StaffAccount, world.a["staff"]["rater"])
    calibration.decide_admission(world.db, world.clock, organisation_id=world.a["org"],
                                 actor_id=None, rater_id=mine.id, skill="speaking",
                                 admitted=True, reason="test")
    assignment = service.next_assignment(world.db, world.clock, content, mine,
                                         service.RatingPolicy(control_rate=0.0))
    cal_set = calibration.create_set(world.db, world.clock, organisation_id=world.a["org"],
                                     actor_id=None, skill="speaking", name="Spreken")
    world.db.commit()
    return {"token": assignment.token, "task_id": resolved.id, "set_id": cal_set.id}


def _studio_takes(app, world, content):
    """A take and a preview in the psychometrician's studio folder (the instance folder; the
    shared test bank is not touched): what the studio's GET routes serve."""
    from studio_support import take

    studio = app.extensions["toetsbatterij.studio"]
    account = world.a["staff"]["psychometrician"]
    studio.save_take(content.bank, world.clock, account, "L-A1-T001", 0, take(1.5),
                     "audio/webm;codecs=opus")
    studio.assemble_preview(content.bank, account, "L-A1-T001")
    return "L-A1-T001"


def test_a_write_in_a_get_request_is_refused(app):
    from toetsbatterij.organisations.models import Organisation
    from toetsbatterij.web.unit_of_work import ReadOnlyRequestError, db

    with app.test_request_context("/beheer/", method="GET"):
        session = db()
        session.add(Organisation(code="x", name="x"))
        with pytest.raises(ReadOnlyRequestError):
            session.flush()
