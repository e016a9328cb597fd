"""Central intake (issue 17): the interview, the placement level (never an attest), the
advice, the referral linked to the trajectory, its status, and agency isolation."""

from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import select

from toetsbatterij.attests import source
from toetsbatterij.audit.models import AuditEntry
from toetsbatterij.delivery import models as delivery_models
from toetsbatterij.delivery.models import FINISHED, Attempt
from toetsbatterij.errors import Conflict, InvalidInput, NotFound
from toetsbatterij.intake import service
from toetsbatterij.persons.models import Person
from toetsbatterij.results.models import Result
from toetsbatterij.trajectories.models import ComponentEvent, Trajectory, TrajectoryComponent

INTERVIEW = {"education_country": "ma", "schooling_years": "6", "highest_education": "primary",
             "mother_tongue": "Arabisch", "mother_tongue_literacy": "good",
             "latin_literacy": "weak", "languages": "Frans", "goals": ["work", "children_school"],
             "availability": ["morning"], "childcare_needed": "y", "notes": "Twee kinderen."}


@pytest.fixture
def person(world):
    p = Person(organisation_id=world.a["org"], first_name="Amina", last_name="El Idrissi",
               birth_date=dt.date(1990, 5, 4), id_kind="rrn", id_number="90050400123",
               created_at=world.clock.now())
    world.db.add(p)
    world.db.commit()
    return p


def _placement(world, person, levels, *, day=0):
    """A finished placement attempt of the person with a frozen result."""
    db = world.db
    definition = db.scalar(select(delivery_models.TestDefinitionRecord).where(
        delivery_models.TestDefinitionRecord.code == "placement"))
    if definition is None:
        definition = delivery_models.TestDefinitionRecord(code="placement", version="p" * 64, bank_version="b",
                                          name="Plaatsingstoets", purpose="placement",
                                          target_level="A1", manifest={},
                                          created_at=world.clock.now())
        db.add(definition)
        db.flush()
    cand = world.candidate(world.a["org"], world.a["session"], 5 + day, admit=False)
    cand.person_id = person.id
    started = world.clock.now() + dt.timedelta(days=day)
    attempt = Attempt(organisation_id=world.a["org"], candidate_id=cand.id,
                      test_definition_id=definition.id, bank_version="b", seed=1,
                      state=FINISHED, section_index=1, started_at=started, finished_at=started)
    db.add(attempt)
    db.flush()
    result = Result(organisation_id=world.a["org"], attempt_id=attempt.id, revision=1,
                    form_version="f" * 64, rules_version="r" * 64, inputs_hash="a" * 64,
                    fair_scores=False, frozen_at=started, supersede_reason="", document={
                        "skills": [{"skill": s, "level": lv, "probabilities": {lv: p}}
                                   for s, (lv, p) in levels.items()]})
    db.add(result)
    db.commit()
    return result


def test_the_interview_is_checked_and_audited(world, person, db_session):
    with pytest.raises(InvalidInput) as err:
        service.record_interview(world.db, world.clock, organisation_id=world.a["org"],
                                 person_id=person.id, actor_id=None,
                                 data={**INTERVIEW, "schooling_years": "veel"})
    assert err.value.field == "schooling_years"
    for field, value in (("latin_literacy", "perfect"), ("goals", ["money"]),
                         ("education_country", "Marokko"), ("highest_education", "")):
        with pytest.raises(InvalidInput) as err:
            service.record_interview(world.db, world.clock, organisation_id=world.a["org"],
                                     person_id=person.id, actor_id=None,
                                     data={**INTERVIEW, field: value})
        assert err.value.field == field
    interview = service.record_interview(world.db, world.clock, organisation_id=world.a["org"],
                                         person_id=person.id, actor_id=None, data=INTERVIEW)
    world.db.commit()
    assert interview.answers["education_country"] == "MA"
    assert interview.answers["goals"] == ["work", "children_school"]
    assert interview.answers["childcare_needed"] is True
    entry = db_session.scalars(select(AuditEntry).where(
        AuditEntry.action == "intake.interview")).one()
    assert entry.details == {"interview": interview.id}    # no answers in the audit log
    with pytest.raises(NotFound):
        service.record_interview(world.db, world.clock, organisation_id=world.b["org"],
                                 person_id=person.id, actor_id=None, data=INTERVIEW)


def test_the_placement_level_is_the_weaker_skill_with_its_probability(world, person):
    assert service.placement(world.db, world.a["org"], person.id) is None
    _placement(world, person, {"reading": ("A1", 0.7), "listening": ("A2", 0.8)}, day=0)
    latest = _placement(world, person, {"reading": ("A2", 0.6), "listening": ("B1", 0.9)},
                        day=3)
    placed = service.placement(world.db, world.a["org"], person.id)
    assert placed.result_id == latest.id and placed.level == "A2"
    assert placed.skills == {"reading": ("A2", 0.6), "listening": ("B1", 0.9)}
    assert service.placement(world.db, world.b["org"], person.id) is None


def test_a_placement_result_never_gives_an_attest(world, person):
    result = _placement(world, person, {"reading": ("A2", 0.6), "listening": ("A2", 0.9)})
    with pytest.raises(Conflict) as err:
        source.load_result(world.db, world.a["org"], result.id)
    assert err.value.msgid == source.PLACEMENT


def test_advice_referral_and_trajectory(world, person, db_session):
    with pytest.raises(Conflict):       # no interview yet
        service.refer(world.db, world.clock, organisation_id=world.a["org"],
                      person_id=person.id, actor_id=None, provider_name="CBE Antwerpen")
    service.record_interview(world.db, world.clock, organisation_id=world.a["org"],
                             person_id=person.id, actor_id=None, data=INTERVIEW)
    _placement(world, person, {"reading": ("A1", 0.7), "listening": ("A1", 0.8)})
    trajectory = Trajectory(organisation_id=world.a["org"], person_id=person.id, kind="obliged",
                            legal_ground="", start_date=dt.date(2026, 3, 1),
                            created_at=world.clock.now(), close_reason="")
    world.db.add(trajectory)
    world.db.commit()
    now = service.intake(world.db, world.clock, world.a["org"], person.id)
    assert (now.advice.rule, now.advice.provider, now.advice.start_level) == \
        ("cbe-short-schooling", "cbe", "A1")
    with pytest.raises(InvalidInput) as err:   # another course needs a reason
        service.refer(world.db, world.clock, organisation_id=world.a["org"],
                      person_id=person.id, actor_id=None, provider_name="CVO Antwerpen",
                      provider="cvo")
    assert err.value.field == "override_reason"
    referral = service.refer(world.db, world.clock, organisation_id=world.a["org"],
                             person_id=person.id, actor_id=None, provider_name="CVO Antwerpen",
                             provider="cvo", pace="standard",
                             override_reason="Werkt overdag; avondcursus bij het CVO.")
    world.db.commit()
    assert (referral.provider, referral.course, referral.pace) == ("cvo", "nt2", "standard")
    assert referral.advice["provider"] == "cbe" and referral.advice["version"] == 2
    assert referral.trajectory_id == trajectory.id
    component = db_session.get(TrajectoryComponent, referral.component_id)
    assert component.kind == "nt2" and component.status == "planned"
    assert component.details["provider"] == "CVO Antwerpen"
    for status in ("enrolled", "started"):
        service.set_status(world.db, world.clock, organisation_id=world.a["org"],
                           referral_id=referral.id, status=status, actor_id=None)
    world.db.commit()
    db_session.expire_all()
    assert [h["status"] for h in db_session.get(type(referral), referral.id).history] == [
        "referred", "enrolled", "started"]
    assert db_session.get(TrajectoryComponent, component.id).status == "started"
    assert [e.status for e in db_session.scalars(select(ComponentEvent).where(
        ComponentEvent.component_id == component.id).order_by(ComponentEvent.id))] == [
        "planned", "started"]
    with pytest.raises(Conflict):
        service.set_status(world.db, world.clock, organisation_id=world.a["org"],
                           referral_id=referral.id, status="enrolled", actor_id=None)
    with pytest.raises(NotFound):
        service.set_status(world.db, world.clock, organisation_id=world.b["org"],
                           referral_id=referral.id, status="cancelled", actor_id=None)
    assert [r.id for r in service.referrals(world.db, world.a["org"], person.id)] == [
        referral.id]
    assert service.referrals(world.db, world.b["org"], person.id) == []


def test_a_referral_as_advised_needs_no_reason_and_no_trajectory(world, person):
    service.record_interview(world.db, world.clock, organisation_id=world.a["org"],
                             person_id=person.id, actor_id=None,
                             data={**INTERVIEW, "schooling_years": "14", "latin_literacy": "good",
                                   "goals": ["study"]})
    referral = service.refer(world.db, world.clock, organisation_id=world.a["org"],
                             person_id=person.id, actor_id=None, provider_name="CVO")
    assert referral.advice["rule"] == "cvo-fast"            # no placement: below A1
    assert referral.override_reason == "" and referral.trajectory_id is None
