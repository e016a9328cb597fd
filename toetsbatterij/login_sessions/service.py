"""Server-side login sessions: start, find (valid or not), note activity, end.

The browser holds only a random 256-bit token; the database holds its SHA-256 and is the truth.
A session ends for good when it is revoked (logout, log out everywhere, password change,
deactivation, the attempt ended by the proctor), at its absolute expiry and after its idle
lifetime without a request (both per role, configuration).

Reading never writes: a GET notes the time of its request only in the state store
(``seen:<hash>``, process-local in the null store, shared in Redis); POSTs also write
``last_seen_at`` (at most once every ``SEEN_WRITE_SECONDS``). The idle check takes the later of
the two. With a shared store (Redis) the row is cached as ``session:<hash>`` for a short time;
ending a session deletes both keys at once and again after the commit, so no worker keeps a copy.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import secrets
from collections.abc import Mapping
from dataclasses import asdict, dataclass
from typing import Any

from sqlalchemy import ColumnElement, delete, event, or_, select, update
from sqlalchemy.orm import Session

from toetsbatterij import events
from toetsbatterij.clock import Clock
from toetsbatterij.errors import ConfigurationError
from toetsbatterij.login_sessions.models import CANDIDATE, STAFF, LoginSession

TOKEN_BYTES = 32  # 256 bits
MAX_TOKEN_LENGTH = 100
SEEN_WRITE_SECONDS = 60
ROLES_NEEDING_LIFETIMES = ("candidate", "agency_admin", "proctor", "rater", "psychometrician")

__all__ = ["CANDIDATE", "STAFF", "Lifetimes", "Principal", "end", "end_for_account",
           "end_for_attempt", "find", "hash_token", "purge_ended", "seen", "start"]


@dataclass(frozen=True)
class Lifetimes:
    idle: Mapping[str, int]
    absolute: Mapping[str, int]
    cache_seconds: int = 60

    @classmethod
    def from_config(cls, config: Mapping[str, Any]) -> Lifetimes:
        idle, absolute = config["SESSION_IDLE_SECONDS"], config["SESSION_ABSOLUTE_SECONDS"]
        for name, table in (("SESSION_IDLE_SECONDS", idle),
                            ("SESSION_ABSOLUTE_SECONDS", absolute)):
            if not isinstance(table, Mapping):
                raise ConfigurationError(f"{name}: expected an object of seconds per role")
            missing = [role for role in ROLES_NEEDING_LIFETIMES if role not in table]
            bad = [role for role, value in table.items()
                   if not isinstance(value, int) or isinstance(value, bool) or value <= 0]
            if missing or bad:
                raise ConfigurationError(f"{name}: missing roles {missing}, invalid {bad}")
        return cls(dict(idle), dict(absolute), int(config["SESSION_CACHE_SECONDS"]))


@dataclass(frozen=True)
class Principal:
    """Who a valid session belongs to (the row as read, or its cached copy)."""

    session_id: int
    token_hash: str
    kind: str
    role: str
    organisation_id: int
    staff_account_id: int | None
    attempt_id: int | None
    expires_at: dt.datetime
    last_seen_at: dt.datetime

    @classmethod
    def of(cls, row: LoginSession) -> Principal:
        return cls(row.id, row.token_hash, row.kind, row.role, row.organisation_id,
                   row.staff_account_id, row.attempt_id, row.expires_at, row.last_seen_at)

    def to_json(self) -> str:
        data = asdict(self)
        data["expires_at"] = self.expires_at.isoformat()
        data["last_seen_at"] = self.last_seen_at.isoformat()
        return json.dumps(data)

    @classmethod
    def from_json(cls, text: str) -> Principal:
        data = json.loads(text)
        data["expires_at"] = dt.datetime.fromisoformat(data["expires_at"])
        data["last_seen_at"] = dt.datetime.fromisoformat(data["last_seen_at"])
        return cls(**data)


def hash_token(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


def _keys(token_hash: str) -> tuple[str, str]:
    return f"session:{token_hash}", f"seen:{token_hash}"


def start(db: Session, clock: Clock, lifetimes: Lifetimes, *, kind: str, role: str,
          organisation_id: int, staff_account_id: int | None = None,
          attempt_id: int | None = None) -> str:
    """A new session; returns the token for the cookie (never stored)."""
    if kind not in (STAFF, CANDIDATE):
        raise ValueError(kind)
    token = secrets.token_urlsafe(TOKEN_BYTES)
    now = clock.now()
    db.add(LoginSession(token_hash=hash_token(token), kind=kind, role=role,
                        organisation_id=organisation_id, staff_account_id=staff_account_id,
                        attempt_id=attempt_id, created_at=now, last_seen_at=now,
                        expires_at=now + dt.timedelta(seconds=lifetimes.absolute[role])))
    db.flush()
    return token


def _store(db: Session) -> Any | None:
    return events.state_store_of(db)


def _shared(store: Any | None) -> bool:
    return store is not None and bool(getattr(store, "shared", False))


def _safe(call: Any, *args: Any) -> Any:
    try:
        return call(*args)
    except Exception:  # noqa: BLE001 - the store is a fast path; the database decides
        return None


def find(db: Session, clock: Clock, lifetimes: Lifetimes, token: str | None) -> Principal | None:
    """The principal of a valid session for ``token``, or None. Reads only."""
    if not token or len(token) > MAX_TOKEN_LENGTH:
        return None
    token_hash = hash_token(token)
    session_key, seen_key = _keys(token_hash)
    store = _store(db)
    principal = None
    if _shared(store):
        cached = _safe(store.get, session_key)
        if cached:
            principal = Principal.from_json(cached)
    now = clock.now()
    if principal is None:
        row = db.scalar(select(LoginSession).where(LoginSession.token_hash == token_hash))
        if row is None or row.revoked_at is not None:
            return None
        principal = Principal.of(row)
        if _shared(store) and now < principal.expires_at:
            ttl = min(lifetimes.cache_seconds, (principal.expires_at - now).total_seconds())
            _safe(store.put, session_key, principal.to_json(), ttl)
    if now >= principal.expires_at:
        return None
    last_seen = principal.last_seen_at
    if store is not None:
        noted = _safe(store.get, seen_key)
        if noted:
            last_seen = max(last_seen, dt.datetime.fromisoformat(noted))
    if (now - last_seen).total_seconds() >= lifetimes.idle[principal.role]:
        return None
    return principal


def seen(db: Session, clock: Clock, lifetimes: Lifetimes, principal: Principal, *,
         write: bool) -> None:
    """Note a request of the session: in the state store always, in the row when ``write``."""
    now = clock.now()
    store = _store(db)
    if store is not None:
        _safe(store.put, _keys(principal.token_hash)[1], now.isoformat(),
              lifetimes.idle[principal.role])
    if write and (now - principal.last_seen_at).total_seconds() >= SEEN_WRITE_SECONDS:
        # Written just before the request commits, with its other writes: an UPDATE at the
        # start would hold SQLite's write lock for the whole request.
        db.info.setdefault(_SEEN_PENDING, {})[principal.session_id] = now
        if not event.contains(db, "before_commit", _write_seen):
            event.listen(db, "before_commit", _write_seen)
            event.listen(db, "after_soft_rollback", _drop_seen)


_SEEN_PENDING = "toetsbatterij.login_sessions.seen"


def _write_seen(db: Session) -> None:
    pending, db.info[_SEEN_PENDING] = db.info.get(_SEEN_PENDING) or {}, {}
    for session_id, now in pending.items():
        db.execute(update(LoginSession).where(LoginSession.id == session_id,
                                              LoginSession.revoked_at.is_(None))
                   .values(last_seen_at=now))


def _drop_seen(db: Session, previous_transaction: Any) -> None:
    if previous_transaction.parent is None and not previous_transaction.nested:
        db.info[_SEEN_PENDING] = {}


def _end(db: Session, clock: Clock, where: ColumnElement[bool], reason: str) -> int:
    rows = list(db.scalars(select(LoginSession).where(where, LoginSession.revoked_at.is_(None))))
    now = clock.now()
    keys: list[str] = []
    for row in rows:
        row.revoked_at = now
        row.revoked_reason = reason[:30]
        keys.extend(_keys(row.token_hash))
    db.flush()
    store = _store(db)
    if store is not None and keys:
        _safe(store.delete, *keys)
        # And once more after the commit: a request that read the row before it was revoked
        # must not leave a cached copy behind.
        events.after_commit(db, lambda: _safe(store.delete, *keys))
    return len(rows)


def end(db: Session, clock: Clock, principal: Principal, reason: str = "logout") -> int:
    """End one session (logout)."""
    return _end(db, clock, LoginSession.id == principal.session_id, reason)


def end_for_account(db: Session, clock: Clock, account_id: int, reason: str) -> int:
    """End every session of a staff account (log out everywhere, password change,
    deactivation). Returns how many were open."""
    return _end(db, clock, LoginSession.staff_account_id == account_id, reason)


def end_for_attempt(db: Session, clock: Clock, attempt_id: int, reason: str) -> int:
    """End every session of a candidate's attempt (the proctor ended it, the device released)."""
    return _end(db, clock, LoginSession.attempt_id == attempt_id, reason)


def purge_ended(db: Session, clock: Clock, *, older_than: dt.timedelta) -> int:
    """Delete the rows of sessions that ended (revoked or expired) more than ``older_than``
    ago (retention)."""
    cutoff = clock.now() - older_than
    result = db.execute(delete(LoginSession).where(or_(
        LoginSession.revoked_at < cutoff, LoginSession.expires_at < cutoff)))
    return int(result.rowcount or 0)
