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


def publish(session_id: int, text: str, **data: Any) -> None:
    """Put an event on the room's live feed. The feed is a rebuildable cache: if the state store
    is unreachable the action itself still stands (the room view reads the database)."""
    try:
        services().state_store.publish(f"room:{session_id}", {"text": text, **data})
    except Exception:  # noqa: BLE001 - a feed outage must never fail an exam action
        current_app.logger.warning("live feed unavailable", exc_info=True)
