"""The demo's simulated candidate takes the real bank's four-skill attest through the services."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest
from sqlalchemy import select

from toetsbatterij.delivery import attempts, definitions, proctoring, sessions
from toetsbatterij.delivery.forms import FormStore
from toetsbatterij.delivery.models import FINISHED, Response, SectionRun
from toetsbatterij.demo.candidate import DEMO_TEXTS, SimulatedCandidate, take_test
from toetsbatterij.organisations import service as organisations
from toetsbatterij.productions import service as productions
from toetsbatterij.productions.storage import FilesystemStorage

REAL_BANK = Path(__file__).resolve().parents[2] / "itembank"

pytestmark = pytest.mark.db


def test_the_simulated_candidate_finishes_the_four_skill_attest(db_session, clock, tmp_path):
    db = db_session
    forms = FormStore(REAL_BANK, tmp_path / "assets")
    rows = {d.code: d for d in definitions.sync_forms(db, clock, forms)}
    org = organisations.seed_agencies(db)[1]
    loc = organisations.add_location(db, org.id, name="Lokaal")
    sess = sessions.create_session(db, clock, organisation_id=org.id, actor_id=None,
                                   location_id=loc.id, test_definition_id=rows["attest-4"].id,
                                   starts_at=clock.now() - dt.timedelta(minutes=5),
                                   ends_at=clock.now() + dt.timedelta(hours=8))
    cand = sessions.register_candidate(
        db, clock, organisation_id=org.id, actor_id=None, session_id=sess.id,
        data=sessions.CandidateInput(first_name="Amina", last_name="El Idrissi",
                                     birth_date=dt.date(1990, 4, 12), id_kind="foreign",
                                     id_number="X12345678", id_country="MA"))
    sessions.open_session(db, clock, organisation_id=org.id, actor_id=None, session_id=sess.id)
    proctoring.admit_candidates(db, clock, organisation_id=org.id, session_id=sess.id,
                                candidate_ids=None, actor_id=None)
    _, attempt, _ = attempts.candidate_login(db, clock, session_code=sess.code,
                                             access_code=cand.access_code, device_token=None,
                                             forms=forms)
    storage = FilesystemStorage(tmp_path / "recordings")
    take_test(db, clock, forms, storage, attempt,
              SimulatedCandidate({"reading": 1.5, "listening": -2.5}, seed=3), commit=db.commit)

    assert attempt.state == FINISHED
    runs = {r.skill: r for r in db.scalars(select(SectionRun).where(
        SectionRun.attempt_id == attempt.id))}
    assert set(runs) == {"reading", "listening", "writing", "speaking"}
    # The θ the candidate answered from shows in the adaptive sections' estimates.
    assert runs["reading"].theta > runs["listening"].theta + 1.5
    form = forms.for_attempt(db, attempt)
    responses = db.scalars(select(Response).where(Response.attempt_id == attempt.id,
                                                  Response.counts.is_(True))).all()
    rated = {r.item_id: r for r in responses if form.rubric_of(r.item_id) is not None}
    writing = {i for i in rated if form.item(i).skill == "writing"}
    speaking = {i for i in rated if form.item(i).skill == "speaking"}
    assert writing == {"W-A2-0001", "W-B1-0001"} and speaking == {"S-A1-0001", "S-A2-0001", "S-B1-0001"}
    for item_id in writing:
        assert rated[item_id].raw == DEMO_TEXTS[item_id] and rated[item_id].score is None
    for item_id in speaking:
        audio = productions.take_audio(db, storage, rated[item_id].raw)
        assert audio.parts and audio.parts[0].startswith(b"OggS")
