"""Linking two calibrations through common items (Kolen & Brennan, 2014, ch. 6).

The new scale is mapped onto the reference scale by θ_ref = A·θ_new + B, so
a_ref = a_new / A, b_ref = A·b_new + B (thresholds alike), c unchanged.

- mean-sigma: A = σ(b_ref) / σ(b_new), B = μ(b_ref) − A·μ(b_new)  (Marco, 1977)
- mean-mean: A = μ(a_new) / μ(a_ref), B = μ(b_ref) − A·μ(b_new)  (Loyd & Hoover, 1980)
- Stocking-Lord: A, B minimise Σ_q w_q (TCC_ref(θ_q) − TCC_new→ref(θ_q))² over the common
  items, θ_q on a grid with N(0, 1) weights (Stocking & Lord, 1983); started at mean-sigma.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

import numpy as np
from scipy import optimize

from toetsbatterij.scoring import ItemParameters

from .data import InputError
from .models import expected_score

METHODS = ("mean-sigma", "mean-mean", "stocking-lord")


@dataclass(frozen=True)
class LinkResult:
    method: str
    A: float
    B: float
    common: tuple[str, ...]


def transform(p: ItemParameters, A: float, B: float) -> ItemParameters:
    """Parameters of ``p`` on the reference scale (θ_ref = A·θ + B), SEs scaled alike."""
    values, se = {}, {}
    for name, v in p.values.items():
        if name == "a":
            values[name] = v / A
        elif name == "c":
            values[name] = v
        else:  # b, b1..bk
            values[name] = A * v + B
    for name, s in p.se.items():
        se[name] = s / A if name == "a" else (s if name == "c" else s * A)
    return ItemParameters.from_values(p.item, p.model, values, se)


def _b_values(p: ItemParameters) -> list[float]:
    return [v for k, v in p.values.items() if k == "b" or (k.startswith("b") and k[1:].isdigit())]


def common_items(ref: Mapping[str, ItemParameters], new: Mapping[str, ItemParameters]) -> tuple[str, ...]:
    common = tuple(sorted(set(ref) & set(new)))
    for item in common:
        if ref[item].model != new[item].model or ref[item].n_categories != new[item].n_categories:
            raise InputError(None, None, f"anker {item!r} heeft een ander model in beide kalibraties "
                             f"({ref[item].model} en {new[item].model})")
    if len(common) < 2:
        raise InputError(None, None, f"te weinig gemeenschappelijke items om te linken ({len(common)}; minstens 2)")
    return common


def link(ref: Mapping[str, ItemParameters], new: Mapping[str, ItemParameters], method: str = "stocking-lord",
         *, grid: np.ndarray | None = None) -> LinkResult:
    """Linking constants (A, B) that put ``new`` on the scale of ``ref``."""
    if method not in METHODS:
        raise ValueError(f"unknown method {method!r}")
    common = common_items(ref, new)
    b_ref = np.concatenate([_b_values(ref[i]) for i in common])
    b_new = np.concatenate([_b_values(new[i]) for i in common])
    if method == "mean-mean":
        a_ref = np.array([ref[i].values["a"] for i in common])
        a_new = np.array([new[i].values["a"] for i in common])
        A = float(a_new.mean() / a_ref.mean())
    else:
        sd_new = b_new.std()
        if sd_new <= 0:
            raise InputError(None, None, "de ankers hebben allemaal dezelfde moeilijkheid; mean-sigma kan niet")
        A = float(b_ref.std() / sd_new)
    B = float(b_ref.mean() - A * b_new.mean())
    if method == "stocking-lord":
        A, B = _stocking_lord(ref, new, common, A, B, grid)
    return LinkResult(method, A, B, common)


def _stocking_lord(ref, new, common, A0, B0, grid):
    theta = np.linspace(-4, 4, 41) if grid is None else np.asarray(grid, dtype=float)
    w = np.exp(-0.5 * theta**2)
    w /= w.sum()
    tcc_ref = sum(expected_score(ref[i].model, ref[i].vector(), theta) for i in common)

    def loss(x):
        A, B = x
        if A <= 0:
            return 1e12
        tcc = sum(expected_score(new[i].model, transform(new[i], A, B).vector(), theta) for i in common)
        return float(np.sum(w * (tcc_ref - tcc) ** 2))

    res = optimize.minimize(loss, np.array([A0, B0]), method="Nelder-Mead",
                            options={"xatol": 1e-8, "fatol": 1e-14, "maxiter": 4000})
    return float(res.x[0]), float(res.x[1])


def apply_link(new: Mapping[str, ItemParameters], result: LinkResult) -> dict[str, ItemParameters]:
    """Every item of ``new`` transformed onto the reference scale."""
    return {k: transform(p, result.A, result.B) for k, p in new.items()}


def anchor_differences(ref: Mapping[str, ItemParameters], linked: Mapping[str, ItemParameters],
                       common: tuple[str, ...]) -> list[tuple[str, float]]:
    """Per anchor: largest |difference| of b/thresholds after linking (drift screening)."""
    out = []
    for item in common:
        d = np.abs(np.array(_b_values(ref[item])) - np.array(_b_values(linked[item])))
        out.append((item, float(d.max())))
    return out


__all__ = ["METHODS", "LinkResult", "anchor_differences", "apply_link", "common_items", "link",
           "transform"]
