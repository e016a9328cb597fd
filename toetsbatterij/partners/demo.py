"""The demo's partner: VDAB reads, with a token of its own, the trajectory status and the NT2
level of the demo's attested candidate (shared with it), and nothing else; every read shows
in the agency admin's read log. The person and a small trajectory are made from the candidate
when the demo has none yet."""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from toetsbatterij.attests.models import Attest
from toetsbatterij.clock import Clock
from toetsbatterij.delivery.models import Candidate
from toetsbatterij.partners import service
from toetsbatterij.partners.models import Partner
from toetsbatterij.persons.models import Person
from toetsbatterij.trajectories.models import ComponentEvent, Trajectory, TrajectoryComponent

DEMO_PARTNER = "VDAB (demo)"
DEMO_SCOPES = [service.TRAJECTORY, service.NT2_LEVEL, service.ATTEST_LEVEL]


def _person(db: Session, clock: Clock, candidate: Candidate) -> Person:
    if candidate.person_id is not None:
        found = db.get(Person, candidate.person_id)
        if found is not None:
            return found
    found = db.scalar(select(Person).where(Person.organisation_id == candidate.organisation_id,
                                           Person.id_kind == candidate.id_kind,
                                           Person.id_number == candidate.id_number))
    if found is None:
        found = Person(organisation_id=candidate.organisation_id,
                       first_name=candidate.first_name, last_name=candidate.last_name,
                       birth_date=candidate.birth_date, id_kind=candidate.id_kind,
                       id_number=candidate.id_number, id_country=candidate.id_country or "",
                       email="", phone="", instruction_language=candidate.instruction_language,
                       created_at=clock.now(), created_by_id=None, erased_at=None)
        db.add(found)
        db.flush()
    candidate.person_id = found.id
    db.flush()
    return found


def _trajectory(db: Session, clock: Clock, person: Person, attest: Attest | None) -> None:
    if db.scalar(select(Trajectory.id).where(Trajectory.person_id == person.id)) is not None:
        return
    now = clock.now()
    start = (now - dt.timedelta(days=180)).date()
    traj = Trajectory(organisation_id=person.organisation_id, person_id=person.id,
                      kind="obliged", legal_ground="Inburgeringsdecreet", start_date=start,
                      counsellor_id=None, created_at=now, created_by_id=None, closed_at=None,
                      close_reason="")
    db.add(traj)
    db.flush()
    for kind, status, extra in (("mo", "passed", {}),
                                ("nt2", "passed" if attest else "started",
                                 {"provider_type": "cvo", "course_level": "1.2"})):
        comp = TrajectoryComponent(organisation_id=person.organisation_id,
                                   trajectory_id=traj.id, kind=kind, details=extra,
                                   goal_level="A2" if kind == "nt2" else "",
                                   attest_id=attest.id if attest and kind == "nt2" else None,
                                   result_id=attest.result_id if attest and kind == "nt2"
                                   else None, status=status, created_at=now)
        db.add(comp)
        db.flush()
        for occurred, st in ((start, "planned"), (start + dt.timedelta(days=14), "started"),
                             (now.date(), status)):
            db.add(ComponentEvent(organisation_id=person.organisation_id, component_id=comp.id,
                                  status=st, occurred_on=occurred, note="demo", recorded_at=now,
                                  recorded_by_id=None))
    db.flush()


def seed_partner(db: Session, clock: Clock, *, candidate: Candidate,
                 actor_id: int | None) -> dict[str, Any]:
    """The demo partner with a new token (returned once), sharing the candidate's person."""
    org_id = candidate.organisation_id
    attest = db.scalar(select(Attest).where(Attest.candidate_id == candidate.id)
                       .order_by(Attest.id.desc()))
    person = _person(db, clock, candidate)
    _trajectory(db, clock, person, attest)
    partner = db.scalar(select(Partner).where(Partner.organisation_id == org_id,
                                              Partner.name == DEMO_PARTNER))
    if partner is None:
        partner = service.create_partner(db, clock, organisation_id=org_id, actor_id=actor_id,
                                         name=DEMO_PARTNER, kind="work", scopes=DEMO_SCOPES)
    made = service.create_token(db, clock, organisation_id=org_id, actor_id=actor_id,
                                partner_id=partner.id, label="demo")
    shared = {s.person.id: s.share for s in service.shares(db, org_id, partner.id)}
    share = shared.get(person.id) or service.share(db, clock, organisation_id=org_id,
                                                   actor_id=actor_id, partner_id=partner.id,
                                                   person_id=person.id)
    return {"name": partner.name, "partner_id": partner.id, "token": made.secret,
            "person_ref": share.person_ref, "scopes": list(DEMO_SCOPES)}
