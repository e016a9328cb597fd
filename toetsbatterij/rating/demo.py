"""For the demo seed: rate a finished attempt's productions with demo raters, one of them
adjudicated, so a newcomer finds a resolved, frozen-ready attempt right away.

The lead's seed calls, after the simulated candidate finished (``toetsbatterij.demo``):

    calibration.seed_writing_references(db, clock, forms)          # the shared demo set
    rate_demo_attempt(db, clock, forms, attempt.id, raters=[r1, r2], senior=s,
                      disagree_on="W-B1-0001")                      # -> resolutions

The raters are accounts with the rater role of the attempt's agency; they are admitted to both
skills by an (audited) admin decision without an actor, and ``senior`` gets the senior flag.
Every rating goes through the same service calls as the rating screen.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from toetsbatterij.accounts.models import StaffAccount
from toetsbatterij.clock import Clock
from toetsbatterij.rating import calibration, service
from toetsbatterij.rating.models import ADJUDICATION, LIVE, RatingTask
from toetsbatterij.rating.resolution import Resolution


def _scores(maxima: dict[str, int], low: bool = False) -> dict[str, int]:
    """A plausible rating: one under the top of each criterion (0 everywhere when ``low``)."""
    return {c: 0 if low else max(0, m - 1) for c, m in maxima.items()}


def rate_demo_attempt(db: Session, clock: Clock, forms: Any, attempt_id: int, *,
                      raters: Sequence[StaffAccount], senior: StaffAccount,
                      disagree_on: str | None = None,
                      policy: service.RatingPolicy | None = None) -> dict[int, Resolution]:
    """Two ratings of every production of the attempt (the second rater far off on
    ``disagree_on``), the senior's third rating where they disagree; returns the resolutions."""
    policy = policy or service.RatingPolicy(control_rate=0.0)
    first, second = raters
    for account in (first, second, senior):
        for skill in service.SKILLS:
            if skill not in service.admitted_skills(db, account.id):
                calibration.decide_admission(db, clock, organisation_id=account.organisation_id,
                                             actor_id=None, rater_id=account.id, skill=skill,
                                             admitted=True, reason="demo")
    calibration.set_senior(db, clock, organisation_id=senior.organisation_id, actor_id=None,
                           rater_id=senior.id, senior=True)
    service.pull_tasks(db, clock, forms, policy)
    tasks = list(db.scalars(select(RatingTask).where(RatingTask.attempt_id == attempt_id,
                                                     RatingTask.kind == LIVE,
                                                     RatingTask.blank.is_(False))
                            .order_by(RatingTask.id)))
    for task in tasks:
        maxima = service.criteria_of(service.form_of(db, task.form_version, forms),
                                     task.rubric_id)
        for account, low in ((first, False), (second, task.item_id == disagree_on)):
            _rate(db, clock, forms, account, task, _scores(maxima, low), policy)
        db.refresh(task)
        if task.status == ADJUDICATION:
            _rate(db, clock, forms, senior, task, _scores(maxima), policy)
    result = service.resolutions(db, attempt_id)
    if result is None:
        raise RuntimeError(f"attempt {attempt_id}: a production is still unresolved")
    return result


def _rate(db: Session, clock: Clock, forms: Any, account: StaffAccount, task: RatingTask,
          scores: dict[str, int], policy: service.RatingPolicy) -> None:
    assignment = service._assign(db, clock, account, task)
    if assignment is None:
        raise RuntimeError(f"task {task.id}: no place left for rater {account.id}")
    service.save_rating(db, clock, forms, account, assignment.token, scores=scores, code=None,
                        submit=True, policy=policy)
