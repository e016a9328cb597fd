"""The candidate's score report: a plain data object built from a frozen result, and its texts.

:class:`ScoreReport` holds what the candidate may read: the levels per skill, the test's name,
the date it was taken, the agency, the candidate's name and birth date. Never θ, SE, item texts,
bank ids or ratings (the staff result page shows those). :func:`report_texts` turns it into the
texts of the report in Dutch and, beside them, in the candidate's instruction language: the HTML
page (web layer) and the PDF (``reports.pdf``) print exactly these.

Flask-free: the caller passes a translator (``toetsbatterij.i18n.translator``).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy.orm import Session

from toetsbatterij.delivery.models import Attempt, Candidate, TestDefinitionRecord
from toetsbatterij.errors import Conflict, NotFound
from toetsbatterij.i18n import LANGUAGES, N_, SOURCE_LANGUAGE, Translate, identity
from toetsbatterij.organisations.models import Organisation
from toetsbatterij.reports import levels

TITLE = N_("Uw resultaat van de toets Nederlands")
#: How to file a complaint (the same sentences as the finished screen, issue 17 item 5).
COMPLAINT = (N_("Niet akkoord met uw resultaat?"),
             N_("U kunt een klacht indienen over uw resultaat of over hoe de toets verliep."),
             N_("Houd de twee codes van uw ticket bij, of het nummer van uw attest. U hebt ze "
                "nodig, met uw geboortedatum."))
NOT_AN_ATTEST = N_("Dit is geen attest. Dit blad toont alleen uw resultaat. Het attest krijgt u "
                   "apart van het agentschap.")
YOUR_LEVEL = N_("Uw niveau: %(level)s")
NO_LEVEL = N_("geen niveau (niet genoeg antwoorden)")
FIELD_LABELS = {
    "name": N_("Naam"),
    "birth_date": N_("Geboortedatum"),
    "test": N_("Toets"),
    "taken_on": N_("Datum van de toets"),
    "organisation": N_("Agentschap"),
}
DATE_FORMAT = "%d/%m/%Y"


@dataclass(frozen=True)
class SkillLevel:
    skill: str      # reading | listening | writing | speaking
    level: str      # "below_A1", "A1" .. "C1"; "" when the skill has no decision


@dataclass(frozen=True)
class ScoreReport:
    """What the candidate's report says, and nothing else."""

    result_id: int
    organisation_id: int
    attempt_id: int
    test_name: str
    organisation: str
    first_name: str
    last_name: str
    birth_date: dt.date
    taken_on: dt.date
    language: str                       # the candidate's instruction language
    skills: tuple[SkillLevel, ...]

    @property
    def full_name(self) -> str:
        return f"{self.first_name} {self.last_name}".strip()

    def level_of(self, skill: str) -> str | None:
        return next((s.level for s in self.skills if s.skill == skill), None)


class NotReleased(NotFound):
    """The candidate asked for a report that is not released (or not frozen) yet."""

    default_message = N_("Uw resultaat is er nog niet. U krijgt het later van het agentschap.")


class IdentityErased(Conflict):
    default_message = N_("De persoonsgegevens van deze kandidaat zijn gewist: er kan geen "
                         "rapport meer gemaakt worden.")


def skill_levels(document: Mapping[str, Any]) -> tuple[SkillLevel, ...]:
    """The skills of a result document (``results-api``: ``document["skills"]``, in section
    order), one per skill (a skill in two sections keeps its last decision)."""
    found: dict[str, str] = {}
    for entry in document.get("skills") or ():
        found[str(entry["skill"])] = str(entry.get("level") or "")
    return tuple(SkillLevel(skill, level) for skill, level in found.items())


def build_report(db: Session, result: Any, *, timezone: str) -> ScoreReport:
    """The report of ``result`` (a ``results.models.Result``). Refused (``IdentityErased``) once
    the candidate's identity was removed after its retention."""
    attempt = db.get(Attempt, result.attempt_id)
    if attempt is None or attempt.organisation_id != result.organisation_id:
        raise Conflict(None, detail=f"result {result.id} without its attempt")
    cand = db.get(Candidate, attempt.candidate_id)
    if cand is None or cand.erased_at is not None:
        raise IdentityErased(None, detail=f"result {result.id}: candidate erased")
    definition = db.get(TestDefinitionRecord, attempt.test_definition_id)
    org = db.get(Organisation, attempt.organisation_id)
    taken = attempt.started_at
    if taken.tzinfo is None:  # SQLite returns naive UTC
        taken = taken.replace(tzinfo=dt.UTC)
    return ScoreReport(
        result_id=int(result.id), organisation_id=int(result.organisation_id),
        attempt_id=attempt.id, test_name=definition.name if definition else "",
        organisation=org.name if org else "", first_name=cand.first_name,
        last_name=cand.last_name, birth_date=cand.birth_date,
        taken_on=taken.astimezone(ZoneInfo(timezone)).date(),
        language=cand.instruction_language or SOURCE_LANGUAGE,
        skills=skill_levels(result.document))


# -- the texts of the report -------------------------------------------------------------------


@dataclass(frozen=True)
class Bilingual:
    """One text in Dutch and in the candidate's language (``own`` None when that is Dutch, or
    when the medium cannot show the language's script)."""

    nl: str
    own: str | None = None


@dataclass(frozen=True)
class SkillText:
    skill: str
    level: str
    name: Bilingual          # "Lezen"
    verdict: Bilingual       # "Uw niveau: A2"
    meaning: Bilingual | None  # what the level means for this skill, in everyday words


@dataclass(frozen=True)
class Field:
    key: str
    label: Bilingual
    value: str


@dataclass(frozen=True)
class ReportTexts:
    language: str            # the language of ``own`` ("nl" when there is none)
    rtl: bool
    title: Bilingual
    notice: Bilingual
    fields: tuple[Field, ...]
    skills: tuple[SkillText, ...]
    scale: Bilingual
    complaint: Bilingual | None = None


def report_texts(report: ScoreReport, translator: Callable[[str], Translate] | None, *,
                 show_own: bool = True) -> ReportTexts:
    """The report's texts in Dutch and, with ``translator`` and ``show_own``, in the candidate's
    instruction language."""
    code = report.language if report.language in LANGUAGES else SOURCE_LANGUAGE
    own_t: Translate | None = None
    if translator is not None and show_own and code != SOURCE_LANGUAGE:
        own_t = translator(code)

    def both(msgid: str, **params: Any) -> Bilingual:
        return Bilingual(identity(msgid, **params),
                         own_t(msgid, **params) if own_t is not None else None)

    def level_text(t: Translate, level: str) -> str:
        if not level:
            return t(YOUR_LEVEL, level=t(NO_LEVEL))
        name = levels.level_name(level)
        return t(YOUR_LEVEL, level=t(name) if name != level else level)

    skills = []
    for entry in report.skills:
        meaning = levels.meaning(entry.skill, entry.level)
        skills.append(SkillText(
            skill=entry.skill, level=entry.level,
            name=both(levels.skill_name(entry.skill)) if entry.skill in levels.MEANINGS
            else Bilingual(entry.skill),
            verdict=Bilingual(level_text(identity, entry.level),
                              level_text(own_t, entry.level) if own_t is not None else None),
            meaning=both(meaning) if meaning else None))
    values = {"name": report.full_name, "birth_date": report.birth_date.strftime(DATE_FORMAT),
              "test": report.test_name, "taken_on": report.taken_on.strftime(DATE_FORMAT),
              "organisation": report.organisation}
    own_code = code if own_t is not None else SOURCE_LANGUAGE
    return ReportTexts(
        language=own_code, rtl=LANGUAGES[own_code].rtl, title=both(TITLE),
        notice=both(NOT_AN_ATTEST),
        fields=tuple(Field(key, both(label), values[key]) for key, label in FIELD_LABELS.items()),
        skills=tuple(skills), scale=both(levels.SCALE),
        complaint=Bilingual(" ".join(identity(m) for m in COMPLAINT),
                            " ".join(own_t(m) for m in COMPLAINT) if own_t is not None else None))
