"""Helpers shared by the rating, web and browser tests (imported as ``rating_support``):
finished writing + speaking attempts taken through the real services, raters admitted to both
skills."""

from __future__ import annotations

import datetime as dt
from typing import Any

from delivery_support import PASSWORD

from toetsbatterij.accounts import service as accounts
from toetsbatterij.accounts.models import ROLE_RATER
from toetsbatterij.delivery import attempts, proctoring, sessions
from toetsbatterij.delivery.identity import make_national_number
from toetsbatterij.demo.candidate import SimulatedCandidate, take_test
from toetsbatterij.rating import calibration

WRITING_ITEM, SPEAKING_ITEM = "W-A2-0001", "S-A2-0001"
TEXT = ("Beste juf, morgen is mijn zoon ziek. Hij heeft koorts en hij blijft thuis. Hij komt "
        "terug op donderdag. Kunt u mij het huiswerk geven? Vriendelijke groeten.")
#: Names and numbers of the candidates these helpers register: the leak test looks for them.
FIRST, LAST = "Zeynep", "Vanderstraeten"


def exam_session(world: Any, tenant: dict[str, Any], *, created_by: int | None = None) -> Any:
    """An opened session of the test bank's writing + speaking test."""
    sess = sessions.create_session(
        world.db, world.clock, organisation_id=tenant["org"], actor_id=created_by,
        location_id=tenant["location"],
        test_definition_id=world.definitions["schrijven-spreken"].id,
        starts_at=world.clock.now() - dt.timedelta(minutes=30),
        ends_at=world.clock.now() + dt.timedelta(hours=8))
    sessions.open_session(world.db, world.clock, organisation_id=tenant["org"], actor_id=None,
                          session_id=sess.id)
    world.db.commit()
    return sess


def finished_attempt(world: Any, content: Any, storage: Any, tenant: dict[str, Any], *,
                     session: Any = None, number: int = 0, text: str | None = TEXT,
                     record: bool = True, admitted_by: int | None = None) -> Any:
    """A candidate of ``tenant`` writes ``text`` (None: nothing) and records the demo's spoken
    answer (or nothing) through the real services, to the end of the attempt."""
    sess = session or exam_session(world, tenant)
    birth = dt.date(1985, 3, 1 + number)
    cand = sessions.register_candidate(
        world.db, world.clock, organisation_id=tenant["org"], actor_id=None,
        session_id=sess.id,
        data=sessions.CandidateInput(first_name=f"{FIRST}{number}", last_name=LAST,
                                     birth_date=birth, id_kind="rrn",
                                     id_number=make_national_number(birth, 300 + 2 * number)))
    proctoring.admit_candidates(world.db, world.clock, organisation_id=tenant["org"],
                                session_id=sess.id, candidate_ids=[cand.id],
                                actor_id=admitted_by)
    _, attempt, _ = attempts.candidate_login(world.db, world.clock, session_code=sess.code,
                                             access_code=cand.access_code, device_token=None)
    world.db.commit()
    texts = {WRITING_ITEM: text} if text is not None else {WRITING_ITEM: ""}
    candidate = SimulatedCandidate({}, seed=number + 1, texts=texts)
    if not record:
        candidate.recording = lambda _item: None
    take_test(world.db, world.clock, content, storage, attempt, candidate,
              commit=world.db.commit)
    world.db.commit()
    return attempt


def rater(world: Any, tenant: dict[str, Any], name: str, *, senior: bool = False,
          skills: tuple[str, ...] = ("writing", "speaking")) -> Any:
    """A rater of ``tenant`` (login ``<name>@<domain>``), admitted to ``skills`` by the admin."""
    acc = accounts.create_account(world.db, world.clock, organisation_id=tenant["org"],
                                  email=f"{name}@{tenant['domain']}", display_name=name,
                                  role=ROLE_RATER, password=PASSWORD)
    admin = tenant["staff"]["agency_admin"]
    for skill in skills:
        calibration.decide_admission(world.db, world.clock, organisation_id=tenant["org"],
                                     actor_id=admin, rater_id=acc.id, skill=skill,
                                     admitted=True, reason="test")
    if senior:
        calibration.set_senior(world.db, world.clock, organisation_id=tenant["org"],
                               actor_id=admin, rater_id=acc.id, senior=True)
    world.db.commit()
    return acc


def rate_all(world: Any, content: Any, account: Any, value: int = 1) -> list[str]:
    """``account`` takes and submits every production waiting for it (``value`` on every
    criterion, capped at the criterion's maximum); returns the tokens."""
    from toetsbatterij.rating import service
    from toetsbatterij.rating.models import RatingTask

    policy = service.RatingPolicy(control_rate=0.0)
    tokens = []
    while True:
        assignment = service.next_assignment(world.db, world.clock, content, account, policy)
        if assignment is None:
            break
        task = world.db.get(RatingTask, assignment.task_id)
        maxima = service.criteria_of(service.form_of(world.db, task.form_version, content),
                                     task.rubric_id)
        service.save_rating(world.db, world.clock, content, account, assignment.token,
                            scores={c: min(value, m) for c, m in maxima.items()}, code=None,
                            submit=True, policy=policy)
        world.db.commit()
        tokens.append(assignment.token)
    return tokens
