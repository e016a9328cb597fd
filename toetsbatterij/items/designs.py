"""Designs read from a test manifest: the item bank owns the manifest format (itembank/FORMAT.md,
"Test manifests"); the scoring core only provides the constructors (``Design``, ``EAP``, ...).

``design_from_config(section, cut_scores)`` builds one :class:`~toetsbatterij.scoring.Design`
from a manifest section; ``designs_from_manifest(manifest)`` one per adaptive section;
``exposure_method(section)`` is the exposure method a section asks for.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import numpy as np

from toetsbatterij.scoring import (
    EAP,
    GLR,
    MAP,
    MLE,
    SPRT,
    WLE,
    Blueprint,
    ClassificationCI,
    Constraint,
    CutScores,
    Design,
    SelectionRule,
    StochasticCurtailment,
    standard_stopping,
)

__all__ = ["design_from_config", "designs_from_manifest", "exposure_method"]


def exposure_method(section: Mapping[str, Any]) -> str:
    """The exposure method of a manifest section's design (``"none"`` when it names none)."""
    exposure = (section.get("design") or {}).get("exposure")
    if isinstance(exposure, Mapping):
        return str(exposure.get("method", "none"))
    return str(exposure or "none")


def _estimator_from_config(spec: Any) -> Any:
    if spec is None:
        return EAP()
    if isinstance(spec, str):
        spec = {"method": spec}
    spec = dict(spec)
    method = str(spec.pop("method", "eap")).lower()
    prior = spec.pop("prior", {}) or {}
    bounds = tuple(spec.pop("bounds", (-6.0, 6.0)))
    if method == "eap":
        return EAP(
            prior_mean=float(prior.get("mean", 0.0)),
            prior_sd=float(prior.get("sd", 1.0)),
            n_nodes=int(spec.pop("nodes", 81)),
            bounds=bounds,
        )
    if method == "map":
        return MAP(float(prior.get("mean", 0.0)), float(prior.get("sd", 1.0)), bounds)
    if method == "mle":
        return MLE(bounds)
    if method == "wle":
        return WLE(bounds)
    raise ValueError(f"unknown estimator {method!r}")


def _constraints_from_config(blueprint: Mapping[str, Any], length: int) -> tuple[Constraint, ...]:
    out = []
    for raw in blueprint.get("constraints", []) or []:
        lo = raw.get("min")
        hi = raw.get("max")
        if "share" in raw:
            share = float(raw["share"])
            lo = int(np.floor(share * length)) if lo is None else lo
            hi = int(np.ceil(share * length)) if hi is None else hi
        if "min_share" in raw and lo is None:
            lo = int(np.ceil(float(raw["min_share"]) * length))
        if "max_share" in raw and hi is None:
            hi = int(np.floor(float(raw["max_share"]) * length))
        lo = int(lo or 0)
        hi = None if hi is None else int(hi)
        if hi is not None and hi < lo:
            raise ValueError(f"constraint {raw}: max < min")
        out.append(Constraint(str(raw["attribute"]), str(raw["value"]), lo, hi))
    return tuple(out)


def design_from_config(
    config: Mapping[str, Any],
    cut_scores: Mapping[str, float] | CutScores | None = None,
    *,
    name: str | None = None,
    version: str | None = None,
) -> Design:
    """Build a :class:`Design` from a manifest section (``design`` + ``blueprint`` blocks).

    Parameters
    ----------
    config : mapping
        A section of a test manifest (itembank/FORMAT.md, "Test manifests"): keys ``design``
        (``estimator``, ``selection: {method, randomesque, kl_first}``,
        ``exposure: {method: none | sympson_hetter}``, ``content: heuristic | shadow | none``,
        ``stopping: {min_items, max_items, se, classification_z,
        sprt: {level | cut, delta, alpha, beta}, combine: any | all}``), ``blueprint``
        (``length``, ``constraints: [{attribute, value, min, max | share | min_share |
        max_share}]``) and optionally ``skill``, ``name``, ``version``, ``target_level``.
    cut_scores : ``{"A1": θ, ...}`` for this section's skill, or CutScores, optional
        Needed for the classification and SPRT stopping rules.
    name, version : str, optional
        Override ``config["name"]`` / ``config["version"]`` (defaults: skill, ``"1"``).
    """
    d = dict(config.get("design", {}) or {})
    bp = dict(config.get("blueprint", {}) or {})
    stop = dict(d.get("stopping", {}) or {})
    cuts = (
        cut_scores
        if isinstance(cut_scores, CutScores) or cut_scores is None
        else CutScores.from_mapping(cut_scores)
    )
    length = bp.get("length")
    max_items = int(stop.get("max_items", length if length is not None else 30))
    min_items = int(stop.get("min_items", 0))
    blueprint = Blueprint(
        None if length is None else int(length),
        _constraints_from_config(bp, int(length) if length is not None else max_items),
    )
    target = config.get("target_level")
    decision = dict(d.get("decision", {}) or {})
    decisive_level = decision.get("level")

    def cut_of(spec: Mapping[str, Any], rule: str) -> float:
        """θ of a rule's cut: its own ``cut``, its ``level``, the design's decisive level or
        the target level, in that order."""
        if spec.get("cut") is not None:
            return float(spec["cut"])
        level = spec.get("level") or decisive_level or target
        if cuts is None or level is None:
            raise ValueError(f"{rule} needs a cut or a level with cut scores")
        return cuts.cut_of(str(level))

    sel = d.get("selection", {}) or {}
    if isinstance(sel, str):
        sel = {"method": sel}
    at_cut = sel.get("at_cut")
    selection = SelectionRule(
        method=str(sel.get("method", "max_info")),
        randomesque=int(sel.get("randomesque", 1) or 1),
        kl_first=int(sel.get("kl_first", 0) or 0),
        kl_z=float(sel.get("kl_z", 3.0)),
        at_cut=cut_of({}, "selection at the cut") if at_cut else None,
        cut_window=float(sel.get("cut_window", 2.0)),
    )
    exposure = d.get("exposure", {}) or {}
    exposure_method = str(exposure if isinstance(exposure, str) else exposure.get("method", "none"))
    r_max = (
        None
        if isinstance(exposure, str) or exposure.get("r_max") is None
        else float(exposure["r_max"])
    )
    content = d.get("content", "heuristic" if blueprint.constraints else "none")
    if isinstance(content, Mapping):
        content = content.get("method", "heuristic")
    classification = None
    if stop.get("classification_z") is not None and stop.get("decisive_z") is not None:
        raise ValueError("classification_z and decisive_z exclude each other")
    if stop.get("classification_z") is not None:
        if cuts is None:
            raise ValueError("classification stopping needs cut scores")
        classification = ClassificationCI(cuts, float(stop["classification_z"]))
    if stop.get("decisive_z") is not None:
        # The confidence interval at the decisive cut only: the other cuts do not decide.
        cut = cut_of({}, "decisive_z")
        classification = ClassificationCI(
            CutScores(("decisive",), np.array([cut])), float(stop["decisive_z"])
        )
    sprt = None
    if stop.get("sprt"):
        spec = dict(stop["sprt"])
        sprt = SPRT(
            cut_of(spec, "SPRT"),
            float(spec.get("delta", 0.3)),
            float(spec.get("alpha", 0.05)),
            float(spec.get("beta", 0.05)),
        )
    glr = None
    if stop.get("glr"):
        spec = dict(stop["glr"])
        glr = GLR(
            cut_of(spec, "GLR"),
            float(spec.get("delta", 0.1)),
            float(spec.get("alpha", 0.05)),
            float(spec.get("beta", 0.05)),
        )
    curtailment = None
    if stop.get("curtail"):
        spec = dict(stop["curtail"])
        curtailment = StochasticCurtailment(
            cut_of(spec, "curtailment"), max_items, float(spec.get("gamma", 0.05))
        )
    stopping = standard_stopping(
        min_items,
        max_items,
        se=stop.get("se"),
        classification=classification,
        sprt=sprt,
        glr=glr,
        curtailment=curtailment,
        combine=str(stop.get("combine", "any")),
    )
    skill = config.get("skill")
    return Design(
        name=str(name or config.get("name") or skill or "design"),
        version=str(version or config.get("version") or "1"),
        estimator=_estimator_from_config(d.get("estimator")),
        selection=selection,
        exposure=exposure_method,
        r_max=r_max,
        content=str(content),
        blueprint=blueprint,
        min_items=min_items,
        max_items=max_items,
        stopping=stopping,
        cut_scores=cuts,
        target_level=None if target is None else str(target),
        skill=None if skill is None else str(skill),
        decisive_level=None if decisive_level is None else str(decisive_level),
    )


def designs_from_manifest(manifest: Mapping[str, Any]) -> dict[str, Design]:
    """One :class:`Design` per section of a whole test manifest, keyed by skill.

    Names are ``"<manifest id>/<skill>"``; the version is the manifest's ``version`` (default
    ``"1"``); cut scores come from ``cut_scores[<skill>]``; ``target_level`` from the manifest
    unless the section sets its own. Sections without a ``design`` block (fixed, rated
    tasks such as writing and speaking) are left out.
    """
    cut_scores = manifest.get("cut_scores", {}) or {}
    out: dict[str, Design] = {}
    for section in manifest.get("sections", []) or []:
        if not section.get("design"):
            continue
        skill = str(section["skill"])
        merged = {"target_level": manifest.get("target_level"), **section}
        out[skill] = design_from_config(
            merged,
            cut_scores.get(skill),
            name=f"{manifest.get('id', 'test')}/{skill}",
            version=str(manifest.get("version", "1")),
        )
    return out
