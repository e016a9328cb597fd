"""No GET route writes to the database: every GET rule of the URL map is requested (by every
kind of user that can reach it, mid-exam, with a section whose time ran out) while the write
statements on the engine are counted. A new GET route without a request here fails the test."""

from __future__ import annotations

import re

import pytest
from delivery_support import candidate_login, form_for, login_staff
from sqlalchemy import event, select

from toetsbatterij.delivery.models import Attempt, Presentation

WRITES = re.compile(r"^\s*(INSERT|UPDATE|DELETE|CREATE|DROP|ALTER)\b", re.IGNORECASE)


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
    from attest_support import FakeResults, finished_attempt
    from attest_support import issue as issue_attest

    results = FakeResults(world.db, world.clock)
    world.a["opened"] = True
    done = finished_attempt(world, content, world.a, 2)
    attest = issue_attest(world, app.extensions["toetsbatterij"].signer, results, world.a,
                          results.add(world.a["org"], done.id, {"reading": "A2"}))
    aid, public = attest.id, app.test_client()
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
        "candidate.login": [(app.test_client(), "/"), (cand, "/")],
        "candidate.screen": [(cand, "/toets")],
        "candidate.status": [(cand, "/toets/status.json")],
        "candidate.media": [(cand, media)] if media else [],
        "health": [(cand, "/gezondheid")],
        "attest_public.jwks": [(public, "/.well-known/jwks.json")],
        "attest_public.verify_form": [(public, "/attest")],
        "attest_public.verify_link": [
            (public, f"/attest/{attest.number}?code={attest.verification_code}")],
        "attest_public.status_list": [(public, "/attest/status/antwerpen")],
        "attest_public.issuer_profile": [(public, "/attest/uitgevers/antwerpen")],
        "attests.index": [(staff["agency_admin"], "/beheer/attesten/"),
                          (staff["proctor"], "/beheer/attesten/")],
        "attests.detail": [(staff["agency_admin"], f"/beheer/attesten/{aid}"),
                           (staff["proctor"], f"/beheer/attesten/{aid}")],
        "attests.pdf": [(staff["agency_admin"], f"/beheer/attesten/{aid}/attest.pdf")],
        "attests.credential": [(staff["proctor"], f"/beheer/attesten/{aid}/attest.vc.jwt")],
        "attests.rules": [(staff["agency_admin"], "/beheer/attesten/regels")],
    }
    get_rules = {r.endpoint for r in app.url_map.iter_rules() if "GET" in r.methods}
    assert get_rules <= set(requests), f"GET routes without a write check: {get_rules - set(requests)}"
    assert all(requests[e] for e in get_rules - {"candidate.media"}) and media

    def check_all(moment: str) -> None:
        for endpoint, calls in requests.items():
            for client, url in calls:
                with WriteCounter(engine) as counter:
                    resp = client.get(url)
                    resp.close()
                assert resp.status_code < 500, (endpoint, url, resp.status_code)
                assert counter.statements == [], (moment, endpoint, url, counter.statements)

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
    open_pres = db_session.scalar(select(Presentation).join(
        Attempt, Attempt.id == Presentation.attempt_id).where(
        Presentation.section_index == 0, Attempt.candidate_id == cid))
    assert open_pres is not None and open_pres.answered_at is None  # nothing was closed by a GET


def test_a_write_in_a_get_request_is_refused(app):
    from toetsbatterij.organisations.models import Organisation
    from toetsbatterij.web.unit_of_work import ReadOnlyRequestError, db

    with app.test_request_context("/beheer/", method="GET"):
        session = db()
        session.add(Organisation(code="x", name="x"))
        with pytest.raises(ReadOnlyRequestError):
            session.flush()
