"""Simulation harness and Sympson-Hetter tuning."""

from __future__ import annotations

import numpy as np
import pytest

from toetsbatterij.items.designs import design_from_config
from toetsbatterij.scoring import (
    Design,
    SelectionRule,
    simulate,
    tune_sympson_hetter,
)

from .conftest import make_2pl_pool

CUTS = {"A1": -2.4, "A2": -1.2, "B1": 0.0, "B2": 1.2, "C1": 2.4}


def test_report_fields_are_consistent():
    pool = make_2pl_pool(300, seed=2)
    d = design_from_config(
        {
            "design": {
                "selection": {"randomesque": 3},
                "stopping": {"min_items": 5, "max_items": 20, "se": 0.4},
            }
        },
        CUTS,
    )
    thetas = np.random.default_rng(0).normal(size=120)
    r = simulate(d, pool, thetas, seed=1)
    assert r.n_simulees == 120
    assert r.bias == pytest.approx(np.mean(r.theta_hat - thetas))
    assert r.rmse == pytest.approx(np.sqrt(np.mean((r.theta_hat - thetas) ** 2)))
    assert 0.2 < r.rmse < 0.6
    assert 5 <= r.length_mean <= 20 and r.length_max <= 20
    assert r.lengths.sum() == pytest.approx(r.exposure.sum() * 120)
    assert sum(r.stop_reasons.values()) == 120 and set(r.stop_reasons) <= {"se", "max_items"}
    assert sum(row.n for row in r.conditional) == 120
    assert set(r.classification_accuracy) == set(CUTS) and all(
        0.5 < v <= 1 for v in r.classification_accuracy.values()
    )
    assert 0 <= r.never_used_share < 1 and 0 < r.exposure_max <= 1 and 0 < r.overlap_rate < 1
    # reproducible
    r2 = simulate(d, pool, thetas, seed=1)
    np.testing.assert_array_equal(r.theta_hat, r2.theta_hat)
    # overlap rate: pairwise shared items over mean length, checked by brute force on a tiny run
    small = simulate(d, pool, thetas[:6], seed=3)
    assert small.overlap_rate > 0


def test_oracle_selection_is_at_least_as_efficient():
    pool = make_2pl_pool(300, seed=5)
    d = Design("x", "1", content="none", max_items=15)
    thetas = np.random.default_rng(1).normal(size=150)
    real = simulate(d, pool, thetas, seed=2)
    oracle = simulate(d, pool, thetas, seed=2, oracle=True)
    assert oracle.rmse <= real.rmse * 1.1


@pytest.mark.slow
def test_sympson_hetter_keeps_exposure_below_r_max():
    """Seeded: tune K on simulated candidates, check on a fresh sample: max ≤ r_max + 0.02."""
    pool = make_2pl_pool(150, seed=9)
    d = Design("sh", "1", content="none", max_items=10, selection=SelectionRule(randomesque=1))
    r_max = 0.25
    before = simulate(d, pool, np.random.default_rng(3).normal(size=300), seed=4)
    assert before.exposure_max > 0.9  # without control the best items go to everyone
    tuned, history = tune_sympson_hetter(d, pool, r_max, n_simulees=400, iterations=10, seed=5)
    assert np.all(tuned.sh_k <= 1) and np.any(tuned.sh_k < 1)
    assert history[0] > 0.9 and min(history) < 0.3
    check = simulate(
        Design("sh", "1", content="none", max_items=10, exposure="sympson_hetter"),
        tuned,
        np.random.default_rng(6).normal(size=1000),
        seed=7,
    )
    assert check.exposure_max <= r_max + 0.02, (check.exposure_max, history)
    assert check.length_mean == 10


def test_sympson_hetter_lottery_is_fixed_per_administration():
    """An item turned down once stays turned down: K = 0 items (tiny K) are never given."""
    pool = make_2pl_pool(80, seed=2)
    info_order = np.argsort(-pool.a)
    k = np.ones(pool.n)
    k[info_order[:20]] = 1e-9
    d = Design("sh", "1", content="none", max_items=12, exposure="sympson_hetter")
    r = simulate(d, pool.with_sh_k(k), np.random.default_rng(1).normal(size=60), seed=2)
    assert r.exposure[info_order[:20]].max() == 0
    assert r.selection_rate[info_order[:20]].max() > 0.5  # they were drawn, and turned down
