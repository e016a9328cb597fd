"""Rater statistics for the agency admin and the psychometrician, per rater and per rubric,
computed by ``scoring.raters`` from the submitted ratings (read only).

- **Agreement** (exact, adjacent, quadratic-weighted kappa, mean difference): per rater, their
  criterion scores against every other rater's on the same production and criterion
  (``pairwise_agreement``); per rubric, the first against the second rating of every production
  rated twice.
- **Severity and fit**: one many-facet Rasch model (person × task × criterion × rater,
  ``fit_mfrm``) over every scored live rating in reach; positive severity = harsh; infit or
  outfit above 1.5 = erratic, below 0.5 = too predictable.
- **Drift** (``detect_drift``): the rater's control responses against their reference scores
  (the last 20 criterion scores) and the rater's severity per ISO week (``window_severities``):
  the latest week against the earlier ones.

What is in reach: the live productions of the agency and, with a shared pool, the productions
the agency's raters rated elsewhere (with the other raters of those productions, who make the
comparison possible; only the agency's own raters are listed). A rating with an unrateable code
is no judgement on the scale: it is left out of every statistic. The person facet is the attempt
(its productions share one ability); nobody sees it.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from toetsbatterij.accounts.models import ROLE_RATER, StaffAccount
from toetsbatterij.i18n import N_
from toetsbatterij.items import TestForm
from toetsbatterij.rating.models import CONTROL, LIVE, Rating, RatingReference, RatingTask
from toetsbatterij.rating.service import criteria_of, form_of
from toetsbatterij.scoring.raters import (
    Agreement,
    Drift,
    FacetEstimate,
    FacetObservation,
    MFRMResult,
    agreement,
    detect_drift,
    fit_mfrm,
    pairwise_agreement,
    window_severities,
)

#: The Dutch text of each drift reason code of ``scoring.raters.detect_drift``.
DRIFT_REASONS = {
    "control_deviation": N_("controleproducties: gemiddeld te ver van de referentiescore"),
    "control_bias": N_("controleproducties: stelselmatig hoger of lager dan de referentiescore"),
    "severity_shift": N_("strengheid verschoven in de laatste week"),
}
#: Mean squares outside this band: the rater fits the model badly.
FIT_BAND = (0.5, 1.5)


@dataclass(frozen=True)
class RaterStatistics:
    account: StaffAccount
    productions: int                      # live productions rated with scores
    agreement: Agreement | None           # against the other raters of the same productions
    severity: FacetEstimate | None        # MFRM: measure = severity, infit, outfit
    controls: int                         # control responses rated with scores
    control_agreement: Agreement | None   # against the reference scores
    drift: Drift | None

    @property
    def misfit(self) -> bool:
        s = self.severity
        return s is not None and any(v is not None and not FIT_BAND[0] <= v <= FIT_BAND[1]
                                     for v in (s.infit, s.outfit))


@dataclass(frozen=True)
class RubricStatistics:
    rubric_id: str
    productions: int          # rated twice (two independent scored ratings)
    adjudicated: int          # went to a senior rater
    agreement: Agreement | None


@dataclass(frozen=True)
class Statistics:
    raters: list[RaterStatistics]
    rubrics: list[RubricStatistics]
    observations: int
    mfrm: MFRMResult | None
    mfrm_error: str = ""      # why the model could not be estimated (English, for the page)


def _week(moment: dt.datetime) -> str:
    year, week, _ = moment.isocalendar()
    return f"{year}-W{week:02d}"


def _maxima(db: Session, forms: dict[str, TestForm], task: RatingTask) -> dict[str, int]:
    form = forms.get(task.form_version)
    if form is None:
        form = forms[task.form_version] = form_of(db, task.form_version)
    return criteria_of(form, task.rubric_id)


def _fit(observations: list[FacetObservation], maxima: Mapping[Any, int]) \
        -> tuple[MFRMResult | None, str]:
    if not observations:
        return None, "no ratings"
    try:
        return fit_mfrm(observations, max_scores=dict(maxima)), ""
    except ValueError:
        pass
    try:  # categories never used at the top of a scale: estimate on what was used
        return fit_mfrm(observations), ""
    except ValueError as exc:
        return None, str(exc)


def rater_statistics(db: Session, organisation_id: int) -> Statistics:
    agency = {a.id: a for a in db.scalars(
        select(StaffAccount).where(StaffAccount.organisation_id == organisation_id,
                                   StaffAccount.role == ROLE_RATER)
        .order_by(StaffAccount.display_name))}
    own_raters = list(agency)
    rated_by_agency = select(Rating.task_id).where(Rating.rater_id.in_(own_raters or [-1]))
    rows = list(db.execute(
        select(Rating, RatingTask).join(RatingTask, RatingTask.id == Rating.task_id)
        .where(Rating.submitted.is_(True), Rating.rater_id.is_not(None),
               Rating.code.is_(None), RatingTask.kind == LIVE,
               or_(RatingTask.organisation_id == organisation_id,
                   RatingTask.id.in_(rated_by_agency)))
        .order_by(Rating.id)))
    forms: dict[str, TestForm] = {}
    observations: list[FacetObservation] = []
    windows: list[str] = []
    maxima: dict[Any, int] = {}
    productions: dict[int, set[int]] = defaultdict(set)
    by_task: dict[int, list[Rating]] = defaultdict(list)
    tasks: dict[int, RatingTask] = {}
    for rating, task in rows:
        crit = _maxima(db, forms, task)
        tasks[task.id] = task
        by_task[task.id].append(rating)
        productions[rating.rater_id].add(task.id)
        for c, top in crit.items():
            maxima[(task.rubric_id, c)] = top
            observations.append(FacetObservation(task.attempt_id, task.item_id,
                                                 (task.rubric_id, c), rating.rater_id,
                                                 int(rating.scores.get(c, 0))))
            windows.append(_week(rating.created_at))
    top = max(maxima.values(), default=0)
    pairwise = pairwise_agreement(observations, max_score=top) if observations else {}
    mfrm, error = _fit(observations, maxima)
    try:
        severities = (window_severities(observations, windows, max_scores=maxima,
                                        raters=[r for r in own_raters if r in productions])
                      if len(set(windows)) > 1 else {})
    except ValueError:
        severities = {}
    controls = _controls(db, own_raters, forms)
    raters = []
    for rater_id, account in agency.items():
        pairs = controls.get(rater_id, [])
        raters.append(RaterStatistics(
            account=account, productions=len(productions.get(rater_id, ())),
            agreement=pairwise.get(rater_id),
            severity=mfrm.raters.get(rater_id) if mfrm is not None else None,
            controls=len({task_id for task_id, _, _ in pairs}),
            control_agreement=agreement([a for _, a, _ in pairs], [b for _, _, b in pairs],
                                        max_score=top or None) if pairs else None,
            drift=detect_drift([(a, b) for _, a, b in pairs], severities.get(rater_id, ()))
            if pairs or rater_id in severities else None))
    return Statistics(raters=raters, rubrics=_rubrics(db, forms, tasks, by_task),
                      observations=len(observations), mfrm=mfrm, mfrm_error=error)


def _controls(db: Session, raters: list[int], forms: dict[str, TestForm]) \
        -> dict[int, list[tuple[int, int, int]]]:
    """Per rater, (task, score, reference score) per criterion of their scored control
    responses, in time order (a reference's code counts as 0, as the rubric scores it)."""
    out: dict[int, list[tuple[int, int, int]]] = defaultdict(list)
    if not raters:
        return out
    rows = db.execute(
        select(Rating, RatingTask, RatingReference)
        .join(RatingTask, RatingTask.id == Rating.task_id)
        .join(RatingReference, RatingReference.id == RatingTask.reference_id)
        .where(RatingTask.kind == CONTROL, Rating.submitted.is_(True), Rating.code.is_(None),
               Rating.rater_id.in_(raters))
        .order_by(Rating.id))
    for rating, task, ref in rows:
        for c in _maxima(db, forms, task):
            expected = 0 if ref.code else int(ref.scores.get(c, 0))
            out[rating.rater_id].append((task.id, int(rating.scores.get(c, 0)), expected))
    return out


def _rubrics(db: Session, forms: dict[str, TestForm], tasks: dict[int, RatingTask],
             by_task: dict[int, list[Rating]]) -> list[RubricStatistics]:
    pairs: dict[str, tuple[list[int], list[int]]] = defaultdict(lambda: ([], []))
    counts: dict[str, int] = defaultdict(int)
    adjudicated: dict[str, int] = defaultdict(int)
    tops: dict[str, int] = {}
    for task_id, ratings in by_task.items():
        task = tasks[task_id]
        crit = _maxima(db, forms, task)
        tops[task.rubric_id] = max(crit.values())
        independent = [r for r in ratings if not r.senior]
        if any(r.senior for r in ratings):
            adjudicated[task.rubric_id] += 1
        if len(independent) < 2:
            continue
        counts[task.rubric_id] += 1
        first, second = independent[0], independent[1]
        for c in crit:
            pairs[task.rubric_id][0].append(int(first.scores.get(c, 0)))
            pairs[task.rubric_id][1].append(int(second.scores.get(c, 0)))
    out = []
    for rubric_id in sorted(tops):
        a, b = pairs.get(rubric_id, ([], []))
        out.append(RubricStatistics(rubric_id, counts.get(rubric_id, 0),
                                    adjudicated.get(rubric_id, 0),
                                    agreement(a, b, max_score=tops[rubric_id]) if a else None))
    return out


def severities(db: Session, attempt: Any) -> dict[int, float]:
    """Rater id -> severity (logits, positive = harsh) from the many-facet Rasch model over every
    scored live rating in reach of the attempt's agency, for fair scores
    (``RESULTS_FAIR_SCORES``). Empty when the model cannot be estimated yet (too few ratings):
    the result then records that no rater was adjusted. The result stores what it used, so a
    recompute applies the same values."""
    model = rater_statistics(db, attempt.organisation_id).mfrm
    if model is None:
        return {}
    return {int(rater): float(est.measure) for rater, est in model.raters.items()}
