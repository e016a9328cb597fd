"""Exam sessions and candidate registration (form and CSV import). Scoped by organisation."""

from __future__ import annotations

import datetime as dt
import re
import secrets
from dataclasses import dataclass, field

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from toetsbatterij import csvfiles
from toetsbatterij.audit.service import record
from toetsbatterij.clock import Clock
from toetsbatterij.delivery import accommodations
from toetsbatterij.delivery.identity import validate_national_number
from toetsbatterij.delivery.models import (
    Attempt,
    Candidate,
    ExamSession,
    TestDefinitionRecord,
)
from toetsbatterij.errors import Conflict, InvalidInput, NotFound
from toetsbatterij.i18n import N_, staff_language_names
from toetsbatterij.organisations.service import get_location
from toetsbatterij.textinput import clean_text

# No 0/O, 1/I/L: codes are typed from paper by people unused to keyboards.
CODE_ALPHABET = "ABCDEFGHJKMNPQRSTUVWXYZ23456789"
# Single source of truth: toetsbatterij.i18n.LANGUAGES (a catalog exists for each). Code -> Dutch name.
INSTRUCTION_LANGUAGES = staff_language_names()


def new_code(length: int) -> str:
    return "".join(secrets.choice(CODE_ALPHABET) for _ in range(length))


def normalise_code(raw: str) -> str:
    return "".join(ch for ch in (raw or "").upper() if ch.isalnum())


# -- sessions ------------------------------------------------------------------------------------


def create_session(db: Session, clock: Clock, *, organisation_id: int, actor_id: int | None,
                   location_id: int, test_definition_id: int, starts_at: dt.datetime,
                   ends_at: dt.datetime, bank_version: str | None = None) -> ExamSession:
    get_location(db, organisation_id, location_id)  # raises NotFound across tenants
    definition = db.get(TestDefinitionRecord, test_definition_id)
    if definition is None or (bank_version is not None
                              and definition.bank_version != bank_version):
        raise InvalidInput("Kies een toets uit de lijst.", field="test_definition_id")
    if ends_at <= starts_at:
        raise InvalidInput("Het einde moet na het begin liggen.", field="ends_at")
    if ends_at - starts_at > dt.timedelta(hours=14):
        raise InvalidInput("Een sessie duurt hoogstens 14 uur.", field="ends_at")
    for _ in range(10):
        code = new_code(6)
        if db.scalar(select(ExamSession.id).where(ExamSession.code == code)) is None:
            break
    sess = ExamSession(organisation_id=organisation_id, location_id=location_id,
                       test_definition_id=test_definition_id, code=code, starts_at=starts_at,
                       ends_at=ends_at, created_by=actor_id, created_at=clock.now())
    db.add(sess)
    db.flush()
    record(db, clock, organisation_id=organisation_id, actor_id=actor_id, action="session.create",
           object_type="exam_session", object_id=sess.id, code=code)
    return sess


def list_sessions(db: Session, organisation_id: int) -> list[ExamSession]:
    return list(db.scalars(select(ExamSession).where(ExamSession.organisation_id == organisation_id)
                           .order_by(ExamSession.starts_at.desc())))


def get_session(db: Session, organisation_id: int, session_id: int) -> ExamSession:
    sess = db.scalar(select(ExamSession).where(ExamSession.id == session_id,
                                               ExamSession.organisation_id == organisation_id))
    if sess is None:
        raise NotFound(detail=f"session {session_id} in organisation {organisation_id}")
    return sess


def open_session(db: Session, clock: Clock, *, organisation_id: int, actor_id: int | None,
                 session_id: int) -> ExamSession:
    sess = get_session(db, organisation_id, session_id)
    now = clock.now()
    if now >= sess.ends_at:
        raise Conflict("Deze sessie is al voorbij en kan niet meer geopend worden.")
    if sess.opened_at is None:
        sess.opened_at = now
        record(db, clock, organisation_id=organisation_id, actor_id=actor_id,
               action="session.open", object_type="exam_session", object_id=sess.id)
    db.flush()
    return sess


def session_accepts_logins(sess: ExamSession, now: dt.datetime) -> bool:
    return (sess.opened_at is not None and sess.closed_at is None
            and sess.starts_at <= now < sess.ends_at)


# -- candidates ----------------------------------------------------------------------------------


@dataclass
class CandidateInput:
    first_name: str
    last_name: str
    birth_date: str | dt.date
    id_kind: str
    id_number: str
    id_country: str = ""
    instruction_language: str = "nl"
    extra_time_percent: int | str = 0
    larger_text: bool | str = False
    extra_audio_plays: int | str = 0
    speaking_prep_percent: int | str = 0
    # A profile code of the attest rules (the web layer offers those in force), or "".
    purpose: str = ""


def parse_date(raw: str | dt.date) -> dt.date:
    if isinstance(raw, dt.date):
        return raw
    text = (raw or "").strip()
    for fmt in ("%Y-%m-%d", "%d/%m/%Y", "%d-%m-%Y", "%d.%m.%Y"):
        try:
            return dt.datetime.strptime(text, fmt).date()  # noqa: DTZ007 - a date, no time
        except ValueError:
            continue
    raise InvalidInput("Geef de geboortedatum als DD/MM/JJJJ.", field="birth_date")


def clean_candidate(data: CandidateInput, today: dt.date) -> dict:
    """Validate one registration; raise InvalidInput (Dutch, with the field) on the first error."""
    first = clean_text(data.first_name, field="first_name", label=N_("Voornaam"),
                       max_length=100)
    last = clean_text(data.last_name, field="last_name", label=N_("Achternaam"), max_length=100)
    if not first:
        raise InvalidInput("Geef de voornaam.", field="first_name")
    if not last:
        raise InvalidInput("Geef de achternaam.", field="last_name")
    id_number = clean_text(data.id_number, field="id_number", label=N_("Nummer"), max_length=40)
    country = clean_text(data.id_country, field="id_country", label=N_("Land"),
                         max_length=2).upper()
    birth = parse_date(data.birth_date)
    age_years = (today - birth).days / 365.25
    if not 14 <= age_years <= 110:
        raise InvalidInput("Deze geboortedatum is niet mogelijk voor een kandidaat.",
                           field="birth_date")
    kind = data.id_kind
    if kind in ("rrn", "bis"):
        number = validate_national_number(id_number, kind, birth)
        country = "BE"
    elif kind == "foreign":
        number = id_number
        if not 4 <= len(number) <= 40:
            raise InvalidInput("Geef het nummer van het buitenlandse document.", field="id_number")
        if len(country) != 2 or not country.isalpha():
            raise InvalidInput("Geef het land van het document (landcode, bv. MA).",
                               field="id_country")
    else:
        raise InvalidInput("Kies rijksregisternummer, BIS-nummer of buitenlands document.",
                           field="id_kind")
    lang = (data.instruction_language or "nl").strip().lower()
    if lang not in INSTRUCTION_LANGUAGES:
        raise InvalidInput("Onbekende taal voor de instructies.", field="instruction_language")
    purpose = (data.purpose or "").strip()
    if not re.fullmatch(r"[a-z0-9][a-z0-9_-]{0,39}|", purpose):
        raise InvalidInput("Kies een doel uit de lijst.", field="purpose")
    extra = accommodations.clean(
        extra_time_percent=data.extra_time_percent, larger_text=data.larger_text,
        extra_audio_plays=data.extra_audio_plays,
        speaking_prep_percent=data.speaking_prep_percent)
    return {"first_name": first, "last_name": last, "birth_date": birth, "id_kind": kind,
            "id_number": number, "id_country": country, "instruction_language": lang,
            "purpose": purpose, **extra}


def _check_not_started(sess: ExamSession, now: dt.datetime) -> None:
    if sess.closed_at is not None or now >= sess.ends_at:
        raise Conflict("Deze sessie is afgelopen; u kunt geen kandidaten meer inschrijven.")


def _duplicate(db: Session, sess: ExamSession, kind: str, number: str) -> bool:
    return db.scalar(select(Candidate.id).where(Candidate.exam_session_id == sess.id,
                                                Candidate.id_kind == kind,
                                                Candidate.id_number == number)) is not None


def _unique_access_code(db: Session, session_id: int, taken: set[str]) -> str:
    while True:
        code = new_code(8)
        if code in taken:
            continue
        if db.scalar(select(Candidate.id).where(Candidate.exam_session_id == session_id,
                                                Candidate.access_code == code)) is None:
            taken.add(code)
            return code


def register_candidate(db: Session, clock: Clock, *, organisation_id: int, actor_id: int | None,
                       session_id: int, data: CandidateInput) -> Candidate:
    sess = get_session(db, organisation_id, session_id)
    now = clock.now()
    _check_not_started(sess, now)
    clean = clean_candidate(data, now.date())
    if _duplicate(db, sess, clean["id_kind"], clean["id_number"]):
        raise InvalidInput("Deze kandidaat is al ingeschreven voor deze sessie.", field="id_number")
    cand = Candidate(organisation_id=organisation_id, exam_session_id=sess.id,
                     access_code=_unique_access_code(db, sess.id, set()), created_at=now, **clean)
    db.add(cand)
    db.flush()
    record(db, clock, organisation_id=organisation_id, actor_id=actor_id,
           action="candidate.register", object_type="candidate", object_id=cand.id,
           session_id=sess.id)
    link_person(db, clock, cand, actor_id)
    return cand


def link_person(db: Session, clock: Clock, cand: Candidate, actor_id: int | None) -> None:
    """The person across sessions (``toetsbatterij.persons``): linked by identity document, or
    likely matches proposed to staff, never merged silently."""
    from toetsbatterij.persons.service import link_registration

    link_registration(db, clock, cand, actor_id)


# The first five are required; the accommodation columns may be left out or empty.
CSV_COLUMNS = ("voornaam", "achternaam", "geboortedatum", "identiteit", "nummer", "land", "taal",
               "extra_tijd", "grote_tekst", "extra_beluisteren", "extra_voorbereiding")
_KIND_WORDS = {"rrn": "rrn", "rijksregisternummer": "rrn", "bis": "bis", "bis-nummer": "bis",
               "bisnummer": "bis", "buitenlands": "foreign", "document": "foreign",
               "foreign": "foreign", "paspoort": "foreign"}


@dataclass
class ImportReport:
    created: list[Candidate] = field(default_factory=list)
    errors: list[tuple[int, str, str]] = field(default_factory=list)  # (line, field, message)

    @property
    def ok(self) -> bool:
        return not self.errors


def import_candidates_csv(db: Session, clock: Clock, *, organisation_id: int,
                          actor_id: int | None, session_id: int, text: str) -> ImportReport:
    """Import a CSV (``;`` or ``,``; header row with CSV_COLUMNS). All-or-nothing: when any row
    is wrong nothing is imported and every wrong row is reported, so a corrected file can be
    imported again without creating duplicates."""
    sess = get_session(db, organisation_id, session_id)
    now = clock.now()
    _check_not_started(sess, now)
    report = ImportReport()
    _dialect, rows = csvfiles.read_rows(text)
    header = [h.strip().lower() for h in (rows[0].cells or [])] if rows else []
    missing = [c for c in CSV_COLUMNS[:5] if c not in header]
    if missing:
        report.errors.append((1, "kolommen", "Ontbrekende kolom(men): " + ", ".join(missing)))
        return report
    cleaned: list[dict] = []
    seen: set[tuple[str, str]] = set()
    for parsed in rows[1:]:
        line = parsed.line
        if parsed.cells is None:
            report.errors.append((line, "rij", parsed.error or ""))
            continue
        row = {k: (v or "").strip() for k, v in zip(header, parsed.cells, strict=False) if k}
        if not any(row.values()):
            continue
        kind = _KIND_WORDS.get(row.get("identiteit", "").lower())
        if kind is None:
            report.errors.append((line, "identiteit",
                                  "Gebruik rrn, bis of buitenlands als identiteit."))
            continue
        try:
            clean = clean_candidate(CandidateInput(
                first_name=row.get("voornaam", ""), last_name=row.get("achternaam", ""),
                birth_date=row.get("geboortedatum", ""), id_kind=kind,
                id_number=row.get("nummer", ""), id_country=row.get("land", ""),
                instruction_language=row.get("taal", "") or "nl",
                extra_time_percent=row.get("extra_tijd", "") or 0,
                larger_text=row.get("grote_tekst", ""),
                extra_audio_plays=row.get("extra_beluisteren", "") or 0,
                speaking_prep_percent=row.get("extra_voorbereiding", "") or 0), now.date())
        except InvalidInput as exc:
            report.errors.append((line, exc.field or "", exc.message))
            continue
        ident = (clean["id_kind"], clean["id_number"])
        if ident in seen or _duplicate(db, sess, *ident):
            report.errors.append((line, "nummer", "Deze kandidaat staat er al in."))
            continue
        seen.add(ident)
        cleaned.append(clean)
    if not cleaned and not report.errors:
        report.errors.append((1, "bestand", "Het bestand bevat geen kandidaten."))
    if report.errors:
        return report
    taken: set[str] = set()
    for clean in cleaned:
        cand = Candidate(organisation_id=organisation_id, exam_session_id=sess.id,
                         access_code=_unique_access_code(db, sess.id, taken), created_at=now,
                         **clean)
        db.add(cand)
        report.created.append(cand)
    db.flush()
    record(db, clock, organisation_id=organisation_id, actor_id=actor_id,
           action="candidate.import", object_type="exam_session", object_id=sess.id,
           count=len(cleaned))
    for cand in report.created:
        link_person(db, clock, cand, actor_id)
    return report


def list_candidates(db: Session, organisation_id: int, session_id: int) -> list[Candidate]:
    sess = get_session(db, organisation_id, session_id)
    return list(db.scalars(select(Candidate).where(Candidate.exam_session_id == sess.id)
                           .order_by(Candidate.last_name, Candidate.first_name)))


def get_candidate(db: Session, organisation_id: int, candidate_id: int) -> Candidate:
    cand = db.scalar(select(Candidate).where(Candidate.id == candidate_id,
                                             Candidate.organisation_id == organisation_id))
    if cand is None:
        raise NotFound(detail=f"candidate {candidate_id}")
    return cand


def count_candidates(db: Session, session_id: int) -> int:
    return db.scalar(select(func.count(Candidate.id))
                     .where(Candidate.exam_session_id == session_id)) or 0


def attempt_of(db: Session, candidate_id: int) -> Attempt | None:
    return db.scalar(select(Attempt).where(Attempt.candidate_id == candidate_id))


def record_tickets_printed(db: Session, clock: Clock, *, organisation_id: int, actor_id: int,
                           session_id: int) -> ExamSession:
    """Tickets carry the access codes: every print is in the audit log."""
    sess = get_session(db, organisation_id, session_id)
    record(db, clock, organisation_id=organisation_id, actor_id=actor_id, action="tickets.print",
           object_type="exam_session", object_id=sess.id)
    return sess
