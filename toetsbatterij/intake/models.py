"""The intake interview and the referral to a course (tables ``intake_interview``,
``referral``). A referral keeps the advice it was given (with the routing rules' version), the
provider chosen, the reason when staff chose otherwise, and its status history."""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import JSON, Date, ForeignKey, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from toetsbatterij.db import Base

REFERRED = "referred"
ENROLLED = "enrolled"
STARTED = "started"
CANCELLED = "cancelled"
REFERRAL_STATUSES = (REFERRED, ENROLLED, STARTED, CANCELLED)


class IntakeInterview(Base):
    __tablename__ = "intake_interview"

    id: Mapped[int] = mapped_column(primary_key=True)
    organisation_id: Mapped[int] = mapped_column(ForeignKey("organisation.id"), index=True)
    person_id: Mapped[int] = mapped_column(ForeignKey("person.id"), index=True)
    interviewed_on: Mapped[dt.date] = mapped_column(Date)
    interviewer_id: Mapped[int | None] = mapped_column(ForeignKey("staff_account.id"))
    answers: Mapped[dict[str, Any]] = mapped_column(JSON)   # intake.service.INTERVIEW_FIELDS
    created_at: Mapped[dt.datetime]


class Referral(Base):
    __tablename__ = "referral"

    id: Mapped[int] = mapped_column(primary_key=True)
    organisation_id: Mapped[int] = mapped_column(ForeignKey("organisation.id"), index=True)
    person_id: Mapped[int] = mapped_column(ForeignKey("person.id"), index=True)
    interview_id: Mapped[int] = mapped_column(ForeignKey("intake_interview.id"))
    result_id: Mapped[int | None] = mapped_column(ForeignKey("result.id"))  # the placement
    trajectory_id: Mapped[int | None] = mapped_column(ForeignKey("trajectory.id"), index=True)
    component_id: Mapped[int | None] = mapped_column(ForeignKey("trajectory_component.id"))
    advice: Mapped[dict[str, Any]] = mapped_column(JSON)      # routing.Advice.to_json()
    provider: Mapped[str] = mapped_column(String(20))         # routing.PROVIDERS
    course: Mapped[str] = mapped_column(String(10))           # routing.COURSES
    pace: Mapped[str] = mapped_column(String(10))             # routing.PACES
    provider_name: Mapped[str] = mapped_column(String(200))
    override_reason: Mapped[str] = mapped_column(Text, default="")
    status: Mapped[str] = mapped_column(String(12), default=REFERRED)
    # [{"status": ..., "on": "YYYY-MM-DD", "by": staff id}], oldest first
    history: Mapped[list[dict[str, Any]]] = mapped_column(JSON, default=list)
    created_at: Mapped[dt.datetime]
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("staff_account.id"))
