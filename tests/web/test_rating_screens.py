"""The rating screens over HTTP: the rater's queue and rating screen (draft, refusal beside the
criterion, submission), the recording route, the admin's raters page (senior flag, admission),
calibration sets and control responses for the admin and the psychometrician."""

from __future__ import annotations

import io
import re

import mutagen
import pytest
from delivery_support import login_staff
from rating_support import TEXT, finished_attempt, rater
from sqlalchemy import select

from toetsbatterij.accounts.models import StaffAccount
from toetsbatterij.audit.models import AuditEntry
from toetsbatterij.productions.storage import storage_for
from toetsbatterij.rating import calibration
from toetsbatterij.rating.models import CONTROL, Rating, RatingReference, RatingTask

TOKEN = re.compile(r"/beheer/beoordelen/(x[a-z2-7]{16})")


@pytest.fixture
def storage(app):
    from pathlib import Path

    return storage_for(app.config, Path(app.instance_path))


def rater_client(app, world, name, **kwargs):
    acc = rater(world, world.a, name, **kwargs)
    client = app.test_client()
    client.post("/beheer/aanmelden", data={"email": f"{name}@{world.a['domain']}",
                                           "password": "correct horse battery staple"})
    return acc, client


def next_token(client):
    resp = client.post("/beheer/beoordelen/volgende")
    assert resp.status_code == 302
    match = TOKEN.search(resp.headers["Location"])
    return match.group(1) if match else None


def full(page_scores, value):
    return {f"c.{c}": str(value) for c in page_scores}


def criteria_in(page):
    return sorted(set(re.findall(r'name="c\.([a-z_]+)"', page)))


def test_a_rater_rates_a_writing_production_from_the_queue(app, world, content, storage):
    finished_attempt(world, content, storage, world.a)
    _, client = rater_client(app, world, "een", skills=("writing",))
    start = client.get("/beheer/").get_data(as_text=True)
    assert 'id="next-production"' in start and re.search(r'class="count">1<', start)
    token = next_token(client)
    page = client.get(f"/beheer/beoordelen/{token}").get_data(as_text=True)
    assert TEXT in page and "Schrijf een bericht aan de juf." in page  # production and task
    assert "Taakuitvoering" in page and "Alle gevraagde inhoudspunten" in page  # the rubric
    assert "Te kort om te beoordelen" in page  # the unrateable codes
    names = criteria_in(page)
    assert names == ["coherence", "grammar", "task", "vocabulary"]
    resp = client.post(f"/beheer/beoordelen/{token}", data={"c.task": "1", "action": "draft"})
    assert resp.status_code == 302
    page = client.get(f"/beheer/beoordelen/{token}").get_data(as_text=True)
    assert re.search(r'name="c.task" value="1"\s*checked', page)
    resp = client.post(f"/beheer/beoordelen/{token}",
                       data={"c.task": "2", "c.grammar": "1", "action": "submit"})
    assert resp.status_code == 400  # two criteria without a score: the error beside the first
    body = resp.get_data(as_text=True)
    assert 'class="field-error"' in body and re.search(r'name="c.task" value="2"\s*checked', body)
    assert world.db.scalar(select(Rating.submitted)) is False  # still the draft
    resp = client.post(f"/beheer/beoordelen/{token}", data={**full(names, 2), "action": "submit"})
    assert resp.status_code == 302 and resp.headers["Location"].endswith("/beheer/")
    page = client.get(f"/beheer/beoordelen/{token}").get_data(as_text=True)
    assert "kan niet meer veranderen" in page and "disabled" in page
    again = client.post(f"/beheer/beoordelen/{token}", data={**full(names, 0), "action": "submit"})
    assert again.status_code == 409
    world.db.expire_all()
    assert world.db.scalar(select(Rating.scores).where(Rating.submitted.is_(True))) == \
        dict.fromkeys(names, 2)


def test_a_code_replaces_the_scores(app, world, content, storage):
    finished_attempt(world, content, storage, world.a)
    _, client = rater_client(app, world, "een", skills=("writing",))
    token = next_token(client)
    resp = client.post(f"/beheer/beoordelen/{token}",
                       data={"c.task": "2", "code": "off_topic", "action": "submit"})
    assert resp.status_code == 302
    rating = world.db.scalar(select(Rating).where(Rating.submitted.is_(True)))
    assert rating.code == "off_topic" and rating.scores == {}
    bad = client.post(f"/beheer/beoordelen/{token}", data={"code": "nonsense", "action": "draft"})
    assert bad.status_code == 409  # already submitted


def test_the_recording_is_served_without_tags_to_its_rater_only(app, world, content, storage):
    finished_attempt(world, content, storage, world.a)
    _, client = rater_client(app, world, "spreker", skills=("speaking",))
    token = next_token(client)
    page = client.get(f"/beheer/beoordelen/{token}").get_data(as_text=True)
    assert 'class="waveform"' in page and 'data-rate="0.75"' in page and 'data-rate="1.5"' in page
    url = f"/beheer/beoordelen/{token}/opname/1"
    assert url in page
    resp = client.get(url)
    assert resp.status_code == 200 and resp.mimetype == "audio/ogg"
    assert resp.data.startswith(b"OggS") and b"ENCODER=" not in resp.data
    assert mutagen.File(io.BytesIO(resp.data)).tags.keys() == []
    part = client.get(url, headers={"Range": "bytes=0-99"})
    assert part.status_code == 206 and len(part.data) == 100
    assert client.get(f"/beheer/beoordelen/{token}/opname/2").status_code == 404
    _, other = rater_client(app, world, "ander", skills=("speaking",))
    assert other.get(url).status_code == 404
    assert other.get(f"/beheer/beoordelen/{token}").status_code == 404


def test_nothing_waits_without_admission_and_the_page_says_so(app, world, content, storage):
    finished_attempt(world, content, storage, world.a)
    _, client = rater_client(app, world, "nieuw", skills=())
    page = client.get("/beheer/").get_data(as_text=True)
    assert "nog niet toegelaten" in page and 'id="next-production"' not in page
    assert next_token(client) is None


def test_a_rater_calibrates_on_the_shared_set_and_is_admitted(app, world, content):
    cal_set = calibration.seed_writing_references(world.db, world.clock, content)
    world.db.commit()
    acc, client = rater_client(app, world, "nieuw", skills=())
    page = client.get("/beheer/").get_data(as_text=True)
    assert cal_set.name in page
    resp = client.post(f"/beheer/beoordelen/kalibratie/{cal_set.id}")
    token = TOKEN.search(resp.headers["Location"]).group(1)
    seen = 0
    while token:
        page = client.get(f"/beheer/beoordelen/{token}").get_data(as_text=True)
        assert "Kalibratie: productie" in page
        task = world.db.scalar(select(RatingTask).join(
            calibration.RatingAssignment,
            calibration.RatingAssignment.task_id == RatingTask.id).where(
            calibration.RatingAssignment.token == token))
        ref = world.db.get(RatingReference, task.reference_id)
        resp = client.post(f"/beheer/beoordelen/{token}",
                           data={**{f"c.{c}": str(v) for c, v in ref.scores.items()},
                                 "action": "submit"})
        assert resp.status_code == 302
        seen += 1
        match = TOKEN.search(resp.headers["Location"])
        token = match.group(1) if match else None
    assert seen == 2  # the test bank holds W-A2-0001 only: its two calibration texts
    page = client.get("/beheer/").get_data(as_text=True)
    assert "Toegelaten." in page and 'class="count">0<' in page


def test_the_admin_sets_the_senior_flag_and_decides_admissions(app, world):
    acc = rater(world, world.a, "een", skills=())
    admin = app.test_client()
    login_staff(admin, world.a, "agency_admin")
    page = admin.get("/beheer/beoordelaars").get_data(as_text=True)
    assert "een" in page and "Senior maken" in page
    assert admin.post(f"/beheer/beoordelaars/{acc.id}/senior",
                      data={"senior": "1"}).status_code == 302
    world.db.expire_all()
    assert world.db.get(StaffAccount, acc.id).senior_rater is True
    resp = admin.post("/beheer/beoordelaars/toelating",
                      data={"rater_id": str(acc.id), "skill": "speaking",
                            "decision": "admit", "reason": ""})
    assert resp.status_code == 400 and "Geef een reden op." in resp.get_data(as_text=True)
    resp = admin.post("/beheer/beoordelaars/toelating",
                      data={"rater_id": str(acc.id), "skill": "speaking", "decision": "admit",
                            "reason": "eerste beoordelaar van het agentschap"})
    assert resp.status_code == 302
    from toetsbatterij.rating.service import admitted_skills

    assert admitted_skills(world.db, acc.id) == {"speaking"}
    actions = set(world.db.scalars(select(AuditEntry.action)))
    assert {"rating.senior", "rating.admit"} <= actions
    # a proctor of the agency is no rater: refused
    proctor = world.a["staff"]["proctor"]
    assert admin.post(f"/beheer/beoordelaars/{proctor}/senior",
                      data={"senior": "1"}).status_code == 404


@pytest.mark.parametrize("role", ["agency_admin", "psychometrician"])
def test_calibration_sets_and_controls_are_built_from_agreed_productions(app, world, content,
                                                                         storage, role):
    finished_attempt(world, content, storage, world.a)
    for name, value in (("een", 1), ("twee", 1)):
        _, client = rater_client(app, world, name, skills=("writing",))
        token = next_token(client)
        client.post(f"/beheer/beoordelen/{token}",
                    data={**full(["task", "coherence", "vocabulary", "grammar"], value),
                          "action": "submit"})
    staff = app.test_client()
    login_staff(staff, world.a, role)
    resp = staff.post("/beheer/kalibratie", data={"name": "Schrijven A2", "skill": "writing",
                                                  "rubric_id": "writing-a2"})
    assert resp.status_code == 302
    set_url = resp.headers["Location"]
    page = staff.get(set_url).get_data(as_text=True)
    assert TEXT[:60] in page  # the agreed production is offered
    task_id = re.search(r'name="task_id" value="(\d+)"', page).group(1)
    resp = staff.post(set_url + "/referenties", data={"task_id": task_id, "label": "A2 midden"})
    assert resp.status_code == 302
    assert "A2 midden" in staff.get(set_url).get_data(as_text=True)
    again = staff.post(set_url + "/referenties", data={"task_id": task_id})
    assert again.status_code == 409
    ref = world.db.scalar(select(RatingReference))
    assert ref.scores == {"task": 1, "coherence": 1, "vocabulary": 1, "grammar": 1}
    assert staff.get("/beheer/controles").status_code == 200
    resp = staff.post(f"/beheer/referenties/{ref.id}/verwijderen")
    assert resp.status_code == 302
    world.db.expire_all()
    assert world.db.get(RatingReference, ref.id).active is False
    assert staff.post("/beheer/controles", data={"task_id": task_id}).status_code == 409
    assert world.db.scalar(select(RatingReference).where(
        RatingReference.purpose == CONTROL)) is None
