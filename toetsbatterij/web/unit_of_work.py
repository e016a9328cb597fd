"""One commit per request (as Indico's request handler does).

A view gets its database session from :func:`db`; services flush; after the view (and its
error handler, if it raised) the response is finalised here: the request commits once, or rolls
back when it failed (a domain error, except those that keep their changes, see
``toetsbatterij.errors.DomainError.keeps_changes``; any server error). The response is sent
only after the commit, so "the presented unit is committed before it is sent" holds for every
screen. Feed events queued by services are published after that commit
(``toetsbatterij.events``).

Safe methods (GET, HEAD, OPTIONS) never write: their session rolls back, and a flush or ORM
write statement in one raises :class:`ReadOnlyRequestError` (a programming error, caught by the
test over the URL map in tests/web/test_request_writes.py).
"""

from __future__ import annotations

from typing import Any

from flask import Flask, current_app, g, request
from sqlalchemy import event
from sqlalchemy.orm import Session

SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})


class ReadOnlyRequestError(RuntimeError):
    """A GET (or other safe) request tried to write to the database."""


def db() -> Session:
    if "db" not in g:
        session = current_app.extensions["toetsbatterij"].new_session()
        if request.method in SAFE_METHODS:
            event.listen(session, "before_flush", _refuse_flush)
            event.listen(session, "do_orm_execute", _refuse_write_statement)
        g.db = session
    return g.db


def _refuse_flush(session: Session, _context: Any, _instances: Any) -> None:
    if session.new or session.dirty or session.deleted:
        raise ReadOnlyRequestError(f"{request.method} {request.path} writes to the database")


def _refuse_write_statement(state: Any) -> None:
    if state.is_insert or state.is_update or state.is_delete:
        raise ReadOnlyRequestError(f"{request.method} {request.path} writes to the database")


def mark_failed(exc: BaseException | None = None) -> None:
    """Called by the error handlers: this request's changes are rolled back, unless ``exc``
    is a domain error that keeps them."""
    if not getattr(exc, "keeps_changes", False):
        g.request_failed = True


def init_app(app: Flask) -> None:
    @app.after_request
    def _finish(response: Any) -> Any:
        session: Session | None = g.get("db")
        if session is None:
            return response
        if (request.method in SAFE_METHODS or g.get("request_failed")
                or response.status_code >= 500):
            session.rollback()
        else:
            try:
                session.commit()
            except Exception:
                g.request_failed = True
                session.rollback()
                raise
        return response

    @app.teardown_request
    def _close(_exc: BaseException | None) -> None:
        session = g.pop("db", None)
        if session is not None:
            session.rollback()
            session.close()


def commit_now() -> None:
    """Commit this request's unit of work before the request ends, because a lock is held that
    must cover the commit (a candidate's attempt lock). It stays the request's one commit: the
    end of the request finds nothing left to commit. Safe methods never call this."""
    session: Session | None = g.get("db")
    if session is not None:
        session.commit()
