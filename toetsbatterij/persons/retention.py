"""Retention of persons (``toetsbatterij.privacy.retention``, kind ``identity``).

A person's identity data (names, birth date, identity document, contact details) are erased
once nothing of theirs is live any more: every registration of theirs has had its identity
data erased (or there is none), no trajectory of theirs is open, and the person record, their
last trajectory's closing and their last certificate are older than the identity period. With
the person go the free texts of their trajectories (legal ground, closing reason, the notes of
status events, the free-text details of components) and the holder of their certificates
(which stay verifiable by number and code, like an attest). Ids, statuses, dates, levels and
links stay: what a count or an audit needs.
"""

from __future__ import annotations

import datetime as dt

from sqlalchemy import exists, func, select
from sqlalchemy.orm import Session

from toetsbatterij.clock import Clock
from toetsbatterij.delivery.models import Candidate
from toetsbatterij.persons.models import Person
from toetsbatterij.trajectories.models import (
    CivicCertificate,
    ComponentEvent,
    Trajectory,
    TrajectoryComponent,
)

#: Component details that are not free text (kept after the erasure).
KEPT_DETAILS = ("provider_type", "course_level", "attendance_percent")


def due_persons(db: Session, cutoff: dt.datetime) -> list[Person]:
    live_candidate = exists().where(Candidate.person_id == Person.id,
                                    Candidate.erased_at.is_(None))
    open_or_recent = exists().where(Trajectory.person_id == Person.id,
                                    func.coalesce(Trajectory.closed_at, cutoff) >= cutoff)
    recent_certificate = exists().where(CivicCertificate.person_id == Person.id,
                                        CivicCertificate.issued_at >= cutoff)
    return list(db.scalars(select(Person).where(
        Person.erased_at.is_(None), Person.created_at < cutoff, ~live_candidate,
        ~open_or_recent, ~recent_certificate)))


def erase_persons(db: Session, clock: Clock, cutoff: dt.datetime) -> int:
    from toetsbatterij.privacy.retention import ERASED_BIRTH_DATE

    now = clock.now()
    persons = due_persons(db, cutoff)
    for person in persons:
        person.first_name = person.last_name = ""
        person.birth_date = ERASED_BIRTH_DATE
        person.id_number = person.id_country = ""
        person.email = person.phone = ""
        person.erased_at = now
    ids = [p.id for p in persons]
    if ids:
        trajectories = list(db.scalars(select(Trajectory).where(Trajectory.person_id.in_(ids))))
        for trajectory in trajectories:
            trajectory.legal_ground = trajectory.close_reason = ""
        trajectory_ids = [t.id for t in trajectories]
        components = list(db.scalars(select(TrajectoryComponent).where(
            TrajectoryComponent.trajectory_id.in_(trajectory_ids)))) if trajectory_ids else []
        for component in components:
            component.details = {k: v for k, v in (component.details or {}).items()
                                 if k in KEPT_DETAILS}
        component_ids = [c.id for c in components]
        if component_ids:
            for event in db.scalars(select(ComponentEvent).where(
                    ComponentEvent.component_id.in_(component_ids))):
                event.note = ""
        for certificate in db.scalars(select(CivicCertificate).where(
                CivicCertificate.person_id.in_(ids))):
            certificate.holder = certificate.holder_salt = certificate.credential_jwt = None
            certificate.decision_reason = ""
    db.flush()
    return len(persons)
