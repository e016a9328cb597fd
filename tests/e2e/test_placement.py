"""Central intake in a real browser (issue 17): a newcomer takes the short placement test
(practice first, reading and listening), staff hold the intake interview, see the placement
level with its probability and the routing advice, and refer the person to a course; the
referral lands on the NT2 component of the person's trajectory."""

from __future__ import annotations

import datetime as dt

import pytest
import yaml
from bankfixture import write_bank
from delivery_support import PASSWORD
from sqlalchemy import select

from toetsbatterij.delivery import proctoring, sessions
from toetsbatterij.delivery.models import FINISHED, Attempt, Candidate
from toetsbatterij.intake.models import Referral
from toetsbatterij.trajectories import service as trajectories
from toetsbatterij.trajectories.models import TrajectoryComponent

from .support import candidate_page, open_content, shot
from .test_exam_room import answer_screen

pytestmark = [pytest.mark.browser]

CUTS = {"A1": -2.4, "A2": -1.2, "B1": 0.0, "B2": 1.2, "C1": 2.4}


@pytest.fixture(scope="module")
def bank_dir(tmp_path_factory):
    """The test bank with a placement test beside its attest tests."""
    root = write_bank(tmp_path_factory.mktemp("placement") / "itembank")
    design = {"estimator": "eap", "selection": {"method": "max_info", "randomesque": 2},
              "exposure": {"method": "none"}, "stopping": {"min_items": 3, "max_items": 4}}
    (root / "tests" / "plaatsing.yaml").write_text(yaml.safe_dump({
        "id": "plaatsing", "name": "Plaatsingstoets (test)", "purpose": "placement",
        "target_level": "A1", "cut_scores": {"reading": CUTS, "listening": CUTS},
        "sections": [
            {"skill": "reading", "time_limit_minutes": 10, "design": design,
             "blueprint": {"length": 4}},
            {"skill": "listening", "time_limit_minutes": 10, "design": design,
             "blueprint": {"length": 4}}]}, allow_unicode=True), encoding="utf-8")
    return root


@pytest.fixture(scope="module")
def content(bank_dir):
    return open_content(bank_dir)


def test_placement_interview_advice_and_referral(browser, live_server, world, db_session):
    db, a = world.db, world.a
    sess = sessions.create_session(
        db, world.clock, organisation_id=a["org"], actor_id=None, location_id=a["location"],
        test_definition_id=world.definitions["plaatsing"].id,
        starts_at=world.clock.now() - dt.timedelta(minutes=30),
        ends_at=world.clock.now() + dt.timedelta(hours=4))
    cand = world.candidate(a["org"], sess.id, 7, admit=False)
    sessions.open_session(db, world.clock, organisation_id=a["org"], actor_id=None,
                          session_id=sess.id)
    proctoring.admit_candidates(db, world.clock, organisation_id=a["org"], session_id=sess.id,
                                candidate_ids=[cand.id], actor_id=None)
    assert cand.person_id is not None           # a new person, made at the registration
    trajectory = trajectories.create_trajectory(
        db, world.clock, organisation_id=a["org"], actor_id=None, person_id=cand.person_id,
        kind="obliged", legal_ground="Inburgeringsdecreet, art. 27", start_date=dt.date.today())
    db.commit()
    person_id, access_code = cand.person_id, cand.access_code

    # the newcomer takes the placement test: practice first, then reading and listening
    page = candidate_page(browser)
    page.goto(live_server + "/")
    page.fill("#session_code", sess.code.lower())
    page.fill("#access_code", access_code)
    page.keyboard.press("Enter")
    page.wait_for_selector("text=Zo werkt de toets")
    page.get_by_role("button", name="Begin met oefenen").click()
    page.wait_for_selector("text=Dit is een oefenvraag")
    for _ in range(40):
        page.wait_for_load_state()
        if page.locator("text=U bent klaar").count():
            break
        start = page.get_by_role("button", name="Start")
        if start.count():
            start.click()
            continue
        answer_screen(page)
    else:
        raise AssertionError("the placement test did not end")
    shot(page, "60-plaatsing-klaar")
    db_session.expire_all()
    attempt = db_session.scalar(select(Attempt).where(Attempt.candidate_id == cand.id))
    assert attempt.state == FINISHED

    # staff: the intake interview, the placement level, the advice, the referral
    staff = browser.new_context().new_page()
    staff.goto(f"{live_server}/beheer/aanmelden")
    staff.fill("#email", f"agency_admin@{a['domain']}")
    staff.fill("#password", PASSWORD)
    staff.get_by_role("button", name="Aanmelden").click()
    staff.goto(f"{live_server}/beheer/personen/{person_id}")
    staff.get_by_role("link", name="Intake en doorverwijzing").click()
    staff.wait_for_selector("text=Niveau voor de cursus")
    assert "kans" in staff.locator("main").inner_text()
    staff.fill("#schooling_years", "4")
    staff.locator("input[name=highest_education][value=primary]").check()
    staff.locator("input[name=mother_tongue_literacy][value=good]").check()
    staff.locator("input[name=latin_literacy][value=good]").check()
    staff.locator("input[name=goals][value=work]").check()
    staff.get_by_role("button", name="Gesprek bewaren").click()
    staff.wait_for_selector("#advice")
    advice = staff.locator("#advice").inner_text()
    assert "Centrum voor Basiseducatie (CBE)" in advice and "cbe-short-schooling" in advice
    shot(staff, "61-intake-advies")
    staff.fill("#provider_name", "CBE Open School Antwerpen")
    staff.get_by_role("button", name="Doorverwijzen").click()
    staff.wait_for_selector("text=De doorverwijzing is bewaard.")
    staff.get_by_role("link", name="In het traject (onderdeel NT2)").click()
    staff.wait_for_load_state()
    assert "CBE Open School Antwerpen" in staff.locator("main").inner_text() or \
        staff.url.endswith(f"/beheer/trajecten/{trajectory.id}")

    db_session.expire_all()
    referral = db_session.scalar(select(Referral).where(Referral.person_id == person_id))
    assert referral.provider == "cbe" and referral.result_id is not None
    component = db_session.get(TrajectoryComponent, referral.component_id)
    assert component.trajectory_id == trajectory.id and component.kind == "nt2"
    assert component.details["provider"] == "CBE Open School Antwerpen"
    assert db_session.get(Candidate, cand.id).person_id == person_id
