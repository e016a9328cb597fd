"""Simulation harness (pure): many simulated administrations of a design on a pool.

Responses are drawn from the item models at each simulee's true θ; the engine is driven
exactly as the delivery drives it (one :func:`next_step` per item), so the figures describe
the production code path.

References
----------
- Chen, S.-Y., Ankenmann, R. D., & Spray, J. A. (2003). The relationship between item
  exposure and test overlap in computerized adaptive testing. Journal of Educational
  Measurement, 40(2), 129-145 (overlap rate).
- Sympson, J. B., & Hetter, R. D. (1985) (exposure-parameter tuning by simulation).
"""

from __future__ import annotations

import dataclasses
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from .design import Design
from .engine import next_step
from .models import ItemPool, category_probabilities
from .state import AdministrationState, rng_for

__all__ = ["ConditionalRow", "SimulationReport", "simulate", "tune_sympson_hetter"]

DEFAULT_BINS = (-np.inf, -2.0, -1.0, 0.0, 1.0, 2.0, np.inf)


@dataclass(frozen=True)
class ConditionalRow:
    """Bias, RMSE and mean length for true θ in [lower, upper)."""

    lower: float
    upper: float
    n: int
    bias: float
    rmse: float
    length_mean: float


@dataclass(frozen=True, eq=False)
class SimulationReport:
    """Outcome of :func:`simulate`.

    Attributes
    ----------
    n_simulees : int
    bias, rmse : float — of θ̂ − θ over all simulees
    conditional : tuple[ConditionalRow, ...] — by bins of true θ
    length_mean, length_sd : float; length_max : int — items per administration
    classification_accuracy : dict[str, float] — per cut (level name): share with
        (θ̂ ≥ cut) == (θ ≥ cut); empty without cut scores
    level_accuracy : float | None — share with the same level for θ̂ and θ
    exposure : ndarray (n,) — share of simulees that saw each item
    exposure_max : float; never_used_share : float — among selectable items
    overlap_rate : float — expected share of items two simulees have in common
        (shared items / mean length)
    stop_reasons : dict[str, int]
    selection_rate : ndarray (n,) — share of simulees for whom each item entered the
        Sympson-Hetter lottery at least once, P(S) (equals ``exposure`` without exposure control)
    true_theta, theta_hat, se, lengths : ndarray (N,)
    """

    n_simulees: int
    bias: float
    rmse: float
    conditional: tuple[ConditionalRow, ...]
    length_mean: float
    length_sd: float
    length_max: int
    classification_accuracy: dict[str, float]
    level_accuracy: float | None
    exposure: np.ndarray
    exposure_max: float
    never_used_share: float
    overlap_rate: float
    stop_reasons: dict[str, int]
    selection_rate: np.ndarray
    true_theta: np.ndarray
    theta_hat: np.ndarray
    se: np.ndarray
    lengths: np.ndarray


def _sample_scores(cum: np.ndarray, items: tuple[int, ...], rng: np.random.Generator) -> list[int]:
    u = rng.random(len(items))
    return [int(np.count_nonzero(u[j] > cum[i])) for j, i in enumerate(items)]


def simulate(
    design: Design,
    pool: ItemPool,
    true_thetas: Sequence[float] | np.ndarray,
    seed: int,
    *,
    oracle: bool = False,
    bins: Sequence[float] = DEFAULT_BINS,
) -> SimulationReport:
    """Run one administration of ``design`` per true θ and summarise.

    Parameters
    ----------
    design, pool
    true_thetas : array, shape (N,)
    seed : int — simulee j gets administration seed derived from (seed, j) and its responses
        from an independent stream, so results are reproducible.
    oracle : bool — select by information at the true θ instead of θ̂ (the benchmark oracle);
        estimation and stopping are unchanged.
    bins : edges for the conditional rows.
    """
    thetas = np.asarray(true_thetas, dtype=float).reshape(-1)
    n_sim = thetas.size
    exposure = np.zeros(pool.n)
    selected = np.zeros(pool.n)
    theta_hat = np.empty(n_sim)
    se = np.empty(n_sim)
    lengths = np.empty(n_sim, dtype=np.int64)
    reasons: Counter[str] = Counter()
    for j, theta in enumerate(thetas):
        admin_seed = int(np.random.SeedSequence([int(seed) % 2**64, j]).generate_state(1)[0])
        responses_rng = rng_for(admin_seed, 2**31)  # a stream the engine never uses
        probs = category_probabilities(pool, theta)[:, :, 0]
        cum = np.cumsum(probs, axis=1)[:, :-1]
        state = AdministrationState((), (), admin_seed)
        lottery: set[int] = set()
        while True:
            step = next_step(design, pool, state, selection_theta=theta if oracle else None)
            if step.stop_reason is not None:
                break
            lottery.update(step.considered)
            scores = _sample_scores(cum, step.items, responses_rng)
            state = state.extended(step.items, scores)
        reasons[step.stop_reason] += 1
        theta_hat[j] = step.estimate.theta
        se[j] = step.estimate.se
        lengths[j] = state.position
        exposure[state.items_array] += 1
        for first in lottery:
            selected[pool.unit_members[pool.unit_of[first]]] += 1
    err = theta_hat - thetas
    rows = []
    edges = np.asarray(bins, dtype=float)
    for lo, hi in zip(edges[:-1], edges[1:], strict=True):
        m = (thetas >= lo) & (thetas < hi)
        if m.any():
            rows.append(
                ConditionalRow(
                    float(lo),
                    float(hi),
                    int(m.sum()),
                    float(err[m].mean()),
                    float(np.sqrt((err[m] ** 2).mean())),
                    float(lengths[m].mean()),
                )
            )
    acc: dict[str, float] = {}
    level_acc = None
    cuts = design.cut_scores
    if cuts is not None:
        for level, cut in zip(cuts.levels, cuts.cuts, strict=True):
            acc[level] = float(np.mean((theta_hat >= cut) == (thetas >= cut)))
        level_acc = float(
            np.mean(
                np.searchsorted(cuts.cuts, theta_hat, side="right")
                == np.searchsorted(cuts.cuts, thetas, side="right")
            )
        )
    rate = exposure / max(n_sim, 1)
    sel = pool.selectable
    mean_len = float(lengths.mean()) if n_sim else 0.0
    overlap = (
        float((exposure * (exposure - 1)).sum() / (n_sim * (n_sim - 1) * mean_len))
        if n_sim > 1 and mean_len > 0
        else 0.0
    )
    return SimulationReport(
        n_simulees=n_sim,
        bias=float(err.mean()) if n_sim else float("nan"),
        rmse=float(np.sqrt((err**2).mean())) if n_sim else float("nan"),
        conditional=tuple(rows),
        length_mean=mean_len,
        length_sd=float(lengths.std()) if n_sim else 0.0,
        length_max=int(lengths.max()) if n_sim else 0,
        classification_accuracy=acc,
        level_accuracy=level_acc,
        exposure=rate,
        exposure_max=float(rate[sel].max()) if sel.any() else 0.0,
        never_used_share=float(np.mean(rate[sel] == 0)) if sel.any() else 0.0,
        overlap_rate=overlap,
        stop_reasons=dict(reasons),
        selection_rate=selected / max(n_sim, 1),
        true_theta=thetas,
        theta_hat=theta_hat,
        se=se,
        lengths=lengths,
    )


def tune_sympson_hetter(
    design: Design,
    pool: ItemPool,
    r_max: float,
    *,
    true_thetas: Sequence[float] | np.ndarray | None = None,
    n_simulees: int = 1000,
    iterations: int = 10,
    seed: int = 0,
    tolerance: float = 0.0,
    safety: float = 0.02,
    monotone: bool = True,
) -> tuple[ItemPool, list[float]]:
    """Tune the Sympson-Hetter K_i by simulation so that no exposure rate exceeds ``r_max``.

    Each iteration simulates the design with exposure control on and the current K, takes the
    selection rate P(S_i) (share of simulees for whom item i entered the lottery) and proposes
    K_i = 1 if P(S_i) ≤ r else r / P(S_i) (Sympson & Hetter, 1985), with r = r_max − ``safety``
    (a margin for the sampling error of the next sample of candidates). With ``monotone``
    (default) a K is never raised again, which makes the iteration converge instead of
    oscillate. Stops early when the maximum exposure is at most ``r_max + tolerance``.

    Returns
    -------
    (pool with the tuned ``sh_k``, maximum exposure rate of each iteration)
    """
    if not 0 < r_max <= 1:
        raise ValueError("r_max must lie in (0, 1]")
    target = max(r_max - safety, r_max / 2)
    sh_design = dataclasses.replace(design, exposure="sympson_hetter")
    if true_thetas is None:
        true_thetas = np.random.default_rng(seed).standard_normal(n_simulees)
    k = np.ones(pool.n)
    current = pool.with_sh_k(k)
    history: list[float] = []
    for it in range(iterations):
        report = simulate(sh_design, current, true_thetas, seed + 7919 * (it + 1))
        history.append(report.exposure_max)
        if it > 0 and report.exposure_max <= target + tolerance:
            break
        p_sel = report.selection_rate
        proposal = np.where(p_sel > target, target / np.maximum(p_sel, 1e-12), 1.0)
        # Never raise a K: the classic update (which may) oscillates, because an item freed
        # in one round takes over the selections its neighbours lost in the next.
        k = np.minimum(k, proposal) if monotone else proposal
        current = pool.with_sh_k(np.clip(k, 1e-6, 1.0))
    return current, history
