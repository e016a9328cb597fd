"""Writing drafts, recording takes and parts, microphone checks.

A *take* is one attempt at a speaking task (the candidate may re-record: the last take counts).
A *part* is one MediaRecorder session inside a take: a crash or a lost network ends a part, and
recording resumes as a new part of the same take. The chunks of one part concatenate into one
playable WebM/Ogg file; the chunk bytes live in the recording storage, not in the database.
"""

from __future__ import annotations

import datetime as dt

from sqlalchemy import ForeignKey, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from toetsbatterij.db import Base


class WritingDraft(Base):
    """The last confirmed text of a writing task; ``version`` grows by one per stored save."""

    __tablename__ = "writing_draft"
    __table_args__ = (UniqueConstraint("presentation_id", "item_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    attempt_id: Mapped[int] = mapped_column(ForeignKey("attempt.id"), index=True)
    presentation_id: Mapped[int] = mapped_column(ForeignKey("presentation.id"))
    item_id: Mapped[str] = mapped_column(String(40))
    version: Mapped[int] = mapped_column(default=0)
    text: Mapped[str] = mapped_column(Text, default="")
    saved_at: Mapped[dt.datetime]


class RecordingTake(Base):
    """One take of a spoken response; ``uid`` is what ``response.raw`` holds (the final take)."""

    __tablename__ = "recording_take"
    __table_args__ = (UniqueConstraint("presentation_id", "item_id", "number"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    uid: Mapped[str] = mapped_column(String(32), unique=True)
    attempt_id: Mapped[int] = mapped_column(ForeignKey("attempt.id"), index=True)
    presentation_id: Mapped[int] = mapped_column(ForeignKey("presentation.id"))
    item_id: Mapped[str] = mapped_column(String(40))
    number: Mapped[int]  # 1, 2, ...: take 1 plus the retakes
    started_at: Mapped[dt.datetime]
    stopped_at: Mapped[dt.datetime | None]


class RecordingPart(Base):
    """One MediaRecorder session of a take: its chunks are numbered 0, 1, ... with no gap."""

    __tablename__ = "recording_part"
    __table_args__ = (UniqueConstraint("take_id", "number"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    take_id: Mapped[int] = mapped_column(ForeignKey("recording_take.id"), index=True)
    number: Mapped[int]
    mime_type: Mapped[str] = mapped_column(String(40))  # audio/webm | audio/ogg
    chunk_count: Mapped[int] = mapped_column(default=0)
    byte_count: Mapped[int] = mapped_column(default=0)
    # The longest time stamp seen in the container so far (0 where it could not be read).
    media_ms: Mapped[int] = mapped_column(default=0)
    started_at: Mapped[dt.datetime]
    last_chunk_at: Mapped[dt.datetime | None]


class MicrophoneCheck(Base):
    """The candidate's own verdict after recording and hearing a few seconds (one row per
    attempt, the last verdict counts; ``failures`` counts the "it did not work" answers)."""

    __tablename__ = "microphone_check"

    id: Mapped[int] = mapped_column(primary_key=True)
    attempt_id: Mapped[int] = mapped_column(ForeignKey("attempt.id"), unique=True)
    ok: Mapped[bool]
    failures: Mapped[int] = mapped_column(default=0)
    # After a failed check the candidate may go on (the proctor sees the failure in the room).
    proceeded: Mapped[bool] = mapped_column(default=False)
    checked_at: Mapped[dt.datetime]
