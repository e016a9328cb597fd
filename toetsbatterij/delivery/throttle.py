"""Throttling of failed logins with exponential back-off: candidates per access code, staff
per typed e-mail address (known or not).

Never per IP address: every PC of an exam room shares one, so an IP rule would lock the whole
room. Never a hard lock either: after ``free`` failures a code is refused for a delay that
doubles with every further failure (capped), and it accepts the right secret again as soon as
the delay is over; a success resets its count. A session code is never refused as a whole:
its failures are only counted, for the proctor's room view (a guesser of access codes inside a
known session has 31^8 codes per candidate against them). Counts live in the database (the
source of truth, shared by every worker), so the proctor can see and clear a lock. The table
holds a SHA-256 of (scope, code), never the code or address itself.
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

SESSION, ACCESS, STAFF = "session", "access", "staff"

# No number in the text: one fixed sentence translates in every catalog.
THROTTLED_MESSAGE = N_("Aanmelden met deze code is even geblokkeerd na te veel foute pogingen. "
                       "Vraag hulp aan de toetsbegeleider, of probeer het over enkele minuten "
                       "opnieuw.")


@dataclass(frozen=True)
class Backoff:
    """``free`` failures go unpunished; failure ``free + k`` (k = 0, 1, ...) starts a delay of
    ``base * 2^k``, at most ``cap``. Failures ``window`` after the last one are forgotten."""

    free: int
    base: dt.timedelta
    cap: dt.timedelta
    window: dt.timedelta

    def delay(self, failures: int) -> dt.timedelta | None:
        if failures < self.free:
            return None
        return min(self.base * 2 ** min(failures - self.free, 30), self.cap)


@dataclass(frozen=True)
class ThrottlePolicy:
    """Candidate logins: back-off per access code after ``max_per_access`` failures."""

    max_per_access: int = 6
    window: dt.timedelta = dt.timedelta(minutes=15)
    lock: dt.timedelta = dt.timedelta(minutes=10)       # the longest delay
    base_delay: dt.timedelta = dt.timedelta(seconds=30)

    @property
    def access(self) -> Backoff:
        return Backoff(self.max_per_access, self.base_delay, self.lock, self.window)


DEFAULT_POLICY = ThrottlePolicy()


def key_hash(scope: str, code: str) -> str:
    return hashlib.sha256(f"{scope}:{code}".encode()).hexdigest()


def _row(db: Session, scope: str, code: str) -> LoginThrottle | None:
    return db.scalar(select(LoginThrottle).where(LoginThrottle.scope == scope,
                                                 LoginThrottle.key_hash == key_hash(scope, code)))


def locked_until(db: Session, clock: Clock, scope: str, code: str) -> dt.datetime | None:
    """The end of the current delay of ``code``, or None when it may be tried now."""
    row = _row(db, scope, code)
    if row is not None and row.locked_until is not None and row.locked_until > clock.now():
        return row.locked_until
    return None


def count_failure(db: Session, clock: Clock, scope: str, code: str,
                  backoff: Backoff | None, window: dt.timedelta) -> None:
    """Count one failure of ``code`` and start its next delay when one is due (flushes)."""
    now = clock.now()
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
    if now - row.last_failure_at > window:
        row.failures, row.window_started_at, row.locked_until = 0, now, None
        db.flush()
    # Incremented in SQL so that two workers counting at once never lose a failure.
    db.execute(update(LoginThrottle).where(LoginThrottle.id == row.id)
               .values(failures=LoginThrottle.failures + 1, last_failure_at=now))
    db.refresh(row)
    delay = backoff.delay(row.failures) if backoff is not None else None
    if delay is not None:
        row.locked_until = now + delay
    db.flush()


def reset(db: Session, scope: str, code: str) -> None:
    row = _row(db, scope, code)
    if row is not None:
        db.delete(row)
        db.flush()


def check(db: Session, clock: Clock, *, session_code: str, access_code: str) -> None:
    """Raise LoginThrottled (Dutch message) while the access code is in a delay. The session
    code is never refused: a room must not be locked out by someone else's guesses."""
    if access_code:
        until = locked_until(db, clock, ACCESS, access_code)
        if until is not None:
            raise LoginThrottled(THROTTLED_MESSAGE, detail=f"access code throttled until {until}")


def record_failure(db: Session, clock: Clock, *, session_code: str, access_code: str,
                   policy: ThrottlePolicy = DEFAULT_POLICY) -> None:
    """Count one failed login against both codes (flushes; the caller commits)."""
    if session_code:
        count_failure(db, clock, SESSION, session_code, None, policy.window)
    if access_code:
        count_failure(db, clock, ACCESS, access_code, policy.access, policy.window)


def record_success(db: Session, *, access_code: str) -> None:
    """A good login resets its access code (the session count stays: it is the proctor's)."""
    reset(db, ACCESS, access_code)


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
        recent = now - row.last_failure_at <= DEFAULT_POLICY.window
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
           action="login_throttle.clear",
           object_type="candidate" if candidate_id else "exam_session",
           object_id=candidate_id or session_id, scope=scope)
    db.flush()
