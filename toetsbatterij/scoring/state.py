"""The immutable state of one administration and the per-position random generator."""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

import numpy as np

__all__ = ["AdministrationState", "item_uniforms", "rng_for", "step_uniforms"]


@dataclass(frozen=True, eq=False)
class AdministrationState:
    """What has happened so far in one administration (one candidate, one section).

    Attributes
    ----------
    administered : tuple[int, ...]
        Pool indices of the responses, in the order they were given. Responses to items the
        pool marks not selectable (pretest, unscored) may be included: the engine and the
        estimator classes leave them out of θ, stopping and blueprint counts
        (:meth:`scored`), and such items are never offered again.
    scores : tuple[int, ...]
        Score category of each response (0..m_i), same order.
    seed : int
        The administration seed; the generator for position k is ``rng_for(seed, k)``.
    excluded : tuple[int, ...]
        Pool indices that must not be offered in this administration although they were not
        given here (for example enemies of items presented in another section of the same
        attempt). Honoured by ``eligible_units``; empty by default (no cost then).
    items_array, scores_array : ndarray of int, shape (k,)
        The same, as arrays (derived).
    """

    administered: tuple[int, ...] = ()
    scores: tuple[int, ...] = ()
    seed: int = 0
    excluded: tuple[int, ...] = ()
    items_array: np.ndarray = field(init=False, repr=False)
    scores_array: np.ndarray = field(init=False, repr=False)

    def __post_init__(self) -> None:
        if len(self.administered) != len(self.scores):
            raise ValueError("administered and scores must have the same length")
        items = np.array(self.administered, dtype=np.int64).reshape(-1)
        scores = np.array(self.scores, dtype=np.int64).reshape(-1)
        administered = tuple(items.tolist())
        if len(set(administered)) != items.size:
            raise ValueError("an item appears twice in the administration")
        items.setflags(write=False)
        scores.setflags(write=False)
        object.__setattr__(self, "administered", administered)
        object.__setattr__(self, "scores", tuple(scores.tolist()))
        if self.excluded:
            object.__setattr__(self, "excluded", tuple(sorted({int(i) for i in self.excluded})))
        object.__setattr__(self, "items_array", items)
        object.__setattr__(self, "scores_array", scores)

    @property
    def position(self) -> int:
        """Number of scored responses so far (the 0-based position of the next item)."""
        return len(self.administered)

    @classmethod
    def from_responses(
        cls,
        responses: Iterable[tuple[Any, int]],
        seed: int,
        index: Mapping[str, int] | None = None,
        excluded: Iterable[Any] = (),
    ) -> AdministrationState:
        """Rebuild the state from ``(item, score)`` pairs in order.

        ``item`` is a pool index, or an item id when ``index`` (``ItemPool.index``) is given.
        ``excluded`` are pool indices (item ids with ``index``) never to be offered; with
        ``index``, ids that are not in the pool are ignored (an item of another skill cannot be
        offered from this pool anyway).
        """
        pairs = list(responses)
        if index is None:
            items = tuple(int(item) for item, _ in pairs)
            banned = tuple(int(i) for i in excluded)
        else:
            items = tuple(index[item] for item, _ in pairs)
            banned = tuple(index[i] for i in excluded if i in index)
        return cls(items, tuple(score for _, score in pairs), int(seed), banned)

    def scored(self, pool: Any) -> AdministrationState:
        """The state without responses to items ``pool`` marks not selectable (pretest,
        unscored, excluded): those never count for θ, stopping or the blueprint. Returns
        ``self`` when there are none (the usual case)."""
        if not self.administered:
            return self
        keep = pool.selectable[self.items_array]
        if keep.all():
            return self
        return AdministrationState(
            tuple(self.items_array[keep].tolist()),
            tuple(self.scores_array[keep].tolist()),
            self.seed,
            self.excluded,
        )

    def extended(self, items: Iterable[int], scores: Iterable[int]) -> AdministrationState:
        """A new state with the given responses appended."""
        return AdministrationState(
            self.administered + tuple(int(i) for i in items),
            self.scores + tuple(int(s) for s in scores),
            self.seed,
            self.excluded,
        )


def step_uniforms(seed: int, position: int, size: int) -> np.ndarray:
    """``size`` uniform numbers in [0, 1) derived from (seed, position) only, shape (size,).

    The engine's default random stream: a counter-based SHAKE-256 stream, because building a
    numpy Generator costs 15-30 µs, a tenth of the whole step budget. The i-th number does not
    depend on ``size``.
    """
    if size <= 0:
        return np.zeros(0)
    digest = hashlib.shake_256(f"{int(seed)}:{int(position)}".encode()).digest(8 * size)
    return (np.frombuffer(digest, dtype="<u8") >> _SHIFT) * _TO_UNIT


_SHIFT = np.uint64(11)  # keep the top 53 bits: a double in [0, 1) with every bit random
_TO_UNIT = 1.0 / 9007199254740992.0  # 2**-53
_M1 = np.uint64(0xBF58476D1CE4E5B9)
_M2 = np.uint64(0x94D049BB133111EB)
_GOLDEN = np.uint64(0x9E3779B97F4A7C15)


def _splitmix64(x: np.ndarray) -> np.ndarray:
    # uint64 array arithmetic wraps modulo 2**64 by design (and silently for arrays).
    z = x + _GOLDEN
    z = (z ^ (z >> np.uint64(30))) * _M1
    z = (z ^ (z >> np.uint64(27))) * _M2
    return z ^ (z >> np.uint64(31))


def item_uniforms(seed: int, units: np.ndarray) -> np.ndarray:
    """One uniform number in [0, 1) per (administration seed, unit), shape of ``units``.

    The same unit gets the same number at every position of one administration: the
    Sympson-Hetter lottery uses it, so an item turned down once stays turned down for the
    rest of the administration (as in Sympson & Hetter's procedure) without any stored state.
    """
    key = _splitmix64(np.array([int(seed) % 2**64], dtype=np.uint64))
    z = _splitmix64(np.asarray(units, dtype=np.uint64) ^ key)
    return (z >> _SHIFT) * _TO_UNIT


def rng_for(seed: int, position: int) -> np.random.Generator:
    """The random generator for step ``position`` of the administration with ``seed``.

    Derived from (seed, position) only, so replaying a step never depends on history.
    """
    return np.random.Generator(
        np.random.PCG64(np.random.SeedSequence([int(seed) % 2**64, int(position)]))
    )
