"""Complaints about a result or the test conditions: recording, acknowledgement, the review of
contested productions, the decision with four eyes, the timeline (SQLAlchemy, no flask;
flushes only; every step audited).

**The steps and their deadlines.** A complaint is recorded by staff on behalf of the candidate
(an agency admin or a proctor: letter, e-mail, phone, at the desk) or comes in through the
public form (``intake``). Its deadlines per step (:data:`STEPS`: the acknowledgement, the
review, the decision) are days after the day it was received (``COMPLAINT_DEADLINES``, read by
:class:`DeadlinePolicy`), stored on the complaint when it is recorded; :func:`steps` tells per
step when it was done and whether it is overdue.

**The review.** Each contested writing or speaking production (the responses of the contested
skills with a resolved, non-blank live rating) gets a review task in the rating queue
(``rating.service.request_reviews``): two blind ratings by raters who never rated it, a senior's
third when they disagree.

**The decision, with four eyes.** An agency admin proposes the outcome with a motivation
(:func:`propose`); a *different* agency admin confirms it (:func:`confirm`) or sends it back
(:func:`reject`). A revising proposal needs the reviews resolved and shows the new result
before anyone confirms (:func:`preview`); when the result has an attest, proposing it requests
the attest's revocation in the proposer's name (``attests.service.request_revocation``, with the
complaint's reference as the reason), and confirming it, in the confirmer's name: adopts the
review ratings (``rating.service.adopt_reviews``), writes the new result superseding the old one
(``results.service.correct``: the review ratings are now the ones that count), confirms the
revocation (``attests.service.confirm_revocation``, which itself refuses a confirmation by the
requester) and issues the new attest from the new result (``attests.service.issue``), and
releases the new result to the candidate when the old one was released. Sending a proposal back
withdraws its revocation request. So the attest's own four-eyes rule holds unchanged, and the
complaint decision adds its own on top: nobody revises a result, revokes and reissues an attest
alone.

One agency never sees another's complaints: every function takes the organisation and every
query filters on it (a complaint of another agency is NotFound).
"""

from __future__ import annotations

import datetime as dt
import secrets
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from toetsbatterij.accounts.models import ROLE_ADMIN, ROLE_PROCTOR, StaffAccount
from toetsbatterij.attests import numbers
from toetsbatterij.attests import service as attests
from toetsbatterij.attests.models import Attest, AttestRevocation
from toetsbatterij.attests.rulesets import DEFAULT_TZ, local_date
from toetsbatterij.audit.models import AuditEntry
from toetsbatterij.audit.service import record
from toetsbatterij.clock import Clock
from toetsbatterij.complaints.models import (
    CHANNELS,
    CONDITIONS,
    DECIDED,
    IN_REVIEW,
    ONLINE,
    OUTCOMES,
    PROPOSED,
    RECEIVED,
    RESULT,
    REVISED,
    SUBJECTS,
    Complaint,
    ComplaintProduction,
)
from toetsbatterij.delivery.models import FINISHED, Attempt, Candidate, ExamSession
from toetsbatterij.errors import ConfigurationError, Conflict, Forbidden, InvalidInput, NotFound
from toetsbatterij.i18n import N_
from toetsbatterij.rating import service as rating
from toetsbatterij.rating.models import LIVE, RESOLVED, RatingTask
from toetsbatterij.results import service as results
from toetsbatterij.results.models import Result
from toetsbatterij.results.rules import ScoringRules
from toetsbatterij.textinput import clean_text

RECORD_ROLES = (ROLE_ADMIN, ROLE_PROCTOR)
VIEW_ROLES = (ROLE_ADMIN, ROLE_PROCTOR)
DECIDE_ROLES = (ROLE_ADMIN,)
PRODUCTIVE = ("writing", "speaking")
SKILLS = ("reading", "listening", "writing", "speaking")

ACKNOWLEDGE, REVIEW, DECIDE = "acknowledge", "review", "decide"
STEPS = (ACKNOWLEDGE, REVIEW, DECIDE)
STEP_LABELS = {ACKNOWLEDGE: N_("Ontvangstmelding"), REVIEW: N_("Herbeoordeling"),
               DECIDE: N_("Beslissing")}
SUBJECT_LABELS = {RESULT: N_("Het resultaat"), CONDITIONS: N_("De omstandigheden van de toets")}
CHANNEL_LABELS = {"letter": N_("brief"), "email": N_("e-mail"), "phone": N_("telefoon"),
                  "desk": N_("aan het loket"), "online": N_("online formulier")}
STATUS_LABELS = {RECEIVED: N_("ontvangen"), IN_REVIEW: N_("in herbeoordeling"),
                 PROPOSED: N_("beslissing voorgesteld"), DECIDED: N_("beslist")}
OUTCOME_LABELS = {"unchanged": N_("Resultaat ongewijzigd"),
                  REVISED: N_("Nieuw resultaat na herbeoordeling (nieuw attest, oud attest "
                              "ingetrokken)"),
                  "other_measure": N_("Gegrond, met een andere maatregel (zie motivering)")}

ACTION_LABELS = {"complaint.record": N_("klacht geregistreerd"),
                 "complaint.acknowledge": N_("ontvangst gemeld"),
                 "complaint.review_request": N_("herbeoordeling aangevraagd"),
                 "complaint.propose": N_("beslissing voorgesteld"),
                 "complaint.reject": N_("voorstel afgewezen"),
                 "complaint.decide": N_("beslissing bevestigd")}

NOT_ALLOWED = N_("U mag deze stap van een klacht niet zetten.")
NO_RESULT = N_("Deze afname heeft nog geen vastgelegd resultaat: een klacht over het resultaat "
               "kan pas wanneer het resultaat er is. Een klacht over de omstandigheden kan wel.")
NOT_TAKEN = N_("Deze afname is nog niet afgelopen.")
FUTURE_DATE = N_("De datum van ontvangst ligt in de toekomst.")
BAD_DATE = N_("Geef de datum van ontvangst als datum (JJJJ-MM-DD).")
BAD_SKILL = N_("Kies vaardigheden van deze toets.")
NO_SKILL = N_("Kies minstens een vaardigheid waarover de klacht gaat.")
BAD_CHOICE = N_("Kies een geldige waarde.")
ALREADY_ACKNOWLEDGED = N_("De ontvangst van deze klacht is al gemeld.")
NOTHING_TO_REVIEW = N_("Er zijn geen betwiste schrijf- of spreekproducties om opnieuw te laten "
                       "beoordelen.")
REVIEW_CLOSED = N_("Over deze klacht is al een beslissing voorgesteld of genomen.")
ALREADY_PROPOSED = N_("Er is al een beslissing voorgesteld. Bevestig ze of wijs ze af.")
ALREADY_DECIDED = N_("Over deze klacht is al beslist.")
NO_PROPOSAL = N_("Er is geen voorgestelde beslissing.")
REVIEW_OPEN = N_("De herbeoordeling is nog niet afgerond: een nieuw resultaat kan pas wanneer "
                 "alle betwiste producties opnieuw beoordeeld zijn.")
NO_REVIEW = N_("Een nieuw resultaat rust op de herbeoordeling: vraag eerst een herbeoordeling "
               "aan.")
NOT_REVISABLE = N_("Een klacht over de omstandigheden geeft geen nieuw resultaat: kies een "
                   "andere uitkomst.")
RESULT_CHANGED = N_("Het resultaat van deze afname is intussen vervangen: de klacht gaat over "
                    "een resultaat dat niet meer geldt.")
SAME_RESULT = N_("De herbeoordeling verandert niets aan het resultaat: kies 'Resultaat "
                 "ongewijzigd'.")
FOUR_EYES = N_("Een beslissing over een klacht wordt bevestigd door een andere beheerder dan "
               "wie ze voorstelde.")
REVOCATION_GONE = N_("De aanvraag tot intrekking van het attest is niet meer open: wijs het "
                     "voorstel af en stel de beslissing opnieuw voor.")


# -- the deadlines ------------------------------------------------------------------------------


@dataclass(frozen=True)
class DeadlinePolicy:
    """Days after the day of receipt per step (``COMPLAINT_DEADLINES``)."""

    days: Mapping[str, int]

    @classmethod
    def from_config(cls, config: Mapping[str, Any]) -> DeadlinePolicy:
        raw = config.get("COMPLAINT_DEADLINES")
        if not isinstance(raw, Mapping) or set(raw) != set(STEPS):
            raise ConfigurationError(f"COMPLAINT_DEADLINES must give days for {STEPS}")
        days = {}
        for step in STEPS:
            value = raw[step]
            if isinstance(value, bool) or not isinstance(value, int) or not 0 < value <= 365:
                raise ConfigurationError(f"COMPLAINT_DEADLINES[{step!r}]: days from 1 to 365")
            days[step] = value
        if not days[ACKNOWLEDGE] <= days[DECIDE] or not days[REVIEW] <= days[DECIDE]:
            raise ConfigurationError("COMPLAINT_DEADLINES: the decision comes last")
        return cls(days)

    def deadlines(self, received_on: dt.date) -> dict[str, str]:
        return {step: (received_on + dt.timedelta(days=self.days[step])).isoformat()
                for step in STEPS}


DEFAULT_POLICY = DeadlinePolicy({ACKNOWLEDGE: 10, REVIEW: 30, DECIDE: 45})


@dataclass(frozen=True)
class Step:
    """One step of a complaint on its list and detail page."""

    name: str
    deadline: dt.date
    done_on: dt.date | None
    applicable: bool
    overdue: bool            # not done and the deadline has passed (or done after it)
    days_left: int | None    # while open: days until the deadline (negative: overdue)


def steps(db: Session, complaint: Complaint, today: dt.date, tz: str = DEFAULT_TZ) -> list[Step]:
    """The state of every step of ``complaint`` on ``today`` (a local date)."""
    review_done, review_applicable = _review_done(db, complaint)
    done = {ACKNOWLEDGE: complaint.acknowledged_at, REVIEW: review_done,
            DECIDE: complaint.decided_at}
    out = []
    for step in STEPS:
        deadline = dt.date.fromisoformat(str(complaint.deadlines[step]))
        applicable = step != REVIEW or review_applicable
        moment = done[step]
        done_on = local_date(moment, tz) if moment is not None else None
        if not applicable:
            out.append(Step(step, deadline, None, False, False, None))
            continue
        overdue = (done_on > deadline) if done_on is not None else today > deadline
        out.append(Step(step, deadline, done_on, True, overdue,
                        None if done_on is not None else (deadline - today).days))
    return out


def _review_done(db: Session, complaint: Complaint) -> tuple[dt.datetime | None, bool]:
    """When the review was done (the last review resolved) and whether there is one to do: a
    complaint about contested productions has a review; one about the conditions or about the
    machine-scored skills only has none."""
    rows = productions(db, complaint)
    if not rows:
        return None, False
    times = []
    for row in rows:
        task = db.get(RatingTask, row.review_task_id) if row.review_task_id else None
        if task is None or task.status != RESOLVED or task.resolved_at is None:
            return None, True
        times.append(task.resolved_at)
    return max(times), True


def is_overdue(db: Session, complaint: Complaint, today: dt.date, tz: str = DEFAULT_TZ) -> bool:
    return any(s.overdue and s.done_on is None for s in steps(db, complaint, today, tz))


# -- reading ------------------------------------------------------------------------------------


def get(db: Session, organisation_id: int, complaint_id: int) -> Complaint:
    complaint = db.get(Complaint, complaint_id)
    if complaint is None or complaint.organisation_id != organisation_id:
        raise NotFound(detail=f"complaint {complaint_id} in organisation {organisation_id}")
    return complaint


def list_complaints(db: Session, organisation_id: int, *, open_only: bool = False,
                    limit: int = 500) -> list[Complaint]:
    stmt = select(Complaint).where(Complaint.organisation_id == organisation_id)
    if open_only:
        stmt = stmt.where(Complaint.status != DECIDED)
    return list(db.scalars(stmt.order_by(Complaint.received_on.desc(), Complaint.id.desc())
                           .limit(limit)))


def productions(db: Session, complaint: Complaint) -> list[ComplaintProduction]:
    return list(db.scalars(select(ComplaintProduction)
                           .where(ComplaintProduction.complaint_id == complaint.id)
                           .order_by(ComplaintProduction.id)))


def timeline(db: Session, complaint: Complaint) -> list[AuditEntry]:
    """The audited steps of a complaint, oldest first (the audit log is the record)."""
    return list(db.scalars(select(AuditEntry).where(
        AuditEntry.organisation_id == complaint.organisation_id,
        AuditEntry.object_type == "complaint", AuditEntry.object_id == complaint.id)
        .order_by(AuditEntry.id)))


def complaints_of_attempt(db: Session, organisation_id: int, attempt_id: int) -> list[Complaint]:
    return list(db.scalars(select(Complaint).where(Complaint.organisation_id == organisation_id,
                                                   Complaint.attempt_id == attempt_id)
                           .order_by(Complaint.id)))


@dataclass(frozen=True)
class AttemptChoice:
    """An attempt a complaint can be about, as the staff form lists it."""

    attempt_id: int
    candidate: str
    session_code: str
    taken_on: dt.date
    result_id: int | None


def attempt_choices(db: Session, organisation_id: int, tz: str = DEFAULT_TZ,
                    limit: int = 500) -> list[AttemptChoice]:
    """The agency's finished and ended attempts, newest first, with their current result."""
    rows = db.execute(
        select(Attempt, Candidate, ExamSession.code)
        .join(Candidate, Candidate.id == Attempt.candidate_id)
        .join(ExamSession, ExamSession.id == Candidate.exam_session_id)
        .where(Attempt.organisation_id == organisation_id,
               Attempt.state.in_((FINISHED, "ended")), Candidate.erased_at.is_(None))
        .order_by(Attempt.started_at.desc(), Attempt.id.desc()).limit(limit))
    out = []
    for attempt, cand, code in rows:
        current = results.current_result(db, attempt.id)
        out.append(AttemptChoice(attempt.id, f"{cand.first_name} {cand.last_name}", code,
                                 local_date(attempt.started_at, tz),
                                 current.id if current else None))
    return out


# -- recording ----------------------------------------------------------------------------------


def _actor(db: Session, organisation_id: int, actor_id: int | None,
           roles: tuple[str, ...]) -> StaffAccount:
    account = db.get(StaffAccount, actor_id) if actor_id is not None else None
    if account is None or account.organisation_id != organisation_id or not account.active \
            or account.role not in roles:
        raise Forbidden(NOT_ALLOWED, detail=f"account {actor_id} may not ({roles})")
    return account


def _reference(db: Session) -> str:
    while True:
        ref = "KL-" + "".join(secrets.choice(numbers.ALPHABET) for _ in range(8))
        if db.scalar(select(Complaint.id).where(Complaint.reference == ref)) is None:
            return ref


def form_skills(db: Session, forms: Any, attempt: Attempt) -> list[str]:
    form = forms.for_attempt(db, attempt)
    return [s.skill for s in form.sections]


def contestable(db: Session, attempt: Attempt, skills: Iterable[str]) -> list[RatingTask]:
    """The live tasks of the attempt's productions of ``skills`` that a review can re-rate:
    resolved and not blank (a blank production has nothing to re-rate)."""
    wanted = [s for s in skills if s in PRODUCTIVE]
    if not wanted:
        return []
    return list(db.scalars(select(RatingTask).where(
        RatingTask.attempt_id == attempt.id, RatingTask.kind == LIVE,
        RatingTask.skill.in_(wanted), RatingTask.status == RESOLVED,
        RatingTask.blank.is_(False)).order_by(RatingTask.id)))


def record_complaint(db: Session, clock: Clock, forms: Any, *, organisation_id: int,
                     actor_id: int | None, attempt_id: int, subject: str,
                     skills: Iterable[str], channel: str, received_on: dt.date | None,
                     text: str, contact: str = "", language: str | None = None,
                     policy: DeadlinePolicy = DEFAULT_POLICY, tz: str = DEFAULT_TZ) -> Complaint:
    """Record a complaint about ``attempt_id`` of ``organisation_id`` (flushes; audited).

    ``actor_id`` None only for the public form (``intake``: channel ``online``, which may be
    about a result not frozen yet). The contested productions are the rated responses of the
    contested writing and speaking skills."""
    if channel == ONLINE:
        if actor_id is not None:
            raise InvalidInput(BAD_CHOICE, field="channel")
    else:
        _actor(db, organisation_id, actor_id, RECORD_ROLES)
    if subject not in SUBJECTS:
        raise InvalidInput(BAD_CHOICE, field="subject")
    if channel not in CHANNELS:
        raise InvalidInput(BAD_CHOICE, field="channel")
    attempt = db.get(Attempt, attempt_id)
    if attempt is None or attempt.organisation_id != organisation_id:
        raise NotFound(detail=f"attempt {attempt_id}")
    if attempt.state not in (FINISHED, "ended"):
        raise Conflict(NOT_TAKEN)
    cand = db.get(Candidate, attempt.candidate_id)
    assert cand is not None
    today = local_date(clock.now(), tz)
    received = received_on or today
    if received > today:
        raise InvalidInput(FUTURE_DATE, field="received_on")
    chosen = list(dict.fromkeys(s for s in skills))
    known = form_skills(db, forms, attempt)
    if any(s not in known for s in chosen):
        raise InvalidInput(BAD_SKILL, field="skills")
    # The public form (``intake``) checks its input before it knows the test: nothing here may
    # refuse an online complaint on what the test is (the answer would tell it).
    online = channel == ONLINE
    if subject == RESULT and not chosen and not online:
        raise InvalidInput(NO_SKILL, field="skills")
    result = results.current_result(db, attempt.id)
    if subject == RESULT and result is None and not online:
        raise Conflict(NO_RESULT)
    attest = attests.for_result(db, organisation_id, result.id) if result else None
    body = clean_text(text, field="text", label=N_("Klacht"), max_length=5000, required=True,
                      multiline=True)
    reach = clean_text(contact, field="contact", label=N_("Contactgegevens"), max_length=200)
    complaint = Complaint(
        organisation_id=organisation_id, reference=_reference(db), subject=subject,
        candidate_id=cand.id, attempt_id=attempt.id,
        result_id=result.id if result else None, attest_id=attest.id if attest else None,
        skills=chosen, channel=channel, received_on=received, text=body, contact=reach,
        language=language or cand.instruction_language, status=RECEIVED,
        deadlines=policy.deadlines(received), created_by=actor_id, created_at=clock.now(),
        acknowledgement_note="", motivation="")
    db.add(complaint)
    db.flush()
    tasks = contestable(db, attempt, chosen) if subject == RESULT else []
    for task in tasks:
        assert task.response_id is not None
        db.add(ComplaintProduction(complaint_id=complaint.id, response_id=task.response_id,
                                   live_task_id=task.id))
    db.flush()
    record(db, clock, organisation_id=organisation_id, actor_id=actor_id,
           action="complaint.record", object_type="complaint", object_id=complaint.id,
           attempt_id=attempt.id, candidate_id=cand.id,
           result_id=complaint.result_id, subject=subject, channel=channel,
           skills=chosen, productions=len(tasks))
    return complaint


def acknowledge(db: Session, clock: Clock, *, organisation_id: int, actor_id: int,
                complaint_id: int, note: str = "") -> Complaint:
    """Note that the receipt was confirmed to the candidate (how: the note)."""
    _actor(db, organisation_id, actor_id, RECORD_ROLES)
    complaint = get(db, organisation_id, complaint_id)
    if complaint.acknowledged_at is not None:
        raise Conflict(ALREADY_ACKNOWLEDGED)
    complaint.acknowledgement_note = clean_text(note, field="note", label=N_("Notitie"),
                                                max_length=1000, multiline=True)
    complaint.acknowledged_at, complaint.acknowledged_by = clock.now(), actor_id
    db.flush()
    record(db, clock, organisation_id=organisation_id, actor_id=actor_id,
           action="complaint.acknowledge", object_type="complaint", object_id=complaint.id)
    return complaint


# -- the review ---------------------------------------------------------------------------------


def request_review(db: Session, clock: Clock, *, organisation_id: int, actor_id: int,
                   complaint_id: int) -> list[RatingTask]:
    """Queue every contested production of the complaint for review by raters who never rated
    it (``rating.service.request_reviews``); audited. A production reviewed already keeps its
    review."""
    _actor(db, organisation_id, actor_id, DECIDE_ROLES)
    complaint = get(db, organisation_id, complaint_id)
    if complaint.status in (PROPOSED, DECIDED):
        raise Conflict(REVIEW_CLOSED)
    rows = [r for r in productions(db, complaint) if r.review_task_id is None]
    if not rows:
        raise Conflict(NOTHING_TO_REVIEW)
    tasks = rating.request_reviews(db, clock, organisation_id=organisation_id,
                                   actor_id=actor_id, response_ids=[r.response_id for r in rows],
                                   complaint_id=complaint.id)
    for row, task in zip(rows, tasks, strict=True):
        row.review_task_id = task.id
    complaint.status = IN_REVIEW
    complaint.review_requested_at, complaint.review_requested_by = clock.now(), actor_id
    db.flush()
    record(db, clock, organisation_id=organisation_id, actor_id=actor_id,
           action="complaint.review_request", object_type="complaint", object_id=complaint.id,
           review_tasks=[t.id for t in tasks])
    return tasks


@dataclass(frozen=True)
class ProductionState:
    """A contested production on the complaint's page: never the text, only where it stands."""

    response_id: int
    skill: str
    item_id: str
    live_raters: int
    review_status: str | None     # open | adjudication | resolved | None (not requested)
    review_raters: int
    excluded: int                 # raters excluded from the review (they rated it before)


def production_states(db: Session, complaint: Complaint) -> list[ProductionState]:
    from toetsbatterij.rating.models import RatingAssignment

    out = []
    for row in productions(db, complaint):
        live = db.get(RatingTask, row.live_task_id)
        assert live is not None
        review = db.get(RatingTask, row.review_task_id) if row.review_task_id else None

        def raters(task: RatingTask | None) -> int:
            if task is None:
                return 0
            return len(list(db.scalars(select(RatingAssignment.id).where(
                RatingAssignment.task_id == task.id,
                RatingAssignment.submitted_at.is_not(None)))))

        out.append(ProductionState(row.response_id, live.skill, live.item_id, raters(live),
                                   review.status if review else None, raters(review),
                                   len(rating.previous_raters(db, live))))
    return out


def _review_task_ids(db: Session, complaint: Complaint) -> list[int]:
    rows = productions(db, complaint)
    if not rows:
        raise Conflict(NO_REVIEW)
    ids = []
    for row in rows:
        task = db.get(RatingTask, row.review_task_id) if row.review_task_id else None
        if task is None:
            raise Conflict(NO_REVIEW)
        if task.status != RESOLVED:
            raise Conflict(REVIEW_OPEN)
        ids.append(task.id)
    return ids


# -- the decision -------------------------------------------------------------------------------


@dataclass(frozen=True)
class Tools:
    """What a decision needs besides the database: the forms (``FormStore``), the attest
    signer, the public address and time zone of the attests, and the severities provider of
    fair scores (``platform.severities_of``)."""

    forms: Any
    signer: Any
    base_url: str
    tz: str = DEFAULT_TZ
    severities_of: Callable[[Session, Attempt], Mapping[int, float]] | None = None


@dataclass(frozen=True)
class Preview:
    """The result as it stands and as the review ratings would make it (per skill: level)."""

    old_levels: dict[str, str]
    new_levels: dict[str, str]
    changed: bool                 # any field of the result differs
    productions: list[dict[str, Any]]   # per review: skill, old and new criterion means


def _levels(document: Mapping[str, Any]) -> dict[str, str]:
    return {e["skill"]: e.get("level") or "" for e in document.get("skills", [])}


def _current(db: Session, complaint: Complaint) -> Result:
    result = db.get(Result, complaint.result_id) if complaint.result_id else None
    if result is None:
        raise Conflict(NO_RESULT)
    if result.superseded_by_id is not None:
        raise Conflict(RESULT_CHANGED)
    return result


def preview(db: Session, tools: Tools, complaint: Complaint) -> Preview:
    """The new result the reviews would give (reads only): what the proposer and the
    confirmer look at before a revising decision."""
    result = _current(db, complaint)
    attempt = db.get(Attempt, complaint.attempt_id)
    assert attempt is not None
    ids = _review_task_ids(db, complaint)
    resolutions = rating.review_resolutions(db, attempt.id, ids)
    rules = ScoringRules.from_dict(result.document["rules"])
    severities = None
    if rules.fair_scores:
        if tools.severities_of is None:
            raise results.ResultNotReady(detail="fair scores need the raters' severities")
        severities = {int(k): float(v) for k, v in tools.severities_of(db, attempt).items()}
    document = results.compute(db, tools.forms, attempt, resolutions, rules=rules,
                               severities=severities)
    old = {p["response_id"]: p for p in result.document.get("productions", [])}
    contested = {r.response_id for r in productions(db, complaint)}
    rows = []
    for p in document.get("productions", []):
        if p["response_id"] not in contested:
            continue
        before = old.get(p["response_id"], {})
        task = rating.live_task_of(db, complaint.organisation_id, int(p["response_id"]))
        rows.append({"skill": task.skill, "item_id": p["item_id"],
                     "old": before.get("criterion_means", {}),
                     "new": p.get("criterion_means", {})})
    return Preview(_levels(result.document), _levels(document),
                   bool(results.differences(result, document)), rows)


def propose(db: Session, clock: Clock, tools: Tools, *, organisation_id: int, actor_id: int,
            complaint_id: int, outcome: str, motivation: str) -> Complaint:
    """An agency admin proposes the outcome (audited). A revising proposal needs the reviews
    resolved and a result that changes; when the result has an attest, its revocation is
    requested in the proposer's name, to be confirmed by whoever confirms the decision."""
    _actor(db, organisation_id, actor_id, DECIDE_ROLES)
    complaint = get(db, organisation_id, complaint_id)
    if complaint.status == DECIDED:
        raise Conflict(ALREADY_DECIDED)
    if complaint.status == PROPOSED:
        raise Conflict(ALREADY_PROPOSED)
    if outcome not in OUTCOMES:
        raise InvalidInput(BAD_CHOICE, field="outcome")
    text = clean_text(motivation, field="motivation", label=N_("Motivering"), max_length=5000,
                      required=True, multiline=True)
    revocation = None
    if outcome == REVISED:
        if complaint.subject != RESULT:
            raise Conflict(NOT_REVISABLE)
        if not preview(db, tools, complaint).changed:
            raise Conflict(SAME_RESULT)
        attest = db.get(Attest, complaint.attest_id) if complaint.attest_id else None
        if attest is None:  # an attest issued after the complaint came in
            attest = attests.for_result(db, organisation_id, complaint.result_id or 0)
        if attest is not None and attest.revoked_at is None:
            revocation = attests.request_revocation(
                db, clock, organisation_id=organisation_id, actor_id=actor_id,
                attest_id=attest.id,
                reason=f"Klacht {complaint.reference}: resultaat herzien na herbeoordeling. "
                       f"{text}")
            complaint.attest_id = attest.id
    complaint.outcome, complaint.motivation = outcome, text
    complaint.proposed_at, complaint.proposed_by = clock.now(), actor_id
    complaint.revocation_id = revocation.id if revocation else None
    complaint.status = PROPOSED
    db.flush()
    record(db, clock, organisation_id=organisation_id, actor_id=actor_id,
           action="complaint.propose", object_type="complaint", object_id=complaint.id,
           outcome=outcome, revocation_id=complaint.revocation_id)
    return complaint


def _back_status(db: Session, complaint: Complaint) -> str:
    return IN_REVIEW if any(r.review_task_id for r in productions(db, complaint)) else RECEIVED


def reject(db: Session, clock: Clock, *, organisation_id: int, actor_id: int,
           complaint_id: int, reason: str) -> Complaint:
    """Send a proposed decision back (an agency admin; audited with the reason): its
    revocation request is withdrawn, and the complaint waits for a new proposal."""
    _actor(db, organisation_id, actor_id, DECIDE_ROLES)
    complaint = get(db, organisation_id, complaint_id)
    if complaint.status != PROPOSED:
        raise Conflict(NO_PROPOSAL)
    why = clean_text(reason, field="reason", label=N_("Reden"), max_length=1000, required=True,
                     multiline=True)
    request = db.get(AttestRevocation, complaint.revocation_id) if complaint.revocation_id \
        else None
    if request is not None and request.confirmed_at is None and request.withdrawn_at is None:
        attests.withdraw_revocation(db, clock, organisation_id=organisation_id,
                                    actor_id=actor_id, attest_id=request.attest_id)
    record(db, clock, organisation_id=organisation_id, actor_id=actor_id,
           action="complaint.reject", object_type="complaint", object_id=complaint.id,
           outcome=complaint.outcome, proposed_by=complaint.proposed_by)
    # The audit log holds ids only, never free text: the rejected proposal, its motivation and
    # the reason stay on the complaint (its page shows them).
    complaint.rejected = [*(complaint.rejected or []), {
        "outcome": complaint.outcome, "motivation": complaint.motivation,
        "proposed_by": complaint.proposed_by,
        "proposed_at": complaint.proposed_at.isoformat() if complaint.proposed_at else None,
        "rejected_by": actor_id, "rejected_at": clock.now().isoformat(), "reason": why}]
    complaint.outcome, complaint.motivation = None, ""
    complaint.proposed_at, complaint.proposed_by = None, None
    complaint.revocation_id = None
    complaint.status = _back_status(db, complaint)
    db.flush()
    return complaint


def confirm(db: Session, clock: Clock, tools: Tools, *, organisation_id: int, actor_id: int,
            complaint_id: int) -> Complaint:
    """A second agency admin confirms the proposed decision and it takes effect (audited):
    for a revision the review ratings are adopted, the new result supersedes the old one, the
    old attest's revocation is confirmed and a new attest is issued from the new result."""
    _actor(db, organisation_id, actor_id, DECIDE_ROLES)
    complaint = get(db, organisation_id, complaint_id)
    if complaint.status == DECIDED:
        raise Conflict(ALREADY_DECIDED)
    if complaint.status != PROPOSED:
        raise Conflict(NO_PROPOSAL)
    if complaint.proposed_by == actor_id:
        raise Forbidden(FOUR_EYES, detail="the proposer cannot confirm")
    now = clock.now()
    if complaint.outcome == REVISED:
        _revise(db, clock, tools, complaint, actor_id)
    complaint.status = DECIDED
    complaint.decided_at, complaint.decided_by = now, actor_id
    db.flush()
    record(db, clock, organisation_id=organisation_id, actor_id=actor_id,
           action="complaint.decide", object_type="complaint", object_id=complaint.id,
           outcome=complaint.outcome, proposed_by=complaint.proposed_by,
           new_result_id=complaint.new_result_id, new_attest_id=complaint.new_attest_id,
           revoked_attest_id=complaint.attest_id if complaint.revocation_id else None)
    return complaint


def _revise(db: Session, clock: Clock, tools: Tools, complaint: Complaint, actor_id: int) -> None:
    from toetsbatterij.reports import service as reports

    org = complaint.organisation_id
    old = _current(db, complaint)
    request = db.get(AttestRevocation, complaint.revocation_id) if complaint.revocation_id \
        else None
    if request is not None and (request.confirmed_at is not None
                                or request.withdrawn_at is not None):
        raise Conflict(REVOCATION_GONE)
    rating.adopt_reviews(db, clock, organisation_id=org, actor_id=actor_id,
                         review_task_ids=_review_task_ids(db, complaint),
                         complaint_id=complaint.id)
    new = results.correct(db, clock, tools.forms, old,
                          f"Klacht {complaint.reference}: herbeoordeling. {complaint.motivation}",
                          actor_id, rating.resolutions, severities_of=tools.severities_of)
    complaint.new_result_id = new.id
    if request is not None:
        attests.confirm_revocation(db, clock, organisation_id=org, actor_id=actor_id,
                                   attest_id=request.attest_id)
        attest = attests.issue(db, clock, tools.signer, organisation_id=org, actor_id=actor_id,
                               result_id=new.id, base_url=tools.base_url, tz=tools.tz)
        complaint.new_attest_id = attest.id
    if reports.release_of(db, old.id) is not None:
        reports.release(db, clock, organisation_id=org, result_ids=[new.id], actor_id=actor_id)
    db.flush()


# -- labels for the pages -----------------------------------------------------------------------


def candidate_name(db: Session, complaint: Complaint) -> str:
    cand = db.get(Candidate, complaint.candidate_id)
    if cand is None or cand.erased_at is not None:
        return ""
    return f"{cand.first_name} {cand.last_name}"

