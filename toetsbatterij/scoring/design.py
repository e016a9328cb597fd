"""Adaptive designs: the named, versioned settings of one adaptive section, its blueprint and
the per-(design, pool) arrays the selection works on.

Constructors only: reading a design from a test manifest is the item bank's business
(``toetsbatterij.items.designs``).
"""

from __future__ import annotations

import weakref
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from .cefr import CutScores
from .estimation import EAP
from .models import ItemPool
from .stopping import (
    GLR,
    SPRT,
    AllOf,
    AnyOf,
    ClassificationCI,
    MaxItems,
    MinItems,
    SEBelow,
    StochasticCurtailment,
)

__all__ = [
    "CONTENT_METHODS",
    "EXPOSURE_METHODS",
    "SELECTION_METHODS",
    "Blueprint",
    "Constraint",
    "Design",
    "SelectionRule",
    "standard_stopping",
]

CONTENT_METHODS = ("none", "heuristic", "shadow")
EXPOSURE_METHODS = ("none", "sympson_hetter")
SELECTION_METHODS = ("max_info", "kl")


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
    at_cut : θ of the decisive cut, or None. Decision-targeted selection: once the estimate is
        near the cut (|θ̂ − at_cut| ≤ ``cut_window``·SE, after ``kl_first`` items) the criterion
        is evaluated at the cut instead of at θ̂, which concentrates information where the
        decision is made (Spray & Reckase 1994; Eggen 1999).
    cut_window : see ``at_cut`` (in standard errors).
    """

    method: str = "max_info"
    randomesque: int = 1
    kl_first: int = 0
    kl_z: float = 3.0
    at_cut: float | None = None
    cut_window: float = 2.0

    def __post_init__(self) -> None:
        if self.method not in SELECTION_METHODS:
            raise ValueError(f"unknown selection method {self.method!r}")
        if self.randomesque < 1 or self.kl_first < 0:
            raise ValueError("randomesque must be >= 1 and kl_first >= 0")
        if self.at_cut is not None and not np.isfinite(self.at_cut):
            raise ValueError("at_cut must be a finite θ")
        if not self.cut_window >= 0:
            raise ValueError("cut_window must not be negative")


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
        the criteria by ``toetsbatterij.items.designs.design_from_config``, or :meth:`standard_stopping`.
    cut_scores : CutScores | None
    target_level : str | None
    skill : str | None
    decisive_level : str | None — the level whose cut a decision-targeted design aims at
        (the cut a purpose profile decides on); informational, the rules carry their θ
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
    decisive_level: str | None = None
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
    glr: GLR | None = None,
    curtailment: StochasticCurtailment | None = None,
    combine: str = "any",
):
    """max_items OR (min_items AND (criteria combined with ``combine``: "any" | "all")).

    The criteria, in this order: SE, classification CI, SPRT, GLR, stochastic curtailment."""
    criteria: list[Any] = []
    if se is not None:
        criteria.append(SEBelow(float(se)))
    for rule in (classification, sprt, glr, curtailment):
        if rule is not None:
            criteria.append(rule)
    rules: list[Any] = [MaxItems(int(max_items))]
    if criteria:
        if combine not in ("any", "all"):
            raise ValueError("combine must be 'any' or 'all'")
        joined = AnyOf(tuple(criteria)) if combine == "any" else AllOf(tuple(criteria))
        rules.append(AllOf((MinItems(int(min_items)), joined)))
    return AnyOf(tuple(rules))


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
