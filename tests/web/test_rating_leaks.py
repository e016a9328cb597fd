"""Nothing that identifies the candidate reaches a rater: every page, JSON answer and recording
a rater gets (queue, rating screens of live, control, calibration and adjudication productions,
after a draft, a refusal and a submission, the error answers) holds no name, birth date,
identity number, session or access code, no candidate, attempt, response, presentation or task
id, no agency note, and no other rater's score. Like tests/web/test_leaks.py for the keys."""

from __future__ import annotations

import re

from delivery_support import PASSWORD
from rating_support import FIRST, LAST, exam_session, finished_attempt, rater
from sqlalchemy import func, select

from toetsbatterij.delivery import proctoring
from toetsbatterij.delivery.identity import format_national_number
from toetsbatterij.delivery.models import Attempt, Candidate, Presentation, Response
from toetsbatterij.productions.storage import storage_for
from toetsbatterij.rating import calibration
from toetsbatterij.rating.models import RatingTask

NOTE = "Notitieprikker-7Q"  # an agency note about the candidate
URL = re.compile(r'\b(?:href|src|action|data-src)="([^"]*)"')
ATTRIBUTE = re.compile(r'\b(?:name|value|id|for|aria-[a-z]+|data-[a-z-]+)="([^"]*)"')
ALLOWED_URL = re.compile(
    r"^(?:/beheer/(?:|afmelden|afmelden-overal|beoordelen/volgende|beoordelen/kalibratie/\d+"
    r"|beoordelen/x[a-z2-7]{16}(?:/opname/\d)?)|/static/[a-z0-9./-]+)$")
WORDS = re.compile(r"attempt|candidate|kandidaat_id|response|presentation|session|sessie|"
                   r"task_id|taak", re.I)


def identity(world, attempt_ids):
    out = []
    for att in world.db.scalars(select(Attempt).where(Attempt.id.in_(attempt_ids))):
        cand = world.db.get(Candidate, att.candidate_id)
        from toetsbatterij.delivery.models import ExamSession

        sess = world.db.get(ExamSession, cand.exam_session_id)
        out += [cand.first_name, cand.last_name, cand.id_number,
                format_national_number(cand.id_number), cand.birth_date.isoformat(),
                cand.birth_date.strftime("%d/%m/%Y"), cand.birth_date.strftime("%d-%m-%Y"),
                sess.code, cand.access_code]
    return out


def numbers_of(world, attempt_ids):
    """The ids a page must not carry: candidates, attempts, responses, presentations, tasks."""
    ids = set(attempt_ids)
    for att in world.db.scalars(select(Attempt).where(Attempt.id.in_(attempt_ids))):
        ids.add(att.candidate_id)
    ids |= set(world.db.scalars(select(Response.id).where(Response.attempt_id.in_(attempt_ids))))
    ids |= set(world.db.scalars(select(Presentation.id)
                                .where(Presentation.attempt_id.in_(attempt_ids))))
    ids |= set(world.db.scalars(select(RatingTask.id)))
    return {str(i) for i in ids}


CSRF = re.compile(r'<input type="hidden" name="csrf_token" value="[^"]*">')
TOKEN = re.compile(r"x[a-z2-7]{16}")
SPEED = re.compile(r'data-rate="(?:0\.75|1|1\.25|1\.5)"')
SCORE_INPUT = re.compile(r'<input type="radio" name="c\.[a-z_]+" value="[0-3]"')


def prefilled(page: str) -> list[str]:
    """The checked inputs of a rating screen other than "no code"."""
    return [i for i in re.findall(r"<input[^>]*>", page)
            if re.search(r"\bchecked\b", i) and 'name="code" value=""' not in i]


def assert_blind(page: str, secrets: list[str], ids: set[str]) -> None:
    page = CSRF.sub("", page)
    for secret in secrets:
        assert secret.lower() not in page.lower(), secret
    assert NOTE not in page
    for url in URL.findall(page):
        assert ALLOWED_URL.match(url), url
    # A criterion's radio buttons carry its scores (0-3): the only numbers a page may hold.
    for value in ATTRIBUTE.findall(SPEED.sub("", SCORE_INPUT.sub("", page))):
        assert not WORDS.search(value), value
        if value.startswith("/beheer/beoordelen/kalibratie/"):
            continue  # a calibration set: not the candidate's
        # a recording's part number (1, 2, ...) follows the token: not an id
        for number in re.findall(r"\d+", TOKEN.sub("", re.sub(r"/opname/\d+$", "", value))):
            assert number not in ids, (value, number, page[max(0, page.find(value) - 200):
                                                             page.find(value) + 50])


def login(app, email):
    client = app.test_client()
    resp = client.post("/beheer/aanmelden", data={"email": email, "password": PASSWORD})
    assert resp.status_code == 302
    return client


def pages_of(client, token, criteria_value):
    """Every answer a rater gets around one production: the screen, a refused submission, the
    error as JSON, a draft and its page, the submission and the page after it, the audio."""
    base = f"/beheer/beoordelen/{token}"
    out = [client.get(base).get_data(as_text=True)]
    names = sorted(set(re.findall(r'name="c\.([a-z_]+)"', out[0])))
    out.append(client.post(base, data={"action": "submit", f"c.{names[0]}": "9"})
               .get_data(as_text=True))
    out.append(client.post(base, data={"action": "submit"},
                           headers={"Accept": "application/json"}).get_data(as_text=True))
    draft = client.post(base, data={"action": "draft", f"c.{names[0]}": "1"},
                        follow_redirects=True)
    out.append(draft.get_data(as_text=True))
    done = client.post(base, data={"action": "submit",
                                   **{f"c.{c}": str(criteria_value) for c in names}},
                       follow_redirects=True)
    out.append(done.get_data(as_text=True))
    out.append(client.get(base).get_data(as_text=True))
    media = []
    for part in re.findall(r'data-src="([^"]+)"', out[0]):
        resp = client.get(part)
        assert resp.status_code == 200
        media.append(resp.data)
    return out, media


def test_no_candidate_identity_reaches_a_rater(make_app, world, content):
    from pathlib import Path

    # Every "next production" that can serve a control does: control screens are searched too.
    app = make_app(WTF_CSRF_ENABLED=False, RATING_CONTROL_RATE=1.0)
    store = storage_for(app.config, Path(app.instance_path))
    calibration.seed_writing_references(world.db, world.clock, content)
    sess = exam_session(world, world.a)
    attempts = [finished_attempt(world, content, store, world.a, session=sess, number=i)
                for i in range(2)]
    cand = world.db.get(Candidate, attempts[0].candidate_id)
    proctoring.record_incident(world.db, world.clock, organisation_id=world.a["org"],
                               session_id=sess.id, candidate_id=cand.id, code="other",
                               note=f"{NOTE} {FIRST}", actor_id=world.a["staff"]["proctor"])
    world.db.commit()
    ids = [a.id for a in attempts]
    one = rater(world, world.a, "een")
    two = rater(world, world.a, "twee")
    senior = rater(world, world.a, "senior", senior=True)
    fresh = rater(world, world.a, "nieuw", skills=())
    clients = {acc.id: login(app, acc.email) for acc in (one, two, senior, fresh)}
    secrets = identity(world, ids)
    assert f"{FIRST}0" in secrets and LAST in secrets
    numbers = numbers_of(world, ids)
    pages, media = [], []

    def take(acc):
        resp = clients[acc.id].post("/beheer/beoordelen/volgende")
        pages.append(clients[acc.id].get(resp.headers["Location"]).get_data(as_text=True))
        match = re.search(r"/beheer/beoordelen/(x[a-z2-7]{16})", resp.headers["Location"])
        return match.group(1) if match else None

    # The first rater rates everything high, the second everything low: every production goes
    # to the senior, who sees neither score.
    for acc, value in ((one, 2), (two, 0)):
        client = clients[acc.id]
        pages.append(client.get("/beheer/").get_data(as_text=True))
        while (token := take(acc)) is not None:
            got, sound = pages_of(client, token, value)
            pages += got
            media += sound
            if acc is two:
                assert prefilled(got[0]) == []  # the first rater's scores are not shown
    assert world.db.scalar(select(RatingTask.status).where(RatingTask.kind == "live")) \
        == "adjudication"
    while (token := take(senior)) is not None:
        got, sound = pages_of(clients[senior.id], token, 1)
        assert "Derde beoordeling" in got[0] and prefilled(got[0]) == []
        pages += got
        media += sound
    # Calibration, for a rater who is not admitted yet.
    client = clients[fresh.id]
    pages.append(client.get("/beheer/").get_data(as_text=True))
    cal_set = calibration.sets_for(world.db, world.a["org"])[0]
    resp = client.post(f"/beheer/beoordelen/kalibratie/{cal_set.id}")
    token = re.search(r"(x[a-z2-7]{16})", resp.headers["Location"]).group(1)
    got, _ = pages_of(client, token, 1)
    pages += got
    pages.append(client.get("/beheer/").get_data(as_text=True))
    assert len(pages) > 40 and media
    assert world.db.scalar(select(func.count(RatingTask.id)).where(RatingTask.kind == "control")) \
        == 2  # the test bank's one control text, shown to each of the two raters
    for page in pages:
        assert_blind(page, secrets, numbers)
    for data in media:
        for secret in secrets:
            assert secret.encode() not in data
        assert b"ENCODER=" not in data
