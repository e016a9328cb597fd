"""The one representation of an item's IRT parameters, shared by the item bank, the delivery and
the offline psychometrics (θ logit scale, D = 1; DOMAIN.md §5).

``ItemParameters(model, a, b, c, thresholds, provenance, item, se)``:

- dichotomous models (``1pl``, ``2pl``, ``3pl``) have ``b`` (and ``c`` for 3PL);
- polytomous models (``gpcm``, ``grm``) have ``thresholds`` b_1..b_m;
- ``provenance`` says where they come from (``source``: calibration | expert | provisional,
  as written in the bank, itembank/FORMAT.md "Parameters");
- ``item`` is the item id where the parameters travel without their item (a calibration);
- ``se`` the standard errors by natural name (``a``, ``b``, ``c``, ``b1``..``bm``; NaN when not
  estimated).

The natural-parameter view the calibration works with: ``values`` (``a``, ``b`` [, ``c``] or
``a``, ``b1``..``bm``, in :func:`param_names` order), ``vector()``, and ``from_values``.
``record()`` is the ``ItemPool.from_records`` record.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import numpy as np

__all__ = ["DICHOTOMOUS_MODELS", "MODELS", "POLYTOMOUS_MODELS", "ItemParameters", "param_names"]

DICHOTOMOUS_MODELS = ("1pl", "2pl", "3pl")
POLYTOMOUS_MODELS = ("gpcm", "grm")
MODELS = DICHOTOMOUS_MODELS + POLYTOMOUS_MODELS


def param_names(model: str, n_categories: int) -> list[str]:
    """Names of the natural parameters of one item, in vector order."""
    if model in ("1pl", "2pl"):
        return ["a", "b"]
    if model == "3pl":
        return ["a", "b", "c"]
    return ["a"] + [f"b{k}" for k in range(1, n_categories)]


@dataclass(frozen=True)
class ItemParameters:
    """IRT parameters of one item (see the module docstring)."""

    model: str
    a: float = 1.0
    b: float | None = None
    c: float = 0.0
    thresholds: tuple[float, ...] = ()
    provenance: Mapping[str, Any] = field(default_factory=dict)
    item: str = ""
    se: Mapping[str, float] = field(default_factory=dict)

    @classmethod
    def from_values(cls, item: str, model: str, values: Mapping[str, float],
                    se: Mapping[str, float] | None = None,
                    provenance: Mapping[str, Any] | None = None) -> ItemParameters:
        """From natural parameters by name (``{"a": .., "b": ..}`` or ``{"a": .., "b1": ..}``)."""
        model = str(model).lower()
        a = float(values.get("a", 1.0))
        if model in DICHOTOMOUS_MODELS:
            return cls(model, a, float(values["b"]),
                       float(values.get("c", 0.0)) if model == "3pl" else 0.0,
                       provenance=dict(provenance or {}), item=item, se=dict(se or {}))
        ks = sorted(int(k[1:]) for k in values if k.startswith("b") and k[1:].isdigit())
        return cls(model, a, None, 0.0, tuple(float(values[f"b{k}"]) for k in ks),
                   provenance=dict(provenance or {}), item=item, se=dict(se or {}))

    @property
    def dichotomous(self) -> bool:
        return self.model in DICHOTOMOUS_MODELS

    @property
    def provisional(self) -> bool:
        return self.provenance.get("source") == "provisional"

    @property
    def n_categories(self) -> int:
        return 2 if self.dichotomous else 1 + len(self.thresholds)

    @property
    def values(self) -> dict[str, float]:
        """The natural parameters by name, in :func:`param_names` order."""
        if self.dichotomous:
            out = {"a": self.a, "b": self.b}
            if self.model == "3pl":
                out["c"] = self.c
            return out
        return {"a": self.a, **{f"b{k}": t for k, t in enumerate(self.thresholds, start=1)}}

    def vector(self) -> np.ndarray:
        values = self.values
        return np.array([values[n] for n in param_names(self.model, self.n_categories)])

    def as_dict(self) -> dict:
        """The ``parameters`` block of the bank format (with provenance)."""
        out: dict[str, Any] = {"model": self.model, "a": self.a}
        if self.dichotomous:
            out["b"] = self.b
            if self.model == "3pl":
                out["c"] = self.c
        else:
            out["thresholds"] = list(self.thresholds)
        out["provenance"] = dict(self.provenance)
        return out

    def record(self, item_id: str | None = None, **extra: Any) -> dict[str, Any]:
        """An ``ItemPool.from_records`` record (``extra``: attributes, testlet, selectable,
        sh_k)."""
        rec: dict[str, Any] = {"id": item_id or self.item, "model": self.model, "a": self.a}
        if self.dichotomous:
            rec["b"] = self.b
            rec["c"] = self.c if self.model == "3pl" else 0.0
        else:
            rec["b"] = list(self.thresholds)
        rec.update(extra)
        return rec
