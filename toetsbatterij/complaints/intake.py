"""The candidate's side of a complaint (issue 17, item 5): the public complaint form, without a
login (SQLAlchemy, no flask; flushes only).

The candidate names their test with the two codes of their ticket (session code and access
code) or the number of their attest, and proves it with their birth date. A matching,
finished test gets a complaint record of its agency (channel ``online``, received today, with
the deadlines of the configuration), which the staff flow (``service``) handles; a reference
that does not match, or a birth date that does not, records nothing. **The answer is the same
either way** (:func:`file` returns nothing the page could tell apart), and so is everything
before it: the form is checked in full before any lookup, every submission counts against the
sender's limit, matched or not, and nothing about the lookup reaches the page or the log of the
sender. What a mistyped code loses (no record) the page makes up for by telling every sender
to contact the agency if they hear nothing within the acknowledgement deadline.

Rate limit: ``COMPLAINT_MAX_SUBMISSIONS`` submissions per client address (its SHA-256 only, in
the login throttle table) within an hour, then a growing delay (``delivery.throttle``).
"""

from __future__ import annotations

import datetime as dt
import secrets
from collections.abc import Iterable
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from toetsbatterij.attests import numbers
from toetsbatterij.attests.models import Attest
from toetsbatterij.attests.rulesets import DEFAULT_TZ
from toetsbatterij.clock import Clock
from toetsbatterij.complaints import service
from toetsbatterij.complaints.models import ONLINE, RESULT, SUBJECTS
from toetsbatterij.delivery import throttle
from toetsbatterij.delivery.models import FINISHED, Attempt, Candidate, ExamSession
from toetsbatterij.delivery.sessions import normalise_code
from toetsbatterij.errors import DomainError, InvalidInput
from toetsbatterij.i18n import N_
from toetsbatterij.textinput import clean_text

SCOPE = "complaint"
WINDOW = dt.timedelta(hours=1)
BASE_DELAY = dt.timedelta(minutes=1)
LOCK = dt.timedelta(hours=1)

# The candidate-facing messages (translated in every candidate language).
NO_REFERENCE = N_("Vul de twee codes van uw ticket in, of het nummer van uw attest.")
BAD_BIRTH_DATE = N_("Vul uw geboortedatum in als datum (JJJJ-MM-DD).")
CHOOSE_SUBJECT = N_("Kies waarover uw klacht gaat.")
CHOOSE_SKILL = N_("Kies de delen van de toets waarover uw klacht gaat.")
TEXT_LABEL = N_("Uw klacht")
CONTACT_LABEL = N_("Hoe kunnen we u bereiken?")


class IntakeThrottled(DomainError):
    http_status = 429
    keeps_changes = True  # the counted submission stays
    default_message = N_("U hebt veel berichten na elkaar gestuurd. Probeer het over een uur "
                         "opnieuw.")


def parse_birth_date(raw: str | None) -> dt.date:
    text = (raw or "").strip()
    try:
        return dt.date.fromisoformat(text)
    except ValueError:
        raise InvalidInput(BAD_BIRTH_DATE, field="birth_date") from None


def _same_date(a: dt.date, b: dt.date) -> bool:
    return secrets.compare_digest(a.isoformat(), b.isoformat())


def identify(db: Session, *, session_code: str = "", access_code: str = "",
             attest_number: str = "", birth_date: dt.date) -> Attempt | None:
    """The finished (or ended) attempt the reference and birth date name, else None."""
    cand: Candidate | None = None
    number = numbers.normalise(attest_number)
    if number and numbers.is_valid_number(number):
        attest = db.scalar(select(Attest).where(Attest.number == number))
        if attest is not None:
            cand = db.get(Candidate, attest.candidate_id)
    elif session_code and access_code:
        cand = db.scalar(select(Candidate).join(ExamSession,
                                                ExamSession.id == Candidate.exam_session_id)
                         .where(ExamSession.code == normalise_code(session_code),
                                Candidate.access_code == normalise_code(access_code)))
    if cand is None or cand.erased_at is not None or not _same_date(cand.birth_date, birth_date):
        return None
    attempt = db.scalar(select(Attempt).where(Attempt.candidate_id == cand.id))
    if attempt is None or attempt.state not in (FINISHED, "ended"):
        return None
    return attempt


def file(db: Session, clock: Clock, forms: Any, *, session_code: str = "",
         access_code: str = "", attest_number: str = "", birth_date: str | None,
         subject: str, skills: Iterable[str], text: str, contact: str, language: str,
         client: str, max_submissions: int = 5,
         policy: service.DeadlinePolicy = service.DEFAULT_POLICY,
         tz: str = DEFAULT_TZ) -> None:
    """File a complaint from the public form (see the module docstring). Returns nothing:
    the page says the same whether a complaint was recorded or not."""
    backoff = throttle.Backoff(max_submissions, BASE_DELAY, LOCK, WINDOW)
    key = client or "-"
    if throttle.locked_until(db, clock, SCOPE, key) is not None:
        raise IntakeThrottled(detail="complaint form throttled for this client")
    # Everything is checked before any lookup: an error never depends on the reference.
    if not (attest_number.strip() or (session_code.strip() and access_code.strip())):
        raise InvalidInput(NO_REFERENCE, field="reference")
    born = parse_birth_date(birth_date)
    if subject not in SUBJECTS:
        raise InvalidInput(CHOOSE_SUBJECT, field="subject")
    chosen = [s for s in dict.fromkeys(skills) if s in service.SKILLS]
    if len(chosen) != len(list(dict.fromkeys(skills))) or (subject == RESULT and not chosen):
        raise InvalidInput(CHOOSE_SKILL, field="skills")
    body = clean_text(text, field="text", label=TEXT_LABEL, max_length=5000, required=True,
                      multiline=True)
    reach = clean_text(contact, field="contact", label=CONTACT_LABEL, max_length=200)
    throttle.count_failure(db, clock, SCOPE, key, backoff, WINDOW)  # every submission counts
    attempt = identify(db, session_code=session_code, access_code=access_code,
                       attest_number=attest_number, birth_date=born)
    if attempt is None:
        return
    known = set(service.form_skills(db, forms, attempt))
    service.record_complaint(
        db, clock, forms, organisation_id=attempt.organisation_id, actor_id=None,
        attempt_id=attempt.id, subject=subject, skills=[s for s in chosen if s in known],
        channel=ONLINE, received_on=None, text=body, contact=reach, language=language,
        policy=policy, tz=tz)
