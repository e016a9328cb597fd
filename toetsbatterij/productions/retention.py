"""Retention of the productions (``toetsbatterij.privacy.retention``): a candidate's recordings
and writing drafts are personal data. After the retention of their kind the recording files are
removed from the storage (the take rows stay, with ids and counts only, so a result that was
rated stays traceable to "a take existed") and the draft texts are emptied."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from toetsbatterij.clock import Clock
from toetsbatterij.delivery.models import Attempt, Candidate, ExamSession
from toetsbatterij.productions.models import RecordingTake, WritingDraft
from toetsbatterij.productions.storage import RecordingStorage


def _ended_before(cutoff: dt.datetime):  # type: ignore[no-untyped-def]
    """Attempts whose period runs out before ``cutoff``: the end of the attempt, or of its
    session when it never ended (the same rule as the other kinds)."""
    return (select(Attempt.id).join(Candidate, Candidate.id == Attempt.candidate_id)
            .join(ExamSession, ExamSession.id == Candidate.exam_session_id)
            .where(func.coalesce(Attempt.finished_at, ExamSession.ends_at) < cutoff))


def recordings_eraser(storage: RecordingStorage):  # type: ignore[no-untyped-def]
    """The eraser of the ``recordings`` kind for ``storage``."""

    def erase(db: Session, clock: Clock, cutoff: dt.datetime) -> int:
        takes = db.scalars(select(RecordingTake).where(
            RecordingTake.attempt_id.in_(_ended_before(cutoff))))
        return sum(1 for take in takes if storage.delete_take(take.uid))

    return erase


def erase_drafts(db: Session, clock: Clock, cutoff: dt.datetime) -> int:
    """The eraser of writing drafts (kind ``responses``: typed texts)."""
    erased = 0
    for draft in db.scalars(select(WritingDraft).where(
            WritingDraft.attempt_id.in_(_ended_before(cutoff)))):
        if draft.text:
            draft.text = ""
            erased += 1
    db.flush()
    return erased
