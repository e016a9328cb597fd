"""Classification accuracy and consistency at each cut (Rudner's method), pure.

Rudner (2001, 2005): an observed θ̂ of a candidate with true θ is taken as N(θ, SE(θ)²). Over a
population g(θ) (quadrature nodes with weights, or the candidates' own estimates with weight
1/N each: Rudner 2005), for a cut c:

- P(θ̂ ≥ c | θ) = Φ((θ − c) / SE(θ));
- **accuracy** = Σ_q w_q · [θ_q ≥ c ? P(θ̂ ≥ c | θ_q) : 1 − P(θ̂ ≥ c | θ_q)]: the share whose
  observed decision is the true one;
- **consistency** = Σ_q w_q · [P² + (1 − P)²]: the share with the same decision on two
  independent administrations;
- **false positive** (passes who should fail: θ < c, θ̂ ≥ c) and **false negative** shares, whose
  sum is 1 − accuracy: the expected share of wrong decisions at that cut;
- the **conditional accuracy curve** P(correct decision | θ) near each cut.

For the levels (all cuts together) the same with the band probabilities: level accuracy
Σ w_q P(true band | θ_q), level consistency Σ w_q Σ_k P(band k | θ_q)².

References
----------
- Rudner, L. M. (2001). Computing the expected proportions of misclassified examinees.
  Practical Assessment, Research & Evaluation, 7(14).
- Rudner, L. M. (2005). Expected classification accuracy. Practical Assessment, Research &
  Evaluation, 10(13).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .cefr import CutScores

__all__ = [
    "ClassificationQuality",
    "CutQuality",
    "full_length_information",
    "rudner",
    "rudner_from_estimates",
]

#: θ offsets from a cut at which the conditional accuracy curve is given.
CURVE_OFFSETS = tuple(round(x, 2) for x in np.linspace(-1.0, 1.0, 21))


def _ndtr(x: np.ndarray) -> np.ndarray:
    from scipy.special import ndtr

    return ndtr(x)


@dataclass(frozen=True)
class CutQuality:
    """Accuracy and consistency at one cut (the θ where ``level`` starts)."""

    level: str
    cut: float
    accuracy: float
    consistency: float
    false_positive: float  # θ below the cut, decided at or above it
    false_negative: float  # θ at or above the cut, decided below it
    curve: tuple[tuple[float, float], ...]  # (θ, P(correct decision | θ)) near the cut

    @property
    def wrong(self) -> float:
        """Expected share of wrong decisions at this cut."""
        return self.false_positive + self.false_negative

    def as_dict(self) -> dict:
        return {
            "level": self.level,
            "cut": float(self.cut),
            "accuracy": float(self.accuracy),
            "consistency": float(self.consistency),
            "false_positive": float(self.false_positive),
            "false_negative": float(self.false_negative),
            "wrong": float(self.wrong),
            "curve": [[float(t), float(p)] for t, p in self.curve],
        }


@dataclass(frozen=True)
class ClassificationQuality:
    """Rudner's figures for every cut of a skill, and for the levels together."""

    cuts: tuple[CutQuality, ...]
    level_accuracy: float
    level_consistency: float
    decisive: str | None = None

    def at(self, level: str) -> CutQuality:
        return next(c for c in self.cuts if c.level == level)

    @property
    def wrong_at_decisive(self) -> float | None:
        """Expected share of wrong decisions at the decisive cut (None without one)."""
        if self.decisive is None:
            return None
        return self.at(self.decisive).wrong

    def as_dict(self) -> dict:
        return {
            "method": "rudner",
            "cuts": [c.as_dict() for c in self.cuts],
            "level_accuracy": float(self.level_accuracy),
            "level_consistency": float(self.level_consistency),
            "decisive": self.decisive,
            "wrong_at_decisive": None
            if self.wrong_at_decisive is None
            else float(self.wrong_at_decisive),
        }


def rudner(
    cuts: CutScores,
    nodes: np.ndarray,
    weights: np.ndarray,
    se: np.ndarray,
    *,
    decisive: str | None = None,
    se_at=None,
) -> ClassificationQuality:
    """Rudner's accuracy and consistency of every cut of ``cuts``.

    Parameters
    ----------
    nodes, weights : (Q,) true θ values and their population weights (normalised here)
    se : (Q,) the standard error of θ̂ at each node (> 0)
    decisive : the level whose cut decides the purpose (for ``wrong_at_decisive``)
    se_at : callable θ (array) -> SE (array), optional: the SE curve for the conditional
        accuracy curves (default: ``se`` interpolated over ``nodes``)
    """
    nodes = np.asarray(nodes, dtype=float).reshape(-1)
    w = np.asarray(weights, dtype=float).reshape(-1)
    se = np.asarray(se, dtype=float).reshape(-1)
    if not (nodes.size == w.size == se.size) or nodes.size == 0:
        raise ValueError("nodes, weights and se need the same, non-zero length")
    if np.any(w < 0) or not w.sum() > 0:
        raise ValueError("weights must be non-negative and not all zero")
    if np.any(~np.isfinite(se)) or np.any(se <= 0):
        raise ValueError("every SE must be finite and positive")
    if decisive is not None and decisive not in cuts.levels:
        raise ValueError(f"{decisive!r} has no cut")
    w = w / w.sum()
    if se_at is None:
        order = np.argsort(nodes)
        sorted_nodes, sorted_se = nodes[order], se[order]

        def se_at(theta):
            return np.interp(theta, sorted_nodes, sorted_se)

    out = []
    for level, cut in zip(cuts.levels, cuts.cuts, strict=True):
        p_above = _ndtr((nodes - cut) / se)
        above = nodes >= cut
        fp = float(np.sum(w * np.where(above, 0.0, p_above)))
        fn = float(np.sum(w * np.where(above, 1.0 - p_above, 0.0)))
        consistency = float(np.sum(w * (p_above**2 + (1.0 - p_above) ** 2)))
        thetas = cut + np.asarray(CURVE_OFFSETS)
        p_c = _ndtr((thetas - cut) / np.asarray(se_at(thetas), dtype=float))
        correct = np.where(thetas >= cut, p_c, 1.0 - p_c)
        out.append(
            CutQuality(
                level=level,
                cut=float(cut),
                accuracy=1.0 - fp - fn,
                consistency=consistency,
                false_positive=fp,
                false_negative=fn,
                curve=tuple((float(t), float(p)) for t, p in zip(thetas, correct, strict=True)),
            )
        )
    # Band probabilities P(θ̂ in band k | θ_q), shape (Q, L + 1).
    cdf = _ndtr((cuts.cuts[None, :] - nodes[:, None]) / se[:, None])
    bands = np.diff(np.concatenate([np.zeros((nodes.size, 1)), cdf, np.ones((nodes.size, 1))], axis=1), axis=1)
    bands = np.clip(bands, 0.0, 1.0)
    true_band = np.searchsorted(cuts.cuts, nodes, side="right")
    level_acc = float(np.sum(w * bands[np.arange(nodes.size), true_band]))
    level_cons = float(np.sum(w * (bands**2).sum(axis=1)))
    return ClassificationQuality(tuple(out), level_acc, level_cons, decisive)


def rudner_from_estimates(
    cuts: CutScores, theta_hat: np.ndarray, se: np.ndarray, *, decisive: str | None = None
) -> ClassificationQuality:
    """Rudner (2005) from observed candidates: each θ̂ with its own SE, weight 1/N."""
    theta_hat = np.asarray(theta_hat, dtype=float).reshape(-1)
    se = np.asarray(se, dtype=float).reshape(-1)
    ok = np.isfinite(theta_hat) & np.isfinite(se) & (se > 0)
    if not ok.any():
        raise ValueError("no estimate with a finite, positive SE")
    th, s = theta_hat[ok], se[ok]
    # The curve near each cut: the SE of the candidates around θ, smoothed by θ bins.
    edges = np.linspace(th.min(), th.max(), 17) if th.size > 1 else np.array([th[0] - 1, th[0] + 1])
    centres, mean_se = [], []
    for lo, hi in zip(edges[:-1], edges[1:], strict=True):
        m = (th >= lo) & (th <= hi)
        if m.any():
            centres.append((lo + hi) / 2)
            mean_se.append(float(np.sqrt(np.mean(s[m] ** 2))))

    x, y = np.array(centres), np.array(mean_se)

    def se_at(theta):
        return np.interp(theta, x, y)

    return rudner(cuts, th, np.full(th.size, 1.0 / th.size), s, decisive=decisive, se_at=se_at)


def full_length_information(pool, nodes: np.ndarray, length: int) -> np.ndarray:
    """Fisher information at each node of the ``length`` items a test targeted at that θ could
    give: the most informative selectable units there (a testlet counts with all its selectable
    items) whose sizes add up to at most ``length``, shape (Q,). The information a
    full-length adaptive section reaches near a cut, where the classification rules let it
    run to its maximum; content rules, randomesque and exposure control can only lower it."""
    from .models import item_information

    nodes = np.asarray(nodes, dtype=float).reshape(-1)
    info = item_information(pool, nodes)  # (n, Q)
    info = np.where(pool.selectable[:, None], info, 0.0)
    n_units = len(pool.unit_members)
    if pool.has_testlets:
        unit_info = np.stack([np.bincount(pool.unit_of, weights=info[:, q], minlength=n_units)
                              for q in range(nodes.size)], axis=1)
        sizes = np.bincount(pool.unit_of, weights=pool.selectable.astype(float), minlength=n_units)
    else:
        unit_info, sizes = info, pool.selectable.astype(float)
    order = np.argsort(-unit_info, axis=0, kind="stable")
    taken = np.cumsum(sizes[order], axis=0) <= length
    return (np.take_along_axis(unit_info, order, axis=0) * taken).sum(axis=0)
