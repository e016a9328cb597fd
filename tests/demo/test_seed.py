"""`seed-demo` (what scripts/run-demo runs) on a fresh SQLite database: everything it promises
is there and the printed logins work."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import select

from toetsbatterij.accounts import service as accounts
from toetsbatterij.delivery.models import FINISHED, Attempt, Candidate
from toetsbatterij.demo.seed import DEMO_CANDIDATES, seed_demo
from toetsbatterij.platform import Platform

REAL_BANK = Path(__file__).resolve().parents[2] / "itembank"


@pytest.fixture(scope="module")
def seeded(tmp_path_factory):
    root = tmp_path_factory.mktemp("demo")
    platform = Platform.from_config(
        {"DATABASE_URL": f"sqlite:///{root / 'demo.sqlite3'}", "ITEMBANK_PATH": str(REAL_BANK),
         "RECORDINGS_PATH": str(root / "recordings")},
        instance_path=root, require_secret=False)
    result = seed_demo(platform, root / "out")
    yield platform, result, root
    platform.close()


def test_the_seed_prints_working_logins_and_writes_the_tickets(seeded):
    platform, result, _ = seeded
    assert Path(result["tickets"]).read_bytes().startswith(b"%PDF")
    with platform.unit_of_work() as db:
        for email, password in result["logins"].values():
            assert accounts.authenticate(db, platform.clock, email=email, password=password)
    assert len(result["candidates"]) == len(DEMO_CANDIDATES)
    # The README's demo: Amina is rated and attested, Oleksandr waits for the raters.
    assert result["finished"][:2] == ("Amina", "El Idrissi")
    assert result["to_rate"][:2] == ("Oleksandr", "Kovalenko")


def test_one_candidate_has_finished_the_four_skill_test(seeded):
    platform, result, _ = seeded
    first, last, attempt_id = result["finished"]
    with platform.unit_of_work() as db:
        attempt = db.get(Attempt, attempt_id)
        assert attempt.state == FINISHED
        cand = db.get(Candidate, attempt.candidate_id)
        assert (cand.first_name, cand.last_name) == (first, last)
        skills = {s["skill"] for s in platform.forms.for_attempt(db, attempt).manifest["sections"]}
        assert skills == {"reading", "listening", "writing", "speaking"}
        others = db.scalars(select(Attempt).where(Attempt.id != attempt_id)).all()
        assert [a.id for a in others if a.state == FINISHED] == [result["to_rate"][2]]


def test_the_finished_attempt_is_rated_adjudicated_frozen_and_released(seeded):
    from toetsbatterij.rating import service as rating
    from toetsbatterij.rating.models import ADJUDICATION, RatingTask
    from toetsbatterij.rating.resolution import ADJUDICATED_CLOSEST
    from toetsbatterij.reports import service as reports
    from toetsbatterij.results import service as results

    platform, result, _ = seeded
    attempt_id = result["finished"][2]
    with platform.unit_of_work() as db:
        resolutions = rating.resolutions(db, attempt_id)
        assert resolutions is not None and len(resolutions) == 5
        assert [r.item_id for r in resolutions.values() if r.rule == ADJUDICATED_CLOSEST] == \
            ["W-B1-0001"]
        frozen = results.current_result(db, attempt_id)
        assert frozen.id == result["result"]
        skills = {s["skill"]: s for s in frozen.document["skills"]}
        assert all(skills[k]["level"] for k in ("reading", "listening", "writing", "speaking"))
        assert reports.released_result(db, db.get(Attempt, attempt_id)).id == frozen.id
        assert results.recompute(db, platform.forms, rating.resolutions) == []
        # The second finished attempt waits for the raters; nothing of it is adjudicated yet.
        waiting = db.scalars(select(RatingTask).where(
            RatingTask.attempt_id == result["to_rate"][2])).all()
        assert all(t.status != ADJUDICATION for t in waiting)
        assert results.current_result(db, result["to_rate"][2]) is None


def test_the_result_has_an_issued_attest_with_its_files(seeded):
    platform, result, root = seeded
    url = result["attest_url"]
    number = url.split("/attest/")[1].split("?")[0]
    out = root / "out"
    assert (out / f"attest-{number}.pdf").read_bytes().startswith(b"%PDF")
    assert (out / f"attest-{number}.vc.jwt").read_text().count(".") == 2
    assert "keys" in (out / "jwks.json").read_text()
    from toetsbatterij.attests.models import Attest

    with platform.unit_of_work() as db:
        attest = db.scalar(select(Attest).where(Attest.number == number))
        assert attest is not None and attest.result_id == result["result"]


def test_the_studio_has_a_stimulus_in_progress(seeded):
    from toetsbatterij.studio.service import studio_for

    platform, result, root = seeded
    unit = result["studio"]
    assert unit and unit.startswith("L-A1-")
    studio = studio_for(platform.config, root)
    busy = [p for p in (root / "studio").iterdir() if unit in studio.in_progress(int(p.name))]
    assert len(busy) == 1
    ws = studio.workspace(platform.forms.bank, int(busy[0].name), unit)
    assert list(ws.takes) == [0] and not ws.takes[0].stale
    assert all(s["name"].startswith("Demo spreker") for s in ws.speakers.values())
    # The bank itself is untouched: the stimulus is still synthetic.
    assert ws.stimulus.voice.synthetic
