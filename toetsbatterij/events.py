"""What services tell the room: live-feed events, published after the commit.

Services (never views) emit them: :func:`feed` queues an event for a room's live feed, next to
the audit record the same service appends with ``audit.service.record`` in the same
transaction. Feed events are queued on the database session and published to the state store
that the composition root (``toetsbatterij.platform``) attached to it, only AFTER the session
commits; a rollback drops them. A session without a sink attached (a bare test session, a batch
job) keeps the audit records and drops the feed: the feed is a rebuildable cache, the room table
itself always comes from the database.

A feed event is data, not text: ``{"message": <Dutch msgid>, "params": {...}, "at": <UTC ISO>}``
plus optional ``candidate_id``; the room view translates it into the staff language when it
serves it, and shows the server's event time.
"""

from __future__ import annotations

import logging
from typing import Any

from sqlalchemy import event
from sqlalchemy.orm import Session

from toetsbatterij.clock import Clock

log = logging.getLogger(__name__)

_SINK = "toetsbatterij.events.state_store"
_PENDING = "toetsbatterij.events.pending"
_CALLBACKS = "toetsbatterij.events.after_commit"


def attach(db: Session, clock: Clock, state_store: Any) -> None:
    """Wire a session to a state store: its feed events are published after each commit."""
    db.info[_SINK] = state_store
    db.info.setdefault(_PENDING, [])
    if not event.contains(db, "after_commit", _publish_pending):
        event.listen(db, "after_commit", _publish_pending)
        event.listen(db, "after_soft_rollback", _drop_pending)


def feed(db: Session, clock: Clock, session_id: int, message: str, *,
         candidate_id: int | None = None, **params: Any) -> None:
    """Queue an event for the live feed of exam session ``session_id`` (published on commit)."""
    data: dict[str, Any] = {"message": message, "params": params,
                            "at": clock.now().isoformat()}
    if candidate_id is not None:
        data["candidate_id"] = candidate_id
    if not db.in_transaction():
        db.connection()  # begin, so that a rollback of this unit of work drops the event
    db.info.setdefault(_PENDING, []).append((f"room:{session_id}", data))


def state_store_of(db: Session) -> Any | None:
    """The state store the composition root attached to ``db`` (None for a bare session)."""
    return db.info.get(_SINK)


def after_commit(db: Session, callback: Any) -> None:
    """Run ``callback()`` once after ``db`` commits (dropped on rollback); only on a session
    with a sink attached (a bare session has no cache to keep in step)."""
    if _SINK not in db.info:
        return
    if not db.in_transaction():
        db.connection()
    db.info.setdefault(_CALLBACKS, []).append(callback)


def pending(db: Session) -> list[tuple[str, dict[str, Any]]]:
    """The feed events queued on ``db`` and not yet published (tests, diagnostics)."""
    return list(db.info.get(_PENDING, []))


def _publish_pending(db: Session) -> None:
    callbacks, db.info[_CALLBACKS] = db.info.get(_CALLBACKS, []), []
    for callback in callbacks:
        try:
            callback()
        except Exception:  # noqa: BLE001 - a cache outage must never fail the action
            log.warning("after-commit callback failed", exc_info=True)
    queued, db.info[_PENDING] = db.info.get(_PENDING, []), []
    store = db.info.get(_SINK)
    if store is None:
        return
    for channel, data in queued:
        try:
            store.publish(channel, data)
        except Exception:  # noqa: BLE001 - a feed outage must never fail an exam action
            log.warning("live feed unavailable", exc_info=True)
            return


def _drop_pending(db: Session, previous_transaction: Any) -> None:
    if previous_transaction.nested or previous_transaction.parent is not None:
        return  # a savepoint rolled back; the outer transaction may still commit
    db.info[_PENDING] = []
    db.info[_CALLBACKS] = []
