"""Test manifests (``itembank/tests/<id>.yaml``): sections, designs, blueprints, cut scores."""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from toetsbatterij.scoring.design import CONTENT_METHODS, EXPOSURE_METHODS, SELECTION_METHODS

from .designs import design_from_config
from .model import Item
from .validation import MISSING, Checker, join
from .vocabulary import Vocabulary

CUT_LEVELS = ("A1", "A2", "B1", "B2", "C1")
DEFAULT_CUTS = {"A1": -2.4, "A2": -1.2, "B1": 0.0, "B2": 1.2, "C1": 2.4}
BLUEPRINT_ATTRIBUTES = ("topic", "task_type", "level", "type")
ESTIMATORS = ("eap", "map", "mle", "wle")
MODES = ("adaptive", "fixed")


@dataclass(frozen=True)
class Constraint:
    attribute: str
    value: str
    min: int
    max: int | None


@dataclass(frozen=True)
class Blueprint:
    length: int
    constraints: tuple[Constraint, ...]


@dataclass(frozen=True)
class Section:
    skill: str
    mode: str                              # adaptive | fixed
    time_limit_minutes: int | None
    design: dict | None                    # adaptive: the design config for toetsbatterij.scoring
    blueprint: Blueprint | None
    items: tuple[str, ...]                 # fixed: the item or testlet ids, in order
    pretest_positions: tuple[int, ...]


@dataclass(frozen=True)
class Manifest:
    id: str
    name: str
    purpose: str
    target_level: str | None
    cut_scores: dict[str, dict[str, float]]
    sections: tuple[Section, ...]
    reporting_scale: dict | None
    data: dict                              # the file as read (part of the bank version)
    source: str = ""
    # A form with legal weight: its listening audio must be human recordings, or each synthetic
    # file waived by a reviewer (``waivers/<id>.yaml``, checked by ``items.voice_check``).
    high_stakes: bool = False

    def section(self, skill: str) -> Section:
        return next(s for s in self.sections if s.skill == skill)

    def design(self, skill: str, version: str | None = None):
        """The ``toetsbatterij.scoring.Design`` of the adaptive section for ``skill``, named
        ``<manifest id>/<skill>``; pass the bank version as ``version`` to pin it."""
        index = next(i for i, s in enumerate(self.sections) if s.skill == skill)
        raw = self.data["sections"][index]
        if self.sections[index].mode != "adaptive":
            raise ValueError(f"section {skill} of {self.id} is not adaptive")
        return design_from_config({**raw, "target_level": self.target_level},
                                  self.cut_scores.get(skill), name=f"{self.id}/{skill}",
                                  version=version)


def _design(raw: Any, c: Checker, path: str) -> dict | None:
    """Structural check of a design block; ``parse_manifest`` then builds it with
    ``toetsbatterij.items.designs.design_from_config`` so that the manifest and the engine agree."""
    m = c.mapping(raw, path)
    if m is None:
        return None
    c.unknown_fields(m, {"estimator", "selection", "exposure", "stopping", "content", "name",
                         "version", "decision"}, path)
    dec = m.get("decision")
    if dec is not None and (dm := c.mapping(dec, join(path, "decision"))) is not None:
        c.unknown_fields(dm, {"level", "profile"}, join(path, "decision"))
        c.choice(dm, "level", join(path, "decision"), CUT_LEVELS)
        c.text(dm, "profile", join(path, "decision"), required=False, max_len=64)
    est = m.get("estimator")
    if isinstance(est, Mapping):
        c.unknown_fields(est, {"method", "prior", "bounds", "nodes"}, join(path, "estimator"))
        c.choice(est, "method", join(path, "estimator"), ESTIMATORS)
    elif est is not None:
        c.choice(m, "estimator", path, ESTIMATORS)
    sel = m.get("selection")
    if isinstance(sel, Mapping):
        sp = join(path, "selection")
        c.unknown_fields(sel, {"method", "randomesque", "kl_first", "kl_z", "at_cut",
                               "cut_window"}, sp)
        if "at_cut" in sel and not isinstance(sel["at_cut"], bool):
            c.add(join(sp, "at_cut"), "at_cut is true or false")
        c.number(sel, "cut_window", sp, required=False, minimum=0.0, maximum=10.0)
        c.choice(sel, "method", sp, SELECTION_METHODS, required=False)
        c.integer(sel, "randomesque", sp, required=False, minimum=1, maximum=50)
        c.integer(sel, "kl_first", sp, required=False, minimum=0, maximum=50)
    elif sel is not None:
        c.choice(m, "selection", path, SELECTION_METHODS)
    exp = m.get("exposure")
    if isinstance(exp, Mapping):
        ep = join(path, "exposure")
        c.unknown_fields(exp, {"method", "r_max"}, ep)
        c.choice(exp, "method", ep, EXPOSURE_METHODS)
        c.number(exp, "r_max", ep, required=False, minimum=0.0, maximum=1.0, exclusive_minimum=True)
    elif exp is not None:
        c.choice(m, "exposure", path, EXPOSURE_METHODS)
    if m.get("content") is not None:
        c.choice(m, "content", path, CONTENT_METHODS)
    stop = c.get(m, "stopping", path)
    if stop is not MISSING and (s := c.mapping(stop, join(path, "stopping"))) is not None:
        sp = join(path, "stopping")
        c.unknown_fields(s, {"min_items", "max_items", "se", "classification_z", "decisive_z",
                             "sprt", "glr", "curtail", "combine"}, sp)
        c.number(s, "decisive_z", sp, required=False, minimum=0.0, maximum=5.0,
                 exclusive_minimum=True)
        for rule, keys in (("sprt", {"level", "cut", "delta", "alpha", "beta"}),
                           ("glr", {"level", "cut", "delta", "alpha", "beta"}),
                           ("curtail", {"level", "cut", "gamma"})):
            if rule in s and (rm := c.mapping(s[rule], join(sp, rule))) is not None:
                c.unknown_fields(rm, keys, join(sp, rule))
                if "level" in rm:
                    c.choice(rm, "level", join(sp, rule), CUT_LEVELS)
        lo = c.integer(s, "min_items", sp, minimum=0, maximum=200)
        hi = c.integer(s, "max_items", sp, minimum=1, maximum=200)
        c.number(s, "se", sp, required=False, minimum=0.0, maximum=5.0, exclusive_minimum=True)
        c.number(s, "classification_z", sp, required=False, minimum=0.0, maximum=5.0,
                 exclusive_minimum=True)
        c.choice(s, "combine", sp, ("any", "all"), required=False)
        if lo is not None and hi is not None and lo > hi:
            c.add(join(sp, "min_items"), f"min_items {lo} is above max_items {hi}")
    return dict(m)


def _blueprint(raw: Any, c: Checker, path: str, vocab: Vocabulary, skill: str | None) -> Blueprint | None:
    m = c.mapping(raw, path)
    if m is None:
        return None
    c.unknown_fields(m, {"length", "constraints"}, path)
    length = c.integer(m, "length", path, minimum=1, maximum=200)
    raw_cons = c.listing(m, "constraints", path, required=False) or []
    cons = []
    allowed = {
        "topic": list(vocab.topics),
        "task_type": list(vocab.task_types.get(skill or "", {})),
        "level": list(vocab.levels),
        "type": ["single_choice", "multiple_response", "text_entry", "ordering", "matching",
                 "extended_text", "spoken_response"],
    }
    for i, rc in enumerate(raw_cons):
        p = join(join(path, "constraints"), i)
        rc = c.mapping(rc, p)
        if rc is None:
            continue
        c.unknown_fields(rc, {"attribute", "value", "min", "max", "min_share", "max_share", "share"}, p)
        attr = c.choice(rc, "attribute", p, BLUEPRINT_ATTRIBUTES)
        value = c.text(rc, "value", p, max_len=64)
        if attr is not None and value is not None and value not in allowed[attr]:
            c.add(join(p, "value"), f"{value!r} is not a {attr} of {skill} (allowed: {', '.join(allowed[attr])})")
            continue
        lo = c.integer(rc, "min", p, required=False, minimum=0, maximum=200)
        hi = c.integer(rc, "max", p, required=False, minimum=0, maximum=200)
        share = c.number(rc, "share", p, required=False, minimum=0.0, maximum=1.0)
        lo_share = c.number(rc, "min_share", p, required=False, minimum=0.0, maximum=1.0)
        hi_share = c.number(rc, "max_share", p, required=False, minimum=0.0, maximum=1.0)
        if length is not None:
            # Same rounding as toetsbatterij.items.designs: share -> [floor, ceil],
            # min_share -> ceil, max_share -> floor.
            if share is not None:
                lo = math.floor(share * length) if lo is None else lo
                hi = math.ceil(share * length) if hi is None else hi
            if lo is None and lo_share is not None:
                lo = math.ceil(lo_share * length)
            if hi is None and hi_share is not None:
                hi = math.floor(hi_share * length)
        if lo is None and hi is None:
            c.add(p, "needs min and/or max (or min_share / max_share)")
            continue
        lo = lo or 0
        if hi is not None and lo > hi:
            c.add(join(p, "min"), f"min {lo} is above max {hi}")
            continue
        if length is not None and lo > length:
            c.add(join(p, "min"), f"min {lo} is above the test length {length}")
            continue
        if attr is not None and value is not None:
            cons.append(Constraint(attr, value, lo, hi))
    if length is None:
        return None
    for attr in BLUEPRINT_ATTRIBUTES:
        total = sum(x.min for x in cons if x.attribute == attr)
        if total > length:
            c.add(join(path, "constraints"), f"the minimum counts for {attr} add up to {total}, above the length {length}")
    return Blueprint(length=length, constraints=tuple(cons))


def parse_manifest(data: Any, file: str, vocab: Vocabulary,
                   items: Mapping[str, Item] | None = None) -> tuple[Manifest | None, list]:
    c = Checker(file)
    m = c.mapping(data, "")
    if m is None:
        return None, c.problems
    c.unknown_fields(m, {"id", "name", "purpose", "target_level", "cut_scores", "reporting_scale",
                         "sections", "notes", "high_stakes",
                         "cut_score_provenance"}, "")
    raw_prov = c.get(m, "cut_score_provenance", "", required=False)
    if raw_prov is not MISSING and (pm_all := c.mapping(raw_prov, "cut_score_provenance")) is not None:
        # Where each skill's cuts came from (psychometrics publish --cuts): documentation that
        # travels with the form version; the scoring never reads it.
        for skill, prov in pm_all.items():
            pp = join("cut_score_provenance", skill)
            if skill not in vocab.skills:
                c.add(pp, f"unknown skill {skill!r}")
                continue
            if (pm := c.mapping(prov, pp)) is not None:
                c.unknown_fields(pm, {"version", "method", "date", "panel", "panel_size", "se", "rp",
                                      "rounds", "levels"}, pp)
                for key in ("method", "date", "panel"):
                    c.text({k: str(v) for k, v in pm.items()}, key, pp, max_len=300)
    mid = c.ident(m, "id", "")
    name = c.text(m, "name", "", max_len=300)
    purpose = c.text(m, "purpose", "", max_len=100)
    target = c.choice(m, "target_level", "", CUT_LEVELS, required=False)
    high_stakes = c.boolean(m, "high_stakes", "", default=False)
    scale = None
    raw_scale = c.get(m, "reporting_scale", "", required=False)
    if raw_scale is not MISSING and (s := c.mapping(raw_scale, "reporting_scale")) is not None:
        c.unknown_fields(s, {"intercept", "slope"}, "reporting_scale")
        ic = c.number(s, "intercept", "reporting_scale")
        sl = c.number(s, "slope", "reporting_scale", minimum=0.0, exclusive_minimum=True)
        scale = {"intercept": ic, "slope": sl}
    cuts: dict[str, dict[str, float]] = {}
    raw_cuts = c.get(m, "cut_scores", "")
    if raw_cuts is not MISSING and (cm := c.mapping(raw_cuts, "cut_scores")) is not None:
        for skill, per in cm.items():
            p = join("cut_scores", skill)
            if skill not in vocab.skills:
                c.add(p, f"unknown skill {skill!r}")
                continue
            pm = c.mapping(per, p)
            if pm is None:
                continue
            c.unknown_fields(pm, CUT_LEVELS, p)
            vals = {lv: c.number(pm, lv, p, required=False, minimum=-6.0, maximum=6.0)
                    for lv in CUT_LEVELS if lv in pm}
            if not vals or None in vals.values():
                if not vals:
                    c.add(p, "needs at least one cut score")
                continue
            seq = [vals[lv] for lv in CUT_LEVELS if lv in vals]
            if any(x >= y for x, y in zip(seq, seq[1:], strict=False)):
                c.add(p, f"cut scores must increase from A1 to C1, got {seq}")
                continue
            cuts[skill] = vals
    sections = []
    raw_sections = c.listing(m, "sections", "", min_len=1, max_len=8)
    for i, rs in enumerate(raw_sections or []):
        p = join("sections", i)
        rs = c.mapping(rs, p)
        if rs is None:
            continue
        c.unknown_fields(rs, {"skill", "mode", "time_limit_minutes", "design", "blueprint",
                              "items", "pretest", "title", "instructions"}, p)
        skill = c.choice(rs, "skill", p, vocab.skills)
        mode = c.choice(rs, "mode", p, MODES, required=False,
                        default="fixed" if "items" in rs else "adaptive")
        tl = c.integer(rs, "time_limit_minutes", p, required=False, minimum=1, maximum=240)
        design = blueprint = None
        fixed: tuple[str, ...] = ()
        positions: tuple[int, ...] = ()
        if mode == "adaptive":
            design = _design(c.get(rs, "design", p), c, join(p, "design")) if "design" in rs else None
            if design is None and "design" not in rs:
                c.add(join(p, "design"), "an adaptive section needs a design")
            if "blueprint" in rs:
                blueprint = _blueprint(rs["blueprint"], c, join(p, "blueprint"), vocab, skill)
            else:
                c.add(join(p, "blueprint"), "an adaptive section needs a blueprint")
            if design and blueprint and isinstance(design.get("stopping"), Mapping):
                mx = design["stopping"].get("max_items")
                if isinstance(mx, int) and mx != blueprint.length:
                    c.add(join(p, "blueprint.length"), f"length {blueprint.length} differs from design.stopping.max_items {mx}")
                mn = design["stopping"].get("min_items")
                for attr in BLUEPRINT_ATTRIBUTES:
                    total = sum(x.min for x in blueprint.constraints if x.attribute == attr)
                    if isinstance(mn, int) and total > mn:
                        c.add(join(p, "blueprint.constraints"), f"the minimum counts for {attr} add up to {total}, more than design.stopping.min_items {mn}: a test that stops early cannot meet them")
            if design is not None and blueprint is not None and not c.problems:
                try:
                    design_from_config({"skill": skill, "target_level": target, "design": rs["design"],
                                        "blueprint": rs["blueprint"]},
                                       cuts.get(skill or "") or None)
                except (ValueError, TypeError, KeyError, AttributeError) as exc:
                    c.add(join(p, "design"), f"the scoring engine refuses this design: {exc}")
        elif mode == "fixed":
            raw_items = c.listing(rs, "items", p, min_len=1, max_len=40)
            ids = [c.ident_value(x, join(join(p, "items"), k)) for k, x in enumerate(raw_items or [])]
            fixed = tuple(x for x in ids if x is not None)
            if "blueprint" in rs:
                blueprint = _blueprint(rs["blueprint"], c, join(p, "blueprint"), vocab, skill)
            if "design" in rs:
                c.add(join(p, "design"), "a fixed section has items, not an adaptive design")
        if "pretest" in rs:
            pp = join(p, "pretest")
            pm = c.mapping(rs["pretest"], pp)
            if pm is not None:
                c.unknown_fields(pm, {"positions"}, pp)
                raw_pos = c.listing(pm, "positions", pp) or []
                pos = [c.integer({"x": x}, "x", pp, minimum=1, maximum=200) for x in raw_pos]
                positions = tuple(x for x in pos if x is not None)
        if skill is not None and skill not in cuts and raw_cuts is not MISSING:
            c.add(join("cut_scores", skill), f"section {i + 1} tests {skill} but there are no cut scores for it")
        if skill is not None and mode is not None:
            sections.append(Section(skill=skill, mode=mode, time_limit_minutes=tl, design=design,
                                    blueprint=blueprint, items=fixed, pretest_positions=positions))
    skills = [s.skill for s in sections]
    if len(set(skills)) != len(skills):
        c.add("sections", "a skill appears in two sections")
    if items is not None:
        for i, s in enumerate(sections):
            for k, x in enumerate(s.items):
                it = items.get(x)
                members = [v for v in items.values() if v.testlet_id == x]
                if it is None and not members:
                    c.add(join(join(f"sections[{i}]", "items"), k), f"item {x!r} does not exist in the bank")
                    continue
                ref = it or members[0]
                if ref.skill != s.skill:
                    c.add(join(join(f"sections[{i}]", "items"), k), f"{x} is a {ref.skill} item, not {s.skill}")
                if ref.status != "operational":
                    c.add(join(join(f"sections[{i}]", "items"), k), f"{x} is {ref.status}, not operational")
    if c.problems or None in (mid, name, purpose):
        return None, c.problems
    return Manifest(id=mid, name=name, purpose=purpose, target_level=target, cut_scores=cuts,
                    sections=tuple(sections), reporting_scale=scale, data=_plain(dict(m)),
                    source=file, high_stakes=high_stakes), c.problems


def _plain(value: Any) -> Any:
    """YAML data as JSON-safe plain data (dates become ISO text)."""
    if isinstance(value, Mapping):
        return {str(k): _plain(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_plain(v) for v in value]
    if isinstance(value, str | int | float | bool) or value is None:
        return value
    return str(value)
