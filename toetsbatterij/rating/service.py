"""The rating service: from stored productions to resolved scores, blind and twice.

**Pulling.** Delivery knows nothing of rating. :func:`pull_tasks` finds the responses to rated
items (the item has a rubric in the attempt's form) of sections that are closed and gives each
one a task; it runs when a rater asks for the next production and from the CLI
(``python -m toetsbatterij.cli pull-ratings``). A *blank* production (no text, or only white
space; no recording) needs no rater: its task is resolved at once by one submitted rating of
the system (no assignment, no rater) with the code ``blank``, which the resolution rule
``single-v1`` scores 0 on every criterion.

**The queue.** :func:`next_assignment` gives a rater one production at a time:

- every live production is rated by two different raters (positions 1 and 2) of the
  candidate's agency, or of every agency with ``RATING_POOL = "shared"``;
- only raters admitted to the skill (``calibration``) get live productions of it;
- a rater never gets a production twice (one assignment per task and rater), never a
  production of a session they worked in as proctor or organiser (they created the session,
  admitted one of its candidates, or have an audit entry on the session, one of its candidates,
  attempts or incidents), and never the adjudication of a production they rated;
- when the two ratings disagree (``resolution.disagree`` with the rubric's thresholds) the task
  waits for a third rating by a senior rater (``StaffAccount.senior_rater``), who is served
  adjudications first; the senior sees no other rating (a blind third rating: the rule "the mean
  of the two closest" needs an independent judgement);
- pre-scored control responses are mixed in at ``RATING_CONTROL_RATE``, unannounced: the same
  screen, the same kind of token, only while live work waits for the rater and in place of a
  first or second rating (never of an adjudication, whose screen says it is one);
- an assignment not submitted after ``RATING_ASSIGNMENT_HOURS`` goes back to the queue.

**Ratings.** A rater may save a draft as often as they like (one draft row, replaced) and
submits once; the submitted row never changes (``models._refuse_changes``).

**Resolutions.** :func:`resolutions` is what the results package reads: per rated response the
:class:`~toetsbatterij.rating.resolution.Resolution`, or None while one is not resolved.

**Review ratings** (a complaint about a result, ``toetsbatterij.complaints``).
:func:`request_reviews` gives each contested live production a new task of kind ``review``,
served by the same queue under the same rules (two blind ratings, a senior's third when they
disagree, the proctoring conflicts, the admission) plus one: never to a rater who rated the
production before, in any task (the live ratings, the adjudication, an earlier review, a
control or calibration made from it; :func:`previous_raters`). The screen is the ordinary
rating screen: the rater is not told that a complaint is behind it. A review's resolution
counts for the response only once :func:`adopt_reviews` adopted it (a complaint decision that
revises the result); :func:`resolutions` then gives the newest adopted review, so a recompute
of the revised result reproduces it and one of the old result shows why it was superseded.

Every staff action is in the audit log. Services flush, never commit.
"""

from __future__ import annotations

import base64
import datetime as dt
import io
import random
import secrets
import threading
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from sqlalchemy import and_, case, exists, func, or_, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from toetsbatterij.accounts.models import ROLE_RATER, StaffAccount
from toetsbatterij.audit.models import AuditEntry
from toetsbatterij.audit.service import record
from toetsbatterij.clock import Clock
from toetsbatterij.delivery.models import (
    Attempt,
    Candidate,
    ExamSession,
    FormSnapshot,
    Incident,
    Presentation,
    Response,
    SectionRun,
)
from toetsbatterij.errors import ConfigurationError, Conflict, Forbidden, InvalidInput, NotFound
from toetsbatterij.i18n import N_
from toetsbatterij.items import TestForm
from toetsbatterij.rating import resolution
from toetsbatterij.rating.models import (
    ADJUDICATION,
    CALIBRATION,
    CONTROL,
    LIVE,
    OPEN,
    RESOLVED,
    REVIEW,
    Rating,
    RatingAssignment,
    RatingReference,
    RatingTask,
)
from toetsbatterij.rating.resolution import Resolution, Thresholds

POOLS = ("organisation", "shared")
SKILLS = ("writing", "speaking")
WRITING, SPEAKING = "extended_text", "spoken_response"
#: Audit object types whose entries by a staff member tie them to an exam session.
_SESSION_OBJECTS = ("exam_session", "session", "candidate", "attempt", "incident")


class NotYours(NotFound):
    default_message = N_("Deze beoordeling bestaat niet of is niet (meer) aan u toegewezen.")


class AlreadySubmitted(Conflict):
    default_message = N_("Deze beoordeling is al ingediend en kan niet meer veranderen.")


@dataclass(frozen=True)
class RatingPolicy:
    """The rating rules of a configuration (``RATING_*`` keys, ``config.DEFAULTS``)."""

    pool: str = "organisation"
    thresholds: Mapping[str, Any] = field(
        default_factory=lambda: {"default": {"criterion": 1, "total": 2}})
    control_rate: float = 0.1
    admission_exact: float = 0.5
    admission_adjacent: float = 0.9
    assignment_hours: float = 48

    @classmethod
    def from_config(cls, config: Mapping[str, Any]) -> RatingPolicy:
        pool = config.get("RATING_POOL", "organisation")
        if pool not in POOLS:
            raise ConfigurationError(f"RATING_POOL must be one of {POOLS}, not {pool!r}")
        thresholds = config.get("RATING_THRESHOLDS") or {}
        if not isinstance(thresholds, Mapping):
            raise ConfigurationError("RATING_THRESHOLDS must be an object")
        Thresholds.from_config(thresholds, "")  # a malformed block fails at start-up
        rate = float(config.get("RATING_CONTROL_RATE", 0.1))
        if not 0.0 <= rate <= 1.0:
            raise ConfigurationError("RATING_CONTROL_RATE must be between 0 and 1")
        admission = config.get("RATING_ADMISSION") or {}
        try:
            exact, adjacent = float(admission["exact"]), float(admission["adjacent"])
        except (KeyError, TypeError, ValueError):
            raise ConfigurationError('RATING_ADMISSION must be {"exact": x, "adjacent": y}') \
                from None
        hours = float(config.get("RATING_ASSIGNMENT_HOURS", 48))
        if hours <= 0:
            raise ConfigurationError("RATING_ASSIGNMENT_HOURS must be positive")
        return cls(pool=pool, thresholds=dict(thresholds), control_rate=rate,
                   admission_exact=exact, admission_adjacent=adjacent, assignment_hours=hours)

    def thresholds_for(self, rubric_id: str) -> Thresholds:
        return Thresholds.from_config(self.thresholds, rubric_id)


def new_token() -> str:
    """A random name for an assignment, of the same kind as a candidate page's opaque ids
    (``x`` + 80 bits in base32): it tells nothing and cannot be guessed."""
    return "x" + base64.b32encode(secrets.token_bytes(10)).decode("ascii").lower()


# -- forms ---------------------------------------------------------------------------------------

_snapshot_forms: dict[str, TestForm] = {}
_snapshot_lock = threading.Lock()


def form_of(db: Session, version: str, forms: Any = None) -> TestForm:
    """The test form of ``version``: from the form store when given, else rebuilt from its
    snapshot in the database (immutable, so kept once built). Rating reads texts and rubrics
    only, never a stimulus file."""
    if forms is not None:
        return forms.by_version(db, version)
    with _snapshot_lock:
        form = _snapshot_forms.get(version)
    if form is not None:
        return form
    row = db.get(FormSnapshot, version)
    if row is None:
        raise NotFound(None, detail=f"no snapshot of form {version[:16]}")
    form = TestForm.from_document(row.document, lambda _digest, rel: Path(rel))
    with _snapshot_lock:
        return _snapshot_forms.setdefault(version, form)


def criteria_of(form: TestForm, rubric_id: str) -> dict[str, int]:
    """criterion id -> max score, in the rubric's order."""
    rubric = form.rubrics[rubric_id]
    return {c.id: c.max_score for c in rubric.criteria}


def is_blank(raw: Any) -> bool:
    """No production: no text (or white space only), no recording."""
    return raw is None or (isinstance(raw, str) and not raw.strip())


# -- pulling -------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Waiting:
    """A rated response of a closed section that has no task yet."""

    response_id: int
    attempt_id: int
    organisation_id: int
    session_id: int
    item_id: str
    skill: str
    rubric_id: str
    form_version: str
    blank: bool


def _unpulled(db: Session, forms: Any, organisation_id: int | None = None) -> list[Waiting]:
    """Rated responses of closed sections without a task. A rated item's response has no
    machine score, which keeps the scan to productions."""
    stmt = (select(Response, Attempt, Candidate.exam_session_id)
            .join(Presentation, Presentation.id == Response.presentation_id)
            .join(Attempt, Attempt.id == Response.attempt_id)
            .join(Candidate, Candidate.id == Attempt.candidate_id)
            .join(SectionRun, and_(SectionRun.attempt_id == Response.attempt_id,
                                   SectionRun.section_index == Presentation.section_index))
            .outerjoin(RatingTask, RatingTask.response_id == Response.id)
            .where(RatingTask.id.is_(None), Presentation.section_index >= 0,
                   Response.score.is_(None), SectionRun.finished_at.is_not(None),
                   Candidate.erased_at.is_(None))
            .order_by(Response.id))
    if organisation_id is not None:
        stmt = stmt.where(Attempt.organisation_id == organisation_id)
    out = []
    for response, attempt, session_id in db.execute(stmt):
        form = (forms.by_version(db, attempt.form_version) if attempt.form_version
                else forms.for_attempt(db, attempt))
        rubric = form.rubric_of(response.item_id) if response.item_id in form.items else None
        if rubric is None:
            continue
        out.append(Waiting(response.id, attempt.id, attempt.organisation_id, session_id,
                           response.item_id, form.item(response.item_id).skill, rubric.id,
                           form.version, is_blank(response.raw)))
    return out


def pull_tasks(db: Session, clock: Clock, forms: Any, policy: RatingPolicy | None = None) -> int:
    """Create the missing tasks of rated responses of closed sections (blank ones resolved at
    once) and give back assignments left too long; returns the number of tasks created."""
    policy = policy or RatingPolicy()
    now = clock.now()
    _release_stale(db, now - dt.timedelta(hours=policy.assignment_hours))
    created = 0
    for w in _unpulled(db, forms):
        task = RatingTask(kind=LIVE, organisation_id=w.organisation_id, skill=w.skill,
                          item_id=w.item_id, rubric_id=w.rubric_id, form_version=w.form_version,
                          response_id=w.response_id, attempt_id=w.attempt_id,
                          exam_session_id=w.session_id, status=RESOLVED if w.blank else OPEN,
                          blank=w.blank, resolved_at=now if w.blank else None, created_at=now)
        try:
            with db.begin_nested():
                db.add(task)
                db.flush()
        except IntegrityError:
            continue  # another pull made it at the same moment
        if w.blank:
            db.add(Rating(task_id=task.id, assignment_id=None, rater_id=None, scores={},
                          code="blank", submitted=True, senior=False, created_at=now))
        created += 1
    db.flush()
    return created


def _release_stale(db: Session, before: dt.datetime) -> int:
    """Assignments of live, review and control tasks not submitted since ``before`` go back (with their
    drafts): nobody holds a production up. Calibration runs wait for their rater."""
    stale = list(db.scalars(
        select(RatingAssignment).join(RatingTask, RatingTask.id == RatingAssignment.task_id)
        .where(RatingAssignment.submitted_at.is_(None), RatingAssignment.assigned_at < before,
               RatingTask.kind.in_((LIVE, CONTROL, REVIEW)))))
    for assignment in stale:
        for draft in db.scalars(select(Rating).where(Rating.assignment_id == assignment.id,
                                                     Rating.submitted.is_(False))):
            db.delete(draft)
        task = db.get(RatingTask, assignment.task_id)
        db.delete(assignment)
        if task is not None and task.kind == CONTROL:
            db.flush()
            db.delete(task)  # a control task belongs to its one assignment
    db.flush()
    return len(stale)


# -- who may rate what ---------------------------------------------------------------------------


def proctored_sessions(db: Session, staff_id: int) -> set[int]:
    """The exam sessions a staff member worked in: created, admitted a candidate of, or did
    anything recorded in the audit log on the session, its candidates, attempts or incidents."""
    out = set(db.scalars(select(ExamSession.id).where(ExamSession.created_by == staff_id)))
    out |= set(db.scalars(select(Candidate.exam_session_id)
                          .where(Candidate.admitted_by_id == staff_id)))
    entries = db.execute(select(AuditEntry.object_type, AuditEntry.object_id, AuditEntry.details)
                         .where(AuditEntry.actor_id == staff_id,
                                AuditEntry.object_type.in_(_SESSION_OBJECTS)))
    candidates, attempts, incidents = set(), set(), set()
    for object_type, object_id, details in entries:
        session_id = (details or {}).get("session_id")
        if isinstance(session_id, int):
            out.add(session_id)
        if object_id is None:
            continue
        if object_type in ("exam_session", "session"):
            out.add(object_id)
        elif object_type == "candidate":
            candidates.add(object_id)
        elif object_type == "attempt":
            attempts.add(object_id)
        elif object_type == "incident":
            incidents.add(object_id)
    if attempts:
        candidates |= set(db.scalars(select(Attempt.candidate_id)
                                     .where(Attempt.id.in_(attempts))))
    if candidates:
        out |= set(db.scalars(select(Candidate.exam_session_id)
                              .where(Candidate.id.in_(candidates))))
    if incidents:
        out |= set(db.scalars(select(Incident.exam_session_id)
                              .where(Incident.id.in_(incidents))))
    return out


def admitted_skills(db: Session, rater_id: int) -> set[str]:
    """The skills a rater is admitted to now (the newest admission row of each skill)."""
    from toetsbatterij.rating.models import RaterAdmission

    newest: dict[str, bool] = {}
    for row in db.scalars(select(RaterAdmission).where(RaterAdmission.rater_id == rater_id)
                          .order_by(RaterAdmission.id)):
        newest[row.skill] = row.admitted
    return {skill for skill, ok in newest.items() if ok}


def _check_rater(rater: StaffAccount) -> None:
    if rater.role != ROLE_RATER or not rater.active:
        raise Forbidden(None, detail=f"account {rater.id} is not an active rater")


def _available(db: Session, rater: StaffAccount, policy: RatingPolicy,
               skills: Iterable[str] | None = None) -> Any:
    """The statement of the live tasks this rater may take now (best first)."""
    admitted = admitted_skills(db, rater.id)
    if skills is not None:
        admitted &= set(skills)
    conflicts = proctored_sessions(db, rater.id)
    seen = sorted(_seen_live_tasks(db, rater.id))
    mine = select(RatingAssignment.task_id).where(RatingAssignment.rater_id == rater.id)
    taken = (select(func.count(RatingAssignment.id))
             .where(RatingAssignment.task_id == RatingTask.id, RatingAssignment.position <= 2)
             .scalar_subquery())
    third = exists().where(RatingAssignment.task_id == RatingTask.id,
                           RatingAssignment.position == 3)
    wanted = and_(RatingTask.status == OPEN, taken < 2)
    if rater.senior_rater:
        wanted = or_(wanted, and_(RatingTask.status == ADJUDICATION, ~third))
    # A review re-rates a production for a complaint: never by anyone who rated it before.
    fresh = or_(RatingTask.kind == LIVE, RatingTask.review_of_id.not_in(seen))
    stmt = (select(RatingTask)
            .where(RatingTask.kind.in_((LIVE, REVIEW)), RatingTask.skill.in_(sorted(admitted)),
                   RatingTask.id.not_in(mine), wanted, fresh)
            .order_by(case((RatingTask.status == ADJUDICATION, 0),
                           (RatingTask.kind == REVIEW, 1), else_=2), taken.desc(),
                      RatingTask.created_at, RatingTask.id))
    if policy.pool == "organisation":
        stmt = stmt.where(RatingTask.organisation_id == rater.organisation_id)
    if conflicts:
        stmt = stmt.where(or_(RatingTask.exam_session_id.is_(None),
                              RatingTask.exam_session_id.not_in(sorted(conflicts))))
    return stmt


# -- the queue -----------------------------------------------------------------------------------


@dataclass(frozen=True)
class Queue:
    """What the rater's start page shows: counts only."""

    waiting: dict[str, int]          # skill -> productions the rater may take now
    admitted: set[str]
    senior: bool
    open_token: str | None           # the production the rater is working on, if any
    calibration_token: str | None    # the next production of an unfinished calibration run

    @property
    def total(self) -> int:
        return sum(self.waiting.values())


def open_assignment(db: Session, rater_id: int,
                    kinds: Iterable[str] = (LIVE, CONTROL, REVIEW)) \
        -> RatingAssignment | None:
    return db.scalar(select(RatingAssignment)
                     .join(RatingTask, RatingTask.id == RatingAssignment.task_id)
                     .where(RatingAssignment.rater_id == rater_id,
                            RatingAssignment.submitted_at.is_(None),
                            RatingTask.kind.in_(tuple(kinds)))
                     .order_by(RatingAssignment.id))


def queue(db: Session, forms: Any, rater: StaffAccount, policy: RatingPolicy) -> Queue:
    """The rater's queue, read only (a GET): the tasks they may take and the productions of
    closed sections that the next pull will add for them."""
    _check_rater(rater)
    admitted = admitted_skills(db, rater.id)
    waiting = dict.fromkeys(sorted(admitted), 0)
    for task in db.scalars(_available(db, rater, policy)):
        waiting[task.skill] = waiting.get(task.skill, 0) + 1
    conflicts = proctored_sessions(db, rater.id)
    org = rater.organisation_id if policy.pool == "organisation" else None
    for w in _unpulled(db, forms, org):
        if not w.blank and w.skill in admitted and w.session_id not in conflicts:
            waiting[w.skill] = waiting.get(w.skill, 0) + 1
    current = open_assignment(db, rater.id)
    calibration = open_assignment(db, rater.id, (CALIBRATION,))
    return Queue(waiting, admitted, rater.senior_rater, current.token if current else None,
                 calibration.token if calibration else None)


def next_assignment(db: Session, clock: Clock, forms: Any, rater: StaffAccount,
                    policy: RatingPolicy, rng: random.Random | None = None) \
        -> RatingAssignment | None:
    """The production the rater rates next: the one they are working on, else (after a pull)
    a control response now and then, else the best live task they may take. None when nothing
    waits for them."""
    _check_rater(rater)
    current = open_assignment(db, rater.id)
    if current is not None:
        return current
    pull_tasks(db, clock, forms, policy)
    candidates = list(db.scalars(_available(db, rater, policy).limit(20)))
    if not candidates:
        return None
    # A control takes the place of a first or second rating, never of an adjudication: it is
    # shown as an ordinary rating, and a senior who knows only adjudications wait would see
    # the difference.
    regular = [t for t in candidates if t.status == OPEN]
    draw = (rng or random.SystemRandom()).random()
    if regular and draw < policy.control_rate:
        control = _control_for(db, clock, rater, regular[0].skill)
        if control is not None:
            return control
    for task in candidates:
        assignment = _assign(db, clock, rater, task)
        if assignment is not None:
            return assignment
    return None


def _assign(db: Session, clock: Clock, rater: StaffAccount, task: RatingTask) \
        -> RatingAssignment | None:
    positions = set(db.scalars(select(RatingAssignment.position)
                               .where(RatingAssignment.task_id == task.id)))
    if task.status == ADJUDICATION:
        free = [3] if 3 not in positions else []
    else:
        free = [p for p in (1, 2) if p not in positions]
    for position in free:
        assignment = RatingAssignment(task_id=task.id, rater_id=rater.id, position=position,
                                      token=new_token(), assigned_at=clock.now())
        try:
            with db.begin_nested():
                db.add(assignment)
                db.flush()
        except IntegrityError:
            continue  # another rater took this place (or this task) at the same moment
        record(db, clock, organisation_id=rater.organisation_id, actor_id=rater.id,
               action="rating.assign", object_type="rating_task", object_id=task.id,
               position=position)
        return assignment
    return None


def _control_for(db: Session, clock: Clock, rater: StaffAccount, skill: str) \
        -> RatingAssignment | None:
    """A control response of ``skill`` this rater has not rated, as a task of its own."""
    rated_refs = select(RatingTask.reference_id).join(
        RatingAssignment, RatingAssignment.task_id == RatingTask.id).where(
        RatingAssignment.rater_id == rater.id, RatingTask.reference_id.is_not(None))
    # Never a control made from a production this rater rated live: they would know it.
    own_responses = select(RatingTask.response_id).join(
        RatingAssignment, RatingAssignment.task_id == RatingTask.id).where(
        RatingAssignment.rater_id == rater.id, RatingTask.response_id.is_not(None))
    ref = db.scalar(
        select(RatingReference)
        .where(RatingReference.purpose == CONTROL, RatingReference.active.is_(True),
               RatingReference.skill == skill,
               or_(RatingReference.organisation_id.is_(None),
                   RatingReference.organisation_id == rater.organisation_id),
               RatingReference.id.not_in(rated_refs),
               or_(RatingReference.response_id.is_(None),
                   RatingReference.response_id.not_in(own_responses)))
        .order_by(func.random()))
    if ref is None:
        return None
    now = clock.now()
    task = RatingTask(kind=CONTROL, organisation_id=rater.organisation_id, skill=ref.skill,
                      item_id=ref.item_id, rubric_id=ref.rubric_id, form_version=ref.form_version,
                      reference_id=ref.id, status=OPEN, created_at=now)
    db.add(task)
    db.flush()
    assignment = RatingAssignment(task_id=task.id, rater_id=rater.id, position=1,
                                  token=new_token(), assigned_at=now)
    db.add(assignment)
    db.flush()
    # The same audit entry as a live assignment: the log is not read by raters, but nothing in
    # the rater's own traces tells a control from a live production.
    record(db, clock, organisation_id=rater.organisation_id, actor_id=rater.id,
           action="rating.assign", object_type="rating_task", object_id=task.id, position=1)
    return assignment


# -- the rating screen ---------------------------------------------------------------------------


@dataclass(frozen=True)
class Criterion:
    id: str
    name: str
    levels: tuple[tuple[int, str], ...]  # (score, descriptor), lowest first


@dataclass(frozen=True)
class Screen:
    """Everything the rating screen shows, and nothing that identifies the candidate."""

    token: str
    skill: str
    item_type: str                       # extended_text | spoken_response
    stimulus: dict[str, Any] | None      # as the candidate saw it (title, text)
    prompt: str
    task_view: dict[str, Any]            # min/max words, preparation and response seconds
    text: str | None                     # writing: the production
    audio_parts: int                     # speaking: the playable parts of the recording
    rubric_name: str
    criteria: tuple[Criterion, ...]
    scores: dict[str, int]               # the draft or the submitted rating
    code: str | None
    submitted: bool
    adjudication: bool                   # a third rating by a senior rater
    calibration: tuple[int, int] | None  # (number, of) within a calibration run


def assignment_of(db: Session, rater: StaffAccount, token: str) -> RatingAssignment:
    """The rater's own assignment named by ``token``; anyone else's is NotFound."""
    if not isinstance(token, str) or not 1 <= len(token) <= 32:
        raise NotYours()
    assignment = db.scalar(select(RatingAssignment).where(RatingAssignment.token == token))
    if assignment is None or assignment.rater_id != rater.id:
        raise NotYours(None, detail="token of no assignment of this rater")
    return assignment


def _production(db: Session, task: RatingTask) -> Any:
    """The raw production a task rates: a text, a take uid, or None."""
    if task.review_of_id is not None:  # a review rates the live task's production
        original = db.get(RatingTask, task.review_of_id)
        task = original if original is not None else task
    if task.response_id is not None:
        response = db.get(Response, task.response_id)
        return response.raw if response is not None else None
    ref = db.get(RatingReference, task.reference_id) if task.reference_id else None
    if ref is None:
        return None
    if ref.text is not None:
        return ref.text
    response = db.get(Response, ref.response_id) if ref.response_id else None
    return response.raw if response is not None else None


def screen(db: Session, forms: Any, storage: Any, rater: StaffAccount, token: str) -> Screen:
    _check_rater(rater)
    assignment = assignment_of(db, rater, token)
    task = db.get(RatingTask, assignment.task_id)
    form = form_of(db, task.form_version, forms)
    item = form.item(task.item_id)
    view = form.candidate_view(form.unit_of(task.item_id), 0)
    item_view = next(i for i in view["items"] if i["id"] == task.item_id)["view"]
    rubric = form.rubrics[task.rubric_id]
    raw = _production(db, task)
    text, parts = None, 0
    if item.type == SPEAKING:
        parts = len(_audio(db, storage, raw).parts) if raw else 0
    else:
        text = raw if isinstance(raw, str) else ""
    rating = _current_rating(db, assignment)
    number = None
    if task.kind == CALIBRATION:
        siblings = list(db.scalars(select(RatingTask.id).where(
            RatingTask.calibration_run_id == task.calibration_run_id).order_by(RatingTask.id)))
        number = (siblings.index(task.id) + 1, len(siblings))
    stimulus = view.get("stimulus")
    return Screen(
        token=assignment.token, skill=task.skill, item_type=item.type,
        stimulus={k: stimulus[k] for k in ("kind", "title", "text", "alt") if k in stimulus}
        if stimulus else None,
        prompt=str(item_view.get("prompt", "")),
        task_view={k: item_view[k] for k in ("min_words", "max_words", "preparation_seconds",
                                             "response_seconds") if k in item_view},
        text=text, audio_parts=parts, rubric_name=rubric.name or rubric.id,
        criteria=tuple(Criterion(c.id, c.name, tuple(sorted(
            (int(level["score"]), str(level["descriptor"])) for level in c.levels)))
            for c in rubric.criteria),
        scores=dict(rating.scores) if rating else {}, code=rating.code if rating else None,
        submitted=assignment.submitted_at is not None, adjudication=assignment.position == 3,
        calibration=number)


def _current_rating(db: Session, assignment: RatingAssignment) -> Rating | None:
    """The submitted rating of an assignment, else its draft."""
    rows = list(db.scalars(select(Rating).where(Rating.assignment_id == assignment.id)))
    return next((r for r in rows if r.submitted), None) or next(iter(rows), None)


@dataclass(frozen=True)
class Audio:
    mime_type: str
    parts: list[bytes]


def _audio(db: Session, storage: Any, take_uid: Any) -> Audio:
    from toetsbatterij.productions.service import take_audio

    if not isinstance(take_uid, str):
        raise NotFound(None, detail="no recording")
    take = take_audio(db, storage, take_uid)
    return Audio(take.mime_type, take.parts)


def without_tags(mime_type: str, data: bytes) -> bytes:
    """An Ogg part without its comment tags (the encoder and its options); WebM from a
    browser's MediaRecorder carries no tags beyond the recorder's name."""
    if mime_type != "audio/ogg":
        return data
    import mutagen

    buffer = io.BytesIO(data)
    try:
        audio = mutagen.File(buffer)
        if audio is not None and audio.tags is not None:
            buffer.seek(0)
            audio.delete(buffer)
    except Exception:  # noqa: BLE001 - a part mutagen cannot parse is served as it is
        return data
    return buffer.getvalue()


def audio_part(db: Session, storage: Any, rater: StaffAccount, token: str, part: int) \
        -> tuple[str, bytes]:
    """One playable part of the recording an assignment rates (for its rater only)."""
    _check_rater(rater)
    assignment = assignment_of(db, rater, token)
    task = db.get(RatingTask, assignment.task_id)
    audio = _audio(db, storage, _production(db, task))
    if not 0 <= part < len(audio.parts):
        raise NotFound(None, detail=f"no part {part}")
    return audio.mime_type, without_tags(audio.mime_type, audio.parts[part])


# -- rating --------------------------------------------------------------------------------------


def _values(criteria: Mapping[str, int], scores: Mapping[str, Any], code: Any, *,
            complete: bool) -> tuple[dict[str, int], str | None]:
    if code in (None, ""):
        code = None
    elif code not in resolution.UNRATEABLE_CODES:
        raise InvalidInput("Kies een geldige code.", field="code")
    if code is not None:
        return {}, code
    out: dict[str, int] = {}
    for criterion, maximum in criteria.items():
        value = scores.get(criterion)
        if value in (None, ""):
            continue
        try:
            number = int(value) if not isinstance(value, bool) else -1
        except (TypeError, ValueError):
            number = -1
        if not 0 <= number <= maximum or str(value).strip() != str(number):
            raise InvalidInput("Kies een score uit de schaal.", field=criterion)
        out[criterion] = number
    if set(scores) - set(criteria):
        raise InvalidInput("Deze score hoort niet bij de beoordelingsschaal.")
    if complete and set(out) != set(criteria):
        missing = next(c for c in criteria if c not in out)
        raise InvalidInput("Geef een score op elk criterium, of kies een code.", field=missing)
    return out, None


def save_rating(db: Session, clock: Clock, forms: Any, rater: StaffAccount, token: str, *,
                scores: Mapping[str, Any], code: Any, submit: bool,
                policy: RatingPolicy | None = None) -> RatingAssignment:
    """Save the rater's draft (replacing the previous one) or submit the rating (once)."""
    _check_rater(rater)
    policy = policy or RatingPolicy()
    assignment = assignment_of(db, rater, token)
    if assignment.submitted_at is not None:
        raise AlreadySubmitted()
    task = db.get(RatingTask, assignment.task_id)
    form = form_of(db, task.form_version, forms)
    values, code = _values(criteria_of(form, task.rubric_id), scores, code, complete=submit)
    now = clock.now()
    draft = db.scalar(select(Rating).where(Rating.assignment_id == assignment.id,
                                           Rating.submitted.is_(False)))
    if not submit:
        if draft is None:
            db.add(Rating(task_id=task.id, assignment_id=assignment.id, rater_id=rater.id,
                          scores=values, code=code, submitted=False,
                          senior=assignment.position == 3, created_at=now))
        else:
            draft.scores, draft.code, draft.created_at = values, code, now
        db.flush()
        record(db, clock, organisation_id=rater.organisation_id, actor_id=rater.id,
               action="rating.draft", object_type="rating_task", object_id=task.id,
               position=assignment.position)
        return assignment
    if draft is not None:
        db.delete(draft)
        db.flush()
    db.add(Rating(task_id=task.id, assignment_id=assignment.id, rater_id=rater.id,
                  scores=values, code=code, submitted=True, senior=assignment.position == 3,
                  created_at=now))
    assignment.submitted_at = now
    db.flush()
    record(db, clock, organisation_id=rater.organisation_id, actor_id=rater.id,
           action="rating.submit", object_type="rating_task", object_id=task.id,
           position=assignment.position)
    _progress(db, clock, task, policy)
    return assignment


def submitted_ratings(db: Session, task_id: int) -> list[Rating]:
    """A task's submitted ratings, in the order ``resolution.resolve`` takes them: the two
    ratings in the order they were submitted, the adjudication last."""
    rows = list(db.scalars(select(Rating).where(Rating.task_id == task_id,
                                                Rating.submitted.is_(True))
                           .order_by(Rating.id)))
    return [r for r in rows if not r.senior] + [r for r in rows if r.senior]


def values_of(rating: Rating) -> resolution.RatingValues:
    return resolution.RatingValues(rating.id, rating.rater_id,  # type: ignore[arg-type]
                                   {k: int(v) for k, v in (rating.scores or {}).items()},
                                   rating.code, rating.senior)


def _progress(db: Session, clock: Clock, task: RatingTask, policy: RatingPolicy) -> None:
    """After a submission: a live or review task with its two ratings is resolved or goes to a
    senior rater; a control or calibration task is done (a calibration run may be complete)."""
    now = clock.now()
    if task.kind not in (LIVE, REVIEW):
        task.status, task.resolved_at = RESOLVED, now
        db.flush()
        if task.kind == CALIBRATION and task.calibration_run_id is not None:
            from toetsbatterij.rating import calibration

            calibration.finish_run_if_done(db, clock, task.calibration_run_id, policy)
        return
    ratings = submitted_ratings(db, task.id)
    if task.status == OPEN and len(ratings) >= 2:
        thresholds = policy.thresholds_for(task.rubric_id)
        task.thresholds = {"criterion": thresholds.criterion, "total": thresholds.total}
        if resolution.disagree(values_of(ratings[0]), values_of(ratings[1]), thresholds):
            task.status = ADJUDICATION
        else:
            task.status, task.resolved_at = RESOLVED, now
    elif task.status == ADJUDICATION and any(r.senior for r in ratings):
        task.status, task.resolved_at = RESOLVED, now
    db.flush()


# -- resolutions (what the results package reads) ------------------------------------------------


def resolve_task(db: Session, task: RatingTask, form: TestForm | None = None) -> Resolution | None:
    """The resolution of one live task from its submitted ratings and the thresholds they were
    judged with, or None while it is not resolved."""
    if task.status != RESOLVED:
        return None
    form = form or form_of(db, task.form_version)
    thresholds = Thresholds(**task.thresholds) if task.thresholds else Thresholds()
    return resolution.resolve(
        response_id=response_of(db, task) or 0, item_id=task.item_id, rubric_id=task.rubric_id,
        criteria=criteria_of(form, task.rubric_id),
        ratings=[values_of(r) for r in submitted_ratings(db, task.id)], thresholds=thresholds)


def rated_responses(db: Session, attempt: Attempt) -> list[Response]:
    """The responses of an attempt (sections, not practice) to items with a rubric."""
    rows = list(db.scalars(select(Response)
                           .join(Presentation, Presentation.id == Response.presentation_id)
                           .where(Response.attempt_id == attempt.id,
                                  Presentation.section_index >= 0, Response.score.is_(None))
                           .order_by(Response.id)))
    with_task = set(db.scalars(select(RatingTask.response_id)
                               .where(RatingTask.attempt_id == attempt.id)))
    try:
        form = form_of(db, attempt.form_version) if attempt.form_version else None
    except NotFound:
        form = None
    if form is None:
        return [r for r in rows if r.id in with_task]
    return [r for r in rows if r.id in with_task
            or (r.item_id in form.items and form.rubric_of(r.item_id) is not None)]


def live_attempt_of(db: Session, assignment: RatingAssignment) -> int | None:
    """The attempt a submitted rating of a live production belongs to (None for a control or
    calibration production)."""
    task = db.get(RatingTask, assignment.task_id)
    return task.attempt_id if task is not None and task.kind == LIVE else None


def resolutions(db: Session, attempt_id: int) -> dict[int, Resolution] | None:
    """Response id -> resolution for every rated response of the attempt, or None while any of
    them is not resolved (no task yet, waiting for a rating or for the adjudication). An
    attempt without rated responses gives ``{}``. Reads only."""
    attempt = db.get(Attempt, attempt_id)
    if attempt is None:
        raise NotFound(None, detail=f"attempt {attempt_id}")
    return _resolutions(db, attempt, _adopted_reviews(db, attempt.id))


def _resolutions(db: Session, attempt: Attempt, reviews: Mapping[int, RatingTask]
                 ) -> dict[int, Resolution] | None:
    """The resolutions of an attempt's rated responses; a live task id in ``reviews`` is
    resolved by that review task instead."""
    out: dict[int, Resolution] = {}
    tasks = {t.response_id: t for t in db.scalars(
        select(RatingTask).where(RatingTask.attempt_id == attempt.id, RatingTask.kind == LIVE))}
    for response in rated_responses(db, attempt):
        task = tasks.get(response.id)
        if task is None:
            return None
        res = resolve_task(db, reviews.get(task.id, task))
        if res is None:
            return None
        out[response.id] = res
    return out


# -- review ratings (complaints) -----------------------------------------------------------------


class NotReviewable(Conflict):
    default_message = N_("Dit antwoord kan niet opnieuw beoordeeld worden: het is nog niet "
                         "beoordeeld, of het is leeg.")


class ReviewNotResolved(Conflict):
    default_message = N_("De herbeoordeling is nog niet afgerond.")


def response_of(db: Session, task: RatingTask) -> int | None:
    """The response a live or review task rates (a review names it through its live task)."""
    if task.review_of_id is not None:
        original = db.get(RatingTask, task.review_of_id)
        return original.response_id if original is not None else None
    return task.response_id


def _seen_live_tasks(db: Session, rater_id: int) -> set[int]:
    """The live tasks whose production this rater has rated or been given, in any task: the
    live task itself, a review of it, a control or calibration made from its response."""
    rows = db.execute(select(RatingTask.id, RatingTask.kind, RatingTask.review_of_id,
                             RatingTask.reference_id)
                      .join(RatingAssignment, RatingAssignment.task_id == RatingTask.id)
                      .where(RatingAssignment.rater_id == rater_id))
    out: set[int] = set()
    references: set[int] = set()
    for task_id, kind, review_of, reference_id in rows:
        if kind == LIVE:
            out.add(task_id)
        elif kind == REVIEW and review_of is not None:
            out.add(review_of)
        elif reference_id is not None:
            references.add(reference_id)
    if references:
        responses = select(RatingReference.response_id).where(
            RatingReference.id.in_(sorted(references)), RatingReference.response_id.is_not(None))
        out |= set(db.scalars(select(RatingTask.id).where(RatingTask.kind == LIVE,
                                                          RatingTask.response_id.in_(responses))))
    return out


def previous_raters(db: Session, live_task: RatingTask) -> set[int]:
    """Every rater who rated (or was given) the production of ``live_task`` before: its own
    assignments, those of its reviews, and of controls and calibrations made from it."""
    tasks = select(RatingTask.id).where(or_(RatingTask.id == live_task.id,
                                            RatingTask.review_of_id == live_task.id))
    out = set(db.scalars(select(RatingAssignment.rater_id)
                         .where(RatingAssignment.task_id.in_(tasks))))
    if live_task.response_id is not None:
        refs = select(RatingReference.id).where(
            RatingReference.response_id == live_task.response_id)
        out |= set(db.scalars(select(RatingAssignment.rater_id)
                              .join(RatingTask, RatingTask.id == RatingAssignment.task_id)
                              .where(RatingTask.reference_id.in_(refs))))
    return out


def live_task_of(db: Session, organisation_id: int, response_id: int) -> RatingTask:
    """The live task of a rated response of ``organisation_id`` (NotFound otherwise)."""
    task = db.scalar(select(RatingTask).where(RatingTask.response_id == response_id,
                                              RatingTask.kind == LIVE))
    if task is None or task.organisation_id != organisation_id:
        raise NotFound(None, detail=f"no live task of response {response_id}")
    return task


def request_reviews(db: Session, clock: Clock, *, organisation_id: int, actor_id: int | None,
                    response_ids: Iterable[int], complaint_id: int | None = None
                    ) -> list[RatingTask]:
    """A new review task for each contested production (a rated response of the agency whose
    live task is resolved and not blank), queued for raters who never rated it; audited. A
    production with an unfinished review gets no second one (that one is returned)."""
    now = clock.now()
    out = []
    for response_id in response_ids:
        live = live_task_of(db, organisation_id, int(response_id))
        if live.status != RESOLVED or live.blank:
            raise NotReviewable(detail=f"live task {live.id} is {live.status}, blank={live.blank}")
        running = db.scalar(select(RatingTask).where(RatingTask.review_of_id == live.id,
                                                     RatingTask.status != RESOLVED))
        if running is not None:
            out.append(running)
            continue
        task = RatingTask(kind=REVIEW, organisation_id=live.organisation_id, skill=live.skill,
                          item_id=live.item_id, rubric_id=live.rubric_id,
                          form_version=live.form_version, response_id=None,
                          attempt_id=live.attempt_id, exam_session_id=live.exam_session_id,
                          review_of_id=live.id, status=OPEN, blank=False, created_at=now)
        db.add(task)
        db.flush()
        record(db, clock, organisation_id=organisation_id, actor_id=actor_id,
               action="rating.review_request", object_type="rating_task", object_id=task.id,
               review_of=live.id, complaint_id=complaint_id)
        out.append(task)
    return out


def review_resolutions(db: Session, attempt_id: int, review_task_ids: Iterable[int]
                       ) -> dict[int, Resolution]:
    """The resolutions of an attempt as they would be with the given reviews adopted (each
    must be a resolved review of the attempt): what a complaint decision previews. Reads only."""
    attempt = db.get(Attempt, attempt_id)
    if attempt is None:
        raise NotFound(None, detail=f"attempt {attempt_id}")
    reviews = _adopted_reviews(db, attempt.id)
    for task_id in review_task_ids:
        task = db.get(RatingTask, int(task_id))
        if task is None or task.kind != REVIEW or task.attempt_id != attempt.id:
            raise NotFound(None, detail=f"no review task {task_id} of attempt {attempt_id}")
        if task.status != RESOLVED:
            raise ReviewNotResolved(detail=f"review task {task.id} is {task.status}")
        assert task.review_of_id is not None
        reviews[task.review_of_id] = task
    out = _resolutions(db, attempt, reviews)
    if out is None:
        raise ReviewNotResolved(detail=f"attempt {attempt_id} has an unresolved production")
    return out


def adopt_reviews(db: Session, clock: Clock, *, organisation_id: int, actor_id: int | None,
                  review_task_ids: Iterable[int], complaint_id: int | None = None) -> None:
    """Make resolved reviews the ratings that count for their responses (a complaint decision
    that revises the result; audited). Adopting is final: a later review can be adopted over
    it, the adoption itself never goes back."""
    now = clock.now()
    for task_id in review_task_ids:
        task = db.get(RatingTask, int(task_id))
        if task is None or task.kind != REVIEW or task.organisation_id != organisation_id:
            raise NotFound(None, detail=f"no review task {task_id}")
        if task.status != RESOLVED:
            raise ReviewNotResolved(detail=f"review task {task.id} is {task.status}")
        if task.adopted_at is None:
            task.adopted_at = now
            record(db, clock, organisation_id=organisation_id, actor_id=actor_id,
                   action="rating.review_adopt", object_type="rating_task", object_id=task.id,
                   review_of=task.review_of_id, complaint_id=complaint_id)
    db.flush()


def _adopted_reviews(db: Session, attempt_id: int) -> dict[int, RatingTask]:
    """Live task id -> its newest adopted review (adoption time, then id)."""
    out: dict[int, RatingTask] = {}
    for task in db.scalars(select(RatingTask).where(
            RatingTask.attempt_id == attempt_id, RatingTask.kind == REVIEW,
            RatingTask.adopted_at.is_not(None))
            .order_by(RatingTask.adopted_at, RatingTask.id)):
        assert task.review_of_id is not None
        out[task.review_of_id] = task
    return out
