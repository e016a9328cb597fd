"""The proctor console: the room view and the room-wide actions (scoped by organisation)."""

from __future__ import annotations

from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from toetsbatterij import events
from toetsbatterij.audit.service import record
from toetsbatterij.clock import Clock
from toetsbatterij.delivery import accommodations, attempts, feed, throttle
from toetsbatterij.delivery.definitions import SKILL_LABELS
from toetsbatterij.delivery.models import (
    ADMISSION,
    ENDED,
    FINISHED,
    INCIDENT_CODES,
    INSTRUCTIONS,
    PRACTICE,
    SECTION,
    Attempt,
    Candidate,
    Incident,
    Presentation,
    SectionRun,
    TestDefinitionRecord,
)
from toetsbatterij.delivery.sessions import get_candidate, get_session
from toetsbatterij.errors import InvalidInput, NotFound
from toetsbatterij.i18n import N_
from toetsbatterij.textinput import clean_text

STATE_LABELS = {
    "waiting": N_("Wacht"),
    ADMISSION: N_("Wacht op toelating"),
    INSTRUCTIONS: N_("Uitleg"),
    PRACTICE: N_("Oefent"),
    SECTION: N_("Bezig"),
    "paused": N_("Gepauzeerd"),
    FINISHED: N_("Klaar"),
    ENDED: N_("Beëindigd"),
}


def room_view(db: Session, clock: Clock, *, organisation_id: int,
              session_id: int) -> dict[str, Any]:
    """Everything the room view shows, as JSON-safe data (polled by the console)."""
    sess = get_session(db, organisation_id, session_id)
    now = clock.now()
    definition = db.get(TestDefinitionRecord, sess.test_definition_id)
    sections = definition.manifest["sections"] if definition else []
    candidates = list(db.scalars(select(Candidate).where(Candidate.exam_session_id == sess.id)
                                 .order_by(Candidate.last_name, Candidate.first_name)))
    by_cand = {a.candidate_id: a for a in db.scalars(
        select(Attempt).where(Attempt.candidate_id.in_([c.id for c in candidates])))}
    attempt_ids = [a.id for a in by_cand.values()]
    runs = {(r.attempt_id, r.section_index): r for r in db.scalars(
        select(SectionRun).where(SectionRun.attempt_id.in_(attempt_ids)))}
    answered = dict(db.execute(
        select(Presentation.attempt_id, func.count(Presentation.id))
        .where(Presentation.attempt_id.in_(attempt_ids), Presentation.section_index >= 0,
               Presentation.answered_at.is_not(None))
        .group_by(Presentation.attempt_id)).all())
    # A candidate told "ask the proctor" about a login lock: the row shows whose code it is.
    locks = {view.candidate_id: view for view in throttle.for_session(
        db, clock, organisation_id=organisation_id, session_id=sess.id)
        if view.scope == throttle.ACCESS and view.locked_until is not None}
    rows = []
    for cand in candidates:
        att = by_cand.get(cand.id)
        lock = locks.get(cand.id)
        row: dict[str, Any] = {
            "candidate_id": cand.id, "name": f"{cand.last_name}, {cand.first_name}",
            "extra_time_percent": cand.extra_time_percent,
            "accommodations": accommodations.of(cand).as_dict(),
            "device_bound": cand.device_token
            is not None, "state": "waiting", "state_label": STATE_LABELS["waiting"],
            "section": "", "items_answered": 0, "seconds_left": None,
            "last_contact_seconds": None, "paused": False,
            "admitted": cand.admitted_at is not None,
            "login_locked_until": lock.locked_until.isoformat() if lock else None,
        }
        if att is not None:
            state = "paused" if att.paused_at is not None else att.state
            row.update(state=state, state_label=STATE_LABELS[state], paused=att.paused_at
                       is not None, items_answered=int(answered.get(att.id, 0)),
                       attempt_id=att.id, end_reason=att.end_reason)
            if att.state == SECTION and 0 <= att.section_index < len(sections):
                row["section"] = (f"{att.section_index + 1}/{len(sections)} "
                                  f"{SKILL_LABELS.get(sections[att.section_index]['skill'], '')}")
                run = runs.get((att.id, att.section_index))
                if run is not None and run.finished_at is None:
                    row["seconds_left"] = attempts.remaining_seconds(run, att, now)
            if att.last_contact_at is not None:
                row["last_contact_seconds"] = int((now - att.last_contact_at).total_seconds())
        rows.append(row)
    return {"session": {"id": sess.id, "code": sess.code, "opened": sess.opened_at is not None,
                        "starts_at": sess.starts_at.isoformat(),
                        "ends_at": sess.ends_at.isoformat()},
            "now": now.isoformat(), "candidates": rows}


def admit_candidates(db: Session, clock: Clock, *, organisation_id: int, session_id: int,
                     candidate_ids: list[int] | None, actor_id: int | None) -> int:
    """Admit a selection of the session's candidates (all when ``candidate_ids`` is None)."""
    sess = get_session(db, organisation_id, session_id)
    stmt = select(Candidate).where(Candidate.exam_session_id == sess.id)
    if candidate_ids is not None:
        stmt = stmt.where(Candidate.id.in_(candidate_ids))
    return sum(attempts.admit(db, clock, cand, actor_id=actor_id) for cand in db.scalars(stmt))


def attempt_for_candidate(db: Session, organisation_id: int, candidate_id: int) -> Attempt:
    cand = get_candidate(db, organisation_id, candidate_id)
    att = db.scalar(select(Attempt).where(Attempt.candidate_id == cand.id))
    if att is None:
        raise NotFound("Deze kandidaat is nog niet begonnen.")
    return att


def pause_room(db: Session, clock: Clock, *, organisation_id: int, session_id: int,
               actor_id: int | None, paused: bool) -> int:
    sess = get_session(db, organisation_id, session_id)
    atts = list(db.scalars(select(Attempt).join(Candidate, Candidate.id == Attempt.candidate_id)
                           .where(Candidate.exam_session_id == sess.id)))
    for att in atts:
        if paused:
            attempts.pause(db, clock, att, actor_id=actor_id)
        else:
            attempts.resume_attempt(db, clock, att, actor_id=actor_id)
    record(db, clock, organisation_id=organisation_id, actor_id=actor_id,
           action="session.pause" if paused else "session.resume", object_type="exam_session",
           object_id=sess.id, attempts=len(atts))
    events.feed(db, clock, sess.id, feed.ROOM_PAUSED if paused else feed.ROOM_RESUMED)
    return len(atts)


def record_incident(db: Session, clock: Clock, *, organisation_id: int, session_id: int,
                    candidate_id: int | None, code: str, note: str,
                    actor_id: int | None) -> Incident:
    sess = get_session(db, organisation_id, session_id)
    if code not in INCIDENT_CODES:
        raise InvalidInput("Kies een soort incident.", field="code")
    note = clean_text(note, field="note", label=N_("Notitie"), max_length=2000, multiline=True)
    if candidate_id is not None:
        cand = get_candidate(db, organisation_id, candidate_id)
        if cand.exam_session_id != sess.id:
            raise NotFound(None, detail="candidate of another session")  # default text
    inc = Incident(organisation_id=organisation_id, exam_session_id=sess.id,
                   candidate_id=candidate_id, code=code, note=note,
                   created_by=actor_id, created_at=clock.now())
    db.add(inc)
    db.flush()
    record(db, clock, organisation_id=organisation_id, actor_id=actor_id,
           action="incident.record", object_type="incident", object_id=inc.id, code=code,
           candidate_id=candidate_id)
    return inc


def incidents(db: Session, organisation_id: int, session_id: int) -> list[Incident]:
    sess = get_session(db, organisation_id, session_id)
    return list(db.scalars(select(Incident).where(Incident.exam_session_id == sess.id)
                           .order_by(Incident.id.desc())))
