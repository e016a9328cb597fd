"""The satisfaction survey (issue 17): asked once after the test, optional, stored apart from
the person; the summary against hand-counted fixtures, with disclosure control."""

from __future__ import annotations

import datetime as dt

import pytest
from delivery_support import take_attempt
from sqlalchemy import inspect, select

from toetsbatterij.errors import Conflict, InvalidInput
from toetsbatterij.surveys import service
from toetsbatterij.surveys.models import SurveyInvitation, SurveyResponse
from toetsbatterij.surveys.questions import KEYS


@pytest.fixture
def finished(world, content):
    world.open(world.a)
    return take_attempt(world, content, world.a, 0)


def test_a_response_holds_nothing_that_identifies_the_person(world, finished, db_session):
    columns = {c.key for c in inspect(SurveyResponse).columns}
    assert columns == {"id", "organisation_id", "location_id", "test_code", "language",
                       "questions_version", "answered_on", "answers"}
    service.answer(world.db, world.clock, finished, {"clarity": "5", "treatment": "4",
                                                     "technical": "", "waiting": "2"})
    world.db.commit()
    (row,) = db_session.scalars(select(SurveyResponse)).all()
    assert row.answers == {"clarity": 5, "treatment": 4, "technical": None, "waiting": 2}
    assert len(row.id) == 32 and int(row.id, 16) >= 0       # random, not a counter
    assert isinstance(row.answered_on, dt.date) and not isinstance(row.answered_on, dt.datetime)
    assert row.test_code == "lezen-luisteren" and row.language == "nl"
    (invitation,) = db_session.scalars(select(SurveyInvitation)).all()
    assert (invitation.attempt_id, invitation.outcome) == (finished.id, "answered")
    assert {c.key for c in inspect(SurveyInvitation).columns} == {
        "attempt_id", "organisation_id", "outcome", "closed_on"}  # not what was answered


def test_asked_once_only_after_the_test(world, content, finished):
    assert service.is_open(world.db, finished)
    service.decline(world.db, world.clock, finished)
    assert not service.is_open(world.db, finished)
    with pytest.raises(Conflict):
        service.answer(world.db, world.clock, finished, {"clarity": "3"})
    running = take_attempt(world, content, world.a, 1, max_screens=2)
    assert not service.is_open(world.db, running)
    with pytest.raises(Conflict):
        service.decline(world.db, world.clock, running)


@pytest.mark.parametrize("value", ["0", "6", "x", "3.5", "-1"])
def test_an_answer_is_on_the_scale_or_empty(world, finished, value):
    with pytest.raises(InvalidInput) as err:
        service.answer(world.db, world.clock, finished, {"clarity": value})
    assert err.value.field == "clarity"
    assert service.parse_answers({}) == {key: None for key in KEYS}


def _responses(db, org, location, rows):
    for i, (day, language, answers) in enumerate(rows):
        db.add(SurveyResponse(id=f"{org:04x}{i:028x}", organisation_id=org,
                              location_id=location, test_code="lezen-luisteren",
                              language=language, questions_version="2026-1",
                              answered_on=day, answers=answers))
    db.commit()


def test_the_summary_counts_by_hand_and_suppresses_small_groups(world, db_session):
    march, april = dt.date(2026, 3, 10), dt.date(2026, 4, 2)
    rows = ([(march, "ar", {"clarity": 5, "treatment": 4, "technical": 3, "waiting": None})] * 6
            + [(march, "nl", {"clarity": 2, "treatment": 5, "technical": 5, "waiting": 1})] * 4
            + [(april, "nl", {"clarity": 4, "treatment": None, "technical": 4, "waiting": 5})] * 2)
    _responses(db_session, world.a["org"], world.a["location"], rows)
    _responses(db_session, world.b["org"], world.b["location"],
               [(march, "nl", {"clarity": 1, "treatment": 1, "technical": 1, "waiting": 1})] * 20)
    (total,) = service.summary(db_session, world.a["org"], min_group=10)
    assert (total.group, total.responses, total.suppressed) == ("", 12, False)
    clarity = total.questions[0]
    assert clarity.counts == {1: 0, 2: 4, 3: 0, 4: 2, 5: 6}
    assert clarity.mean == round((6 * 5 + 4 * 2 + 2 * 4) / 12, 2)
    waiting = total.questions[3]
    assert waiting.answered == 6 and waiting.mean == round((4 * 1 + 2 * 5) / 6, 2)
    by_language = service.summary(db_session, world.a["org"], grouping="language", min_group=5)
    assert [(g.group, g.responses, g.suppressed) for g in by_language] == [
        ("ar", 6, False), ("nl", 6, False)]
    by_month = service.summary(db_session, world.a["org"], grouping="month", min_group=5)
    assert [(g.group, g.suppressed) for g in by_month] == [("2026-03", False), ("2026-04", True)]
    small = by_month[1]
    assert all(q.mean is None and not q.counts for q in small.questions)
    march_only = service.summary(db_session, world.a["org"], date_to=dt.date(2026, 3, 31),
                                 min_group=5)
    assert march_only[0].responses == 10
    everyone = service.summary(db_session, None, min_group=10)
    assert everyone[0].responses == 32
    with pytest.raises(InvalidInput):
        service.summary(db_session, world.a["org"], grouping="attempt_id")
