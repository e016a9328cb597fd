"""Differential item functioning: Mantel-Haenszel with ETS classes, and logistic regression.

Mantel-Haenszel (Holland & Thayer, 1988) for dichotomous items: persons are matched on
the total score when every person took every item, otherwise (adaptive/sparse data) on
θ̂ (EAP) in quantile strata. α_MH = Σ_k (A_k D_k / N_k) / Σ_k (B_k C_k / N_k) with A/B the
reference right/wrong and C/D the focal right/wrong; Δ_MH = −2.35·ln α_MH (negative Δ:
the item is harder for the focal group). SE of ln α by Robins, Breslow & Greenland (1986);
MH χ² with continuity correction. ETS classes (Zwick, 2012): A when |Δ| < 1 or χ² not
significant at 5 %; C when |Δ| ≥ 1.5 and |Δ| is significantly above 1 (one-sided 5 %);
B otherwise.

Polytomous items: Mantel's (1963) χ² for ordered scores and the standardised mean difference
(SMD), ETS classes AA/BB/CC (Zwick, Thayer & Mazzeo, 1997).

Logistic regression (Swaminathan & Rogers, 1990; Zumbo, 1999): nested models
M0: logit P = β0 + β1·m, M1: + β2·g, M2: + β3·m·g with m the matching variable. LR χ²(2)
M2 vs M0 tests any DIF, M1 vs M0 uniform, M2 vs M1 non-uniform; the effect size is the
Nagelkerke ΔR² (M2 − M0), classed by Jodoin & Gierl (2001): A < 0.035 ≤ B < 0.070 ≤ C.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

import numpy as np
from scipy import stats

from .data import InputError, ResponseData

DELTA = -2.35


@dataclass(frozen=True)
class MHResult:
    item: str
    n_reference: int
    n_focal: int
    alpha_mh: float
    delta_mh: float
    se_delta: float
    chi2: float
    p_value: float
    ets_class: str


def _strata(data: ResponseData, theta: np.ndarray | None, n_strata: int) -> np.ndarray:
    if (data.scores >= 0).all():
        return data.scores.sum(axis=1).astype(np.int64)
    if theta is None:
        raise ValueError("sparse data need θ̂ for matching")
    edges = np.quantile(theta, np.linspace(0, 1, n_strata + 1)[1:-1])
    return np.searchsorted(edges, theta, side="right")


def mantel_haenszel(data: ResponseData, focal: np.ndarray, reference: np.ndarray, *,
                    theta: np.ndarray | None = None, n_strata: int = 10) -> list[MHResult]:
    """MH DIF per dichotomous item; ``focal``/``reference`` are boolean person masks."""
    strata = _strata(data, theta, n_strata)
    out = []
    for j, item in enumerate(data.items):
        x = data.scores[:, j]
        if x.max() > 1:
            continue  # MH here is for dichotomous items; polytomous items get logistic regression
        num = den = 0.0
        sum_a = sum_ea = sum_va = 0.0
        rbg_pr = rbg_ps_qr = rbg_qs = 0.0
        n_ref = n_foc = 0
        for k in np.unique(strata):
            s = (strata == k) & (x >= 0)
            r, f = s & reference, s & focal
            a = float(np.sum(x[r] == 1))
            b = float(np.sum(x[r] == 0))
            c = float(np.sum(x[f] == 1))
            d = float(np.sum(x[f] == 0))
            n = a + b + c + d
            n_ref += int(a + b)
            n_foc += int(c + d)
            if a + b == 0 or c + d == 0 or n < 2:
                continue
            num += a * d / n
            den += b * c / n
            m1, m0, nr, nf = a + c, b + d, a + b, c + d
            sum_a += a
            sum_ea += nr * m1 / n
            sum_va += nr * nf * m1 * m0 / (n * n * (n - 1))
            p, q = (a + d) / n, (b + c) / n
            rr, ss = a * d / n, b * c / n
            rbg_pr += p * rr
            rbg_ps_qr += p * ss + q * rr
            rbg_qs += q * ss
        if num == 0 or den == 0 or sum_va == 0:
            continue
        alpha = num / den
        delta = DELTA * np.log(alpha)
        var_ln = rbg_pr / (2 * num**2) + rbg_ps_qr / (2 * num * den) + rbg_qs / (2 * den**2)
        se_delta = 2.35 * np.sqrt(var_ln)
        chi2 = (abs(sum_a - sum_ea) - 0.5) ** 2 / sum_va
        pval = float(stats.chi2.sf(chi2, 1))
        out.append(MHResult(item, n_ref, n_foc, float(alpha), float(delta), float(se_delta), float(chi2),
                            pval, ets_class(delta, se_delta, pval)))
    return out


def ets_class(delta: float, se_delta: float, p_value: float, alpha: float = 0.05) -> str:
    """ETS A/B/C from Δ_MH, its SE and the MH χ² p-value."""
    if abs(delta) < 1 or p_value >= alpha:
        return "A"
    if abs(delta) >= 1.5 and (abs(delta) - 1) / se_delta > stats.norm.ppf(1 - alpha):
        return "C"
    return "B"


@dataclass(frozen=True)
class PolyDIFResult:
    item: str
    n_reference: int
    n_focal: int
    smd: float  # standardised mean difference, focal − reference (negative: harder for focal)
    effect: float  # |SMD| / SD of the item score in the total group
    chi2: float
    p_value: float
    ets_class: str  # AA / BB / CC


def mantel_polytomous(data: ResponseData, focal: np.ndarray, reference: np.ndarray, *,
                      theta: np.ndarray | None = None, n_strata: int = 10) -> list[PolyDIFResult]:
    """Polytomous items: Mantel (1963) χ² for ordered scores and the standardised mean difference.

    ETS classes (Zwick, Thayer & Mazzeo, 1997): AA when p ≥ .05 or |SMD|/SD ≤ .17; CC when
    p < .05 and |SMD|/SD > .25; BB otherwise.
    """
    strata = _strata(data, theta, n_strata)
    out = []
    for j, item in enumerate(data.items):
        x = data.scores[:, j]
        if x.max() <= 1:
            continue
        seen = x >= 0
        n_f_total = int((seen & focal).sum())
        if n_f_total == 0 or int((seen & reference).sum()) == 0:
            continue
        f_sum = e_sum = v_sum = smd = 0.0
        for k in np.unique(strata):
            s = (strata == k) & seen
            f, r = s & focal, s & reference
            nf, nr = int(f.sum()), int(r.sum())
            n = nf + nr
            if nf == 0 or nr == 0 or n < 2:
                continue
            y = x[s & (focal | reference)].astype(float)
            f_sum += float(x[f].sum())
            e_sum += nf / n * y.sum()
            v_sum += nr * nf / (n * n * (n - 1)) * (n * (y**2).sum() - y.sum() ** 2)
            smd += nf / n_f_total * (float(x[f].mean()) - float(x[r].mean()))
        if v_sum <= 0:
            continue
        chi2 = (f_sum - e_sum) ** 2 / v_sum
        pval = float(stats.chi2.sf(chi2, 1))
        sd = float(x[seen & (focal | reference)].std())
        effect = abs(smd) / sd if sd > 0 else float("nan")
        cls = "AA" if (pval >= 0.05 or effect <= 0.17) else ("CC" if effect > 0.25 else "BB")
        out.append(PolyDIFResult(item, int((seen & reference).sum()), n_f_total, float(smd), float(effect),
                                 float(chi2), pval, cls))
    return out


# ---------------------------------------------------------------------------- logistic regression
def _logit_fit(X: np.ndarray, y: np.ndarray, iters: int = 50) -> float:
    """Log-likelihood of a logistic regression by Newton-Raphson (small designs, no penalty)."""
    beta = np.zeros(X.shape[1])
    for _ in range(iters):
        z = X @ beta
        p = 1 / (1 + np.exp(-z))
        w = p * (1 - p)
        g = X.T @ (y - p)
        h = X.T @ (X * w[:, None]) + 1e-9 * np.eye(X.shape[1])
        step = np.linalg.solve(h, g)
        beta += step
        if np.max(np.abs(step)) < 1e-10:
            break
    z = X @ beta
    return float(np.sum(y * z - np.logaddexp(0, z)))


@dataclass(frozen=True)
class LRResult:
    item: str
    n: int
    chi2_any: float
    p_any: float
    chi2_uniform: float
    p_uniform: float
    chi2_nonuniform: float
    p_nonuniform: float
    delta_r2: float
    dif_class: str


def _nagelkerke(ll: float, ll_null: float, n: int) -> float:
    cox = 1 - np.exp(2 * (ll_null - ll) / n)
    return float(cox / (1 - np.exp(2 * ll_null / n)))


def logistic_dif(data: ResponseData, focal: np.ndarray, reference: np.ndarray, matching: np.ndarray) -> list[LRResult]:
    """Logistic-regression DIF per item (polytomous items dichotomised at their median score)."""
    out = []
    for j, item in enumerate(data.items):
        x = data.scores[:, j]
        who = (x >= 0) & (focal | reference)
        y = x[who].astype(float)
        if x.max() > 1:
            y = (y >= np.median(y)).astype(float) if np.median(y) > 0 else (y > 0).astype(float)
        if y.min() == y.max():
            continue
        m = matching[who]
        m = (m - m.mean()) / (m.std() or 1.0)
        g = focal[who].astype(float)
        n = int(who.sum())
        ones = np.ones(n)
        ll_null = _logit_fit(ones[:, None], y)
        ll0 = _logit_fit(np.column_stack([ones, m]), y)
        ll1 = _logit_fit(np.column_stack([ones, m, g]), y)
        ll2 = _logit_fit(np.column_stack([ones, m, g, m * g]), y)
        c_any, c_uni, c_non = 2 * (ll2 - ll0), 2 * (ll1 - ll0), 2 * (ll2 - ll1)
        dr2 = _nagelkerke(ll2, ll_null, n) - _nagelkerke(ll0, ll_null, n)
        p_any = float(stats.chi2.sf(c_any, 2))
        cls = "A" if (dr2 < 0.035 or p_any >= 0.05) else ("B" if dr2 < 0.070 else "C")
        out.append(LRResult(item, n, float(c_any), p_any, float(c_uni), float(stats.chi2.sf(c_uni, 1)),
                            float(c_non), float(stats.chi2.sf(c_non, 1)), float(dr2), cls))
    return out


def groups_from_covariates(data: ResponseData, covariates: Mapping[str, Mapping[str, str]], variable: str,
                           focal: str | None, reference: str | None, path=None):
    """Boolean masks (focal, reference) over ``data.persons`` from a covariates table."""
    values = np.array([covariates.get(p, {}).get(variable, "") for p in data.persons], dtype=object)
    present = sorted({v for v in values if v})
    if not present:
        raise InputError(path, None, f"geen waarden voor {variable!r} bij de personen uit de antwoorden")
    if focal is None or reference is None:
        if len(present) != 2:
            raise InputError(path, None, f"{variable!r} heeft {len(present)} groepen ({', '.join(present)}); "
                             "kies --focal en --reference")
        counts = {v: int(np.sum(values == v)) for v in present}
        reference = reference or max(present, key=lambda v: counts[v])
        focal = focal or next(v for v in present if v != reference)
    for name, v in (("focale", focal), ("referentie", reference)):
        if v not in present:
            raise InputError(path, None, f"{name} groep {v!r} komt niet voor in {variable!r} "
                             f"(wel: {', '.join(present)})")
    return values == focal, values == reference, focal, reference
