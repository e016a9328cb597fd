"""One adaptive step: :func:`next_step` = estimate → stop? → filter → balance content →
select (with exposure control).

One call does what one web request needs. Nothing is remembered between calls except memoised
arrays derived from the pool and the blueprint (``ItemPool.cached``), which are pure functions
of their keys. The parts live in their own modules, in catsim's vocabulary: :mod:`.estimation`,
:mod:`.selection` (filter, criteria, content balancing, shadow test), :mod:`.exposure`
(randomesque, Sympson-Hetter), :mod:`.stopping`, :mod:`.cefr`; the design in :mod:`.design`.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .design import (
    CONTENT_METHODS,
    EXPOSURE_METHODS,
    SELECTION_METHODS,
    Blueprint,
    Constraint,
    Design,
    SelectionRule,
    standard_stopping,
)
from .estimation import Estimate
from .exposure import choose
from .models import ItemPool
from .selection import (
    CONTENT_BALANCERS,
    ContentBalancer,
    HeuristicBalancing,
    NoBalancing,
    ShadowTest,
    eligible_units,
    selection_point,
    unit_criterion,
)
from .state import AdministrationState

__all__ = [
    "CONTENT_BALANCERS",
    "CONTENT_METHODS",
    "EXPOSURE_METHODS",
    "SELECTION_METHODS",
    "Blueprint",
    "Constraint",
    "ContentBalancer",
    "Design",
    "HeuristicBalancing",
    "NextStep",
    "NoBalancing",
    "SelectionRule",
    "ShadowTest",
    "eligible_units",
    "next_step",
    "standard_stopping",
]


@dataclass(frozen=True)
class NextStep:
    """Result of one step.

    estimate : Estimate from the responses so far.
    items : tuple[int, ...] — pool indices to present next (one item, or the selectable items of
        a testlet, in pool order); empty when the test stops.
    stop_reason : str | None — why the test stops (None: go on).
    considered : tuple[int, ...] — the candidates (first item of each unit) the exposure lottery
        went through, the chosen one last; used to tune Sympson-Hetter.
    notes : tuple[str, ...] — e.g. ``"shadow_infeasible"`` when the shadow test fell back.
    """

    estimate: Estimate
    items: tuple[int, ...]
    stop_reason: str | None
    considered: tuple[int, ...] = ()
    notes: tuple[str, ...] = ()



def _unit_items(pool: ItemPool, unit: int) -> tuple[int, ...]:
    members = pool.unit_members[unit]
    if members.size == 1:
        return (int(members[0]),)
    return tuple(int(i) for i in members if pool.selectable[i])


def next_step(
    design: Design,
    pool: ItemPool,
    state: AdministrationState,
    rng: np.random.Generator | None = None,
    *,
    selection_theta: float | None = None,
) -> NextStep:
    """One adaptive step: estimate → stop? → filter → balance content → select.

    Parameters
    ----------
    design : Design
    pool : ItemPool
    state : AdministrationState
    rng : numpy Generator, optional
        Default: :func:`~toetsbatterij.scoring.state.step_uniforms` of (state.seed,
        state.position), so a replay of the step gives the same item.
    selection_theta : float, optional
        Select at this θ instead of θ̂ (simulation oracle only). Otherwise the selection
        point is θ̂, or the decisive cut of a decision-targeted design (:func:`selection_point`).

    Returns
    -------
    NextStep
    """
    scored = state.scored(pool)
    estimate = design.estimator.estimate(pool, scored)
    reason = design.stopping.should_stop(pool, scored, estimate)
    if reason is not None:
        return NextStep(estimate, (), reason)
    prep = design.prepare(pool)
    units, counts = eligible_units(design, pool, state)
    theta = (
        selection_point(design, estimate, scored.position)
        if selection_theta is None
        else float(selection_theta)
    )
    crit = unit_criterion(design, pool, scored, theta)
    candidates, notes = CONTENT_BALANCERS[design.content].candidates(
        design, pool, scored, units, counts, crit
    )
    unit, considered = choose(design, prep, candidates, crit, rng, state)
    if unit is None:
        return NextStep(estimate, (), "pool_exhausted", (), notes)
    first = prep.unit_first
    return NextStep(
        estimate,
        _unit_items(pool, unit),
        None,
        tuple(int(first[u]) for u in considered),
        notes,
    )
