"""Item parameters: validation of written parameters and the provisional rule.

Provisional rule ``level-anchor-v1`` (FORMAT.md): ``a = 1.0``, ``b = anchor(level) + u`` with the
anchors at the middles of the default CEFR bands and ``u`` in [-0.4, 0.4] from the SHA-256 of the
item id; polytomous items (max score m > 1) get ``gpcm`` with m thresholds spread evenly over
``anchor + u ± 0.8``.
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping
from typing import Any

from .model import DICHOTOMOUS_MODELS, MODELS, Parameters
from .validation import MISSING, Checker, join

PROVISIONAL_RULE = "level-anchor-v1"
LEVEL_ANCHORS = {"A1": -1.8, "A2": -0.6, "B1": 0.6, "B2": 1.8}
SPREAD = 0.4
POLY_HALF_WIDTH = 0.8

#: Sane ranges for written parameters (logit scale, D = 1).
A_RANGE = (0.0, 4.0)        # a > 0 (exclusive), a <= 4
B_RANGE = (-6.0, 6.0)
C_RANGE = (0.0, 0.5)        # c < 0.5 (exclusive upper bound)
SOURCES = ("calibration", "expert", "provisional")


def id_offset(item_id: str) -> float:
    """``u`` in [-0.4, 0.4], stable: the first 8 hex digits of SHA-256(id) scaled."""
    h = int(hashlib.sha256(item_id.encode("utf-8")).hexdigest()[:8], 16)
    return (h / 0xFFFFFFFF) * 2 * SPREAD - SPREAD


def provisional(item_id: str, level: str, max_score: int) -> Parameters:
    centre = round(LEVEL_ANCHORS[level] + id_offset(item_id), 6)
    provenance = {"source": "provisional", "rule": PROVISIONAL_RULE}
    if max_score <= 1:
        return Parameters(model="2pl", a=1.0, b=centre, provenance=provenance)
    m = max_score
    step = 2 * POLY_HALF_WIDTH / (m - 1)
    thresholds = tuple(round(centre - POLY_HALF_WIDTH + k * step, 6) for k in range(m))
    return Parameters(model="gpcm", a=1.0, thresholds=thresholds, provenance=provenance)


def parse_parameters(raw: Any, c: Checker, path: str, max_score: int | None) -> Parameters | None:
    """Validate written parameters. ``max_score`` None: not known yet (rated item, no rubric)."""
    m = c.mapping(raw, path)
    if m is None:
        return None
    c.unknown_fields(m, {"model", "a", "b", "c", "thresholds", "provenance"}, path)
    model = c.choice(m, "model", path, MODELS)
    if model is None:
        return None
    ok = True
    a = 1.0
    if model != "1pl" or "a" in m:
        a = c.number(m, "a", path, minimum=A_RANGE[0], maximum=A_RANGE[1], exclusive_minimum=True)
        ok &= a is not None
    b = cc = None
    thresholds: tuple[float, ...] = ()
    if model in DICHOTOMOUS_MODELS:
        b = c.number(m, "b", path, minimum=B_RANGE[0], maximum=B_RANGE[1])
        ok &= b is not None
        if model == "3pl":
            cc = c.number(m, "c", path, minimum=C_RANGE[0], maximum=C_RANGE[1])
            if cc is not None and cc >= C_RANGE[1]:
                c.add(join(path, "c"), f"must be below {C_RANGE[1]}")
                cc = None
            ok &= cc is not None
        elif "c" in m:
            c.add(join(path, "c"), f"only the 3pl model has c (model is {model})")
            ok = False
        if "thresholds" in m:
            c.add(join(path, "thresholds"), f"a {model} item has b, not thresholds")
            ok = False
        if max_score is not None and max_score != 1:
            c.add(join(path, "model"), f"{model} is dichotomous but the item scores 0..{max_score}; use gpcm or grm")
            ok = False
    else:
        raw_t = c.listing(m, "thresholds", path, min_len=1, max_len=20)
        if raw_t is None:
            ok = False
        else:
            vals = [c.number_value(t, join(join(path, "thresholds"), i), minimum=B_RANGE[0],
                                   maximum=B_RANGE[1]) for i, t in enumerate(raw_t)]
            if None in vals:
                ok = False
            else:
                thresholds = tuple(vals)
                if model == "grm" and any(x >= y for x, y in zip(thresholds, thresholds[1:], strict=False)):
                    c.add(join(path, "thresholds"), "grm thresholds must be strictly increasing")
                    ok = False
                if max_score is not None and len(thresholds) != max_score:
                    c.add(join(path, "thresholds"), f"needs {max_score} thresholds (max score), has {len(thresholds)}")
                    ok = False
        for name in ("b", "c"):
            if name in m:
                c.add(join(path, name), f"a {model} item has thresholds, not {name}")
                ok = False
    provenance = _provenance(m, c, path)
    if not ok or provenance is None:
        return None
    return Parameters(model=model, a=float(a), b=b, c=float(cc or 0.0), thresholds=thresholds,
                      provenance=provenance)


def _provenance(m: Mapping, c: Checker, path: str) -> dict | None:
    raw = c.get(m, "provenance", path)
    if raw is MISSING:
        return None
    p = join(path, "provenance")
    prov = c.mapping(raw, p)
    if prov is None:
        return None
    c.unknown_fields(prov, {"source", "calibration_id", "n", "se", "rule", "date", "note"}, p)
    source = c.choice(prov, "source", p, SOURCES)
    if source is None:
        return None
    out: dict[str, Any] = {"source": source}
    if source == "calibration":
        cid = c.ident(prov, "calibration_id", p)
        n = c.integer(prov, "n", p, minimum=1)
        if cid is None or n is None:
            return None
        out.update(calibration_id=cid, n=n)
        se_raw = c.get(prov, "se", p, required=False)
        if se_raw is not MISSING:
            se = c.mapping(se_raw, join(p, "se"))
            if se is None:
                return None
            clean: dict[str, Any] = {}
            for k, v in se.items():
                if isinstance(v, list):
                    vs = [c.number_value(x, join(join(join(p, "se"), k), i), minimum=0.0)
                          for i, x in enumerate(v)]
                    if None in vs:
                        return None
                    clean[k] = vs
                else:
                    x = c.number_value(v, join(join(p, "se"), k), minimum=0.0)
                    if x is None:
                        return None
                    clean[k] = x
            out["se"] = clean
    for name in ("rule", "date", "note"):
        if name in prov and prov[name] is not None:
            v = prov[name]
            if not isinstance(v, str):
                v = str(v)  # YAML reads an unquoted date as a date object
            out[name] = v
    return out
