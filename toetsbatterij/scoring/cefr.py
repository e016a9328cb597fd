"""CEFR mapping: cut scores, the level for θ̂, level probabilities and a reporting scale.

The cut scores are data (a test manifest's ``cut_scores`` block), never constants here: the
θ where each level starts, per skill. Below the first cut the level is ``BELOW_A1``.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

import numpy as np

from .estimation import Estimate

__all__ = ["BELOW_A1", "CEFR_ORDER", "CutScores", "LevelDecision", "ReportingScale", "classify"]

BELOW_A1 = "below_A1"
CEFR_ORDER = (BELOW_A1, "A1", "A2", "B1", "B2", "C1", "C2")


@dataclass(frozen=True, eq=False)
class CutScores:
    """Cut scores of one skill.

    Attributes
    ----------
    levels : tuple[str, ...]
        The levels that have a cut, in increasing order (e.g. ``("A1", "A2", "B1", "B2", "C1")``).
    cuts : ndarray, shape (L,)
        θ where each of ``levels`` starts; strictly increasing.
    lowest : str
        The level below the first cut (``"below_A1"``).
    """

    levels: tuple[str, ...]
    cuts: np.ndarray
    lowest: str = BELOW_A1
    all_levels: tuple[str, ...] = field(init=False)

    def __post_init__(self) -> None:
        cuts = np.asarray(self.cuts, dtype=float).reshape(-1)
        if cuts.size != len(self.levels) or cuts.size == 0:
            raise ValueError("one cut per level, at least one")
        if np.any(np.diff(cuts) <= 0) or not np.all(np.isfinite(cuts)):
            raise ValueError("cut scores must be finite and strictly increasing")
        cuts.setflags(write=False)
        object.__setattr__(self, "levels", tuple(str(v) for v in self.levels))
        object.__setattr__(self, "cuts", cuts)
        object.__setattr__(self, "all_levels", (self.lowest, *self.levels))

    @classmethod
    def from_mapping(cls, mapping: Mapping[str, float]) -> CutScores:
        """From ``{"A1": -2.4, "A2": -1.2, ...}`` (order by θ, not by key)."""
        pairs = sorted(((float(v), str(k)) for k, v in mapping.items()))
        return cls(tuple(k for _, k in pairs), np.array([v for v, _ in pairs]))

    def level_of(self, theta: float) -> str:
        """The level whose band contains θ (a θ exactly at a cut gets the higher level)."""
        return self.all_levels[int(np.searchsorted(self.cuts, theta, side="right"))]

    def band(self, level: str) -> tuple[float, float]:
        """(lower, upper) θ bounds of a level's band (±inf at the ends)."""
        k = self.all_levels.index(level)
        lo = -np.inf if k == 0 else float(self.cuts[k - 1])
        hi = np.inf if k == len(self.levels) else float(self.cuts[k])
        return lo, hi

    def cut_of(self, level: str) -> float:
        """θ where ``level`` starts."""
        return float(self.cuts[self.levels.index(level)])


@dataclass(frozen=True)
class LevelDecision:
    """A level decision for one skill.

    Attributes
    ----------
    level : str
        Level of the point estimate θ̂.
    probabilities : dict[str, float]
        P(level | responses) for every level, from the EAP posterior when available, else from
        N(θ̂, SE²). Sums to 1.
    p_at_least_target : float | None
        P(level ≥ target | responses) when a target level was given.
    target : str | None
    theta, se : float
    """

    level: str
    probabilities: dict[str, float]
    p_at_least_target: float | None
    target: str | None
    theta: float
    se: float


def _posterior_cdf(grid: np.ndarray, weights: np.ndarray, x: np.ndarray) -> np.ndarray:
    """CDF at x of the posterior, each node's mass spread evenly over its cell."""
    edges = np.concatenate(
        [
            [grid[0] - (grid[1] - grid[0]) / 2],
            (grid[1:] + grid[:-1]) / 2,
            [grid[-1] + (grid[-1] - grid[-2]) / 2],
        ]
    )
    cum = np.concatenate([[0.0], np.cumsum(weights)])
    return np.clip(np.interp(x, edges, cum), 0.0, 1.0)


def classify(estimate: Estimate, cuts: CutScores, target: str | None = None) -> LevelDecision:
    """Level for θ̂, P(each level) and P(level ≥ target).

    With an EAP posterior the probabilities integrate the posterior (piecewise-uniform between
    quadrature nodes); otherwise they use the normal approximation N(θ̂, SE²).
    """
    if estimate.posterior is not None:
        grid, w = estimate.posterior
        cdf = _posterior_cdf(np.asarray(grid), np.asarray(w), cuts.cuts)
    elif np.isfinite(estimate.se) and estimate.se > 0:
        from scipy.special import ndtr

        cdf = ndtr((cuts.cuts - estimate.theta) / estimate.se)
    else:
        cdf = (estimate.theta < cuts.cuts).astype(float)
    cdf = np.maximum.accumulate(cdf)
    mass = np.diff(np.concatenate([[0.0], cdf, [1.0]]))
    probs = {lvl: float(max(m, 0.0)) for lvl, m in zip(cuts.all_levels, mass, strict=True)}
    p_target = None
    if target is not None:
        k = cuts.all_levels.index(target)
        p_target = float(min(max(sum(mass[k:]), 0.0), 1.0))
    return LevelDecision(
        level=cuts.level_of(estimate.theta),
        probabilities=probs,
        p_at_least_target=p_target,
        target=target,
        theta=float(estimate.theta),
        se=float(estimate.se),
    )


@dataclass(frozen=True)
class ReportingScale:
    """Linear reporting scale: score = intercept + slope·θ (e.g. 500 + 50·θ)."""

    intercept: float = 0.0
    slope: float = 1.0

    def __post_init__(self) -> None:
        if self.slope == 0 or not np.isfinite(self.slope):
            raise ValueError("slope must be finite and non-zero")

    def to_scale(self, theta: float | np.ndarray) -> float | np.ndarray:
        return (
            self.intercept + self.slope * np.asarray(theta)
            if np.ndim(theta)
            else (self.intercept + self.slope * float(theta))
        )

    def se_to_scale(self, se: float) -> float:
        return abs(self.slope) * float(se)

    def to_theta(self, score: float | np.ndarray) -> float | np.ndarray:
        return (
            (np.asarray(score) - self.intercept) / self.slope
            if np.ndim(score)
            else ((float(score) - self.intercept) / self.slope)
        )
