"""The results for staff and for the candidate: lists with filters, the CSV export, a result's
detail, the release to the candidate. No flask.

**Who sees what** (the web layer enforces the roles; see ``docs/privacy.md``):

- the agency admin: every result of the agency with the candidate's name and birth date, the
  detail, the CSV, the candidate's report (PDF), and the release;
- the psychometrician: the same lists, detail and CSV *without* names and birth dates (an
  attempt number instead): the psychometric work needs the numbers, not the person;
- proctors and raters: no results (the exam day, and blind rating).

Nobody on a staff page sees an item's text or bank id: the path of a section shows each unit's
position, its kind and the scores of its items. Rater names are shown for raters of the same
agency; a rater of another agency (a shared pool) is shown as such, without a name.

**The candidate** sees the current result of their attempt once it is released
(:func:`released_result`).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import IO, Any
from zoneinfo import ZoneInfo

from sqlalchemy import select
from sqlalchemy.orm import Session

from toetsbatterij import csvfiles
from toetsbatterij.accounts.models import StaffAccount
from toetsbatterij.audit.service import record
from toetsbatterij.clock import Clock
from toetsbatterij.delivery.definitions import SKILLS
from toetsbatterij.delivery.models import (
    Attempt,
    Candidate,
    ExamSession,
    Presentation,
    Response,
    TestDefinitionRecord,
)
from toetsbatterij.errors import Conflict, InvalidInput
from toetsbatterij.i18n import N_
from toetsbatterij.reports import levels
from toetsbatterij.reports.models import ResultRelease
from toetsbatterij.results import service as results
from toetsbatterij.results.models import Result

CURRENT, SUPERSEDED, ALL = "current", "superseded", "all"
STATUSES = (CURRENT, SUPERSEDED, ALL)


# -- release ------------------------------------------------------------------------------------


def release_of(db: Session, result_id: int) -> ResultRelease | None:
    return db.scalar(select(ResultRelease).where(ResultRelease.result_id == result_id))


def release(db: Session, clock: Clock, *, organisation_id: int, result_ids: Iterable[int],
            actor_id: int | None) -> list[ResultRelease]:
    """Release current results of the agency to their candidates; a result released already
    stays as it was (returned too). A superseded result cannot be released (Conflict)."""
    out = []
    for result_id in result_ids:
        result = results.get_result(db, organisation_id, result_id)
        existing = release_of(db, result.id)
        if existing is not None:
            out.append(existing)
            continue
        if not result.current:
            raise Conflict("Dit resultaat is vervangen door een correctie: geef het nieuwe "
                           "resultaat vrij.", detail=f"result {result.id} superseded")
        row = ResultRelease(organisation_id=organisation_id, result_id=result.id,
                            released_at=clock.now(), released_by_id=actor_id)
        db.add(row)
        db.flush()
        record(db, clock, organisation_id=organisation_id, actor_id=actor_id,
               action="result.release", object_type="result", object_id=result.id,
               attempt_id=result.attempt_id, revision=result.revision)
        out.append(row)
    return out


def unreleased_of_session(db: Session, organisation_id: int, session_id: int) -> list[Result]:
    """The current results of a session not released yet."""
    return [r for r in results.current_results(db, organisation_id, session_id=session_id)
            if release_of(db, r.id) is None]


def release_session(db: Session, clock: Clock, *, organisation_id: int, session_id: int,
                    actor_id: int | None) -> int:
    """Release every current result of a session not released yet; returns how many."""
    pending = unreleased_of_session(db, organisation_id, session_id)
    release(db, clock, organisation_id=organisation_id, result_ids=[r.id for r in pending],
            actor_id=actor_id)
    return len(pending)


def released_result(db: Session, attempt: Attempt) -> Result | None:
    """What the candidate of ``attempt`` may see: its current result once released."""
    result = results.current_result(db, attempt.id)
    if result is None or release_of(db, result.id) is None:
        return None
    return result


# -- the lists ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class ResultFilter:
    session_id: int | None = None
    date_from: dt.date | None = None       # the day of the test (local), inclusive
    date_to: dt.date | None = None
    skill: str | None = None               # with ``level``: that skill at that level
    level: str | None = None               # without ``skill``: any skill at that level
    status: str = CURRENT

    def __post_init__(self) -> None:
        if self.status not in STATUSES:
            raise InvalidInput(detail=f"status {self.status!r}", field="status")
        if self.skill is not None and self.skill not in SKILLS:
            raise InvalidInput(detail=f"skill {self.skill!r}", field="skill")
        if self.level is not None and self.level not in levels.LEVELS:
            raise InvalidInput(detail=f"level {self.level!r}", field="level")
        if self.date_from and self.date_to and self.date_from > self.date_to:
            raise InvalidInput("De begindatum ligt na de einddatum.", field="date_to")

    def matches_levels(self, by_skill: dict[str, str]) -> bool:
        if self.level is None:
            return True
        if self.skill is not None:
            return by_skill.get(self.skill) == self.level
        return self.level in by_skill.values()


@dataclass(frozen=True)
class ResultRow:
    result_id: int
    revision: int
    attempt_id: int
    session_id: int
    session_code: str
    test_code: str
    test_name: str
    taken_on: dt.date
    frozen_at: dt.datetime
    current: bool
    superseded_by_id: int | None
    released_at: dt.datetime | None
    levels: dict[str, str]
    skills: tuple[dict[str, Any], ...]
    form_version: str
    inputs_hash: str
    # None for a reader without names (the psychometrician) or an erased candidate
    first_name: str | None = None
    last_name: str | None = None
    birth_date: dt.date | None = None

    @property
    def name(self) -> str | None:
        if self.first_name is None:
            return None
        return f"{self.first_name} {self.last_name}".strip()


def _utc(value: dt.datetime) -> dt.datetime:
    return value if value.tzinfo is not None else value.replace(tzinfo=dt.UTC)


def _day_start(day: dt.date, tz: ZoneInfo) -> dt.datetime:
    return dt.datetime.combine(day, dt.time(), tzinfo=tz).astimezone(dt.UTC)


def result_rows(db: Session, organisation_id: int, flt: ResultFilter, *, timezone: str,
                with_names: bool) -> list[ResultRow]:
    """The results of an agency that pass ``flt``, newest test first."""
    tz = ZoneInfo(timezone)
    stmt = (select(Result, Attempt, Candidate, ExamSession, TestDefinitionRecord)
            .join(Attempt, Attempt.id == Result.attempt_id)
            .join(Candidate, Candidate.id == Attempt.candidate_id)
            .join(ExamSession, ExamSession.id == Candidate.exam_session_id)
            .join(TestDefinitionRecord, TestDefinitionRecord.id == Attempt.test_definition_id)
            .where(Result.organisation_id == organisation_id,
                   Attempt.organisation_id == organisation_id))
    if flt.session_id is not None:
        stmt = stmt.where(ExamSession.id == flt.session_id)
    if flt.status == CURRENT:
        stmt = stmt.where(Result.superseded_by_id.is_(None))
    elif flt.status == SUPERSEDED:
        stmt = stmt.where(Result.superseded_by_id.is_not(None))
    if flt.date_from is not None:
        stmt = stmt.where(Attempt.started_at >= _day_start(flt.date_from, tz))
    if flt.date_to is not None:
        stmt = stmt.where(Attempt.started_at < _day_start(flt.date_to + dt.timedelta(days=1), tz))
    stmt = stmt.order_by(Attempt.started_at.desc(), Result.attempt_id, Result.revision.desc())
    rows = list(db.execute(stmt))
    releases = {r.result_id: r for r in db.scalars(
        select(ResultRelease).where(ResultRelease.organisation_id == organisation_id,
                                    ResultRelease.result_id.in_([row[0].id for row in rows])))}
    out = []
    for result, attempt, cand, sess, definition in rows:
        skills = tuple(result.document.get("skills") or ())
        by_skill = {str(s["skill"]): str(s.get("level") or "") for s in skills}
        if not flt.matches_levels(by_skill):
            continue
        named = with_names and cand.erased_at is None
        release_row = releases.get(result.id)
        out.append(ResultRow(
            result_id=result.id, revision=result.revision, attempt_id=attempt.id,
            session_id=sess.id, session_code=sess.code, test_code=definition.code,
            test_name=definition.name, taken_on=_utc(attempt.started_at).astimezone(tz).date(),
            frozen_at=_utc(result.frozen_at), current=result.current,
            superseded_by_id=result.superseded_by_id,
            released_at=_utc(release_row.released_at) if release_row else None,
            levels=by_skill, skills=skills, form_version=result.form_version,
            inputs_hash=result.inputs_hash,
            first_name=cand.first_name if named else None,
            last_name=cand.last_name if named else None,
            birth_date=cand.birth_date if named else None))
    return out


# -- the CSV export -----------------------------------------------------------------------------

_SKILL_COLUMNS = ("level", "theta", "se", "scale_score", "scale_se", "p_correct", "n_items",
                  "stop_reason")


def csv_header(*, with_names: bool) -> list[str]:
    head = ["result_id", "revision", "status", "released_at", "attempt_id", "session_code",
            "test_code", "taken_on", "frozen_at"]
    if with_names:
        head += ["first_name", "last_name", "birth_date"]
    head += [f"{skill}_{col}" for skill in SKILLS for col in _SKILL_COLUMNS]
    return [*head, "form_version", "inputs_hash", "superseded_by_id"]


def write_csv(fh: IO[str], rows: Sequence[ResultRow], *, with_names: bool) -> None:
    """The rows as CSV through the formula-injection-safe writer (``csvfiles``)."""
    out = csvfiles.writer(fh)
    out.writerow(csv_header(with_names=with_names))
    for row in rows:
        cells: list[Any] = [row.result_id, row.revision, CURRENT if row.current else SUPERSEDED,
                            row.released_at.isoformat() if row.released_at else "",
                            row.attempt_id, row.session_code, row.test_code,
                            row.taken_on.isoformat(), row.frozen_at.isoformat()]
        if with_names:
            cells += [row.first_name or "", row.last_name or "",
                      row.birth_date.isoformat() if row.birth_date else ""]
        by_skill = {str(s["skill"]): s for s in row.skills}
        for skill in SKILLS:
            entry = by_skill.get(skill, {})
            cells += ["" if entry.get(col) is None else entry.get(col) for col in _SKILL_COLUMNS]
        cells += [row.form_version, row.inputs_hash, row.superseded_by_id or ""]
        out.writerow(cells)


# -- the detail ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class PathStep:
    """One unit shown in a section: its position, kind and the scores of its items (in the
    unit's order), never the item's text or bank id."""

    position: int
    kind: str                                  # operational | pretest
    scores: tuple[float | None, ...]
    counted: bool
    answered: bool
    production_ids: tuple[int, ...] = ()       # rated responses (see the productions)


@dataclass(frozen=True)
class ProductionView:
    response_id: int
    section_index: int
    position: int | None
    rubric_id: str
    rule: str
    code: str | None
    criterion_means: dict[str, float]
    raters: tuple[tuple[str, dict[str, int], float], ...]  # (rater label, scores, weight)
    n_ratings: int


@dataclass(frozen=True)
class ResultDetail:
    result: Result
    row: ResultRow
    skills: tuple[dict[str, Any], ...]
    paths: dict[int, tuple[PathStep, ...]]     # section index -> the units in order
    productions: tuple[ProductionView, ...]
    history: tuple[Result, ...]                # every revision of the attempt, oldest first
    created_by: str | None
    released_at: dt.datetime | None
    released_by: str | None
    rules: dict[str, Any] = field(default_factory=dict)


OTHER_AGENCY_RATER = N_("beoordelaar van een ander agentschap")


def _rater_labels(db: Session, organisation_id: int, ids: Iterable[int]) -> dict[int, str | None]:
    """Display names of the raters of ``organisation_id``; None for another agency's rater."""
    wanted = {i for i in ids if i is not None}
    if not wanted:
        return {}
    accounts = {a.id: a for a in db.scalars(select(StaffAccount).where(StaffAccount.id.in_(wanted)))}
    return {i: (accounts[i].display_name if i in accounts
                and accounts[i].organisation_id == organisation_id else None) for i in wanted}


def _paths(db: Session, attempt_id: int) -> tuple[dict[int, tuple[PathStep, ...]],
                                                  dict[int, tuple[int, int]]]:
    shown = list(db.scalars(select(Presentation).where(
        Presentation.attempt_id == attempt_id, Presentation.section_index >= 0)
        .order_by(Presentation.section_index, Presentation.position)))
    answers: dict[int, dict[str, Response]] = {}
    for resp in db.scalars(select(Response).where(Response.attempt_id == attempt_id)):
        answers.setdefault(resp.presentation_id, {})[resp.item_id] = resp
    paths: dict[int, list[PathStep]] = {}
    where: dict[int, tuple[int, int]] = {}  # response id -> (section, position)
    for pres in shown:
        got = answers.get(pres.id, {})
        responses = [got.get(item_id) for item_id in pres.item_ids]
        for r in responses:
            if r is not None:
                where[r.id] = (pres.section_index, pres.position)
        paths.setdefault(pres.section_index, []).append(PathStep(
            position=pres.position, kind=pres.kind,
            scores=tuple(r.score if r is not None else None for r in responses),
            counted=any(r is not None and r.counts for r in responses),
            answered=pres.answered_at is not None,
            production_ids=tuple(r.id for r in responses if r is not None and r.score is None)))
    return {k: tuple(v) for k, v in paths.items()}, where


def result_detail(db: Session, organisation_id: int, result_id: int, *, timezone: str,
                  with_names: bool) -> ResultDetail:
    """Everything staff may see of one result (NotFound for another agency's)."""
    result = results.get_result(db, organisation_id, result_id)
    (row,) = [r for r in result_rows(db, organisation_id, ResultFilter(status=ALL),
                                     timezone=timezone, with_names=with_names)
              if r.result_id == result.id]
    paths, where = _paths(db, result.attempt_id)
    document = result.document
    produced = list(document.get("productions") or ())
    labels = _rater_labels(db, organisation_id, [o.get("rater_id") for p in produced
                                                 for o in p.get("observations") or ()])
    productions = []
    for p in produced:
        by_rater: dict[Any, tuple[dict[str, int], float]] = {}
        for o in p.get("observations") or ():
            scores, weight = by_rater.setdefault(o.get("rater_id"), ({}, float(o["weight"])))
            scores[str(o["criterion"])] = int(o["score"])
        raters = tuple(((labels.get(rid) or OTHER_AGENCY_RATER) if rid is not None else "", s, w)
                       for rid, (s, w) in by_rater.items())
        section, position = where.get(int(p["response_id"]), (-1, None))
        productions.append(ProductionView(
            response_id=int(p["response_id"]), section_index=section, position=position,
            rubric_id=str(p.get("rubric_id", "")), rule=str(p.get("rule", "")), code=p.get("code"),
            criterion_means={str(k): float(v) for k, v in (p.get("criterion_means") or {}).items()},
            raters=raters, n_ratings=len(p.get("rating_ids") or ())))
    release_row = release_of(db, result.id)
    people = _rater_labels(db, organisation_id,
                           [result.created_by_id, release_row.released_by_id if release_row else None])
    return ResultDetail(
        result=result, row=row, skills=tuple(document.get("skills") or ()), paths=paths,
        productions=tuple(productions), history=tuple(results.results_of_attempt(db, result.attempt_id)),
        created_by=people.get(result.created_by_id) if result.created_by_id else None,
        released_at=_utc(release_row.released_at) if release_row else None,
        released_by=people.get(release_row.released_by_id) if release_row and release_row.released_by_id
        else None,
        rules=dict(document.get("rules") or {}))
