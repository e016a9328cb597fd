"""The demo's simulated candidate takes the real bank's four-skill attest through the services."""

from __future__ import annotations

from pathlib import Path

import pytest
from delivery_support import admitted_attempt
from sqlalchemy import select

from toetsbatterij.delivery.forms import FormStore
from toetsbatterij.delivery.models import FINISHED, Response, SectionRun
from toetsbatterij.demo.candidate import DEMO_TEXTS, SimulatedCandidate, take_test
from toetsbatterij.productions import service as productions
from toetsbatterij.productions.storage import FilesystemStorage

REAL_BANK = Path(__file__).resolve().parents[2] / "itembank"

pytestmark = pytest.mark.db


def test_the_simulated_candidate_finishes_the_four_skill_attest(db_session, clock, tmp_path):
    db = db_session
    forms = FormStore(REAL_BANK, tmp_path / "assets")
    attempt = admitted_attempt(db, clock, forms, "attest-4", first_name="Amina",
                               last_name="El Idrissi")
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
