"""Rating tasks, assignments, ratings, reference responses, calibration sets and runs, admissions.

- A *task* is one production to rate: a live response (kind ``live``, one task per rated
  response), a pre-scored control response mixed into one rater's queue (``control``, one task
  per reference and rater), one reference of a calibration run (``calibration``) or the
  re-rating of a live response after a complaint (``review``: ``review_of_id`` names the live
  task, rated by raters who never saw the production; its resolution counts for the response
  once a complaint decision adopted it, ``adopted_at``).
- An *assignment* gives a task to one rater: position 1 and 2 are the two independent ratings
  of a live production, position 3 the adjudication by a senior rater. The browser knows an
  assignment only by its random ``token``: no id of a task, response, attempt or candidate
  ever reaches a rater's page.
- A *rating* is what a rater gave: a score per criterion or an unrateable code. While the rater
  works on it, it is a draft (one row per assignment, replaced on every save); submitting adds
  the submitted row, which never changes (``_refuse_changes`` below) and removes the draft. A
  blank production gets one submitted rating without an assignment or a rater (code
  ``blank``): the system's, not a person's.
- A *reference* is a pre-scored production: a text written for the purpose (seeded, with the
  scores of its author acting as senior rater) or a resolved live response whose two counted
  ratings agreed exactly, promoted by an agency admin or the psychometrician. Its purpose is
  ``calibration`` (in a calibration set) or ``control`` (mixed into live queues).
- An *admission* says whether a rater may rate live productions of a skill: the result of a
  calibration run above the agreement threshold, or an audited decision of an agency admin
  (the first raters of an agency, who have nobody to calibrate against; a revocation).
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import JSON, Float, ForeignKey, String, Text, UniqueConstraint, event, inspect
from sqlalchemy.orm import Mapped, mapped_column

from toetsbatterij.db import Base

LIVE, CONTROL, CALIBRATION, REVIEW = "live", "control", "calibration", "review"
TASK_KINDS = (LIVE, CONTROL, CALIBRATION, REVIEW)
#: Task states: waiting for its first two ratings, for the adjudication, or done.
OPEN, ADJUDICATION, RESOLVED = "open", "adjudication", "resolved"
#: Where a reference's scores come from.
SEEDED, PROMOTED = "seed", "resolved"


class RatingTask(Base):
    __tablename__ = "rating_task"

    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[str] = mapped_column(String(12))
    # Live: the candidate's agency. Control and calibration: the rater's agency.
    organisation_id: Mapped[int] = mapped_column(ForeignKey("organisation.id"), index=True)
    skill: Mapped[str] = mapped_column(String(20))
    item_id: Mapped[str] = mapped_column(String(40))
    rubric_id: Mapped[str] = mapped_column(String(40))
    form_version: Mapped[str] = mapped_column(String(64))
    # Live tasks only: the response, its attempt and session (for the proctoring conflicts).
    response_id: Mapped[int | None] = mapped_column(ForeignKey("response.id"), unique=True)
    attempt_id: Mapped[int | None] = mapped_column(ForeignKey("attempt.id"), index=True)
    exam_session_id: Mapped[int | None] = mapped_column(ForeignKey("exam_session.id"),
                                                        index=True)
    # Control and calibration tasks: the reference rated, and for calibration the run.
    reference_id: Mapped[int | None] = mapped_column(ForeignKey("rating_reference.id"),
                                                     index=True)
    calibration_run_id: Mapped[int | None] = mapped_column(ForeignKey("calibration_run.id"),
                                                           index=True)
    status: Mapped[str] = mapped_column(String(14), default=OPEN)
    blank: Mapped[bool] = mapped_column(default=False)
    # The adjudication thresholds the two ratings were compared with (``Thresholds``), kept so
    # that a recompute judges them as they were judged.
    thresholds: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    created_at: Mapped[dt.datetime]
    resolved_at: Mapped[dt.datetime | None]
    # Review tasks only: the live task whose production is re-rated (the response is the live
    # task's: ``response_id`` stays empty, it is unique to the live task), and when a complaint
    # decision made this review's resolution the one that counts for the response.
    review_of_id: Mapped[int | None] = mapped_column(ForeignKey("rating_task.id"), index=True)
    adopted_at: Mapped[dt.datetime | None]


class RatingAssignment(Base):
    __tablename__ = "rating_assignment"
    __table_args__ = (UniqueConstraint("task_id", "rater_id"),
                      UniqueConstraint("task_id", "position"))

    id: Mapped[int] = mapped_column(primary_key=True)
    task_id: Mapped[int] = mapped_column(ForeignKey("rating_task.id"), index=True)
    rater_id: Mapped[int] = mapped_column(ForeignKey("staff_account.id"), index=True)
    position: Mapped[int]  # 1, 2: the two ratings; 3: the adjudication
    token: Mapped[str] = mapped_column(String(32), unique=True)
    assigned_at: Mapped[dt.datetime]
    submitted_at: Mapped[dt.datetime | None]


class Rating(Base):
    __tablename__ = "rating"
    __table_args__ = (UniqueConstraint("assignment_id", "submitted"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    task_id: Mapped[int] = mapped_column(ForeignKey("rating_task.id"), index=True)
    assignment_id: Mapped[int | None] = mapped_column(ForeignKey("rating_assignment.id"))
    rater_id: Mapped[int | None] = mapped_column(ForeignKey("staff_account.id"), index=True)
    scores: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    code: Mapped[str | None] = mapped_column(String(20))
    submitted: Mapped[bool] = mapped_column(default=False)
    senior: Mapped[bool] = mapped_column(default=False)  # the adjudication
    created_at: Mapped[dt.datetime]


class ImmutableRating(RuntimeError):
    """A submitted rating was about to change or disappear: a programming error."""


def _was_submitted(target: Rating) -> bool:
    state = inspect(target)
    return bool(state.committed_state.get("submitted", target.submitted)) and (
        state.persistent or state.deleted)


@event.listens_for(Rating, "before_update")
def _refuse_update(_mapper: Any, _conn: Any, target: Rating) -> None:
    if _was_submitted(target):
        raise ImmutableRating(f"rating {target.id} is submitted and never changes")


@event.listens_for(Rating, "before_delete")
def _refuse_delete(_mapper: Any, _conn: Any, target: Rating) -> None:
    if _was_submitted(target):
        raise ImmutableRating(f"rating {target.id} is submitted and is never removed")


class CalibrationSet(Base):
    """Pre-scored productions of one skill (optionally one rubric) a rater rates before live
    rating. ``organisation_id`` None: shared by every agency (the seeded demo set)."""

    __tablename__ = "calibration_set"

    id: Mapped[int] = mapped_column(primary_key=True)
    organisation_id: Mapped[int | None] = mapped_column(ForeignKey("organisation.id"),
                                                        index=True)
    skill: Mapped[str] = mapped_column(String(20))
    rubric_id: Mapped[str] = mapped_column(String(40), default="")  # "": any rubric of the skill
    name: Mapped[str] = mapped_column(String(200))
    active: Mapped[bool] = mapped_column(default=True)
    created_by: Mapped[int | None] = mapped_column(ForeignKey("staff_account.id"))
    created_at: Mapped[dt.datetime]


class RatingReference(Base):
    """A pre-scored production (see the module docstring). A seeded one holds its own text; a
    promoted one points at its live response (its text or recording stays where it is and is
    erased with it after the retention period)."""

    __tablename__ = "rating_reference"

    id: Mapped[int] = mapped_column(primary_key=True)
    organisation_id: Mapped[int | None] = mapped_column(ForeignKey("organisation.id"),
                                                        index=True)
    purpose: Mapped[str] = mapped_column(String(12))  # calibration | control
    calibration_set_id: Mapped[int | None] = mapped_column(ForeignKey("calibration_set.id"),
                                                           index=True)
    skill: Mapped[str] = mapped_column(String(20))
    item_id: Mapped[str] = mapped_column(String(40))
    rubric_id: Mapped[str] = mapped_column(String(40))
    form_version: Mapped[str] = mapped_column(String(64))
    text: Mapped[str | None] = mapped_column(Text)
    response_id: Mapped[int | None] = mapped_column(ForeignKey("response.id"), index=True)
    scores: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    code: Mapped[str | None] = mapped_column(String(20))
    source: Mapped[str] = mapped_column(String(12))  # seed | resolved
    label: Mapped[str] = mapped_column(String(200), default="")
    active: Mapped[bool] = mapped_column(default=True)
    created_by: Mapped[int | None] = mapped_column(ForeignKey("staff_account.id"))
    created_at: Mapped[dt.datetime]


class CalibrationRun(Base):
    """One rater rating one calibration set; the agreement is stored when the last one is in."""

    __tablename__ = "calibration_run"

    id: Mapped[int] = mapped_column(primary_key=True)
    rater_id: Mapped[int] = mapped_column(ForeignKey("staff_account.id"), index=True)
    calibration_set_id: Mapped[int] = mapped_column(ForeignKey("calibration_set.id"))
    skill: Mapped[str] = mapped_column(String(20))
    started_at: Mapped[dt.datetime]
    finished_at: Mapped[dt.datetime | None]
    exact: Mapped[float | None] = mapped_column(Float)
    adjacent: Mapped[float | None] = mapped_column(Float)  # exact or one apart
    kappa: Mapped[float | None] = mapped_column(Float)     # quadratic-weighted
    pairs: Mapped[int] = mapped_column(default=0)  # criterion scores compared
    passed: Mapped[bool | None]


class RaterAdmission(Base):
    """Whether a rater may rate live productions of a skill; the newest row counts (history)."""

    __tablename__ = "rater_admission"

    id: Mapped[int] = mapped_column(primary_key=True)
    rater_id: Mapped[int] = mapped_column(ForeignKey("staff_account.id"), index=True)
    skill: Mapped[str] = mapped_column(String(20))
    admitted: Mapped[bool]
    calibration_run_id: Mapped[int | None] = mapped_column(ForeignKey("calibration_run.id"))
    decided_by: Mapped[int | None] = mapped_column(ForeignKey("staff_account.id"))
    reason: Mapped[str] = mapped_column(Text, default="")
    decided_at: Mapped[dt.datetime]
