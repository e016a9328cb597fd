"""The satisfaction survey: asked once per attempt after the test, optional, stored apart from
the person (``surveys.models``), summarised with disclosure control."""

from __future__ import annotations

import datetime as dt
import secrets
import statistics
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from toetsbatterij.clock import DEFAULT_TZ, Clock, local_date
from toetsbatterij.delivery.models import (
    ENDED,
    FINISHED,
    Attempt,
    Candidate,
    ExamSession,
    TestDefinitionRecord,
)
from toetsbatterij.errors import Conflict, InvalidInput
from toetsbatterij.i18n import N_
from toetsbatterij.surveys.models import (
    ANSWERED,
    DECLINED,
    SurveyInvitation,
    SurveyResponse,
)
from toetsbatterij.surveys.questions import KEYS, POINTS, VERSION

#: How a summary may be broken down (a column of ``survey_response``).
GROUPINGS = ("location_id", "test_code", "language", "month")


def is_open(db: Session, attempt: Attempt) -> bool:
    """May this attempt's candidate still answer (or decline) the survey?"""
    return attempt.state in (FINISHED, ENDED) and db.get(SurveyInvitation, attempt.id) is None


def _close(db: Session, clock: Clock, attempt: Attempt, outcome: str, tz: str) -> dt.date:
    if attempt.state not in (FINISHED, ENDED):
        raise Conflict(N_("De vragenlijst komt pas na de toets."))
    if db.get(SurveyInvitation, attempt.id) is not None:
        raise Conflict(N_("U hebt de vragenlijst al ingevuld. Dank u wel."))
    today = local_date(clock.now(), tz)
    db.add(SurveyInvitation(attempt_id=attempt.id, organisation_id=attempt.organisation_id,
                            outcome=outcome, closed_on=today))
    return today


def parse_answers(form: Mapping[str, Any]) -> dict[str, int | None]:
    """The posted answers: every question may stay open; a value must be on the scale."""
    answers: dict[str, int | None] = {}
    for key in KEYS:
        raw = str(form.get(key) or "").strip()
        if not raw:
            answers[key] = None
            continue
        if not raw.isdigit() or int(raw) not in POINTS:
            raise InvalidInput(N_("Kies een van de gezichtjes, of laat de vraag open."),
                               field=key)
        answers[key] = int(raw)
    return answers


def answer(db: Session, clock: Clock, attempt: Attempt, form: Mapping[str, Any], *,
           tz: str = DEFAULT_TZ) -> None:
    """Store the answers apart from the person, and close the attempt's invitation."""
    answers = parse_answers(form)
    today = _close(db, clock, attempt, ANSWERED, tz)
    cand = db.get(Candidate, attempt.candidate_id)
    sess = db.get(ExamSession, cand.exam_session_id) if cand else None
    definition = db.get(TestDefinitionRecord, attempt.test_definition_id)
    if cand is None or sess is None or definition is None:
        raise InvalidInput(detail=f"attempt {attempt.id} without candidate, session or test")
    db.add(SurveyResponse(id=secrets.token_hex(16), organisation_id=attempt.organisation_id,
                          location_id=sess.location_id, test_code=definition.code,
                          language=cand.instruction_language, questions_version=VERSION,
                          answered_on=today, answers=answers))
    db.flush()


def decline(db: Session, clock: Clock, attempt: Attempt, *, tz: str = DEFAULT_TZ) -> None:
    _close(db, clock, attempt, DECLINED, tz)
    db.flush()


# -- the summary -------------------------------------------------------------------------------


@dataclass
class QuestionSummary:
    key: str
    answered: int
    mean: float | None                       # None when suppressed or nothing answered
    counts: dict[int, int] = field(default_factory=dict)


@dataclass
class GroupSummary:
    group: str                               # "" for everything
    responses: int
    suppressed: bool
    questions: list[QuestionSummary] = field(default_factory=list)


def _group_value(row: SurveyResponse, grouping: str | None) -> str:
    if grouping is None:
        return ""
    if grouping == "month":
        return row.answered_on.strftime("%Y-%m")
    return str(getattr(row, grouping))


def summary(db: Session, organisation_id: int | None, *, date_from: dt.date | None = None,
            date_to: dt.date | None = None, grouping: str | None = None,
            location_id: int | None = None, language: str | None = None,
            min_group: int = 10) -> list[GroupSummary]:
    """Per group: the number of responses and, per question, how often each point was chosen
    and the mean. A group of fewer than ``min_group`` responses shows only that it is too small
    (disclosure control); ``organisation_id`` None is every agency (the Flemish agency)."""
    if grouping is not None and grouping not in GROUPINGS:
        raise InvalidInput(detail=f"grouping {grouping!r}")
    stmt = select(SurveyResponse).where(SurveyResponse.questions_version == VERSION)
    if organisation_id is not None:
        stmt = stmt.where(SurveyResponse.organisation_id == organisation_id)
    if location_id is not None:
        stmt = stmt.where(SurveyResponse.location_id == location_id)
    if language:
        stmt = stmt.where(SurveyResponse.language == language)
    if date_from is not None:
        stmt = stmt.where(SurveyResponse.answered_on >= date_from)
    if date_to is not None:
        stmt = stmt.where(SurveyResponse.answered_on <= date_to)
    groups: dict[str, list[SurveyResponse]] = {}
    for row in db.scalars(stmt):
        groups.setdefault(_group_value(row, grouping), []).append(row)
    out = []
    for name in sorted(groups):
        rows = groups[name]
        suppressed = len(rows) < min_group
        questions = []
        for key in KEYS:
            values = [r.answers.get(key) for r in rows if r.answers.get(key) is not None]
            if suppressed:
                questions.append(QuestionSummary(key, 0, None))
                continue
            counts = {p: values.count(p) for p in POINTS}
            questions.append(QuestionSummary(
                key, len(values), round(statistics.fmean(values), 2) if values else None,
                counts))
        out.append(GroupSummary(name, len(rows), suppressed, questions))
    return out
