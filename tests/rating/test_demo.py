"""The demo seed's helpers: the shared writing calibration set and a rated, adjudicated attempt,
also on the real bank's four-skill attest."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest
from rating_support import finished_attempt, rater

from toetsbatterij.productions.storage import FilesystemStorage
from toetsbatterij.rating import calibration, demo
from toetsbatterij.rating.resolution import ADJUDICATED_CLOSEST, AGREED_MEAN

pytestmark = pytest.mark.db
REAL_BANK = Path(__file__).resolve().parents[2] / "itembank"


def test_a_demo_attempt_is_rated_and_one_production_adjudicated(world, content, tmp_path):
    storage = FilesystemStorage(tmp_path / "recordings")
    attempt = finished_attempt(world, content, storage, world.a)
    raters = [rater(world, world.a, n, skills=()) for n in ("een", "twee")]
    senior = rater(world, world.a, "senior", skills=())
    res = demo.rate_demo_attempt(world.db, world.clock, content, attempt.id, raters=raters,
                                 senior=senior, disagree_on="W-A2-0001")
    rules = {r.item_id: r.rule for r in res.values()}
    assert rules == {"W-A2-0001": ADJUDICATED_CLOSEST, "S-A2-0001": AGREED_MEAN}
    assert senior.senior_rater


def test_the_real_bank_gets_the_whole_demo_set_and_a_rated_attest(db_session, clock, tmp_path):
    from toetsbatterij.accounts import service as accounts
    from toetsbatterij.delivery import attempts, definitions, proctoring, sessions
    from toetsbatterij.delivery.forms import FormStore
    from toetsbatterij.demo.candidate import SimulatedCandidate, take_test
    from toetsbatterij.organisations import service as organisations

    db = db_session
    forms = FormStore(REAL_BANK, tmp_path / "assets")
    rows = {d.code: d for d in definitions.sync_forms(db, clock, forms)}
    cal_set = calibration.seed_writing_references(db, clock, forms)
    assert calibration.seed_writing_references(db, clock, forms).id == cal_set.id  # idempotent
    assert len(calibration.references(db, set_id=cal_set.id)) == 4
    assert len(calibration.references(db, purpose="control")) == 2
    org = organisations.seed_agencies(db)[1]
    loc = organisations.add_location(db, org.id, name="Lokaal")
    sess = sessions.create_session(db, clock, organisation_id=org.id, actor_id=None,
                                   location_id=loc.id, test_definition_id=rows["attest-4"].id,
                                   starts_at=clock.now() - dt.timedelta(minutes=5),
                                   ends_at=clock.now() + dt.timedelta(hours=8))
    cand = sessions.register_candidate(
        db, clock, organisation_id=org.id, actor_id=None, session_id=sess.id,
        data=sessions.CandidateInput(first_name="Demo", last_name="Kandidaat",
                                     birth_date=dt.date(1990, 4, 12), id_kind="foreign",
                                     id_number="X12345678", id_country="MA"))
    sessions.open_session(db, clock, organisation_id=org.id, actor_id=None, session_id=sess.id)
    proctoring.admit_candidates(db, clock, organisation_id=org.id, session_id=sess.id,
                                candidate_ids=None, actor_id=None)
    _, attempt, _ = attempts.candidate_login(db, clock, session_code=sess.code,
                                             access_code=cand.access_code, device_token=None)
    take_test(db, clock, forms, FilesystemStorage(tmp_path / "rec"), attempt,
              SimulatedCandidate({}, seed=2), commit=db.commit)
    staff = [accounts.create_account(db, clock, organisation_id=org.id, email=f"{n}@demo.test",
                                     display_name=n, role="rater", password="x" * 12)
             for n in ("a", "b", "s")]
    res = demo.rate_demo_attempt(db, clock, forms, attempt.id, raters=staff[:2],
                                 senior=staff[2], disagree_on="W-B1-0001")
    assert len(res) == 5
    assert sum(r.rule == ADJUDICATED_CLOSEST for r in res.values()) == 1
