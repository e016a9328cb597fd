"""Monitoring's own table: the uploaded DIF analyses (``monitoring.dif``)."""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import JSON, ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column

from toetsbatterij.db import Base


class DifReport(Base):
    """One uploaded DIF analysis: a bank release, a group variable, the rows of the CSV."""

    __tablename__ = "dif_report"

    id: Mapped[int] = mapped_column(primary_key=True)
    organisation_id: Mapped[int] = mapped_column(ForeignKey("organisation.id"), index=True)
    bank_version: Mapped[str] = mapped_column(String(64))
    variable: Mapped[str] = mapped_column(String(60))
    rows: Mapped[list[dict[str, Any]]] = mapped_column(JSON)
    uploaded_at: Mapped[dt.datetime]
    uploaded_by_id: Mapped[int | None] = mapped_column(ForeignKey("staff_account.id"))
