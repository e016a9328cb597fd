"""Item response models and the item pool, vectorised over items and θ.

Conventions (DOMAIN.md §5): θ on the logit scale, D = 1. Shapes use ``n`` for the number of
items in the pool (or in a subset), ``M`` for ``m_max + 1`` (the largest number of score
categories in the pool) and ``Q`` for the number of θ points.

Every function here works in log space where a probability is needed, so that θ = ±10 and
extreme parameters give finite log-probabilities and no overflow warnings.

References
----------
- Lord, F. M. (1980). Applications of item response theory to practical testing problems
  (1PL/2PL/3PL and their information).
- Muraki, E. (1992). A generalized partial credit model. Applied Psychological Measurement,
  16(2), 159-176.
- Samejima, F. (1969). Estimation of latent ability using a response pattern of graded scores.
  Psychometrika Monograph 17.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from enum import IntEnum
from typing import Any

import numpy as np

# scipy is imported inside the functions that need it: its compiled helpers register
# top-level module names, and importing the package must load nothing but numpy (see
# tests/test_architecture.py); it also keeps worker start-up light.

__all__ = [
    "ItemPool",
    "Model",
    "category_log_probabilities",
    "category_probabilities",
    "item_information",
    "response_log_likelihood",
    "test_information",
]

# Information is computed from a logit clipped to this range: beyond it an item carries less
# than 1e-15 of its maximum information, and the clip keeps 0/0 out of the 3PL formula.
_INFO_LOGIT_CLIP = 35.0


class Model(IntEnum):
    """Item response model codes stored in :attr:`ItemPool.model`."""

    ONE_PL = 0
    TWO_PL = 1
    THREE_PL = 2
    GPCM = 3
    GRM = 4

    @classmethod
    def parse(cls, name: str | int | Model) -> Model:
        """Accept ``"1pl" | "2pl" | "3pl" | "gpcm" | "grm"`` (any case) or a code."""
        if isinstance(name, Model):
            return name
        if isinstance(name, int | np.integer):
            return cls(int(name))
        key = str(name).strip().lower()
        try:
            return _MODEL_NAMES[key]
        except KeyError:
            raise ValueError(f"unknown item model {name!r}") from None


_MODEL_NAMES = {
    "1pl": Model.ONE_PL,
    "rasch": Model.ONE_PL,
    "2pl": Model.TWO_PL,
    "3pl": Model.THREE_PL,
    "gpcm": Model.GPCM,
    "pcm": Model.GPCM,
    "grm": Model.GRM,
}

_DICHOTOMOUS = (Model.ONE_PL, Model.TWO_PL, Model.THREE_PL)


def _log_sigmoid(z: np.ndarray) -> np.ndarray:
    """log(1 / (1 + exp(-z))) without overflow, also for z = ±inf."""
    return -np.logaddexp(0.0, -z)


@dataclass(frozen=True, eq=False)
class ItemPool:
    """The calibrated items a design may use, as parallel numpy arrays (one row per item).

    Build it once per bank version (``ItemPool.from_records``) and reuse it: every derived
    array the hot path needs is computed here, in ``__post_init__``.

    Attributes
    ----------
    ids : tuple[str, ...]
        Item identifiers, length n.
    model : ndarray of int, shape (n,)
        :class:`Model` codes.
    a : ndarray, shape (n,)
        Discrimination (> 0).
    b : ndarray, shape (n, m_max)
        Difficulty (dichotomous: column 0) or thresholds b_1..b_m (GPCM step difficulties, GRM
        ordered category boundaries), padded with NaN.
    c : ndarray, shape (n,)
        Lower asymptote (0 except for 3PL).
    n_categories : ndarray of int, shape (n,)
        Number of score categories m + 1 (2 for dichotomous items).
    attributes : Mapping[str, ndarray of str, shape (n,)]
        Content attributes (topic, task_type, skill, level, ...), "" where missing.
    testlet : ndarray of int, shape (n,)
        Testlet group id, -1 for a standalone item. Items of one testlet are selected together.
    enemy_groups : tuple[tuple[int, ...], ...]
        Groups of pool indices of which at most one may appear in an administration.
    selectable : ndarray of bool, shape (n,)
        False for items the adaptive part must never select (excluded, unscored, pretest).
    sh_k : ndarray, shape (n,)
        Sympson-Hetter administration probabilities K_i in (0, 1]; 1.0 means no control.
    """

    ids: tuple[str, ...]
    model: np.ndarray
    a: np.ndarray
    b: np.ndarray
    c: np.ndarray
    n_categories: np.ndarray
    attributes: Mapping[str, np.ndarray] = field(default_factory=dict)
    testlet: np.ndarray | None = None
    enemy_groups: tuple[tuple[int, ...], ...] = ()
    selectable: np.ndarray | None = None
    sh_k: np.ndarray | None = None

    # Derived (not part of __init__), computed once.
    n: int = field(init=False)
    m_max: int = field(init=False)
    index: Mapping[str, int] = field(init=False, repr=False)
    all_dichotomous: bool = field(init=False)
    has_guessing: bool = field(init=False)
    is_dichotomous: np.ndarray = field(init=False, repr=False)
    attribute_codes: Mapping[str, tuple[np.ndarray, Mapping[str, int]]] = field(
        init=False, repr=False
    )
    enemies_of: tuple[np.ndarray, ...] = field(init=False, repr=False)
    has_enemies: bool = field(init=False)
    has_testlets: bool = field(init=False)
    unit_of: np.ndarray = field(init=False, repr=False)
    unit_members: tuple[np.ndarray, ...] = field(init=False, repr=False)
    unit_size: np.ndarray = field(init=False, repr=False)
    _b1: np.ndarray = field(init=False, repr=False)
    _a2: np.ndarray = field(init=False, repr=False)
    _ab: np.ndarray = field(init=False, repr=False)
    _log_c: np.ndarray = field(init=False, repr=False)
    _log_1mc: np.ndarray = field(init=False, repr=False)
    _cat_pad: np.ndarray = field(init=False, repr=False)
    _gpcm_bcum: np.ndarray = field(init=False, repr=False)
    _grm_bext: np.ndarray = field(init=False, repr=False)
    _grm_const: np.ndarray = field(init=False, repr=False)
    _cache: dict = field(init=False, repr=False)

    def __post_init__(self) -> None:
        def put(name: str, value: Any) -> None:
            object.__setattr__(self, name, value)

        n = len(self.ids)
        model = np.asarray(self.model, dtype=np.int8).reshape(n)
        a = np.asarray(self.a, dtype=float).reshape(n)
        b = np.asarray(self.b, dtype=float)
        if b.ndim == 1:
            b = b.reshape(n, 1)
        c = np.asarray(self.c, dtype=float).reshape(n)
        ncat = np.asarray(self.n_categories, dtype=np.int64).reshape(n)
        if len(set(self.ids)) != n:
            raise ValueError("item ids must be unique")
        if n and (not np.all(np.isfinite(a)) or np.any(a <= 0)):
            raise ValueError("discrimination a must be finite and > 0")
        if n and (np.any(c < 0) or np.any(c >= 1)):
            raise ValueError("lower asymptote c must lie in [0, 1)")
        if n and np.any(ncat < 2):
            raise ValueError("every item needs at least 2 score categories")
        m_max = int(ncat.max()) - 1 if n else 1
        if b.shape != (n, m_max):
            raise ValueError(f"b must have shape (n, m_max) = {(n, m_max)}, got {b.shape}")
        k = np.arange(m_max)[None, :]
        valid_b = k < (ncat[:, None] - 1)
        if np.any(~np.isfinite(b[valid_b])):
            raise ValueError("thresholds must be finite")
        b = np.where(valid_b, b, np.nan)
        is_dich = np.isin(model, np.array(_DICHOTOMOUS, dtype=np.int8))
        if np.any(is_dich & (ncat != 2)):
            raise ValueError("dichotomous items have exactly 2 categories")
        grm = model == Model.GRM
        if np.any(grm):
            bz = np.where(valid_b, b, 0.0)[grm]
            both = valid_b[grm][:, 1:] & valid_b[grm][:, :-1]
            if np.any((np.diff(bz, axis=1) <= 0) & both):
                raise ValueError("GRM thresholds must be strictly increasing")
        c = np.where(model == Model.THREE_PL, c, 0.0)

        testlet = (
            np.full(n, -1, dtype=np.int64)
            if self.testlet is None
            else np.asarray(self.testlet, dtype=np.int64).reshape(n)
        )
        selectable = (
            np.ones(n, dtype=bool)
            if self.selectable is None
            else np.asarray(self.selectable, dtype=bool).reshape(n)
        )
        sh_k = (
            np.ones(n, dtype=float)
            if self.sh_k is None
            else np.asarray(self.sh_k, dtype=float).reshape(n)
        )
        if np.any((sh_k <= 0) | (sh_k > 1)):
            raise ValueError("Sympson-Hetter K must lie in (0, 1]")
        attrs: dict[str, np.ndarray] = {}
        codes: dict[str, tuple[np.ndarray, Mapping[str, int]]] = {}
        for name, values in dict(self.attributes).items():
            arr = np.asarray([("" if v is None else str(v)) for v in values], dtype=str)
            if arr.shape != (n,):
                raise ValueError(f"attribute {name!r} must have one value per item")
            uniq, inv = np.unique(arr, return_inverse=True)
            attrs[name] = arr
            codes[name] = (inv.astype(np.int64), {str(u): i for i, u in enumerate(uniq)})
        for arr in (model, a, b, c, ncat, testlet, selectable, sh_k, *attrs.values()):
            arr.setflags(write=False)
        put("model", model)
        put("a", a)
        put("b", b)
        put("c", c)
        put("n_categories", ncat)
        put("testlet", testlet)
        put("selectable", selectable)
        put("sh_k", sh_k)
        put("attributes", attrs)
        put("attribute_codes", codes)
        put("n", n)
        put("_cache", {})
        put("m_max", m_max)
        put("index", {item_id: i for i, item_id in enumerate(self.ids)})
        put("is_dichotomous", is_dich)
        put("all_dichotomous", bool(np.all(is_dich)))
        put("has_guessing", bool(np.any(c > 0)))

        # Enemies: per item, the other members of every group it is in.
        groups = tuple(tuple(int(i) for i in g) for g in self.enemy_groups)
        enemies: list[set[int]] = [set() for _ in range(n)]
        for g in groups:
            for i in g:
                if not 0 <= i < n:
                    raise ValueError(f"enemy index {i} outside the pool")
                enemies[i].update(j for j in g if j != i)
        empty = np.zeros(0, dtype=np.int64)
        put("enemy_groups", groups)
        put(
            "enemies_of",
            tuple(np.array(sorted(e), dtype=np.int64) if e else empty for e in enemies),
        )
        put("has_enemies", any(enemies))

        # Selection units: a standalone item, or the selectable items of one testlet.
        unit_of = np.empty(n, dtype=np.int64)
        members: list[list[int]] = []
        seen: dict[int, int] = {}
        for i in range(n):
            t = int(testlet[i])
            if t < 0:
                unit_of[i] = len(members)
                members.append([i])
            else:
                if t not in seen:
                    seen[t] = len(members)
                    members.append([])
                unit_of[i] = seen[t]
                members[seen[t]].append(i)
        put("has_testlets", bool(np.any(testlet >= 0)))
        put("unit_of", unit_of)
        put("unit_members", tuple(np.array(m, dtype=np.int64) for m in members))
        put("unit_size", np.array([len(m) for m in members], dtype=np.int64))

        # Precomputed model constants.
        with np.errstate(divide="ignore", invalid="ignore"):
            put("_b1", np.where(is_dich, b[:, 0], 0.0))
            put("_a2", a * a)
            put("_ab", a * self._b1)
            put("_log_c", np.log(c))
            put("_log_1mc", np.log1p(-c))
            kk = np.arange(m_max + 1)[None, :]
            put("_cat_pad", np.where(kk < ncat[:, None], 0.0, -np.inf))
            bz = np.where(valid_b, b, 0.0)
            put("_gpcm_bcum", np.concatenate([np.zeros((n, 1)), np.cumsum(bz, axis=1)], axis=1))
            bext = np.concatenate(
                [np.full((n, 1), -np.inf), np.where(valid_b, b, np.inf), np.full((n, 1), np.inf)],
                axis=1,
            )
            put("_grm_bext", bext)
            gap = a[:, None] * (bext[:, 1:] - bext[:, :-1])
            const = np.log(-np.expm1(-gap))
            put("_grm_const", np.where(np.isfinite(const), const, 0.0))

    def __len__(self) -> int:
        return self.n

    def cached(self, key: Any, build: Any) -> Any:
        """Derived read-only data (EAP tables, blueprint arrays) memoised on the pool.

        A pure function of the pool and ``key``; it lives and dies with the pool, which the
        delivery keeps per bank version. Two threads may both build it once; either result
        is the same.
        """
        value = self._cache.get(key)
        if value is None:
            value = build()
            self._cache[key] = value
        return value

    # ------------------------------------------------------------------ construction
    @classmethod
    def from_records(
        cls,
        records: Sequence[Mapping[str, Any]],
        enemy_pairs: Iterable[tuple[str, str]] | Iterable[Sequence[str]] = (),
    ) -> ItemPool:
        """Build a pool from plain dicts.

        Parameters
        ----------
        records : sequence of mappings
            ``{id, model: "1pl|2pl|3pl|gpcm|grm", a, b (float, or list of thresholds),
            c (3PL, default 0), attributes: {name: value}, testlet: str | None,
            selectable: bool (default True), sh_k: float (default 1.0)}``. For polytomous items
            ``thresholds`` is accepted as a synonym of a list-valued ``b``; ``a`` defaults to 1.
        enemy_pairs : iterable of id pairs (or longer id groups)
            Items that must never appear together.
        """
        records = list(records)
        n = len(records)
        ids = tuple(str(r["id"]) for r in records)
        models = [Model.parse(r.get("model", "2pl")) for r in records]
        bs: list[list[float]] = []
        for r, m in zip(records, models, strict=True):
            raw = r.get("b", r.get("thresholds"))
            if raw is None:
                raise ValueError(f"item {r['id']}: no b / thresholds")
            vals = [
                float(x) for x in (raw if isinstance(raw, list | tuple | np.ndarray) else [raw])
            ]
            if m in _DICHOTOMOUS and len(vals) != 1:
                raise ValueError(f"item {r['id']}: a dichotomous item has one b")
            if not vals:
                raise ValueError(f"item {r['id']}: empty thresholds")
            bs.append(vals)
        m_max = max((len(v) for v in bs), default=1)
        b = np.full((n, m_max), np.nan)
        for i, vals in enumerate(bs):
            b[i, : len(vals)] = vals
        attr_names = sorted({k for r in records for k in (r.get("attributes") or {})})
        attributes = {
            name: np.array([str((r.get("attributes") or {}).get(name) or "") for r in records])
            for name in attr_names
        }
        testlet_names: dict[str, int] = {}
        testlet = np.full(n, -1, dtype=np.int64)
        for i, r in enumerate(records):
            t = r.get("testlet")
            if t is not None and t != "":
                testlet[i] = testlet_names.setdefault(str(t), len(testlet_names))
        index = {item_id: i for i, item_id in enumerate(ids)}
        groups = []
        for pair in enemy_pairs:
            members = tuple(sorted({index[p] for p in pair if p in index}))
            if len(members) >= 2:
                groups.append(members)
        return cls(
            ids=ids,
            model=np.array([int(m) for m in models], dtype=np.int8),
            a=np.array([float(r.get("a", 1.0)) for r in records]),
            b=b,
            c=np.array([float(r.get("c", 0.0) or 0.0) for r in records]),
            n_categories=np.array([len(v) + 1 for v in bs], dtype=np.int64),
            attributes=attributes,
            testlet=testlet,
            enemy_groups=tuple(groups),
            selectable=np.array([bool(r.get("selectable", True)) for r in records]),
            sh_k=np.array([float(r.get("sh_k", 1.0)) for r in records]),
        )

    def with_sh_k(self, sh_k: np.ndarray) -> ItemPool:
        """A copy of the pool with new Sympson-Hetter parameters (shape (n,))."""
        return self._replace(sh_k=np.asarray(sh_k, dtype=float))

    def with_selectable(self, selectable: np.ndarray) -> ItemPool:
        """A copy of the pool with a new ``selectable`` mask (shape (n,))."""
        return self._replace(selectable=np.asarray(selectable, dtype=bool))

    def _replace(self, **changes: Any) -> ItemPool:
        kwargs = {
            "ids": self.ids,
            "model": self.model,
            "a": self.a,
            "b": self.b,
            "c": self.c,
            "n_categories": self.n_categories,
            "attributes": self.attributes,
            "testlet": self.testlet,
            "enemy_groups": self.enemy_groups,
            "selectable": self.selectable,
            "sh_k": self.sh_k,
        }
        kwargs.update(changes)
        return ItemPool(**kwargs)


# ---------------------------------------------------------------------- probabilities
def _as_items(pool: ItemPool, items: np.ndarray | Sequence[int] | None) -> np.ndarray:
    if items is None:
        return np.arange(pool.n)
    return np.asarray(items, dtype=np.int64).reshape(-1)


def category_log_probabilities(
    pool: ItemPool, theta: np.ndarray | float, items: np.ndarray | Sequence[int] | None = None
) -> np.ndarray:
    """log P(X = k | θ) for every item, category and θ.

    Parameters
    ----------
    pool : ItemPool
    theta : float or ndarray, shape (Q,)
    items : int array, shape (n_sel,), optional
        Pool indices (default: all items).

    Returns
    -------
    ndarray, shape (n_sel, M, Q)
        ``M = pool.m_max + 1``; categories an item does not have are ``-inf``.
    """
    idx = _as_items(pool, items)
    th = np.atleast_1d(np.asarray(theta, dtype=float))
    out = np.full((idx.size, pool.m_max + 1, th.size), -np.inf)
    model = pool.model[idx]
    dich = pool.is_dichotomous[idx]
    if np.any(dich):
        d = idx[dich]
        z = pool.a[d, None] * (th[None, :] - pool._b1[d, None])
        out[dich, 0, :] = pool._log_1mc[d, None] + _log_sigmoid(-z)
        # min(., 0): log(c + (1−c)q) may round to +6e-17 when q → 1.
        out[dich, 1, :] = np.minimum(
            np.logaddexp(pool._log_c[d, None], pool._log_1mc[d, None] + _log_sigmoid(z)), 0.0
        )
    gp = model == Model.GPCM
    if np.any(gp):
        g = idx[gp]
        k = np.arange(pool.m_max + 1)[None, :, None]
        z = pool.a[g, None, None] * (k * th[None, None, :] - pool._gpcm_bcum[g, :, None])
        z = z + pool._cat_pad[g, :, None]
        out[gp] = z - np.logaddexp.reduce(z, axis=1, keepdims=True)
    gr = model == Model.GRM
    if np.any(gr):
        g = idx[gr]
        bext = pool._grm_bext[g]
        x = pool.a[g, None, None] * (th[None, None, :] - bext[:, :-1, None])
        y = pool.a[g, None, None] * (th[None, None, :] - bext[:, 1:, None])
        lp = _log_sigmoid(x) + _log_sigmoid(-y) + pool._grm_const[g, :, None]
        out[gr] = lp + pool._cat_pad[g, :, None]
    return out


def category_probabilities(
    pool: ItemPool, theta: np.ndarray | float, items: np.ndarray | Sequence[int] | None = None
) -> np.ndarray:
    """P(X = k | θ), shape (n_sel, M, Q); rows sum to 1 over the category axis."""
    return np.exp(category_log_probabilities(pool, theta, items))


def response_log_likelihood(
    pool: ItemPool,
    items: np.ndarray | Sequence[int],
    scores: np.ndarray | Sequence[int],
    theta: np.ndarray | float,
) -> np.ndarray:
    """log L(θ) = Σ_i log P(X_i = x_i | θ) of one response pattern.

    Parameters
    ----------
    items : int array, shape (k,)
        Pool indices of the responses (mixed models allowed).
    scores : int array, shape (k,)
        Score categories 0..m_i.
    theta : float or ndarray, shape (Q,)

    Returns
    -------
    ndarray, shape (Q,)
    """
    idx = np.asarray(items, dtype=np.int64).reshape(-1)
    x = np.asarray(scores, dtype=np.int64).reshape(-1)
    th = np.atleast_1d(np.asarray(theta, dtype=float))
    if idx.size == 0:
        return np.zeros(th.size)
    if np.any(x < 0) or np.any(x >= pool.n_categories[idx]):
        raise ValueError("score outside the item's categories")
    if pool.all_dichotomous or bool(np.all(pool.is_dichotomous[idx])):
        # Hot path: a sign flip turns P(0) and P(1) into one formula.
        z = pool.a[idx, None] * (th[None, :] - pool._b1[idx, None])
        log_q1 = pool._log_1mc[idx, None] + _log_sigmoid(z)
        log_p1 = np.minimum(np.logaddexp(pool._log_c[idx, None], log_q1), 0.0)
        log_p0 = pool._log_1mc[idx, None] + _log_sigmoid(-z)
        return np.where(x[:, None] == 1, log_p1, log_p0).sum(axis=0)
    lp = category_log_probabilities(pool, th, idx)
    return lp[np.arange(idx.size), x, :].sum(axis=0)


def item_information(
    pool: ItemPool, theta: np.ndarray | float, items: np.ndarray | Sequence[int] | None = None
) -> np.ndarray:
    """Fisher information of each item.

    3PL: a²(1−c)·q²(1−q)/P with q = logistic(a(θ−b)), P = c + (1−c)q (equals a²P(1−P) when
    c = 0); GPCM: a²·Var(X | θ); GRM: Σ_k (P*′_k − P*′_{k+1})² / P_k with P*′ = a·P*(1−P*).

    Parameters
    ----------
    theta : float or ndarray, shape (Q,)
    items : int array, shape (n_sel,), optional

    Returns
    -------
    ndarray, shape (n_sel,) for a scalar θ, else (n_sel, Q). Never negative.
    """
    if (
        isinstance(theta, float)
        and items is None
        and pool.all_dichotomous
        and not pool.has_guessing
    ):
        # Hot path of item selection (2PL/1PL pool, one θ): a²q(1−q) = a²e/(1+e)² with
        # e = exp(−|z|) ≤ 1, which cannot overflow; in-place to spare temporaries.
        z = pool.a * float(theta)
        z -= pool._ab
        np.abs(z, out=z)
        np.negative(z, out=z)
        np.exp(z, out=z)
        d = z + 1.0
        d *= d
        z /= d
        z *= pool._a2
        return z
    scalar = np.ndim(theta) == 0
    idx = _as_items(pool, items)
    th = np.atleast_1d(np.asarray(theta, dtype=float))
    if pool.all_dichotomous:
        out = _dich_information(pool, idx, th)
    else:
        out = np.zeros((idx.size, th.size))
        dich = pool.is_dichotomous[idx]
        if np.any(dich):
            out[dich] = _dich_information(pool, idx[dich], th)
        model = pool.model[idx]
        gp = model == Model.GPCM
        if np.any(gp):
            p = np.exp(category_log_probabilities(pool, th, idx[gp]))
            k = np.arange(pool.m_max + 1)[None, :, None]
            mean = (k * p).sum(axis=1)
            var = (k * k * p).sum(axis=1) - mean * mean
            out[gp] = pool.a[idx[gp], None] ** 2 * np.maximum(var, 0.0)
        gr = model == Model.GRM
        if np.any(gr):
            g = idx[gr]
            bext = pool._grm_bext[g]
            z = np.clip(
                pool.a[g, None, None] * (th[None, None, :] - bext[:, :, None]),
                -_INFO_LOGIT_CLIP,
                _INFO_LOGIT_CLIP,
            )
            from scipy.special import expit

            s = expit(z)
            ds = pool.a[g, None, None] * s * (1.0 - s)  # dP*/dθ at each boundary, (g, M+1, Q)
            num = (ds[:, :-1, :] - ds[:, 1:, :]) ** 2
            p = np.exp(category_log_probabilities(pool, th, g))
            with np.errstate(divide="ignore", invalid="ignore"):
                terms = np.where(p > 0, num / p, 0.0)
            out[gr] = terms.sum(axis=1)
    return out[:, 0] if scalar else out


def _dich_information(pool: ItemPool, idx: np.ndarray, th: np.ndarray) -> np.ndarray:
    a = pool.a[idx, None]
    c = pool.c[idx, None]
    z = np.clip(a * (th[None, :] - pool._b1[idx, None]), -_INFO_LOGIT_CLIP, _INFO_LOGIT_CLIP)
    from scipy.special import expit

    q = expit(z)
    p = c + (1.0 - c) * q
    return a * a * (1.0 - c) * q * q * (1.0 - q) / p


def test_information(
    pool: ItemPool, theta: np.ndarray | float, items: np.ndarray | Sequence[int] | None = None
) -> np.ndarray | float:
    """Sum of :func:`item_information` over ``items``; shape of ``theta`` (float for a scalar)."""
    info = item_information(pool, theta, items)
    total = info.sum(axis=0)
    return float(total) if np.ndim(theta) == 0 else total


test_information.__test__ = False  # type: ignore[attr-defined]  # not a pytest test
