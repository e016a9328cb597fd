"""The adaptive engine: designs, item filtering, content balancing, selection and ``next_step``.

One call of :func:`next_step` does what one web request needs: estimate θ from the state,
check the stopping rule, filter the eligible items, balance content, select the next item (or
testlet). Nothing is remembered between calls except memoised arrays derived from the pool
and the blueprint (``ItemPool.cached``), which are pure functions of their keys.

References
----------
- Kingsbury, G. G., & Zara, A. R. (1989). Procedures for selecting items for computerized
  adaptive tests. Applied Measurement in Education, 2(4), 359-375 (randomesque, content
  balancing by the most under-represented area).
- Sympson, J. B., & Hetter, R. D. (1985). Controlling item-exposure rates in computerized
  adaptive testing. Proceedings of the 27th annual meeting of the Military Testing Association.
- van der Linden, W. J., & Reese, L. M. (1998). A model for optimal constrained adaptive
  testing. Applied Psychological Measurement, 22(3), 259-270 (shadow test).
- Chang, H.-H., & Ying, Z. (1996). A global information approach to computerized adaptive
  testing. Applied Psychological Measurement, 20(3), 213-229 (KL index).
"""

from __future__ import annotations

import weakref
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, Protocol

import numpy as np

from .cefr import CutScores
from .estimation import EAP, MAP, MLE, WLE, Estimate
from .models import ItemPool, category_log_probabilities, item_information
from .state import AdministrationState, item_uniforms, step_uniforms
from .stopping import SPRT, AllOf, AnyOf, ClassificationCI, MaxItems, MinItems, SEBelow

__all__ = [
    "Blueprint",
    "CONTENT_BALANCERS",
    "Constraint",
    "ContentBalancer",
    "HeuristicBalancing",
    "NoBalancing",
    "ShadowTest",
    "Design",
    "NextStep",
    "SelectionRule",
    "design_from_config",
    "designs_from_manifest",
    "eligible_units",
    "next_step",
]

CONTENT_METHODS = ("none", "heuristic", "shadow")
EXPOSURE_METHODS = ("none", "sympson_hetter")
SELECTION_METHODS = ("max_info", "kl")

# Composite Simpson weights (without h) for 9 nodes: exact for the quadratic small-δ shape of KL.
_SIMPSON_9 = np.array([1, 4, 2, 4, 2, 4, 2, 4, 1], dtype=float) / 3.0

# How many candidates beyond the randomesque k the Sympson-Hetter lottery may run through.
_SH_DEPTH = 32


@dataclass(frozen=True)
class Constraint:
    """Blueprint constraint: between ``min`` and ``max`` items with ``attribute == value``."""

    attribute: str
    value: str
    min: int = 0
    max: int | None = None


@dataclass(frozen=True)
class Blueprint:
    """Content blueprint: full test ``length`` (items) and constraints."""

    length: int | None = None
    constraints: tuple[Constraint, ...] = ()


@dataclass(frozen=True)
class SelectionRule:
    """Item selection settings.

    method : ``"max_info"`` (Fisher information at θ̂) or ``"kl"`` (KL index throughout).
    randomesque : choose at random among the k best candidates (1 = pure maximum).
    kl_first : use the KL index for the first ``kl_first`` items, then ``method``.
    kl_z : half-width of the KL integration interval is kl_z/√max(n, 1) (Chang & Ying).
    """

    method: str = "max_info"
    randomesque: int = 1
    kl_first: int = 0
    kl_z: float = 3.0

    def __post_init__(self) -> None:
        if self.method not in SELECTION_METHODS:
            raise ValueError(f"unknown selection method {self.method!r}")
        if self.randomesque < 1 or self.kl_first < 0:
            raise ValueError("randomesque must be >= 1 and kl_first >= 0")


@dataclass(frozen=True, eq=False)
class Design:
    """A named, versioned adaptive design. Store ``name`` and ``version`` with every
    administration (together with the bank version) so any score can be recomputed.

    Attributes
    ----------
    name, version : str
    estimator : EAP | MAP | MLE | WLE
    selection : SelectionRule
    exposure : ``"none" | "sympson_hetter"`` (the K_i are ``ItemPool.sh_k``)
    r_max : the exposure ceiling the K_i were (or are to be) tuned for; informational
    content : ``"none" | "heuristic" | "shadow"``
    blueprint : Blueprint
    min_items, max_items : int
    stopping : stopping rule (``should_stop(pool, state, estimate)``); built from min/max and
        the criteria by :func:`design_from_config`, or :meth:`standard_stopping`.
    cut_scores : CutScores | None
    target_level : str | None
    skill : str | None
    """

    name: str
    version: str
    estimator: Any = field(default_factory=EAP)
    selection: SelectionRule = field(default_factory=SelectionRule)
    exposure: str = "none"
    r_max: float | None = None
    content: str = "heuristic"
    blueprint: Blueprint = field(default_factory=Blueprint)
    min_items: int = 0
    max_items: int = 30
    stopping: Any = None
    cut_scores: CutScores | None = None
    target_level: str | None = None
    skill: str | None = None
    _last: tuple = field(init=False, repr=False, default=None)

    def __post_init__(self) -> None:
        # (weak ref to the pool, its prepared arrays) of the last prepare(): a memo, not state.
        object.__setattr__(self, "_last", (lambda: None, None))
        if self.exposure not in EXPOSURE_METHODS:
            raise ValueError(f"unknown exposure method {self.exposure!r}")
        if self.content not in CONTENT_METHODS:
            raise ValueError(f"unknown content method {self.content!r}")
        if self.max_items < 1 or self.min_items < 0 or self.min_items > self.max_items:
            raise ValueError("need 0 <= min_items <= max_items and max_items >= 1")
        if self.stopping is None:
            object.__setattr__(self, "stopping", standard_stopping(self.min_items, self.max_items))

    @property
    def test_length(self) -> int:
        """Length of the full test the content constraints refer to."""
        if self.blueprint.length is None:
            return self.max_items
        return min(self.blueprint.length, self.max_items)

    def prepare(self, pool: ItemPool) -> _Prepared:
        """Per-(blueprint, pool) arrays, computed once and kept in the pool's cache, so a
        design rebuilt from its configuration on every request costs nothing extra."""
        last = self._last  # one read: the pair is replaced whole, never edited
        if last[0]() is pool:
            # Identity check first: hashing the blueprint key costs tens of µs per call.
            return last[1]
        prep = pool.cached(
            ("blueprint", self.blueprint, self.test_length), lambda: _Prepared.build(self, pool)
        )
        object.__setattr__(self, "_last", (weakref.ref(pool), prep))
        return prep


def standard_stopping(
    min_items: int,
    max_items: int,
    *,
    se: float | None = None,
    classification: ClassificationCI | None = None,
    sprt: SPRT | None = None,
    combine: str = "any",
):
    """max_items OR (min_items AND (criteria combined with ``combine``: "any" | "all"))."""
    criteria: list[Any] = []
    if se is not None:
        criteria.append(SEBelow(float(se)))
    if classification is not None:
        criteria.append(classification)
    if sprt is not None:
        criteria.append(sprt)
    rules: list[Any] = [MaxItems(int(max_items))]
    if criteria:
        if combine not in ("any", "all"):
            raise ValueError("combine must be 'any' or 'all'")
        joined = AnyOf(tuple(criteria)) if combine == "any" else AllOf(tuple(criteria))
        rules.append(AllOf((MinItems(int(min_items)), joined)))
    return AnyOf(tuple(rules))


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


@dataclass(frozen=True, eq=False)
class _Prepared:
    """Arrays derived from (design, pool); see :meth:`Design.prepare`."""

    c_items: np.ndarray  # (n_c, n) bool: item counts toward constraint j
    c_units: np.ndarray  # (n_c, U) int: items of unit u in constraint j
    mins: np.ndarray  # (n_c,)
    maxs: np.ndarray  # (n_c,) (inf: no maximum)
    min_share: np.ndarray  # (n_c,) min / test length
    unit_max_contrib: np.ndarray  # (n_c,) largest c_units row value
    unit_sel_size: np.ndarray  # (U,) selectable items per unit
    unit_k: np.ndarray  # (U,) Sympson-Hetter K of the unit (min over its items)
    unit_first: np.ndarray  # (U,) first item of each unit
    c_units_any: np.ndarray  # (n_c, U) bool: unit counts toward constraint j
    cell: np.ndarray  # (U,) interchangeability class for the shadow test (see build)
    cell_c: np.ndarray  # (n_c, n_cells) constraint counts of each class

    @classmethod
    def build(cls, design: Design, pool: ItemPool) -> _Prepared:
        cons = design.blueprint.constraints
        c_items = np.zeros((len(cons), pool.n), dtype=bool)
        for j, con in enumerate(cons):
            codes, lookup = pool.attribute_codes.get(con.attribute, (None, {}))
            if codes is not None and con.value in lookup:
                c_items[j] = codes == lookup[con.value]
        c_items &= pool.selectable[None, :]
        n_units = len(pool.unit_members)
        if pool.has_testlets:
            c_units = (
                np.stack(
                    [np.bincount(pool.unit_of, weights=row, minlength=n_units) for row in c_items]
                ).astype(np.int64)
                if cons
                else np.zeros((0, n_units), dtype=np.int64)
            )
            sel = np.bincount(pool.unit_of, weights=pool.selectable, minlength=n_units)
            unit_k = np.ones(n_units)
            np.minimum.at(unit_k, pool.unit_of, np.where(pool.selectable, pool.sh_k, 1.0))
        else:
            c_units = c_items.astype(np.int64)
            sel = pool.selectable.astype(np.int64)
            unit_k = pool.sh_k.copy()
        mins = np.array([c.min for c in cons], dtype=float)
        maxs = np.array([np.inf if c.max is None else c.max for c in cons], dtype=float)
        # Units with the same constraint counts and size and no enemies are interchangeable in
        # the shadow test; each enemy-bound unit is a class of its own.
        keys = np.vstack([c_units, np.asarray(sel, dtype=np.int64)[None, :]])
        _, cell = np.unique(keys, axis=1, return_inverse=True)
        cell = cell.reshape(-1).astype(np.int64)
        if pool.has_enemies:
            bound = np.zeros(n_units, dtype=bool)
            for group in pool.enemy_groups:
                bound[pool.unit_of[list(group)]] = True
            n_plain = int(cell.max()) + 1 if cell.size else 0
            cell[bound] = n_plain + np.arange(int(bound.sum()))
        n_cells = int(cell.max()) + 1 if cell.size else 0
        first_of_cell = np.zeros(n_cells, dtype=np.int64)
        first_of_cell[cell[::-1]] = np.arange(n_units)[::-1]
        cell_c = c_units[:, first_of_cell] if cons else np.zeros((0, n_cells), dtype=np.int64)
        length = max(design.test_length, 1)
        return cls(
            c_items=c_items,
            c_units=c_units,
            mins=mins,
            maxs=maxs,
            min_share=mins / length,
            unit_max_contrib=c_units.max(axis=1) if c_units.size else np.zeros(len(cons)),
            unit_sel_size=np.asarray(sel, dtype=np.int64),
            unit_k=unit_k,
            unit_first=np.array([m[0] for m in pool.unit_members], dtype=np.int64),
            c_units_any=c_units > 0,
            cell=cell,
            cell_c=cell_c,
        )


# ---------------------------------------------------------------------- filtering
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


def _unit_criterion(
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


# ---------------------------------------------------------------------- selection
def _choose(
    design: Design,
    prep: _Prepared,
    candidates: np.ndarray,
    crit: np.ndarray,
    rng: np.random.Generator | None,
    state: AdministrationState,
) -> tuple[int | None, tuple[int, ...]]:
    """Randomesque top-k, then the Sympson-Hetter lottery (when on).

    Random numbers: the randomesque order comes from ``rng`` when given, else from
    :func:`step_uniforms` of (seed, position); the lottery draw of a unit comes from
    :func:`item_uniforms` of (seed, unit), fixed for the whole administration.
    Returns (unit, considered units in lottery order)."""
    masked = np.where(candidates, crit, -np.inf)
    k = design.selection.randomesque
    sh = design.exposure == "sympson_hetter"
    if k == 1 and not sh:
        u = int(np.argmax(masked))
        return (u, (u,)) if np.isfinite(masked[u]) else (None, ())
    depth = min(masked.size, k + (_SH_DEPTH if sh else 0))
    top = _top(masked, depth)
    if top.size == 0:
        return None, ()
    head = top[: min(k, top.size)]
    u = (
        rng.random(head.size)
        if rng is not None
        else step_uniforms(state.seed, state.position, head.size)
    )
    if not sh:
        unit = int(head[int(np.argmin(u))])
        return unit, (unit,)
    order = np.concatenate([head[np.argsort(u, kind="stable")], top[head.size :]])
    draws = item_uniforms(state.seed, order)
    accepted = np.nonzero(draws < prep.unit_k[order])[0]
    if not accepted.size and top.size < np.count_nonzero(np.isfinite(masked)):
        # The window was turned down entirely (rare): run the lottery over every candidate.
        order = np.concatenate(
            [
                order,
                _top(
                    np.where(np.isin(np.arange(masked.size), order), -np.inf, masked), masked.size
                ),
            ]
        )
        draws = item_uniforms(state.seed, order)
        accepted = np.nonzero(draws < prep.unit_k[order])[0]
    if not accepted.size:
        # Everything was turned down: give the candidate with the largest K rather than none.
        best = int(np.argmax(prep.unit_k[order]))
        return int(order[best]), tuple(int(u) for u in order)
    stop = int(accepted[0])
    return int(order[stop]), tuple(int(u) for u in order[: stop + 1])


def _top(masked: np.ndarray, depth: int) -> np.ndarray:
    """Indices of the ``depth`` largest finite values, largest first (ties: lowest index)."""
    if depth <= 8:
        # A few argmax passes beat argpartition (tens of µs) for the usual randomesque k.
        # Knock out each maximum in place and put the values back afterwards (no copy).
        out: list[int] = []
        saved: list[float] = []
        for _ in range(depth):
            j = int(masked.argmax())
            value = float(masked[j])
            if value == -np.inf:
                break
            out.append(j)
            saved.append(value)
            masked[j] = -np.inf
        masked[out] = saved
        return np.array(out, dtype=np.int64)
    if depth < masked.size:
        top = np.argpartition(-masked, depth - 1)[:depth]
    else:
        top = np.arange(masked.size)
    top = top[np.argsort(-masked[top], kind="stable")]
    return top[np.isfinite(masked[top])]


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
        Select at this θ instead of θ̂ (simulation oracle only).

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
    theta = estimate.theta if selection_theta is None else float(selection_theta)
    crit = _unit_criterion(design, pool, scored, theta)
    candidates, notes = CONTENT_BALANCERS[design.content].candidates(
        design, pool, scored, units, counts, crit
    )
    unit, considered = _choose(design, prep, candidates, crit, rng, state)
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


# ---------------------------------------------------------------------- configuration
def _estimator_from_config(spec: Any) -> Any:
    if spec is None:
        return EAP()
    if isinstance(spec, str):
        spec = {"method": spec}
    spec = dict(spec)
    method = str(spec.pop("method", "eap")).lower()
    prior = spec.pop("prior", {}) or {}
    bounds = tuple(spec.pop("bounds", (-6.0, 6.0)))
    if method == "eap":
        return EAP(
            prior_mean=float(prior.get("mean", 0.0)),
            prior_sd=float(prior.get("sd", 1.0)),
            n_nodes=int(spec.pop("nodes", 81)),
            bounds=bounds,
        )
    if method == "map":
        return MAP(float(prior.get("mean", 0.0)), float(prior.get("sd", 1.0)), bounds)
    if method == "mle":
        return MLE(bounds)
    if method == "wle":
        return WLE(bounds)
    raise ValueError(f"unknown estimator {method!r}")


def _constraints_from_config(blueprint: Mapping[str, Any], length: int) -> tuple[Constraint, ...]:
    out = []
    for raw in blueprint.get("constraints", []) or []:
        lo = raw.get("min")
        hi = raw.get("max")
        if "share" in raw:
            share = float(raw["share"])
            lo = int(np.floor(share * length)) if lo is None else lo
            hi = int(np.ceil(share * length)) if hi is None else hi
        if "min_share" in raw and lo is None:
            lo = int(np.ceil(float(raw["min_share"]) * length))
        if "max_share" in raw and hi is None:
            hi = int(np.floor(float(raw["max_share"]) * length))
        lo = int(lo or 0)
        hi = None if hi is None else int(hi)
        if hi is not None and hi < lo:
            raise ValueError(f"constraint {raw}: max < min")
        out.append(Constraint(str(raw["attribute"]), str(raw["value"]), lo, hi))
    return tuple(out)


def design_from_config(
    config: Mapping[str, Any],
    cut_scores: Mapping[str, float] | CutScores | None = None,
    *,
    name: str | None = None,
    version: str | None = None,
) -> Design:
    """Build a :class:`Design` from a manifest section (``design`` + ``blueprint`` blocks).

    Parameters
    ----------
    config : mapping
        A section of a test manifest (itembank/FORMAT.md, "Test manifests"): keys ``design``
        (``estimator``, ``selection: {method, randomesque, kl_first}``,
        ``exposure: {method: none | sympson_hetter}``, ``content: heuristic | shadow | none``,
        ``stopping: {min_items, max_items, se, classification_z,
        sprt: {level | cut, delta, alpha, beta}, combine: any | all}``), ``blueprint``
        (``length``, ``constraints: [{attribute, value, min, max | share | min_share |
        max_share}]``) and optionally ``skill``, ``name``, ``version``, ``target_level``.
    cut_scores : ``{"A1": θ, ...}`` for this section's skill, or CutScores, optional
        Needed for the classification and SPRT stopping rules.
    name, version : str, optional
        Override ``config["name"]`` / ``config["version"]`` (defaults: skill, ``"1"``).
    """
    d = dict(config.get("design", {}) or {})
    bp = dict(config.get("blueprint", {}) or {})
    stop = dict(d.get("stopping", {}) or {})
    cuts = (
        cut_scores
        if isinstance(cut_scores, CutScores) or cut_scores is None
        else CutScores.from_mapping(cut_scores)
    )
    length = bp.get("length")
    max_items = int(stop.get("max_items", length if length is not None else 30))
    min_items = int(stop.get("min_items", 0))
    blueprint = Blueprint(
        None if length is None else int(length),
        _constraints_from_config(bp, int(length) if length is not None else max_items),
    )
    sel = d.get("selection", {}) or {}
    if isinstance(sel, str):
        sel = {"method": sel}
    selection = SelectionRule(
        method=str(sel.get("method", "max_info")),
        randomesque=int(sel.get("randomesque", 1) or 1),
        kl_first=int(sel.get("kl_first", 0) or 0),
        kl_z=float(sel.get("kl_z", 3.0)),
    )
    exposure = d.get("exposure", {}) or {}
    exposure_method = str(exposure if isinstance(exposure, str) else exposure.get("method", "none"))
    r_max = (
        None
        if isinstance(exposure, str) or exposure.get("r_max") is None
        else float(exposure["r_max"])
    )
    content = d.get("content", "heuristic" if blueprint.constraints else "none")
    if isinstance(content, Mapping):
        content = content.get("method", "heuristic")
    target = config.get("target_level")
    classification = None
    if stop.get("classification_z") is not None:
        if cuts is None:
            raise ValueError("classification stopping needs cut scores")
        classification = ClassificationCI(cuts, float(stop["classification_z"]))
    sprt = None
    if stop.get("sprt"):
        spec = dict(stop["sprt"])
        if "cut" in spec:
            cut = float(spec["cut"])
        else:
            level = spec.get("level", target)
            if cuts is None or level is None:
                raise ValueError("SPRT needs a cut or a level with cut scores")
            cut = cuts.cut_of(str(level))
        sprt = SPRT(
            cut,
            float(spec.get("delta", 0.3)),
            float(spec.get("alpha", 0.05)),
            float(spec.get("beta", 0.05)),
        )
    stopping = standard_stopping(
        min_items,
        max_items,
        se=stop.get("se"),
        classification=classification,
        sprt=sprt,
        combine=str(stop.get("combine", "any")),
    )
    skill = config.get("skill")
    return Design(
        name=str(name or config.get("name") or skill or "design"),
        version=str(version or config.get("version") or "1"),
        estimator=_estimator_from_config(d.get("estimator")),
        selection=selection,
        exposure=exposure_method,
        r_max=r_max,
        content=str(content),
        blueprint=blueprint,
        min_items=min_items,
        max_items=max_items,
        stopping=stopping,
        cut_scores=cuts,
        target_level=None if target is None else str(target),
        skill=None if skill is None else str(skill),
    )


def designs_from_manifest(manifest: Mapping[str, Any]) -> dict[str, Design]:
    """One :class:`Design` per section of a whole test manifest, keyed by skill.

    Names are ``"<manifest id>/<skill>"``; the version is the manifest's ``version`` (default
    ``"1"``); cut scores come from ``cut_scores[<skill>]``; ``target_level`` from the manifest
    unless the section sets its own. Sections without a ``design`` block (fixed, rated
    tasks such as writing and speaking) are left out.
    """
    cut_scores = manifest.get("cut_scores", {}) or {}
    out: dict[str, Design] = {}
    for section in manifest.get("sections", []) or []:
        if not section.get("design"):
            continue
        skill = str(section["skill"])
        merged = {"target_level": manifest.get("target_level"), **section}
        out[skill] = design_from_config(
            merged,
            cut_scores.get(skill),
            name=f"{manifest.get('id', 'test')}/{skill}",
            version=str(manifest.get("version", "1")),
        )
    return out
