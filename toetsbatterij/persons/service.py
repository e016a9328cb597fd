"""Persons across sessions (SQLAlchemy, no flask; flushes, never commits; every change audited).

A person is known to one organisation: names, birth date, an identity document (a national
register or BIS number, checked by checksum and against the birth date by
``delivery.identity``, or a foreign document with its issuing country), contact details and the
instruction language. The same identity document is one person per organisation.

**Registration links, never merges silently.** Registering a candidate for a session (one by one
or by CSV import, ``delivery.sessions``) calls :func:`link_registration`:

1. a person of the same organisation with the same identity document: the candidate is linked
   to that person;
2. otherwise, persons with the same names (normalised: accents, case, hyphens and word order do
   not count) and the same birth date, but another or no identity number, are *proposed*
   (``person_match``) and the candidate stays unlinked until staff confirm one
   (:func:`confirm_match`) or reject them all (:func:`reject_match`; then the candidate becomes
   a new person);
3. otherwise the candidate becomes a new person.
"""

from __future__ import annotations

import datetime as dt
import re
import unicodedata
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from toetsbatterij.audit.service import record
from toetsbatterij.clock import Clock
from toetsbatterij.delivery.models import Attempt, Candidate, ExamSession
from toetsbatterij.errors import Conflict, InvalidInput, NotFound
from toetsbatterij.i18n import N_
from toetsbatterij.persons.models import (
    MATCH_CONFIRMED,
    MATCH_PROPOSED,
    MATCH_REJECTED,
    Person,
    PersonMatch,
)
from toetsbatterij.textinput import clean_text

LINKED, PROPOSED, CREATED = "linked", "proposed", "created"
DUPLICATE = N_("Er is al een persoon met dit identiteitsdocument.")
ERASED = N_("De gegevens van deze persoon zijn gewist (bewaartermijn): ze kunnen niet meer "
            "gewijzigd worden.")
MATCH_DECIDED = N_("Over deze mogelijke overeenkomst is al beslist.")
_EMAIL = re.compile(r"[^@\s]+@[^@\s]+\.[^@\s]+")
_PHONE = re.compile(r"\+?[0-9 ./()-]{6,40}")
_NAME_SEPARATORS = re.compile(r"[\s\-'’‘`.,]+")


@dataclass
class PersonInput:
    first_name: str
    last_name: str
    birth_date: str | dt.date
    id_kind: str
    id_number: str
    id_country: str = ""
    email: str = ""
    phone: str = ""
    instruction_language: str = "nl"


def clean_person(data: PersonInput, today: dt.date) -> dict[str, Any]:
    """Validate a person's data; InvalidInput (Dutch, with the field) on the first error. Names,
    birth date, identity document and language are checked exactly as for a candidate."""
    from toetsbatterij.delivery.sessions import CandidateInput, clean_candidate

    clean = clean_candidate(CandidateInput(
        first_name=data.first_name, last_name=data.last_name, birth_date=data.birth_date,
        id_kind=data.id_kind, id_number=data.id_number, id_country=data.id_country,
        instruction_language=data.instruction_language), today)
    email = clean_text(data.email, field="email", label=N_("E-mailadres"), max_length=200)
    if email and not _EMAIL.fullmatch(email):
        raise InvalidInput(N_("Dit is geen geldig e-mailadres."), field="email")
    phone = clean_text(data.phone, field="phone", label=N_("Telefoon"), max_length=40)
    if phone and not _PHONE.fullmatch(phone):
        raise InvalidInput(N_("Geef een telefoonnummer met cijfers (bv. +32 470 12 34 56)."),
                           field="phone")
    return {key: clean[key] for key in ("first_name", "last_name", "birth_date", "id_kind",
                                        "id_number", "id_country", "instruction_language")} \
        | {"email": email.lower(), "phone": phone}


def normalised_name(first_name: str, last_name: str) -> tuple[str, ...]:
    """The words of a full name without accents, case, hyphens or order: "José Martínez" and
    "MARTINEZ jose" are the same name; a different spelling ("Mohamed", "Mohammed") is not."""
    text = unicodedata.normalize("NFKD", f"{first_name} {last_name}")
    text = "".join(ch for ch in text if not unicodedata.combining(ch)).casefold()
    return tuple(sorted(w for w in _NAME_SEPARATORS.split(text) if w))


# -- reading -------------------------------------------------------------------------------------


def get_person(db: Session, organisation_id: int, person_id: int) -> Person:
    person = db.get(Person, person_id)
    if person is None or person.organisation_id != organisation_id:
        raise NotFound(detail=f"person {person_id} in organisation {organisation_id}")
    return person


def find_by_identity(db: Session, organisation_id: int, id_kind: str, id_number: str,
                     id_country: str = "", *, exclude_id: int | None = None) -> Person | None:
    if not id_number:
        return None
    stmt = select(Person).where(Person.organisation_id == organisation_id,
                                Person.id_kind == id_kind, Person.id_number == id_number,
                                Person.erased_at.is_(None))
    if id_kind == "foreign":
        stmt = stmt.where(Person.id_country == id_country)
    if exclude_id is not None:
        stmt = stmt.where(Person.id != exclude_id)
    return db.scalars(stmt.order_by(Person.id)).first()


def list_persons(db: Session, organisation_id: int, query: str = "",
                 limit: int = 200) -> list[Person]:
    """The agency's persons, by name; ``query`` filters on names or identity number."""
    stmt = select(Person).where(Person.organisation_id == organisation_id,
                                Person.erased_at.is_(None))
    text = (query or "").strip()[:100]
    if text:
        digits = re.sub(r"[\s.\-]", "", text)
        like = f"%{text}%"
        stmt = stmt.where(or_(Person.first_name.ilike(like), Person.last_name.ilike(like),
                              Person.id_number.ilike(f"%{digits}%")))
    return list(db.scalars(stmt.order_by(Person.last_name, Person.first_name, Person.id)
                           .limit(limit)))


def likely_matches(db: Session, organisation_id: int, *, first_name: str, last_name: str,
                   birth_date: dt.date, id_kind: str, id_number: str,
                   id_country: str = "") -> list[Person]:
    """Persons with the same normalised names and birth date whose identity document differs
    from the one given (or who have none recorded)."""
    wanted = normalised_name(first_name, last_name)
    out = []
    for person in db.scalars(select(Person).where(Person.organisation_id == organisation_id,
                                                  Person.birth_date == birth_date,
                                                  Person.erased_at.is_(None))
                             .order_by(Person.id)):
        same_document = (person.id_kind == id_kind and person.id_number == id_number
                         and (id_kind != "foreign" or person.id_country == id_country))
        if not same_document and normalised_name(person.first_name,
                                                 person.last_name) == wanted:
            out.append(person)
    return out


def candidates_of(db: Session, organisation_id: int, person_id: int) -> list[Candidate]:
    return list(db.scalars(select(Candidate).where(Candidate.organisation_id == organisation_id,
                                                   Candidate.person_id == person_id)
                           .order_by(Candidate.created_at, Candidate.id)))


# -- writing -------------------------------------------------------------------------------------


def _refuse_duplicate(db: Session, organisation_id: int, clean: dict[str, Any],
                      exclude_id: int | None = None) -> None:
    if find_by_identity(db, organisation_id, clean["id_kind"], clean["id_number"],
                        clean["id_country"], exclude_id=exclude_id) is not None:
        raise InvalidInput(DUPLICATE, field="id_number")


def create_person(db: Session, clock: Clock, *, organisation_id: int, actor_id: int | None,
                  data: PersonInput) -> Person:
    now = clock.now()
    clean = clean_person(data, now.date())
    _refuse_duplicate(db, organisation_id, clean)
    person = Person(organisation_id=organisation_id, created_at=now, created_by_id=actor_id,
                    **clean)
    db.add(person)
    db.flush()
    record(db, clock, organisation_id=organisation_id, actor_id=actor_id, action="person.create",
           object_type="person", object_id=person.id, source="staff")
    return person


def update_person(db: Session, clock: Clock, *, organisation_id: int, actor_id: int | None,
                  person_id: int, data: PersonInput) -> Person:
    person = get_person(db, organisation_id, person_id)
    if person.erased_at is not None:
        raise Conflict(ERASED)
    clean = clean_person(data, clock.now().date())
    _refuse_duplicate(db, organisation_id, clean, exclude_id=person.id)
    changed = sorted(k for k, v in clean.items() if getattr(person, k) != v)
    for key in changed:
        setattr(person, key, clean[key])
    db.flush()
    if changed:
        # The names of the fields only: the audit log never holds the personal data itself.
        record(db, clock, organisation_id=organisation_id, actor_id=actor_id,
               action="person.update", object_type="person", object_id=person.id,
               fields=changed)
    return person


def _person_from(db: Session, clock: Clock, cand: Candidate, actor_id: int | None) -> Person:
    person = Person(organisation_id=cand.organisation_id, first_name=cand.first_name,
                    last_name=cand.last_name, birth_date=cand.birth_date, id_kind=cand.id_kind,
                    id_number=cand.id_number, id_country=cand.id_country or "",
                    instruction_language=cand.instruction_language, created_at=clock.now(),
                    created_by_id=actor_id)
    db.add(person)
    db.flush()
    cand.person_id = person.id
    db.flush()
    record(db, clock, organisation_id=cand.organisation_id, actor_id=actor_id,
           action="person.create", object_type="person", object_id=person.id,
           source="registration", candidate_id=cand.id)
    return person


@dataclass(frozen=True)
class LinkOutcome:
    how: str                                   # linked | proposed | created
    person: Person | None = None               # linked or created
    proposals: list[PersonMatch] = field(default_factory=list)


def link_registration(db: Session, clock: Clock, cand: Candidate,
                      actor_id: int | None) -> LinkOutcome:
    """Link a newly registered candidate to its person (the hook of ``delivery.sessions``):
    by identity document, else propose likely matches for staff, else a new person."""
    org = cand.organisation_id
    person = find_by_identity(db, org, cand.id_kind, cand.id_number, cand.id_country or "")
    if person is not None:
        cand.person_id = person.id
        db.flush()
        record(db, clock, organisation_id=org, actor_id=actor_id, action="person.link",
               object_type="person", object_id=person.id, candidate_id=cand.id,
               by="identity")
        return LinkOutcome(LINKED, person)
    likely = likely_matches(db, org, first_name=cand.first_name, last_name=cand.last_name,
                            birth_date=cand.birth_date, id_kind=cand.id_kind,
                            id_number=cand.id_number, id_country=cand.id_country or "")
    if likely:
        now = clock.now()
        proposals = [PersonMatch(organisation_id=org, candidate_id=cand.id, person_id=p.id,
                                 status=MATCH_PROPOSED, proposed_at=now) for p in likely]
        db.add_all(proposals)
        db.flush()
        record(db, clock, organisation_id=org, actor_id=actor_id,
               action="person.match_proposed", object_type="candidate", object_id=cand.id,
               person_ids=[p.id for p in likely])
        return LinkOutcome(PROPOSED, None, proposals)
    return LinkOutcome(CREATED, _person_from(db, clock, cand, actor_id))


def open_matches(db: Session, organisation_id: int,
                 candidate_id: int | None = None) -> list[PersonMatch]:
    stmt = select(PersonMatch).where(PersonMatch.organisation_id == organisation_id,
                                     PersonMatch.status == MATCH_PROPOSED)
    if candidate_id is not None:
        stmt = stmt.where(PersonMatch.candidate_id == candidate_id)
    return list(db.scalars(stmt.order_by(PersonMatch.proposed_at, PersonMatch.id)))


def _open_match(db: Session, organisation_id: int, match_id: int) -> PersonMatch:
    match = db.get(PersonMatch, match_id)
    if match is None or match.organisation_id != organisation_id:
        raise NotFound(detail=f"person match {match_id}")
    if match.status != MATCH_PROPOSED:
        raise Conflict(MATCH_DECIDED)
    return match


def confirm_match(db: Session, clock: Clock, *, organisation_id: int, actor_id: int | None,
                  match_id: int) -> Person:
    """Staff confirm that the candidate is this person: the candidate is linked to them and the
    other proposals for the candidate are rejected. The person's data stay as they were (a new
    identity number is entered on the person's page, by staff, if it is right)."""
    match = _open_match(db, organisation_id, match_id)
    person = get_person(db, organisation_id, match.person_id)
    cand = db.get(Candidate, match.candidate_id)
    now = clock.now()
    for other in open_matches(db, organisation_id, match.candidate_id):
        other.status = MATCH_CONFIRMED if other.id == match.id else MATCH_REJECTED
        other.decided_at, other.decided_by_id = now, actor_id
    cand.person_id = person.id
    db.flush()
    record(db, clock, organisation_id=organisation_id, actor_id=actor_id,
           action="person.match_confirm", object_type="person", object_id=person.id,
           candidate_id=cand.id, match_id=match.id)
    return person


def reject_match(db: Session, clock: Clock, *, organisation_id: int, actor_id: int | None,
                 match_id: int) -> PersonMatch:
    """Staff say the candidate is not this person. When no proposal is left open for the
    candidate, the candidate becomes a new person."""
    match = _open_match(db, organisation_id, match_id)
    match.status, match.decided_at, match.decided_by_id = MATCH_REJECTED, clock.now(), actor_id
    db.flush()
    record(db, clock, organisation_id=organisation_id, actor_id=actor_id,
           action="person.match_reject", object_type="candidate", object_id=match.candidate_id,
           person_id=match.person_id, match_id=match.id)
    cand = db.get(Candidate, match.candidate_id)
    if cand.person_id is None and not open_matches(db, organisation_id, cand.id):
        _person_from(db, clock, cand, actor_id)
    return match


# -- the person's page ---------------------------------------------------------------------------


@dataclass(frozen=True)
class Registration:
    """One session the person was registered for, with the attempt, the current result and
    the attest of it (each None when there is none yet)."""

    candidate: Candidate
    session: ExamSession
    attempt: Attempt | None
    result: Any
    attest: Any


def registrations(db: Session, organisation_id: int, person_id: int) -> list[Registration]:
    from toetsbatterij.attests.models import Attest
    from toetsbatterij.results.service import current_result

    get_person(db, organisation_id, person_id)
    out = []
    for cand in candidates_of(db, organisation_id, person_id):
        attempt = db.scalar(select(Attempt).where(Attempt.candidate_id == cand.id))
        result = current_result(db, attempt.id) if attempt else None
        attest = db.scalars(select(Attest).where(Attest.candidate_id == cand.id,
                                                 Attest.organisation_id == organisation_id)
                            .order_by(Attest.issued_at.desc())).first()
        out.append(Registration(cand, db.get(ExamSession, cand.exam_session_id), attempt,
                                result, attest))
    return out


def attests_of(db: Session, organisation_id: int, person_id: int) -> list[Any]:
    """Every attest of the person's registrations in the organisation, newest first."""
    from toetsbatterij.attests.models import Attest

    return list(db.scalars(select(Attest).join(Candidate, Candidate.id == Attest.candidate_id)
                           .where(Candidate.person_id == person_id,
                                  Attest.organisation_id == organisation_id)
                           .order_by(Attest.issued_at.desc(), Attest.id.desc())))
