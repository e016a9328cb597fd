"""The demo seed's helpers: the shared writing calibration set and a rated, adjudicated attempt,
also on the real bank's four-skill attest."""

from __future__ import annotations

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
    from delivery_support import admitted_attempt

    from toetsbatterij.accounts import service as accounts
    from toetsbatterij.delivery.forms import FormStore
    from toetsbatterij.demo.candidate import SimulatedCandidate, take_test

    db = db_session
    forms = FormStore(REAL_BANK, tmp_path / "assets")
    cal_set = calibration.seed_writing_references(db, clock, forms)
    assert calibration.seed_writing_references(db, clock, forms).id == cal_set.id  # idempotent
    assert len(calibration.references(db, set_id=cal_set.id)) == 4
    assert len(calibration.references(db, purpose="control")) == 2
    attempt = admitted_attempt(db, clock, forms, "attest-4", first_name="Demo",
                               last_name="Kandidaat")
    take_test(db, clock, forms, FilesystemStorage(tmp_path / "rec"), attempt,
              SimulatedCandidate({}, seed=2), commit=db.commit)
    staff = [accounts.create_account(db, clock, organisation_id=attempt.organisation_id, email=f"{n}@demo.test",
                                     display_name=n, role="rater", password="x" * 12)
             for n in ("a", "b", "s")]
    res = demo.rate_demo_attempt(db, clock, forms, attempt.id, raters=staff[:2],
                                 senior=staff[2], disagree_on="W-B1-0001")
    assert len(res) == 5
    assert sum(r.rule == ADJUDICATED_CLOSEST for r in res.values()) == 1
