"""Ability estimation with standard errors: EAP, MAP, MLE and WLE.

Pure functions take a pool, the pool indices and score categories of a response pattern
(mixed dichotomous and polytomous items allowed) and return an :class:`Estimate`. The classes
:class:`EAP`, :class:`MAP`, :class:`MLE` and :class:`WLE` hold the settings and implement the
``AbilityEstimator`` seam ``estimate(pool, state) -> Estimate``.

References
----------
- Bock, R. D., & Mislevy, R. J. (1982). Adaptive EAP estimation of ability in a microcomputer
  environment. Applied Psychological Measurement, 6(4), 431-444.
- Warm, T. A. (1989). Weighted likelihood estimation of ability in item response theory.
  Psychometrika, 54(3), 427-450.
"""

from __future__ import annotations

import weakref
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Protocol

import numpy as np

from .models import (
    ItemPool,
    category_log_probabilities,
    category_probabilities,
    item_information,
    response_log_likelihood,
)
from .state import AdministrationState

__all__ = [
    "EAP",
    "MAP",
    "MLE",
    "WLE",
    "AbilityEstimator",
    "Estimate",
    "eap",
    "eap_from_log_likelihood",
    "eap_matrix",
    "map_estimate",
    "mle",
    "quadrature_grid",
    "wle",
]

# Fallback note codes (machine-readable; the web layer translates them for staff).
NOTE_MLE_UNDEFINED = "mle_undefined_extreme_pattern"
NOTE_NO_RESPONSES = "no_responses"
NOTE_AT_BOUND = "at_bound"


@dataclass(frozen=True, eq=False)
class Estimate:
    """An ability estimate.

    Attributes
    ----------
    theta : float
        θ̂ on the logit scale.
    se : float
        Standard error (EAP: posterior SD; MAP: 1/√(I(θ̂) + 1/σ²); MLE/WLE: 1/√I(θ̂)).
    method : str
        ``"eap" | "map" | "mle" | "wle"``: the method that produced ``theta`` (after a fallback,
        the fallback's method).
    posterior : tuple[ndarray (Q,), ndarray (Q,)] | None
        ``(grid, weights)``: the normalised posterior mass at each quadrature node (EAP only).
    note : str | None
        Why a fallback was used (``"mle_undefined_extreme_pattern"``, ``"no_responses"``,
        ``"at_bound"``), else None.
    """

    theta: float
    se: float
    method: str
    posterior: tuple[np.ndarray, np.ndarray] | None = field(default=None, repr=False)
    note: str | None = None


class AbilityEstimator(Protocol):
    """Seam: ``estimate(pool, state) -> Estimate``."""

    def estimate(self, pool: ItemPool, state: AdministrationState) -> Estimate: ...


def quadrature_grid(n: int = 81, bounds: tuple[float, float] = (-6.0, 6.0)) -> np.ndarray:
    """Equally spaced quadrature nodes, shape (n,)."""
    if n < 3:
        raise ValueError("need at least 3 quadrature nodes")
    return np.linspace(float(bounds[0]), float(bounds[1]), int(n))


def _normal_log_density(nodes: np.ndarray, mean: float, sd: float) -> np.ndarray:
    return -0.5 * ((nodes - mean) / sd) ** 2 - np.log(sd * np.sqrt(2.0 * np.pi))


def eap_from_log_likelihood(
    nodes: np.ndarray, log_prior_weights: np.ndarray, log_likelihood: np.ndarray
) -> tuple[float, float, np.ndarray]:
    """EAP θ̂ and posterior SD from a log-likelihood on quadrature nodes.

    Parameters
    ----------
    nodes : ndarray, shape (Q,)
    log_prior_weights : ndarray, shape (Q,)
        log(prior density × quadrature weight) at each node.
    log_likelihood : ndarray, shape (Q,)

    Returns
    -------
    theta, se, weights (ndarray, shape (Q,), normalised posterior mass)
    """
    lw = log_likelihood + log_prior_weights
    w = np.exp(lw - lw.max())
    w /= w.sum()
    mean = float(w @ nodes)
    var = float(w @ (nodes - mean) ** 2)
    return mean, float(np.sqrt(max(var, 0.0))), w


def eap(
    pool: ItemPool,
    items: Sequence[int] | np.ndarray,
    scores: Sequence[int] | np.ndarray,
    *,
    prior_mean: float = 0.0,
    prior_sd: float = 1.0,
    nodes: np.ndarray | None = None,
    log_prior_weights: np.ndarray | None = None,
) -> Estimate:
    """Expected a posteriori θ̂ with a normal prior N(prior_mean, prior_sd²).

    ``nodes`` default to 81 equally spaced points on [-6, 6]; pass ``log_prior_weights``
    (shape (Q,)) to use another prior or quadrature rule (e.g. Gauss-Legendre weights).
    """
    grid = quadrature_grid() if nodes is None else np.asarray(nodes, dtype=float)
    lpw = (
        _normal_log_density(grid, prior_mean, prior_sd)
        if log_prior_weights is None
        else np.asarray(log_prior_weights, dtype=float)
    )
    ll = response_log_likelihood(pool, items, scores, grid)
    theta, se, w = eap_from_log_likelihood(grid, lpw, ll)
    note = NOTE_NO_RESPONSES if len(items) == 0 else None
    return Estimate(theta, se, "eap", (grid, w), note)


def eap_matrix(
    pool: ItemPool,
    responses: np.ndarray,
    *,
    prior_mean: float = 0.0,
    prior_sd: float = 1.0,
    nodes: np.ndarray | None = None,
    log_prior_weights: np.ndarray | None = None,
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """EAP for many response patterns at once (offline scoring, reliability, calibration).

    Parameters
    ----------
    pool : ItemPool
    responses : int array, shape (N, n)
        Score category per person and pool item; -1 where the item was not administered.
    prior_mean, prior_sd, nodes, log_prior_weights : as :func:`eap`.

    Returns
    -------
    theta : ndarray (N,), se : ndarray (N,), weights : ndarray (N, Q) (normalised posteriors)
    """
    x = np.asarray(responses, dtype=np.int64)
    if x.ndim != 2 or x.shape[1] != pool.n:
        raise ValueError(f"responses must have shape (N, {pool.n})")
    if np.any(x < -1) or np.any(x >= pool.n_categories[None, :]):
        raise ValueError("score outside the item's categories")
    grid = quadrature_grid() if nodes is None else np.asarray(nodes, dtype=float)
    lpw = (
        _normal_log_density(grid, prior_mean, prior_sd)
        if log_prior_weights is None
        else np.asarray(log_prior_weights, dtype=float)
    )
    table = category_log_probabilities(pool, grid)  # (n, M, Q)
    # -inf only marks categories an item lacks (never scored, checked above); keep the
    # matrix products free of 0·inf.
    table = np.where(np.isfinite(table), table, 0.0)
    ll = np.zeros((x.shape[0], grid.size))
    for k in range(pool.m_max + 1):
        ll += (x == k).astype(float) @ table[:, k, :]
    lw = ll + lpw[None, :]
    w = np.exp(lw - lw.max(axis=1, keepdims=True))
    w /= w.sum(axis=1, keepdims=True)
    theta = w @ grid
    var = np.einsum("nq,nq->n", w, (grid[None, :] - theta[:, None]) ** 2)
    return theta, np.sqrt(np.maximum(var, 0.0)), w


def _mode(
    objective, lo: float, hi: float, pool: ItemPool, items, scores, extra
) -> tuple[float, bool]:
    """Maximise a 1-D log-density: grid scan (robust to 3PL multimodality), then bounded Brent."""
    grid = np.linspace(lo, hi, 121)
    vals = response_log_likelihood(pool, items, scores, grid) + extra(grid)
    j = int(np.argmax(vals))
    step = grid[1] - grid[0]
    a, b = grid[max(j - 1, 0)], grid[min(j + 1, grid.size - 1)]
    from scipy.optimize import minimize_scalar

    res = minimize_scalar(
        lambda t: -objective(t), bounds=(a, b), method="bounded", options={"xatol": 1e-9}
    )
    theta = float(res.x)
    at_bound = theta <= lo + step / 2 or theta >= hi - step / 2
    return theta, at_bound


def map_estimate(
    pool: ItemPool,
    items: Sequence[int] | np.ndarray,
    scores: Sequence[int] | np.ndarray,
    *,
    prior_mean: float = 0.0,
    prior_sd: float = 1.0,
    bounds: tuple[float, float] = (-6.0, 6.0),
) -> Estimate:
    """Maximum a posteriori θ̂ (normal prior); SE = 1/√(I(θ̂) + 1/σ²)."""

    def logprior(t):
        return -0.5 * ((np.asarray(t) - prior_mean) / prior_sd) ** 2

    def objective(t: float) -> float:
        return float(response_log_likelihood(pool, items, scores, t)[0] + logprior(t))

    theta, at_bound = _mode(objective, bounds[0], bounds[1], pool, items, scores, logprior)
    info = float(item_information(pool, theta, items).sum()) if len(items) else 0.0
    se = 1.0 / np.sqrt(info + 1.0 / prior_sd**2)
    return Estimate(theta, float(se), "map", None, NOTE_AT_BOUND if at_bound else None)


def _is_extreme(pool: ItemPool, items: np.ndarray, scores: np.ndarray) -> bool:
    if items.size == 0:
        return True
    top = pool.n_categories[items] - 1
    return bool(np.all(scores == 0) or np.all(scores == top))


def mle(
    pool: ItemPool,
    items: Sequence[int] | np.ndarray,
    scores: Sequence[int] | np.ndarray,
    *,
    bounds: tuple[float, float] = (-6.0, 6.0),
    fallback: EAP | MAP | None = None,
) -> Estimate:
    """Maximum likelihood θ̂ with SE = 1/√I(θ̂).

    Fallback: for an empty pattern or one with every response in the lowest (or every response
    in the highest) category the likelihood has no maximum; the result is then the
    ``fallback`` estimator's (default EAP with N(0, 1)) with ``note="mle_undefined_extreme_pattern"``.
    """
    idx = np.asarray(items, dtype=np.int64).reshape(-1)
    x = np.asarray(scores, dtype=np.int64).reshape(-1)
    if _is_extreme(pool, idx, x):
        fb = fallback if fallback is not None else EAP()
        est = fb.estimate_pattern(pool, idx, x)
        note = NOTE_NO_RESPONSES if idx.size == 0 else NOTE_MLE_UNDEFINED
        return Estimate(est.theta, est.se, est.method, est.posterior, note)

    def objective(t: float) -> float:
        return float(response_log_likelihood(pool, idx, x, t)[0])

    theta, at_bound = _mode(objective, bounds[0], bounds[1], pool, idx, x, lambda g: 0.0)
    info = float(item_information(pool, theta, idx).sum())
    se = 1.0 / np.sqrt(info) if info > 0 else np.inf
    return Estimate(theta, float(se), "mle", None, NOTE_AT_BOUND if at_bound else None)


def _wle_function(pool: ItemPool, idx: np.ndarray, x: np.ndarray, theta: np.ndarray) -> np.ndarray:
    """S(θ) + J(θ)/(2I(θ)) on a vector of θ (shape (T,)), by central differences of P."""
    h = 1e-3
    t = np.concatenate([theta - h, theta, theta + h])
    p = category_probabilities(pool, t, idx)  # (k, M, 3T)
    tn = theta.size
    pm, p0, pp = p[:, :, :tn], p[:, :, tn : 2 * tn], p[:, :, 2 * tn :]
    d1 = (pp - pm) / (2 * h)
    d2 = (pp - 2 * p0 + pm) / (h * h)
    with np.errstate(divide="ignore", invalid="ignore"):
        safe = np.where(p0 > 1e-300, p0, np.inf)
        info = (d1 * d1 / safe).sum(axis=(0, 1))
        j = (d1 * d2 / safe).sum(axis=(0, 1))
        rows = np.arange(idx.size)
        score = (d1[rows, x, :] / safe[rows, x, :]).sum(axis=0)
        return score + j / (2.0 * info)


def wle(
    pool: ItemPool,
    items: Sequence[int] | np.ndarray,
    scores: Sequence[int] | np.ndarray,
    *,
    bounds: tuple[float, float] = (-6.0, 6.0),
) -> Estimate:
    """Warm's weighted likelihood θ̂: root of ∂logL/∂θ + J(θ)/(2I(θ)); SE = 1/√I(θ̂).

    J = Σ_i Σ_k P′_ik P″_ik / P_ik (for dichotomous items Σ P′P″/(P(1−P))). The correction
    keeps θ̂ finite for perfect patterns. Derivatives of P are central differences
    (h = 1e-3), so every model is covered by one code path. An empty pattern returns θ = 0
    with infinite SE and ``note="no_responses"``.
    """
    idx = np.asarray(items, dtype=np.int64).reshape(-1)
    x = np.asarray(scores, dtype=np.int64).reshape(-1)
    if idx.size == 0:
        return Estimate(0.0, float("inf"), "wle", None, NOTE_NO_RESPONSES)
    lo, hi = bounds
    grid = np.linspace(lo, hi, 121)
    f = _wle_function(pool, idx, x, grid)
    finite = np.isfinite(f)
    sign_change = np.nonzero(finite[:-1] & finite[1:] & (np.sign(f[:-1]) != np.sign(f[1:])))[0]
    note = None
    if sign_change.size:
        from scipy.optimize import brentq

        # Take the crossing from + to - (a maximum of the weighted likelihood) nearest the middle.
        down = [j for j in sign_change if f[j] > 0] or list(sign_change)
        j = min(down, key=lambda k: abs(grid[k]))
        theta = float(
            brentq(
                lambda t: float(_wle_function(pool, idx, x, np.array([t]))[0]),
                grid[j],
                grid[j + 1],
                xtol=1e-10,
            )
        )
    else:
        theta = hi if np.nanmean(f) > 0 else lo
        note = NOTE_AT_BOUND
    info = float(item_information(pool, theta, idx).sum())
    se = 1.0 / np.sqrt(info) if info > 0 else np.inf
    return Estimate(theta, float(se), "wle", None, note)


# ---------------------------------------------------------------------- estimator classes
@dataclass(frozen=True, eq=False)
class EAP:
    """EAP with a normal prior on ``n_nodes`` equally spaced nodes over ``bounds``.

    The log-probability of every item category at every node, shape (n, M, Q), is computed
    once per pool and grid and kept in the pool's cache, so one estimate is a gather and a sum.
    """

    prior_mean: float = 0.0
    prior_sd: float = 1.0
    n_nodes: int = 81
    bounds: tuple[float, float] = (-6.0, 6.0)
    nodes: np.ndarray = field(init=False, repr=False)
    log_prior_weights: np.ndarray = field(init=False, repr=False)
    _last: tuple = field(init=False, repr=False, default=None)

    def __post_init__(self) -> None:
        object.__setattr__(self, "_last", (lambda: None, None))
        if self.prior_sd <= 0:
            raise ValueError("prior_sd must be > 0")
        grid = quadrature_grid(self.n_nodes, self.bounds)
        object.__setattr__(self, "nodes", grid)
        object.__setattr__(
            self, "log_prior_weights", _normal_log_density(grid, self.prior_mean, self.prior_sd)
        )

    name = "eap"

    def log_probability_table(self, pool: ItemPool) -> np.ndarray:
        """log P(X = k | node q) for every item, shape (n, M, Q) (read-only, cached)."""
        last = self._last  # (weak ref to the pool, its table), replaced whole
        if last[0]() is pool:
            return last[1]

        def build() -> np.ndarray:
            table = category_log_probabilities(pool, self.nodes)
            table.setflags(write=False)
            return table

        table = pool.cached(("eap_table", self.n_nodes, tuple(self.bounds)), build)
        object.__setattr__(self, "_last", (weakref.ref(pool), table))
        return table

    def estimate_pattern(self, pool: ItemPool, items: np.ndarray, scores: np.ndarray) -> Estimate:
        items = np.asarray(items, dtype=np.int64)
        scores = np.asarray(scores, dtype=np.int64)
        if items.size and (scores.min() < 0 or np.any(scores >= pool.n_categories[items])):
            raise ValueError("score outside the item's categories")
        ll = self.log_probability_table(pool)[items, scores].sum(axis=0)
        theta, se, w = eap_from_log_likelihood(self.nodes, self.log_prior_weights, ll)
        return Estimate(
            theta, se, "eap", (self.nodes, w), None if len(items) else NOTE_NO_RESPONSES
        )

    def estimate(self, pool: ItemPool, state: AdministrationState) -> Estimate:
        """Estimate from the scored responses of ``state`` (see ``AdministrationState.scored``)."""
        scored = state.scored(pool)
        return self.estimate_pattern(pool, scored.items_array, scored.scores_array)


@dataclass(frozen=True)
class MAP:
    """MAP with a normal prior; bounded search over ``bounds``."""

    prior_mean: float = 0.0
    prior_sd: float = 1.0
    bounds: tuple[float, float] = (-6.0, 6.0)
    name = "map"

    def estimate_pattern(self, pool: ItemPool, items: np.ndarray, scores: np.ndarray) -> Estimate:
        return map_estimate(
            pool,
            items,
            scores,
            prior_mean=self.prior_mean,
            prior_sd=self.prior_sd,
            bounds=self.bounds,
        )

    def estimate(self, pool: ItemPool, state: AdministrationState) -> Estimate:
        """Estimate from the scored responses of ``state`` (see ``AdministrationState.scored``)."""
        scored = state.scored(pool)
        return self.estimate_pattern(pool, scored.items_array, scored.scores_array)


@dataclass(frozen=True)
class MLE:
    """MLE on ``bounds``; extreme patterns fall back to ``fallback`` (default EAP N(0,1))."""

    bounds: tuple[float, float] = (-6.0, 6.0)
    fallback: EAP | MAP | None = None
    name = "mle"

    def estimate_pattern(self, pool: ItemPool, items: np.ndarray, scores: np.ndarray) -> Estimate:
        return mle(pool, items, scores, bounds=self.bounds, fallback=self.fallback)

    def estimate(self, pool: ItemPool, state: AdministrationState) -> Estimate:
        """Estimate from the scored responses of ``state`` (see ``AdministrationState.scored``)."""
        scored = state.scored(pool)
        return self.estimate_pattern(pool, scored.items_array, scored.scores_array)


@dataclass(frozen=True)
class WLE:
    """Warm's WLE on ``bounds``."""

    bounds: tuple[float, float] = (-6.0, 6.0)
    name = "wle"

    def estimate_pattern(self, pool: ItemPool, items: np.ndarray, scores: np.ndarray) -> Estimate:
        return wle(pool, items, scores, bounds=self.bounds)

    def estimate(self, pool: ItemPool, state: AdministrationState) -> Estimate:
        """Estimate from the scored responses of ``state`` (see ``AdministrationState.scored``)."""
        scored = state.scored(pool)
        return self.estimate_pattern(pool, scored.items_array, scored.scores_array)
