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
        others = db.scalars(select(Attempt).where(
            Attempt.id != attempt_id,
            Attempt.test_definition_id == attempt.test_definition_id)).all()  # not the placement
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


def test_the_finished_candidates_answered_the_survey(seeded):
    from toetsbatterij.surveys import service as surveys
    from toetsbatterij.surveys.models import SurveyResponse

    platform, result, _ = seeded
    with platform.unit_of_work() as db:
        rows = db.scalars(select(SurveyResponse)).all()
        assert sorted(r.answers["clarity"] for r in rows) == [4, 5]
        (total,) = surveys.summary(db, rows[0].organisation_id, min_group=2)
        assert total.responses == 2 and total.questions[1].mean == 5.0
        assert surveys.summary(db, rows[0].organisation_id)[0].suppressed  # below 10


def test_amina_is_a_person_with_a_trajectory_and_her_attest_on_its_nt2(seeded):
    from toetsbatterij.attests.models import Attest
    from toetsbatterij.trajectories import service as trajectories
    from toetsbatterij.trajectories.models import CivicCertificate, Trajectory

    platform, result, root = seeded
    with platform.unit_of_work() as db:
        attempt = db.get(Attempt, result["finished"][2])
        cand = db.get(Candidate, attempt.candidate_id)
        trajectory = db.get(Trajectory, result["trajectory"])
        assert cand.person_id is not None and trajectory.person_id == cand.person_id
        parts = {c.kind: c for c in trajectories.components(db, trajectory.id)}
        assert parts["mo"].status == "passed"
        attest = db.scalar(select(Attest).where(Attest.result_id == result["result"]))
        assert parts["nt2"].attest_id == attest.id  # linked by identity when it was issued
        check = trajectories.certificate_check(db, trajectory, platform.clock.now().date())
        issued = db.scalars(select(CivicCertificate)
                            .where(CivicCertificate.trajectory_id == trajectory.id)).all()
        kinds = attest.payload["levels"]["kinds"]
        reaches = all(kinds.get(k) in ("A2", "B1", "B2", "C1", "C2")
                      for k in ("mondeling", "schriftelijk"))
        # The certificate exactly when her level meets A2 (the rule of today is met)
        assert check.met == reaches == bool(issued) == bool(result["certificate_url"])
        if issued:
            number = issued[0].number
            assert (root / "out" / f"inburgeringsattest-{number}.pdf").read_bytes() \
                .startswith(b"%PDF")
            assert number in result["certificate_url"]


def test_aminas_result_has_an_open_complaint_with_its_deadlines(seeded):
    from toetsbatterij.complaints import service as complaints
    from toetsbatterij.complaints.models import Complaint
    from toetsbatterij.results import service as results

    platform, result, _ = seeded
    complaint_id, reference = result["complaint"]
    with platform.unit_of_work() as db:
        row = db.get(Complaint, complaint_id)
        assert row.reference == reference and row.status == "received"
        assert row.attempt_id == result["finished"][2] and row.skills == ["writing"]
        assert row.result_id == results.current_result(db, row.attempt_id).id == result["result"]
        assert row.acknowledged_at is not None and row.decided_at is None
        steps = {s.name: s for s in complaints.steps(db, row, platform.clock.now().date())}
        assert steps["acknowledge"].done_on and not steps["decide"].overdue
        assert steps["review"].applicable and steps["review"].done_on is None
        # The contested productions are Amina's writing tasks, rated and resolved.
        assert len(complaints.productions(db, row)) >= 1


def test_samira_took_the_placement_test_and_was_referred(seeded):
    from toetsbatterij.intake import service as intake
    from toetsbatterij.intake.models import Referral

    platform, result, _ = seeded
    info = result["intake"]
    with platform.unit_of_work() as db:
        (referral,) = db.scalars(select(Referral)).all()
        assert referral.person_id == info["person_id"] and referral.result_id is not None
        assert referral.provider == info["provider"] == "cbe"
        placed = intake.placement(db, referral.organisation_id, info["person_id"])
        assert set(placed.skills) == {"reading", "listening"}
        assert all(p is not None and 0 < p <= 1 for _, p in placed.skills.values())


def test_the_demo_partner_reads_the_shared_candidate_with_its_token(seeded):
    """The printed partner token works at once: VDAB sees Amina's trajectory, NT2 level and
    attest, not her identity, and the read is in the agency's read log."""
    from toetsbatterij.partners import service as partners
    from toetsbatterij.web import create_app

    platform, result, _ = seeded
    partner = result["partner"]
    app = create_app(platform=platform)
    app.config.update(TESTING=True, SECRET_KEY="demo-test")
    client = app.test_client()
    headers = {"Authorization": f"Bearer {partner['token']}"}
    doc = client.get(f"/api/partner/v1/persons/{partner['person_ref']}", headers=headers)
    assert doc.status_code == 200, doc.get_data(as_text=True)
    body = doc.get_json()
    assert "identity" not in body
    assert body["nt2"]["goal_level"] == "A2" and body["nt2"]["reached"]["source"] == "attest"
    assert [a["revoked"] for a in body["attests"]] == [False]
    assert {c["kind"] for c in body["trajectory"]["components"]} == {"mo", "nt2", "career", "participation"}
    with platform.unit_of_work() as db:
        [read] = partners.reads(db, _org(db), partner_id=partner["partner_id"])
        assert read.persons == ["Amina El Idrissi"] and read.read.outcome == "ok"


def _org(db):
    from toetsbatterij.demo.seed import DEMO_ORG
    from toetsbatterij.organisations import service as organisations

    return organisations.get_organisation(db, DEMO_ORG).id


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
