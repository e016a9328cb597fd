"""Request-scoped access to the platform (views only; services never import this)."""

from __future__ import annotations

from typing import Any

from flask import current_app
from flask_babel import force_locale, gettext

from toetsbatterij.platform import Platform
from toetsbatterij.web.unit_of_work import db

__all__ = ["clock", "db", "freeze_ready", "platform", "staff_text"]


def platform() -> Platform:
    return current_app.extensions["toetsbatterij"]


def clock() -> Any:
    return platform().clock


def freeze_ready(attempt_ids: list[int]) -> None:
    """Freeze the results of these attempts that are finished and fully rated, inside this
    request's unit of work. A failure to freeze leaves the request's own work standing (logged;
    ``cli freeze-results`` retries): a rater's submitted rating or a candidate's last answer
    must never be lost to it."""
    try:
        with db().begin_nested():
            platform().freeze_ready(db(), attempt_ids)
    except Exception:  # noqa: BLE001 - logged, retried by the sweep
        current_app.logger.exception("freezing the results of attempts %s failed", attempt_ids)


STAFF_LOCALE = "nl"


def staff_text(message: str, **params: Any) -> str:
    """``message`` (a Dutch msgid) in the staff language, also from a candidate's request (whose
    locale is the candidate's): for texts staff read, such as the live feed of the room view."""
    with force_locale(STAFF_LOCALE):
        return gettext(message, **params)
