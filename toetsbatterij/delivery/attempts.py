"""The attempt state machine: instructions -> practice -> sections -> finished.

Invariants (ISSUE 4, "nothing lost"):

- the unit presented is persisted (flushed, and committed by the caller) BEFORE it is sent, so a
  reload shows the same unit and never re-draws;
- responses are stored before the next unit is chosen; a second submit for the same presentation
  is a harmless no-op (unique (presentation, item) and the ``answered_at`` check);
- deadlines live in the database; the clock stops while the attempt is paused;
- the selection of the next unit is rebuilt from the stored responses on every request, so any
  worker (or a restarted server) continues exactly where the candidate was.
"""

from __future__ import annotations

import datetime as dt
import secrets
from dataclasses import dataclass, field
from typing import Any, Protocol

from sqlalchemy import event, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from toetsbatterij.audit.service import record
from toetsbatterij.clock import Clock
from toetsbatterij.delivery import accommodations, exposure, feed, outages, throttle
from toetsbatterij.delivery.definitions import SKILL_LABELS
from toetsbatterij.delivery.models import (
    ADMISSION,
    ENDED,
    FINISHED,
    INSTRUCTIONS,
    PRACTICE,
    SECTION,
    Attempt,
    Candidate,
    ExamSession,
    Presentation,
    Response,
    SectionRun,
    TestDefinitionRecord,
)
from toetsbatterij.delivery.sessions import normalise_code, session_accepts_logins
from toetsbatterij.errors import (
    AttemptPaused,
    Conflict,
    DeadlinePassed,
    DeviceInUse,
    InvalidInput,
    LoginFailed,
    NotAuthenticated,
    SessionNotOpen,
)
from toetsbatterij.i18n import N_
from toetsbatterij.items import TestForm  # Selection re-exported
from toetsbatterij.login_sessions import service as login_sessions
from toetsbatterij.textinput import REASON_LABEL, clean_text

PRACTICE_SECTION = -1
MIN_SECONDS_FOR_NEW_UNIT = 1


class Content(Protocol):
    """Where an attempt's test form comes from (``delivery.forms.FormStore``). Delivery asks the
    form (``items.TestForm``) for the view of a unit, the score of a response and the next unit
    for a state; it never talks to the scoring core itself."""

    def for_attempt(self, db: Session, attempt: Attempt) -> TestForm: ...

    def for_new_attempt(self, db: Session, definition: TestDefinitionRecord) -> TestForm: ...


@dataclass
class Screen:
    """What the candidate sees now (built by :func:`current_screen`)."""

    # instructions | practice | section_intro | item | continue | paused | finished | ended
    # ("continue": the next unit is due and is presented by the candidate's next POST)
    kind: str
    attempt: Attempt
    section: SectionRun | None = None
    section_label: str = ""
    section_number: int = 0
    section_count: int = 0
    presentation: Presentation | None = None
    view: dict[str, Any] = field(default_factory=dict)
    remaining_seconds: int | None = None
    time_limit_minutes: int | None = None
    feedback: str = ""  # practice: the explanation of the practice unit just answered
    # practice: how that answer scored: correct | partly | wrong | "" (rated, not scored here)
    feedback_outcome: str = ""


# -- login ---------------------------------------------------------------------------------------


def candidate_login(db: Session, clock: Clock, *, session_code: str, access_code: str,
                    device_token: str | None, forms: Content | None = None,
                    policy: throttle.ThrottlePolicy = throttle.DEFAULT_POLICY,
                    ) -> tuple[Candidate, Attempt, str]:
    """Session code + access code, only in the window of an opened session, one device.

    Failed logins are throttled per session code and per access code (``delivery.throttle``;
    raises LoginThrottled while either is locked, even for the right codes).

    Returns (candidate, attempt, device token). ``device_token`` is the token this browser
    already holds (a reload or a re-login on the same device), or None.
    """
    now = clock.now()
    session_code, access_code = normalise_code(session_code), normalise_code(access_code)
    throttle.check(db, clock, session_code=session_code, access_code=access_code)
    sess = db.scalar(select(ExamSession).where(ExamSession.code == session_code))
    cand = None
    if sess is not None:
        cand = db.scalar(select(Candidate).where(
            Candidate.exam_session_id == sess.id, Candidate.access_code == access_code))
    if sess is None or cand is None:
        # Counted (flushed) before raising: the caller commits on LoginFailed, nothing else
        # was changed on this path.
        throttle.record_failure(db, clock, session_code=session_code, access_code=access_code,
                                policy=policy)
        raise LoginFailed("De sessiecode of de toegangscode klopt niet. Kijk uw ticket na.")
    throttle.record_success(db, access_code=access_code)
    if not session_accepts_logins(sess, now):
        raise SessionNotOpen()
    if cand.device_token is not None and not (
            device_token and secrets.compare_digest(cand.device_token, device_token)):
        raise DeviceInUse()
    if cand.device_token is None:
        # The token this browser was given with the login page (so that a login whose answer
        # was lost, a crash of the worker, is the same device when the candidate tries again).
        cand.device_token = device_token or secrets.token_urlsafe(32)
        cand.device_bound_at = now
    attempt = db.scalar(select(Attempt).where(Attempt.candidate_id == cand.id))
    if attempt is None:
        definition = db.get(TestDefinitionRecord, sess.test_definition_id)
        assert definition is not None
        form_version = ""
        if forms is not None:
            # The form the attempt runs on to the end: the current form of the test (a new
            # bank is a new form version for new attempts), refused when its files do not
            # match its version.
            form = forms.for_new_attempt(db, definition)
            form_version = form.version
            if form.version != definition.version:
                definition = _definition_of_form(db, clock, forms, form)
        attempt = Attempt(organisation_id=cand.organisation_id, candidate_id=cand.id,
                          test_definition_id=definition.id, bank_version=definition.bank_version,
                          form_version=form_version, seed=secrets.randbits(31),
                          state=INSTRUCTIONS if cand.admitted_at is not None else ADMISSION,
                          started_at=now)
        db.add(attempt)
    attempt.last_contact_at = now
    feed.candidate_event(db, clock, cand, feed.LOGGED_IN)
    db.flush()
    return cand, attempt, cand.device_token


def _definition_of_form(db: Session, clock: Clock, forms: Any,
                        form: TestForm) -> TestDefinitionRecord:
    from toetsbatterij.delivery.definitions import sync_forms

    rows = {row.version: row for row in sync_forms(db, clock, forms)}
    return rows[form.version]


def resume(db: Session, clock: Clock, *, attempt_id: int, device_token: str) -> Attempt:
    """The attempt of a logged-in candidate browser; refuses a released or replaced device."""
    row = db.execute(select(Attempt, Candidate).join(
        Candidate, Candidate.id == Attempt.candidate_id).where(Attempt.id == attempt_id)).first()
    if row is None:
        raise NotAuthenticated()
    attempt, cand = row
    # Held for the request: the identity map keeps clean objects only weakly, and the walk,
    # the feed and the page ask for the candidate again.
    db.info.setdefault(_HELD, []).append(cand)
    if cand is None or cand.device_token is None or not secrets.compare_digest(
            cand.device_token, device_token or ""):
        raise NotAuthenticated("U bent afgemeld. Meld opnieuw aan met uw ticket.")
    return attempt


def credit_outages(db: Session, clock: Clock, attempt: Attempt,
                   policy: outages.OutagePolicy = outages.DEFAULT_POLICY) -> float:
    """Give back the time the running section lost while the platform answered nobody
    (``delivery.outages``); before :func:`touch` and before any deadline is looked at."""
    if attempt.state != SECTION or not outages.may_have_missed(clock, attempt, policy):
        return 0.0
    return outages.credit(db, clock, attempt, _section_run(db, attempt, attempt.section_index),
                          policy)


def touch(db: Session, clock: Clock, attempt: Attempt) -> None:
    """Note that the candidate's browser is there (for the room view). Written at most every few
    seconds, so the status heartbeat does not take the database's write lock each time."""
    now = clock.now()
    if attempt.last_contact_at is None or (now - attempt.last_contact_at).total_seconds() >= 5:
        attempt.last_contact_at = now  # flushed with the request's other writes


# -- helpers -------------------------------------------------------------------------------------


def _candidate(db: Session, attempt: Attempt) -> Candidate:
    cand = db.get(Candidate, attempt.candidate_id)
    assert cand is not None
    return cand


def _form(db: Session, content: Content, attempt: Attempt) -> TestForm:
    return content.for_attempt(db, attempt)


class _AttemptState:
    """What the walk and an answer need of one attempt, loaded in three statements (its section
    runs, its presentations, the scores of its responses) once per transaction, and kept in
    step by the writes of this module (``_present``, ``submit``, ``start_section``). Dropped
    at the end of the transaction and at every rollback (of a savepoint too), so it never
    outlives what it read."""

    def __init__(self, db: Session, attempt: Attempt) -> None:
        # Reads only, before any write of the request is flushed: on SQLite the write lock is
        # then held only for the short burst of writes at the end (the touch of the attempt
        # waits for it), not for the whole request.
        with db.no_autoflush:
            self.runs = {run.section_index: run for run in db.scalars(
                select(SectionRun).where(SectionRun.attempt_id == attempt.id))}
            self.by_section: dict[int, list[Presentation]] = {}
            self.by_id: dict[int, Presentation] = {}
            for pres in db.scalars(select(Presentation).where(
                    Presentation.attempt_id == attempt.id)
                    .order_by(Presentation.section_index, Presentation.position)):
                self._add(pres)
            self.scores: dict[int, list[tuple[str, float | None, bool]]] = {}
            for pid, item_id, score, counts in db.execute(
                    select(Response.presentation_id, Response.item_id, Response.score,
                           Response.counts).where(Response.attempt_id == attempt.id)
                    .order_by(Response.id)):
                self.scores.setdefault(pid, []).append(
                    (item_id, None if score is None else float(score), bool(counts)))

    def _add(self, pres: Presentation) -> None:
        self.by_section.setdefault(pres.section_index, []).append(pres)
        self.by_id[pres.id] = pres

    def presented(self, pres: Presentation) -> None:
        self._add(pres)
        self.by_section[pres.section_index].sort(key=lambda p: p.position)

    def answered(self, pres: Presentation, rows: list[Response]) -> None:
        self.scores[pres.id] = [(r.item_id, None if r.score is None else float(r.score),
                                 bool(r.counts)) for r in rows]


_STATE = "toetsbatterij.delivery.attempt_state"
_HELD = "toetsbatterij.delivery.held"


def _state(db: Session, attempt: Attempt) -> _AttemptState:
    states = db.info.get(_STATE)
    if states is None:
        states = db.info[_STATE] = {}
        if not event.contains(db, "after_transaction_end", _drop_states):
            event.listen(db, "after_transaction_end", _drop_states)
            event.listen(db, "after_soft_rollback", _drop_states_after_rollback)
    state = states.get(attempt.id)
    if state is None:
        state = states[attempt.id] = _AttemptState(db, attempt)
    return state


def forget_state(db: Session, attempt_id: int | None = None) -> None:
    """Drop the loaded state (of one attempt, or all): for a write that bypassed this module."""
    states = db.info.get(_STATE)
    if states:
        if attempt_id is None:
            states.clear()
        else:
            states.pop(attempt_id, None)


def _drop_states(db: Session, transaction: Any) -> None:
    if transaction.parent is None:  # the outer transaction ended (a savepoint's release keeps it)
        forget_state(db)


def _drop_states_after_rollback(db: Session, _previous: Any) -> None:
    forget_state(db)


def _section_run(db: Session, attempt: Attempt, index: int) -> SectionRun | None:
    return _state(db, attempt).runs.get(index)


def _query_section_run(db: Session, attempt: Attempt, index: int) -> SectionRun | None:
    """One section run straight from the database (the proctor's actions, a lost race)."""
    return db.scalar(select(SectionRun).where(SectionRun.attempt_id == attempt.id,
                                              SectionRun.section_index == index))


def _open_presentation(db: Session, attempt: Attempt, section_index: int) -> Presentation | None:
    return next((p for p in _presentations(db, attempt, section_index)
                 if p.answered_at is None), None)


def _presentations(db: Session, attempt: Attempt, section_index: int) -> list[Presentation]:
    return list(_state(db, attempt).by_section.get(section_index, ()))


def presentation_of(db: Session, attempt: Attempt, presentation_id: int) -> Presentation | None:
    """A presentation of this attempt by id (None when it is not one of the attempt's)."""
    pres = _state(db, attempt).by_id.get(presentation_id)
    if pres is None:
        pres = db.get(Presentation, presentation_id)
    return pres if pres is not None and pres.attempt_id == attempt.id else None


def _history(db: Session, attempt: Attempt, section_index: int) -> list[tuple[str, float]]:
    """Scored (item id, score) pairs of a section, in presentation order; pretest kept out."""
    state = _state(db, attempt)
    return [(item_id, score) for pres in state.by_section.get(section_index, ())
            for item_id, score, counts in state.scores.get(pres.id, ())
            if counts and score is not None]


def _presented_items(db: Session, attempt: Attempt) -> frozenset[str]:
    """Every item presented in the attempt's sections so far (answered or not, pretest too):
    the enemy exclusion holds across sections."""
    return frozenset(item for index, rows in _state(db, attempt).by_section.items()
                     if index != PRACTICE_SECTION for pres in rows for item in pres.item_ids)


def remaining_seconds(run: SectionRun, attempt: Attempt, now: dt.datetime) -> int:
    reference = attempt.paused_at or now
    return max(0, int((run.deadline_at - reference).total_seconds()))


def _finish_section(db: Session, clock: Clock, content: Content, attempt: Attempt,
                    run: SectionRun, reason: str) -> None:
    if run.finished_at is not None:
        return
    if reason == "time":
        # The last confirmed text or recording of an open writing/speaking task is the answer.
        from toetsbatterij.productions.service import answer_from_productions

        if answer_from_productions(db, clock, content, attempt, run.section_index):
            forget_state(db, attempt.id)  # it stored responses of its own
    now = clock.now()
    run.finished_at = min(now, run.deadline_at)
    run.finish_reason = reason[:200]
    form = _form(db, content, attempt)
    sections = form.sections
    theta, se, level = form.classify(run.section_index, _history(db, attempt, run.section_index))
    run.theta, run.se, run.level = theta, se, level
    # An unanswered presentation of a closed section stays unanswered: it did not count.
    if run.section_index + 1 < len(sections):
        transition(attempt, "close_section", SECTION)
        attempt.section_index = run.section_index + 1
    else:
        transition(attempt, "close_section", FINISHED)
        attempt.finished_at = now
    db.flush()


def _label(sections: Any, index: int) -> str:
    return SKILL_LABELS.get(sections[index].skill, sections[index].skill)


def _practice_plan(form: TestForm) -> list[str]:
    units: list[str] = []
    for section in form.sections:
        for unit in form.practice_units(section.skill):
            if unit not in units:
                units.append(unit)
    return units


def _present(db: Session, clock: Clock, attempt: Attempt, section_index: int, position: int,
             kind: str, unit_id: str, form: TestForm) -> Presentation:
    pres = Presentation(attempt_id=attempt.id, section_index=section_index, position=position,
                        kind=kind, unit_id=unit_id, item_ids=form.item_ids(unit_id),
                        presented_at=clock.now())
    state = _state(db, attempt)
    try:
        with db.begin_nested():
            db.add(pres)
            db.flush()
    except IntegrityError:
        # Another request of the same candidate won the race for this position: show its unit.
        existing = db.scalar(select(Presentation).where(
            Presentation.attempt_id == attempt.id, Presentation.section_index == section_index,
            Presentation.position == position))
        assert existing is not None
        return existing
    state.presented(pres)
    exposure.note_presented(db, attempt, pres)
    return pres


# -- the state machine --------------------------------------------------------------------------
#
# Stored states (``Attempt.state``) and the events that move between them; ``paused`` is a flag
# (``Attempt.paused_at``) over any active state, "between sections" is SECTION with no run yet
# for ``Attempt.section_index``, "in section k" is SECTION with an open run k.
#
#   admission --admit--> instructions                          (proctor, after the identity check)
#   instructions --start_practice--> practice --practice_done--> section (k = 0, intro)
#   section k (intro) --start_section--> section k (running)
#   section k (running) --close_section--> section k+1 (intro) | finished
#   admission | instructions | practice | section --end--> ended   (proctor, with a reason)
#   any active --pause--> paused --resume--> the same state
#
# Only POST requests move an attempt (``advance`` and the actions below); ``current_screen`` reads.

ACTIVE_STATES = (ADMISSION, INSTRUCTIONS, PRACTICE, SECTION)
TRANSITIONS: dict[str, dict[str, tuple[str, ...]]] = {
    "admit": {ADMISSION: (INSTRUCTIONS,)},
    "start_practice": {INSTRUCTIONS: (PRACTICE,)},
    "practice_done": {PRACTICE: (SECTION,)},
    "start_section": {SECTION: (SECTION,)},
    "close_section": {SECTION: (SECTION, FINISHED)},
    "end": {state: (ENDED,) for state in ACTIVE_STATES},
}


def transition(attempt: Attempt, event: str, target: str) -> None:
    """Move ``attempt`` by ``event`` to ``target``; refuse a move the table does not allow."""
    allowed = TRANSITIONS.get(event, {}).get(attempt.state, ())
    if target not in allowed:
        raise Conflict(None, detail=f"{event}: {attempt.state} -> {target} not allowed")
    attempt.state = target


# -- the screen ----------------------------------------------------------------------------------


def current_screen(db: Session, clock: Clock, content: Content, attempt: Attempt,
                   grace_seconds: int = 2) -> Screen:
    """What the candidate sees now. Reads only: a section whose time ran out shows as closed,
    but is closed in the database by the next :func:`advance` (any POST of the candidate, such
    as the page's status heartbeat)."""
    return _walk(db, clock, content, attempt, grace_seconds, write=False)


def advance(db: Session, clock: Clock, content: Content, attempt: Attempt,
            grace_seconds: int = 2) -> Screen:
    """Carry out every transition that is due (present the next unit, close a section whose time
    ran out or whose stopping rule is met, leave the practice block), then return the screen.
    Idempotent: a second call changes nothing."""
    return _walk(db, clock, content, attempt, grace_seconds, write=True)


def _walk(db: Session, clock: Clock, content: Content, attempt: Attempt, grace_seconds: int,
          *, write: bool) -> Screen:
    now = clock.now()
    form = _form(db, content, attempt)
    sections = form.sections
    base = {"attempt": attempt, "section_count": len(sections)}
    if attempt.state == ENDED:
        return Screen(kind="ended", **base)
    if attempt.state == FINISHED:
        return Screen(kind="finished", **base)
    if attempt.paused_at is not None:
        run = _section_run(db, attempt, attempt.section_index) if attempt.state == SECTION else None
        return Screen(kind="paused", section=run,
                      remaining_seconds=remaining_seconds(run, attempt, now) if run else None,
                      **base)
    if attempt.state == ADMISSION:
        return Screen(kind="waiting", **base)
    if attempt.state == INSTRUCTIONS:
        return Screen(kind="instructions", **base)
    practice_feedback = outcome = ""
    answered = [p for p in _presentations(db, attempt, PRACTICE_SECTION)
                if p.answered_at is not None]
    if answered:
        practice_feedback = form.feedback(answered[-1].unit_id)
        outcome = _practice_outcome(db, form, attempt, answered[-1])
    index = attempt.section_index
    if attempt.state == PRACTICE:
        plan = _practice_plan(form)
        done = _presentations(db, attempt, PRACTICE_SECTION)
        open_pres = next((p for p in done if p.answered_at is None), None)
        if open_pres is None and len(done) < len(plan):
            if not write:
                return Screen(kind="continue", **base)
            open_pres = _present(db, clock, attempt, PRACTICE_SECTION, len(done), "practice",
                                 plan[len(done)], form)
        if open_pres is not None:
            return Screen(kind="practice", presentation=open_pres,
                          view=_view(form, db, attempt, open_pres.unit_id),
                          section_number=open_pres.position + 1, section_label=N_("Oefenen"),
                          feedback=practice_feedback, feedback_outcome=outcome, **base)
        index = 0
        if write:
            transition(attempt, "practice_done", SECTION)
            attempt.section_index = 0
            db.flush()
    # SECTION (or, read-only, the section the candidate is in after the due transitions)
    while index < len(sections):
        run = _section_run(db, attempt, index)
        section = sections[index]
        info = {"section_label": _label(sections, index), "section_number": index + 1}
        if run is None or run.finished_at is not None and not write:
            if run is not None:  # read-only: a section closed but the next not yet entered
                index += 1
                continue
            return Screen(kind="section_intro",
                          time_limit_minutes=_limit_seconds(section, db, attempt) // 60,
                          feedback=practice_feedback if index == 0 else "",
                          feedback_outcome=outcome if index == 0 else "", **info, **base)
        if run.finished_at is not None:
            index += 1
            continue
        if now >= run.deadline_at + dt.timedelta(seconds=grace_seconds):
            if not write:
                index += 1
                continue
            _finish_section(db, clock, content, attempt, run, "time")
            index = attempt.section_index if attempt.state == SECTION else len(sections)
            continue
        pres = _open_presentation(db, attempt, index)
        if pres is None and now >= run.deadline_at - dt.timedelta(
                seconds=MIN_SECONDS_FOR_NEW_UNIT):
            # At or past the deadline (inside the submit grace): never present a new unit; the
            # candidate could not read it, and the page's automatic send at 0:00 must not
            # turn it into a counted blank. The browser's clock may run up to a second ahead
            # of the server's (it syncs on whole seconds), hence the margin.
            if not write:
                index += 1
                continue
            _finish_section(db, clock, content, attempt, run, "time")
            index = attempt.section_index if attempt.state == SECTION else len(sections)
            continue
        if pres is None:
            if not write:
                return Screen(kind="continue", section=run,
                              remaining_seconds=remaining_seconds(run, attempt, now),
                              **info, **base)
            done = _presentations(db, attempt, index)
            history = _history(db, attempt, index)
            position = len(done)
            choice = form.select(index, history, [p.unit_id for p in done], attempt.seed,
                                 position, pretest_due=(position + 1) in section.pretest_positions,
                                 presented_items=_presented_items(db, attempt))
            if choice.unit_id is None:
                _finish_section(db, clock, content, attempt, run, choice.stop_reason or "stop")
                index = attempt.section_index if attempt.state == SECTION else len(sections)
                continue
            pres = _present(db, clock, attempt, index, position, choice.kind, choice.unit_id,
                            form)
        return Screen(kind="item", section=run, presentation=pres,
                      view=_view(form, db, attempt, pres.unit_id),
                      remaining_seconds=remaining_seconds(run, attempt, now), **info, **base)
    return Screen(kind="finished", **base)


def _practice_outcome(db: Session, form: TestForm, attempt: Attempt, pres: Presentation) -> str:
    """How the answer to a practice unit scored: "correct" (full marks), "partly", "wrong", or ""
    when it is not scored automatically (writing, speaking). The scores were stored at submit."""
    scores = [score for _item, score, _counts in _state(db, attempt).scores.get(pres.id, ())]
    if not scores or any(s is None for s in scores):
        return ""
    got = sum(float(s) for s in scores if s is not None)
    best = sum(form.item(item_id).max_score for item_id in pres.item_ids)
    return "correct" if got >= best else "partly" if got > 0 else "wrong"


def _view(form: TestForm, db: Session, attempt: Attempt, unit_id: str) -> dict[str, Any]:
    """The unit's screen with this candidate's audio plays (accommodation included)."""
    view = dict(form.candidate_view(unit_id, attempt.seed))
    view["max_plays"] = _max_plays(form, db, attempt, unit_id)
    return view


def _max_plays(form: TestForm, db: Session, attempt: Attempt, unit_id: str) -> int:
    return accommodations.for_candidate(db, attempt.candidate_id).max_plays(
        form.max_plays(unit_id))


def _limit_seconds(section: Any, db: Session, attempt: Attempt) -> int:
    base = int(round(float(section.time_limit_minutes) * 60))
    return accommodations.for_candidate(db, attempt.candidate_id).time_limit_seconds(base)


# -- candidate actions ---------------------------------------------------------------------------


def start_practice(db: Session, clock: Clock, attempt: Attempt) -> None:
    if attempt.paused_at is not None:
        raise AttemptPaused()
    if attempt.state == INSTRUCTIONS:
        transition(attempt, "start_practice", PRACTICE)
        feed.candidate_event(db, clock, _candidate(db, attempt), feed.PRACTICE)
        db.flush()


def start_section(db: Session, clock: Clock, content: Content, attempt: Attempt,
                  section_index: int) -> SectionRun:
    """Start the clock of a section (idempotent: a double click starts it once)."""
    if attempt.paused_at is not None:
        raise AttemptPaused()
    if attempt.state != SECTION or attempt.section_index != section_index:
        raise Conflict("Dit onderdeel kan nu niet starten.")
    run = _section_run(db, attempt, section_index)
    if run is not None:
        return run
    form = _form(db, content, attempt)
    section = form.section(section_index)
    now = clock.now()
    # The design the section runs with, pinned: its name and version (the form version).
    run = SectionRun(attempt_id=attempt.id, section_index=section_index, skill=section.skill,
                     design_name=section.design_name,
                     design_version=form.design_version(section_index),
                     started_at=now,
                     deadline_at=now + dt.timedelta(seconds=_limit_seconds(section, db, attempt)))
    state = _state(db, attempt)
    try:
        with db.begin_nested():
            db.add(run)
            db.flush()
    except IntegrityError:
        existing = _query_section_run(db, attempt, section_index)
        assert existing is not None
        return existing
    state.runs[section_index] = run
    transition(attempt, "start_section", SECTION)
    feed.candidate_event(db, clock, _candidate(db, attempt), feed.SECTION)
    return run


def submit(db: Session, clock: Clock, content: Content, attempt: Attempt, *,
           presentation_id: int, responses: dict[str, Any], grace_seconds: int = 2) -> bool:
    """Store the answers to one presentation. Returns False for a harmless repeat.

    Raises DeadlinePassed when the section's deadline (+ a small network grace) has passed;
    what was answered before stays counted.
    """
    pres = presentation_of(db, attempt, presentation_id)
    if pres is None:
        raise InvalidInput("Deze vraag hoort niet bij uw toets.")
    if pres.answered_at is not None:
        return False
    if attempt.state in (FINISHED, ENDED):
        raise Conflict("De toets is al afgelopen.")
    if attempt.paused_at is not None:
        raise AttemptPaused()
    now = clock.now()
    if pres.section_index != PRACTICE_SECTION:
        run = _section_run(db, attempt, pres.section_index)
        if run is None or run.finished_at is not None or (
                now > run.deadline_at + dt.timedelta(seconds=grace_seconds)):
            raise DeadlinePassed()
    unknown = set(responses) - set(pres.item_ids)
    if unknown:
        raise InvalidInput("Onbekende vraag in het antwoord.")
    counts = pres.kind == "operational"
    form = _form(db, content, attempt)
    rows = []
    for item_id in pres.item_ids:
        raw = responses.get(item_id)
        score = form.score(item_id, raw)  # raises InvalidInput for a malformed answer
        rows.append(Response(presentation_id=pres.id, attempt_id=attempt.id, item_id=item_id,
                             raw=raw, score=score, counts=counts, received_at=now))
    state = _state(db, attempt)
    try:
        with db.begin_nested():
            db.add_all(rows)
            pres.answered_at = now
            db.flush()
    except IntegrityError:
        return False  # a concurrent double submit stored the same answers first
    state.answered(pres, rows)
    attempt.last_contact_at = now
    if pres.section_index != PRACTICE_SECTION:
        feed.candidate_event(db, clock, _candidate(db, attempt), feed.ANSWERED,
                             number=pres.position + 1)
    db.flush()
    return True


def ensure_presentation_open(db: Session, clock: Clock, attempt: Attempt, pres: Presentation,
                             grace_seconds: int = 2) -> None:
    """``pres`` is the candidate's current unit: unanswered, in the practice block or in a
    section that is still running, the attempt neither paused nor over. Its audio may be
    played and its media served only then."""
    if (pres.attempt_id != attempt.id or pres.answered_at is not None
            or attempt.state not in (PRACTICE, SECTION)):
        raise InvalidInput("Dit fragment hoort niet bij de huidige vraag.")
    if attempt.paused_at is not None:
        raise AttemptPaused()
    if pres.section_index != PRACTICE_SECTION:
        run = _section_run(db, attempt, pres.section_index)
        if run is None or run.finished_at is not None or (
                clock.now() > run.deadline_at + dt.timedelta(seconds=grace_seconds)):
            raise InvalidInput("Dit fragment hoort niet bij de huidige vraag.")


def register_audio_play(db: Session, clock: Clock, content: Content, attempt: Attempt,
                        presentation_id: int, grace_seconds: int = 2) -> int:
    """Count one play of the presentation's audio on the server; refuse beyond the maximum,
    after the item was answered and after its section is over. Returns the plays left (the
    counted play is ``pres.audio_plays``: the number its single-use media grant carries)."""
    pres = presentation_of(db, attempt, presentation_id)
    if pres is None:
        raise InvalidInput("Dit fragment hoort niet bij de huidige vraag.")
    ensure_presentation_open(db, clock, attempt, pres, grace_seconds)
    limit = _max_plays(_form(db, content, attempt), db, attempt, pres.unit_id)  # extra plays
    if pres.audio_plays >= limit:
        raise Conflict("U hebt dit fragment al het maximale aantal keren beluisterd.")
    pres.audio_plays += 1
    db.flush()
    return limit - pres.audio_plays


# -- proctor actions -----------------------------------------------------------------------------


def pause(db: Session, clock: Clock, attempt: Attempt, *, actor_id: int | None) -> None:
    if attempt.state in (FINISHED, ENDED) or attempt.paused_at is not None:
        return
    attempt.paused_at = clock.now()
    record(db, clock, organisation_id=attempt.organisation_id, actor_id=actor_id,
           action="attempt.pause", object_type="attempt", object_id=attempt.id)
    feed.staff_action(db, clock, _candidate(db, attempt), "pause", actor_id)
    db.flush()


def resume_attempt(db: Session, clock: Clock, attempt: Attempt, *, actor_id: int | None) -> None:
    if attempt.paused_at is None:
        return
    now = clock.now()
    run = _query_section_run(db, attempt, attempt.section_index) if attempt.state == SECTION else None
    if run is not None and run.finished_at is None:
        # The clock stood still while paused: push the deadline by the pause length.
        run.deadline_at = run.deadline_at + (now - attempt.paused_at)
    attempt.paused_at = None
    record(db, clock, organisation_id=attempt.organisation_id, actor_id=actor_id,
           action="attempt.resume", object_type="attempt", object_id=attempt.id)
    feed.staff_action(db, clock, _candidate(db, attempt), "resume", actor_id)
    db.flush()


def add_extra_time(db: Session, clock: Clock, attempt: Attempt, *, minutes: int,
                   actor_id: int | None) -> None:
    if not 1 <= minutes <= 120:
        raise InvalidInput("Extra tijd: tussen 1 en 120 minuten.", field="minutes")
    if attempt.state != SECTION:
        raise Conflict("Extra tijd kan alleen tijdens een onderdeel.")
    run = _query_section_run(db, attempt, attempt.section_index)
    if run is None or run.finished_at is not None:
        raise Conflict("Het onderdeel is nog niet gestart of al afgelopen.")
    run.deadline_at = run.deadline_at + dt.timedelta(minutes=minutes)
    record(db, clock, organisation_id=attempt.organisation_id, actor_id=actor_id,
           action="attempt.extra_time", object_type="attempt", object_id=attempt.id,
           minutes=minutes, section_index=run.section_index)
    feed.staff_action(db, clock, _candidate(db, attempt), "extra_time", actor_id)
    db.flush()


def end_attempt(db: Session, clock: Clock, attempt: Attempt, *, reason: str,
                actor_id: int | None) -> None:
    reason = clean_text(reason, field="reason", label=REASON_LABEL, max_length=1000,
                        multiline=True)
    if not reason:
        raise InvalidInput("Geef een reden op.", field="reason")
    if attempt.state in (FINISHED, ENDED):
        raise Conflict("Deze afname is al afgelopen.")
    now = clock.now()
    run = _query_section_run(db, attempt, attempt.section_index) if attempt.state == SECTION else None
    if run is not None and run.finished_at is None:
        run.finished_at = now
        run.finish_reason = "ended"
    transition(attempt, "end", ENDED)
    attempt.end_reason = reason
    attempt.finished_at = now
    attempt.paused_at = None
    # The candidate's browser is logged out at once (every session of the attempt).
    login_sessions.end_for_attempt(db, clock, attempt.id, "attempt_ended")
    # The reason is free text (it may name people): it stays on the attempt, whose retention
    # erases it; audit details carry ids, codes and numbers only (docs/privacy.md).
    record(db, clock, organisation_id=attempt.organisation_id, actor_id=actor_id,
           action="attempt.end", object_type="attempt", object_id=attempt.id)
    feed.staff_action(db, clock, _candidate(db, attempt), "end", actor_id)
    db.flush()


def admit(db: Session, clock: Clock, candidate: Candidate, *, actor_id: int | None) -> bool:
    """The proctor checked the candidate's identity: they may begin (practice first). Works
    before and after the candidate logged in; a second admission changes nothing."""
    if candidate.admitted_at is not None:
        return False
    candidate.admitted_at = clock.now()
    candidate.admitted_by_id = actor_id
    attempt = db.scalar(select(Attempt).where(Attempt.candidate_id == candidate.id))
    if attempt is not None and attempt.state == ADMISSION:
        transition(attempt, "admit", INSTRUCTIONS)
    record(db, clock, organisation_id=candidate.organisation_id, actor_id=actor_id,
           action="candidate.admit", object_type="candidate", object_id=candidate.id)
    feed.staff_action(db, clock, candidate, "admit", actor_id)
    db.flush()
    return True


def release_device(db: Session, clock: Clock, candidate: Candidate, *,
                   actor_id: int | None) -> None:
    candidate.device_token = None
    candidate.device_bound_at = None
    attempt = db.scalar(select(Attempt).where(Attempt.candidate_id == candidate.id))
    if attempt is not None:
        login_sessions.end_for_attempt(db, clock, attempt.id, "device_released")
    record(db, clock, organisation_id=candidate.organisation_id, actor_id=actor_id,
           action="candidate.release_device", object_type="candidate", object_id=candidate.id)
    feed.staff_action(db, clock, candidate, "release_device", actor_id)
    db.flush()


# -- the sweep -----------------------------------------------------------------------------------


def sweep(db: Session, clock: Clock, content: Content, *, grace_seconds: int = 2,
          policy: outages.OutagePolicy = outages.DEFAULT_POLICY) -> dict[str, int]:
    """Close what nobody will close: a running section whose deadline (outages credited first)
    has passed is closed by time, as the candidate's next request would (the last confirmed
    text or take is its answer); an attempt still open when its exam session has ended is
    ended. Every stored answer is kept. Idempotent; ``cli sweep-attempts`` runs it."""
    now = clock.now()
    closed = ended = 0
    running = list(db.scalars(select(Attempt).join(SectionRun, (
        SectionRun.attempt_id == Attempt.id) & (SectionRun.section_index == Attempt.section_index))
        .where(Attempt.state == SECTION, Attempt.paused_at.is_(None),
               SectionRun.finished_at.is_(None),
               SectionRun.deadline_at < now - dt.timedelta(seconds=grace_seconds))))
    for attempt in running:
        credit_outages(db, clock, attempt, policy)
        run = _section_run(db, attempt, attempt.section_index)
        if run is not None and run.finished_at is None and (
                now >= run.deadline_at + dt.timedelta(seconds=grace_seconds)):
            _finish_section(db, clock, content, attempt, run, "time")
            closed += 1
    over = list(db.scalars(select(Attempt).join(Candidate, Candidate.id == Attempt.candidate_id)
                           .join(ExamSession, ExamSession.id == Candidate.exam_session_id)
                           .where(Attempt.state.in_(ACTIVE_STATES), ExamSession.ends_at < now)))
    for attempt in over:
        end_attempt(db, clock, attempt, reason=SWEEP_REASON, actor_id=None)
        ended += 1
    return {"sections_closed": closed, "attempts_ended": ended}


#: The reason on an attempt the sweep ended (Dutch: the proctor reads it).
SWEEP_REASON = "Niet teruggekomen vóór het einde van de sessie (automatisch afgesloten)."
