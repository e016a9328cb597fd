"""Quality checks (DOMAIN.md §7): classical statistics, item fit, local dependence, reliability.

Every check returns plain rows; :func:`flags` collects every flagged item with its reason in
Dutch, for the psychometrician's report.

References
----------
- Wright & Masters (1982) for infit/outfit mean squares;
- Orlando & Thissen (2000), Applied Psychological Measurement 24, 50-64, for S-X²
  (summed-score likelihoods by the Lord-Wingersky recursion);
- Yen (1984) for Q3, with the relative cut of Christensen, Makransky & Horton (2017):
  a pair is flagged when Q3 exceeds the mean Q3 by more than 0.2;
- Green et al. (1984) for marginal reliability.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass

import numpy as np
from scipy import stats

from toetsbatterij.scoring import ItemParameters

from .calibration import posterior
from .data import ResponseData
from .models import probs

TESTLET_ID = re.compile(r"^(?P<testlet>[A-Z]{1,2}-[A-Z]\d-T\d{3})-\d+$")

# Flag limits, kept together so the report can print them
P_MIN, P_MAX = 0.10, 0.95
ITEM_REST_MIN = 0.15
# Underfit (noise) above 1.3 as for high-stakes multiple choice (Wright & Linacre, 1994); the
# overfit side only below 0.5, because residuals at a shrunken EAP θ̂ on short or adaptive
# tests push mean squares of well-fitting 2PL items to 0.7-0.8
MSQ_LOW, MSQ_HIGH = 0.5, 1.3
SX2_ALPHA = 0.01
Q3_EXCESS = 0.2
DISTRACTOR_MIN_SHARE = 0.02


def parent_testlet(item: str) -> str | None:
    """The testlet id of a testlet member (``R-A2-T004-2`` → ``R-A2-T004``), else None."""
    m = TESTLET_ID.match(item)
    return m.group("testlet") if m else None


# ---------------------------------------------------------------------------- classical
@dataclass(frozen=True)
class ClassicalRow:
    item: str
    n: int
    p_value: float  # mean score / max score
    item_rest: float  # Pearson r of the item with the rest score (persons who saw the item)


def classical(data: ResponseData) -> tuple[list[ClassicalRow], float | None]:
    """Per item p-value and item-rest correlation; Cronbach's α when the data are complete.

    On adaptive (sparse) data the rest score mixes different item sets, so item-rest
    correlations are only indicative there.
    """
    x = data.scores.astype(float)
    obs = data.scores >= 0
    xz = np.where(obs, x, 0.0)
    total = xz.sum(axis=1)
    rows = []
    maxs = data.max_scores()
    for j, item in enumerate(data.items):
        who = obs[:, j]
        xi = x[who, j]
        rest = total[who] - xi
        r = float(np.corrcoef(xi, rest)[0, 1]) if xi.std() > 0 and rest.std() > 0 else float("nan")
        rows.append(ClassicalRow(item, int(who.sum()), float(xi.mean() / max(maxs[j], 1)), r))
    alpha = None
    if obs.all() and len(data.items) > 1:
        k = len(data.items)
        alpha = float(k / (k - 1) * (1 - x.var(axis=0, ddof=1).sum() / total.var(ddof=1)))
    return rows, alpha


@dataclass(frozen=True)
class DistractorRow:
    item: str
    option: str
    share: float  # share of the item's takers choosing the option
    mean_rest: float  # mean rest score of those who chose it
    point_biserial: float  # r of choosing the option with the rest score
    is_key: bool


def distractors(data: ResponseData, options: Mapping[tuple[str, str], str]) -> list[DistractorRow]:
    """Distractor analysis from the chosen option per (person, item).

    A distractor is suspect when chosen by fewer than 2 % (it does not distract) or when its
    point-biserial with the rest score is positive (able candidates are drawn to it).
    """
    person_idx = {p: n for n, p in enumerate(data.persons)}
    obs = data.scores >= 0
    total = np.where(obs, data.scores, 0).sum(axis=1).astype(float)
    rows = []
    for j, item in enumerate(data.items):
        chosen: dict[str, list[int]] = {}
        for (person, it), opt in options.items():
            if it == item and person in person_idx:
                chosen.setdefault(opt, []).append(person_idx[person])
        if not chosen:
            continue
        takers = np.flatnonzero(obs[:, j])
        rest = total[takers] - data.scores[takers, j]
        pos = {n: k for k, n in enumerate(takers)}
        # the key is the option whose choosers score 1 on the item
        for opt, persons in sorted(chosen.items()):
            sel = np.zeros(takers.size, dtype=bool)
            sel[[pos[n] for n in persons if n in pos]] = True
            is_key = bool(sel.any() and np.all(data.scores[takers[sel], j] > 0))
            r = float(np.corrcoef(sel.astype(float), rest)[0, 1]) if 0 < sel.sum() < sel.size and rest.std() > 0 \
                else float("nan")
            rows.append(DistractorRow(item, opt, float(sel.mean()), float(rest[sel].mean()) if sel.any()
                                      else float("nan"), r, is_key))
    return rows


# ---------------------------------------------------------------------------- model-based fit
def eap_scores(nodes: np.ndarray, post: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    mean = post @ nodes
    sd = np.sqrt(np.maximum(post @ nodes**2 - mean**2, 0.0))
    return mean, sd


@dataclass(frozen=True)
class FitRow:
    item: str
    n: int
    infit: float
    outfit: float
    sx2: float
    sx2_df: int
    sx2_p: float


def _expected_moments(p: ItemParameters, theta: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    pr = probs(p.model, p.vector(), theta)  # (K, N)
    k = np.arange(pr.shape[0])[:, None]
    e = (k * pr).sum(axis=0)
    v = ((k - e) ** 2 * pr).sum(axis=0)
    return e, v


def item_fit(data: ResponseData, params: Mapping[str, ItemParameters], nodes, post) -> list[FitRow]:
    """Infit/outfit mean squares at the EAP θ̂, and S-X² for complete data."""
    theta, _ = eap_scores(nodes, post)
    sx2 = summed_score_fit(data, params, nodes) if (data.scores >= 0).all() else {}
    rows = []
    for j, item in enumerate(data.items):
        who = data.scores[:, j] >= 0
        x = data.scores[who, j].astype(float)
        e, v = _expected_moments(params[item], theta[who])
        v = np.maximum(v, 1e-9)
        outfit = float(np.mean((x - e) ** 2 / v))
        infit = float(np.sum((x - e) ** 2) / np.sum(v))
        chi, df, pval = sx2.get(item, (float("nan"), 0, float("nan")))
        rows.append(FitRow(item, int(who.sum()), infit, outfit, chi, df, pval))
    return rows


def _lord_wingersky(cat_probs: list[np.ndarray]) -> np.ndarray:
    """Summed-score likelihoods L(s | θ_q), (S_max + 1, Q), Lord & Wingersky (1984)."""
    q = cat_probs[0].shape[1]
    dist = np.ones((1, q))
    for p in cat_probs:
        k = p.shape[0]
        new = np.zeros((dist.shape[0] + k - 1, q))
        for c in range(k):
            new[c:c + dist.shape[0]] += dist * p[c]
        dist = new
    return dist


def summed_score_fit(data: ResponseData, params: Mapping[str, ItemParameters], nodes: np.ndarray,
                     min_expected: float = 1.0) -> dict[str, tuple[float, int, float]]:
    """S-X² (Orlando & Thissen, 2000) per item for complete data.

    Adjacent summed-score groups are pooled from the ends inward until every expected count
    is at least ``min_expected``; df = (groups × (K − 1)) − number of item parameters.
    """
    weights = np.exp(-0.5 * nodes**2)
    weights /= weights.sum()
    items = list(data.items)
    cat = [probs(params[i].model, params[i].vector(), nodes) for i in items]
    full = _lord_wingersky(cat)  # (S+1, Q)
    total = data.scores.sum(axis=1)
    n_score = full.shape[0]
    marg = full @ weights  # P(S = s)
    out = {}
    for j, item in enumerate(items):
        rest = _lord_wingersky([c for k, c in enumerate(cat) if k != j])  # (S+1-(K-1), Q)
        k_cat = cat[j].shape[0]
        expected = np.zeros((n_score, k_cat))
        for c in range(k_cat):
            expected[c:c + rest.shape[0], c] = (rest * cat[j][c]) @ weights
        expected /= np.maximum(marg[:, None], 1e-300)  # P(X_j = c | S = s)
        n_s = np.bincount(total, minlength=n_score).astype(float)
        observed = np.zeros((n_score, k_cat))
        np.add.at(observed, (total, data.scores[:, j]), 1.0)
        exp_counts = expected * n_s[:, None]
        # drop the extreme scores (they carry no information on the item) and pool groups
        groups = _pool(exp_counts[1:-1], observed[1:-1], min_expected)
        if len(groups) < 2:
            continue
        e = np.array([g[0] for g in groups])
        o = np.array([g[1] for g in groups])
        chi = float(np.sum((o - e) ** 2 / np.maximum(e, 1e-9)))
        df = len(groups) * (k_cat - 1) - len(params[item].values)
        if df < 1:
            continue
        out[item] = (chi, df, float(stats.chi2.sf(chi, df)))
    return out


def _pool(e: np.ndarray, o: np.ndarray, min_expected: float):
    groups, acc_e, acc_o = [], np.zeros(e.shape[1]), np.zeros(e.shape[1])
    for s in range(e.shape[0]):
        acc_e = acc_e + e[s]
        acc_o = acc_o + o[s]
        if acc_e.min() >= min_expected:
            groups.append((acc_e, acc_o))
            acc_e, acc_o = np.zeros(e.shape[1]), np.zeros(e.shape[1])
    if acc_e.sum() > 0:
        if groups:
            le, lo = groups.pop()
            groups.append((le + acc_e, lo + acc_o))
        else:
            groups.append((acc_e, acc_o))
    return groups


# ---------------------------------------------------------------------------- local dependence
@dataclass(frozen=True)
class Q3Pair:
    item_a: str
    item_b: str
    n: int
    q3: float
    same_testlet: bool


def q3(data: ResponseData, params: Mapping[str, ItemParameters], nodes, post, min_pairs: int = 30) -> tuple[list[Q3Pair], float]:
    """Yen's Q3 for every pair seen together by at least ``min_pairs`` persons; returns (pairs, mean Q3)."""
    theta, _ = eap_scores(nodes, post)
    obs = data.scores >= 0
    resid = np.full(data.scores.shape, np.nan)
    for j, item in enumerate(data.items):
        who = obs[:, j]
        e, _ = _expected_moments(params[item], theta[who])
        resid[who, j] = data.scores[who, j] - e
    pairs = []
    items = data.items
    for a in range(len(items)):
        for b in range(a + 1, len(items)):
            both = obs[:, a] & obs[:, b]
            n = int(both.sum())
            if n < min_pairs:
                continue
            ra, rb = resid[both, a], resid[both, b]
            if ra.std() == 0 or rb.std() == 0:
                continue
            ta, tb = parent_testlet(items[a]), parent_testlet(items[b])
            pairs.append(Q3Pair(items[a], items[b], n, float(np.corrcoef(ra, rb)[0, 1]),
                                ta is not None and ta == tb))
    mean = float(np.mean([p.q3 for p in pairs])) if pairs else float("nan")
    return pairs, mean


# ---------------------------------------------------------------------------- reliability
def marginal_reliability(nodes, post, latent_var: float = 1.0) -> float:
    """1 − mean(SE²) / σ²_θ with EAP posterior SDs as SE (Green et al., 1984)."""
    _, sd = eap_scores(nodes, post)
    return float(1 - np.mean(sd**2) / latent_var)


def conditional_se(params: Mapping[str, ItemParameters], theta: np.ndarray) -> np.ndarray:
    """SE(θ) = 1/√I(θ) of the whole set of items (a fixed form of all of them)."""
    from .models import information

    info = sum(information(p.model, p.vector(), theta) for p in params.values())
    return 1 / np.sqrt(np.maximum(info, 1e-12))


# ---------------------------------------------------------------------------- flags
@dataclass(frozen=True)
class Flag:
    item: str
    check: str
    value: float
    reason: str


def flags(classical_rows, fit_rows, q3_pairs, q3_mean, distractor_rows=()) -> list[Flag]:
    """Every flagged item with its reason (Dutch)."""
    out: list[Flag] = []
    for r in classical_rows:
        if r.p_value < P_MIN:
            out.append(Flag(r.item, "p-waarde", r.p_value, f"zeer moeilijk: p = {r.p_value:.2f} < {P_MIN}"))
        if r.p_value > P_MAX:
            out.append(Flag(r.item, "p-waarde", r.p_value, f"zeer makkelijk: p = {r.p_value:.2f} > {P_MAX}"))
        if np.isfinite(r.item_rest) and r.item_rest < ITEM_REST_MIN:
            out.append(Flag(r.item, "item-restcorrelatie", r.item_rest,
                            f"lage item-restcorrelatie {r.item_rest:.2f} < {ITEM_REST_MIN}"))
    for r in fit_rows:
        for name, v in (("infit", r.infit), ("outfit", r.outfit)):
            if v < MSQ_LOW:
                out.append(Flag(r.item, name, v, f"{name} {v:.2f} < {MSQ_LOW}: overfit (te voorspelbaar)"))
            elif v > MSQ_HIGH:
                out.append(Flag(r.item, name, v, f"{name} {v:.2f} > {MSQ_HIGH}: underfit (ruis)"))
        if np.isfinite(r.sx2_p) and r.sx2_p < SX2_ALPHA:
            out.append(Flag(r.item, "S-X2", r.sx2, f"S-X² = {r.sx2:.1f} (df {r.sx2_df}), p = {r.sx2_p:.4f} < {SX2_ALPHA}"))
    for p in q3_pairs:
        if p.q3 - q3_mean > Q3_EXCESS:
            where = " (zelfde testlet: verwacht, beoordeel als eenheid)" if p.same_testlet else ""
            for item, other in ((p.item_a, p.item_b), (p.item_b, p.item_a)):
                out.append(Flag(item, "Q3", p.q3, f"lokale afhankelijkheid met {other}: Q3 = {p.q3:.2f}, "
                                f"gemiddelde {q3_mean:.2f}{where}"))
    for d in distractor_rows:
        if d.is_key:
            continue
        if d.share < DISTRACTOR_MIN_SHARE:
            out.append(Flag(d.item, "afleider", d.share, f"afleider {d.option} wordt door {d.share:.1%} gekozen"))
        if np.isfinite(d.point_biserial) and d.point_biserial > 0:
            out.append(Flag(d.item, "afleider", d.point_biserial,
                            f"afleider {d.option} trekt sterke kandidaten aan (r = {d.point_biserial:.2f})"))
    return out


def quality_report(data: ResponseData, params: Mapping[str, ItemParameters], options=None) -> dict:
    """Run every check; a dict of row lists plus reliability and the flag list."""
    nodes, post, _ = posterior(data, params)
    crow, alpha = classical(data)
    frow = item_fit(data, params, nodes, post)
    pairs, mean_q3 = q3(data, params, nodes, post)
    drows = distractors(data, options) if options else []
    return {
        "classical": crow, "alpha": alpha, "fit": frow, "q3": pairs, "q3_mean": mean_q3,
        "distractors": drows, "marginal_reliability": marginal_reliability(nodes, post),
        "flags": flags(crow, frow, pairs, mean_q3, drows), "nodes": nodes, "posterior": post,
    }
