"""Survey answers, kept apart from the person.

``survey_response`` holds no candidate, attempt or person, no time finer than the day, and a
random id (an increasing id would line the answers up with the invitations). What ties a
response to a group is only what monitoring needs: agency, location, test and instruction
language, and monitoring never shows a group smaller than its minimum size.
``survey_invitation`` only says that an attempt's survey was answered or declined (so it is
asked once), not what was answered.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import JSON, Date, ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column

from toetsbatterij.db import Base

ANSWERED = "answered"
DECLINED = "declined"


class SurveyInvitation(Base):
    __tablename__ = "survey_invitation"

    attempt_id: Mapped[int] = mapped_column(ForeignKey("attempt.id"), primary_key=True)
    organisation_id: Mapped[int] = mapped_column(ForeignKey("organisation.id"), index=True)
    outcome: Mapped[str] = mapped_column(String(10))     # ANSWERED or DECLINED
    closed_on: Mapped[dt.date] = mapped_column(Date)


class SurveyResponse(Base):
    __tablename__ = "survey_response"

    id: Mapped[str] = mapped_column(String(32), primary_key=True)   # random hex
    organisation_id: Mapped[int] = mapped_column(ForeignKey("organisation.id"), index=True)
    location_id: Mapped[int] = mapped_column(ForeignKey("location.id"))
    test_code: Mapped[str] = mapped_column(String(60))
    language: Mapped[str] = mapped_column(String(8))
    questions_version: Mapped[str] = mapped_column(String(20))
    answered_on: Mapped[dt.date] = mapped_column(Date, index=True)
    # question key -> 1..5, or None where the candidate gave no answer
    answers: Mapped[dict[str, Any]] = mapped_column(JSON)
