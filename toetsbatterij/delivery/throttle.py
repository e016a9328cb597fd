"""Throttling of failed candidate logins, per session code and per access code.

Never per IP address: every PC of an exam room shares one, so an IP rule would lock the whole
room. Per typed session code it stops guessing access codes inside a known session; per typed
access code it stops trying one code against many sessions. Counts live in the database (the
source of truth, shared by every worker), so the proctor can see and clear a lock.

A success clears the access-code counter but not the session counter: otherwise one
candidate's good login in between would reset a guesser's budget for the whole room.
"""

from __future__ import annotations

import datetime as dt
import hashlib
from dataclasses import dataclass

from sqlalchemy import select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from toetsbatterij.audit.service import record
from toetsbatterij.clock import Clock
from toetsbatterij.delivery.models import Candidate, ExamSession, LoginThrottle
from toetsbatterij.errors import LoginThrottled, NotFound
from toetsbatterij.i18n import N_

SESSION, ACCESS = "session", "access"

# No number in the text: one fixed sentence translates in every catalog.
THROTTLED_MESSAGE = N_("Aanmelden met deze code is even geblokkeerd na te veel foute pogingen. "
                       "Vraag hulp aan de toetsbegeleider, of probeer het over enkele minuten "
                       "opnieuw.")


@dataclass(frozen=True)
class ThrottlePolicy:
    """Failures allowed within ``window`` before a lock of ``lock`` starts.

    The session limit is high: a room of 30 people who each mistype once must not be locked.
    """

    max_per_session: int = 40
    max_per_access: int = 6
    window: dt.timedelta = dt.timedelta(minutes=15)
    lock: dt.timedelta = dt.timedelta(minutes=10)


DEFAULT_POLICY = ThrottlePolicy()


def key_hash(scope: str, code: str) -> str:
    return hashlib.sha256(f"{scope}:{code}".encode()).hexdigest()


def _row(db: Session, scope: str, code: str) -> LoginThrottle | None:
    return db.scalar(select(LoginThrottle).where(LoginThrottle.scope == scope,
                                                 LoginThrottle.key_hash == key_hash(scope, code)))


def check(db: Session, clock: Clock, *, session_code: str, access_code: str) -> None:
    """Raise LoginThrottled (Dutch message) when either code is locked now."""
    now = clock.now()
    for scope, code in ((SESSION, session_code), (ACCESS, access_code)):
        if not code:
            continue
        row = _row(db, scope, code)
        if row is not None and row.locked_until is not None and row.locked_until > now:
            raise LoginThrottled(THROTTLED_MESSAGE,
                                 detail=f"{scope} throttled until {row.locked_until}")


def record_failure(db: Session, clock: Clock, *, session_code: str, access_code: str,
                   policy: ThrottlePolicy = DEFAULT_POLICY) -> None:
    """Count one failed login against both codes (flushes; the caller commits)."""
    now = clock.now()
    for scope, code, limit in ((SESSION, session_code, policy.max_per_session),
                               (ACCESS, access_code, policy.max_per_access)):
        if not code:
            continue
        row = _row(db, scope, code)
        if row is None:
            row = LoginThrottle(scope=scope, key_hash=key_hash(scope, code), failures=0,
                                window_started_at=now, last_failure_at=now)
            try:
                with db.begin_nested():
                    db.add(row)
                    db.flush()
            except IntegrityError:  # another worker counted the first failure of this code
                row = _row(db, scope, code)
                assert row is not None
        if now - row.window_started_at > policy.window:
            row.failures, row.window_started_at = 0, now
            db.flush()
        # Incremented in SQL so that two workers counting at once never lose a failure.
        db.execute(update(LoginThrottle).where(LoginThrottle.id == row.id)
                   .values(failures=LoginThrottle.failures + 1, last_failure_at=now))
        db.refresh(row)
        if row.failures >= limit:
            row.locked_until = now + policy.lock
            row.failures, row.window_started_at = 0, now
        db.flush()


def record_success(db: Session, *, access_code: str) -> None:
    row = _row(db, ACCESS, access_code)
    if row is not None and row.locked_until is None:
        db.delete(row)
        db.flush()


@dataclass(frozen=True)
class ThrottleView:
    scope: str
    candidate_id: int | None     # for an access-code lock: whose code it is
    label: str                   # Dutch, for the proctor
    failures: int
    locked_until: dt.datetime | None


def for_session(db: Session, clock: Clock, *, organisation_id: int,
                session_id: int) -> list[ThrottleView]:
    """Locks and recent failures that concern this session (its code and its candidates'
    access codes); another organisation's session is NotFound."""
    sess = db.get(ExamSession, session_id)
    if sess is None or sess.organisation_id != organisation_id:
        raise NotFound()
    now = clock.now()
    cands = list(db.scalars(select(Candidate).where(Candidate.exam_session_id == sess.id)
                            .order_by(Candidate.last_name, Candidate.first_name)))
    wanted = {key_hash(SESSION, sess.code): (SESSION, None, "Sessiecode " + sess.code)}
    for c in cands:
        wanted[key_hash(ACCESS, c.access_code)] = (
            ACCESS, c.id, f"Toegangscode van {c.first_name} {c.last_name}")
    rows = db.scalars(select(LoginThrottle).where(LoginThrottle.key_hash.in_(list(wanted))))
    out = []
    for row in rows:
        scope, cand_id, label = wanted[row.key_hash]
        if row.scope != scope:
            continue
        locked = row.locked_until if row.locked_until and row.locked_until > now else None
        recent = now - row.window_started_at <= DEFAULT_POLICY.window
        if locked is None and not (recent and row.failures):
            continue
        out.append(ThrottleView(scope, cand_id, label, row.failures if recent else 0, locked))
    return sorted(out, key=lambda v: (v.scope != SESSION, v.label))


def clear(db: Session, clock: Clock, *, organisation_id: int, session_id: int,
          candidate_id: int | None, actor_id: int | None) -> None:
    """The proctor lifts the lock (and the count) of the session code, or of one candidate's
    access code; audited."""
    sess = db.get(ExamSession, session_id)
    if sess is None or sess.organisation_id != organisation_id:
        raise NotFound()
    if candidate_id is None:
        scope, code = SESSION, sess.code
    else:
        cand = db.get(Candidate, candidate_id)
        if cand is None or cand.exam_session_id != sess.id:
            raise NotFound()
        scope, code = ACCESS, cand.access_code
    row = _row(db, scope, code)
    if row is not None:
        db.delete(row)
    record(db, clock, organisation_id=organisation_id, actor_id=actor_id,
           action="login_throttle.clear", object_type="candidate" if candidate_id else "session",
           object_id=candidate_id or session_id, scope=scope)
    db.flush()
