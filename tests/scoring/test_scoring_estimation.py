"""Ability estimation: EAP, MAP and MLE against girth 0.8 (the oracle), WLE, fallbacks."""

from __future__ import annotations

import numpy as np
import pytest
from girth import ability_eap, ability_map, ability_mle
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy import integrate
from scipy.special import roots_legendre
from scipy.stats import norm

from toetsbatterij.scoring import (
    EAP,
    MAP,
    MLE,
    WLE,
    AdministrationState,
    ItemPool,
    eap,
    item_information,
    map_estimate,
    mle,
    response_log_likelihood,
    wle,
)

from .conftest import make_mixed_pool


def pool_2pl(a: np.ndarray, b: np.ndarray) -> ItemPool:
    n = a.size
    return ItemPool(
        ids=tuple(f"i{k}" for k in range(n)),
        model=np.full(n, 1),
        a=a,
        b=b[:, None],
        c=np.zeros(n),
        n_categories=np.full(n, 2),
    )


@pytest.fixture(scope="module")
def girth_case():
    """20 items, 60 response patterns simulated at known θ (girth layout: items × people)."""
    rng = np.random.default_rng(2026)
    n_items, n_people = 20, 60
    a = rng.uniform(0.6, 2.2, n_items)
    b = rng.normal(0.0, 1.0, n_items)
    theta = rng.normal(0.0, 1.0, n_people)
    p = 1.0 / (1.0 + np.exp(-a[:, None] * (theta[None, :] - b[:, None])))
    data = (rng.random((n_items, n_people)) < p).astype(int)
    return pool_2pl(a, b), a, b, data


def legendre(n: int, lo: float, hi: float):
    x, w = roots_legendre(n)
    half = (hi - lo) / 2
    return half * (x + 1) + lo, half * w


def test_eap_matches_girth_on_the_same_quadrature(girth_case):
    # girth's defaults: Gauss-Legendre, 41 nodes on [-4.5, 4.5], N(0, 1) prior density.
    pool, a, b, data = girth_case
    expected = ability_eap(data, b, a)
    nodes, w = legendre(41, -4.5, 4.5)
    lpw = np.log(norm.pdf(nodes) * w)
    items = np.arange(pool.n)
    ours = np.array(
        [
            eap(pool, items, data[:, j], nodes=nodes, log_prior_weights=lpw).theta
            for j in range(data.shape[1])
        ]
    )
    np.testing.assert_allclose(ours, expected, atol=1e-4)


def test_default_eap_matches_girth_with_a_fine_quadrature(girth_case):
    """Our production grid (81 equally spaced nodes on [-6, 6]) against girth with 201 nodes."""
    pool, a, b, data = girth_case
    expected = ability_eap(data, b, a, {"quadrature_n": 201, "quadrature_bounds": (-6, 6)})
    est = EAP()
    ours = np.array(
        [
            est.estimate(pool, AdministrationState(tuple(range(pool.n)), tuple(data[:, j]))).theta
            for j in range(data.shape[1])
        ]
    )
    np.testing.assert_allclose(ours, expected, atol=1e-4)


def test_map_matches_girth(girth_case):
    pool, a, b, data = girth_case
    expected = ability_map(data, b, a)
    items = np.arange(pool.n)
    ours = np.array([map_estimate(pool, items, data[:, j]).theta for j in range(data.shape[1])])
    np.testing.assert_allclose(ours, expected, atol=1e-4)


def test_mle_matches_girth_and_falls_back_on_extreme_patterns(girth_case):
    pool, a, b, data = girth_case
    data = data.copy()
    data[:, 0] = 1  # all correct
    data[:, 1] = 0  # all wrong
    expected = ability_mle(data, b, a)
    items = np.arange(pool.n)
    results = [mle(pool, items, data[:, j]) for j in range(data.shape[1])]
    ours = np.array([r.theta for r in results])
    inside = np.abs(expected) < 5.5
    inside[:2] = False
    assert inside.sum() > 40
    np.testing.assert_allclose(ours[inside], expected[inside], atol=1e-4)
    for r in results[:2]:
        assert r.note == "mle_undefined_extreme_pattern" and r.method == "eap"
        assert np.isfinite(r.theta) and np.isfinite(r.se)
    assert results[0].theta > 1.0 and results[1].theta < -1.0
    assert results[2].method == "mle" and results[2].note is None
    # SE = 1 / sqrt(I(θ̂))
    assert results[2].se == pytest.approx(
        1 / np.sqrt(item_information(pool, results[2].theta).sum())
    )


def test_eap_on_mixed_pattern_matches_direct_integration():
    pool = make_mixed_pool(4)
    rng = np.random.default_rng(8)
    items = np.arange(pool.n)
    scores = np.array([rng.integers(0, k) for k in pool.n_categories])

    def post(t):
        return np.exp(response_log_likelihood(pool, items, scores, t)[0]) * norm.pdf(t, 0.3, 1.2)

    z = integrate.quad(post, -8, 8, limit=200)[0]
    mean = integrate.quad(lambda t: t * post(t), -8, 8, limit=200)[0] / z
    var = integrate.quad(lambda t: (t - mean) ** 2 * post(t), -8, 8, limit=200)[0] / z
    est = EAP(prior_mean=0.3, prior_sd=1.2).estimate(
        pool, AdministrationState(tuple(items), tuple(scores))
    )
    assert est.theta == pytest.approx(mean, abs=1e-4)
    assert est.se == pytest.approx(np.sqrt(var), abs=1e-4)
    grid, w = est.posterior
    assert grid.shape == w.shape == (81,) and w.sum() == pytest.approx(1.0)
    # MAP is the posterior mode
    m = MAP(prior_mean=0.3, prior_sd=1.2).estimate(
        pool, AdministrationState(tuple(items), tuple(scores))
    )
    fine = np.linspace(m.theta - 0.01, m.theta + 0.01, 2001)
    logpost = response_log_likelihood(pool, items, scores, fine) + norm.logpdf(fine, 0.3, 1.2)
    assert m.theta == pytest.approx(fine[np.argmax(logpost)], abs=2e-5)


def test_wle_equals_jeffreys_map_for_2pl_and_is_finite_on_perfect_patterns():
    rng = np.random.default_rng(11)
    a = rng.uniform(0.7, 2.0, 15)
    b = rng.normal(0, 1, 15)
    pool = pool_2pl(a, b)
    items = np.arange(15)
    for scores in (rng.integers(0, 2, 15), np.ones(15, int), np.zeros(15, int)):
        w = wle(pool, items, scores)
        assert np.isfinite(w.theta) and np.isfinite(w.se) and w.note is None
        # For the 2PL, Warm's WLE maximises log L + ½ log I (Jeffreys prior).
        fine = np.linspace(-6, 6, 120001)
        crit = response_log_likelihood(pool, items, scores, fine) + 0.5 * np.log(
            item_information(pool, fine).sum(axis=0)
        )
        assert w.theta == pytest.approx(fine[np.argmax(crit)], abs=1e-3)
    assert (
        wle(pool, items, np.ones(15, int)).theta
        > 1.0
        > -1.0
        > wle(pool, items, np.zeros(15, int)).theta
    )


def test_wle_on_perfect_polytomous_pattern_is_finite():
    pool = make_mixed_pool(2)
    items = np.arange(pool.n)
    top = pool.n_categories - 1
    for scores in (top, np.zeros_like(top)):
        w = WLE().estimate(pool, AdministrationState(tuple(items), tuple(scores)))
        assert np.isfinite(w.theta) and -6 < w.theta < 6


def test_empty_pattern():
    pool = make_mixed_pool(0)
    s = AdministrationState()
    e = EAP(prior_mean=0.5).estimate(pool, s)
    assert e.theta == pytest.approx(0.5, abs=1e-6) and e.se == pytest.approx(1.0, abs=1e-3)
    assert e.note == "no_responses"
    assert MLE().estimate(pool, s).note == "no_responses"
    assert WLE().estimate(pool, s).se == np.inf


@settings(derandomize=True, max_examples=40, deadline=None)
@given(st.integers(0, 2**32 - 1), st.integers(2, 25))
def test_eap_rises_with_the_rasch_sum_score(seed, n):
    """Under the 1PL the EAP is a strictly increasing function of the number correct."""
    rng = np.random.default_rng(seed)
    b = rng.normal(0, 1.5, n)
    pool = ItemPool.from_records(
        [{"id": str(k), "model": "1pl", "b": float(b[k])} for k in range(n)]
    )
    items = np.arange(n)
    order = rng.permutation(n)
    thetas = []
    for r in range(n + 1):
        x = np.zeros(n, int)
        x[order[:r]] = 1
        e = eap(pool, items, x)
        assert 0 < e.se < 1
        thetas.append(e.theta)
    assert np.all(np.diff(thetas) > 0)


@settings(derandomize=True, max_examples=30, deadline=None)
@given(st.integers(0, 2**32 - 1))
def test_estimators_agree_in_order_of_magnitude_on_long_tests(seed):
    rng = np.random.default_rng(seed)
    n = 60
    a = rng.uniform(1.0, 2.0, n)
    b = rng.normal(0, 1, n)
    pool = pool_2pl(a, b)
    theta = rng.uniform(-1.5, 1.5)
    x = (rng.random(n) < 1 / (1 + np.exp(-a * (theta - b)))).astype(int)
    items = np.arange(n)
    ests = [
        eap(pool, items, x),
        map_estimate(pool, items, x),
        mle(pool, items, x),
        wle(pool, items, x),
    ]
    thetas = np.array([e.theta for e in ests])
    assert np.ptp(thetas) < 0.6
    assert all(0.1 < e.se < 0.5 for e in ests)


def test_3pl_eap_map_mle_match_girth():
    from girth import ability_3pl_eap, ability_3pl_map, ability_3pl_mle

    rng = np.random.default_rng(77)
    n_items, n_people = 25, 40
    a = rng.uniform(0.8, 2.0, n_items)
    b = rng.normal(0.0, 1.0, n_items)
    c = rng.uniform(0.05, 0.25, n_items)
    theta = rng.normal(0.0, 1.0, n_people)
    p = c[:, None] + (1 - c[:, None]) / (1 + np.exp(-a[:, None] * (theta[None, :] - b[:, None])))
    data = (rng.random((n_items, n_people)) < p).astype(int)
    pool = ItemPool.from_records(
        [{"id": str(k), "model": "3pl", "a": a[k], "b": b[k], "c": c[k]} for k in range(n_items)]
    )
    items = np.arange(n_items)
    nodes, w = legendre(41, -4.5, 4.5)
    lpw = np.log(norm.pdf(nodes) * w)
    ours_eap = [
        eap(pool, items, data[:, j], nodes=nodes, log_prior_weights=lpw).theta
        for j in range(n_people)
    ]
    np.testing.assert_allclose(ours_eap, ability_3pl_eap(data, b, a, c), atol=1e-4)
    ours_map = [map_estimate(pool, items, data[:, j]).theta for j in range(n_people)]
    np.testing.assert_allclose(ours_map, ability_3pl_map(data, b, a, c), atol=1e-4)
    expected = ability_3pl_mle(data, b, a, c)
    ours_mle = np.array([mle(pool, items, data[:, j]).theta for j in range(n_people)])
    inside = np.isfinite(expected) & (np.abs(expected) < 5.5)
    assert inside.sum() >= 35
    np.testing.assert_allclose(ours_mle[inside], expected[inside], atol=1e-4)


def test_eap_matrix_equals_pattern_by_pattern():
    from toetsbatterij.scoring import eap_matrix

    pool = make_mixed_pool(6)
    rng = np.random.default_rng(3)
    n_people = 25
    x = np.array([[rng.integers(0, k) for k in pool.n_categories] for _ in range(n_people)])
    x[rng.random(x.shape) < 0.4] = -1
    x[0] = -1  # nobody answered anything
    theta, se, w = eap_matrix(pool, x, prior_mean=0.2, prior_sd=1.1)
    assert w.shape == (n_people, 81)
    for j in range(n_people):
        given_ = np.nonzero(x[j] >= 0)[0]
        e = eap(pool, given_, x[j, given_], prior_mean=0.2, prior_sd=1.1)
        assert theta[j] == pytest.approx(e.theta, abs=1e-10)
        assert se[j] == pytest.approx(e.se, abs=1e-10)
    assert theta[0] == pytest.approx(0.2, abs=1e-6)
    with pytest.raises(ValueError):
        eap_matrix(pool, np.full((2, pool.n), 7))


def test_wle_matches_warms_analytic_3pl_equation():
    """3PL: root of Σ (x−P)P′/(P(1−P)) + J/(2I), with P′ and P″ in closed form."""
    from scipy.optimize import brentq

    rng = np.random.default_rng(4)
    n = 20
    a = rng.uniform(0.8, 2.0, n)
    b = rng.normal(0, 1, n)
    c = rng.uniform(0.1, 0.25, n)
    pool = ItemPool.from_records(
        [{"id": str(i), "model": "3pl", "a": a[i], "b": b[i], "c": c[i]} for i in range(n)]
    )

    def warm(t, x):
        q = 1 / (1 + np.exp(-a * (t - b)))
        p = c + (1 - c) * q
        d1 = a * (1 - c) * q * (1 - q)
        d2 = a * a * (1 - c) * q * (1 - q) * (1 - 2 * q)
        info = np.sum(d1**2 / (p * (1 - p)))
        j = np.sum(d1 * d2 / (p * (1 - p)))
        return np.sum((x - p) * d1 / (p * (1 - p))) + j / (2 * info)

    for x in [(rng.random(n) < 0.6).astype(int) for _ in range(4)] + [np.ones(n, int)]:
        expected = brentq(lambda t, x=x: warm(t, x), -6, 6, xtol=1e-12)
        assert wle(pool, np.arange(n), x).theta == pytest.approx(expected, abs=1e-5)
