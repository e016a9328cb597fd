from __future__ import annotations

import datetime as dt

from sqlalchemy import ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column

from toetsbatterij.db import Base

STAFF = "staff"
CANDIDATE = "candidate"


class LoginSession(Base):
    """One login of one browser: the cookie carries a random 256-bit token, this row keeps only
    its SHA-256. A session is valid while not revoked, before ``expires_at`` (the absolute
    lifetime of the role) and while its last request is more recent than the idle lifetime."""

    __tablename__ = "login_session"

    id: Mapped[int] = mapped_column(primary_key=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    kind: Mapped[str] = mapped_column(String(10))  # staff | candidate
    role: Mapped[str] = mapped_column(String(30))  # the staff role, or "candidate"
    organisation_id: Mapped[int] = mapped_column(ForeignKey("organisation.id"), index=True)
    staff_account_id: Mapped[int | None] = mapped_column(ForeignKey("staff_account.id"),
                                                         index=True)
    attempt_id: Mapped[int | None] = mapped_column(ForeignKey("attempt.id"), index=True)
    created_at: Mapped[dt.datetime]
    last_seen_at: Mapped[dt.datetime]
    expires_at: Mapped[dt.datetime]
    revoked_at: Mapped[dt.datetime | None]
    revoked_reason: Mapped[str] = mapped_column(String(30), default="")
