"""scoring.rated: resolved rubric-criterion scores as weighted GPCM observations, EAP.

Checked against an independent oracle (the GPCM written out with ``math`` and the posterior
integrated by adaptive quadrature, ``scipy.integrate.quad``, over the whole real line), against
the pool implementation of the GPCM, and by a known-truth simulation (θ recovered, SE
calibrated: the z-scores (θ̂ − θ)/SE have mean 0 and SD 1).
"""

from __future__ import annotations

import math

import numpy as np
import pytest
from scipy import integrate

from toetsbatterij.scoring import (
    RATED_ESTIMATOR,
    ItemPool,
    RatedObservation,
    category_log_probabilities,
    gpcm_log_probabilities,
    quadrature_grid,
    rated_eap,
    rated_log_likelihood,
)

OBS = (
    RatedObservation(1.3, (-1.25, 0.35), 2, 0.5, 0.0),
    RatedObservation(1.3, (-1.25, 0.35), 1, 0.5, 0.0),
    RatedObservation(0.8, (-0.4, 0.2, 1.1), 1, 1.0, 0.3),
    RatedObservation(1.0, (-2.0,), 1, 1.0, -0.2),   # one threshold: the 2PL
    RatedObservation(2.1, (0.5, 0.9), 0, 0.5, 0.0),
)


def oracle_probability(a: float, b: tuple[float, ...], k: int, theta: float) -> float:
    """Muraki's GPCM, written out: exp(Σ_{j≤k} a(θ − b_j)) / Σ_h exp(Σ_{j≤h} a(θ − b_j))."""
    exponents = [sum(a * (theta - bj) for bj in b[:h]) for h in range(len(b) + 1)]
    top = max(exponents)
    numerators = [math.exp(e - top) for e in exponents]
    return numerators[k] / sum(numerators)


def oracle_likelihood(observations, theta: float) -> float:
    out = 1.0
    for o in observations:
        shifted = tuple(bj + o.shift for bj in o.thresholds)
        out *= oracle_probability(o.a, shifted, o.score, theta) ** o.weight
    return out


def oracle_posterior(observations, prior_mean=0.0, prior_sd=1.0) -> tuple[float, float]:
    def density(t):
        z = (t - prior_mean) / prior_sd
        return oracle_likelihood(observations, t) * math.exp(-0.5 * z * z)

    # Beyond ±30 the prior alone is below e^-400: the integrals are those over the real line.
    lo, hi = prior_mean - 30 * prior_sd, prior_mean + 30 * prior_sd
    opts = {"limit": 400, "epsabs": 1e-14, "epsrel": 1e-12, "points": [prior_mean]}
    norm = integrate.quad(density, lo, hi, **opts)[0]
    mean = integrate.quad(lambda t: t * density(t), lo, hi, **opts)[0] / norm
    var = integrate.quad(lambda t: (t - mean) ** 2 * density(t), lo, hi, **opts)[0] / norm
    return mean, math.sqrt(var)


def test_gpcm_probabilities_match_the_written_out_model_and_the_pool():
    theta = np.linspace(-5, 5, 23)
    a, b = 1.7, (-1.1, 0.2, 0.9)
    got = np.exp(gpcm_log_probabilities(a, b, theta))
    want = np.array([[oracle_probability(a, b, k, t) for t in theta] for k in range(4)])
    np.testing.assert_allclose(got, want, rtol=1e-12, atol=1e-15)
    pool = ItemPool.from_records([{"id": "x", "model": "gpcm", "a": a, "b": list(b)}])
    np.testing.assert_allclose(gpcm_log_probabilities(a, b, theta),
                               category_log_probabilities(pool, theta)[0], rtol=1e-12)
    np.testing.assert_allclose(got.sum(axis=0), 1.0, rtol=1e-12)
    # Extreme θ stays finite in log space.
    assert np.all(np.isfinite(gpcm_log_probabilities(3.5, b, np.array([-40.0, 40.0]))))


def test_log_likelihood_is_the_weighted_sum_with_shifted_thresholds():
    grid = np.linspace(-4, 4, 17)
    got = rated_log_likelihood(OBS, grid)
    want = np.array([math.log(oracle_likelihood(OBS, t)) for t in grid])
    np.testing.assert_allclose(got, want, rtol=1e-11)
    # Two ratings with weight 1/2 each: the geometric mean of their likelihoods.
    pair = rated_log_likelihood(OBS[:2], grid)
    one = [rated_log_likelihood([RatedObservation(1.3, (-1.25, 0.35), s)], grid) for s in (2, 1)]
    np.testing.assert_allclose(pair, 0.5 * (one[0] + one[1]), rtol=1e-12)


@pytest.mark.parametrize("prior", [(0.0, 1.0), (0.4, 0.8)])
def test_eap_matches_adaptive_quadrature_over_the_real_line(prior):
    est = rated_eap(OBS, prior_mean=prior[0], prior_sd=prior[1])
    mean, sd = oracle_posterior(OBS, *prior)
    assert est.theta == pytest.approx(mean, abs=1e-6)
    assert est.se == pytest.approx(sd, abs=1e-6)
    assert est.method == "eap" and est.note is None
    grid, w = est.posterior
    np.testing.assert_array_equal(grid, quadrature_grid())  # the default grid: 81 on [-6, 6]
    assert w.sum() == pytest.approx(1.0)
    assert RATED_ESTIMATOR == "rated-eap-normal-v1"


def test_a_severity_shift_is_a_shift_of_theta():
    """L(θ; b + s) = L(θ − s; b): the estimate with every threshold shifted by s equals the
    unshifted one with the prior and the grid moved by s, plus s."""
    s = 0.45
    plain = [RatedObservation(o.a, o.thresholds, o.score, o.weight, 0.0) for o in OBS]
    shifted = [RatedObservation(o.a, o.thresholds, o.score, o.weight, s) for o in OBS]
    grid = quadrature_grid()
    a = rated_eap(shifted, prior_mean=0.2, nodes=grid + s)
    b = rated_eap(plain, prior_mean=0.2 - s, nodes=grid)
    assert a.theta == pytest.approx(b.theta + s, abs=1e-12)
    assert a.se == pytest.approx(b.se, abs=1e-12)
    assert rated_eap(shifted).theta > rated_eap(plain).theta  # severe raters: higher θ̂


def test_without_observations_the_prior():
    est = rated_eap([])
    assert est.theta == pytest.approx(0.0, abs=1e-12) and est.se == pytest.approx(1.0, abs=1e-3)
    assert est.note == "no_responses"


@pytest.mark.parametrize("bad", [
    {"thresholds": ()}, {"score": 3}, {"score": -1}, {"weight": 0.0}, {"weight": float("nan")},
    {"a": 0.0}, {"a": -1.0},
])
def test_observations_are_checked(bad):
    values = {"a": 1.0, "thresholds": (-1.0, 1.0), "score": 1, "weight": 1.0, **bad}
    with pytest.raises(ValueError):
        RatedObservation(**values)


def _simulee_draws(rng, n: int, criteria, raters: int):
    """θ ~ N(0, 1); per criterion ``raters`` independent GPCM draws at θ."""
    thetas = rng.standard_normal(n)
    out = []
    for theta in thetas:
        obs = []
        for a, b in criteria:
            p = np.exp(gpcm_log_probabilities(a, b, theta)[:, 0])
            for _ in range(raters):
                obs.append(RatedObservation(a, b, int(rng.choice(len(p), p=p)), 1.0 / raters))
        out.append(obs)
    return thetas, out


CRITERIA = [(1.0 + 0.1 * k, tuple(np.round(np.sort(c), 3)))
            for k, c in enumerate(np.random.default_rng(7).uniform(-2.0, 2.0, size=(10, 2)))]


def test_known_truth_theta_recovered_and_se_calibrated():
    """With one rating per criterion the weighted likelihood is the true likelihood and the
    prior is the generating distribution: the posterior is exact, so (θ̂ − θ)/SE has mean 0
    and SD 1, and the mean squared error equals the mean posterior variance."""
    rng = np.random.default_rng(20261203)
    thetas, draws = _simulee_draws(rng, 1500, CRITERIA, raters=1)
    est = [rated_eap(obs) for obs in draws]
    theta_hat = np.array([e.theta for e in est])
    se = np.array([e.se for e in est])
    z = (theta_hat - thetas) / se
    assert abs(z.mean()) < 0.08
    assert 0.93 < z.std() < 1.07
    assert np.mean((theta_hat - thetas) ** 2) == pytest.approx(np.mean(se ** 2), rel=0.1)
    assert np.corrcoef(theta_hat, thetas)[0, 1] > 0.85


def test_two_ratings_with_half_weights_give_a_conservative_se():
    """Two independent ratings at weight 1/2 carry the information of one rating in the
    likelihood, but their mean is less noisy than one rating: the SE errs on the safe side
    (between the exact SE and √2 times it, so SD(z) between 1/√2 and 1, nearer 1/√2 the more
    the data outweigh the prior)."""
    rng = np.random.default_rng(99)
    thetas, draws = _simulee_draws(rng, 1000, CRITERIA, raters=2)
    est = [rated_eap(obs) for obs in draws]
    z = (np.array([e.theta for e in est]) - thetas) / np.array([e.se for e in est])
    assert abs(z.mean()) < 0.08
    assert 0.65 < z.std() < 0.95
