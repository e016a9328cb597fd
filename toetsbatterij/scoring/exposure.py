"""Exposure control at the moment of choice: randomesque top-k and the Sympson-Hetter
lottery. (Tuning the K values by simulation: :func:`toetsbatterij.scoring.simulation.
tune_sympson_hetter`.)

References
----------
- Kingsbury, G. G., & Zara, A. R. (1989) (randomesque).
- Sympson, J. B., & Hetter, R. D. (1985). Controlling item-exposure rates in computerized
  adaptive testing. Proceedings of the 27th annual meeting of the Military Testing Association.
"""

from __future__ import annotations

import numpy as np

from .design import Design, _Prepared
from .state import AdministrationState, item_uniforms, step_uniforms

__all__ = ["choose"]

# How many candidates beyond the randomesque k the Sympson-Hetter lottery may run through.
_SH_DEPTH = 32


def choose(
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
