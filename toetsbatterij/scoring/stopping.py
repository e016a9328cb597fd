"""Composable stopping rules. Each returns a reason (str) to stop, or None to go on.

Reasons: ``"max_items"``, ``"se"``, ``"classification"``, ``"sprt"``, ``"pool_exhausted"``
(set by :func:`~toetsbatterij.scoring.engine.next_step`). :class:`MinItems` is a guard: it
never stops a test by itself, it only holds back the rules combined with it in :class:`AllOf`.

References
----------
- Eggen, T. J. H. M. (1999). Item selection in adaptive testing with the sequential
  probability ratio test. Applied Psychological Measurement, 23(3), 249-261.
- Weiss, D. J., & Kingsbury, G. G. (1984). Application of computerized adaptive testing to
  educational problems (confidence-interval classification).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol

import numpy as np

from .cefr import CutScores
from .estimation import Estimate
from .models import ItemPool, response_log_likelihood
from .state import AdministrationState

__all__ = [
    "AllOf",
    "AnyOf",
    "ClassificationCI",
    "MaxItems",
    "MinItems",
    "SEBelow",
    "SPRT",
    "StoppingRule",
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
