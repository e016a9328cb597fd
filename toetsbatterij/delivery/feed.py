"""The room's live feed: what delivery services announce to the proctor (staff-facing Dutch
msgids; the room view translates them into the staff language, ``toetsbatterij.events``)."""

from __future__ import annotations

from typing import Any

from sqlalchemy.orm import Session

from toetsbatterij import events
from toetsbatterij.clock import Clock
from toetsbatterij.i18n import N_

LOGGED_IN = N_("%(name)s: aangemeld")
PRACTICE = N_("%(name)s: begint met oefenen")
SECTION = N_("%(name)s: begint een onderdeel")
ANSWERED = N_("%(name)s: vraag %(number)s beantwoord")
STAFF_ACTION = N_("%(name)s: %(action)s door %(staff)s")
ROOM_PAUSED = N_("Hele zaal gepauzeerd")
ROOM_RESUMED = N_("Hele zaal hervat")
#: Parameters whose values are msgids themselves (translated with the message).
TRANSLATED_PARAMS = frozenset({"action"})
ACTIONS = {"admit": N_("toegelaten"), "pause": N_("gepauzeerd"), "resume": N_("hervat"), "extra_time": N_("extra tijd"),
           "end": N_("beëindigd"), "release_device": N_("toestel vrijgegeven")}


def candidate_event(db: Session, clock: Clock, candidate: Any, message: str, **params: Any) -> None:
    """An event about one candidate on the feed of their exam session."""
    events.feed(db, clock, candidate.exam_session_id, message, candidate_id=candidate.id,
                name=f"{candidate.first_name} {candidate.last_name}", **params)


def staff_action(db: Session, clock: Clock, candidate: Any, action: str,
                 actor_id: int | None) -> None:
    from toetsbatterij.accounts.models import StaffAccount

    actor = db.get(StaffAccount, actor_id) if actor_id is not None else None
    candidate_event(db, clock, candidate, STAFF_ACTION, action=ACTIONS[action],
                    staff=actor.display_name if actor else "")


# -- the history, rebuilt from the database ---------------------------------------------------------
#
# The feed in the state store is a cache: when Redis restarted empty (or expired the room), the
# first room view rebuilds the room's history from what the database recorded (the logins, the
# start of the practice and of each section, every answer, the staff actions of the audit log)
# and puts it in the stream under new numbers, above every earlier one: a room view that
# reconnects with its last number gets the history again (possibly twice), never less.

_AUDIT_ACTIONS = {"attempt.pause": "pause", "attempt.resume": "resume",
                  "attempt.extra_time": "extra_time", "attempt.end": "end",
                  "candidate.admit": "admit", "candidate.release_device": "release_device"}
HISTORY_KEPT_SECONDS = 24 * 3600


def ensure_history(db: Session, store: Any, session_id: int) -> bool:
    """Rebuild the feed of exam session ``session_id`` when a shared store lost it (one worker
    rebuilds; the others serve what is there). Returns True when this call rebuilt it."""
    if not getattr(store, "shared", False):
        return False
    channel = f"room:{session_id}"
    if store.get(f"feed-kept:{channel}") or not store.add(f"feed-rebuild:{channel}", "1", 30):
        return False
    store.replace_feed(channel, history(db, session_id))
    store.put(f"feed-kept:{channel}", "1", HISTORY_KEPT_SECONDS)
    return True


def history(db: Session, session_id: int) -> list[dict[str, Any]]:
    """The room's events as the database recorded them, oldest first."""
    from sqlalchemy import select

    from toetsbatterij.accounts.models import StaffAccount
    from toetsbatterij.audit.models import AuditEntry
    from toetsbatterij.delivery.models import Attempt, Candidate, Presentation, SectionRun
    from toetsbatterij.login_sessions.models import LoginSession

    cands = {c.id: c for c in db.scalars(select(Candidate).where(
        Candidate.exam_session_id == session_id))}
    attempts = {a.id: a for a in db.scalars(select(Attempt).where(
        Attempt.candidate_id.in_(list(cands))))} if cands else {}
    out: list[tuple[Any, dict[str, Any]]] = []

    def add(at: Any, cand: Any, message: str, **params: Any) -> None:
        data: dict[str, Any] = {"message": message, "at": at.isoformat(), "params": {
            "name": f"{cand.first_name} {cand.last_name}", **params}} if cand is not None else {
            "message": message, "at": at.isoformat(), "params": params}
        if cand is not None:
            data["candidate_id"] = cand.id
        out.append((at, data))

    if attempts:
        for row in db.scalars(select(LoginSession).where(
                LoginSession.attempt_id.in_(list(attempts)))):
            add(row.created_at, cands[attempts[row.attempt_id].candidate_id], LOGGED_IN)
        first_practice: dict[int, Any] = {}
        for pres in db.scalars(select(Presentation).where(
                Presentation.attempt_id.in_(list(attempts)))):
            cand = cands[attempts[pres.attempt_id].candidate_id]
            if pres.section_index < 0:
                if pres.position == 0:
                    first_practice[pres.attempt_id] = pres.presented_at
            elif pres.answered_at is not None:
                add(pres.answered_at, cand, ANSWERED, number=pres.position + 1)
        for attempt_id, at in first_practice.items():
            add(at, cands[attempts[attempt_id].candidate_id], PRACTICE)
        for run in db.scalars(select(SectionRun).where(
                SectionRun.attempt_id.in_(list(attempts)))):
            add(run.started_at, cands[attempts[run.attempt_id].candidate_id], SECTION)
    staff = {s.id: s.display_name for s in db.scalars(select(StaffAccount))}
    entries = db.scalars(select(AuditEntry).where(
        AuditEntry.action.in_([*_AUDIT_ACTIONS, "session.pause", "session.resume"])))
    for entry in entries:
        if entry.action.startswith("session."):
            if entry.object_id == session_id:
                add(entry.created_at, None,
                    ROOM_PAUSED if entry.action == "session.pause" else ROOM_RESUMED)
            continue
        cand = None
        if entry.object_type == "attempt" and entry.object_id in attempts:
            cand = cands[attempts[entry.object_id].candidate_id]
        elif entry.object_type == "candidate":
            cand = cands.get(entry.object_id or -1)
        if cand is not None:
            add(entry.created_at, cand, STAFF_ACTION, action=ACTIONS[_AUDIT_ACTIONS[entry.action]],
                staff=staff.get(entry.actor_id or -1, ""))
    out.sort(key=lambda pair: pair[0])
    return [data for _, data in out]
