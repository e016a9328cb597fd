"""Admission: a candidate who logged in waits on a calm screen until the proctor admits them
after the identity check (one click per candidate, or for a selection / the whole room)."""

from __future__ import annotations

from delivery_support import candidate_login, login_staff
from sqlalchemy import select

from toetsbatterij.audit.models import AuditEntry
from toetsbatterij.delivery.models import Candidate


def _unadmitted(world, db_session, n=2):
    cands = [world.candidate(world.a["org"], world.a["session"], 20 + i, admit=False)
             for i in range(n)]
    world.db.commit()
    world.open(world.a, admit=False)
    return cands


def test_candidate_waits_until_admitted(app, world, db_session):
    cand = _unadmitted(world, db_session, 1)[0]
    client = app.test_client()
    client.post("/aanmelden", data={"session_code": world.a["session_code"],
                                    "access_code": cand.access_code})
    page = client.get("/toets").get_data(as_text=True)
    assert 'id="waiting"' in page and "controleert uw identiteit" in page
    assert client.get("/toets/status.json").json["kind"] == "waiting"
    client.post("/toets/verder", data={"step": "practice"})  # refused silently: still waiting
    assert client.get("/toets/status.json").json["kind"] == "waiting"
    proctor = app.test_client()
    login_staff(proctor, world.a, "proctor")
    room = proctor.get(f"/beheer/sessies/{world.a['session']}/zaal").get_data(as_text=True)
    assert "Toelaten (identiteit gecontroleerd)" in room
    row = next(r for r in proctor.get(f"/beheer/sessies/{world.a['session']}/zaal.json")
               .json["candidates"] if r["candidate_id"] == cand.id)
    assert row["admitted"] is False and row["state"] == "admission"
    assert proctor.post(f"/beheer/kandidaten/{cand.id}/toelaten").status_code == 302
    assert client.get("/toets/status.json").json["kind"] == "instructions"
    events = proctor.get(f"/beheer/sessies/{world.a['session']}/zaal.json").json["events"]
    assert any("toegelaten door" in e["text"] and e["time"] for e in events)
    assert db_session.scalar(select(AuditEntry).where(AuditEntry.action == "candidate.admit",
                                                      AuditEntry.object_id == cand.id))


def test_admit_a_selection_or_the_whole_room(app, world, db_session):
    a, b = _unadmitted(world, db_session, 2)
    proctor = app.test_client()
    login_staff(proctor, world.a, "proctor")
    url = f"/beheer/sessies/{world.a['session']}/zaal/toelaten"
    assert proctor.post(url, data={"candidate_id": [str(a.id)]}).status_code == 302
    db_session.expire_all()
    assert db_session.get(Candidate, a.id).admitted_at is not None
    assert db_session.get(Candidate, b.id).admitted_at is None
    assert proctor.post(url).status_code == 302
    db_session.expire_all()
    assert db_session.get(Candidate, b.id).admitted_at is not None


def test_admitted_before_login_goes_straight_to_the_instructions(app, world, db_session):
    cand = _unadmitted(world, db_session, 1)[0]
    proctor = app.test_client()
    login_staff(proctor, world.a, "proctor")
    proctor.post(f"/beheer/kandidaten/{cand.id}/toelaten")
    client = app.test_client()
    client.post("/aanmelden", data={"session_code": world.a["session_code"],
                                    "access_code": cand.access_code})
    assert client.get("/toets/status.json").json["kind"] == "instructions"


def test_another_agency_cannot_admit(app, world, db_session):
    cand = _unadmitted(world, db_session, 1)[0]
    other = app.test_client()
    login_staff(other, world.b, "proctor")
    assert other.post(f"/beheer/kandidaten/{cand.id}/toelaten").status_code == 404
    assert other.post(f"/beheer/sessies/{world.a['session']}/zaal/toelaten").status_code == 404
    db_session.expire_all()
    assert db_session.get(Candidate, cand.id).admitted_at is None


def test_candidate_login_helper_still_works(client, world):
    world.open(world.a)
    assert candidate_login(client, world.a).status_code == 302
