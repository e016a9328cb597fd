"""The frozen result of an attempt (table ``result``). Immutable once written.

A correction writes a new row (``revision`` + 1) and sets ``superseded_by_id`` and
``supersede_reason`` on the old one: the only change a result ever takes, once. The guard below
refuses any other update, and any delete, through the ORM.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import JSON, ForeignKey, String, Text, UniqueConstraint, event, inspect
from sqlalchemy.orm import Mapped, mapped_column

from toetsbatterij.db import Base

#: Columns a correction may set, once, on the result it supersedes.
SUPERSEDE_FIELDS = ("superseded_by_id", "supersede_reason")


class Result(Base):
    """One frozen result: see ``results.service`` and ``docs/architecture.md``."""

    __tablename__ = "result"
    __table_args__ = (UniqueConstraint("attempt_id", "revision"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    organisation_id: Mapped[int] = mapped_column(ForeignKey("organisation.id"), index=True)
    attempt_id: Mapped[int] = mapped_column(ForeignKey("attempt.id"), index=True)
    revision: Mapped[int]  # 1 for the first result of an attempt, + 1 per correction
    form_version: Mapped[str] = mapped_column(String(64))
    rules_version: Mapped[str] = mapped_column(String(64))
    inputs_hash: Mapped[str] = mapped_column(String(64))
    fair_scores: Mapped[bool] = mapped_column(default=False)
    document: Mapped[dict[str, Any]] = mapped_column(JSON)
    frozen_at: Mapped[dt.datetime]
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("staff_account.id"))
    superseded_by_id: Mapped[int | None] = mapped_column(ForeignKey("result.id"))
    supersede_reason: Mapped[str] = mapped_column(Text, default="")

    @property
    def current(self) -> bool:
        return self.superseded_by_id is None


class ResultImmutable(RuntimeError):
    """A frozen result was about to be changed or deleted (a programming error)."""


@event.listens_for(Result, "before_update")
def _refuse_changes(_mapper: Any, _connection: Any, target: Result) -> None:
    state = inspect(target)
    for attr in state.mapper.column_attrs:
        history = state.attrs[attr.key].history
        if not history.has_changes():
            continue
        before = history.deleted[0] if history.deleted else None
        if attr.key in SUPERSEDE_FIELDS and before in (None, ""):
            continue
        raise ResultImmutable(f"result {target.id}: {attr.key} cannot change")


@event.listens_for(Result, "before_delete")
def _refuse_delete(_mapper: Any, _connection: Any, target: Result) -> None:
    raise ResultImmutable(f"result {target.id} cannot be deleted")
