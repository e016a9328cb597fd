"""Rater statistics: agreement and kappa by hand, the many-facet Rasch model against known truth
and against a direct maximisation of the same likelihood, fit, extreme scores and drift."""

from __future__ import annotations

import numpy as np
import pytest
from scipy.optimize import minimize

from toetsbatterij.scoring.raters import (
    ControlRule,
    FacetObservation,
    WindowSeverity,
    agreement,
    detect_drift,
    fit_mfrm,
    pairwise_agreement,
    simulate_ratings,
    window_severities,
)

# ---------------------------------------------------------------------------- agreement


def test_agreement_hand_computed_case():
    """Ten pairs, categories 0..2 (rows: rater a, columns: rater b)::

              b=0  b=1  b=2 | row sum
        a=0    2    1    0  |   3
        a=1    1    3    1  |   5
        a=2    0    0    2  |   2
        ----------------------------
        col    3    4    3  |  10

    exact    = (2 + 3 + 2) / 10 = 0.7
    adjacent = 10 / 10 = 1.0 (no pair differs by 2)
    mean(a - b) = (1·(0-1) + 1·(1-0) + 1·(1-2)) / 10 = -0.1

    Weights w = (i - j)^2: 0 on the diagonal, 1 next to it, 4 in the corners.
    Observed disagreement  = sum w·count / n = (1 + 1 + 1) / 10 = 0.3
    Expected disagreement  = sum w·row_i·col_j / n^2
        = [ (0,1) 3·4·1 + (0,2) 3·3·4 + (1,0) 5·3·1 + (1,2) 5·3·1 + (2,0) 2·3·4 + (2,1) 2·4·1 ] / 100
        = (12 + 36 + 15 + 15 + 24 + 8) / 100 = 110 / 100 = 1.1
    kappa = 1 - 0.3 / 1.1 = 1 - 3/11 = 8/11 = 0.727272...
    """
    pairs = ([(0, 0)] * 2 + [(0, 1)] + [(1, 0)] + [(1, 1)] * 3 + [(1, 2)] + [(2, 2)] * 2)
    a = [p[0] for p in pairs]
    b = [p[1] for p in pairs]
    res = agreement(a, b, max_score=2)
    assert res.n == 10
    assert res.confusion == ((2, 1, 0), (1, 3, 1), (0, 0, 2))
    assert res.exact == pytest.approx(0.7)
    assert res.adjacent == pytest.approx(1.0)
    assert res.mean_difference == pytest.approx(-0.1)
    assert res.kappa == pytest.approx(8 / 11, abs=1e-12)
    # symmetric in a and b (the weights are), and max_score only pads the matrix
    assert agreement(b, a).kappa == pytest.approx(8 / 11, abs=1e-12)
    padded = agreement(a, b, max_score=4)
    assert padded.kappa == pytest.approx(8 / 11, abs=1e-12) and len(padded.confusion) == 5


def test_kappa_known_values():
    # perfect agreement: 1
    assert agreement([0, 1, 2, 3, 3, 1], [0, 1, 2, 3, 3, 1]).kappa == pytest.approx(1.0)
    # complete reversal of a uniform 0..2: observed disagreement (4 + 0 + 4) / 3 = 8/3, expected
    # (sum of w over the 9 cells) / 9 = 12/9 = 4/3, kappa = 1 - 2 = -1
    assert agreement([0, 1, 2], [2, 1, 0]).kappa == pytest.approx(-1.0)
    # every combination once: observed table = product of its margins, so kappa is exactly 0
    a, b = zip(*[(i, j) for i in range(4) for j in range(4)], strict=True)
    assert agreement(a, b).kappa == pytest.approx(0.0, abs=1e-12)
    # independent random raters: about 0
    rng = np.random.default_rng(11)
    indep = agreement(rng.integers(0, 4, 5000), rng.integers(0, 4, 5000))
    assert abs(indep.kappa) < 0.05
    assert indep.exact == pytest.approx(0.25, abs=0.03)
    assert indep.adjacent == pytest.approx(10 / 16, abs=0.03)  # |i - j| <= 1 in 10 of 16 cells


def test_agreement_edge_cases_return_none_not_nan():
    empty = agreement([], [])
    assert (empty.n, empty.exact, empty.adjacent, empty.kappa, empty.mean_difference) == (0, None, None, None, None)
    # both raters always give 2: agreement is perfect but kappa is 0/0, so None
    same = agreement([2, 2, 2], [2, 2, 2], max_score=3)
    assert same.exact == 1.0 and same.kappa is None
    # one side constant: expected disagreement (1 + 0 + 1) / 3 equals the observed one, kappa 0
    one_side = agreement([1, 1, 1], [0, 1, 2])
    assert one_side.kappa == pytest.approx(0.0)
    assert agreement(np.array([1.0, 2.0]), np.array([1, 2])).kappa == pytest.approx(1.0)


@pytest.mark.parametrize(("a", "b", "max_score"), [
    ([0, 1], [0], None),         # not paired
    ([0, -1], [0, 1], None),     # negative
    ([0, 1.5], [0, 1], None),    # not an integer
    ([0, 4], [0, 1], 3),         # above max_score
    ([[0, 1]], [[0, 1]], None),  # not one-dimensional
])
def test_agreement_refuses_bad_input(a, b, max_score):
    with pytest.raises(ValueError):
        agreement(a, b, max_score)


def test_pairwise_agreement_pairs_each_rater_with_the_others_on_the_same_cells():
    obs = [
        ("p1", "t", "c1", "A", 2), ("p1", "t", "c1", "B", 2),
        ("p1", "t", "c2", "A", 1), ("p1", "t", "c2", "B", 3),
        ("p2", "t", "c1", "A", 0), ("p2", "t", "c1", "C", 1),
        ("p3", "t", "c1", "D", 1),  # nobody else rated this cell
    ]
    res = pairwise_agreement(obs)
    assert list(res) == ["A", "B", "C", "D"]
    assert res["A"].n == 3 and res["A"].exact == pytest.approx(1 / 3)
    assert res["A"].adjacent == pytest.approx(2 / 3)
    assert res["A"].mean_difference == pytest.approx((0 - 2 - 1) / 3)
    assert res["B"].n == 2 and res["B"].mean_difference == pytest.approx(1.0)
    assert res["C"].n == 1 and res["C"].exact == 0.0
    assert res["D"].n == 0 and res["D"].kappa is None
    assert all(r.max_score == 3 for r in res.values())


# ---------------------------------------------------------------------------- MFRM

@pytest.fixture(scope="module")
def clean():
    sim = simulate_ratings(20260101)
    return sim, fit_mfrm(sim.observations)


@pytest.fixture(scope="module")
def with_random_rater():
    sim = simulate_ratings(20260102, random_raters=(11,))
    return sim, fit_mfrm(sim.observations)


def _vectors(truth, estimates, labels):
    return np.array([truth[k] for k in labels]), np.array([estimates[k].measure for k in labels])


def test_mfrm_recovers_known_severities(clean):
    """400 persons × 2 tasks × 4 criteria (0..3) × 12 raters with severities ~ N(0, 0.5), every
    production rated by 2 raters at random: about 530 ratings per rater.

    Bars: the model SE of a severity is about 0.05 logit (printed by the estimate), so sampling
    error alone gives an RMSE near 0.05-0.07; 0.15 leaves room for the JMLE bias that the
    (L-1)/L correction does not remove, and fails for a wrong model, sign or centring (an
    estimate of 0 for every rater gives 0.5). With a true SD of 0.5 and errors of 0.06 the
    correlation is near 0.99; the bar is 0.95.
    """
    sim, res = clean
    assert res.converged and res.n_subsets == 1
    assert res.bias_factor == pytest.approx(15 / 16)  # 16 observations per person
    true, est = _vectors(sim.severity, res.raters, list(sim.severity))
    rmse = float(np.sqrt(np.mean((est - true) ** 2)))
    assert rmse < 0.15, rmse
    assert np.corrcoef(true, est)[0, 1] > 0.95
    se = np.array([res.raters[k].se for k in sim.severity])
    assert 0.03 < se.mean() < 0.08
    assert 0.5 * se.mean() < rmse < 2.5 * se.mean()  # the SEs tell the size of the errors
    assert abs(est.sum()) < 1e-6  # centred
    # the other facets too
    for truth, facet in ((sim.task_difficulty, res.tasks), (sim.criterion_difficulty, res.criteria)):
        t, e = _vectors(truth, facet, list(truth))
        assert np.sqrt(np.mean((e - t) ** 2)) < 0.15
    tau_true = np.concatenate([sim.thresholds[c] for c in sim.thresholds])
    tau_est = np.concatenate([res.thresholds[c] for c in sim.thresholds])
    assert np.sqrt(np.mean((tau_est - tau_true) ** 2)) < 0.2
    theta_true, theta_est = _vectors(sim.theta, res.persons, list(sim.theta))
    assert np.corrcoef(theta_true, theta_est)[0, 1] > 0.9


def test_mfrm_fit_flags_a_random_rater_and_no_other(with_random_rater):
    """Rater R12 scores uniformly at random. Mean squares above 1.5 mark ratings noisier than
    the model predicts (Linacre's "productive for measurement" range is 0.5-1.5); with about
    500 ratings per rater the MS of a well-behaved rater has an SD near sqrt(2/500) = 0.06, so
    0.7-1.3 holds for every one of them."""
    sim, res = with_random_rater
    bad = res.raters["R12"]
    assert bad.infit > 1.5 and bad.outfit > 1.5 and bad.infit_z > 3
    for label, r in res.raters.items():
        if label != "R12":
            assert 0.7 < r.infit < 1.3 and 0.7 < r.outfit < 1.3, (label, r)
    # the well-behaved raters' severities are still recovered (origin aligned over them)
    good = [k for k in sim.severity if k != "R12"]
    true, est = _vectors(sim.severity, res.raters, good)
    assert np.sqrt(np.mean(((est - est.mean()) - (true - true.mean())) ** 2)) < 0.15


def test_jml_score_equations_hold_and_fair_scores(clean):
    sim, _ = clean
    res = fit_mfrm(sim.observations, bias_correction=False, tol=1e-8)
    assert res.bias_factor == 1.0
    for facet in (res.raters, res.tasks, res.criteria):
        for est in facet.values():
            assert est.observed_mean == pytest.approx(est.expected_mean, abs=1e-5)
    for est in res.persons.values():
        if not est.extreme:
            assert est.observed_mean == pytest.approx(est.expected_mean, abs=1e-5)
    harsh = max(res.raters, key=lambda k: res.raters[k].measure)
    lenient = min(res.raters, key=lambda k: res.raters[k].measure)
    person = next(iter(res.persons))
    theta = res.persons[person].measure
    fair = res.fair_score(person, "T1", "C1")
    assert res.expected_score(theta, "T1", "C1", harsh) < fair < res.expected_score(theta, "T1", "C1", lenient)
    assert res.expected_score(theta, "T1", "C1", None) == fair
    assert 0 < fair < 3


def test_mfrm_matches_a_direct_maximisation_of_the_same_likelihood():
    """A small design, fitted by our alternating Newton steps and by scipy's BFGS on the joint
    log-likelihood written out here, with the same identification (the last element of each
    facet and the last threshold of each criterion are minus the sum of the others)."""
    sim = simulate_ratings(5, n_persons=60, n_tasks=2, n_criteria=2, max_score=2, n_raters=4)
    first = fit_mfrm(sim.observations, bias_correction=False)
    keep = {k for k, v in first.persons.items() if not v.extreme}
    obs = [o for o in sim.observations if o.person in keep]
    res = fit_mfrm(obs, bias_correction=False, tol=1e-9)
    assert not any(v.extreme for v in res.persons.values())
    persons, tasks, crits, raters = (list(dict.fromkeys(getattr(o, f) for o in obs))
                                     for f in ("person", "task", "criterion", "rater"))
    p = np.array([persons.index(o.person) for o in obs])
    t = np.array([tasks.index(o.task) for o in obs])
    c = np.array([crits.index(o.criterion) for o in obs])
    r = np.array([raters.index(o.rater) for o in obs])
    x = np.array([o.score for o in obs])
    n_p, n_t, n_c, n_r = len(persons), len(tasks), len(crits), len(raters)

    def centred(v):
        return np.append(v, -v.sum())

    def unpack(z):
        i = 0
        theta = z[i:i + n_p]
        i += n_p
        dt = centred(z[i:i + n_t - 1])
        i += n_t - 1
        dc = centred(z[i:i + n_c - 1])
        i += n_c - 1
        dr = centred(z[i:i + n_r - 1])
        i += n_r - 1
        tau = np.array([centred(z[i + k:i + k + 1]) for k in range(n_c)])  # m = 2: one free each
        return theta, dt, dc, dr, tau

    def negloglik(z):
        theta, dt, dc, dr, tau = unpack(z)
        eta = theta[p] - dt[t] - dc[c] - dr[r]
        cum = np.concatenate([np.zeros((x.size, 1)), np.cumsum(tau[c], axis=1)], axis=1)
        logits = np.arange(3)[None, :] * eta[:, None] - cum
        lse = np.logaddexp.reduce(logits, axis=1)
        return -(logits[np.arange(x.size), x] - lse).sum()

    z0 = np.zeros(n_p + n_t - 1 + n_c - 1 + n_r - 1 + n_c)
    opt = minimize(negloglik, z0, method="BFGS", options={"gtol": 1e-7, "maxiter": 5000})
    theta, dt, dc, dr, tau = unpack(opt.x)
    assert np.allclose([res.raters[k].measure for k in raters], dr, atol=2e-3)
    assert np.allclose([res.tasks[k].measure for k in tasks], dt, atol=2e-3)
    assert np.allclose([res.criteria[k].measure for k in crits], dc, atol=2e-3)
    assert np.allclose([res.persons[k].measure for k in persons], theta, atol=5e-3)
    assert np.allclose([res.thresholds[k] for k in crits], tau, atol=2e-3)
    assert res.loglik == pytest.approx(-opt.fun, abs=1e-4)


def test_extreme_persons_are_left_out_of_the_joint_step_and_estimated_at_an_adjusted_score():
    sim = simulate_ratings(8, n_persons=120)
    extra = [FacetObservation("TOP", task, crit, rater, 3)
             for task in ("T1", "T2") for crit in ("C1", "C2", "C3", "C4") for rater in ("R01", "R02")]
    extra += [FacetObservation("BOTTOM", "T1", crit, "R03", 0) for crit in ("C1", "C2", "C3", "C4")]
    # RY rated only TOP and BOTTOM: a raw score in the middle, but nothing left for the joint step
    extra += [FacetObservation("TOP", "T1", "C1", "RY", 3), FacetObservation("BOTTOM", "T1", "C1", "RY", 0)]
    res = fit_mfrm(list(sim.observations) + extra)
    assert res.raters["RY"].extreme and np.isfinite(res.raters["RY"].measure)
    top, bottom = res.persons["TOP"], res.persons["BOTTOM"]
    assert top.extreme and bottom.extreme and top.infit is None
    others = [v.measure for k, v in res.persons.items() if k not in ("TOP", "BOTTOM")]
    assert np.isfinite(top.measure) and top.measure > max(others)
    assert np.isfinite(bottom.measure) and bottom.measure < min(others)
    # the raters' estimates do not move when the extreme persons are added
    base = fit_mfrm(sim.observations)
    for k in base.raters:
        assert not res.raters[k].extreme
        assert res.raters[k].measure == pytest.approx(base.raters[k].measure, abs=1e-6)


def test_mfrm_refuses_what_it_cannot_estimate():
    with pytest.raises(ValueError, match="no observations"):
        fit_mfrm([])
    # category 1 of criterion c never used: its threshold has no finite estimate
    obs = [(f"p{i}", "t", "c", r, s) for i in range(6) for r, s in (("A", 0 if i % 2 else 2), ("B", 2 if i % 3 else 0))]
    with pytest.raises(ValueError, match="never used"):
        fit_mfrm(obs)
    with pytest.raises(ValueError, match="above its maximum"):
        fit_mfrm([("p", "t", "c", "A", 3), ("p", "t", "c", "B", 1)], max_scores={"c": 2})
    for bad in (1.5, -1, "x", None, True):
        with pytest.raises(ValueError, match="not an integer"):
            fit_mfrm([("p", "t", "c", "A", bad)])
    with pytest.raises(ValueError, match="person, task, criterion, rater, score"):
        fit_mfrm([("p", "t", "c", 1)])


def test_labels_of_any_hashable_type_and_disconnected_designs_are_reported():
    sim = simulate_ratings(9, n_persons=80, n_raters=4)
    renamed = [(hash(o.person) % 10**6, ("rubric-x", o.task), o.criterion, int(o.rater[1:]), o.score)
               for o in sim.observations]
    res = fit_mfrm(renamed)
    assert set(res.raters) == {1, 2, 3, 4} and ("rubric-x", "T1") in res.tasks
    assert res.n_subsets == 1
    # two separate worlds: persons 1-40 rated only by R01/R02, 41-80 only by R03/R04
    split = [o for o in sim.observations
             if (int(o.person[1:]) <= 40) == (o.rater in ("R01", "R02"))]
    assert fit_mfrm(split).n_subsets == 2
    # shared raters, but persons 1-40 wrote only task T1 and 41-80 only T2: group ability and
    # task difficulty cannot be told apart
    by_task = [o for o in sim.observations if (int(o.person[1:]) <= 40) == (o.task == "T1")]
    assert fit_mfrm(by_task).n_subsets == 2


# ---------------------------------------------------------------------------- drift

def _halves(sim, raters=None):
    n_productions = len(sim.theta) * len(sim.task_difficulty)
    return window_severities(sim.observations, [int(t >= n_productions / 2) for t in sim.time],
                             raters=raters)


def test_drift_rule_flags_a_rater_whose_severity_moves_by_one_logit():
    sim = simulate_ratings(20260103, drift={0: 1.0})
    halves = _halves(sim)
    assert set(halves) == set(sim.severity)
    moving = detect_drift(severities=halves["R01"])
    assert moving.flagged
    assert [r.code for r in moving.reasons] == ["severity_shift"]
    # the split fit sees the shift at its size (SE of the difference about 0.14)
    assert moving.severity_shift == pytest.approx(1.0, abs=0.3) and moving.shift_z > 4
    for rater in sim.severity:
        if rater != "R01":
            stable = detect_drift(severities=halves[rater])
            assert not stable.flagged, (rater, stable)
            assert abs(stable.severity_shift) < 0.4


def test_window_severities_split_only_the_raters_asked_and_order_the_windows(clean):
    sim, res = clean
    ws = _halves(sim, raters=["R05"])
    assert list(ws) == ["R05"] and [w.window for w in ws["R05"]] == [0, 1]
    assert sum(w.n for w in ws["R05"]) == res.raters["R05"].n
    # a stable rater: both halves near the overall estimate (the other raters anchor the scale)
    for w in ws["R05"]:
        assert w.severity == pytest.approx(res.raters["R05"].measure, abs=3 * w.se)
    # windows in order of first appearance (time order), not sorted by label
    labels = ["b-first" if t < 400 else "a-second" for t in sim.time]
    by_label = window_severities(sim.observations, labels, raters=["R02"])["R02"]
    assert [w.window for w in by_label] == ["b-first", "a-second"]
    with pytest.raises(ValueError):
        window_severities([sim.observations[0]], [0, 1])


def test_drift_on_control_responses():
    rng = np.random.default_rng(4)
    reference = rng.integers(0, 4, 30)
    good = [(int(np.clip(r + rng.choice([-1, 0, 0, 0, 1]), 0, 3)), int(r)) for r in reference]
    assert not detect_drift(controls=good).flagged
    # random scores against the references: mean |deviation| far above 0.75
    erratic = [(int(s), int(r)) for s, r in zip(rng.integers(0, 4, 30), reference, strict=True)]
    res = detect_drift(controls=erratic)
    assert res.flagged and "control_deviation" in [r.code for r in res.reasons]
    assert res.n_controls == 20  # the last 20 only
    # good at first, one point harsher on the last 20 controls: bias -1 (and deviation 1.0)
    drifted = good[:10] + [(max(r - 1, 0), r) for r in range(1, 4) for _ in range(7)][:20]
    res = detect_drift(controls=drifted)
    assert {r.code for r in res.reasons} == {"control_bias", "control_deviation"}
    assert res.control_bias == pytest.approx(-1.0)
    # too few controls: not judged
    few = detect_drift(controls=erratic[:5])
    assert not few.flagged and few.control_mad is None
    assert detect_drift(controls=erratic[:5], control_rule=ControlRule(min_n=5)).flagged


def test_drift_rule_needs_both_a_practical_and_a_significant_shift():
    base = [WindowSeverity(0, 0.0, 0.1, 300), WindowSeverity(1, 0.1, 0.1, 300)]
    assert not detect_drift(severities=[*base, WindowSeverity(2, 0.45, 0.02, 5000)]).flagged  # tiny SE, small shift
    assert not detect_drift(severities=[*base, WindowSeverity(2, 1.0, 0.5, 10)]).flagged  # large shift, too uncertain
    res = detect_drift(severities=[*base, WindowSeverity(2, -0.8, 0.1, 300)])  # more lenient also counts
    assert res.flagged and res.severity_shift == pytest.approx(-0.85) and res.shift_z < -2.58
    assert detect_drift(severities=base[:1]).severity_shift is None
