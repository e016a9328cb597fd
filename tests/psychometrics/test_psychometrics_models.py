"""The calibration kernels and the platform's scoring core agree on every model.

Calibration (psychometrics.models) and scoring (toetsbatterij.scoring) evaluate the same
formulas in separate code; a parametrisation drift between them would put published
parameters on a different scale from the one the exam room scores on.
"""

from __future__ import annotations

import numpy as np
import pytest

from psychometrics.models import grad_loglik, information, log_probs, probs
from psychometrics.scoring_bridge import pool_from_params
from psychometrics.synthetic import random_items


@pytest.mark.parametrize("model", ["1pl", "2pl", "3pl", "gpcm", "grm"])
def test_same_probabilities_as_the_scoring_core(model, rng):
    from toetsbatterij.scoring import category_probabilities, item_information

    items = random_items(rng, 6, model, n_categories=4)
    pool = pool_from_params(items)
    theta = np.linspace(-4, 4, 17)
    theirs = category_probabilities(pool, theta)
    info_theirs = item_information(pool, theta)
    for k, it in enumerate(items):
        ours = probs(it.model, it.vector(), theta)
        np.testing.assert_allclose(ours, theirs[k, : ours.shape[0]], atol=1e-10)
        np.testing.assert_allclose(information(it.model, it.vector(), theta), info_theirs[k], rtol=1e-6, atol=1e-10)


@pytest.mark.parametrize("model", ["2pl", "3pl", "gpcm", "grm"])
def test_analytic_gradient_matches_finite_differences(model, rng):
    it = random_items(rng, 1, model, n_categories=4)[0]
    p = it.vector()
    theta = np.linspace(-4, 4, 21)
    counts = rng.random((log_probs(model, p, theta).shape[0], theta.size)) * 10

    def f(x):
        return float((counts * log_probs(model, x, theta)).sum())

    h = 1e-6
    numeric = np.array([(f(p + e) - f(p - e)) / (2 * h) for e in np.eye(p.size) * h])
    np.testing.assert_allclose(grad_loglik(model, p, counts, theta), numeric, rtol=1e-5, atol=1e-5)


def test_information_is_fisher_information(rng):
    """I(θ) = Σ_k (∂P_k/∂θ)² / P_k, checked numerically for every model."""
    theta = np.linspace(-3, 3, 13)
    h = 1e-5
    for model in ("2pl", "3pl", "gpcm", "grm"):
        it = random_items(rng, 1, model, n_categories=4)[0]
        p = probs(model, it.vector(), theta)
        dp = (probs(model, it.vector(), theta + h) - probs(model, it.vector(), theta - h)) / (2 * h)
        np.testing.assert_allclose(information(model, it.vector(), theta), (dp**2 / p).sum(0), rtol=1e-5)
