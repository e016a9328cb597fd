"""Decision-targeted designs: the decisive cut of a purpose profile, designs that aim at it,
and the simulation study that compares their stopping rules at equal mean length.

A purpose profile of the attest rules (``toetsbatterij/attests/default_rules.yaml``,
``profiles``) says which level a skill or kind must reach, e.g. ``nationaliteit: {mondeling:
A2}``: for listening and speaking the decision that matters is the one at the A2 cut. A
decision-targeted design (manifest ``design.decision: {level: A2, profile: nationaliteit}``)
selects at that cut once the estimate is near it (``selection.at_cut``) and stops by a sequential
rule at that cut: the confidence interval at the cut (``stopping.decisive_z``), the SPRT
(``sprt``), the generalised likelihood ratio (``glr``) or stochastic curtailment
(``curtail``), with a maximum length for candidates near the cut. The level is still reported
with its probabilities (the posterior over every band: ``scoring.classify``).

:func:`study` compares these rules at equal mean length: each rule's one parameter (z, α = β,
γ) is tuned by bisection on a tuning sample until its mean length matches the target (the
current design's), then every design is run on one fresh sample.
"""

from __future__ import annotations

import copy
import math
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np

from toetsbatterij.items.designs import design_from_config
from toetsbatterij.scoring import Design, ItemPool, simulate

__all__ = [
    "RULES",
    "DesignRow",
    "decisive_levels",
    "simulated_pool",
    "study",
    "targeted_config",
]


def decisive_levels(ruleset: Any, profile: str) -> dict[str, str]:
    """Skill -> the level a purpose profile requires of it (kinds spread over their skills).

    ``ruleset``: an ``toetsbatterij.attests.rules.RuleSet``."""
    out: dict[str, str] = {}
    kinds = {k.code: k for k in ruleset.kinds}
    for target, level in ruleset.profile(profile).requires:
        for skill in kinds[target].skills if target in kinds else (target,):
            if skill not in out or ruleset.rank(level) > ruleset.rank(out[skill]):
                out[skill] = level
    return out


def simulated_pool(pool: ItemPool, seed: int, *, median: float = 1.3, log_sd: float = 0.3) -> ItemPool:
    """The same pool (items, testlets, blueprint attributes, enemies, difficulties, K values)
    with discriminations drawn from a lognormal with the given median and log-SD
    (logistic metric, D = 1)."""
    rng = np.random.default_rng(seed)
    a = np.exp(math.log(median) + log_sd * rng.standard_normal(pool.n))
    return pool._replace(a=a)


def targeted_config(section: Mapping[str, Any], level: str, max_items: int,
                    stopping: Mapping[str, Any], *, min_items: int | None = None,
                    cut_window: float = 2.0, profile: str | None = None) -> dict[str, Any]:
    """A decision-targeted version of a manifest section: decision at ``level``, selection at
    the cut, the given stopping criteria, length ``max_items`` (the blueprint's maxima scaled
    with the length, its minima kept)."""
    cfg = copy.deepcopy(dict(section))
    design = dict(cfg.get("design") or {})
    design["decision"] = {"level": level, **({"profile": profile} if profile else {})}
    selection = design.get("selection") or {}
    if isinstance(selection, str):
        selection = {"method": selection}
    design["selection"] = {**selection, "at_cut": True, "cut_window": cut_window}
    old = dict(design.get("stopping") or {})
    design["stopping"] = {"min_items": int(old.get("min_items", 0) if min_items is None else min_items),
                          "max_items": int(max_items), **stopping}
    cfg["design"] = design
    blueprint = dict(cfg.get("blueprint") or {})
    old_length = int(blueprint.get("length") or old.get("max_items") or max_items)
    blueprint["length"] = int(max_items)
    blueprint["constraints"] = [
        {**c, "max": int(math.ceil(c["max"] * max_items / old_length))} if c.get("max") is not None else dict(c)
        for c in blueprint.get("constraints", [])]
    cfg["blueprint"] = blueprint
    return cfg


@dataclass(frozen=True)
class Rule:
    """A stopping rule of the study: its name, how its parameter enters the manifest's
    ``stopping`` block, the bisection range and whether the range is searched in log space.
    ``longer_when_up``: a larger parameter gives longer tests."""

    name: str
    label: str
    stopping: Callable[[float], dict[str, Any]]
    lo: float
    hi: float
    log: bool
    longer_when_up: bool
    parameter: str


RULES: tuple[Rule, ...] = (
    Rule("ci", "CI at the cut", lambda z: {"decisive_z": z}, 0.5, 4.0, False, True, "z"),
    Rule("sprt", "SPRT (δ = 0.3)",
         lambda a: {"sprt": {"delta": 0.3, "alpha": a, "beta": a}}, 1e-4, 0.3, True, False, "α = β"),
    Rule("glr", "GLR (δ = 0.1)",
         lambda a: {"glr": {"delta": 0.1, "alpha": a, "beta": a}}, 1e-4, 0.3, True, False, "α = β"),
    Rule("curtail", "stochastic curtailment",
         lambda g: {"curtail": {"gamma": g}}, 1e-4, 0.3, True, False, "γ"),
)


CURRENT = "current design (CI at every cut)"


@dataclass(frozen=True)
class DesignRow:
    bank: str
    design: str
    parameter: str
    accuracy: float           # at the decisive cut: (θ̂ ≥ cut) == (θ ≥ cut)
    level_accuracy: float
    length_mean: float
    length_p95: float
    length_max: int
    exposure_max: float
    overlap: float
    n: int


def _row(bank: str, name: str, parameter: str, design: Design, pool: ItemPool, thetas: np.ndarray,
         seed: int, cut: float) -> DesignRow:
    rep = simulate(design, pool, thetas, seed)
    return DesignRow(bank, name, parameter,
                     float(np.mean((rep.theta_hat >= cut) == (thetas >= cut))),
                     float(rep.level_accuracy or 0.0), float(rep.length_mean),
                     float(np.percentile(rep.lengths, 95)), int(rep.length_max),
                     float(rep.exposure_max), float(rep.overlap_rate), int(thetas.size))


def tune(rule: Rule, build: Callable[[float], Design], pool: ItemPool, thetas: np.ndarray,
         target: float, seed: int, iterations: int = 9) -> float:
    """The parameter of ``rule`` with the longest mean length on ``thetas`` that is not above
    ``target`` (bisection; the same simulees and seed at every step, so the length is a step
    function of the parameter only). When every step is too long, the shortest."""
    lo, hi = rule.lo, rule.hi
    best, best_len = None, -math.inf
    shortest, shortest_len = None, math.inf
    for _ in range(iterations):
        mid = math.sqrt(lo * hi) if rule.log else (lo + hi) / 2
        length = simulate(build(mid), pool, thetas, seed).length_mean
        if best_len < length <= target:
            best, best_len = mid, length
        if length < shortest_len:
            shortest, shortest_len = mid, length
        too_long = length > target
        if too_long == rule.longer_when_up:
            hi = mid
        else:
            lo = mid
    return float(best if best is not None else shortest)


def study(bank_name: str, pool: ItemPool, section: Mapping[str, Any], cuts: Mapping[str, float],
          level: str, *, max_items: int, n: int, n_tune: int, seed: int,
          target_length: float | None = None, min_items: int | None = None,
          progress: Callable[[str], None] = lambda s: None, target_level: str | None = None,
          version: str = "study", margin: float = 0.0) -> list[DesignRow]:
    """The current design of ``section`` and the four decision-targeted rules at equal mean
    length (the current design's, or ``target_length``) on ``pool``; one row each. Each rule is
    tuned on the first ``n_tune`` simulees to at most the target minus ``margin`` (a tuning
    sample smaller than the whole lands a little off the target)."""
    cut = float(cuts[level])
    rng = np.random.default_rng(seed)
    thetas = rng.standard_normal(n)
    # Equal mean length is the comparison, so the length is tuned on the simulees themselves
    # (their first n_tune); accuracy is not what is tuned.
    tuning = thetas[:n_tune]
    current = design_from_config({**section, "target_level": target_level}, cuts,
                                 name=f"{bank_name}/current", version=version)
    rows = [_row(bank_name, CURRENT, "z = "
                 + str((section.get("design") or {}).get("stopping", {}).get("classification_z", "")),
                 current, pool, thetas, seed, cut)]
    progress(f"{bank_name}: current design {rows[0].length_mean:.2f} items")
    target = rows[0].length_mean if target_length is None else float(target_length)
    for rule in RULES:
        def build(value: float, rule: Rule = rule) -> Design:
            cfg = targeted_config(section, level, max_items, rule.stopping(value), min_items=min_items)
            return design_from_config({**cfg, "target_level": target_level}, cuts,
                                      name=f"{bank_name}/{rule.name}", version=version)
        value = tune(rule, build, pool, tuning, target - margin, seed)
        rows.append(_row(bank_name, f"{rule.label}, at-cut selection, max {max_items}",
                         f"{rule.parameter} = {value:.3g}", build(value), pool, thetas, seed, cut))
        progress(f"{bank_name}: {rule.name} {rows[-1].length_mean:.2f} items, "
                 f"{100 * rows[-1].accuracy:.1f} %")
    return rows


def markdown(rows: list[DesignRow], level: str) -> str:
    head = (f"| bank | design | parameter | accuracy at {level} | level accuracy | mean length "
            "| p95 length | max length | max exposure | overlap |\n"
            "|---|---|---|---:|---:|---:|---:|---:|---:|---:|")
    body = [f"| {r.bank} | {r.design} | {r.parameter} | {100 * r.accuracy:.1f} % | "
            f"{100 * r.level_accuracy:.1f} % | {r.length_mean:.1f} | {r.length_p95:.0f} | "
            f"{r.length_max} | {r.exposure_max:.3f} | {r.overlap:.3f} |" for r in rows]
    return "\n".join([head, *body])


def best(rows: list[DesignRow], bank: str) -> DesignRow:
    """The most accurate decision-targeted design of ``bank`` (rows from :func:`study`)."""
    return max((r for r in rows if r.bank == bank and not r.design.startswith(CURRENT)),
               key=lambda r: r.accuracy)
