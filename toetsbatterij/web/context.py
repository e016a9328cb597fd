"""Request-scoped access to the services (views only; services never import this)."""

from __future__ import annotations

from typing import Any

from flask import current_app, g
from sqlalchemy.orm import Session


def services() -> Any:
    return current_app.extensions["toetsbatterij"]


def db() -> Session:
    if "db" not in g:
        g.db = services().session_factory()
    return g.db


def clock() -> Any:
    return services().clock
