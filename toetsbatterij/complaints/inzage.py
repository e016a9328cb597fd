"""*Inzage*: the candidate looks at their own answers and sub-scores (issue 13, item 5), on a
screen an agency admin opens (in the exam room, at the desk, from a complaint or a result).

What it shows, from the frozen result and the stored responses: the levels per skill (the score
report's texts), per machine-scored section how many answers were correct, partly correct or
wrong (operational items only: pretest items do not count), and per writing or speaking task
the candidate's **own** answer (the text; the recording is played from the staff page) with the
resolved score per rubric criterion. What it never shows: an item's stem, options, key,
stimulus or the task's prompt. Those items stay in use; a candidate who saw them could pass
them on. Tasks are named by their number ("Taak 1"), items not at all.

The texts are in Dutch and, beside them, in the candidate's instruction language (candidate-
facing: translated in every candidate language).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from toetsbatterij.delivery.models import Attempt, Presentation, Response
from toetsbatterij.i18n import LANGUAGES, N_, SOURCE_LANGUAGE, Translate, identity
from toetsbatterij.reports.report import Bilingual, build_report, report_texts
from toetsbatterij.results.models import Result

TITLE = N_("Inzage in uw toets")
INTRO = N_("Hier ziet u uw eigen antwoorden en uw scores. De vragen zelf ziet u niet: ze worden "
           "nog gebruikt in andere toetsen.")
CORRECT = N_("Juist")
PARTLY = N_("Deels juist")
WRONG = N_("Fout")
ANSWERED = N_("Beantwoorde vragen")
TASK = N_("Taak %(number)s")
YOUR_TEXT = N_("Uw tekst")
YOUR_RECORDING = N_("Uw opname")
NO_ANSWER = N_("Geen antwoord")
CRITERION = N_("Criterium")
SCORE = N_("Score")
SCORE_OF = N_("%(score)s van %(max)s")
TEXTS = {"title": TITLE, "intro": INTRO, "correct": CORRECT, "partly": PARTLY, "wrong": WRONG,
         "answered": ANSWERED, "your_text": YOUR_TEXT, "your_recording": YOUR_RECORDING,
         "no_answer": NO_ANSWER, "criterion": CRITERION, "score": SCORE}


@dataclass(frozen=True)
class Criterion:
    name: str          # the rubric criterion's name (Dutch, as on the rubric)
    score: str         # "1,5 van 2" in Dutch and in the candidate's language
    score_own: str | None


@dataclass(frozen=True)
class Production:
    number: int                  # "Taak 1", "Taak 2" within the section
    label: Bilingual
    text: str | None             # writing: the candidate's own text
    recording: str | None        # speaking: the take uid (the staff page plays it)
    criteria: tuple[Criterion, ...]


@dataclass(frozen=True)
class Section:
    skill: str
    name: Bilingual
    level: Bilingual
    correct: int = 0
    partly: int = 0
    wrong: int = 0
    productions: tuple[Production, ...] = ()

    @property
    def answered(self) -> int:
        return self.correct + self.partly + self.wrong


@dataclass(frozen=True)
class Inzage:
    result_id: int
    attempt_id: int
    language: str
    rtl: bool
    texts: dict[str, Bilingual]
    report: Any                       # reports.report.ReportTexts (name, test, levels)
    sections: tuple[Section, ...] = field(default_factory=tuple)


def _number(value: float) -> str:
    return f"{value:.1f}".replace(".", ",").replace(",0", "")


def build(db: Session, forms: Any, result: Result, *, timezone: str,
          translator: Callable[[str], Translate] | None) -> Inzage:
    """The inzage of ``result`` (see the module docstring). Reads only."""
    report = build_report(db, result, timezone=timezone)
    texts = report_texts(report, translator)
    code = texts.language
    own_t: Translate | None = translator(code) if translator and code != SOURCE_LANGUAGE \
        else None

    def both(msgid: str, **params: Any) -> Bilingual:
        return Bilingual(identity(msgid, **params),
                         own_t(msgid, **params) if own_t is not None else None)

    attempt = db.get(Attempt, result.attempt_id)
    assert attempt is not None
    form = forms.for_attempt(db, attempt)
    rows = list(db.execute(
        select(Presentation.section_index, Response.item_id, Response.score, Response.raw,
               Response.id)
        .join(Presentation, Presentation.id == Response.presentation_id)
        .where(Response.attempt_id == attempt.id, Presentation.section_index >= 0,
               Response.counts.is_(True))
        .order_by(Presentation.section_index, Presentation.position, Response.id)))
    resolved = {int(p["response_id"]): p for p in result.document.get("productions", [])}
    skill_texts = {s.skill: s for s in texts.skills}
    sections = []
    for entry in result.document.get("skills", []):
        index, skill = int(entry["section_index"]), str(entry["skill"])
        mine = [r for r in rows if r[0] == index]
        correct = partly = wrong = 0
        productions = []
        for _, item_id, score, raw, response_id in mine:
            item = form.item(item_id)
            if item.rated:
                number = len(productions) + 1
                rubric = form.rubric_of(item_id)
                means = (resolved.get(response_id) or {}).get("criterion_means", {})
                criteria = []
                for c in (rubric.criteria if rubric is not None else ()):
                    if c.id not in means:
                        continue
                    value, top = _number(float(means[c.id])), str(c.max_score)
                    criteria.append(Criterion(
                        c.name or c.id, identity(SCORE_OF, score=value, max=top),
                        own_t(SCORE_OF, score=value, max=top) if own_t else None))
                speaking = skill == "speaking"
                productions.append(Production(
                    number, both(TASK, number=number),
                    None if speaking else (raw if isinstance(raw, str) else ""),
                    raw if speaking and isinstance(raw, str) else None, tuple(criteria)))
            elif score is not None:
                top = item.max_score
                if score >= top:
                    correct += 1
                elif score > 0:
                    partly += 1
                else:
                    wrong += 1
        text = skill_texts.get(skill)
        sections.append(Section(
            skill, text.name if text else Bilingual(skill),
            text.verdict if text else Bilingual(str(entry.get("level") or "")),
            correct, partly, wrong, tuple(productions)))
    return Inzage(result.id, attempt.id, code, LANGUAGES[code].rtl,
                  {k: both(v) for k, v in TEXTS.items()}, texts, tuple(sections))


def recording_of(inzage: Inzage, number: int) -> str | None:
    """The take uid of the ``number``-th speaking production (1-based), or None."""
    takes = [p.recording for s in inzage.sections for p in s.productions if p.recording]
    return takes[number - 1] if 1 <= number <= len(takes) else None
