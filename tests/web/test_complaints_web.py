"""The complaint pages: the staff list with the deadlines (overdue marked), recording on a
candidate's behalf, the review and the four-eyes decision over HTTP, the inzage screen that
never shows an item's text, the candidate's complaint information and the public form (the
same answer for a wrong reference, rate-limited, CSRF)."""

from __future__ import annotations

import datetime as dt
import re

import pytest
from complaint_support import complaint, rated_result
from delivery_support import PASSWORD, login_staff
from rating_support import TEXT, rate_all, rater
from sqlalchemy import func, select

from toetsbatterij.attests.models import Attest
from toetsbatterij.complaints.models import Complaint
from toetsbatterij.delivery.models import Candidate
from toetsbatterij.productions.storage import storage_for
from toetsbatterij.results.models import Result


@pytest.fixture
def storage(app):
    from pathlib import Path

    return storage_for(app.config, Path(app.instance_path))


@pytest.fixture
def rated(app, world, content, storage):
    return rated_result(world, content, storage, world.a,
                        signer=app.extensions["toetsbatterij"].signer)


def _client(app, world, role="agency_admin", email=None):
    client = app.test_client()
    resp = client.post("/beheer/aanmelden", data={
        "email": email or f"{role}@{world.a['domain']}", "password": PASSWORD})
    assert resp.status_code == 302
    return client


def _count(db, model=Complaint):
    db.expire_all()
    return db.scalar(select(func.count(model.id)))


def test_staff_record_a_complaint_and_see_its_deadlines(app, world, content, rated, db_session):
    proctor = _client(app, world, "proctor")
    page = proctor.get(f"/beheer/klachten/nieuw?afname={rated.attempt.id}")
    assert page.status_code == 200 and "Zeynep0 Vanderstraeten" in page.get_data(as_text=True)
    received = (world.clock.now() - dt.timedelta(days=12)).date().isoformat()
    data = {"attempt_id": str(rated.attempt.id), "subject": "result", "skills": ["writing"],
            "channel": "letter", "received_on": received, "text": "Mijn brief was beter.",
            "contact": "z@example.test"}
    bad = proctor.post("/beheer/klachten/nieuw", data={**data, "text": ""})
    assert bad.status_code == 400 and "Mijn brief" not in bad.get_data(as_text=True)
    assert _count(db_session) == 0
    other = proctor.post("/beheer/klachten/nieuw", data={**data, "attempt_id": "999999"})
    assert other.status_code == 400 and _count(db_session) == 0
    resp = proctor.post("/beheer/klachten/nieuw", data=data)
    assert resp.status_code == 302
    row = db_session.scalar(select(Complaint))
    assert row.received_on.isoformat() == received and row.created_by == \
        world.a["staff"]["proctor"]
    html = proctor.get("/beheer/klachten/").get_data(as_text=True)
    assert row.reference in html and "TE LAAT" in html  # the acknowledgement is overdue
    detail = proctor.get(f"/beheer/klachten/{row.id}").get_data(as_text=True)
    assert "Mijn brief was beter." in detail and "TE LAAT" in detail
    assert "Herbeoordeling aanvragen" not in detail  # admins only
    assert "Inzage" not in detail  # proctors see no results
    resp = proctor.post(f"/beheer/klachten/{row.id}/ontvangst", data={"note": "brief"})
    assert resp.status_code == 302
    db_session.expire_all()
    assert db_session.get(Complaint, row.id).acknowledged_at is not None
    # Another agency's staff never see it.
    gent = app.test_client()
    login_staff(gent, world.b, "agency_admin")
    assert gent.get(f"/beheer/klachten/{row.id}").status_code == 404
    assert row.reference not in gent.get("/beheer/klachten/?alle=1").get_data(as_text=True)


def test_the_decision_over_http_with_four_eyes(app, world, content, rated, db_session):
    row = complaint(world, content, rated, world.a)
    admin = _client(app, world)
    second = _client(app, world, email=f"admin2@{world.a['domain'].split('.')[0]}.test")
    assert admin.post(f"/beheer/klachten/{row.id}/herbeoordeling").status_code == 302
    for name in ("derde", "vierde"):
        rate_all(world, content, rater(world, world.a, name), 2)
    page = admin.get(f"/beheer/klachten/{row.id}").get_data(as_text=True)
    assert "Na herbeoordeling" in page and "afgerond (2 beoordelingen)" in page
    resp = admin.post(f"/beheer/klachten/{row.id}/voorstel",
                      data={"outcome": "revised", "motivation": "Hoger niveau na herbeoordeling."})
    assert resp.status_code == 302
    page = admin.get(f"/beheer/klachten/{row.id}").get_data(as_text=True)
    assert "Een andere beheerder moet de beslissing bevestigen." in page
    assert admin.post(f"/beheer/klachten/{row.id}/bevestigen",
                      data={"confirm": "y"}).status_code == 403
    db_session.expire_all()
    assert db_session.get(Result, rated.result.id).superseded_by_id is None
    page = second.get(f"/beheer/klachten/{row.id}").get_data(as_text=True)
    assert "Beslissing bevestigen" in page
    assert second.post(f"/beheer/klachten/{row.id}/bevestigen", data={}).status_code == 400
    assert second.post(f"/beheer/klachten/{row.id}/bevestigen",
                       data={"confirm": "y"}).status_code == 302
    db_session.expire_all()
    decided = db_session.get(Complaint, row.id)
    assert decided.status == "decided"
    assert db_session.get(Result, rated.result.id).superseded_by_id == decided.new_result_id
    assert db_session.get(Attest, rated.attest.id).revoked_at is not None
    new = db_session.get(Attest, decided.new_attest_id)
    page = second.get(f"/beheer/klachten/{row.id}").get_data(as_text=True)
    assert "beslissing bevestigd" in page
    # The public verification page: the old attest revoked, the new one valid.
    public = app.test_client()
    old = public.post("/attest/controle", data={"number": rated.attest.number,
                                                "code": rated.attest.verification_code})
    assert "Ingetrokken" in old.get_data(as_text=True)
    fresh = public.post("/attest/controle", data={"number": new.number,
                                                  "code": new.verification_code})
    assert "Geldig attest" in fresh.get_data(as_text=True)


def test_a_rejected_proposal_goes_back(app, world, content, rated, db_session):
    row = complaint(world, content, rated, world.a, skills=("speaking",))
    admin = _client(app, world)
    second = _client(app, world, email=f"admin2@{world.a['domain'].split('.')[0]}.test")
    resp = admin.post(f"/beheer/klachten/{row.id}/voorstel",
                      data={"outcome": "revised", "motivation": "x"})
    assert resp.status_code == 409  # no review yet: refused beside the form
    assert "herbeoordeling" in resp.get_data(as_text=True)
    assert admin.post(f"/beheer/klachten/{row.id}/voorstel",
                      data={"outcome": "unchanged", "motivation": "Klopt."}).status_code == 302
    assert second.post(f"/beheer/klachten/{row.id}/afwijzen",
                       data={"reason": "Eerst herbeoordelen."}).status_code == 302
    page = second.get(f"/beheer/klachten/{row.id}").get_data(as_text=True)
    assert "Eerst herbeoordelen." in page and "Beslissing voorstellen" in page


ITEM_TEXT = re.compile(r"\b(stem|prompt|options?|key)\b", re.I)


def test_the_inzage_shows_own_answers_and_scores_never_item_texts(app, world, content, rated,
                                                                 db_session):
    admin = _client(app, world)
    resp = admin.get(f"/beheer/inzage/{rated.result.id}")
    html = resp.get_data(as_text=True)
    assert resp.status_code == 200
    assert TEXT in html  # the candidate's own text
    assert "Inzage in uw toets" in html and "Score per" not in html
    assert "1 van 2" in html  # a criterion score (1 on a 0-2 criterion)
    form = content.by_version(db_session, db_session.get(Result, rated.result.id).form_version)
    for item_id, item in form.items.items():
        view = form.candidate_view(form.unit_of(item_id), 0)
        for entry in view["items"]:
            prompt = str(entry["view"].get("prompt", "")).strip()
            if prompt:
                assert prompt not in html, item_id
            for option in entry["view"].get("options", []) or []:
                label = str(option.get("text") or option.get("label") or "").strip()
                if len(label) > 3:
                    assert label not in html, item_id
        stimulus = (view.get("stimulus") or {}).get("text")
        if stimulus:
            assert str(stimulus)[:40] not in html
        assert item_id not in html
    # The candidate's own recording plays from the page.
    audio = re.search(r'<audio controls preload="none" src="([^"]+)"', html)
    assert audio and admin.get(audio.group(1)).status_code == 200
    assert admin.get(f"/beheer/inzage/{rated.result.id}/opname/2/1").status_code == 404
    assert admin.get(f"/beheer/inzage/{rated.result.id}/opname/1/2").status_code == 404
    # Another agency's result, a proctor: refused.
    gent = app.test_client()
    login_staff(gent, world.b, "agency_admin")
    assert gent.get(f"/beheer/inzage/{rated.result.id}").status_code == 404
    assert _client(app, world, "proctor").get(
        f"/beheer/inzage/{rated.result.id}").status_code == 403


def test_the_inzage_in_the_candidates_language(app, world, content, storage, db_session):
    from toetsbatterij.complaints import inzage
    from toetsbatterij.i18n import translator

    rated = rated_result(world, content, storage, world.a)
    cand = db_session.get(Candidate, rated.attempt.candidate_id)
    cand.instruction_language = "ar"
    db_session.commit()
    view = inzage.build(db_session, content, db_session.get(Result, rated.result.id),
                        timezone="Europe/Brussels", translator=translator)
    assert view.rtl and view.texts["title"].own and view.texts["title"].own != "Inzage in uw toets"
    writing = next(s for s in view.sections if s.skill == "writing")
    assert writing.productions[0].text == TEXT and writing.productions[0].criteria


def test_the_finished_screen_and_the_report_say_how_to_complain(app, world, content, rated,
                                                                db_session):
    from toetsbatterij.delivery import attempts

    attempts.release_device(world.db, world.clock,
                            world.db.get(Candidate, rated.attempt.candidate_id), actor_id=None)
    world.db.commit()
    cand = db_session.get(Candidate, rated.attempt.candidate_id)
    from toetsbatterij.delivery.models import ExamSession

    sess = db_session.get(ExamSession, cand.exam_session_id)
    client = app.test_client()
    assert client.post("/aanmelden", data={"session_code": sess.code,
                                           "access_code": cand.access_code}).status_code == 302
    finished = client.get("/toets").get_data(as_text=True)
    assert "Niet akkoord met uw resultaat?" in finished and "/klacht" in finished
    report = client.get("/toets/resultaat").get_data(as_text=True)
    assert "Niet akkoord met uw resultaat?" in report


def _public(app, **data):
    client = app.test_client()
    return client, client.post("/klacht", data=data)


def test_the_public_form_files_a_complaint_and_tells_nothing_about_a_wrong_reference(
        app, world, content, rated, db_session):
    cand = db_session.get(Candidate, rated.attempt.candidate_id)
    from toetsbatterij.delivery.models import ExamSession

    code = db_session.get(ExamSession, cand.exam_session_id).code
    base = {"subject": "result", "skills": ["writing"], "text": "Mijn brief is te laag.",
            "birth_date": cand.birth_date.isoformat()}
    app.config["COMPLAINT_MAX_SUBMISSIONS"] = 50  # the limit has its own test
    assert app.test_client().get("/klacht").status_code == 200
    _, right = _public(app, session_code=code.lower(), access_code=cand.access_code, **base)
    assert _count(db_session) == 1
    row = db_session.scalar(select(Complaint))
    assert row.channel == "online" and row.created_by is None and row.skills == ["writing"]
    assert row.organisation_id == world.a["org"] and row.deadlines["acknowledge"]
    _, wrong_birth = _public(app, session_code=code, access_code=cand.access_code,
                             **{**base, "birth_date": "1901-01-01"})
    _, wrong_code = _public(app, session_code=code, access_code="ZZZZZZZZ", **base)
    _, by_attest = _public(app, attest_number=rated.attest.number, **base)
    _, wrong_attest = _public(app, attest_number="K7PX2M9QRT4DH", **base)
    assert _count(db_session) == 2  # the right codes and the attest number
    pages = {r.get_data(as_text=True) for r in (right, wrong_birth, wrong_code, by_attest,
                                                wrong_attest)}
    pages = {re.sub(r'(data-csrf|value)="[^"]+"', "", p) for p in pages}  # the CSRF token
    assert len(pages) == 1 and all(r.status_code == 200 for r in (right, wrong_birth))
    # Input errors never depend on the reference.
    _, missing = _public(app, session_code=code, access_code=cand.access_code,
                         **{**base, "text": ""})
    _, missing_other = _public(app, session_code="X", access_code="Y", **{**base, "text": ""})
    assert missing.status_code == missing_other.status_code == 400
    assert _count(db_session) == 2


def test_the_public_form_is_rate_limited_and_needs_a_csrf_token(make_app, world, content,
                                                               rated, db_session):
    app = make_app(COMPLAINT_MAX_SUBMISSIONS=2)
    client = app.test_client()
    data = {"session_code": "X", "access_code": "Y", "birth_date": "1990-01-01",
            "subject": "conditions", "text": "Lawaai."}
    app.config["WTF_CSRF_ENABLED"] = True
    assert client.post("/klacht", data=data).status_code == 400  # no CSRF token
    app.config["WTF_CSRF_ENABLED"] = False
    statuses = [client.post("/klacht", data=data).status_code for _ in range(4)]
    assert statuses[:2] == [200, 200] and statuses[-1] == 429


def test_the_score_report_pdf_says_how_to_complain(app, world, content, rated, db_session):
    import io

    from pypdf import PdfReader

    admin = _client(app, world)
    pdf = admin.get(f"/beheer/resultaten/{rated.result.id}/rapport.pdf")
    text = " ".join(p.extract_text() for p in PdfReader(io.BytesIO(pdf.data)).pages)
    assert "Niet akkoord met uw resultaat?" in " ".join(text.split())
