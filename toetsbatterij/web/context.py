"""Request-scoped access to the services (views only; services never import this)."""

from __future__ import annotations

from typing import Any

from flask import current_app, g
from flask_babel import force_locale, gettext
from sqlalchemy.orm import Session

from toetsbatterij.i18n import N_


def services() -> Any:
    return current_app.extensions["toetsbatterij"]


def db() -> Session:
    if "db" not in g:
        g.db = services().session_factory()
    return g.db


def clock() -> Any:
    return services().clock


STAFF_LOCALE = "nl"
# Feed texts for events a candidate's request causes (staff read them; they live here and not in
# candidate.py, whose messages are all candidate-facing and translated for candidates).
FEED_LOGGED_IN = N_("%(name)s: aangemeld")
FEED_PRACTICE = N_("%(name)s: begint met oefenen")
FEED_SECTION = N_("%(name)s: begint een onderdeel")
FEED_ANSWERED = N_("%(name)s: vraag %(number)s beantwoord")


def staff_text(message: str, **params: Any) -> str:
    """``message`` (a Dutch msgid) in the staff language, also from a candidate's request (whose
    locale is the candidate's): for texts staff read, such as the live feed of the room view."""
    with force_locale(STAFF_LOCALE):
        return gettext(message, **params)


def publish(session_id: int, text: str, **data: Any) -> None:
    """Put an event on the room's live feed. The feed is a rebuildable cache: if the state store
    is unreachable the action itself still stands (the room view reads the database)."""
    try:
        services().state_store.publish(f"room:{session_id}", {"text": text, **data})
    except Exception:  # noqa: BLE001 - a feed outage must never fail an exam action
        current_app.logger.warning("live feed unavailable", exc_info=True)
