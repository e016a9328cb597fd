"""Synthetic item banks and response data with known truth (recovery tests, benchmark)."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from toetsbatterij.scoring import ItemParameters

from .data import ResponseData, from_matrix
from .models import param_names, probs


def random_items(rng: np.random.Generator, n_items: int, model: str = "2pl", *,
                 n_categories: int = 3, prefix: str = "i") -> list[ItemParameters]:
    """Draw plausible true parameters: a ~ logN(0, 0.25), b ~ N(0, 1), c ~ Beta(5, 17)."""
    out = []
    for k in range(n_items):
        a = float(rng.lognormal(0.0, 0.25))
        if model in ("1pl", "2pl", "3pl"):
            vals = [1.0 if model == "1pl" else a, float(rng.normal(0, 1))]
            if model == "3pl":
                vals.append(float(rng.beta(5, 17)))
            cats = 2
        else:
            centre = float(rng.normal(0, 0.8))
            steps = np.sort(rng.normal(0, 1, n_categories - 1)) * 0.8
            steps = centre + steps - steps.mean()
            steps = np.maximum.accumulate(steps + np.arange(n_categories - 1) * 0.35)
            vals = [a] + steps.tolist()
            cats = n_categories
        names = param_names(model, cats)
        out.append(ItemParameters.from_values(f"{prefix}{k + 1:03d}", model, dict(zip(names, vals, strict=True))))
    return out


def simulate_responses(items: Sequence[ItemParameters], theta: np.ndarray, rng: np.random.Generator,
                       *, missing: float = 0.0) -> ResponseData:
    """Draw scores for persons at ``theta`` on ``items``; a share ``missing`` of cells left empty.

    Persons keep at least two responses and every item at least two scores so the
    result passes the input checks.
    """
    theta = np.asarray(theta, dtype=float)
    n, j = theta.size, len(items)
    scores = np.empty((n, j), dtype=np.int16)
    for k, it in enumerate(items):
        p = probs(it.model, it.vector(), theta)  # (K, N)
        cum = np.cumsum(p, axis=0)
        u = rng.random(n)
        scores[:, k] = (u[None, :] > cum[:-1]).sum(axis=0)
    if missing > 0:
        empty = rng.random((n, j)) < missing
        # persons left with fewer than two responses get two random cells back
        short = np.flatnonzero((~empty).sum(axis=1) < 2)
        keep = np.argsort(rng.random((short.size, j)), axis=1)[:, :2]
        empty[short[:, None], keep] = False
        scores = np.where(empty, -1, scores).astype(np.int16)
    return from_matrix(scores, items=[it.item for it in items])
