"""The retake policy applied to a person's history in one agency: their earlier attempts (by
identity document, over every session), each with whether a technical incident was recorded
for it (``delivery.models.Incident`` with code "technical"), under the rules in force on the
day of the new attempt."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import select
from sqlalchemy.orm import Session

from toetsbatterij.attests import rulesets
from toetsbatterij.attests.rules import PastAttempt, RetakeDecision
from toetsbatterij.delivery.models import ADMISSION, Attempt, Candidate, Incident

TECHNICAL = "technical"


def history(db: Session, organisation_id: int, *, id_kind: str, id_number: str,
            exclude_candidate_id: int | None = None,
            tz: str = rulesets.DEFAULT_TZ) -> list[PastAttempt]:
    """Every attempt the person began (admitted, so past the identity check), oldest first."""
    stmt = (select(Attempt.started_at, Candidate.id)
            .join(Candidate, Candidate.id == Attempt.candidate_id)
            .where(Candidate.organisation_id == organisation_id, Candidate.id_kind == id_kind,
                   Candidate.id_number == id_number, Candidate.erased_at.is_(None),
                   Attempt.state != ADMISSION))
    if exclude_candidate_id is not None:
        stmt = stmt.where(Candidate.id != exclude_candidate_id)
    rows = db.execute(stmt.order_by(Attempt.started_at)).all()
    technical = set(db.scalars(select(Incident.candidate_id).where(
        Incident.organisation_id == organisation_id, Incident.code == TECHNICAL,
        Incident.candidate_id.in_([cid for _, cid in rows]))))
    return [PastAttempt(rulesets.local_date(started, tz), cid in technical)
            for started, cid in rows]


def decision(db: Session, organisation_id: int, *, id_kind: str, id_number: str,
             on: dt.date, profile: str | None = None, exclude_candidate_id: int | None = None,
             tz: str = rulesets.DEFAULT_TZ) -> RetakeDecision:
    """May this person take a new attempt on ``on`` (and is it free)?"""
    rules = rulesets.in_force(db, organisation_id, on).rules
    past = history(db, organisation_id, id_kind=id_kind, id_number=id_number,
                   exclude_candidate_id=exclude_candidate_id, tz=tz)
    return rules.retake(past, on, profile)
