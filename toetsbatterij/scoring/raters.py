"""Rater quality statistics: agreement, quadratic-weighted kappa, a many-facet Rasch model, drift.

Pure (numpy, scipy and the standard library; no I/O, no global state). The rating service calls
these functions with plain values; labels (persons, tasks, criteria, raters) are any hashable
values (ids or strings) and come back as the keys of the result dictionaries, in the order of
their first appearance in the input.

Agreement (:func:`agreement`)
    Two paired integer score arrays ``a`` and ``b`` (for example two raters on the same
    productions and criteria, or a rater against the reference scores of control responses):

    - exact agreement ``= mean(a == b)``; adjacent agreement ``= mean(|a - b| <= 1)``;
    - Cohen's quadratic-weighted kappa over the categories ``0..K`` (``K = max_score``)::

          O[i, j] = share of pairs with a = i, b = j          (observed, sums to 1)
          E[i, j] = (row sum of O)[i] * (column sum of O)[j]   (expected under independence)
          w[i, j] = (i - j)^2
          kappa   = 1 - sum(w * O) / sum(w * E)

      (dividing the weights by ``K^2`` as some texts do changes nothing: it cancels). Unused
      categories have zero margins, so ``max_score`` only sets the shape of the confusion matrix.

Many-facet Rasch model (:func:`fit_mfrm`), person ``n`` × task ``t`` × criterion ``c`` × rater
``r``, partial-credit thresholds per criterion (categories ``0..m_c``)::

    log(P(x = k) / P(x = k - 1)) = theta_n - delta_t - delta_c - s_r - tau_{c,k},  k = 1..m_c

so ``P(x = k) ∝ exp(k * eta - sum_{j<=k} tau_{c,j})`` with ``eta = theta_n - delta_t - delta_c -
s_r``. A positive ``s_r`` is a *severe* rater (lower scores for the same performance).

Identification: ``sum_t delta_t = 0``, ``sum_c delta_c = 0``, ``sum_r s_r = 0`` and
``sum_k tau_{c,k} = 0`` for every criterion; persons are free (their origin is set by the
centred facets).

Estimation: joint maximum likelihood (JMLE, as in Linacre's FACETS), alternating Newton
(Fisher-scoring) steps per facet until the largest change is below ``tol``. For an element ``e``
of a facet with sign ``σ`` (+1 for persons, −1 for the other facets)::

    score   U_e = σ * sum_{obs of e} (x - E[x])
    info    I_e = sum_{obs of e} Var[x]
    step    Δ_e = σ * U_e / I_e           (clipped to ±1 logit)

and a full Newton step per criterion for its thresholds (the information matrix is the summed
covariance of the indicators ``1[x >= k]``). Standard errors are the model ("Fisher") standard
errors ``1 / sqrt(I_e)`` of each element with the others fixed, as FACETS reports them.

*Bias.* JMLE estimates are inconsistent for a fixed number of observations per person: the
spread of the facet measures is inflated, for dichotomous Rasch items by about ``L / (L - 1)``
with ``L`` observations per person (Wright & Douglas, 1977). With the default
``bias_correction=True`` the task, criterion and rater measures (and thresholds) are multiplied
by ``(L - 1) / L``, ``L`` the mean number of observations per non-extreme person, after
estimation; their standard errors are scaled alike. Persons are not corrected. FACETS offers the
same correction as an option. (Polytomous data carry more information per observation, so the
correction is slightly conservative; the simulation in the tests checks the result.)

*Extreme scores.* A person (or any other element) with the minimum or maximum possible score on
all of their observations has an infinite JML estimate. Such elements are excluded from the
joint estimation (repeatedly, as excluding one may make another extreme) and then estimated with
every other parameter fixed, at the raw score moved ``extreme_adjustment`` (0.3, FACETS's
default) score points towards the centre. They are marked ``extreme=True``; their fit is not
computed (``None``). An element all of whose observations belong to extreme elements (a rater
who rated only extreme persons) is treated the same way. The centring constraints hold over the
non-extreme elements.

Fit, on the residuals ``y = x - E[x]`` with ``W = Var[x]`` and ``C = E[(x - E[x])^4]`` over the
element's (non-extreme) observations (Wright & Masters, 1982)::

    outfit MS = mean(y^2 / W)                 infit MS = sum(y^2) / sum(W)
    q_out^2   = mean(C / W^2) / n - 1 / n      q_in^2   = sum(C - W^2) / sum(W)^2
    z (t)     = (MS^(1/3) - 1) * 3 / q + q / 3  (Wilson-Hilferty cube root)

A mean square near 1 fits; above about 1.5 the ratings are noisier than the model predicts
(erratic or random rating), below about 0.5 too predictable (halo, central tendency).

Drift (:func:`window_severities`, :func:`detect_drift`): see their docstrings.

Simulation (:func:`simulate_ratings`): the known-truth data the tests and
``python -m psychometrics simulate-raters`` use.
"""

from __future__ import annotations

import contextlib
import math
from collections.abc import Hashable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import NamedTuple

import numpy as np
from scipy import sparse

__all__ = [
    "Agreement",
    "ControlRule",
    "Drift",
    "DriftReason",
    "DriftRule",
    "FacetEstimate",
    "FacetObservation",
    "MFRMResult",
    "SimulatedRatings",
    "WindowSeverity",
    "agreement",
    "detect_drift",
    "fit_mfrm",
    "pairwise_agreement",
    "simulate_ratings",
    "window_severities",
]

Label = Hashable


# ============================================================================ agreement
@dataclass(frozen=True)
class Agreement:
    """Agreement of two paired score arrays.

    Attributes
    ----------
    n : int
        Number of pairs.
    exact : float | None
        Share of pairs with equal scores; ``None`` when ``n == 0``.
    adjacent : float | None
        Share of pairs differing by at most 1 (exact included); ``None`` when ``n == 0``.
    kappa : float | None
        Cohen's quadratic-weighted kappa; ``None`` when it is undefined: ``n == 0``, or both
        arrays use one and the same single category (expected disagreement 0, kappa = 0/0).
        When only one side is constant kappa is defined (it is 0 or below: no association).
    mean_difference : float | None
        ``mean(a - b)``: positive when ``a`` scores higher (more lenient) than ``b``.
    max_score : int
        ``K``: the categories are ``0..K``.
    confusion : tuple[tuple[int, ...], ...]
        ``(K + 1) × (K + 1)`` counts, row = score in ``a``, column = score in ``b``.
    """

    n: int
    exact: float | None
    adjacent: float | None
    kappa: float | None
    mean_difference: float | None
    max_score: int
    confusion: tuple[tuple[int, ...], ...]


def _int_scores(values: Sequence[int] | np.ndarray, name: str) -> np.ndarray:
    arr = np.asarray(values)
    if arr.ndim != 1:
        raise ValueError(f"{name}: a one-dimensional array of scores")
    if arr.size == 0:
        return arr.astype(np.int64)
    if not np.issubdtype(arr.dtype, np.integer) and (
            not np.issubdtype(arr.dtype, np.floating) or not np.all(np.isfinite(arr))
            or np.any(arr != np.round(arr))):
        raise ValueError(f"{name}: scores must be integers")
    arr = arr.astype(np.int64)
    if np.any(arr < 0):
        raise ValueError(f"{name}: scores must be 0 or more")
    return arr


def agreement(a: Sequence[int] | np.ndarray, b: Sequence[int] | np.ndarray,
              max_score: int | None = None) -> Agreement:
    """Exact and adjacent agreement and quadratic-weighted kappa of paired scores ``a``, ``b``.

    ``max_score`` defaults to the largest score in either array (0 when both are empty); a score
    above a given ``max_score``, a negative or non-integer score, or arrays of different length
    raise ``ValueError``. See :class:`Agreement` for what undefined values are (``None``, never
    NaN).
    """
    x = _int_scores(a, "a")
    y = _int_scores(b, "b")
    if x.size != y.size:
        raise ValueError(f"a and b must be paired: {x.size} against {y.size} scores")
    observed_max = int(max(x.max(initial=0), y.max(initial=0)))
    if max_score is None:
        max_score = observed_max
    elif observed_max > max_score:
        raise ValueError(f"a score of {observed_max} is above max_score {max_score}")
    k = int(max_score) + 1
    counts = np.zeros((k, k), dtype=np.int64)
    np.add.at(counts, (x, y), 1)
    confusion = tuple(tuple(int(v) for v in row) for row in counts)
    n = int(x.size)
    if n == 0:
        return Agreement(0, None, None, None, None, int(max_score), confusion)
    diff = x - y
    observed = counts / n
    expected = np.outer(observed.sum(axis=1), observed.sum(axis=0))
    cats = np.arange(k)
    weights = (cats[:, None] - cats[None, :]) ** 2
    disagreement_expected = float((weights * expected).sum())
    kappa = None
    if disagreement_expected > 0:
        kappa = 1.0 - float((weights * observed).sum()) / disagreement_expected
    return Agreement(n=n, exact=float(np.mean(diff == 0)), adjacent=float(np.mean(np.abs(diff) <= 1)),
                     kappa=kappa, mean_difference=float(np.mean(diff)), max_score=int(max_score),
                     confusion=confusion)


class FacetObservation(NamedTuple):
    """One rater's score of one person's production of one task on one criterion."""

    person: Label
    task: Label
    criterion: Label
    rater: Label
    score: int


def pairwise_agreement(observations: Iterable[FacetObservation | tuple],
                       max_score: int | None = None) -> dict[Label, Agreement]:
    """Per rater: agreement of their scores with the other raters' scores on the same cells.

    A cell is ``(person, task, criterion)``. For every rater ``r`` and every cell ``r`` scored,
    each other rater's score on that cell makes one pair ``(score of r, score of the other)``.
    So with double rating each cell gives every one of its two raters one pair. A rater who
    shares no cell with another rater gets ``n = 0``. A rater scoring one cell twice keeps the
    last score. ``max_score`` as in :func:`agreement` (the default is the largest score seen
    overall, so all raters' confusion matrices have one shape).
    """
    cells: dict[tuple, dict[Label, int]] = {}
    raters: dict[Label, None] = {}
    top = 0
    for obs in observations:
        person, task, criterion, rater, score = obs
        cells.setdefault((person, task, criterion), {})[rater] = int(score)
        raters.setdefault(rater, None)
        top = max(top, int(score))
    pairs: dict[Label, tuple[list[int], list[int]]] = {r: ([], []) for r in raters}
    for scored in cells.values():
        for r, s in scored.items():
            for other, s2 in scored.items():
                if other != r:
                    pairs[r][0].append(s)
                    pairs[r][1].append(s2)
    ms = top if max_score is None else max_score
    return {r: agreement(np.array(a, dtype=np.int64), np.array(b, dtype=np.int64), ms)
            for r, (a, b) in pairs.items()}


# ============================================================================ MFRM
@dataclass(frozen=True)
class FacetEstimate:
    """One element of a facet (a person, task, criterion or rater).

    ``measure`` is θ for a person, the difficulty for a task or criterion, the severity for a
    rater (logits; higher = harsher rater, harder task). ``se`` is the model standard error.
    ``infit``/``outfit`` are mean squares, ``infit_z``/``outfit_z`` their standardised values;
    all four are ``None`` for an extreme element or one with a single observation (z) / no
    variance. ``n`` counts the element's observations, ``observed_mean`` their mean score, and
    ``expected_mean`` the model's mean expected score over the same observations.
    """

    label: Label
    measure: float
    se: float
    infit: float | None
    outfit: float | None
    infit_z: float | None
    outfit_z: float | None
    n: int
    observed_mean: float
    expected_mean: float
    extreme: bool = False


@dataclass(frozen=True)
class MFRMResult:
    """The fitted many-facet Rasch model (see the module docstring for the model).

    Attributes
    ----------
    persons, tasks, criteria, raters : dict label -> :class:`FacetEstimate`
    thresholds : dict criterion -> tuple of ``tau_{c,1..m_c}`` (sum 0)
    threshold_se : dict criterion -> tuple of their standard errors
    max_scores : dict criterion -> ``m_c``
    converged : bool; ``n_iter`` iterations; ``max_change`` the last largest change (logits)
    loglik : log-likelihood of the non-extreme observations at the (uncorrected) JML estimates
    bias_factor : the factor applied to the facet measures (1.0 without correction)
    n_observations : observations given; ``n_subsets``: disjoint subsets of the design among
        the non-extreme observations (1 is needed for the measures of different subsets to be
        comparable; with more, the estimates are one of many equally likely solutions)
    """

    persons: dict[Label, FacetEstimate]
    tasks: dict[Label, FacetEstimate]
    criteria: dict[Label, FacetEstimate]
    raters: dict[Label, FacetEstimate]
    thresholds: dict[Label, tuple[float, ...]]
    threshold_se: dict[Label, tuple[float, ...]]
    max_scores: dict[Label, int]
    converged: bool
    n_iter: int
    max_change: float
    loglik: float
    bias_factor: float
    n_observations: int
    n_subsets: int

    def expected_score(self, theta: float, task: Label, criterion: Label,
                       rater: Label | None = None) -> float:
        """Model-expected score on ``criterion`` of a person at ``theta`` on ``task``, rated by
        ``rater``; with ``rater=None`` a rater of severity 0 (the average rater): the *fair*
        score."""
        severity = 0.0 if rater is None else self.raters[rater].measure
        eta = theta - self.tasks[task].measure - self.criteria[criterion].measure - severity
        tau = np.asarray(self.thresholds[criterion], dtype=float)
        return float(_category_probabilities(np.array([eta]), tau[None, :])[0] @ np.arange(tau.size + 1))

    def fair_score(self, person: Label, task: Label, criterion: Label) -> float:
        """Expected score of ``person`` (at their θ) on ``task`` and ``criterion`` for an average
        rater (severity 0)."""
        return self.expected_score(self.persons[person].measure, task, criterion)


def _category_probabilities(eta: np.ndarray, tau: np.ndarray) -> np.ndarray:
    """``(N, M)`` category probabilities for linear predictors ``eta`` (N,) and thresholds
    ``tau`` (N, M - 1) with NaN for categories the criterion lacks."""
    n, m1 = tau.shape
    k = np.arange(m1 + 1, dtype=float)
    cum = np.concatenate([np.zeros((n, 1)), np.cumsum(np.where(np.isnan(tau), 0.0, tau), axis=1)], axis=1)
    logits = k[None, :] * eta[:, None] - cum
    valid = np.concatenate([np.ones((n, 1), dtype=bool), ~np.isnan(tau)], axis=1)
    logits = np.where(valid, logits, -np.inf)
    logits -= logits.max(axis=1, keepdims=True)
    p = np.exp(logits)
    return p / p.sum(axis=1, keepdims=True)


def _moments(p: np.ndarray, fourth: bool = False):
    """Mean, variance and (with ``fourth``) the fourth central moment of each row's categories."""
    k = np.arange(p.shape[1], dtype=float)
    e = p @ k
    v = np.maximum(p @ (k * k) - e * e, 0.0)
    if not fourth:
        return e, v, None
    dev = k[None, :] - e[:, None]
    c4 = (p * dev**4).sum(axis=1)
    return e, v, c4


def _fit_stats(y2: np.ndarray, w: np.ndarray, c4: np.ndarray):
    """Infit and outfit mean squares and z of one element (arrays over its observations)."""
    n = y2.size
    if n == 0 or w.sum() <= 1e-12:
        return None, None, None, None
    ok = w > 1e-12
    outfit = float(np.mean(y2[ok] / w[ok])) if ok.any() else None
    infit = float(y2.sum() / w.sum())
    infit_z = outfit_z = None
    if n > 1:
        q2_in = float((c4 - w**2).sum() / w.sum() ** 2)
        if q2_in > 0:
            q = math.sqrt(q2_in)
            infit_z = (infit ** (1 / 3) - 1) * 3 / q + q / 3
        if outfit is not None and ok.sum() > 1:
            m = int(ok.sum())
            q2_out = float(np.mean(c4[ok] / w[ok] ** 2) / m - 1 / m)
            if q2_out > 0:
                q = math.sqrt(q2_out)
                outfit_z = (outfit ** (1 / 3) - 1) * 3 / q + q / 3
    return infit, outfit, infit_z, outfit_z


class _Codes:
    def __init__(self) -> None:
        self.index: dict[Label, int] = {}

    def code(self, label: Label) -> int:
        i = self.index.get(label)
        if i is None:
            i = self.index[label] = len(self.index)
        return i

    @property
    def labels(self) -> list[Label]:
        return list(self.index)


def _count_subsets(p: np.ndarray, t: np.ndarray, c: np.ndarray, r: np.ndarray,
                   n_t: int, n_c: int, n_r: int) -> int:
    """Number of disjoint subsets of the design: ``1 + (nullity - 3)`` of the additive model.

    The measures are identified up to the three facet origins iff the only solutions of
    ``a_person = b_task + e_criterion + g_rater`` on every observed combination are the constant
    ones. Eliminating the persons (each person's combinations must share one value of
    ``b + e + g``) leaves a system in the task, criterion and rater measures only: its rows are the
    differences between the indicator vectors of a person's combinations. Its null space has
    dimension 3 when the design is connected; every further dimension is one more subset that
    can move against the rest (e.g. two groups of persons rated by two separate groups of
    raters). Computed exactly from the (small) Gram matrix of those rows.
    """
    n_cols = n_t + n_c + n_r
    combos = np.unique(np.stack([p, t, c, r], axis=1), axis=0)
    cols = np.stack([combos[:, 1], n_t + combos[:, 2], n_t + n_c + combos[:, 3]], axis=1)
    first = np.ones(combos.shape[0], dtype=bool)
    first[1:] = combos[1:, 0] != combos[:-1, 0]
    anchor = np.maximum.accumulate(np.where(first, np.arange(combos.shape[0]), 0))
    rows = np.flatnonzero(~first)
    gram = np.zeros((n_cols, n_cols))
    if rows.size:
        k = rows.size
        row_idx = np.repeat(np.arange(k), 6)
        col_idx = np.concatenate([cols[rows], cols[anchor[rows]]], axis=1).reshape(-1)
        vals = np.tile(np.array([1.0, 1.0, 1.0, -1.0, -1.0, -1.0]), k)
        diff = sparse.csr_matrix((vals, (row_idx, col_idx)), shape=(k, n_cols))
        gram = (diff.T @ diff).toarray()
    rank = int(np.linalg.matrix_rank(gram, hermitian=True)) if gram.any() else 0
    return max(1, n_cols - rank - 2)


def _read_observations(observations: Iterable[FacetObservation | tuple]):
    codes = [_Codes() for _ in range(4)]
    rows: list[tuple[int, int, int, int, int]] = []
    for i, obs in enumerate(observations):
        try:
            person, task, criterion, rater, score = obs
        except (TypeError, ValueError):
            raise ValueError(f"observation {i}: (person, task, criterion, rater, score)") from None
        try:
            bad = isinstance(score, bool) or not float(score).is_integer() or float(score) < 0
        except (TypeError, ValueError):
            bad = True
        if bad:
            raise ValueError(f"observation {i}: score {score!r} is not an integer of 0 or more")
        rows.append((codes[0].code(person), codes[1].code(task), codes[2].code(criterion),
                     codes[3].code(rater), int(float(score))))
    arr = np.array(rows, dtype=np.int64).reshape(-1, 5)
    return codes, arr


def fit_mfrm(observations: Iterable[FacetObservation | tuple], *,
             max_scores: Mapping[Label, int] | None = None,
             bias_correction: bool = True,
             extreme_adjustment: float = 0.3,
             max_iter: int = 500,
             tol: float = 1e-5) -> MFRMResult:
    """Fit the many-facet Rasch model to ``(person, task, criterion, rater, score)`` observations.

    ``max_scores`` gives ``m_c`` per criterion (the rubric's top score); by default the largest
    score observed on the criterion. A score above ``m_c``, a category in ``0..m_c`` that no
    non-extreme observation of the criterion uses (its threshold has no finite estimate; merge
    categories or give a smaller ``max_scores``), no observations, or nothing left after
    excluding extreme elements raise ``ValueError``. Non-convergence does not raise: see
    ``converged``.
    """
    codes, arr = _read_observations(observations)
    if arr.shape[0] == 0:
        raise ValueError("no observations")
    p, t, c, r, x = arr.T
    n_p, n_t, n_c, n_r = (len(cd.index) for cd in codes)
    crit_labels = codes[2].labels
    m = np.zeros(n_c, dtype=np.int64)
    for ci, label in enumerate(crit_labels):
        observed = int(x[c == ci].max())
        if max_scores is not None and label in max_scores:
            if observed > int(max_scores[label]):
                raise ValueError(f"criterion {label!r}: score {observed} above its maximum {max_scores[label]}")
            m[ci] = int(max_scores[label])
        else:
            m[ci] = observed
    if np.any(m < 1):
        bad = [crit_labels[i] for i in np.flatnonzero(m < 1)]
        raise ValueError(f"criteria with a single category (no information): {bad!r}")
    mmax = int(m.max())
    facets = [(p, n_p), (t, n_t), (c, n_c), (r, n_r)]
    obs_max = m[c]

    # --- extreme elements: excluded from the joint estimation, repeatedly
    active = np.ones(x.size, dtype=bool)
    extreme = [np.zeros(n, dtype=bool) for _, n in facets]
    while True:
        changed = False
        for f, (idx, n) in enumerate(facets):
            tot = np.bincount(idx[active], weights=x[active], minlength=n)
            top = np.bincount(idx[active], weights=obs_max[active], minlength=n)
            cnt = np.bincount(idx[active], minlength=n)
            ext = (cnt > 0) & ((tot == 0) | (tot == top))
            if ext.any():
                extreme[f] |= ext
                active &= ~ext[idx]
                changed = True
        if not changed:
            break
    # an element all of whose observations belong to extreme elements of other facets has
    # nothing left to be estimated from in the joint step: it is treated as extreme too
    for f, (idx, n) in enumerate(facets):
        extreme[f] |= np.bincount(idx[active], minlength=n) == 0
    if not active.any():
        raise ValueError("every observation belongs to an element with an extreme score; nothing to estimate")
    for ci, label in enumerate(crit_labels):
        if extreme[2][ci]:
            continue
        used = np.bincount(x[active & (c == ci)], minlength=m[ci] + 1)
        if np.any(used == 0):
            missing = [int(k) for k in np.flatnonzero(used == 0)]
            raise ValueError(f"criterion {label!r}: categories {missing} are never used; "
                             "their thresholds cannot be estimated")

    # --- parameters
    theta = np.zeros(n_p)
    delta = [np.zeros(n_t), np.zeros(n_c), np.zeros(n_r)]
    tau = np.full((n_c, mmax), np.nan)
    for ci in range(n_c):
        tau[ci, : m[ci]] = 0.0

    pa, ta, ca, ra, xa = p[active], t[active], c[active], r[active], x[active]
    ge = (xa[:, None] >= np.arange(1, mmax + 1)[None, :]).astype(float)  # indicators 1[x >= k]

    def probs():
        eta = theta[pa] - delta[0][ta] - delta[1][ca] - delta[2][ra]
        return _category_probabilities(eta, tau[ca])

    active_elements = [~extreme[0]] + [~e for e in extreme[1:]]
    converged = False
    max_change = float("inf")
    n_iter = 0
    for n_iter in range(1, max_iter + 1):  # noqa: B007 - n_iter is reported after the loop
        max_change = 0.0
        # persons
        e, v, _ = _moments(probs())
        num = np.bincount(pa, weights=xa - e, minlength=n_p)
        den = np.bincount(pa, weights=v, minlength=n_p)
        step = np.where(den > 1e-12, num / np.maximum(den, 1e-12), 0.0)
        step = np.clip(step, -1.0, 1.0) * active_elements[0]
        theta += step
        max_change = max(max_change, float(np.abs(step).max()))
        # tasks, criteria, raters
        for f, idx in ((0, ta), (1, ca), (2, ra)):
            e, v, _ = _moments(probs())
            n_el = delta[f].size
            num = np.bincount(idx, weights=xa - e, minlength=n_el)
            den = np.bincount(idx, weights=v, minlength=n_el)
            step = -np.where(den > 1e-12, num / np.maximum(den, 1e-12), 0.0)
            step = np.clip(step, -1.0, 1.0) * active_elements[f + 1]
            delta[f] += step
            max_change = max(max_change, float(np.abs(step).max()))
            # centre over the estimated elements; persons absorb the shift (eta unchanged)
            mean = float(delta[f][active_elements[f + 1]].mean())
            delta[f][active_elements[f + 1]] -= mean
            theta -= mean
        # thresholds: a full Newton step per criterion, then the mean into the criterion
        pr = probs()
        cum_ge = 1.0 - np.cumsum(pr, axis=1)[:, :-1]  # P(X >= k), k = 1..mmax
        for ci in range(n_c):
            if extreme[2][ci]:
                continue
            sel = ca == ci
            mc = int(m[ci])
            g = (cum_ge[sel, :mc] - ge[sel, :mc]).sum(axis=0)
            q = cum_ge[sel, :mc]
            # Cov(1[X>=j], 1[X>=l]) = P(X >= max(j, l)) - P(X >= j) P(X >= l)
            jj = np.arange(mc)
            hi = np.maximum(jj[:, None], jj[None, :])
            cov = (q[:, hi] - q[:, :, None] * q[:, None, :]).sum(axis=0)
            # dLL/dtau_k = sum (P(X >= k) - 1[x >= k]) = g; the Hessian is -cov: Newton adds cov^-1 g
            try:
                d = np.clip(np.linalg.solve(cov, g), -1.0, 1.0)
            except np.linalg.LinAlgError:
                d = np.zeros(mc)
            tau[ci, :mc] += d
            max_change = max(max_change, float(np.abs(d).max()))
            shift = float(tau[ci, :mc].mean())
            tau[ci, :mc] -= shift
            delta[1][ci] += shift
        mean = float(delta[1][active_elements[2]].mean())
        delta[1][active_elements[2]] -= mean
        theta -= mean
        if max_change < tol:
            converged = True
            break

    pr = probs()
    loglik = float(np.log(np.maximum(pr[np.arange(xa.size), xa], 1e-300)).sum())

    # --- standard errors of thresholds (criterion facet as fixed)
    cum_ge = 1.0 - np.cumsum(pr, axis=1)[:, :-1]
    tau_se = np.full((n_c, mmax), np.nan)
    for ci in range(n_c):
        if extreme[2][ci]:
            continue
        sel = ca == ci
        mc = int(m[ci])
        q = cum_ge[sel, :mc]
        jj = np.arange(mc)
        hi = np.maximum(jj[:, None], jj[None, :])
        cov = (q[:, hi] - q[:, :, None] * q[:, None, :]).sum(axis=0)
        with contextlib.suppress(np.linalg.LinAlgError):
            tau_se[ci, :mc] = np.sqrt(np.diag(np.linalg.inv(cov)))

    # --- extreme elements: estimated with everything else fixed at an adjusted raw score
    params = [theta, delta[0], delta[1], delta[2]]
    signs = [1.0, -1.0, -1.0, -1.0]
    for f, (idx, _n) in enumerate(facets):
        for el in np.flatnonzero(extreme[f]):
            sel = idx == el
            score = float(x[sel].sum())
            top = float(obs_max[sel].sum())
            target = min(max(score, extreme_adjustment), top - extreme_adjustment)
            params[f][el] = _solve_one(params, f, el, sel, p, t, c, r, tau, target, signs[f])

    # --- bias correction of the facets (not the persons)
    factor = 1.0
    if bias_correction:
        per_person = np.bincount(pa, minlength=n_p)[active_elements[0]]
        mean_l = float(per_person.mean()) if per_person.size else 0.0
        if mean_l > 1:
            factor = (mean_l - 1.0) / mean_l

    # --- per-element statistics over all observations (fit over active ones)
    eta_all = theta[p] - delta[0][t] - delta[1][c] - delta[2][r]
    p_all = _category_probabilities(eta_all, tau[c])
    e_all, v_all, c4_all = _moments(p_all, fourth=True)
    y2_all = (x - e_all) ** 2

    def facet_table(f: int, idx: np.ndarray, n: int, corrected: float) -> dict[Label, FacetEstimate]:
        out: dict[Label, FacetEstimate] = {}
        labels = codes[f].labels
        order = np.argsort(idx, kind="stable")
        bounds = np.searchsorted(idx[order], np.arange(n + 1))
        for el in range(n):
            sel = order[bounds[el]:bounds[el + 1]]
            fit_sel = sel[active[sel]]
            info = float(v_all[fit_sel].sum()) if not extreme[f][el] else float(v_all[sel].sum())
            se = 1.0 / math.sqrt(info) if info > 1e-12 else float("inf")
            if extreme[f][el]:
                fit = (None, None, None, None)
            else:
                fit = _fit_stats(y2_all[fit_sel], v_all[fit_sel], c4_all[fit_sel])
            out[labels[el]] = FacetEstimate(
                label=labels[el], measure=float(params[f][el]) * corrected, se=se * corrected,
                infit=fit[0], outfit=fit[1], infit_z=fit[2], outfit_z=fit[3], n=int(sel.size),
                observed_mean=float(x[sel].mean()), expected_mean=float(e_all[sel].mean()),
                extreme=bool(extreme[f][el]))
        return out

    return MFRMResult(
        persons=facet_table(0, p, n_p, 1.0),
        tasks=facet_table(1, t, n_t, factor),
        criteria=facet_table(2, c, n_c, factor),
        raters=facet_table(3, r, n_r, factor),
        thresholds={crit_labels[ci]: tuple(float(v) * factor for v in tau[ci, : m[ci]]) for ci in range(n_c)},
        threshold_se={crit_labels[ci]: tuple(float(v) * factor for v in tau_se[ci, : m[ci]])
                      for ci in range(n_c)},
        max_scores={crit_labels[ci]: int(m[ci]) for ci in range(n_c)},
        converged=converged, n_iter=n_iter, max_change=max_change, loglik=loglik, bias_factor=factor,
        n_observations=int(x.size),
        n_subsets=_count_subsets(pa, ta, ca, ra, n_t, n_c, n_r))


def _solve_one(params, f, el, sel, p, t, c, r, tau, target, sign) -> float:
    """Measure of element ``el`` of facet ``f`` whose expected score over ``sel`` is ``target``,
    every other parameter fixed (Newton with steps clipped to ±1 logit)."""
    value = float(params[f][el])
    base = params[0][p[sel]] - params[1][t[sel]] - params[2][c[sel]] - params[3][r[sel]]
    base = base - sign * value  # eta without this element
    tau_sel = tau[c[sel]]
    for _ in range(100):
        e, v, _ = _moments(_category_probabilities(base + sign * value, tau_sel))
        info = float(v.sum())
        if info < 1e-12:
            break
        step = float(np.clip(sign * (target - e.sum()) / info, -1.0, 1.0))
        value += step
        if abs(step) < 1e-8:
            break
    return value


# ============================================================================ drift
@dataclass(frozen=True)
class WindowSeverity:
    """A rater's severity in one time window (see :func:`window_severities`)."""

    window: Label
    severity: float
    se: float
    n: int


def window_severities(observations: Iterable[FacetObservation | tuple], windows: Sequence[Label], *,
                      max_scores: Mapping[Label, int] | None = None,
                      raters: Iterable[Label] | None = None) -> dict[Label, tuple[WindowSeverity, ...]]:
    """Severity of every rater per time window, from one fit in which each (rater, window) is
    an element of the rater facet.

    ``windows`` is parallel to ``observations`` (e.g. week numbers, or 0 / 1 for the first and
    second half); windows are ordered by first appearance, so give the observations in time
    order. ``raters`` (default: all) restricts which raters are split by window; the others
    stay one element each (they then anchor the scale). The split fit lets the persons' θ
    follow the model: a rater who turns harsher in the late window does not drag the θ of the
    persons they rated down, so a shift is seen at its size (anchoring the window on an
    overall fit instead attenuates it by about the rater's share of each person's ratings).

    The severities are on the scale of that fit (the rater-window elements centred at 0, JMLE
    bias factor applied): compare windows of one rater with each other, not with the severities
    of another fit. An all-minimum or all-maximum window is an extreme element (see
    :func:`fit_mfrm`), with its adjusted estimate. Raises ``ValueError`` as :func:`fit_mfrm`.
    """
    obs = [tuple(o) for o in observations]
    if len(obs) != len(windows):
        raise ValueError("one window label per observation")
    split = None if raters is None else set(raters)
    relabelled = [(pn, tk, cr, (rt, w) if split is None or rt in split else (rt, None), sc)
                  for (pn, tk, cr, rt, sc), w in zip(obs, windows, strict=True)]
    res = fit_mfrm(relabelled, max_scores=max_scores)
    order = {w: i for i, w in enumerate(dict.fromkeys(windows))}
    out: dict[Label, list[WindowSeverity]] = {}
    for (rater, window), est in res.raters.items():
        if split is not None and rater not in split:
            continue
        out.setdefault(rater, []).append(WindowSeverity(window, est.measure, est.se, est.n))
    return {r: tuple(sorted(ws, key=lambda w: order[w.window])) for r, ws in out.items()}


@dataclass(frozen=True)
class ControlRule:
    """Drift on control responses: over the last ``last_n`` control scores (criterion level),
    the mean absolute deviation from the reference above ``max_mad`` score points, or the mean
    signed deviation beyond ``±max_bias`` (systematically harsher or more lenient). Judged only
    with at least ``min_n`` controls."""

    last_n: int = 20
    min_n: int = 8
    max_mad: float = 0.75
    max_bias: float = 0.5


@dataclass(frozen=True)
class DriftRule:
    """Drift in severity: the latest window against the precision-weighted mean of the earlier
    windows; flagged when ``|shift| >= min_shift`` logits AND ``|shift| / combined SE >= z``.
    The SE of the baseline is ``1 / sqrt(sum 1 / se_i^2)``; combined SE ``sqrt(se_latest^2 +
    se_baseline^2)`` (the windows are disjoint, so independent given the anchors)."""

    z: float = 2.58
    min_shift: float = 0.5


@dataclass(frozen=True)
class DriftReason:
    """Why a rater is flagged: ``code`` is ``"control_deviation"``, ``"control_bias"`` or
    ``"severity_shift"``; ``value`` the statistic, ``threshold`` the bar it passed. The service
    turns the code into a Dutch text."""

    code: str
    value: float
    threshold: float


@dataclass(frozen=True)
class Drift:
    """Outcome of :func:`detect_drift`. ``None`` where the part was not judged (too few
    controls, fewer than two windows)."""

    flagged: bool
    reasons: tuple[DriftReason, ...]
    n_controls: int
    control_mad: float | None
    control_bias: float | None
    severity_shift: float | None
    shift_z: float | None


def detect_drift(controls: Sequence[tuple[int, int]] = (),
                 severities: Sequence[WindowSeverity] = (),
                 control_rule: ControlRule = ControlRule(),
                 rule: DriftRule = DriftRule()) -> Drift:
    """Flag a drifting rater from control responses and/or severities per time window.

    ``controls``: ``(rater score, reference score)`` pairs in time order (one per criterion of
    each control response). ``severities``: from :func:`window_severities`, in time order. See
    :class:`ControlRule` and :class:`DriftRule` for the rules; a rater is flagged when any rule
    fires, and every rule that fired is a reason.
    """
    reasons: list[DriftReason] = []
    mad = bias = None
    recent = list(controls)[-control_rule.last_n:] if control_rule.last_n > 0 else []
    if len(recent) >= control_rule.min_n and recent:
        diff = np.array([int(s) - int(ref) for s, ref in recent], dtype=float)
        mad = float(np.abs(diff).mean())
        bias = float(diff.mean())
        if mad > control_rule.max_mad:
            reasons.append(DriftReason("control_deviation", mad, control_rule.max_mad))
        if abs(bias) > control_rule.max_bias:
            reasons.append(DriftReason("control_bias", bias, control_rule.max_bias))
    shift = z = None
    usable = [w for w in severities if math.isfinite(w.se) and w.se > 0]
    if len(usable) >= 2:
        latest, earlier = usable[-1], usable[:-1]
        weights = np.array([1.0 / w.se**2 for w in earlier])
        base = float(np.sum(weights * np.array([w.severity for w in earlier])) / weights.sum())
        base_se = 1.0 / math.sqrt(float(weights.sum()))
        shift = latest.severity - base
        z = shift / math.sqrt(latest.se**2 + base_se**2)
        if abs(shift) >= rule.min_shift and abs(z) >= rule.z:
            reasons.append(DriftReason("severity_shift", shift, rule.min_shift))
    return Drift(flagged=bool(reasons), reasons=tuple(reasons), n_controls=len(recent),
                 control_mad=mad, control_bias=bias, severity_shift=shift, shift_z=z)


# ============================================================================ simulation
@dataclass(frozen=True)
class SimulatedRatings:
    """Known-truth ratings from :func:`simulate_ratings`.

    ``observations`` in time order (production after production); ``time[i]`` is the
    production's position (0..), so ``time < n_productions / 2`` is the first half.
    ``severity`` etc. map labels to the true values (facets centred at 0, thresholds summing
    to 0 per criterion)."""

    observations: tuple[FacetObservation, ...]
    time: np.ndarray
    theta: dict[Label, float]
    task_difficulty: dict[Label, float]
    criterion_difficulty: dict[Label, float]
    thresholds: dict[Label, tuple[float, ...]]
    severity: dict[Label, float]
    random_raters: tuple[Label, ...] = field(default=())
    drift: dict[Label, float] = field(default_factory=dict)


def simulate_ratings(seed: int, *, n_persons: int = 400, n_tasks: int = 2, n_criteria: int = 4,
                     max_score: int = 3, n_raters: int = 12, raters_per_production: int = 2,
                     severity_sd: float = 0.5, theta_sd: float = 1.0,
                     random_raters: Sequence[int] = (), drift: Mapping[int, float] | None = None
                     ) -> SimulatedRatings:
    """Simulate double (or k-fold) rating under the many-facet Rasch model.

    Persons ``θ ~ N(0, theta_sd)``; task difficulties ``N(0, 0.3)`` and criterion difficulties
    ``N(0, 0.3)`` centred; thresholds per criterion evenly spread ``-1..1`` plus ``N(0, 0.2)``,
    centred; severities ``N(0, severity_sd)``, centred. Each production (person × task) is rated
    on every criterion by ``raters_per_production`` distinct raters drawn at random. A rater in
    ``random_raters`` (indices) gives uniform random scores; a rater in ``drift`` (index ->
    logits) is that much more severe from the middle production on. Labels: ``P0001``, ``T1``,
    ``C1``, ``R01``. ``numpy.random.default_rng(seed)`` makes it reproducible.
    """
    if raters_per_production > n_raters:
        raise ValueError("more raters per production than raters")
    rng = np.random.default_rng(seed)
    drift = dict(drift or {})
    theta = rng.normal(0.0, theta_sd, n_persons)
    d_task = rng.normal(0.0, 0.3, n_tasks)
    d_task -= d_task.mean()
    d_crit = rng.normal(0.0, 0.3, n_criteria)
    d_crit -= d_crit.mean()
    tau = np.linspace(-1.0, 1.0, max_score)[None, :] + rng.normal(0.0, 0.2, (n_criteria, max_score))
    tau -= tau.mean(axis=1, keepdims=True)
    sev = rng.normal(0.0, severity_sd, n_raters)
    sev -= sev.mean()
    persons = [f"P{i + 1:04d}" for i in range(n_persons)]
    tasks = [f"T{i + 1}" for i in range(n_tasks)]
    crits = [f"C{i + 1}" for i in range(n_criteria)]
    raters = [f"R{i + 1:02d}" for i in range(n_raters)]
    productions = [(pi, ti) for pi in range(n_persons) for ti in range(n_tasks)]
    order = rng.permutation(len(productions))
    half = len(productions) / 2
    obs: list[FacetObservation] = []
    times: list[int] = []
    for pos, k in enumerate(order):
        pi, ti = productions[k]
        chosen = rng.choice(n_raters, size=raters_per_production, replace=False)
        for ri in chosen:
            for ci in range(n_criteria):
                if int(ri) in random_raters:
                    score = int(rng.integers(0, max_score + 1))
                else:
                    s = sev[ri] + (drift.get(int(ri), 0.0) if pos >= half else 0.0)
                    eta = theta[pi] - d_task[ti] - d_crit[ci] - s
                    pr = _category_probabilities(np.array([eta]), tau[ci][None, :])[0]
                    score = int(rng.choice(max_score + 1, p=pr))
                obs.append(FacetObservation(persons[pi], tasks[ti], crits[ci], raters[ri], score))
                times.append(pos)
    return SimulatedRatings(
        observations=tuple(obs), time=np.array(times),
        theta=dict(zip(persons, theta.tolist(), strict=True)),
        task_difficulty=dict(zip(tasks, d_task.tolist(), strict=True)),
        criterion_difficulty=dict(zip(crits, d_crit.tolist(), strict=True)),
        thresholds={crits[i]: tuple(tau[i].tolist()) for i in range(n_criteria)},
        severity=dict(zip(raters, sev.tolist(), strict=True)),
        random_raters=tuple(raters[i] for i in random_raters),
        drift={raters[i]: float(v) for i, v in drift.items()})
