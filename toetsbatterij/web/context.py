"""Request-scoped access to the platform (views only; services never import this)."""

from __future__ import annotations

from typing import Any

from flask import current_app
from flask_babel import force_locale, gettext

from toetsbatterij.platform import Platform
from toetsbatterij.web.unit_of_work import db

__all__ = ["clock", "db", "platform", "staff_text"]


def platform() -> Platform:
    return current_app.extensions["toetsbatterij"]


def clock() -> Any:
    return platform().clock


STAFF_LOCALE = "nl"


def staff_text(message: str, **params: Any) -> str:
    """``message`` (a Dutch msgid) in the staff language, also from a candidate's request (whose
    locale is the candidate's): for texts staff read, such as the live feed of the room view."""
    with force_locale(STAFF_LOCALE):
        return gettext(message, **params)
