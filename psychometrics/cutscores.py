"""Cut scores with provenance, and impact data from a calibration.

A cut-score file (YAML) holds the cuts of one skill with where they came from::

    skill: reading
    version: "2026-1"
    method: bookmark            # standard-setting method
    date: 2026-03-15
    panel: Panel NT2 Vlaanderen (9 leden)
    cuts: {A1: -2.4, A2: -1.2, B1: 0.0, B2: 1.2, C1: 2.4}   # θ where each level starts
    panel_size: 9               # optional: written by the standard-setting command
    se: {A1: 0.08, A2: 0.06}    # optional: standard error of each cut across panellists
    rp: 0.67                    # optional: the Bookmark method's response probability
    rounds: 3                   # optional

Impact: the share of a reference population at each level. With a calibration's posterior
the share of level L is the mean posterior mass of the band [cut_L, cut_next) over persons,
so measurement error is integrated rather than ignored; with only a latent N(μ, σ²) it is
the normal probability of the band.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import yaml
from scipy import stats

from .data import InputError

LEVELS = ("A1", "A2", "B1", "B2", "C1")
BELOW = "onder A1"
REQUIRED = ("skill", "version", "method", "date", "panel", "cuts")


@dataclass(frozen=True)
class CutScoreSet:
    skill: str
    version: str
    method: str
    date: str
    panel: str
    cuts: Mapping[str, float]
    panel_size: int | None = None
    se: Mapping[str, float] = field(default_factory=dict)
    rp: float | None = None
    rounds: int | None = None

    def provenance(self) -> dict:
        """What ``publish --cuts`` writes into the form beside the cuts."""
        out = {"version": self.version, "method": self.method, "date": self.date, "panel": self.panel}
        if self.panel_size is not None:
            out["panel_size"] = self.panel_size
        if self.se:
            out["se"] = {k: float(v) for k, v in self.se.items()}
        if self.rp is not None:
            out["rp"] = self.rp
        if self.rounds is not None:
            out["rounds"] = self.rounds
        return out

    @property
    def ordered(self) -> list[tuple[str, float]]:
        return sorted(self.cuts.items(), key=lambda kv: kv[1])

    def bands(self) -> list[tuple[str, float, float]]:
        """(level, lower, upper) including the band below the first cut."""
        ordered = self.ordered
        out = [(BELOW, -np.inf, ordered[0][1])]
        for k, (level, cut) in enumerate(ordered):
            upper = ordered[k + 1][1] if k + 1 < len(ordered) else np.inf
            out.append((level, cut, upper))
        return out


def read_cut_scores(path: str | Path) -> CutScoreSet:
    path = Path(path)
    if not path.exists():
        raise InputError(path, None, "bestand bestaat niet")
    try:
        raw = yaml.safe_load(path.read_text(encoding="utf-8"))
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        raise InputError(path, mark.line + 1 if mark else None, "geen geldige YAML") from None
    if not isinstance(raw, dict):
        raise InputError(path, 1, "verwacht een mapping met skill, version, method, date, panel, cuts")
    missing = [k for k in REQUIRED if k not in raw or raw[k] in (None, "")]
    if missing:
        raise InputError(path, None, "ontbrekende velden: " + ", ".join(missing))
    cuts = raw["cuts"]
    if not isinstance(cuts, dict) or not cuts:
        raise InputError(path, None, "cuts moet een mapping niveau → θ zijn")
    bad = [k for k in cuts if k not in LEVELS]
    if bad:
        raise InputError(path, None, f"onbekend niveau {bad[0]!r}; kies uit {', '.join(LEVELS)}")
    try:
        values = {str(k): float(v) for k, v in cuts.items()}
    except (TypeError, ValueError):
        raise InputError(path, None, "elke cesuur moet een getal zijn") from None
    in_level_order = [values[k] for k in LEVELS if k in values]
    if any(b <= a for a, b in zip(in_level_order, in_level_order[1:], strict=False)):
        raise InputError(path, None, "cesuren moeten stijgen van A1 naar C1")
    extra: dict = {}
    try:
        if raw.get("panel_size") is not None:
            extra["panel_size"] = int(raw["panel_size"])
        if raw.get("rp") is not None:
            extra["rp"] = float(raw["rp"])
        if raw.get("rounds") is not None:
            extra["rounds"] = int(raw["rounds"])
        se = raw.get("se") or {}
        if not isinstance(se, dict) or any(k not in values for k in se):
            raise InputError(path, None, "se moet een mapping niveau → standaardfout zijn, voor niveaus met een cesuur")
        extra["se"] = {str(k): float(v) for k, v in se.items()}
    except (TypeError, ValueError):
        raise InputError(path, None, "panel_size, rounds, rp en se moeten getallen zijn") from None
    if any(v < 0 for v in extra["se"].values()):
        raise InputError(path, None, "een standaardfout is niet negatief")
    return CutScoreSet(str(raw["skill"]), str(raw["version"]), str(raw["method"]), str(raw["date"]),
                       str(raw["panel"]), values, **extra)


def impact_from_posterior(cuts: CutScoreSet, nodes: np.ndarray, post: np.ndarray) -> dict[str, float]:
    """Share of persons per level: mean posterior mass in each band."""
    out = {}
    for level, lo, hi in cuts.bands():
        inside = (nodes >= lo) & (nodes < hi)
        out[level] = float(post[:, inside].sum(axis=1).mean())
    return out


def impact_from_normal(cuts: CutScoreSet, mean: float = 0.0, sd: float = 1.0) -> dict[str, float]:
    """Share per level under a latent N(mean, sd²)."""
    return {level: float(stats.norm.cdf(hi, mean, sd) - stats.norm.cdf(lo, mean, sd))
            for level, lo, hi in cuts.bands()}
