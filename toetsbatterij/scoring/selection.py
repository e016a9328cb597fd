"""Item selection: which units may come next (filter), the selection criterion (Fisher
information, KL index) and content balancing (Kingsbury-Zara heuristic, shadow test).

References
----------
- Kingsbury, G. G., & Zara, A. R. (1989). Procedures for selecting items for computerized
  adaptive tests. Applied Measurement in Education, 2(4), 359-375 (content balancing by the
  most under-represented area).
- van der Linden, W. J., & Reese, L. M. (1998). A model for optimal constrained adaptive
  testing. Applied Psychological Measurement, 22(3), 259-270 (shadow test).
- Chang, H.-H., & Ying, Z. (1996). A global information approach to computerized adaptive
  testing. Applied Psychological Measurement, 20(3), 213-229 (KL index).
"""

from __future__ import annotations

from typing import Protocol

import numpy as np

from .design import Design, _Prepared
from .models import ItemPool, category_log_probabilities, item_information
from .state import AdministrationState

__all__ = [
    "CONTENT_BALANCERS",
    "ContentBalancer",
    "HeuristicBalancing",
    "NoBalancing",
    "ShadowTest",
    "eligible_units",
    "selection_point",
    "unit_criterion",
]

# Composite Simpson weights (without h) for 9 nodes: exact for the quadratic small-δ shape of KL.
_SIMPSON_9 = np.array([1, 4, 2, 4, 2, 4, 2, 4, 1], dtype=float) / 3.0


def eligible_units(
    design: Design, pool: ItemPool, state: AdministrationState
) -> tuple[np.ndarray, np.ndarray]:
    """Filter (``ItemFilter`` seam): which units may be given next.

    Returns ``(units, counts)``: a bool mask of shape (U,) — units are the pool's items when
    the pool has no testlets — and the blueprint counts so far, shape (n_constraints,).
    A unit is eligible when it is selectable, not given, not in ``state.excluded`` (a unit
    with any excluded item is out), has no enemy among the given items, fits in the remaining
    length and does not push any blueprint maximum over its limit.
    Responses to unselectable (pretest) items count for neither the length nor the blueprint.
    """
    prep = design.prepare(pool)
    given = state.items_array
    items = pool.selectable.copy()
    items[given] = False
    if pool.has_enemies:
        for i in state.administered:
            enemies = pool.enemies_of[i]
            if enemies.size:
                items[enemies] = False
    if state.excluded:
        items[list(state.excluded)] = False
    remaining = design.max_items - int(np.count_nonzero(pool.selectable[given]))
    if pool.has_testlets:
        n_units = prep.unit_sel_size.size
        ok = np.bincount(pool.unit_of, weights=items, minlength=n_units)
        units = (ok == prep.unit_sel_size) & (prep.unit_sel_size > 0)
        units &= prep.unit_sel_size <= remaining
    else:
        units = items
    counts = prep.c_items[:, given].sum(axis=1) if prep.mins.size else np.zeros(0, dtype=np.int64)
    if prep.mins.size:
        tight = np.nonzero(counts + prep.unit_max_contrib > prep.maxs)[0]
        if tight.size:
            over = (counts[tight, None] + prep.c_units[tight] > prep.maxs[tight, None]) & (
                prep.c_units[tight] > 0
            )
            units &= ~over.any(axis=0)
    return units, counts


# ---------------------------------------------------------------------- criteria
def _kl_index(pool: ItemPool, theta: float, n_given: int, z: float) -> np.ndarray:
    """Chang & Ying KL index of every item over θ̂ ± z/√n, shape (n,)."""
    delta = z / np.sqrt(max(n_given, 1))
    nodes = np.linspace(theta - delta, theta + delta, 9)
    lp0 = np.maximum(category_log_probabilities(pool, theta), -1e300)  # (n, M, 1)
    lp = np.maximum(category_log_probabilities(pool, nodes), -1e300)  # (n, M, 9)
    kl = (np.exp(lp0) * (lp0 - lp)).sum(axis=1)
    return kl @ (_SIMPSON_9 * (2 * delta / 8))


def selection_point(design: Design, estimate, position: int) -> float:
    """The θ the criterion is evaluated at: θ̂, or the decisive cut once θ̂ is within
    ``cut_window`` standard errors of it (``SelectionRule.at_cut``; never during the first
    ``kl_first`` items, which locate the candidate)."""
    rule = design.selection
    theta = float(estimate.theta)
    if rule.at_cut is None or position < rule.kl_first:
        return theta
    se = float(estimate.se) if np.isfinite(estimate.se) else np.inf
    return float(rule.at_cut) if abs(theta - rule.at_cut) <= rule.cut_window * se else theta


def unit_criterion(
    design: Design, pool: ItemPool, state: AdministrationState, theta: float
) -> np.ndarray:
    use_kl = design.selection.method == "kl" or state.position < design.selection.kl_first
    if use_kl:
        crit = _kl_index(pool, theta, state.position, design.selection.kl_z)
    else:
        crit = item_information(pool, theta)
    if pool.has_testlets:
        crit = np.bincount(
            pool.unit_of,
            weights=np.where(pool.selectable, crit, 0.0),
            minlength=len(pool.unit_members),
        )
    return crit



# ---------------------------------------------------------------------- content balancing
def _heuristic_candidates(
    design: Design,
    prep: _Prepared,
    state: AdministrationState,
    units: np.ndarray,
    counts: np.ndarray,
) -> np.ndarray:
    """Most under-represented area first (Kingsbury & Zara): among the constraints below
    their minimum, take the one whose required share most exceeds its share so far, and keep
    only units that count toward it (if any is eligible)."""
    if prep.mins.size == 0:
        return units
    deficit = prep.mins - counts
    if not np.any(deficit > 0):
        return units
    gap = np.where(deficit > 0, prep.min_share - counts / max(state.position, 1), -np.inf)
    restricted = units & prep.c_units_any[int(np.argmax(gap))]
    if restricted.any():
        return restricted
    for j in np.argsort(-gap, kind="stable")[1:]:
        if deficit[j] <= 0:
            break
        restricted = units & prep.c_units_any[j]
        if restricted.any():
            return restricted
    return units


def _shadow_candidates(
    design: Design,
    pool: ItemPool,
    prep: _Prepared,
    state: AdministrationState,
    units: np.ndarray,
    counts: np.ndarray,
    crit: np.ndarray,
) -> np.ndarray | None:
    """Shadow test (van der Linden): assemble, with ``scipy.optimize.milp``, a full-length
    test that contains the items given so far, meets every blueprint constraint and every
    enemy set, and maximises the criterion; return its free units as a mask (None when no
    such test exists)."""
    free = np.nonzero(units)[0]
    need = design.test_length - state.position
    if need <= 0 or free.size == 0:
        return None
    free = _prune_interchangeable(prep, free, need, counts, crit)
    size = prep.unit_sel_size[free].astype(float)
    rows = [size[None, :]]
    lo = [float(need)]
    hi = [float(need)]
    if prep.mins.size:
        rows.append(prep.c_units[:, free].astype(float))
        lo.extend(np.maximum(prep.mins - counts, 0.0))
        hi.extend(np.where(np.isinf(prep.maxs), np.inf, prep.maxs - counts))
    if pool.has_enemies:
        pos = np.full(len(pool.unit_members), -1, dtype=np.int64)
        pos[free] = np.arange(free.size)
        for group in pool.enemy_groups:
            cols = np.unique(pos[pool.unit_of[list(group)]])
            cols = cols[cols >= 0]
            if cols.size >= 2:
                row = np.zeros(free.size)
                row[cols] = 1.0
                rows.append(row[None, :])
                lo.append(0.0)
                hi.append(1.0)
    from scipy.optimize import Bounds, LinearConstraint, milp
    from scipy.sparse import csr_array

    a = csr_array(np.vstack(rows))
    res = milp(
        c=-crit[free],
        constraints=LinearConstraint(a, np.array(lo), np.array(hi)),
        integrality=np.ones(free.size),
        bounds=Bounds(0.0, 1.0),
    )
    if res.x is None or not res.success:
        return None
    mask = np.zeros_like(units)
    mask[free[res.x > 0.5]] = True
    return mask


def _prune_interchangeable(
    prep: _Prepared, free: np.ndarray, need: int, counts: np.ndarray, crit: np.ndarray
) -> np.ndarray:
    """Keep, per class of interchangeable units, only as many of the best units as a feasible
    test can hold. Exact: in an optimal test a unit can always be swapped for a better unused
    unit of its class (same constraint counts, same size, no enemies) without losing
    feasibility, so the dropped units are never needed. Cuts a 2,000-item MIP to a few
    hundred variables."""
    cls = prep.cell[free]
    cap = np.full(prep.cell_c.shape[1], float(need))
    if prep.mins.size:
        room = (prep.maxs - counts)[:, None] / np.where(prep.cell_c > 0, prep.cell_c, 1)
        cap = np.minimum(cap, np.where(prep.cell_c > 0, np.floor(room), np.inf).min(axis=0))
    order = np.lexsort((-crit[free], cls))
    sorted_cls = cls[order]
    starts = np.searchsorted(sorted_cls, sorted_cls, side="left")
    rank = np.arange(order.size) - starts
    keep = rank < cap[sorted_cls]
    return np.sort(free[order[keep]])


class ContentBalancer(Protocol):
    """Seam: ``candidates(design, pool, state, units, counts, crit) -> (mask (U,), notes)``
    narrows the eligible units to those the blueprint wants next."""

    def candidates(
        self,
        design: Design,
        pool: ItemPool,
        state: AdministrationState,
        units: np.ndarray,
        counts: np.ndarray,
        crit: np.ndarray,
    ) -> tuple[np.ndarray, tuple[str, ...]]: ...


class NoBalancing:
    """Every eligible unit is a candidate (maxima are still enforced by the filter)."""

    def candidates(self, design, pool, state, units, counts, crit):
        return units, ()


class HeuristicBalancing:
    """Most under-represented area first (see :func:`_heuristic_candidates`)."""

    def candidates(self, design, pool, state, units, counts, crit):
        return _heuristic_candidates(design, design.prepare(pool), state, units, counts), ()


class ShadowTest:
    """Shadow test with ``scipy.optimize.milp`` (see :func:`_shadow_candidates`); falls back
    to the heuristic, with the note ``"shadow_infeasible"``, when no shadow test exists."""

    def candidates(self, design, pool, state, units, counts, crit):
        prep = design.prepare(pool)
        shadow = _shadow_candidates(design, pool, prep, state, units, counts, crit)
        if shadow is None or not shadow.any():
            return _heuristic_candidates(design, prep, state, units, counts), ("shadow_infeasible",)
        return shadow, ()


CONTENT_BALANCERS: dict[str, ContentBalancer] = {
    "none": NoBalancing(),
    "heuristic": HeuristicBalancing(),
    "shadow": ShadowTest(),
}
