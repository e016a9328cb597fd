"""MML calibration: published LSAT-7 estimates, recovery with known truth, girth cross-check."""

from __future__ import annotations

import warnings
import zlib

import numpy as np
import pytest

from psychometrics.calibration import MMLCalibrator
from psychometrics.data import from_matrix
from psychometrics.synthetic import random_items, simulate_responses
from toetsbatterij.scoring import ItemParameters

# LSAT section 7 (Bock & Lieberman, 1970): five items, 1,000 examinees, as 32 response
# patterns (items 1..5) with their frequencies. Source: the `bock.table` data of the R
# package psych (column Ob7), the same table as `LSAT7` in the R package mirt.
LSAT7_PATTERNS = [
    ((0, 0, 0, 0, 0), 12), ((0, 0, 0, 0, 1), 19), ((0, 0, 0, 1, 0), 1), ((0, 0, 0, 1, 1), 7),
    ((0, 0, 1, 0, 0), 3), ((0, 0, 1, 0, 1), 19), ((0, 0, 1, 1, 0), 3), ((0, 0, 1, 1, 1), 17),
    ((0, 1, 0, 0, 0), 10), ((0, 1, 0, 0, 1), 5), ((0, 1, 0, 1, 0), 3), ((0, 1, 0, 1, 1), 7),
    ((0, 1, 1, 0, 0), 7), ((0, 1, 1, 0, 1), 23), ((0, 1, 1, 1, 0), 8), ((0, 1, 1, 1, 1), 28),
    ((1, 0, 0, 0, 0), 7), ((1, 0, 0, 0, 1), 39), ((1, 0, 0, 1, 0), 11), ((1, 0, 0, 1, 1), 34),
    ((1, 0, 1, 0, 0), 14), ((1, 0, 1, 0, 1), 51), ((1, 0, 1, 1, 0), 15), ((1, 0, 1, 1, 1), 90),
    ((1, 1, 0, 0, 0), 6), ((1, 1, 0, 0, 1), 25), ((1, 1, 0, 1, 0), 7), ((1, 1, 0, 1, 1), 35),
    ((1, 1, 1, 0, 0), 18), ((1, 1, 1, 0, 1), 136), ((1, 1, 1, 1, 0), 32), ((1, 1, 1, 1, 1), 308),
]

# Published 2PL MML estimates for LSAT7 from the R package mirt (its unit test
# tests/testthat/test-02-mirtOne (`confmirtOne`), `mirt(expand.table(LSAT7), 1)`), reported in
# slope-intercept form logit P = a1·θ + d with θ ~ N(0, 1) and D = 1. In our (a, b)
# metric: a = a1 and b = −d / a1.
LSAT7_A1 = np.array([0.9879, 1.0809, 1.7058, 0.7652, 0.7358])
LSAT7_D = np.array([1.8561, 0.8080, 1.8042, 0.4860, 1.8545])


def lsat7_matrix() -> np.ndarray:
    rows = [np.tile(pattern, (count, 1)) for pattern, count in LSAT7_PATTERNS]
    return np.vstack(rows)


def vec(cal, items, name):
    return np.array([cal.items_[i.item].values[name] for i in items])


def test_lsat7_table_is_the_published_one():
    x = lsat7_matrix()
    assert x.shape == (1000, 5)
    # classical p-values of LSAT-7 (Bock & Lieberman 1970): .828 .658 .772 .606 .843
    np.testing.assert_allclose(x.mean(axis=0), [0.828, 0.658, 0.772, 0.606, 0.843], atol=5e-4)


def test_lsat7_reproduces_published_2pl_estimates():
    cal = MMLCalibrator("2pl").fit(from_matrix(lsat7_matrix()))
    a = np.array([cal.items_[f"i{k:03d}"].values["a"] for k in range(1, 6)])
    b = np.array([cal.items_[f"i{k:03d}"].values["b"] for k in range(1, 6)])
    np.testing.assert_allclose(a, LSAT7_A1, atol=0.01)
    np.testing.assert_allclose(b, -LSAT7_D / LSAT7_A1, atol=0.01)
    assert cal.convergence_.converged
    # five 2PL items: 10 parameters, AIC/BIC by definition
    assert cal.n_params_ == 10
    assert cal.aic_ == pytest.approx(-2 * cal.loglik_ + 20)
    assert cal.bic_ == pytest.approx(-2 * cal.loglik_ + 10 * np.log(1000))
    se = np.array([cal.items_[f"i{k:03d}"].se["a"] for k in range(1, 6)])
    assert np.all((se > 0.08) & (se < 0.5))


RECOVERY = [
    # model, persons, items, missing share, tolerance on RMSE of a, tolerance on RMSE of b's
    ("1pl", 2000, 15, 0.0, 0.05, 0.12),
    ("1pl", 4000, 15, 0.7, 0.08, 0.2),
    ("2pl", 3000, 20, 0.0, 0.1, 0.12),
    ("2pl", 6000, 20, 0.7, 0.12, 0.15),
    ("gpcm", 2000, 10, 0.0, 0.1, 0.15),
    ("gpcm", 5000, 10, 0.7, 0.12, 0.2),
    ("grm", 2000, 10, 0.0, 0.1, 0.15),
    ("grm", 5000, 10, 0.7, 0.12, 0.2),
]


@pytest.mark.parametrize(("model", "n", "j", "missing", "tol_a", "tol_b"), RECOVERY)
def test_recovery_with_known_truth(model, n, j, missing, tol_a, tol_b):
    rng = np.random.default_rng(zlib.crc32(repr((model, n, j, missing)).encode()))
    items = random_items(rng, j, model, n_categories=4)
    data = simulate_responses(items, rng.normal(0, 1, n), rng, missing=missing)
    if missing:
        assert 0.6 < (data.scores < 0).mean() < 0.75
    cal = MMLCalibrator(model).fit(data)
    assert cal.convergence_.converged
    a_true, a_hat = vec_true(items, "a"), vec(cal, items, "a")
    assert np.sqrt(np.mean((a_hat - a_true) ** 2)) < tol_a
    bnames = [n for n in items[0].values if n.startswith("b")]
    b_true = np.concatenate([[it.values[k] for k in bnames] for it in items])
    b_hat = np.concatenate([[cal.items_[it.item].values[k] for k in bnames] for it in items])
    assert np.sqrt(np.mean((b_hat - b_true) ** 2)) < tol_b
    # the reported standard errors are honest: standardized errors have SD near 1
    se_b = np.concatenate([[cal.items_[it.item].se[k] for k in bnames] for it in items])
    z = (b_hat - b_true) / se_b
    assert 0.5 < np.std(z) < 1.6


def vec_true(items, name):
    return np.array([it.values[name] for it in items])


@pytest.mark.parametrize("missing", [0.0, 0.7])
def test_3pl_recovery_with_prior_on_c(missing):
    rng = np.random.default_rng(40)
    # sparse: 30 items, 70 % empty, so about nine responses per person (a CAT-like load)
    j, n = (12, 4000) if not missing else (30, 6000)
    items = random_items(rng, j, "3pl")
    data = simulate_responses(items, rng.normal(0, 1, n), rng, missing=missing)
    cal = MMLCalibrator("3pl").fit(data)
    b_hat, b_true = vec(cal, items, "b"), vec_true(items, "b")
    c_hat = vec(cal, items, "c")
    assert np.sqrt(np.mean((b_hat - b_true) ** 2)) < 0.3
    assert np.sqrt(np.mean((vec(cal, items, "a") - vec_true(items, "a")) ** 2)) < 0.3
    assert np.all((c_hat > 0.01) & (c_hat < 0.45))
    assert abs(np.mean(c_hat) - np.mean(vec_true(items, "c"))) < 0.06


def test_hundred_items_show_no_slope_bias_at_default_quadrature():
    rng = np.random.default_rng(100)
    items = random_items(rng, 100, "2pl")
    theta = rng.normal(0, 1, 3000)
    theta = (theta - theta.mean()) / theta.std()  # the scale is anchored at the sample: remove its noise
    data = simulate_responses(items, theta, rng)
    cal = MMLCalibrator("2pl").fit(data)
    bias_a = np.mean(vec(cal, items, "a") - vec_true(items, "a"))
    bias_b = np.mean(vec(cal, items, "b") - vec_true(items, "b"))
    assert abs(bias_a) < 0.02
    assert abs(bias_b) < 0.02


def test_mixed_bank_in_one_run():
    rng = np.random.default_rng(7)
    dich = random_items(rng, 8, "2pl", prefix="d")
    poly = random_items(rng, 4, "gpcm", n_categories=3, prefix="p")
    grm = random_items(rng, 3, "grm", n_categories=4, prefix="g")
    items = dich + poly + grm
    data = simulate_responses(items, rng.normal(0, 1, 3000), rng, missing=0.3)
    models = {it.item: it.model for it in poly + grm}
    cal = MMLCalibrator("2pl", item_models=models).fit(data)
    assert {cal.items_[it.item].model for it in items} == {"2pl", "gpcm", "grm"}
    for it in items:
        est = cal.items_[it.item].vector()
        assert np.max(np.abs(est - it.vector())) < 0.6, it.item
    assert cal.n_params_ == 8 * 2 + 4 * 3 + 3 * 4


def test_fixed_parameter_calibration_puts_new_items_on_the_operational_scale():
    rng = np.random.default_rng(11)
    operational = random_items(rng, 25, "2pl", prefix="op")
    pretest = random_items(rng, 6, "2pl", prefix="new")
    # the calibration sample is abler and more spread than the N(0,1) reference population
    theta = rng.normal(0.6, 1.25, 5000)
    data = simulate_responses(operational + pretest, theta, rng, missing=0.4)
    fixed = {it.item: it for it in operational}
    cal = MMLCalibrator("2pl").fit(data, fixed=fixed)
    assert cal.latent_mean_ == pytest.approx(0.6, abs=0.08)
    assert cal.latent_sd_ == pytest.approx(1.25, abs=0.08)
    b_hat, b_true = vec(cal, pretest, "b"), vec_true(pretest, "b")
    assert np.sqrt(np.mean((b_hat - b_true) ** 2)) < 0.15
    for it in operational:  # held fixed, no SE
        assert cal.items_[it.item].vector() == pytest.approx(it.vector())
        assert np.isnan(cal.items_[it.item].se["a"])
    # a free calibration would put the new items on the sample's own N(0,1) scale: off by ~0.6
    free = MMLCalibrator("2pl").fit(data)
    assert np.mean(vec(free, pretest, "b") - b_true) < -0.3


GIRTH = {"2pl": "twopl_mml", "grm": "grm_mml", "gpcm": "pcm_mml"}


@pytest.mark.parametrize("model", ["2pl", "grm", "gpcm"])
def test_agrees_with_girth_within_standard_errors(model):
    girth = pytest.importorskip("girth")
    rng = np.random.default_rng(55)
    items = random_items(rng, 8, model, n_categories=3)
    data = simulate_responses(items, rng.normal(0, 1, 1500), rng)
    cal = MMLCalibrator(model).fit(data)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # girth's own numpy deprecations are not ours
        ref = getattr(girth, GIRTH[model])(data.scores.T.astype(int),
                                           {"quadrature_n": 61, "quadrature_bounds": (-6, 6)})
    for k, it in enumerate(items):
        est = cal.items_[it.item]
        theirs = np.concatenate([[ref["Discrimination"][k]], np.atleast_1d(ref["Difficulty"][k])])
        ours = est.vector()
        se = np.array([est.se[n] for n in est.values])
        assert np.all(np.abs(ours - theirs) < se), (it.item, ours, theirs, se)


def test_input_errors_from_the_calibrator():
    from psychometrics.data import InputError

    x = np.array([[0, 1, 2], [1, 0, 1], [1, 1, 0]])
    with pytest.raises(InputError, match="dichotoom"):
        MMLCalibrator("2pl").fit(from_matrix(x))
    with pytest.raises(InputError, match="vaste model"):
        fixed = {"i003": ItemParameters.from_values("i003", "2pl", {"a": 1.0, "b": 0.0})}
        MMLCalibrator("gpcm").fit(from_matrix(x), fixed=fixed)
