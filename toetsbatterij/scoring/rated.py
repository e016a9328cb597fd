"""Rated tasks (writing, speaking) in the IRT core: resolved criterion scores as polytomous items.

A rated production is scored by raters on an analytic rubric; each rubric criterion of the task
is one GPCM item (Muraki, 1992) with its own discrimination ``a`` and thresholds b_1..b_m. The
ratings, once resolved (``toetsbatterij.rating.resolution``), are *weighted observations*: a
category of one criterion, with a weight (two agreeing ratings enter with 1/2 each, so the
likelihood is the geometric mean of the two ratings' likelihoods) and optionally a threshold
shift for the rater's severity (fair scores).

    log L(θ) = Σ_o w_o · log P_GPCM(X = x_o | θ; a_o, b_o + s_o)

    P(X = k | θ) ∝ exp(Σ_{j ≤ k} a (θ − b_j − s)),   k = 0..m   (the empty sum is 0)

``s_o`` is the severity of the rater of observation ``o`` in logits, **positive = severe**: a
severe rater's categories are "harder" to reach, so the same observed score says more about θ.
With s = 0 everywhere the estimate is the raw (unadjusted) one.

The estimate is EAP on a quadrature grid with a normal prior; the rule the test forms use for
rated sections is :data:`RATED_ESTIMATOR` (N(0, 1) prior, 81 equally spaced nodes on [−6, 6],
the same grid and prior as the default ``EAP()`` of the adaptive sections). The posterior is kept
on the :class:`~toetsbatterij.scoring.estimation.Estimate`, so ``cefr.classify`` integrates it
for the level probabilities exactly as it does for an adaptive section.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass

import numpy as np

from .estimation import (
    NOTE_NO_RESPONSES,
    Estimate,
    _normal_log_density,
    eap_from_log_likelihood,
    quadrature_grid,
)

__all__ = ["RATED_ESTIMATOR", "RATED_ESTIMATOR_SETTINGS", "RatedObservation",
           "gpcm_log_probabilities", "rated_eap", "rated_log_likelihood"]

#: The versioned estimation rule of rated sections (a result stores its name).
RATED_ESTIMATOR = "rated-eap-normal-v1"
RATED_ESTIMATOR_SETTINGS = {"method": "eap", "prior_mean": 0.0, "prior_sd": 1.0, "nodes": 81,
                            "bounds": [-6.0, 6.0], "model": "gpcm", "severity_shift": "+"}


@dataclass(frozen=True)
class RatedObservation:
    """One resolved category of one rubric criterion.

    ``a``, ``thresholds``: the criterion's GPCM parameters (one threshold: the 2PL);
    ``score``: the category 0..m; ``weight`` > 0; ``shift``: added to every threshold (the
    rater's severity for a fair score, 0 otherwise).
    """

    a: float
    thresholds: tuple[float, ...]
    score: int
    weight: float = 1.0
    shift: float = 0.0

    def __post_init__(self) -> None:
        if not self.thresholds:
            raise ValueError("a GPCM criterion needs at least one threshold")
        if not 0 <= int(self.score) <= len(self.thresholds):
            raise ValueError(f"score {self.score} outside 0..{len(self.thresholds)}")
        if not (self.weight > 0 and np.isfinite(self.weight)):
            raise ValueError("an observation's weight must be positive")
        if not (self.a > 0 and np.isfinite(self.a)):
            raise ValueError("a must be positive")


def gpcm_log_probabilities(a: float, thresholds: Sequence[float],
                           theta: np.ndarray | float) -> np.ndarray:
    """log P(X = k | θ) of one GPCM item, shape (m + 1, Q)."""
    th = np.atleast_1d(np.asarray(theta, dtype=float))
    b = np.asarray(thresholds, dtype=float)
    steps = float(a) * (th[None, :] - b[:, None])                 # (m, Q)
    z = np.vstack([np.zeros((1, th.size)), np.cumsum(steps, axis=0)])  # (m + 1, Q)
    return z - np.logaddexp.reduce(z, axis=0, keepdims=True)


def rated_log_likelihood(observations: Iterable[RatedObservation],
                         nodes: np.ndarray) -> np.ndarray:
    """Σ w · log P(score | θ) over the observations, shape (Q,)."""
    grid = np.asarray(nodes, dtype=float)
    ll = np.zeros(grid.size)
    for o in observations:
        shifted = np.asarray(o.thresholds, dtype=float) + float(o.shift)
        ll += float(o.weight) * gpcm_log_probabilities(o.a, shifted, grid)[int(o.score)]
    return ll


def rated_eap(observations: Sequence[RatedObservation], *, prior_mean: float = 0.0,
              prior_sd: float = 1.0, nodes: np.ndarray | None = None) -> Estimate:
    """EAP θ̂ and posterior SD of a rated section (defaults: :data:`RATED_ESTIMATOR`)."""
    grid = quadrature_grid() if nodes is None else np.asarray(nodes, dtype=float)
    lpw = _normal_log_density(grid, prior_mean, prior_sd)
    ll = rated_log_likelihood(observations, grid)
    theta, se, w = eap_from_log_likelihood(grid, lpw, ll)
    note = NOTE_NO_RESPONSES if len(observations) == 0 else None
    return Estimate(theta, se, "eap", (grid, w), note)
