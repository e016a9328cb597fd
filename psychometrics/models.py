"""Item response models on a quadrature grid, vectorised for the EM calibration.

All models use the logistic metric with D = 1 (DOMAIN.md §5):

- ``1pl`` / ``2pl`` / ``3pl``: P(X=1|θ) = c + (1 − c) / (1 + exp(−a(θ − b)))
  (``1pl``: one discrimination shared by all 1PL items; ``2pl``: c = 0);
- ``gpcm``: P(X=k|θ) ∝ exp(Σ_{v≤k} a(θ − b_v)), Muraki (1992);
- ``grm``: P(X≥k|θ) = 1 / (1 + exp(−a(θ − b_k))), Samejima (1969).

The scoring core evaluates probabilities one candidate at a time; calibration
needs the log-probability of every category at every node for every item in
one array, so these kernels live here.
"""

from __future__ import annotations

import numpy as np
from scipy.special import expit, log_expit

from toetsbatterij.scoring.parameters import DICHOTOMOUS_MODELS as DICHOTOMOUS
from toetsbatterij.scoring.parameters import MODELS, param_names
from toetsbatterij.scoring.parameters import POLYTOMOUS_MODELS as POLYTOMOUS

__all__ = ["DICHOTOMOUS", "MODELS", "POLYTOMOUS", "expected_score", "grad_loglik",
           "information", "log_probs", "n_params", "param_names", "poly_batch", "probs"]

_FLOOR = 1e-300


def n_params(model: str, n_categories: int) -> int:
    """Number of natural parameters of one item (the shared 1PL slope counted once per item)."""
    if model in ("1pl", "2pl"):
        return 2
    if model == "3pl":
        return 3
    return 1 + (n_categories - 1)


def log_probs(model: str, params: np.ndarray, theta: np.ndarray) -> np.ndarray:
    """Log-probability of every category at every node.

    Parameters
    ----------
    model : one of :data:`MODELS`
    params : (p,) natural parameters, see :func:`param_names`
    theta : (Q,) nodes

    Returns
    -------
    (K, Q) array, K = number of categories (2 for dichotomous models).
    """
    a = params[0]
    if model in ("1pl", "2pl"):
        z = a * (theta - params[1])
        return np.vstack([log_expit(-z), log_expit(z)])
    if model == "3pl":
        c = params[2]
        p = c + (1.0 - c) * expit(a * (theta - params[1]))
        p = np.clip(p, 1e-15, 1 - 1e-15)
        return np.vstack([np.log1p(-p), np.log(p)])
    b = np.asarray(params[1:])
    if model == "gpcm":
        steps = a * (theta[None, :] - b[:, None])  # (m, Q)
        z = np.vstack([np.zeros_like(theta), np.cumsum(steps, axis=0)])
        return z - _lse0(z)
    if model == "grm":
        star = expit(a * (theta[None, :] - b[:, None]))  # P(X >= k), k = 1..m
        upper = np.vstack([np.ones_like(theta), star])
        lower = np.vstack([star, np.zeros_like(theta)])
        return np.log(np.clip(upper - lower, _FLOOR, None))
    raise ValueError(f"unknown model {model!r}")


def _lse0(z: np.ndarray) -> np.ndarray:
    # scipy.special.logsumexp carries array-API overhead that dominates the M-step
    m = z.max(axis=0, keepdims=True)
    return m + np.log(np.exp(z - m).sum(axis=0, keepdims=True))


def grad_loglik(model: str, params: np.ndarray, counts: np.ndarray, theta: np.ndarray) -> np.ndarray:
    """Gradient of Σ_k Σ_q counts[k, q] · log P_k(θ_q) with respect to the natural parameters.

    Parameters
    ----------
    counts : (K, Q) expected counts per category and node (the EM complete-data weights)

    Returns
    -------
    (p,) gradient, ordered as :func:`param_names`.
    """
    a = params[0]
    if model in ("1pl", "2pl", "3pl"):
        c = params[2] if model == "3pl" else 0.0
        s = expit(a * (theta - params[1]))
        p = np.clip(c + (1 - c) * s, 1e-15, 1 - 1e-15)
        w = counts[1] / p - counts[0] / (1 - p)
        ds = s * (1 - s) * (1 - c)
        g = [np.sum(w * ds * (theta - params[1])), -a * np.sum(w * ds)]
        if model == "3pl":
            g.append(np.sum(w * (1 - s)))
        return np.array(g)
    b = np.asarray(params[1:])
    if model == "gpcm":
        steps = theta[None, :] - b[:, None]
        zs = np.vstack([np.zeros_like(theta), np.cumsum(steps, axis=0)])  # z_k / a
        lp = a * zs - _lse0(a * zs)
        p = np.exp(lp)
        total = counts.sum(axis=0)
        ga = np.sum(counts * zs) - np.sum(total * (p * zs).sum(axis=0))
        ge = np.cumsum(p[::-1], axis=0)[::-1][1:]  # P(X >= v), v = 1..m
        rge = np.cumsum(counts[::-1], axis=0)[::-1][1:]
        gb = -a * (rge - total[None, :] * ge).sum(axis=1)
        return np.concatenate([[ga], gb])
    if model == "grm":
        star = expit(a * (theta[None, :] - b[:, None]))  # (m, Q)
        w = star * (1 - star)
        zeros = np.zeros_like(theta)[None, :]
        upper = np.vstack([np.ones_like(theta)[None, :], star])
        lower = np.vstack([star, zeros])
        p = np.clip(upper - lower, _FLOOR, None)
        ratio = counts / p  # (m+1, Q)
        gb = (a * w * (ratio[:-1] - ratio[1:])).sum(axis=1)
        dw = w * (theta[None, :] - b[:, None])  # d P*_v / d a
        dpa = np.vstack([zeros, dw]) - np.vstack([dw, zeros])
        ga = np.sum(ratio * dpa)
        return np.concatenate([[ga], gb])
    raise ValueError(f"unknown model {model!r}")


def probs(model: str, params: np.ndarray, theta: np.ndarray) -> np.ndarray:
    """Category probabilities, (K, Q); see :func:`log_probs`."""
    return np.exp(log_probs(model, params, np.atleast_1d(np.asarray(theta, dtype=float))))


def expected_score(model: str, params: np.ndarray, theta: np.ndarray) -> np.ndarray:
    """Expected item score E[X|θ] at each θ, (Q,)."""
    p = probs(model, params, theta)
    return np.arange(p.shape[0]) @ p


def information(model: str, params: np.ndarray, theta: np.ndarray) -> np.ndarray:
    """Fisher information of one item at each θ, (Q,) (DOMAIN.md §5)."""
    theta = np.atleast_1d(np.asarray(theta, dtype=float))
    a = params[0]
    if model in ("1pl", "2pl"):
        p = expit(a * (theta - params[1]))
        return a * a * p * (1 - p)
    if model == "3pl":
        c = params[2]
        p = c + (1 - c) * expit(a * (theta - params[1]))
        return a * a * (p - c) ** 2 * (1 - p) / ((1 - c) ** 2 * p)
    p = probs(model, params, theta)
    k = np.arange(p.shape[0])[:, None]
    if model == "gpcm":
        mean = (k * p).sum(axis=0)
        return a * a * ((k - mean) ** 2 * p).sum(axis=0)
    # GRM: I = Σ_k (P_k')² / P_k with P*_k' = a P*_k (1 − P*_k)
    b = np.asarray(params[1:])
    star = expit(a * (theta[None, :] - b[:, None]))
    dstar = a * star * (1 - star)
    zeros = np.zeros_like(theta)[None, :]
    dp = np.vstack([zeros, dstar]) - np.vstack([dstar, zeros])
    return (dp**2 / np.clip(p, _FLOOR, None)).sum(axis=0)


def poly_batch(model: str, a: np.ndarray, b: np.ndarray, theta: np.ndarray, with_derivatives: bool = True):
    """Log-probabilities and their parameter derivatives for G polytomous items with equal K.

    Parameters
    ----------
    a : (G,), b : (G, m) thresholds, theta : (Q,)

    Returns
    -------
    logp : (G, K, Q)
    dlogp : (G, K, Q, 1 + m), ∂ log P_k / ∂(a, b_1..b_m)   (None without derivatives)
    """
    g, m = b.shape
    k = m + 1
    if model == "gpcm":
        steps = theta[None, None, :] - b[:, :, None]  # (G, m, Q)
        zs = np.concatenate([np.zeros((g, 1, theta.size)), np.cumsum(steps, axis=1)], axis=1)  # z / a
        z = a[:, None, None] * zs
        mx = z.max(axis=1, keepdims=True)
        logp = z - (mx + np.log(np.exp(z - mx).sum(axis=1, keepdims=True)))
        if not with_derivatives:
            return logp, None
        dz = np.empty((g, k, theta.size, 1 + m))
        dz[..., 0] = zs
        tri = (np.arange(k)[:, None] >= np.arange(1, k)[None, :]).astype(float)  # (K, m): v <= k
        dz[..., 1:] = -a[:, None, None, None] * tri[None, :, None, :]
        p = np.exp(logp)
        mean = np.einsum("gkq,gkqp->gqp", p, dz)
        return logp, dz - mean[:, None, :, :]
    if model == "grm":
        star = expit(a[:, None, None] * (theta[None, None, :] - b[:, :, None]))  # (G, m, Q)
        ones = np.ones((g, 1, theta.size))
        zeros = np.zeros((g, 1, theta.size))
        p = np.clip(np.concatenate([ones, star], axis=1) - np.concatenate([star, zeros], axis=1), _FLOOR, None)
        logp = np.log(p)
        if not with_derivatives:
            return logp, None
        w = star * (1 - star)
        dstar = np.zeros((g, m, theta.size, 1 + m))
        dstar[..., 0] = (theta[None, None, :] - b[:, :, None]) * w
        idx = np.arange(m)
        dstar[:, idx, :, 1 + idx] = (-a[:, None, None] * w).transpose(1, 0, 2)
        zpad = np.zeros((g, 1, theta.size, 1 + m))
        dp = np.concatenate([zpad, dstar], axis=1) - np.concatenate([dstar, zpad], axis=1)
        return logp, dp / p[..., None]
    raise ValueError(f"not a polytomous model: {model!r}")
