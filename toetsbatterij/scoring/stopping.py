"""Composable stopping rules. Each returns a reason (str) to stop, or None to go on.

Reasons: ``"max_items"``, ``"se"``, ``"classification"``, ``"sprt"``, ``"glr"``, ``"curtailed"``,
``"pool_exhausted"``
(set by :func:`~toetsbatterij.scoring.engine.next_step`). :class:`MinItems` is a guard: it
never stops a test by itself, it only holds back the rules combined with it in :class:`AllOf`.

References
----------
- Eggen, T. J. H. M. (1999). Item selection in adaptive testing with the sequential
  probability ratio test. Applied Psychological Measurement, 23(3), 249-261.
- Weiss, D. J., & Kingsbury, G. G. (1984). Application of computerized adaptive testing to
  educational problems (confidence-interval classification).
- Bartroff, J., Finkelman, M., & Lai, T. L. (2008). Modern sequential analysis and its
  applications to computerized adaptive testing. Psychometrika, 73(3), 473-486 (the generalised
  likelihood ratio).
- Thompson, N. A. (2009). Item selection in computerized classification testing. Educational
  and Psychological Measurement, 69(5), 778-793 (GLR in classification testing).
- Finkelman, M. D. (2008). On using stochastic curtailment to shorten the SPRT in sequential
  mastery testing. Journal of Educational and Behavioral Statistics, 33(4), 442-463.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol

import numpy as np

from .cefr import CutScores
from .estimation import Estimate
from .models import ItemPool, item_information, response_log_likelihood
from .state import AdministrationState

__all__ = [
    "AllOf",
    "AnyOf",
    "ClassificationCI",
    "GLR",
    "MaxItems",
    "MinItems",
    "SEBelow",
    "SPRT",
    "StochasticCurtailment",
    "StoppingRule",
    "remaining_information",
]


class StoppingRule(Protocol):
    """Seam: ``should_stop(pool, state, estimate) -> reason | None``."""

    def should_stop(
        self, pool: ItemPool, state: AdministrationState, estimate: Estimate
    ) -> str | None: ...


@dataclass(frozen=True)
class MaxItems:
    """Stop when ``n`` items have been given."""

    n: int

    def should_stop(self, pool, state, estimate) -> str | None:
        return "max_items" if state.position >= self.n else None


@dataclass(frozen=True)
class MinItems:
    """Guard: true (reason ``"min_items"``) once ``n`` items have been given."""

    n: int
    guard = True

    def should_stop(self, pool, state, estimate) -> str | None:
        return "min_items" if state.position >= self.n else None


@dataclass(frozen=True)
class SEBelow:
    """Stop when SE ≤ ``se`` (and at least one item was given)."""

    se: float

    def should_stop(self, pool, state, estimate) -> str | None:
        return "se" if state.position > 0 and estimate.se <= self.se else None


@dataclass(frozen=True, eq=False)
class ClassificationCI:
    """Stop when θ̂ ± z·SE lies inside one CEFR band."""

    cuts: CutScores
    z: float = 1.96

    def should_stop(self, pool, state, estimate) -> str | None:
        if state.position == 0 or not np.isfinite(estimate.se):
            return None
        lo = self.cuts.level_of(estimate.theta - self.z * estimate.se)
        hi = self.cuts.level_of(estimate.theta + self.z * estimate.se)
        return "classification" if lo == hi else None


@dataclass(frozen=True)
class SPRT:
    """Sequential probability ratio test of θ ≥ cut + δ against θ ≤ cut − δ.

    Stops when log L(cut+δ) − log L(cut−δ) ≥ log((1−β)/α) or ≤ log(β/(1−α)).
    """

    cut: float
    delta: float = 0.3
    alpha: float = 0.05
    beta: float = 0.05

    def should_stop(self, pool, state, estimate) -> str | None:
        if state.position == 0:
            return None
        ll = response_log_likelihood(
            pool,
            state.items_array,
            state.scores_array,
            np.array([self.cut - self.delta, self.cut + self.delta]),
        )
        ratio = ll[1] - ll[0]
        upper = np.log((1 - self.beta) / self.alpha)
        lower = np.log(self.beta / (1 - self.alpha))
        return "sprt" if ratio >= upper or ratio <= lower else None


def _bounds(alpha: float, beta: float) -> tuple[float, float]:
    """Wald's bounds (log A, log B) of a test with error rates α and β."""
    if not (0 < alpha < 0.5 and 0 < beta < 0.5):
        raise ValueError("alpha and beta must lie in (0, 0.5)")
    return float(np.log((1 - beta) / alpha)), float(np.log(beta / (1 - alpha)))


@dataclass(frozen=True)
class GLR:
    """Generalised likelihood ratio test of θ ≥ cut + δ against θ ≤ cut − δ.

    Like the SPRT, but each hypothesis is represented by its best-fitting θ instead of the
    edge of the indifference region: the statistic is
    ``max_{θ ≥ cut+δ} log L(θ) − max_{θ ≤ cut−δ} log L(θ)``, compared with Wald's bounds
    ``log((1−β)/α)`` and ``log(β/(1−α))``. For a candidate far from the cut the maxima lie
    far apart, so the test stops sooner than the SPRT at the same error rates (Bartroff,
    Finkelman & Lai 2008). The maxima are taken on a grid of ``n_grid`` points on each side
    (exact at the edge; a grid, not a derivative, so the 3PL's multimodal likelihood is safe).
    ``delta = 0`` gives the GLR of θ ≥ cut against θ < cut.
    """

    cut: float
    delta: float = 0.1
    alpha: float = 0.05
    beta: float = 0.05
    bounds: tuple[float, float] = (-6.0, 6.0)
    n_grid: int = 61

    def __post_init__(self) -> None:
        _bounds(self.alpha, self.beta)
        if self.delta < 0:
            raise ValueError("delta must not be negative")

    def statistic(self, pool: ItemPool, state: AdministrationState) -> float:
        lo, hi = self.bounds
        upper = np.linspace(min(self.cut + self.delta, hi), hi, self.n_grid)
        lower = np.linspace(lo, max(self.cut - self.delta, lo), self.n_grid)
        ll = response_log_likelihood(
            pool, state.items_array, state.scores_array, np.concatenate([lower, upper])
        )
        return float(ll[self.n_grid :].max() - ll[: self.n_grid].max())

    def should_stop(self, pool, state, estimate) -> str | None:
        if state.position == 0:
            return None
        upper, lower = _bounds(self.alpha, self.beta)
        stat = self.statistic(pool, state)
        return "glr" if stat >= upper or stat <= lower else None


def remaining_information(
    pool: ItemPool, state: AdministrationState, theta: float, n_remaining: int
) -> float:
    """Fisher information at ``theta`` of the ``n_remaining`` most informative selectable items
    not given yet: the most the rest of the test can add there (content rules can only lower
    it, so a decision this cannot change, nothing can)."""
    if n_remaining <= 0:
        return 0.0
    info = pool.cached(("info_at", float(theta)), lambda: item_information(pool, float(theta)))
    free = pool.selectable.copy()
    free[state.items_array] = False
    if state.excluded:
        free[list(state.excluded)] = False
    avail = info[free]
    if avail.size <= n_remaining:
        return float(avail.sum())
    return float(np.partition(avail, avail.size - n_remaining)[avail.size - n_remaining :].sum())


@dataclass(frozen=True)
class StochasticCurtailment:
    """Stop when the items still to come are unlikely to change the decision at the cut.

    The decision at the end of the test (at ``max_items``) is θ̂ ≥ ``cut``. With the current
    posterior N(θ̂, SE²) and at most I_r more information at the cut (the ``max_items − n``
    most informative items left, :func:`remaining_information`), the final estimate is, to
    the normal approximation, the precision-weighted mean of θ̂ and the estimate from the
    remaining items; its predictive distribution is N(θ̂, I_r / (I_f · I_n)) with
    I_n = 1/SE², I_f = I_n + I_r. The test stops when the predictive probability that the
    final decision differs from the current one is below ``gamma`` (Finkelman 2008, with a
    Bayesian predictive instead of conditional power). When no item is left, or the
    remaining items carry no information, the decision cannot change: the test stops.
    """

    cut: float
    max_items: int
    gamma: float = 0.05

    def __post_init__(self) -> None:
        if not 0 < self.gamma < 0.5:
            raise ValueError("gamma must lie in (0, 0.5)")

    def change_probability(self, pool, state, estimate) -> float:
        from scipy.special import ndtr

        if not (np.isfinite(estimate.se) and estimate.se > 0):
            return 1.0
        n_given = int(np.count_nonzero(pool.selectable[state.items_array]))
        i_r = remaining_information(pool, state, self.cut, self.max_items - n_given)
        if i_r <= 0:
            return 0.0
        i_n = 1.0 / estimate.se**2
        z = abs(estimate.theta - self.cut) * np.sqrt((i_n + i_r) * i_n / i_r)
        return float(ndtr(-z))

    def should_stop(self, pool, state, estimate) -> str | None:
        if state.position == 0:
            return None
        return "curtailed" if self.change_probability(pool, state, estimate) < self.gamma else None


@dataclass(frozen=True)
class AnyOf:
    """Stop when any rule says so; the first rule's reason is returned."""

    rules: tuple[StoppingRule, ...]

    def should_stop(self, pool, state, estimate) -> str | None:
        for rule in self.rules:
            if getattr(rule, "guard", False):
                continue
            reason = rule.should_stop(pool, state, estimate)
            if reason is not None:
                return reason
        return None


@dataclass(frozen=True)
class AllOf:
    """Stop when every rule says so; reasons of the non-guard rules joined with ``+``."""

    rules: tuple[StoppingRule, ...]

    def should_stop(self, pool, state, estimate) -> str | None:
        reasons = []
        for rule in self.rules:
            reason = rule.should_stop(pool, state, estimate)
            if reason is None:
                return None
            if not getattr(rule, "guard", False):
                reasons.append(reason)
        return "+".join(reasons) if reasons else None
