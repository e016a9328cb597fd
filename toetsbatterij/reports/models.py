"""The release of a result to its candidate (table ``result_release``).

A frozen result is not shown to the candidate until an agency admin releases it: the agency
checks incidents and complaints first, and a level is never read out in the exam room before
then. A release belongs to one result revision: a correction (a new revision) is released on its
own. A release is never taken back (append-only, audited).
"""

from __future__ import annotations

import datetime as dt

from sqlalchemy import ForeignKey
from sqlalchemy.orm import Mapped, mapped_column

from toetsbatterij.db import Base


class ResultRelease(Base):
    __tablename__ = "result_release"

    id: Mapped[int] = mapped_column(primary_key=True)
    organisation_id: Mapped[int] = mapped_column(ForeignKey("organisation.id"), index=True)
    result_id: Mapped[int] = mapped_column(ForeignKey("result.id"), unique=True)
    released_at: Mapped[dt.datetime]
    released_by_id: Mapped[int | None] = mapped_column(ForeignKey("staff_account.id"))
