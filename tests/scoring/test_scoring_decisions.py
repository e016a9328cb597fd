"""Decision-targeted designs: GLR, stochastic curtailment, selection at the cut, and Rudner's
classification accuracy (closed forms)."""

from __future__ import annotations

import math

import numpy as np
import pytest

from toetsbatterij.items.designs import design_from_config
from toetsbatterij.scoring import (
    GLR,
    SPRT,
    AdministrationState,
    CutScores,
    Design,
    Estimate,
    ItemPool,
    SelectionRule,
    StochasticCurtailment,
    full_length_information,
    item_information,
    remaining_information,
    response_log_likelihood,
    rudner,
    rudner_from_estimates,
    selection_point,
    simulate,
)


def pool_2pl(n=200, seed=3):
    rng = np.random.default_rng(seed)
    return ItemPool.from_records([{"id": f"i{k}", "model": "2pl", "a": float(a), "b": float(b)}
                                  for k, (a, b) in enumerate(zip(rng.uniform(0.8, 2.0, n),
                                                                 rng.uniform(-3, 3, n), strict=True))])


def test_glr_statistic_is_the_best_fit_on_each_side():
    pool = pool_2pl(20)
    state = AdministrationState(tuple(range(10)), (1, 1, 0, 1, 1, 1, 0, 1, 1, 1), seed=1)
    rule = GLR(cut=-0.5, delta=0.2, alpha=0.05, beta=0.05, n_grid=2001)
    grid = np.linspace(-6, 6, 24001)
    ll = response_log_likelihood(pool, state.items_array, state.scores_array, grid)
    expected = ll[grid >= -0.3].max() - ll[grid <= -0.7].max()
    assert rule.statistic(pool, state) == pytest.approx(expected, abs=1e-3)
    # the GLR is never smaller in size than the SPRT statistic at the region's edges
    sprt = ll[np.argmin(abs(grid + 0.3))] - ll[np.argmin(abs(grid + 0.7))]
    assert abs(rule.statistic(pool, state)) >= abs(sprt) - 1e-9


def test_glr_stops_sooner_than_the_sprt_far_from_the_cut():
    pool = pool_2pl()
    for rule_cls, kw in ((SPRT, {}), (GLR, {})):
        assert rule_cls(cut=0.0, delta=0.3, **kw)
    common = dict(min_items=1, max_items=40, cut_scores=CutScores.from_mapping({"A2": 0.0}))
    from toetsbatterij.scoring import standard_stopping

    sprt = Design("s", "1", stopping=standard_stopping(1, 40, sprt=SPRT(0.0, 0.3, 0.05, 0.05)), **common)
    glr = Design("g", "1", stopping=standard_stopping(1, 40, glr=GLR(0.0, 0.3, 0.05, 0.05)), **common)
    far = np.full(300, 2.0)
    assert simulate(glr, pool, far, 5).length_mean < simulate(sprt, pool, far, 5).length_mean


def test_remaining_information_and_curtailment():
    pool = pool_2pl(30)
    state = AdministrationState((0, 1, 2), (1, 0, 1), seed=1)
    info = item_information(pool, 0.4)
    rest = np.sort(info[3:])[::-1]
    assert remaining_information(pool, state, 0.4, 5) == pytest.approx(rest[:5].sum())
    assert remaining_information(pool, state, 0.4, 0) == 0.0
    rule = StochasticCurtailment(cut=0.4, max_items=3, gamma=0.05)
    # no item left: the decision cannot change
    assert rule.should_stop(pool, state, Estimate(0.41, 0.5, "eap")) == "curtailed"
    rule = StochasticCurtailment(cut=0.4, max_items=30, gamma=0.05)
    i_r = remaining_information(pool, state, 0.4, 27)
    se = 0.5
    z = 0.1 * math.sqrt((1 / se**2 + i_r) / se**2 / i_r)
    from scipy.stats import norm

    assert rule.change_probability(pool, state, Estimate(0.5, se, "eap")) == pytest.approx(norm.cdf(-z))
    assert rule.should_stop(pool, state, Estimate(0.5, se, "eap")) is None
    assert rule.should_stop(pool, state, Estimate(3.5, 0.3, "eap")) == "curtailed"
    with pytest.raises(ValueError):
        StochasticCurtailment(0.0, 10, gamma=0.7)


def test_selection_moves_to_the_cut_only_when_the_estimate_is_near_it():
    design = Design("d", "1", selection=SelectionRule(kl_first=2, at_cut=-1.2, cut_window=2.0))
    near, far = Estimate(-0.7, 0.3, "eap"), Estimate(0.5, 0.3, "eap")
    assert selection_point(design, near, 5) == -1.2
    assert selection_point(design, far, 5) == 0.5
    assert selection_point(design, near, 1) == -0.7  # the first items locate the candidate
    assert selection_point(Design("d", "1"), near, 5) == -0.7


def test_design_from_config_reads_the_decision_targeted_keys():
    cuts = {"A1": -2.4, "A2": -1.2, "B1": 0.0}
    section = {"skill": "reading", "design": {
        "decision": {"level": "A2", "profile": "nationaliteit"},
        "selection": {"method": "max_info", "at_cut": True, "cut_window": 1.5},
        "stopping": {"min_items": 5, "max_items": 40, "decisive_z": 2.0,
                     "glr": {"delta": 0.1, "alpha": 0.02, "beta": 0.03}, "curtail": {"gamma": 0.01},
                     "sprt": {"level": "B1"}}}}
    d = design_from_config(section, cuts)
    assert d.decisive_level == "A2" and d.selection.at_cut == -1.2 and d.selection.cut_window == 1.5
    rules = d.stopping.rules[1].rules[1].rules
    kinds = {type(r).__name__: r for r in rules}
    assert kinds["ClassificationCI"].cuts.cuts.tolist() == [-1.2] and kinds["ClassificationCI"].z == 2.0
    assert kinds["GLR"].cut == -1.2 and (kinds["GLR"].alpha, kinds["GLR"].beta) == (0.02, 0.03)
    assert kinds["StochasticCurtailment"].max_items == 40 and kinds["StochasticCurtailment"].gamma == 0.01
    assert kinds["SPRT"].cut == 0.0  # its own level wins
    with pytest.raises(ValueError):
        design_from_config({"design": {"stopping": {"max_items": 10, "glr": {"delta": 0.1}}}}, None)
    with pytest.raises(ValueError):
        design_from_config({"design": {"stopping": {"max_items": 10, "decisive_z": 2,
                                                    "classification_z": 2}}}, cuts)


def test_rudner_closed_forms_for_a_constant_se():
    """θ ~ N(0, 1), θ̂ = θ + σZ, one cut at 0: P(wrong) = arctan(σ)/π, and two independent
    administrations disagree with probability arccos(1/(1 + σ²))/π."""
    nodes = np.linspace(-8, 8, 8001)
    w = np.exp(-nodes**2 / 2)
    for sigma in (0.2, 0.35, 0.6):
        q = rudner(CutScores(("A2",), np.array([0.0])), nodes, w, np.full(nodes.size, sigma))
        c = q.at("A2")
        assert c.accuracy == pytest.approx(1 - math.atan(sigma) / math.pi, abs=1e-6)
        assert c.consistency == pytest.approx(1 - math.acos(1 / (1 + sigma**2)) / math.pi, abs=1e-6)
        assert c.false_positive == pytest.approx(c.false_negative, abs=1e-3)  # node 0 counts as above
        assert c.wrong == pytest.approx(1 - c.accuracy)
        assert dict(c.curve)[0.0] == pytest.approx(0.5)
        assert q.level_accuracy == pytest.approx(c.accuracy)


def test_rudner_agrees_with_simulation_for_a_fixed_form():
    """A fixed 30-item form scored by MLE-like precision: the analytic SE curve 1/√I(θ) and the
    simulated estimates give the same accuracy within a percentage point."""
    rng = np.random.default_rng(8)
    pool = pool_2pl(30, seed=9)
    cuts = CutScores.from_mapping({"A2": -1.0, "B1": 0.3})
    nodes = np.linspace(-5, 5, 201)
    info = full_length_information(pool, nodes, 30)
    assert info == pytest.approx(item_information(pool, nodes).sum(axis=0))
    q = rudner(cuts, nodes, np.exp(-nodes**2 / 2), 1 / np.sqrt(info))
    theta = rng.standard_normal(40000)
    se_true = np.interp(theta, nodes, 1 / np.sqrt(info))
    theta_hat = theta + se_true * rng.standard_normal(theta.size)
    for level, cut in (("A2", -1.0), ("B1", 0.3)):
        simulated = np.mean((theta_hat >= cut) == (theta >= cut))
        assert q.at(level).accuracy == pytest.approx(simulated, abs=0.006)
    est = rudner_from_estimates(cuts, theta_hat, se_true)
    assert est.at("B1").accuracy == pytest.approx(q.at("B1").accuracy, abs=0.01)


def test_rudner_refuses_bad_input():
    cuts = CutScores.from_mapping({"A2": 0.0})
    with pytest.raises(ValueError):
        rudner(cuts, np.array([0.0, 1.0]), np.array([1.0, 1.0]), np.array([0.3, 0.0]))
    with pytest.raises(ValueError):
        rudner(cuts, np.array([0.0]), np.array([1.0]), np.array([0.3]), decisive="B1")
