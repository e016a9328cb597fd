"""CEFR mapping, level probabilities and the reporting scale."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy.stats import norm

from toetsbatterij.scoring import (
    EAP,
    AdministrationState,
    CutScores,
    Estimate,
    ReportingScale,
    classify,
)

from .conftest import make_2pl_pool

CUTS = CutScores.from_mapping({"A2": -1.2, "A1": -2.4, "B1": 0.0, "B2": 1.2, "C1": 2.4})


def test_levels_and_bands():
    assert CUTS.levels == ("A1", "A2", "B1", "B2", "C1")
    assert CUTS.level_of(-5) == "below_A1"
    assert CUTS.level_of(-2.4) == "A1"  # a θ exactly at a cut gets the higher level
    assert CUTS.level_of(-0.01) == "A2" and CUTS.level_of(3.0) == "C1"
    assert (
        CUTS.band("A2") == (-1.2, 0.0)
        and CUTS.band("below_A1") == (-np.inf, -2.4)
        and CUTS.band("C1") == (2.4, np.inf)
    )
    with pytest.raises(ValueError):
        CutScores(("A1", "A2"), np.array([0.0, -1.0]))


@settings(derandomize=True, max_examples=50, deadline=None)
@given(st.floats(-4, 4), st.floats(0.05, 2.0))
def test_normal_approximation_probabilities(theta, se):
    d = classify(Estimate(theta, se, "map"), CUTS, target="A2")
    probs = d.probabilities
    assert sum(probs.values()) == pytest.approx(1.0)
    assert probs["A2"] == pytest.approx(
        norm.cdf((0.0 - theta) / se) - norm.cdf((-1.2 - theta) / se), abs=1e-12
    )
    assert d.p_at_least_target == pytest.approx(1 - norm.cdf((-1.2 - theta) / se), abs=1e-12)
    assert d.level == CUTS.level_of(theta)


def test_posterior_probabilities_follow_the_eap_posterior():
    pool = make_2pl_pool(200, seed=3)
    rng = np.random.default_rng(1)
    items = tuple(int(i) for i in rng.choice(200, 40, replace=False))
    p = 1 / (1 + np.exp(-pool.a[list(items)] * (-0.6 - pool.b[list(items), 0])))
    scores = tuple(int(x) for x in (rng.random(40) < p))
    est = EAP(n_nodes=401).estimate(pool, AdministrationState(items, scores))
    d = classify(est, CUTS, target="A2")
    assert sum(d.probabilities.values()) == pytest.approx(1.0)
    # a 401-node posterior is nearly normal: compare with the normal approximation
    approx = classify(Estimate(est.theta, est.se, "eap"), CUTS, target="A2")
    for level in CUTS.all_levels:
        assert d.probabilities[level] == pytest.approx(approx.probabilities[level], abs=0.03)
    grid, w = est.posterior
    # the node mass is spread over its cell: P(≥ A2) lies between the masses of the nodes
    # above the cut and of the nodes at or above it
    assert w[grid > -1.2 + 1e-9].sum() - 1e-12 <= d.p_at_least_target
    assert d.p_at_least_target <= w[grid >= -1.2 - 1e-9].sum() + 1e-12


def test_reporting_scale():
    s = ReportingScale(500, 50)
    assert s.to_scale(1.2) == pytest.approx(560)
    assert s.to_theta(560) == pytest.approx(1.2)
    np.testing.assert_allclose(s.to_theta(s.to_scale(np.array([-1.0, 0.5]))), [-1.0, 0.5])
    assert s.se_to_scale(0.3) == pytest.approx(15)
    with pytest.raises(ValueError):
        ReportingScale(0, 0)
