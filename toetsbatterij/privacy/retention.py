"""Retention per data kind and the erasure job.

Each data kind has a retention period in days (configuration ``RETENTION_DAYS``; the lengths
are the agency's decision). The job removes the personal data whose period is over and keeps
what must stay verifiable: the pseudonymous ids (candidate, attempt, presentation), scores,
levels, times, and the audit log. The audit log is hash-chained (``audit/chain.py``); it is
kept whole, which is possible because its details never hold personal data: only ids, codes
and numbers (names are looked up from the ids when the audit page is shown, and an erased
candidate shows without a name). tests/privacy checks that rule on a full exam day.

| kind             | runs from                                   | what erasure does                      |
|------------------|---------------------------------------------|----------------------------------------|
| identity         | end of the attempt, else end of the session | names, birth date, identity number and |
|                  |                                             | country, device token, end reason and  |
|                  |                                             | incident notes about the candidate     |
| responses        | end of the attempt, else end of the session | raw answers (typed texts) set to null; |
|                  |                                             | scores stay                            |
| recordings       | end of the attempt                          | erasers registered by the package that |
|                  |                                             | stores recordings (issue 9)            |
| incidents        | end of the session                          | incident rows deleted                  |
| sessions         | end (revocation or expiry) of the login     | login_session rows deleted             |
| login_throttle   | the last failure                            | login_throttle rows deleted            |
| identity         | the last live registration, trajectory or   | persons (persons.retention): names,    |
| (persons)        | certificate of the person                   | birth date, identity document, contact;|
|                  |                                             | trajectory free texts; certificate     |
|                  |                                             | holders                                |
| staff            | the deactivation of a staff account         | display name and e-mail replaced, the  |
|                  |                                             | password hash emptied (id and role     |
|                  |                                             | stay: the audit log and ratings name   |
|                  |                                             | the account by id)                     |
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import delete, func, select, update
from sqlalchemy.orm import Session

from toetsbatterij.accounts.models import StaffAccount
from toetsbatterij.audit.service import record
from toetsbatterij.clock import Clock
from toetsbatterij.delivery.models import (
    Attempt,
    Candidate,
    ExamSession,
    Incident,
    LoginThrottle,
    Response,
)
from toetsbatterij.errors import ConfigurationError
from toetsbatterij.login_sessions import service as login_sessions

KINDS = ("identity", "responses", "recordings", "incidents", "sessions", "login_throttle",
         "staff")
ERASED_BIRTH_DATE = dt.date(1900, 1, 1)

#: Erasers of further data kinds, registered by the package that stores them (recordings on
#: disk through the storage interface of issue 9): ``(db, clock, cutoff) -> count``.
Eraser = Callable[[Session, Clock, dt.datetime], int]
ERASERS: dict[str, list[Eraser]] = {kind: [] for kind in KINDS}


def register_eraser(kind: str, eraser: Eraser) -> None:
    if kind not in ERASERS:
        raise ValueError(kind)
    ERASERS[kind].append(eraser)


@dataclass(frozen=True)
class RetentionPolicy:
    days: Mapping[str, int]

    @classmethod
    def from_config(cls, config: Mapping[str, Any]) -> RetentionPolicy:
        days = config["RETENTION_DAYS"]
        if not isinstance(days, Mapping) or set(days) != set(KINDS) or any(
                not isinstance(v, int) or isinstance(v, bool) or v < 1 for v in days.values()):
            raise ConfigurationError(
                f"RETENTION_DAYS: expected whole days (at least 1) for exactly {', '.join(KINDS)}")
        return cls(dict(days))

    def cutoff(self, kind: str, now: dt.datetime) -> dt.datetime:
        return now - dt.timedelta(days=self.days[kind])


@dataclass
class ErasureReport:
    counts: dict[str, int] = field(default_factory=dict)

    def total(self) -> int:
        return sum(self.counts.values())


def _attempt_end() -> Any:
    """When the period of a candidate's data runs from: the end of the attempt, or (no attempt,
    or one that never ended) the end of the exam session."""
    return func.coalesce(Attempt.finished_at, ExamSession.ends_at)


def _due_candidates(db: Session, cutoff: dt.datetime, *, erased: bool | None) -> list[Candidate]:
    stmt = (select(Candidate)
            .join(ExamSession, ExamSession.id == Candidate.exam_session_id)
            .outerjoin(Attempt, Attempt.candidate_id == Candidate.id)
            .where(_attempt_end() < cutoff))
    if erased is False:
        stmt = stmt.where(Candidate.erased_at.is_(None))
    return list(db.scalars(stmt))


def erase_identities(db: Session, clock: Clock, cutoff: dt.datetime) -> int:
    now = clock.now()
    candidates = _due_candidates(db, cutoff, erased=False)
    for cand in candidates:
        cand.first_name = ""
        cand.last_name = ""
        cand.birth_date = ERASED_BIRTH_DATE
        cand.id_number = ""
        cand.id_country = ""
        cand.device_token = None
        cand.erased_at = now
    ids = [c.id for c in candidates]
    if ids:
        db.execute(update(Attempt).where(Attempt.candidate_id.in_(ids)).values(end_reason=""))
        db.execute(update(Incident).where(Incident.candidate_id.in_(ids)).values(note=""))
    db.flush()
    return len(candidates)


def erase_responses(db: Session, clock: Clock, cutoff: dt.datetime) -> int:
    attempt_ids = (select(Attempt.id).join(Candidate, Candidate.id == Attempt.candidate_id)
                   .join(ExamSession, ExamSession.id == Candidate.exam_session_id)
                   .where(_attempt_end() < cutoff))
    erased = 0
    for row in db.scalars(select(Response).where(Response.attempt_id.in_(attempt_ids))):
        if row.raw is not None:
            row.raw = None
            erased += 1
    db.flush()
    return erased


def delete_incidents(db: Session, clock: Clock, cutoff: dt.datetime) -> int:
    ended = select(ExamSession.id).where(ExamSession.ends_at < cutoff)
    result = db.execute(delete(Incident).where(Incident.exam_session_id.in_(ended)))
    return int(result.rowcount or 0)


def delete_login_throttles(db: Session, clock: Clock, cutoff: dt.datetime) -> int:
    result = db.execute(delete(LoginThrottle).where(LoginThrottle.last_failure_at < cutoff))
    return int(result.rowcount or 0)


def purge_sessions(db: Session, clock: Clock, cutoff: dt.datetime) -> int:
    return login_sessions.purge_ended(db, clock, older_than=clock.now() - cutoff)


def anonymise_staff(db: Session, clock: Clock, cutoff: dt.datetime) -> int:
    """Deactivated accounts past retention: a neutral name, an address that cannot receive
    mail, no password (an empty hash never verifies)."""
    due = db.scalars(select(StaffAccount).where(
        StaffAccount.active.is_(False), StaffAccount.deactivated_at.is_not(None),
        StaffAccount.deactivated_at < cutoff, StaffAccount.password_hash != "")).all()
    for account in due:
        account.display_name = f"Verwijderd account {account.id}"
        account.email = f"erased-{account.id}@erased.invalid"
        account.password_hash = ""
    db.flush()
    return len(due)


BUILT_IN: dict[str, Eraser] = {
    "identity": erase_identities,
    "responses": erase_responses,
    "incidents": delete_incidents,
    "sessions": purge_sessions,
    "login_throttle": delete_login_throttles,
    "staff": anonymise_staff,
}


def _erase_writing_drafts(db: Session, clock: Clock, cutoff: dt.datetime) -> int:
    """Typed texts kept as drafts (productions) are responses too."""
    from toetsbatterij.productions.retention import erase_drafts

    return erase_drafts(db, clock, cutoff)


ERASERS["responses"].append(_erase_writing_drafts)


def _erase_attest_holders(db: Session, clock: Clock, cutoff: dt.datetime) -> int:
    """An erased candidate's attests lose their holder (they stay verifiable by number)."""
    from toetsbatterij.attests.retention import erase_holders

    return erase_holders(db, clock, cutoff)


ERASERS["identity"].append(_erase_attest_holders)


def _erase_persons(db: Session, clock: Clock, cutoff: dt.datetime) -> int:
    """Persons across sessions (and their trajectories' free texts, their certificates'
    holders) once none of their registrations and trajectories is live any more."""
    from toetsbatterij.persons.retention import erase_persons

    return erase_persons(db, clock, cutoff)


ERASERS["identity"].append(_erase_persons)


def _erase_complaint_texts(db: Session, clock: Clock, cutoff: dt.datetime) -> int:
    """An erased candidate's complaints lose their free text (ids, dates, outcome stay)."""
    from toetsbatterij.complaints.retention import erase_texts

    return erase_texts(db, clock, cutoff)


ERASERS["identity"].append(_erase_complaint_texts)


def erase_expired(db: Session, clock: Clock, policy: RetentionPolicy,
                  extra: Mapping[str, list[Eraser]] | None = None) -> ErasureReport:
    """Remove the personal data past retention, every kind (flushes; the caller commits);
    ``extra`` adds erasers per kind for data kept elsewhere (the recordings storage).
    Each agency whose candidates' identity data were erased gets an audit entry with the
    number (ids and counts only, like every audit entry)."""
    now = clock.now()
    per_org: dict[int, int] = {}
    for cand in _due_candidates(db, policy.cutoff("identity", now), erased=False):
        per_org[cand.organisation_id] = per_org.get(cand.organisation_id, 0) + 1
    report = ErasureReport()
    for kind in KINDS:
        cutoff = policy.cutoff(kind, now)
        erasers = (([BUILT_IN[kind]] if kind in BUILT_IN else []) + ERASERS[kind]
                   + list((extra or {}).get(kind, [])))
        report.counts[kind] = sum(eraser(db, clock, cutoff) for eraser in erasers)
    for org, count in sorted(per_org.items()):
        record(db, clock, organisation_id=org, actor_id=None, action="privacy.erase",
                     object_type="organisation", object_id=org, candidates=count,
                     retention_days=policy.days["identity"])
    db.flush()
    return report
