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
