"""Integration trajectories (SQLAlchemy, no flask; flushes, never commits; every change audited).

Per person a trajectory (obliged or voluntary, legal ground, start date, counsellor, the
organisation that runs it) with its components: MO (course, attendance, the assessment of the
personal development plan), NT2 (provider CVO or CBE, course level, goal level, the linked
attest or result), career orientation and participation. Each component has status events
(planned, started, passed, failed, exempted, stopped) with their dates; its status is the
latest event's. A transfer moves the trajectory to another organisation (onto that
organisation's person record, made from the same identity when there is none) and keeps every
event and the transfer itself. :func:`certificate_check` says what is still missing for the
civic-integration certificate under the rule in force on a date (``trajectories.rules``).

A new attest is linked to the NT2 component of the holder's open trajectory by
:func:`attest_issued` (the hook of ``attests.service.issue``) when the identity document of
its candidate matches the person.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from toetsbatterij.accounts.models import ROLE_ADMIN, StaffAccount
from toetsbatterij.attests.models import Attest
from toetsbatterij.audit.service import record
from toetsbatterij.clock import Clock
from toetsbatterij.delivery.models import Attempt, Candidate
from toetsbatterij.errors import Conflict, Forbidden, InvalidInput, NotFound
from toetsbatterij.i18n import N_
from toetsbatterij.organisations.models import Organisation
from toetsbatterij.persons import service as persons
from toetsbatterij.persons.models import Person
from toetsbatterij.textinput import clean_text
from toetsbatterij.trajectories.models import (
    COMPONENT_KINDS,
    COMPONENT_STATUSES,
    MO,
    NT2,
    OBLIGED,
    PLANNED,
    TRAJECTORY_KINDS,
    ComponentEvent,
    Trajectory,
    TrajectoryComponent,
    TrajectoryTransfer,
)
from toetsbatterij.trajectories.rules import Check, ComponentFacts, default_rules

EDIT_ROLES = (ROLE_ADMIN,)
KIND_LABELS = {"obliged": N_("verplicht"), "voluntary": N_("vrijwillig")}
PROVIDER_TYPES = {"cvo": N_("CVO (centrum voor volwassenenonderwijs)"),
                  "cbe": N_("CBE (centrum voor basiseducatie)")}
LEVELS = ("A1", "A2", "B1", "B2", "C1")
DEFAULT_COMPONENTS = (MO, NT2)

OPEN_EXISTS = N_("Deze persoon heeft al een lopend traject.")
CLOSED = N_("Dit traject is afgesloten.")
COMPONENT_EXISTS = N_("Dit onderdeel staat al in het traject.")
ONLY_NT2 = N_("Alleen het onderdeel NT2 krijgt een attest of resultaat.")
NOT_THE_PERSON = N_("Dit attest of resultaat is niet van de persoon van dit traject.")
REVOKED = N_("Een ingetrokken attest kan niet gekoppeld worden.")
SAME_ORGANISATION = N_("Kies een ander agentschap dan het huidige.")
ERASED_PERSON = N_("De gegevens van deze persoon zijn gewist: het traject kan niet "
                   "overgedragen worden.")


def _actor(db: Session, organisation_id: int, actor_id: int | None) -> None:
    """Trajectory records are the agency admins' (services check it too, not only routes)."""
    if actor_id is None:
        return  # the system (the attest hook, the demo seed)
    account = db.get(StaffAccount, actor_id)
    if account is None or account.organisation_id != organisation_id or not account.active \
            or account.role not in EDIT_ROLES:
        raise Forbidden(detail=f"account {actor_id} may not edit trajectories")


def parse_day(raw: str | dt.date | None, field: str) -> dt.date:
    if isinstance(raw, dt.date):
        return raw
    try:
        return dt.date.fromisoformat((raw or "").strip())
    except ValueError:
        raise InvalidInput(N_("Geef een datum (JJJJ-MM-DD)."), field=field) from None


# -- reading -------------------------------------------------------------------------------------


def get_trajectory(db: Session, organisation_id: int, trajectory_id: int) -> Trajectory:
    trajectory = db.get(Trajectory, trajectory_id)
    if trajectory is None or trajectory.organisation_id != organisation_id:
        raise NotFound(detail=f"trajectory {trajectory_id} in organisation {organisation_id}")
    return trajectory


def get_component(db: Session, organisation_id: int, component_id: int) -> TrajectoryComponent:
    component = db.get(TrajectoryComponent, component_id)
    if component is None or component.organisation_id != organisation_id:
        raise NotFound(detail=f"component {component_id} in organisation {organisation_id}")
    return component


def trajectories_of(db: Session, organisation_id: int, person_id: int) -> list[Trajectory]:
    return list(db.scalars(select(Trajectory).where(Trajectory.organisation_id == organisation_id,
                                                    Trajectory.person_id == person_id)
                           .order_by(Trajectory.start_date.desc(), Trajectory.id.desc())))


def open_trajectory(db: Session, organisation_id: int, person_id: int) -> Trajectory | None:
    return db.scalars(select(Trajectory).where(Trajectory.organisation_id == organisation_id,
                                               Trajectory.person_id == person_id,
                                               Trajectory.closed_at.is_(None))
                      .order_by(Trajectory.id)).first()


def list_trajectories(db: Session, organisation_id: int) -> list[Trajectory]:
    return list(db.scalars(select(Trajectory).where(Trajectory.organisation_id == organisation_id)
                           .order_by(Trajectory.start_date.desc(), Trajectory.id.desc())))


def components(db: Session, trajectory_id: int) -> list[TrajectoryComponent]:
    order = {kind: i for i, kind in enumerate(COMPONENT_KINDS)}
    rows = db.scalars(select(TrajectoryComponent)
                      .where(TrajectoryComponent.trajectory_id == trajectory_id))
    return sorted(rows, key=lambda c: (order.get(c.kind, 99), c.id))


def events(db: Session, component_id: int) -> list[ComponentEvent]:
    return list(db.scalars(select(ComponentEvent).where(ComponentEvent.component_id == component_id)
                           .order_by(ComponentEvent.occurred_on, ComponentEvent.id)))


def transfers(db: Session, trajectory_id: int) -> list[TrajectoryTransfer]:
    return list(db.scalars(select(TrajectoryTransfer)
                           .where(TrajectoryTransfer.trajectory_id == trajectory_id)
                           .order_by(TrajectoryTransfer.transferred_at, TrajectoryTransfer.id)))


def counsellors(db: Session, organisation_id: int) -> list[StaffAccount]:
    """Who can be a trajectory's counsellor: the agency's active staff (not raters or
    psychometricians, who never see persons)."""
    return list(db.scalars(select(StaffAccount).where(
        StaffAccount.organisation_id == organisation_id, StaffAccount.active.is_(True),
        StaffAccount.role.in_(("agency_admin", "proctor"))).order_by(StaffAccount.display_name)))


# -- trajectories --------------------------------------------------------------------------------


def _counsellor(db: Session, organisation_id: int, counsellor_id: int | None) -> int | None:
    if counsellor_id is None:
        return None
    if counsellor_id not in {a.id for a in counsellors(db, organisation_id)}:
        raise InvalidInput(N_("Kies een trajectbegeleider uit de lijst."), field="counsellor_id")
    return counsellor_id


def _clean_trajectory(db: Session, clock: Clock, organisation_id: int, *, kind: str,
                      legal_ground: str, start_date: str | dt.date,
                      counsellor_id: int | None) -> dict[str, Any]:
    if kind not in TRAJECTORY_KINDS:
        raise InvalidInput(N_("Kies verplicht of vrijwillig."), field="kind")
    ground = clean_text(legal_ground, field="legal_ground", label=N_("Rechtsgrond"),
                        max_length=500, multiline=True)
    if kind == OBLIGED and not ground:
        raise InvalidInput(N_("Een verplicht traject heeft een rechtsgrond."),
                           field="legal_ground")
    start = parse_day(start_date, "start_date")
    today = clock.now().date()
    if not dt.date(2004, 1, 1) <= start <= today + dt.timedelta(days=366):
        raise InvalidInput(N_("Deze begindatum is niet mogelijk."), field="start_date")
    return {"kind": kind, "legal_ground": ground, "start_date": start,
            "counsellor_id": _counsellor(db, organisation_id, counsellor_id)}


def create_trajectory(db: Session, clock: Clock, *, organisation_id: int, actor_id: int | None,
                      person_id: int, kind: str, legal_ground: str = "",
                      start_date: str | dt.date, counsellor_id: int | None = None,
                      component_kinds: tuple[str, ...] = DEFAULT_COMPONENTS) -> Trajectory:
    _actor(db, organisation_id, actor_id)
    person = persons.get_person(db, organisation_id, person_id)
    if person.erased_at is not None:
        raise Conflict(persons.ERASED)
    if open_trajectory(db, organisation_id, person.id) is not None:
        raise Conflict(OPEN_EXISTS)
    clean = _clean_trajectory(db, clock, organisation_id, kind=kind, legal_ground=legal_ground,
                              start_date=start_date, counsellor_id=counsellor_id)
    if any(k not in COMPONENT_KINDS for k in component_kinds):
        raise InvalidInput(N_("Onbekend onderdeel."), field="components")
    trajectory = Trajectory(organisation_id=organisation_id, person_id=person.id,
                            created_at=clock.now(), created_by_id=actor_id, closed_at=None,
                            close_reason="", **clean)
    db.add(trajectory)
    db.flush()
    record(db, clock, organisation_id=organisation_id, actor_id=actor_id,
           action="trajectory.create", object_type="trajectory", object_id=trajectory.id,
           person_id=person.id, kind=kind)
    for component_kind in dict.fromkeys(component_kinds):
        add_component(db, clock, organisation_id=organisation_id, actor_id=actor_id,
                      trajectory_id=trajectory.id, kind=component_kind)
    return trajectory


def _open(db: Session, organisation_id: int, trajectory_id: int) -> Trajectory:
    trajectory = get_trajectory(db, organisation_id, trajectory_id)
    if trajectory.closed_at is not None:
        raise Conflict(CLOSED)
    return trajectory


def update_trajectory(db: Session, clock: Clock, *, organisation_id: int, actor_id: int | None,
                      trajectory_id: int, kind: str, legal_ground: str,
                      start_date: str | dt.date, counsellor_id: int | None) -> Trajectory:
    _actor(db, organisation_id, actor_id)
    trajectory = _open(db, organisation_id, trajectory_id)
    clean = _clean_trajectory(db, clock, organisation_id, kind=kind, legal_ground=legal_ground,
                              start_date=start_date, counsellor_id=counsellor_id)
    changed = sorted(k for k, v in clean.items() if getattr(trajectory, k) != v)
    for key in changed:
        setattr(trajectory, key, clean[key])
    db.flush()
    if changed:
        record(db, clock, organisation_id=organisation_id, actor_id=actor_id,
               action="trajectory.update", object_type="trajectory", object_id=trajectory.id,
               fields=changed)
    return trajectory


def close_trajectory(db: Session, clock: Clock, *, organisation_id: int, actor_id: int | None,
                     trajectory_id: int, reason: str) -> Trajectory:
    _actor(db, organisation_id, actor_id)
    trajectory = _open(db, organisation_id, trajectory_id)
    trajectory.close_reason = clean_text(reason, field="reason", label=N_("Reden"),
                                         max_length=1000, required=True, multiline=True)
    trajectory.closed_at = clock.now()
    db.flush()
    record(db, clock, organisation_id=organisation_id, actor_id=actor_id,
           action="trajectory.close", object_type="trajectory", object_id=trajectory.id)
    return trajectory


# -- components ----------------------------------------------------------------------------------


def add_component(db: Session, clock: Clock, *, organisation_id: int, actor_id: int | None,
                  trajectory_id: int, kind: str) -> TrajectoryComponent:
    _actor(db, organisation_id, actor_id)
    trajectory = _open(db, organisation_id, trajectory_id)
    if kind not in COMPONENT_KINDS:
        raise InvalidInput(N_("Onbekend onderdeel."), field="kind")
    if any(c.kind == kind for c in components(db, trajectory.id)):
        raise Conflict(COMPONENT_EXISTS)
    component = TrajectoryComponent(organisation_id=organisation_id, trajectory_id=trajectory.id,
                                    kind=kind, details={}, goal_level="A2" if kind == NT2 else "",
                                    attest_id=None, result_id=None, status=PLANNED,
                                    created_at=clock.now())
    db.add(component)
    db.flush()
    record(db, clock, organisation_id=organisation_id, actor_id=actor_id,
           action="trajectory.add_component", object_type="trajectory",
           object_id=trajectory.id, component_id=component.id, kind=kind)
    return component


def _text(raw: Mapping[str, Any], key: str, label: str, max_length: int = 200) -> str:
    return clean_text(raw.get(key), field=key, label=label, max_length=max_length,
                      multiline=max_length > 200)


def clean_details(kind: str, raw: Mapping[str, Any]) -> tuple[dict[str, Any], str]:
    """The details of a component of ``kind`` (and the NT2 goal level), checked."""
    if kind == MO:
        details: dict[str, Any] = {"course": _text(raw, "course", N_("Cursus"))}
        attendance = str(raw.get("attendance_percent") or "").strip()
        if attendance:
            if not attendance.isdigit() or not 0 <= int(attendance) <= 100:
                raise InvalidInput(N_("Geef de aanwezigheid als percentage van 0 tot 100."),
                                   field="attendance_percent")
            details["attendance_percent"] = int(attendance)
        details["assessment"] = _text(raw, "assessment", N_("Beoordeling (POP)"), 2000)
        return details, ""
    if kind == NT2:
        provider_type = str(raw.get("provider_type") or "").strip()
        if provider_type and provider_type not in PROVIDER_TYPES:
            raise InvalidInput(N_("Kies CVO of CBE."), field="provider_type")
        course_level = str(raw.get("course_level") or "").strip()
        if course_level and course_level not in LEVELS:
            raise InvalidInput(N_("Kies een niveau uit de lijst."), field="course_level")
        goal = str(raw.get("goal_level") or "A2").strip()
        if goal not in LEVELS:
            raise InvalidInput(N_("Kies een niveau uit de lijst."), field="goal_level")
        return {"provider_type": provider_type,
                "provider_name": _text(raw, "provider_name", N_("Aanbieder")),
                "course_level": course_level}, goal
    return {"provider_name": _text(raw, "provider_name", N_("Aanbieder")),
            "description": _text(raw, "description", N_("Omschrijving"), 2000)}, ""


def update_component(db: Session, clock: Clock, *, organisation_id: int, actor_id: int | None,
                     component_id: int, details: Mapping[str, Any]) -> TrajectoryComponent:
    _actor(db, organisation_id, actor_id)
    component = get_component(db, organisation_id, component_id)
    _open(db, organisation_id, component.trajectory_id)
    clean, goal = clean_details(component.kind, details)
    component.details = clean
    if component.kind == NT2:
        component.goal_level = goal
    db.flush()
    record(db, clock, organisation_id=organisation_id, actor_id=actor_id,
           action="trajectory.update_component", object_type="trajectory",
           object_id=component.trajectory_id, component_id=component.id)
    return component


def _latest_status(db: Session, component: TrajectoryComponent) -> str:
    history = events(db, component.id)
    return history[-1].status if history else PLANNED


def record_event(db: Session, clock: Clock, *, organisation_id: int, actor_id: int | None,
                 component_id: int, status: str, occurred_on: str | dt.date,
                 note: str = "") -> ComponentEvent:
    """A status event with its date; the component's status becomes that of its latest event
    (by date; of two on one day, the later recorded)."""
    _actor(db, organisation_id, actor_id)
    component = get_component(db, organisation_id, component_id)
    trajectory = _open(db, organisation_id, component.trajectory_id)
    if status not in COMPONENT_STATUSES:
        raise InvalidInput(N_("Kies een status uit de lijst."), field="status")
    day = parse_day(occurred_on, "occurred_on")
    if day > clock.now().date():
        raise InvalidInput(N_("Een status krijgt geen datum in de toekomst."),
                           field="occurred_on")
    if day < trajectory.start_date and status != PLANNED:
        raise InvalidInput(N_("Deze datum ligt voor het begin van het traject."),
                           field="occurred_on")
    event = ComponentEvent(organisation_id=organisation_id, component_id=component.id,
                           status=status, occurred_on=day,
                           note=clean_text(note, field="note", label=N_("Toelichting"),
                                           max_length=1000, multiline=True),
                           recorded_at=clock.now(), recorded_by_id=actor_id)
    db.add(event)
    db.flush()
    component.status = _latest_status(db, component)
    db.flush()
    record(db, clock, organisation_id=organisation_id, actor_id=actor_id,
           action="trajectory.status", object_type="trajectory", object_id=trajectory.id,
           component_id=component.id, status=status, occurred_on=day.isoformat())
    return event


def _person_identities(db: Session, person: Person) -> set[tuple[str, str, str]]:
    """The identity documents that are this person's: their own, and those of the
    registrations linked to them."""
    out = {(person.id_kind, person.id_number, person.id_country if person.id_kind == "foreign"
            else "")}
    out |= {_identity(c) for c in persons.candidates_of(db, person.organisation_id, person.id)}
    return {i for i in out if i[1]}


def _identity(cand: Candidate) -> tuple[str, str, str]:
    return (cand.id_kind, cand.id_number, cand.id_country if cand.id_kind == "foreign" else "")


def _belongs(db: Session, person: Person, cand: Candidate | None) -> bool:
    """Is this registration the person's: linked to them, or (not linked, not erased) under an
    identity document that is theirs?"""
    if cand is None or cand.organisation_id != person.organisation_id:
        return False
    if cand.person_id is not None or cand.erased_at is not None:
        return cand.person_id == person.id
    return _identity(cand) in _person_identities(db, person)


def _nt2(db: Session, organisation_id: int, component_id: int) -> tuple[TrajectoryComponent,
                                                                        Trajectory, Person]:
    component = get_component(db, organisation_id, component_id)
    if component.kind != NT2:
        raise InvalidInput(ONLY_NT2, field="attest_id")
    trajectory = _open(db, organisation_id, component.trajectory_id)
    return component, trajectory, db.get(Person, trajectory.person_id)


def link_attest(db: Session, clock: Clock, *, organisation_id: int, actor_id: int | None,
                component_id: int, attest_id: int) -> TrajectoryComponent:
    """Link an attest of the person to the NT2 component (staff; audited)."""
    _actor(db, organisation_id, actor_id)
    component, trajectory, person = _nt2(db, organisation_id, component_id)
    attest = db.get(Attest, attest_id)
    if attest is None or attest.organisation_id != organisation_id:
        raise NotFound(detail=f"attest {attest_id}")
    if attest.revoked_at is not None:
        raise Conflict(REVOKED)
    if not _belongs(db, person, db.get(Candidate, attest.candidate_id)):
        raise Conflict(NOT_THE_PERSON)
    component.attest_id = attest.id
    db.flush()
    record(db, clock, organisation_id=organisation_id, actor_id=actor_id,
           action="trajectory.link_attest", object_type="trajectory", object_id=trajectory.id,
           component_id=component.id, attest_id=attest.id, by="staff")
    return component


def link_result(db: Session, clock: Clock, *, organisation_id: int, actor_id: int | None,
                component_id: int, result_id: int) -> TrajectoryComponent:
    from toetsbatterij.results.service import get_result

    _actor(db, organisation_id, actor_id)
    component, trajectory, person = _nt2(db, organisation_id, component_id)
    result = get_result(db, organisation_id, result_id)
    attempt = db.get(Attempt, result.attempt_id)
    if not _belongs(db, person, db.get(Candidate, attempt.candidate_id) if attempt else None):
        raise Conflict(NOT_THE_PERSON)
    component.result_id = result.id
    db.flush()
    record(db, clock, organisation_id=organisation_id, actor_id=actor_id,
           action="trajectory.link_result", object_type="trajectory", object_id=trajectory.id,
           component_id=component.id, result_id=result.id)
    return component


def _reaches_goal(attest: Attest | None, on: dt.date) -> bool:
    """Does ``attest`` meet the NT2 requirement of the certificate rule in force on ``on``?"""
    if attest is None or attest.revoked_at is not None:
        return False
    rule = default_rules().in_force(on)
    check = rule.check({NT2: ComponentFacts(NT2, "started", _attest_levels(attest))})
    return not [m for m in check.missing if m.component == NT2]


def attest_issued(db: Session, clock: Clock, attest: Attest) -> TrajectoryComponent | None:
    """The hook of ``attests.service.issue``: link the new attest to the NT2 component of the
    open trajectory of the person whose identity document the attest's candidate has (in the
    same organisation). A component keeps an attest it has unless that one is revoked, or the
    new one reaches the goal level and the old one does not. Audited as the system's act."""
    cand = db.get(Candidate, attest.candidate_id)
    if cand is None:
        return None
    person = (db.get(Person, cand.person_id) if cand.person_id else None) or \
        persons.find_by_identity(db, attest.organisation_id, cand.id_kind, cand.id_number,
                                 cand.id_country or "")
    if person is None or person.organisation_id != attest.organisation_id:
        return None
    trajectory = open_trajectory(db, attest.organisation_id, person.id)
    if trajectory is None:
        return None
    component = next((c for c in components(db, trajectory.id) if c.kind == NT2), None)
    if component is None:
        return None
    current = db.get(Attest, component.attest_id) if component.attest_id else None
    today = clock.now().date()
    if current is not None and current.revoked_at is None and (
            _reaches_goal(current, today) or not _reaches_goal(attest, today)):
        return None
    component.attest_id = attest.id
    db.flush()
    record(db, clock, organisation_id=attest.organisation_id, actor_id=None,
           action="trajectory.link_attest", object_type="trajectory", object_id=trajectory.id,
           component_id=component.id, attest_id=attest.id, by="identity")
    return component


# -- transfers -----------------------------------------------------------------------------------


def transfer(db: Session, clock: Clock, *, organisation_id: int, actor_id: int | None,
             trajectory_id: int, to_organisation_id: int, reason: str) -> TrajectoryTransfer:
    """Move a trajectory to another agency (the person moved): the receiving agency's person
    with the same identity document, or a copy of the person made there; the trajectory, its
    components and events move with it; the transfer is kept and audited in both agencies."""
    _actor(db, organisation_id, actor_id)
    trajectory = _open(db, organisation_id, trajectory_id)
    target = db.get(Organisation, to_organisation_id)
    if target is None:
        raise InvalidInput(N_("Kies een agentschap uit de lijst."), field="to_organisation_id")
    if target.id == organisation_id:
        raise InvalidInput(SAME_ORGANISATION, field="to_organisation_id")
    text = clean_text(reason, field="reason", label=N_("Reden"), max_length=1000, required=True,
                      multiline=True)
    person = db.get(Person, trajectory.person_id)
    if person.erased_at is not None:
        raise Conflict(ERASED_PERSON)
    receiving = persons.find_by_identity(db, target.id, person.id_kind, person.id_number,
                                         person.id_country)
    if receiving is None:
        receiving = Person(organisation_id=target.id, first_name=person.first_name,
                           last_name=person.last_name, birth_date=person.birth_date,
                           id_kind=person.id_kind, id_number=person.id_number,
                           id_country=person.id_country, email=person.email,
                           phone=person.phone, instruction_language=person.instruction_language,
                           created_at=clock.now(), created_by_id=None)
        db.add(receiving)
        db.flush()
        record(db, clock, organisation_id=target.id, actor_id=None, action="person.create",
               object_type="person", object_id=receiving.id, source="transfer")
    if open_trajectory(db, target.id, receiving.id) is not None:
        raise Conflict(OPEN_EXISTS)
    row = TrajectoryTransfer(trajectory_id=trajectory.id, from_organisation_id=organisation_id,
                             from_person_id=person.id, to_organisation_id=target.id,
                             to_person_id=receiving.id, reason=text,
                             transferred_at=clock.now(), transferred_by_id=actor_id)
    db.add(row)
    trajectory.organisation_id, trajectory.person_id = target.id, receiving.id
    # The counsellor was the sending agency's; the receiving agency names its own.
    trajectory.counsellor_id = None
    for component in components(db, trajectory.id):
        component.organisation_id = target.id
        for event in events(db, component.id):
            event.organisation_id = target.id
    db.flush()
    for org in (organisation_id, target.id):
        record(db, clock, organisation_id=org, actor_id=actor_id if org == organisation_id
               else None, action="trajectory.transfer", object_type="trajectory",
               object_id=trajectory.id, from_organisation_id=organisation_id,
               to_organisation_id=target.id, transfer_id=row.id)
    return row


# -- the certificate check -----------------------------------------------------------------------


def _attest_levels(attest: Attest) -> dict[str, str]:
    levels = attest.payload.get("levels", {})
    return dict(levels.get("skills", {})) | dict(levels.get("kinds", {}))


def component_facts(db: Session, trajectory: Trajectory) -> dict[str, ComponentFacts]:
    out = {}
    for component in components(db, trajectory.id):
        attest = db.get(Attest, component.attest_id) if component.attest_id else None
        attest_levels = _attest_levels(attest) if attest and attest.revoked_at is None else None
        result_levels = None
        if component.result_id:
            from toetsbatterij.results.models import Result

            result = db.get(Result, component.result_id)
            if result is not None and result.superseded_by_id is None:
                result_levels = {e["skill"]: e["level"] for e in
                                 (result.document or {}).get("skills", []) if e.get("level")}
        out[component.kind] = ComponentFacts(component.kind, component.status, attest_levels,
                                             result_levels)
    return out


def certificate_check(db: Session, trajectory: Trajectory, on: dt.date) -> Check:
    """What the rule in force on ``on`` says of this trajectory (met, or what is missing)."""
    return default_rules().in_force(on).check(component_facts(db, trajectory))


@dataclass(frozen=True)
class ComponentView:
    component: TrajectoryComponent
    events: list[ComponentEvent]
    attest: Attest | None


def component_views(db: Session, trajectory: Trajectory) -> list[ComponentView]:
    return [ComponentView(c, events(db, c.id),
                          db.get(Attest, c.attest_id) if c.attest_id else None)
            for c in components(db, trajectory.id)]

