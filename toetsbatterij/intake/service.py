"""Central intake: record the interview, read the placement level, give the routing advice,
refer the person to a course (linked to their trajectory), follow the referral's status.

The placement level comes from the person's latest current result of a test with purpose
``placement`` (``itembank/tests/placement.yaml``): a level per skill with its probability, never
an attest (``attests.source`` refuses it). Staff may choose another course than advised, with a
reason; the referral keeps both.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from toetsbatterij.audit.service import record
from toetsbatterij.clock import DEFAULT_TZ, Clock, local_date
from toetsbatterij.delivery.models import Attempt, Candidate, TestDefinitionRecord
from toetsbatterij.errors import Conflict, InvalidInput, NotFound
from toetsbatterij.i18n import N_
from toetsbatterij.intake import routing
from toetsbatterij.intake.models import (
    CANCELLED,
    ENROLLED,
    REFERRED,
    STARTED,
    IntakeInterview,
    Referral,
)
from toetsbatterij.persons.models import Person
from toetsbatterij.results.models import Result
from toetsbatterij.textinput import clean_text
from toetsbatterij.trajectories.models import (
    NT2,
    PLANNED,
    ComponentEvent,
    Trajectory,
    TrajectoryComponent,
)
from toetsbatterij.trajectories.models import STARTED as COMPONENT_STARTED

PLACEMENT_PURPOSE = "placement"
EDUCATION = ("none", "primary", "secondary", "higher")
AVAILABILITY = ("morning", "afternoon", "evening", "saturday")
NEXT_STATUS = {REFERRED: (ENROLLED, CANCELLED), ENROLLED: (STARTED, CANCELLED),
               STARTED: (), CANCELLED: ()}


def _person(db: Session, organisation_id: int, person_id: int) -> Person:
    person = db.get(Person, person_id)
    if person is None or person.organisation_id != organisation_id:
        raise NotFound(detail=f"person {person_id}")
    return person


def _choice(value: Any, allowed: tuple[str, ...], field: str, message: str) -> str:
    text = str(value or "").strip()
    if text not in allowed:
        raise InvalidInput(message, field=field)
    return text


def _choices(values: Any, allowed: tuple[str, ...], field: str) -> list[str]:
    items = [values] if isinstance(values, str) else list(values or [])
    if set(items) - set(allowed):
        raise InvalidInput(N_("Kies uit de lijst."), field=field)
    return [a for a in allowed if a in items]


def clean_interview(data: Mapping[str, Any]) -> dict[str, Any]:
    """The interview's answers, checked (what the advice and the referral rest on)."""
    raw_years = str(data.get("schooling_years") or "").strip()
    if not raw_years.isdigit() or not 0 <= int(raw_years) <= 30:
        raise InvalidInput(N_("Geef het aantal jaren scholing (0 tot 30)."),
                           field="schooling_years")
    country = str(data.get("education_country") or "").strip().upper()
    if country and (len(country) != 2 or not country.isalpha()):
        raise InvalidInput(N_("Geef het land als landcode, bv. MA."), field="education_country")
    literacy = N_("Kies hoe goed de persoon leest en schrijft.")
    return {
        "education_country": country,
        "schooling_years": int(raw_years),
        "highest_education": _choice(data.get("highest_education"), EDUCATION,
                                     "highest_education", N_("Kies het hoogste diploma.")),
        "mother_tongue": clean_text(data.get("mother_tongue"), field="mother_tongue",
                                    label="Moedertaal", max_length=60),
        "mother_tongue_literacy": _choice(data.get("mother_tongue_literacy"), routing.LITERACY,
                                          "mother_tongue_literacy", literacy),
        "latin_literacy": _choice(data.get("latin_literacy"), routing.LITERACY,
                                  "latin_literacy", literacy),
        "languages": clean_text(data.get("languages"), field="languages",
                                label="Andere talen", max_length=200),
        "goals": _choices(data.get("goals"), routing.GOALS, "goals"),
        "availability": _choices(data.get("availability"), AVAILABILITY, "availability"),
        "childcare_needed": str(data.get("childcare_needed") or "") in ("y", "yes", "1", "on",
                                                                         "true", "True"),
        "notes": clean_text(data.get("notes"), field="notes", label="Notities",
                            max_length=2000, multiline=True),
    }


def record_interview(db: Session, clock: Clock, *, organisation_id: int, person_id: int,
                     actor_id: int | None, data: Mapping[str, Any],
                     tz: str = DEFAULT_TZ) -> IntakeInterview:
    _person(db, organisation_id, person_id)
    interview = IntakeInterview(organisation_id=organisation_id, person_id=person_id,
                                interviewed_on=local_date(clock.now(), tz),
                                interviewer_id=actor_id, answers=clean_interview(data),
                                created_at=clock.now())
    db.add(interview)
    db.flush()
    record(db, clock, organisation_id=organisation_id, actor_id=actor_id,
           action="intake.interview", object_type="person", object_id=person_id,
           interview=interview.id)
    return interview


def latest_interview(db: Session, organisation_id: int, person_id: int) -> IntakeInterview | None:
    return db.scalar(select(IntakeInterview).where(
        IntakeInterview.organisation_id == organisation_id,
        IntakeInterview.person_id == person_id)
        .order_by(IntakeInterview.created_at.desc(), IntakeInterview.id.desc()).limit(1))


@dataclass(frozen=True)
class Placement:
    result_id: int
    taken_at: dt.datetime
    skills: dict[str, tuple[str, float | None]]    # skill -> (level, probability of it)

    @property
    def level(self) -> str:
        """The lower of the skills' levels: the course starts where the weaker skill is."""
        return min((lv for lv, _ in self.skills.values()),
                   key=lambda lv: routing.LEVELS.index(lv) if lv in routing.LEVELS else 0,
                   default="below_A1")


def placement(db: Session, organisation_id: int, person_id: int) -> Placement | None:
    """The person's latest current placement result, if any."""
    stmt = (select(Result, Attempt.started_at)
            .join(Attempt, Attempt.id == Result.attempt_id)
            .join(Candidate, Candidate.id == Attempt.candidate_id)
            .join(TestDefinitionRecord, TestDefinitionRecord.id == Attempt.test_definition_id)
            .where(Result.organisation_id == organisation_id, Result.superseded_by_id.is_(None),
                   Candidate.person_id == person_id,
                   TestDefinitionRecord.purpose == PLACEMENT_PURPOSE)
            .order_by(Attempt.started_at.desc(), Result.id.desc()).limit(1))
    row = db.execute(stmt).first()
    if row is None:
        return None
    result, taken = row
    skills = {}
    for s in result.document.get("skills", []):
        if s.get("level"):
            probability = (s.get("probabilities") or {}).get(s["level"])
            skills[s["skill"]] = (s["level"], None if probability is None else float(probability))
    return Placement(result.id, taken, skills)


@dataclass(frozen=True)
class Intake:
    interview: IntakeInterview | None
    placement: Placement | None
    advice: routing.Advice | None


def intake(db: Session, clock: Clock, organisation_id: int, person_id: int, *,
           rules: routing.RoutingRules | None = None, tz: str = DEFAULT_TZ) -> Intake:
    """The person's interview, placement and the advice under the rules in force today (no
    advice without an interview)."""
    _person(db, organisation_id, person_id)
    interview = latest_interview(db, organisation_id, person_id)
    placed = placement(db, organisation_id, person_id)
    advice = None
    if interview is not None:
        version = (rules or routing.default_rules()).in_force(local_date(clock.now(), tz))
        advice = version.advise(routing.profile(placed.level if placed else None,
                                                interview.answers))
    return Intake(interview, placed, advice)


def _open_trajectory(db: Session, organisation_id: int, person_id: int) -> Trajectory | None:
    return db.scalar(select(Trajectory).where(
        Trajectory.organisation_id == organisation_id, Trajectory.person_id == person_id,
        Trajectory.closed_at.is_(None)).order_by(Trajectory.start_date.desc()).limit(1))


def _nt2_component(db: Session, clock: Clock, trajectory: Trajectory, referral: Referral,
                   on: dt.date, actor_id: int | None) -> TrajectoryComponent:
    component = db.scalar(select(TrajectoryComponent).where(
        TrajectoryComponent.trajectory_id == trajectory.id, TrajectoryComponent.kind == NT2)
        .order_by(TrajectoryComponent.id.desc()).limit(1))
    if component is None:
        component = TrajectoryComponent(organisation_id=trajectory.organisation_id,
                                        trajectory_id=trajectory.id, kind=NT2, details={},
                                        goal_level="", status=PLANNED, created_at=clock.now())
        db.add(component)
        db.flush()
        db.add(ComponentEvent(organisation_id=trajectory.organisation_id,
                              component_id=component.id, status=PLANNED, occurred_on=on,
                              note="doorverwezen na de intake", recorded_at=clock.now(),
                              recorded_by_id=actor_id))
    component.details = {**(component.details or {}), "provider_type": referral.provider,
                         "provider": referral.provider_name, "course": referral.course,
                         "pace": referral.pace,
                         "course_level": referral.advice.get("start_level", "")}
    return component


def refer(db: Session, clock: Clock, *, organisation_id: int, person_id: int,
          actor_id: int | None, provider_name: str, provider: str | None = None,
          course: str | None = None, pace: str | None = None, override_reason: str = "",
          rules: routing.RoutingRules | None = None, tz: str = DEFAULT_TZ) -> Referral:
    """Refer the person to a course: as advised, or otherwise with a reason. Linked to the
    person's open trajectory (its NT2 component, made when there is none)."""
    current = intake(db, clock, organisation_id, person_id, rules=rules, tz=tz)
    if current.interview is None or current.advice is None:
        raise Conflict(N_("Neem eerst het intakegesprek af: het advies steunt erop."))
    advice = current.advice
    chosen = (
        _choice(provider or advice.provider, routing.PROVIDERS, "provider",
                N_("Kies een soort aanbieder.")),
        _choice(course or advice.course, routing.COURSES, "course", N_("Kies een cursus.")),
        _choice(pace or advice.pace, routing.PACES, "pace", N_("Kies een tempo.")))
    reason = clean_text(override_reason, field="override_reason", label="Reden",
                        max_length=1000, multiline=True)
    differs = chosen != (advice.provider, advice.course, advice.pace)
    if differs and not reason:
        raise InvalidInput(N_("U kiest een andere cursus dan het advies: geef de reden."),
                           field="override_reason")
    name = clean_text(provider_name, field="provider_name", label="Aanbieder", max_length=200,
                      required=True)
    today = local_date(clock.now(), tz)
    referral = Referral(
        organisation_id=organisation_id, person_id=person_id, interview_id=current.interview.id,
        result_id=current.placement.result_id if current.placement else None,
        advice=advice.to_json(), provider=chosen[0], course=chosen[1], pace=chosen[2],
        provider_name=name, override_reason=reason if differs else "", status=REFERRED,
        history=[{"status": REFERRED, "on": today.isoformat(), "by": actor_id}],
        created_at=clock.now(), created_by_id=actor_id)
    db.add(referral)
    db.flush()
    trajectory = _open_trajectory(db, organisation_id, person_id)
    if trajectory is not None:
        component = _nt2_component(db, clock, trajectory, referral, today, actor_id)
        referral.trajectory_id, referral.component_id = trajectory.id, component.id
    record(db, clock, organisation_id=organisation_id, actor_id=actor_id,
           action="intake.refer", object_type="person", object_id=person_id,
           referral=referral.id, rule=advice.rule, rules_version=advice.version,
           overridden=differs)
    return referral


def set_status(db: Session, clock: Clock, *, organisation_id: int, referral_id: int,
               status: str, actor_id: int | None, tz: str = DEFAULT_TZ) -> Referral:
    referral = db.get(Referral, referral_id)
    if referral is None or referral.organisation_id != organisation_id:
        raise NotFound(detail=f"referral {referral_id}")
    if status not in NEXT_STATUS.get(referral.status, ()):
        raise Conflict(N_("Deze stap kan nu niet voor deze doorverwijzing."))
    today = local_date(clock.now(), tz)
    referral.status = status
    referral.history = [*referral.history, {"status": status, "on": today.isoformat(),
                                            "by": actor_id}]
    if status == STARTED and referral.component_id is not None:
        component = db.get(TrajectoryComponent, referral.component_id)
        if component is not None:
            component.status = COMPONENT_STARTED
            db.add(ComponentEvent(organisation_id=organisation_id, component_id=component.id,
                                  status=COMPONENT_STARTED, occurred_on=today,
                                  note="cursus begonnen", recorded_at=clock.now(),
                                  recorded_by_id=actor_id))
    db.flush()
    record(db, clock, organisation_id=organisation_id, actor_id=actor_id,
           action="intake.referral_status", object_type="referral", object_id=referral.id,
           status=status)
    return referral


def referrals(db: Session, organisation_id: int, person_id: int) -> list[Referral]:
    return list(db.scalars(select(Referral).where(
        Referral.organisation_id == organisation_id, Referral.person_id == person_id)
        .order_by(Referral.created_at.desc(), Referral.id.desc())))
