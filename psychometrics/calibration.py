"""Marginal maximum likelihood calibration (Bock & Aitkin, 1981) for a mixed bank.

One EM run estimates 1PL, 2PL, 3PL (Beta prior on c), GPCM and GRM items together,
on sparse data (unseen items drop out of the likelihood), optionally with some
items held at fixed parameters (fixed-parameter calibration of pretest items onto
the operational scale; the latent mean and SD are then estimated too).

Why an own EM rather than girth: girth 0.8's 3PL MML breaks on current numpy, it
has no fixed-parameter calibration and no mixed-model run, and its 2PL loop is an
order of magnitude slower than the vectorised E-step below (see ``bench/calibration``).
girth stays in the tests as an independent cross-check.

E-step cost is two matrix products per iteration over *non-zero* categories only:
``LL = Y⁺ · (log P_k − log P_0) + O · log P_0`` with ``Y⁺`` the indicators of
scores ≥ 1 and ``O`` the observed mask (skipped for complete data), sparse (CSR)
when most cells are empty. Standard errors come from the cross-product of the
per-person score vectors at the optimum (XPD / empirical information, as in
mirt's ``SE.type = "crossprod"``), plus the prior curvature for c; 2PL items in closed form.

The EM map is accelerated with SQUAREM (Varadhan & Roland, 2008), which keeps the EM fixed
point and its monotone safeguard but needs 3-4 times fewer E-steps. M-steps: vectorised
Newton-Raphson for 1PL/2PL items, one L-BFGS-B problem for all 3PL items (solved tightly so
the accelerated map stays smooth), and vectorised Fisher scoring with step halving for each
(polytomous model, number of categories) group. E-step products run in float32; the reported log-likelihood, posterior and
standard errors come from a final float64 E-step.

References: Bock, R. D., & Aitkin, M. (1981). Psychometrika 46, 443-459;
Muraki (1992) for the GPCM; Samejima (1969) for the GRM; Mislevy (1986) for priors.
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field

import numpy as np
from scipy import optimize, sparse
from scipy.linalg import blas
from scipy.special import expit, log_expit, logit

from toetsbatterij.scoring import ItemParameters

from .data import InputError, ResponseData
from .models import DICHOTOMOUS, MODELS, log_probs, param_names, poly_batch

ProgressFn = Callable[[int, int, float, float], None]
"""progress(iteration, max_iter, loglik, max_change)"""


@dataclass
class ConvergenceReport:
    converged: bool
    n_iter: int
    max_change: float
    tol: float
    seconds: float
    loglik_trace: list[float] = field(default_factory=list)

    def describe(self) -> str:
        state = "geconvergeerd" if self.converged else "NIET geconvergeerd"
        return (f"{state} na {self.n_iter} EM-iteraties (grootste parameterwijziging "
                f"{self.max_change:.2e}, tolerantie {self.tol:.0e}, {self.seconds:.2f} s)")


def normal_log_weights(nodes: np.ndarray, mean: float = 0.0, sd: float = 1.0) -> np.ndarray:
    """Log quadrature weights of N(mean, sd²) on equally spaced nodes (normalised)."""
    lw = -0.5 * ((nodes - mean) / sd) ** 2
    return lw - np.logaddexp.reduce(lw)


class MMLCalibrator:
    """EM calibration of a mixed item bank (scikit-learn style: ``fit`` returns self).

    Parameters
    ----------
    model : default model for every item ("1pl", "2pl", "3pl", "gpcm", "grm")
    item_models : item → model overrides (a mixed bank)
    n_quad : number of equally spaced quadrature nodes on [−theta_bound, theta_bound];
        61 nodes keep a 100-item recovery free of slope bias (21 do not)
    max_iter, tol : EM stops when no parameter moves more than ``tol``
    c_prior : Beta(α, β) prior on the 3PL lower asymptote (default mean 0.2)
    estimate_latent : estimate the latent mean and SD; default only when items are fixed
    standard_errors : compute SEs (XPD) after convergence
    accelerate : SQUAREM acceleration of the EM steps (same fixed point, fewer E-steps)
    progress : optional callback ``progress(e_step, max_iter, loglik, nan)``

    Fitted attributes
    -----------------
    items_ : dict item → :class:`ItemParameters` (with ``se``)
    loglik_, aic_, bic_, n_params_, n_persons_, n_obs_per_item_
    latent_mean_, latent_sd_, convergence_ (:class:`ConvergenceReport`)
    """

    def __init__(self, model: str = "2pl", *, item_models: Mapping[str, str] | None = None,
                 n_quad: int = 61, theta_bound: float = 6.0, max_iter: int = 500,
                 tol: float = 1e-4, c_prior: tuple[float, float] = (5.0, 17.0),
                 estimate_latent: bool | None = None, standard_errors: bool = True,
                 accelerate: bool = True, progress: ProgressFn | None = None):
        if model not in MODELS:
            raise ValueError(f"unknown model {model!r}")
        self.model = model
        self.item_models = dict(item_models or {})
        self.n_quad = n_quad
        self.theta_bound = theta_bound
        self.max_iter = max_iter
        self.tol = tol
        self.c_prior = c_prior
        self.estimate_latent = estimate_latent
        self.standard_errors = standard_errors
        self.progress = progress
        self.accelerate = accelerate
        self.sparse_below = 0.5

    # ------------------------------------------------------------------ setup
    def _setup(self, data: ResponseData, fixed: Mapping[str, ItemParameters]):
        scores = data.scores
        n, j = scores.shape
        maxs = data.max_scores()
        models, ncat = [], []
        for idx, item in enumerate(data.items):
            row = data.first_row.get(item)
            if item in fixed:
                m = fixed[item].model
                k = fixed[item].n_categories
                if maxs[idx] > k - 1:
                    raise InputError(data.path, row, f"item {item!r} heeft score {maxs[idx]}, "
                                     f"maar het vaste model {m} kent maar 0..{k - 1}")
            else:
                m = self.item_models.get(item, self.model)
                if m in DICHOTOMOUS:
                    if maxs[idx] > 1:
                        raise InputError(data.path, row, f"item {item!r} heeft scores tot {maxs[idx]}, "
                                         f"maar model {m} is dichotoom (0/1); geef een polytoom model op")
                    k = 2
                else:
                    k = int(maxs[idx]) + 1
                    if k < 2:
                        raise InputError(data.path, row, f"item {item!r} heeft geen variantie")
                    present = np.unique(scores[:, idx][scores[:, idx] >= 0])
                    if present.size < k:
                        gap = sorted(set(range(k)) - set(present.tolist()))
                        raise InputError(data.path, row, f"item {item!r}: scorecategorie(ën) "
                                         f"{gap} komen niet voor; voeg categorieën samen")
            models.append(m)
            ncat.append(k)
        self._models = models
        self._ncat = np.array(ncat)
        self._fixed_mask = np.array([it in fixed for it in data.items])
        obs = scores >= 0
        self._complete = bool(obs.all())
        # columns for categories k >= 1, grouped by item
        self._col_start = np.concatenate([[0], np.cumsum(self._ncat - 1)])
        rows, cols = np.nonzero(obs & (scores >= 1))
        ccols = self._col_start[cols] + scores[rows, cols] - 1
        c_total = int(self._col_start[-1])
        density = float(obs.mean())
        self._density = density
        use_sparse = density < self.sparse_below
        f32 = np.float32
        ymat = sparse.csr_matrix((np.ones(rows.size, dtype=f32), (rows, ccols)), shape=(n, c_total))
        self._S = None
        if use_sparse:
            # one CSR entry per observed response, in a column per (item, category): the
            # log-likelihood is S·logP and the expected counts Sᵀ·posterior, one product each
            # way over the observed cells only
            self._full_start = np.concatenate([[0], np.cumsum(self._ncat)])
            orow, ocol = np.nonzero(obs)
            fcols = self._full_start[ocol] + scores[orow, ocol]
            smat = sparse.csr_matrix((np.ones(orow.size, dtype=f32), (orow, fcols)),
                                     shape=(n, int(self._full_start[-1])))
            self._S, self._St = smat, smat.T.tocsr()
            is_zero = np.zeros(int(self._full_start[-1]), dtype=bool)
            is_zero[self._full_start[:-1]] = True
            self._zero_rows = np.flatnonzero(is_zero)
            self._pos_rows = np.flatnonzero(~is_zero)
            self._Y = ymat  # kept for the exact final E-step and the standard errors
            self._Yt = None
            self._O = None if self._complete else sparse.csr_matrix(obs.astype(f32))
            self._Ot = None
        else:
            self._Y = ymat.toarray()
            self._Yt = None
            self._O = None if self._complete else obs.astype(f32)
            self._Ot = None
        self._col_item = np.repeat(np.arange(j), self._ncat - 1)
        self.n_obs_per_item_ = obs.sum(axis=0)

    def _initial(self, data: ResponseData, fixed: Mapping[str, ItemParameters]) -> list[np.ndarray]:
        params = []
        for idx, item in enumerate(data.items):
            if item in fixed:
                params.append(fixed[item].vector().astype(float))
                continue
            col = data.scores[:, idx]
            col = col[col >= 0]
            m, k = self._models[idx], self._ncat[idx]
            if m in DICHOTOMOUS:
                p = np.clip(col.mean(), 0.02, 0.98)
                b = -logit(p) * 1.3
                params.append(np.array([1.0, b] + ([0.2] if m == "3pl" else [])))
            else:
                ge = np.array([(col >= s).mean() for s in range(1, k)])
                b = -logit(np.clip(ge, 0.02, 0.98)) * 1.3
                b = np.maximum.accumulate(b + np.arange(k - 1) * 1e-3)
                params.append(np.concatenate([[1.0], b]))
        return params

    # ------------------------------------------------------------------ E-step
    def _log_tables(self, params: list[np.ndarray]):
        j = len(params)
        l0 = np.empty((j, self.n_quad))
        ldiff = np.empty((int(self._col_start[-1]), self.n_quad))
        nodes = self.nodes_
        # vectorised path for the (many) 1PL/2PL items
        d2 = self._two_idx
        if d2.size:
            a = np.array([params[i][0] for i in d2])
            b = np.array([params[i][1] for i in d2])
            z = a[:, None] * (nodes[None, :] - b[:, None])
            l0[d2] = log_expit(-z)
            ldiff[self._col_start[d2]] = z
        for i in self._other_idx:
            lp = log_probs(self._models[i], params[i], nodes)
            l0[i] = lp[0]
            ldiff[self._col_start[i]:self._col_start[i + 1]] = lp[1:] - lp[0]
        return l0, ldiff

    def _estep(self, params, logw, exact=False):
        """Posterior over the nodes per person, and the marginal log-likelihood.

        Iterations run in float32 (the 0/1 design matrices are exact in it and the BLAS/CSR
        products run about twice as fast); the final E-step, whose log-likelihood and
        posterior are reported and feed the standard errors, runs in float64.
        """
        dt = np.float64 if exact else np.float32
        l0, ldiff = self._log_tables(params)
        if self._S is not None and not exact:
            lp_all = np.empty((self._S.shape[1], self.n_quad), dtype=dt)
            lp_all[self._zero_rows] = l0
            lp_all[self._pos_rows] = l0[self._col_item] + ldiff
            ll = np.asarray(self._S @ lp_all)
            ll += logw.astype(dt)[None, :]
            mx = ll.max(axis=1, keepdims=True)
            post = np.exp(ll - mx)
            s = post.sum(axis=1, keepdims=True)
            loglik = float((mx.astype(np.float64) + np.log(s.astype(np.float64))).sum())
            post /= s
            return post, loglik
        ymat = self._Y.astype(dt) if exact else self._Y
        ll = np.asarray(ymat @ ldiff.astype(dt))
        if self._complete:
            ll += l0.sum(axis=0).astype(dt)[None, :]
        else:
            omat = self._O.astype(dt) if exact else self._O
            ll += np.asarray(omat @ l0.astype(dt))
        ll += logw.astype(dt)[None, :]
        mx = ll.max(axis=1, keepdims=True)
        post = np.exp(ll - mx)
        s = post.sum(axis=1, keepdims=True)
        loglik = float((mx.astype(np.float64) + np.log(s.astype(np.float64))).sum())
        post /= s
        return post, loglik

    def _counts(self, post):
        """Expected counts per item: list of (K_j, Q) arrays."""
        if self._S is not None:
            full = np.asarray(self._St @ post.astype(np.float32, copy=False), dtype=np.float64)
            return full[self._zero_rows], full[self._pos_rows]
        rpos = np.asarray(self._Yt @ post) if self._Yt is not None else self._Y.T @ post
        rpos = rpos.astype(np.float64)
        if self._complete:
            robs = np.broadcast_to(post.sum(axis=0, dtype=np.float64), (len(self._models), self.n_quad))
        elif self._Ot is not None:
            robs = np.asarray(self._Ot @ post, dtype=np.float64)
        else:
            robs = (self._O.T @ post).astype(np.float64)
        sums = np.add.reduceat(rpos, self._col_start[:-1], axis=0) if rpos.shape[0] else rpos
        r0 = robs - sums
        return r0, rpos

    # ------------------------------------------------------------------ M-step
    def _mstep_two(self, params, r0, rpos, newton_steps=2):
        nodes = self.nodes_
        idx2 = self._idx_2pl
        if idx2.size:
            a = np.array([params[i][0] for i in idx2])
            d = -a * np.array([params[i][1] for i in idx2])
            r1 = rpos[self._col_start[idx2]]
            nn = r1 + r0[idx2]
            for _ in range(newton_steps):
                z = a[:, None] * nodes[None, :] + d[:, None]
                p = expit(z)
                res = r1 - nn * p
                w = nn * p * (1 - p)
                ga, gd = (res * nodes).sum(1), res.sum(1)
                haa, had, hdd = (w * nodes**2).sum(1), (w * nodes).sum(1), w.sum(1)
                det = np.maximum(haa * hdd - had**2, 1e-12)
                da = (hdd * ga - had * gd) / det
                dd = (haa * gd - had * ga) / det
                a = np.clip(a + np.clip(da, -1, 1), 0.02, 8.0)
                d = np.clip(d + np.clip(dd, -2, 2), -40, 40)
            for k, i in enumerate(idx2):
                params[i] = np.array([a[k], -d[k] / a[k]])
        idx1 = self._idx_1pl
        if idx1.size:
            a = params[idx1[0]][0]
            d = -a * np.array([params[i][1] for i in idx1])
            r1 = rpos[self._col_start[idx1]]
            nn = r1 + r0[idx1]
            for _ in range(newton_steps):
                z = a * nodes[None, :] + d[:, None]
                p = expit(z)
                w = nn * p * (1 - p)
                d = d + np.clip((r1 - nn * p).sum(1) / np.maximum(w.sum(1), 1e-12), -2, 2)
                p = expit(a * nodes[None, :] + d[:, None])
                w = nn * p * (1 - p)
                ga = ((r1 - nn * p) * nodes).sum()
                haa = (w * nodes**2).sum()
                a = float(np.clip(a + np.clip(ga / max(haa, 1e-12), -1, 1), 0.02, 8.0))
            for k, i in enumerate(idx1):
                params[i] = np.array([a, -d[k] / a])

    def _to_x(self, model, p):
        if model == "3pl":
            return np.array([math.log(p[0]), p[1], logit(np.clip(p[2], 1e-4, 0.6))])
        if model == "grm":
            return np.concatenate([[math.log(p[0]), p[1]], np.log(np.maximum(np.diff(p[1:]), 1e-4))])
        return np.concatenate([[math.log(p[0])], p[1:]])

    def _from_x(self, model, x):
        if model == "3pl":
            return np.array([math.exp(x[0]), x[1], expit(x[2])])
        if model == "grm":
            return np.concatenate([[math.exp(x[0])], x[1] + np.concatenate([[0.0], np.cumsum(np.exp(x[2:]))])])
        return np.concatenate([[math.exp(x[0])], x[1:]])

    def _mstep_3pl(self, params, r0, rpos, idx):
        """All free 3PL items in one L-BFGS-B problem (separable, vectorised over items).

        x = (log a, b, logit c) per item; objective −Σ counts·log P − log Beta(c).
        """
        nodes = self.nodes_
        al, be = self.c_prior
        r1 = rpos[self._col_start[idx]]
        rr0 = r0[idx]
        g = idx.size

        def objective(x):
            x = x.reshape(g, 3)
            a, b, c = np.exp(x[:, 0]), x[:, 1], expit(x[:, 2])
            s = expit(a[:, None] * (nodes[None, :] - b[:, None]))
            p = np.clip(c[:, None] + (1 - c[:, None]) * s, 1e-15, 1 - 1e-15)
            f = -(r1 * np.log(p) + rr0 * np.log1p(-p)).sum() \
                - ((al - 1) * np.log(c) + (be - 1) * np.log1p(-c)).sum()
            w = r1 / p - rr0 / (1 - p)
            ds = s * (1 - s) * (1 - c[:, None])
            ga = (w * ds * (nodes[None, :] - b[:, None])).sum(1)
            gb = -a * (w * ds).sum(1)
            gc = (w * (1 - s)).sum(1) + (al - 1) / c - (be - 1) / (1 - c)
            grad = -np.column_stack([ga * a, gb, gc * c * (1 - c)])
            return float(f), grad.ravel()

        x0 = np.concatenate([self._to_x("3pl", params[i]) for i in idx])
        bounds = [(math.log(0.02), math.log(8.0)), (None, None), (None, None)] * g
        res = optimize.minimize(objective, x0, jac=True, method="L-BFGS-B", bounds=bounds,
                                options={"maxiter": 200, "ftol": 1e-13, "gtol": 1e-7})
        for k, i in enumerate(idx):
            params[i] = self._from_x("3pl", res.x[3 * k:3 * k + 3])

    def _mstep_other(self, params, r0, rpos):
        idx3 = np.array([i for i in self._other_idx if self._models[i] == "3pl" and not self._fixed_mask[i]],
                        dtype=np.int64)
        if idx3.size:
            self._mstep_3pl(params, r0, rpos, idx3)
        # polytomous items: one L-BFGS-B problem per (model, categories) group; the objective is
        # separable, and one solver call per group avoids the per-call cost of the solver
        groups: dict[tuple[str, int], list[int]] = {}
        for i in self._other_idx:
            if not self._fixed_mask[i] and self._models[i] != "3pl":
                groups.setdefault((self._models[i], int(self._ncat[i])), []).append(int(i))
        for (model, _k), members in groups.items():
            self._mstep_poly(params, r0, rpos, model, np.array(members))

    def _mstep_poly(self, params, r0, rpos, model, members, steps=3):
        """Fisher scoring for a group of GPCM or GRM items with the same number of categories.

        All items of the group move at once: per item the score g = Σ r_kq ∂logP_k and the
        expected information I = Σ_q n_q Σ_k P_k ∂logP_k ∂logP_kᵀ (Bock & Aitkin's M-step),
        then step halving per item until the expected complete-data log-likelihood does not
        drop (and GRM thresholds stay ordered).
        """
        nodes = self.nodes_
        counts = np.stack([np.vstack([r0[i][None, :], rpos[self._col_start[i]:self._col_start[i + 1]]])
                           for i in members])  # (G, K, Q)
        total = counts.sum(axis=1)  # (G, Q)
        cur = np.stack([params[i] for i in members])  # (G, 1 + m)

        def value(x):
            lp, _ = poly_batch(model, x[:, 0], x[:, 1:], nodes, with_derivatives=False)
            return (counts * lp).sum(axis=(1, 2))

        f_cur = value(cur)
        for _ in range(steps):
            lp, dl = poly_batch(model, cur[:, 0], cur[:, 1:], nodes)
            pr = np.exp(lp)
            grad = np.einsum("gkq,gkqp->gp", counts, dl)
            info = np.einsum("gq,gkq,gkqp,gkqr->gpr", total, pr, dl, dl)
            info += 1e-8 * np.eye(info.shape[1])[None]
            delta = np.linalg.solve(info, grad[..., None])[..., 0]
            scale = np.maximum(1.0, np.abs(delta).max(axis=1) / 1.0)  # at most 1 logit per step
            delta /= scale[:, None]
            accept = np.zeros(len(members), dtype=bool)
            new = cur.copy()
            for _halving in range(8):
                trial = cur + delta
                trial[:, 0] = np.clip(trial[:, 0], 0.02, 8.0)
                ok = value(trial) >= f_cur - 1e-9
                if model == "grm":
                    ok &= np.all(np.diff(trial[:, 1:], axis=1) > 1e-4, axis=1)
                take = ok & ~accept
                new[take] = trial[take]
                accept |= ok
                if accept.all():
                    break
                delta[~accept] *= 0.5
            cur = new
            f_cur = value(cur)
        for k, i in enumerate(members):
            params[i] = cur[k].copy()

    # ------------------------------------------------------------------ fit
    def fit(self, data: ResponseData, fixed: Mapping[str, ItemParameters] | None = None) -> MMLCalibrator:
        start = time.perf_counter()
        fixed = {k: v for k, v in (fixed or {}).items() if k in data.items}
        self._setup(data, fixed)
        self.nodes_ = np.linspace(-self.theta_bound, self.theta_bound, self.n_quad)
        free = ~self._fixed_mask
        models = np.array(self._models)
        two = np.isin(models, ["1pl", "2pl"])
        self._two_idx = np.flatnonzero(two)
        self._other_idx = np.flatnonzero(~two)
        self._idx_2pl = np.flatnonzero((models == "2pl") & free)
        self._idx_1pl = np.flatnonzero((models == "1pl") & free)
        est_latent = self.estimate_latent if self.estimate_latent is not None else bool(fixed)
        if est_latent and not fixed:
            raise ValueError("the latent mean/SD can only be estimated when some items are fixed")
        params = self._initial(data, fixed)
        free_idx = np.flatnonzero(free)
        nodes = self.nodes_
        trace: list[float] = []

        def em_map(state):
            """One EM step: E-step at ``state``, latent moments, M-step. Returns (new state, loglik)."""
            p_in, mu, sigma = state
            post, ll = self._estep(p_in, normal_log_weights(nodes, mu, sigma))
            r0, rpos = self._counts(post)
            out = [p.copy() for p in p_in]
            if est_latent:
                pm = post @ nodes
                pv = post @ nodes**2 - pm**2
                mu = float(pm.mean())
                sigma = float(math.sqrt(max(pv.mean() + pm.var(), 1e-4)))
            self._mstep_two(out, r0, rpos)
            self._mstep_other(out, r0, rpos)
            trace.append(ll)
            if self.progress is not None:
                self.progress(len(trace), self.max_iter, ll, float("nan"))
            return (out, mu, sigma), ll

        def change(s1, s0) -> float:
            ch = max((float(np.max(np.abs(s1[0][i] - s0[0][i]))) for i in free_idx), default=0.0)
            return max(ch, abs(s1[1] - s0[1]), abs(s1[2] - s0[2]))

        def encode(state) -> np.ndarray:
            parts = [self._to_x(self._models[i], state[0][i]) for i in free_idx]
            if est_latent:
                parts.append(np.array([state[1], math.log(state[2])]))
            return np.concatenate(parts) if parts else np.zeros(0)

        def decode(x, like):
            out = [p.copy() for p in like[0]]
            pos = 0
            for i in free_idx:
                k = out[i].size
                xi = x[pos:pos + k].copy()
                xi[0] = np.clip(xi[0], math.log(0.02), math.log(8.0))
                out[i] = self._from_x(self._models[i], xi)
                pos += k
            mu, sigma = like[1], like[2]
            if est_latent:
                mu, sigma = float(x[pos]), float(math.exp(np.clip(x[pos + 1], -3, 3)))
            return out, mu, sigma

        state = (params, 0.0, 1.0)
        converged = False
        change_last = float("inf")
        while len(trace) < self.max_iter:
            s1, _ = em_map(state)
            change_last = change(s1, state)
            if change_last < self.tol and len(trace) > 1:
                state = s1
                converged = True
                break
            if not self.accelerate or len(trace) + 2 > self.max_iter:
                state = s1
                continue
            # SQUAREM (Varadhan & Roland, 2008, scheme S3): extrapolate along two EM steps, then
            # take one stabilising EM step; plain EM when the likelihood would drop
            s2, ll1 = em_map(s1)
            change_last = change(s2, s1)
            if change_last < self.tol:
                state = s2
                converged = True
                break
            x0, x1, x2 = encode(state), encode(s1), encode(s2)
            r = x1 - x0
            v = x2 - x1 - r
            nv = float(np.linalg.norm(v))
            if nv == 0:
                state = s2
                continue
            alpha = min(-float(np.linalg.norm(r)) / nv, -1.0)  # −1 is the plain double step
            candidate = decode(x0 - 2 * alpha * r + alpha**2 * v, s2)
            s3, ll_candidate = em_map(candidate)
            if np.isfinite(ll_candidate) and ll_candidate >= ll1:
                change_last = change(s3, candidate)
                state = s3
                if change_last < self.tol:
                    converged = True
                    break
            else:
                state = s2
        params, mean, sd = state
        logw = normal_log_weights(nodes, mean, sd)
        change = change_last
        it = len(trace)
        post, loglik = self._estep(params, logw, exact=True)
        self.latent_mean_, self.latent_sd_ = mean, sd
        self.loglik_ = loglik
        n_free = self._count_free(free)
        self.n_params_ = n_free + (2 if est_latent else 0)
        self.n_persons_ = data.scores.shape[0]
        self.aic_ = -2 * loglik + 2 * self.n_params_
        self.bic_ = -2 * loglik + math.log(self.n_persons_) * self.n_params_
        se = self._standard_errors(data, params, post) if self.standard_errors else None
        self.items_ = {}
        for idx, item in enumerate(data.items):
            names = param_names(self._models[idx], int(self._ncat[idx]))
            values = dict(zip(names, map(float, params[idx]), strict=True))
            ses = {n: (float(se[idx][k]) if se is not None and se[idx] is not None else float("nan"))
                   for k, n in enumerate(names)}
            self.items_[item] = ItemParameters.from_values(item, self._models[idx], values, ses)
        self.fixed_items_ = sorted(fixed)
        self.convergence_ = ConvergenceReport(converged, it, change, self.tol,
                                              time.perf_counter() - start, trace)
        self.posterior_ = post
        self.persons_ = data.persons
        return self

    def _count_free(self, free) -> int:
        n = 0
        shared = False
        for i, m in enumerate(self._models):
            if not free[i]:
                continue
            if m == "1pl":
                n += 1 + (0 if shared else 1)
                shared = True
            else:
                n += len(param_names(m, int(self._ncat[i])))
        return n

    # ------------------------------------------------------------------ standard errors
    def _standard_errors(self, data, params, post):
        """SE from the empirical cross-product information (XPD) of per-person scores."""
        free = ~self._fixed_mask
        index: list[np.ndarray | None] = [None] * len(self._models)
        # free 2PL items first, all slopes then all difficulties, so the closed-form scores below
        # fill two contiguous column blocks
        fast = np.array([i for i, m in enumerate(self._models) if m == "2pl" and free[i]], dtype=np.int64)
        for k, i in enumerate(fast):
            index[i] = np.array([k, fast.size + k])
        g = 2 * fast.size
        shared_a = None
        for i, m in enumerate(self._models):
            if not free[i] or m == "2pl":
                continue
            k = len(params[i])
            if m == "1pl":
                if shared_a is None:
                    shared_a = g
                    g += 1
                index[i] = np.array([shared_a, g])
                g += 1
            else:
                index[i] = np.arange(g, g + k)
                g += k
        if g == 0:
            return [None] * len(params)
        n = post.shape[0]
        scores_mat = np.zeros((n, g))
        nodes = self.nodes_
        h = 1e-5
        x = data.scores
        # 2PL items (the bulk of a bank) in closed form, all at once: with z = a(θ − b),
        # ∂logP(x)/∂a = (x − P)(θ − b) and ∂logP(x)/∂b = −a(x − P), so the posterior
        # expectations need only post·P and post·(P θ) per item
        if fast.size:
            f = fast.size
            a = np.array([params[i][0] for i in fast])
            b = np.array([params[i][1] for i in fast])
            p = expit(a[:, None] * (nodes[None, :] - b[:, None]))  # (F, Q)
            post32 = post.astype(np.float32)
            m1 = post32 @ p.T.astype(np.float32)  # E[P]
            m2 = post32 @ (p * nodes[None, :]).T.astype(np.float32)  # E[P θ]
            etheta = (post @ nodes).astype(np.float32)
            xs = x[:, fast]
            seen = xs >= 0
            xf = np.maximum(xs, 0).astype(np.float32)
            b32, a32 = b.astype(np.float32), a.astype(np.float32)
            s_a = xf * (etheta[:, None] - b32) - (m2 - b32 * m1)
            s_b = -a32 * (xf - m1)
            s_a[~seen] = 0.0
            s_b[~seen] = 0.0
            scores_mat[:, :f] = s_a
            scores_mat[:, f:2 * f] = s_b
        # other models: d log P_k(θ_q) / d param numerically, expected over the posterior of the
        # persons who saw the item
        slow = [i for i, m in enumerate(self._models) if index[i] is not None and m != "2pl"]
        for i in slow:
            m, p = self._models[i], params[i]
            deriv = []
            for k in range(p.size):
                e = np.zeros(p.size)
                e[k] = h
                deriv.append((log_probs(m, p + e, nodes) - log_probs(m, p - e, nodes)) / (2 * h))
            dl = np.stack(deriv, axis=-1)  # (K, Q, P)
            col = x[:, i]
            who = np.flatnonzero(col >= 0)
            expected = (post[who] @ dl.transpose(1, 0, 2).reshape(self.n_quad, -1)).reshape(who.size, -1, p.size)
            contrib = expected[np.arange(who.size), col[who]]
            if m == "1pl":
                scores_mat[who, index[i][0]] += contrib[:, 0]
                scores_mat[who, index[i][1]] = contrib[:, 1]
            else:
                scores_mat[np.ix_(who, index[i])] = contrib
        if self._density < 0.1:
            # very sparse data (large CAT banks): each person scores on few parameters, and S'S in
            # CSR beats the dense product; above ~10 % observed the dense rank-N update wins
            sm = sparse.csr_matrix(scores_mat)
            info = np.asarray((sm.T @ sm).todense())
        else:
            # symmetric rank-N update: half the work of scores_mat.T @ scores_mat
            upper = blas.dsyrk(1.0, scores_mat.T, trans=0)
            info = np.triu(upper) + np.triu(upper, 1).T
        for i, m in enumerate(self._models):
            if index[i] is not None and m == "3pl":
                al, be = self.c_prior
                c = params[i][2]
                info[index[i][2], index[i][2]] += (al - 1) / c**2 + (be - 1) / (1 - c) ** 2
        try:
            cov = np.linalg.inv(info)
        except np.linalg.LinAlgError:
            cov = np.linalg.pinv(info)
        var = np.diag(cov)
        sd = np.sqrt(np.where(var > 0, var, np.nan))
        return [None if ix is None else sd[ix] for ix in index]


def calibrate(data: ResponseData, model: str = "2pl", *, fixed: Mapping[str, ItemParameters] | None = None,
              **kwargs) -> MMLCalibrator:
    """Convenience wrapper: ``MMLCalibrator(model, **kwargs).fit(data, fixed)``."""
    return MMLCalibrator(model, **kwargs).fit(data, fixed)


def posterior(data: ResponseData, params: Mapping[str, ItemParameters], *, n_quad: int = 61,
              theta_bound: float = 6.0, mean: float = 0.0, sd: float = 1.0):
    """Posterior over quadrature nodes per person with all item parameters known.

    Returns
    -------
    nodes : (Q,), post : (N, Q) rows summing to 1, loglik : marginal log-likelihood
    """
    missing = [i for i in data.items if i not in params]
    if missing:
        raise InputError(data.path, data.first_row.get(missing[0]),
                         f"onbekend item {missing[0]!r} (niet in het parameterbestand)")
    cal = MMLCalibrator("2pl", n_quad=n_quad, theta_bound=theta_bound)
    cal._setup(data, params)
    cal.nodes_ = np.linspace(-theta_bound, theta_bound, n_quad)
    models = np.array(cal._models)
    two = np.isin(models, ["1pl", "2pl"])
    cal._two_idx = np.flatnonzero(two)
    cal._other_idx = np.flatnonzero(~two)
    vec = [params[i].vector().astype(float) for i in data.items]
    post, loglik = cal._estep(vec, normal_log_weights(cal.nodes_, mean, sd), exact=True)
    return cal.nodes_, post, loglik
