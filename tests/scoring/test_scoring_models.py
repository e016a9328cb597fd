"""Item models: probabilities, log-likelihood, information (DOMAIN.md §5)."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from toetsbatterij.scoring import (
    ItemPool,
    Model,
    category_log_probabilities,
    category_probabilities,
    item_information,
    response_log_likelihood,
    test_information,
)

from .conftest import make_mixed_pool

THETAS = np.linspace(-10, 10, 41)


def single(model: str, a: float, b, c: float = 0.0) -> ItemPool:
    return ItemPool.from_records([{"id": "x", "model": model, "a": a, "b": b, "c": c}])


poly_params = st.tuples(
    st.sampled_from(["gpcm", "grm"]),
    st.floats(0.2, 4.0),
    st.lists(st.floats(-4.0, 4.0), min_size=1, max_size=5, unique=True),
)


@settings(derandomize=True, max_examples=60, deadline=None)
@given(poly_params, st.floats(-10, 10))
def test_polytomous_probabilities_sum_to_one(params, theta):
    model, a, thresholds = params
    b = sorted(thresholds)
    if model == "grm" and np.any(np.diff(b) < 1e-3):
        b = [t + 0.01 * k for k, t in enumerate(b)]
    pool = single(model, a, b)
    p = category_probabilities(pool, theta)[0, :, 0]
    assert np.all(p >= 0)
    assert p.sum() == pytest.approx(1.0, abs=1e-12)


@settings(derandomize=True, max_examples=60, deadline=None)
@given(
    st.sampled_from(["1pl", "2pl", "3pl", "gpcm", "grm"]),
    st.floats(0.05, 50.0),
    st.floats(-8.0, 8.0),
    st.floats(0.0, 0.5),
)
def test_extreme_theta_and_parameters_are_finite(model, a, b, c):
    bb = [b, b + 0.5] if model in ("gpcm", "grm") else b
    pool = single(model, a, bb, c)
    th = np.array([-10.0, -5.0, 0.0, 5.0, 10.0])
    lp = category_log_probabilities(pool, th)
    valid = lp[:, : pool.n_categories[0], :]
    assert not np.any(np.isnan(lp))
    assert np.all(valid <= 0)
    info = item_information(pool, th)
    assert np.all(np.isfinite(info)) and np.all(info >= 0)
    ll = response_log_likelihood(pool, [0], [pool.n_categories[0] - 1], th)
    assert not np.any(np.isnan(ll))


def test_dichotomous_formulas_match_domain_md():
    a, b, c = 1.3, -0.4, 0.2
    th = np.linspace(-4, 4, 17)
    p3 = category_probabilities(single("3pl", a, b, c), th)[0, 1]
    expected = c + (1 - c) / (1 + np.exp(-a * (th - b)))
    np.testing.assert_allclose(p3, expected, rtol=1e-12)
    info3 = item_information(single("3pl", a, b, c), th)[0]
    np.testing.assert_allclose(
        info3, a**2 * (expected - c) ** 2 * (1 - expected) / ((1 - c) ** 2 * expected), rtol=1e-10
    )
    p2 = 1 / (1 + np.exp(-a * (th - b)))
    info2 = item_information(single("2pl", a, b), th)[0]
    np.testing.assert_allclose(info2, a**2 * p2 * (1 - p2), rtol=1e-10)
    # the scalar fast path agrees with the array path
    pool = single("2pl", a, b)
    assert item_information(pool, 0.7)[0] == pytest.approx(item_information(pool, [0.7])[0, 0])


def test_gpcm_and_grm_formulas():
    a, bs = 1.2, [-1.0, 0.3, 1.1]
    th = np.linspace(-3, 3, 13)
    # GPCM: P(k) ∝ exp(Σ_{v≤k} a(θ − b_v))
    z = np.stack(
        [np.zeros_like(th)]
        + [np.sum([a * (th - bv) for bv in bs[:k]], axis=0) for k in range(1, 4)]
    )
    expected = np.exp(z) / np.exp(z).sum(axis=0)
    np.testing.assert_allclose(
        category_probabilities(single("gpcm", a, bs), th)[0], expected, rtol=1e-10
    )
    # GRM: P(k) = P*(≥k) − P*(≥k+1)
    star = np.vstack(
        [np.ones_like(th)] + [1 / (1 + np.exp(-a * (th - bv))) for bv in bs] + [np.zeros_like(th)]
    )
    np.testing.assert_allclose(
        category_probabilities(single("grm", a, bs), th)[0],
        star[:-1] - star[1:],
        rtol=1e-9,
        atol=1e-15,
    )
    # GPCM with one step is the 2PL
    np.testing.assert_allclose(
        category_probabilities(single("gpcm", a, [0.4]), th),
        category_probabilities(single("2pl", a, 0.4), th),
        rtol=1e-12,
    )


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_information_is_expected_negative_second_derivative(seed):
    """I(θ) = E[−∂² log P(X|θ)/∂θ²] (expectation over X), by central differences."""
    pool = make_mixed_pool(seed)
    h = 1e-3
    for theta in (-2.5, -0.3, 0.0, 1.7):
        t = np.array([theta - h, theta, theta + h])
        lp = category_log_probabilities(pool, t)
        p = np.exp(lp[:, :, 1])
        with np.errstate(invalid="ignore"):
            d2 = (lp[:, :, 2] - 2 * lp[:, :, 1] + lp[:, :, 0]) / h**2
        expected = -(np.where(p > 0, p * np.nan_to_num(d2), 0.0)).sum(axis=1)
        info = item_information(pool, theta)
        assert np.all(info >= 0)
        np.testing.assert_allclose(info, expected, rtol=2e-4, atol=1e-7)
    assert test_information(pool, 0.0) == pytest.approx(item_information(pool, 0.0).sum())


def test_response_log_likelihood_sums_categories(mixed_pool):
    rng = np.random.default_rng(5)
    items = np.arange(mixed_pool.n)
    scores = np.array([rng.integers(0, k) for k in mixed_pool.n_categories])
    th = np.linspace(-3, 3, 7)
    lp = category_log_probabilities(mixed_pool, th)
    np.testing.assert_allclose(
        response_log_likelihood(mixed_pool, items, scores, th), lp[items, scores].sum(axis=0)
    )
    with pytest.raises(ValueError):
        response_log_likelihood(mixed_pool, [0], [2], th)


def test_pool_from_records_and_validation():
    pool = ItemPool.from_records(
        [
            {
                "id": "A",
                "model": "2pl",
                "a": 1.0,
                "b": 0.0,
                "attributes": {"topic": "work"},
                "testlet": "T1",
            },
            {"id": "B", "model": "gpcm", "a": 0.8, "b": [-1, 0, 1], "testlet": "T1"},
            {"id": "C", "model": "3pl", "a": 1.5, "b": 0.5, "c": 0.2, "selectable": False},
        ],
        enemy_pairs=[("A", "C")],
    )
    assert pool.n == 3 and pool.m_max == 3
    assert pool.model.tolist() == [Model.TWO_PL, Model.GPCM, Model.THREE_PL]
    assert np.isnan(pool.b[0, 1]) and pool.b[1].tolist() == [-1, 0, 1]
    assert pool.n_categories.tolist() == [2, 4, 2]
    assert pool.attributes["topic"].tolist() == ["work", "", ""]
    assert pool.testlet.tolist() == [0, 0, -1]
    assert pool.enemy_groups == ((0, 2),)
    assert pool.selectable.tolist() == [True, True, False]
    assert pool.index["C"] == 2
    with pytest.raises(ValueError):
        ItemPool.from_records([{"id": "A", "b": 0}, {"id": "A", "b": 1}])
    with pytest.raises(ValueError):
        ItemPool.from_records([{"id": "A", "model": "grm", "b": [1.0, 0.0]}])
    with pytest.raises(ValueError):
        ItemPool.from_records([{"id": "A", "model": "2pl", "a": -1.0, "b": 0.0}])
    with pytest.raises(ValueError):
        ItemPool.from_records([{"id": "A", "model": "4pl", "b": 0.0}])


@settings(derandomize=True, max_examples=60, deadline=None)
@given(
    st.sampled_from(["1pl", "2pl", "3pl", "gpcm", "grm"]),
    st.floats(0.3, 3.0),
    st.lists(st.floats(-3.0, 3.0), min_size=1, max_size=4, unique=True),
    st.floats(0.0, 0.35),
    st.floats(-4.0, 4.0),
)
def test_information_equals_sum_of_squared_slopes_over_p(model, a, thresholds, c, theta):
    """Fisher information I(θ) = Σ_k P′_k(θ)² / P_k(θ), P′ by central differences."""
    b = sorted(thresholds)
    if model in ("1pl", "2pl", "3pl"):
        b = b[0]
    elif model == "grm" and np.any(np.diff(b) < 0.05):
        b = [t + 0.05 * k for k, t in enumerate(b)]
    pool = single(model, a, b, c)
    h = 1e-5
    p = category_probabilities(pool, np.array([theta - h, theta, theta + h]))[0]
    d1 = (p[:, 2] - p[:, 0]) / (2 * h)
    ok = p[:, 1] > 1e-12
    expected = np.sum(d1[ok] ** 2 / p[ok, 1])
    assert item_information(pool, theta)[0] == pytest.approx(expected, rel=1e-4, abs=1e-10)
