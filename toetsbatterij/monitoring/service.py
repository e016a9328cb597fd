"""The monitoring figures of one agency (or of every agency, for the Flemish agency).

Every figure counts people. Disclosure control: a count of more than zero and fewer than
``min_group`` is shown as suppressed, and a figure computed over fewer than ``min_group`` people
(a mean, a rate, a median) is suppressed with it, so no page, CSV or report shows a group smaller
than the minimum. (Zero is shown: it reveals nobody.)
"""

from __future__ import annotations

import datetime as dt
import statistics
from collections import Counter, defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from toetsbatterij.attests import rulesets
from toetsbatterij.attests.models import Attest
from toetsbatterij.clock import DEFAULT_TZ, local_date
from toetsbatterij.delivery.models import (
    ADMISSION,
    ENDED,
    FINISHED,
    Attempt,
    Candidate,
    ExamSession,
    Incident,
    TestDefinitionRecord,
)
from toetsbatterij.errors import InvalidInput
from toetsbatterij.i18n import N_
from toetsbatterij.rating.models import Rating, RatingTask
from toetsbatterij.results.models import Result
from toetsbatterij.surveys import service as surveys

LEVEL_ORDER = ("below_A1", "A1", "A2", "B1", "B2", "C1", "C2")


@dataclass(frozen=True)
class Filters:
    date_from: dt.date | None = None
    date_to: dt.date | None = None
    location_id: int | None = None
    language: str | None = None        # the candidate group: instruction language
    purpose: str | None = None         # the test's purpose (attest, placement, ...)

    def __post_init__(self) -> None:
        if self.date_from and self.date_to and self.date_from > self.date_to:
            raise InvalidInput(N_("De begindatum ligt na de einddatum."), field="van")


@dataclass(frozen=True)
class Count:
    """A number of people, or None when it is suppressed (0 < n < the minimum)."""

    value: int | None

    @property
    def suppressed(self) -> bool:
        return self.value is None


@dataclass(frozen=True)
class Measure:
    """A figure over ``n`` people (mean, rate, median); None when n is below the minimum."""

    value: float | None
    n: Count


@dataclass
class Figures:
    scope: str                                            # "agency" or "all"
    filters: Filters
    min_group: int
    attempts: dict[str, Count] = field(default_factory=dict)        # started, finished, ended
    by_test: dict[str, Count] = field(default_factory=dict)
    by_month: dict[str, Count] = field(default_factory=dict)
    levels: dict[str, dict[str, Count]] = field(default_factory=dict)   # skill -> level -> n
    purposes: dict[str, tuple[str, Measure]] = field(default_factory=dict)  # code -> (label, rate)
    retakes: Measure = field(default_factory=lambda: Measure(None, Count(0)))
    wait_to_test_days: dict[str, Measure] = field(default_factory=dict)     # median, p90
    wait_to_attest_days: dict[str, Measure] = field(default_factory=dict)
    sessions: Count = field(default_factory=lambda: Count(0))
    incidents: dict[str, Count] = field(default_factory=dict)
    incidents_per_session: Measure = field(default_factory=lambda: Measure(None, Count(0)))
    rater_agreement: dict[str, tuple[Measure, Measure]] = field(default_factory=dict)
    satisfaction: dict[str, Measure] = field(default_factory=dict)


class _Guard:
    def __init__(self, min_group: int) -> None:
        if min_group < 1:
            raise InvalidInput(detail="min_group must be at least 1")
        self.min = min_group

    def count(self, n: int) -> Count:
        return Count(n if n == 0 or n >= self.min else None)

    def measure(self, value: float | None, n: int, digits: int = 3) -> Measure:
        if n < self.min or value is None:
            return Measure(None, self.count(n))
        return Measure(round(value, digits), Count(n))


def _percentile(values: Sequence[float], q: float) -> float:
    ordered = sorted(values)
    k = (len(ordered) - 1) * q
    lo, hi = int(k), min(int(k) + 1, len(ordered) - 1)
    return ordered[lo] + (ordered[hi] - ordered[lo]) * (k - lo)


@dataclass(frozen=True)
class _Row:
    attempt: Attempt
    candidate: Candidate
    session: ExamSession
    test_code: str
    day: dt.date


def _rows(db: Session, organisation_ids: Iterable[int], filters: Filters,
          tz: str) -> list[_Row]:
    stmt = (select(Attempt, Candidate, ExamSession, TestDefinitionRecord.code)
            .join(Candidate, Candidate.id == Attempt.candidate_id)
            .join(ExamSession, ExamSession.id == Candidate.exam_session_id)
            .join(TestDefinitionRecord, TestDefinitionRecord.id == Attempt.test_definition_id)
            .where(Attempt.organisation_id.in_(list(organisation_ids)),
                   Attempt.state != ADMISSION))
    if filters.location_id is not None:
        stmt = stmt.where(ExamSession.location_id == filters.location_id)
    if filters.language:
        stmt = stmt.where(Candidate.instruction_language == filters.language)
    if filters.purpose:
        stmt = stmt.where(TestDefinitionRecord.purpose == filters.purpose)
    out = []
    for attempt, cand, sess, code in db.execute(stmt.order_by(Attempt.started_at)):
        day = local_date(attempt.started_at, tz)
        if filters.date_from and day < filters.date_from:
            continue
        if filters.date_to and day > filters.date_to:
            continue
        out.append(_Row(attempt, cand, sess, code, day))
    return out


def figures(db: Session, organisation_ids: Sequence[int], filters: Filters = Filters(), *,
            min_group: int = 10, tz: str = DEFAULT_TZ, today: dt.date | None = None,
            scope: str = "agency") -> Figures:
    """Every monitoring figure for the attempts begun in the period (see the module doc)."""
    guard = _Guard(min_group)
    rows = _rows(db, organisation_ids, filters, tz)
    out = Figures(scope=scope, filters=filters, min_group=min_group)
    states = Counter(r.attempt.state for r in rows)
    out.attempts = {"started": guard.count(len(rows)),
                    "finished": guard.count(states[FINISHED]),
                    "ended": guard.count(states[ENDED])}
    out.by_test = {k: guard.count(v) for k, v in sorted(Counter(r.test_code for r in rows).items())}
    out.by_month = {k: guard.count(v) for k, v in
                    sorted(Counter(r.day.strftime("%Y-%m") for r in rows).items())}
    attempt_ids = [r.attempt.id for r in rows]
    by_attempt = {r.attempt.id: r for r in rows}
    results = _current_results(db, attempt_ids)
    _levels_and_purposes(db, out, guard, results, by_attempt, today or dt.date.today())
    _retakes(db, out, guard, rows)
    _waiting(db, out, guard, rows, attempt_ids)
    _incidents(db, out, guard, rows)
    _agreement(db, out, guard, organisation_ids, filters, tz)
    org = organisation_ids[0] if len(organisation_ids) == 1 else None
    groups = surveys.summary(db, org, date_from=filters.date_from, date_to=filters.date_to,
                             location_id=filters.location_id, language=filters.language,
                             min_group=min_group)
    for q in groups[0].questions if groups else ():
        out.satisfaction[q.key] = (Measure(None, Count(None)) if groups[0].suppressed
                                   else guard.measure(q.mean, q.answered, 2))
    return out


def _current_results(db: Session, attempt_ids: list[int]) -> dict[int, Result]:
    if not attempt_ids:
        return {}
    rows = db.scalars(select(Result).where(Result.attempt_id.in_(attempt_ids),
                                           Result.superseded_by_id.is_(None)))
    return {r.attempt_id: r for r in rows}


def _skill_levels(result: Result) -> dict[str, str]:
    return {s["skill"]: s["level"] for s in result.document.get("skills", [])
            if s.get("level")}


def _levels_and_purposes(db: Session, out: Figures, guard: _Guard, results: dict[int, Result],
                         by_attempt: dict[int, _Row], today: dt.date) -> None:
    levels: dict[str, Counter[str]] = defaultdict(Counter)
    met: Counter[str] = Counter()
    checked: Counter[str] = Counter()
    labels: dict[str, str] = {}
    rules_of: dict[int, Any] = {}
    for attempt_id, result in results.items():
        skill_levels = _skill_levels(result)
        for skill, level in skill_levels.items():
            levels[skill][level] += 1
        org = by_attempt[attempt_id].attempt.organisation_id
        if org not in rules_of:
            try:
                rules_of[org] = rulesets.in_force(db, org, today).rules
            except InvalidInput:
                rules_of[org] = None
        rules = rules_of[org]
        if rules is None:
            continue
        for check in rules.check_profiles(skill_levels):
            labels[check.profile.code] = check.profile.label
            checked[check.profile.code] += 1
            met[check.profile.code] += int(check.met)
    out.levels = {skill: {lvl: guard.count(counts[lvl]) for lvl in LEVEL_ORDER if lvl in counts}
                  for skill, counts in sorted(levels.items())}
    out.purposes = {code: (labels[code], guard.measure(met[code] / checked[code], checked[code]))
                    for code in sorted(checked)}


def _retakes(db: Session, out: Figures, guard: _Guard, rows: list[_Row]) -> None:
    """The share of the period's attempts that were a retake: the same identity document had
    begun an attempt in the same agency before (erased identities are not counted)."""
    if not rows:
        return
    keys = {(r.attempt.organisation_id, r.candidate.id_kind, r.candidate.id_number)
            for r in rows if r.candidate.erased_at is None}
    earlier: dict[tuple[int, str, str], list[dt.datetime]] = defaultdict(list)
    stmt = (select(Attempt.organisation_id, Candidate.id_kind, Candidate.id_number,
                   Attempt.started_at)
            .join(Candidate, Candidate.id == Attempt.candidate_id)
            .where(Attempt.organisation_id.in_({k[0] for k in keys}),
                   Candidate.id_number.in_({k[2] for k in keys}), Attempt.state != ADMISSION))
    for org, kind, number, started in db.execute(stmt):
        earlier[(org, kind, number)].append(started)
    counted = [r for r in rows if r.candidate.erased_at is None]
    retakes = sum(1 for r in counted if any(
        s < r.attempt.started_at for s in earlier[(r.attempt.organisation_id,
                                                   r.candidate.id_kind, r.candidate.id_number)]))
    out.retakes = guard.measure(retakes / len(counted) if counted else None, len(counted))


def _days(pairs: Iterable[tuple[dt.datetime, dt.datetime]]) -> list[float]:
    return [(b - a).total_seconds() / 86400 for a, b in pairs if b >= a]


def _waiting(db: Session, out: Figures, guard: _Guard, rows: list[_Row],
             attempt_ids: list[int]) -> None:
    to_test = _days((r.candidate.created_at, r.attempt.started_at) for r in rows)
    issued = {attempt_id: at for attempt_id, at in db.execute(
        select(Attest.attempt_id, Attest.issued_at).where(Attest.attempt_id.in_(attempt_ids)))}
    to_attest = _days((r.attempt.started_at, issued[r.attempt.id]) for r in rows
                      if r.attempt.id in issued)
    for name, values in (("wait_to_test_days", to_test), ("wait_to_attest_days", to_attest)):
        setattr(out, name, {
            "median": guard.measure(statistics.median(values) if values else None, len(values), 1),
            "p90": guard.measure(_percentile(values, 0.9) if values else None, len(values), 1)})


def _incidents(db: Session, out: Figures, guard: _Guard, rows: list[_Row]) -> None:
    session_ids = {r.session.id for r in rows}
    out.sessions = guard.count(len(session_ids))
    if not session_ids:
        return
    codes = Counter(db.scalars(select(Incident.code)
                               .where(Incident.exam_session_id.in_(session_ids))))
    out.incidents = {code: guard.count(n) for code, n in sorted(codes.items())}
    out.incidents_per_session = guard.measure(sum(codes.values()) / len(session_ids),
                                              len(session_ids), 2)


def _agreement(db: Session, out: Figures, guard: _Guard, organisation_ids: Sequence[int],
               filters: Filters, tz: str) -> None:
    """Per month: of the live productions rated twice (blind, before any adjudication), the
    share of criterion scores on which the two raters agreed exactly, and within one point."""
    stmt = (select(RatingTask.id, RatingTask.resolved_at, Rating.scores, Rating.code)
            .join(Rating, Rating.task_id == RatingTask.id)
            .where(RatingTask.organisation_id.in_(list(organisation_ids)),
                   RatingTask.kind == "live", RatingTask.resolved_at.is_not(None),
                   Rating.submitted.is_(True), Rating.senior.is_(False))
            .order_by(RatingTask.id, Rating.id))
    pairs: dict[int, list[tuple[dict[str, Any], str | None]]] = defaultdict(list)
    months: dict[int, str] = {}
    for task_id, resolved, scores, code in db.execute(stmt):
        day = local_date(resolved, tz)
        if (filters.date_from and day < filters.date_from) or \
                (filters.date_to and day > filters.date_to):
            continue
        pairs[task_id].append((scores or {}, code))
        months[task_id] = day.strftime("%Y-%m")
    per_month: dict[str, list[tuple[int, int, int]]] = defaultdict(list)
    for task_id, ratings in pairs.items():
        if len(ratings) < 2 or any(code for _, code in ratings[:2]):
            continue
        (a, _), (b, _) = ratings[:2]
        common = [k for k in a if k in b]
        exact = sum(1 for k in common if a[k] == b[k])
        adjacent = sum(1 for k in common if abs(float(a[k]) - float(b[k])) <= 1)
        per_month[months[task_id]].append((len(common), exact, adjacent))
    for month, items in sorted(per_month.items()):
        total = sum(n for n, _, _ in items)
        out.rater_agreement[month] = (
            guard.measure(sum(e for _, e, _ in items) / total if total else None, len(items)),
            guard.measure(sum(a for _, _, a in items) / total if total else None, len(items)))
