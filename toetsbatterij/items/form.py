"""A test form: one typed, immutable, versioned value from which a test is delivered and scored.

``build_form(bank, test_id)`` takes a test manifest and the bank and keeps exactly what the test
can present and everything that can change a score or a decision: the manifest (sections,
designs, blueprints, cut scores, reporting scale), every item, testlet and practice unit the
form can show (content, metadata, parameters, stimulus asset digests), the tuned Sympson-Hetter
K values of the test, the rubrics of its rated tasks and the enemy map between its items.

``form.version`` is the SHA-256 of that content (its canonical JSON document, see
:meth:`TestForm.to_document`): changing any K value, parameter, rubric, cut score, item text or
stimulus file changes it; a change elsewhere in the bank does not. The document is all that is
needed to rebuild the form without the bank (``TestForm.from_document``), which is how a form is
pinned: an attempt that stores the version can always be recomputed on exactly its form.

A form built from the bank and one rebuilt from its document are the same by construction: both
are made by the one private constructor from the document.
"""

from __future__ import annotations

import hashlib
import json
import threading
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path, PurePosixPath
from typing import Any, Protocol

import numpy as np

from toetsbatterij.scoring import (
    RATED_ESTIMATOR,
    RATED_ESTIMATOR_SETTINGS,
    AdministrationState,
    CutScores,
    Design,
    Estimate,
    ItemPool,
    RatedObservation,
    ReportingScale,
    category_probabilities,
    classify,
    item_information,
    next_step,
    rated_eap,
    rng_for,
    rudner,
    simulate,
)

from .api import check_response, view_model
from .api import score as score_item
from .designs import design_from_config, exposure_method
from .errors import FormDocumentError, InvalidResponse, UnknownContent, UnusableAnswer
from .exposure import POOL_STATUSES, check_against_manifests, k_array, load_k_values
from .model import Criterion, Item, Parameters, Rubric, Stimulus, Testlet, canonical_json
from .parameters import provisional
from .pool import enemy_pairs, item_record
from .types import REGISTRY

__all__ = ["FORM_FORMAT", "RATED_ESTIMATOR", "RATED_ESTIMATOR_SETTINGS", "Classification", "FormSection",
           "RatedProduction", "Selection", "TestForm", "build_form", "build_forms", "enemy_map"]

#: Version of the document layout; part of the hashed content.
FORM_FORMAT = 1
DEFAULT_MAX_PLAYS = 2

AssetRoot = Path | Callable[[str, str], Path]


@dataclass(frozen=True)
class Selection:
    """What the form decides for the next position of a section."""

    unit_id: str | None          # None: the section stops
    kind: str = "operational"    # operational | pretest
    theta: float | None = None
    se: float | None = None
    stop_reason: str = ""


@dataclass(frozen=True)
class Classification:
    """The level decision of one section, with its uncertainty (``scoring.cefr.classify``).

    ``probabilities``: P(level | responses) for every level; ``p_correct``: P(the decided level
    is the candidate's level) = ``probabilities[level]``; ``p_at_least_target``: P(level >=
    the form's target level). A fixed section, or one without responses, has no decision
    (``theta``/``se`` None, ``level`` "", empty probabilities).
    """

    theta: float | None
    se: float | None
    level: str
    probabilities: dict[str, float] = field(default_factory=dict)
    p_correct: float | None = None
    p_at_least_target: float | None = None
    target: str | None = None

    def as_tuple(self) -> tuple[float | None, float | None, str]:
        return self.theta, self.se, self.level


class _Observation(Protocol):
    criterion: str
    score: int
    weight: float
    rater_id: int | None


class RatedProduction(Protocol):
    """What :meth:`TestForm.rated_classification` reads of a resolved production (a
    ``rating.resolution.Resolution``): the item and its weighted criterion observations."""

    item_id: str
    observations: Sequence[_Observation]


@dataclass(frozen=True)
class FormSection:
    """One section of a form, typed.

    ``units``: a fixed section's units (item or testlet ids) in order; ``design_name``: the pinned
    design's name (``<test id>/<skill>``, empty for a fixed section), whose version is the form
    version; ``exposure``: ``none`` | ``sympson_hetter``; ``config``: the manifest section as
    written (design and blueprint blocks).
    """

    index: int
    skill: str
    mode: str                              # adaptive | fixed
    time_limit_minutes: float
    pretest_positions: tuple[int, ...]
    units: tuple[str, ...]
    design_name: str
    exposure: str
    config: Mapping[str, Any] = field(repr=False)

    @property
    def adaptive(self) -> bool:
        return self.mode == "adaptive"

    def pretest_due(self, position: int) -> bool:
        """Whether the unit at 0-based ``position`` is a pretest slot (positions are 1-based)."""
        return (position + 1) in self.pretest_positions


# -- building ------------------------------------------------------------------------------------


def build_forms(bank: Any) -> dict[str, TestForm]:
    """Every test manifest of ``bank`` as a form, keyed by test id."""
    k_values = load_k_values(bank.root)
    check_against_manifests(k_values, {m.id: m.data for m in bank.tests.values()})
    return {test_id: _build(bank, test_id, k_values) for test_id in sorted(bank.tests)}


def build_form(bank: Any, test_id: str) -> TestForm:
    """The form of manifest ``test_id`` of a loaded ``toetsbatterij.items.Bank``."""
    if test_id not in bank.tests:
        raise UnknownContent(detail=f"no test manifest {test_id!r} in the bank")
    k_values = load_k_values(bank.root)
    mine = {test_id: k_values[test_id]} if test_id in k_values else {}
    check_against_manifests(mine, {test_id: bank.tests[test_id].data})
    return _build(bank, test_id, k_values)


def enemy_map(bank: Any) -> dict[str, frozenset[str]]:
    """Item id -> the item ids it may never appear with, over the whole bank (all skills).

    Symmetric (an enemy listed on one side binds both), and a testlet stands for all its
    members, whether it is named as an enemy or lists enemies itself.
    """
    members: dict[str, list[str]] = {t.id: [i.id for i in t.items] for t in bank.testlets.values()}
    out: dict[str, set[str]] = {}

    def bind(a: str, b: str) -> None:
        for x in members.get(a, [a]):
            for y in members.get(b, [b]):
                if x != y:
                    out.setdefault(x, set()).add(y)
                    out.setdefault(y, set()).add(x)

    for item in bank.items.values():
        for enemy in item.enemies:
            bind(item.id, enemy)
    for testlet in bank.testlets.values():
        for enemy in testlet.enemies:
            bind(testlet.id, enemy)
    return {k: frozenset(v) for k, v in out.items()}


def _section_mode(section: Mapping[str, Any]) -> str:
    return str(section.get("mode") or ("fixed" if "items" in section else "adaptive"))


def _build(bank: Any, test_id: str, k_values: Mapping[str, Any]) -> TestForm:
    manifest = bank.tests[test_id]
    data = manifest.data
    wanted: set[str] = set()           # item ids the form can present (scored)
    for section in data["sections"]:
        if _section_mode(section) == "fixed":
            for unit_id in section.get("items", []):
                testlet = bank.testlets.get(unit_id)
                wanted.update(testlet.item_ids if testlet else [unit_id])
        else:
            wanted.update(i.id for i in bank.items.values()
                          if i.skill == section["skill"] and i.status in POOL_STATUSES)
    items = [i for i in bank.items.values() if i.id in wanted]  # bank order: the pool order
    testlet_ids = list(dict.fromkeys(i.testlet_id for i in items if i.testlet_id))
    testlets = [bank.testlets[t] for t in testlet_ids]
    skills = list(dict.fromkeys(s["skill"] for s in data["sections"]))
    practice = {}
    for skill in skills:
        ps = bank.practice.get(skill)
        if ps is not None:
            practice[skill] = {"title": ps.title, "instructions": ps.instructions,
                               "items": [_item_doc(i) for i in ps.items.values()],
                               "testlets": [_testlet_doc(t) for t in ps.testlets.values()]}
    rubric_ids = sorted({i.rubric for i in items if i.rated and i.rubric}
                        | {i["definition"]["rubric"] for ps in practice.values() for i in ps["items"]
                           if i["definition"].get("rubric")})
    enemies = enemy_map(bank)
    pairs = sorted({tuple(sorted((a, b))) for a in wanted for b in enemies.get(a, ())
                    if b in wanted})
    units: list[Item | Testlet] = [i for i in items if i.testlet_id is None] + testlets
    units += [i for ps in bank.practice.values() if ps.skill in practice
              for i in ps.items.values() if i.testlet_id is None]
    units += [t for ps in bank.practice.values() if ps.skill in practice
              for t in ps.testlets.values()]
    assets: dict[str, str] = {}
    for unit in units:
        stimuli = [unit.stimulus] + [i.stimulus for i in getattr(unit, "items", ())]
        for stim in stimuli:
            if stim is not None and stim.src:
                rel = _asset_rel(unit, stim.src)
                assets[rel] = hashlib.sha256((bank.root / rel).read_bytes()).hexdigest()
    doc = {
        "format": FORM_FORMAT,
        "test": test_id,
        "manifest": data,
        "items": [_item_doc(i) for i in items],
        "testlets": [_testlet_doc(t) for t in testlets],
        "practice": practice,
        "rubrics": {r: _rubric_doc(bank.rubrics[r]) for r in rubric_ids if r in bank.rubrics},
        "exposure": dict(k_values.get(test_id, {})),
        "enemies": [list(p) for p in pairs],
        "assets": assets,
    }
    doc = json.loads(canonical_json(doc))
    doc["version"] = _digest(doc)
    root = Path(bank.root)
    return TestForm._from_document(doc, lambda digest, rel: root / rel)


def _asset_rel(unit: Item | Testlet, src: str) -> str:
    return (PurePosixPath(unit.source).parent / src).as_posix()


def _digest(doc: Mapping[str, Any]) -> str:
    body = {k: v for k, v in doc.items() if k != "version"}
    return hashlib.sha256(canonical_json(body).encode("utf-8")).hexdigest()


# -- (de)serialisation of the bank objects ------------------------------------------------------


def _item_doc(item: Item) -> dict[str, Any]:
    return asdict(item)


def _testlet_doc(testlet: Testlet) -> dict[str, Any]:
    out = {k: v for k, v in asdict(testlet).items() if k != "items"}
    out["items"] = [i.id for i in testlet.items]
    return out


def _rubric_doc(rubric: Rubric) -> dict[str, Any]:
    return asdict(rubric)


def _stimulus(d: Mapping[str, Any] | None) -> Stimulus | None:
    if d is None:
        return None
    return Stimulus(**{**d, "script": tuple(dict(t) for t in d.get("script") or ())})


def _parameters(p: Mapping[str, Any]) -> Parameters:
    return Parameters(**{**p, "thresholds": tuple(p["thresholds"])})


def _item(d: Mapping[str, Any], rubrics: Mapping[str, Any]) -> Item:
    p = d.get("parameters")
    params = None if p is None else _parameters(p)
    written = d.get("criterion_parameters")
    if written is None:
        # A document from before criterion parameters were part of the form: its rated items
        # get the provisional parameters per criterion that the bank gave them (the rule is a
        # function of the item id, its level and its rubric, all in the document).
        per_criterion = _provisional_criteria(d, rubrics)
    else:
        per_criterion = {k: _parameters(v) for k, v in written.items()}
    return Item(**{**d, "stimulus": _stimulus(d.get("stimulus")), "parameters": params,
                   "enemies": tuple(d["enemies"]), "criterion_parameters": per_criterion,
                   "explicit_criteria": tuple(d.get("explicit_criteria") or ())})


def _provisional_criteria(d: Mapping[str, Any], rubrics: Mapping[str, Any]
                          ) -> dict[str, Parameters]:
    rubric = rubrics.get((d.get("definition") or {}).get("rubric") or "")
    if rubric is None or not REGISTRY[d["type"]].rated:
        return {}
    return {c["id"]: provisional(f"{d['id']}/{c['id']}", d["level"],
                                 max(level["score"] for level in c["levels"]))
            for c in rubric["criteria"]}


def _testlet(d: Mapping[str, Any], items: Mapping[str, Item]) -> Testlet:
    return Testlet(**{**d, "stimulus": _stimulus(d["stimulus"]),
                      "items": tuple(items[i] for i in d["items"]),
                      "enemies": tuple(d["enemies"])})


def _rubric(d: Mapping[str, Any]) -> Rubric:
    criteria = tuple(Criterion(id=c["id"], name=c["name"], levels=tuple(c["levels"]))
                     for c in d["criteria"])
    return Rubric(**{**d, "criteria": criteria})


# -- the form's classification figures ----------------------------------------------------------

#: The rule by which :meth:`TestForm.decision_figures` computes a form's figures (a result
#: frozen with it stores the name; change the name when the computation changes).
FIGURES_RULE = "rudner-sim-se-v1"
FIGURES_SEED = 20261130
FIGURES_GRID = tuple(float(x) for x in np.linspace(-4.0, 4.0, 17))
FIGURES_REPLICATIONS = 6
#: Forms are immutable per version, so their figures are computed once per process.
_FIGURES: dict[tuple[str, int], dict[str, Any] | None] = {}
_FIGURES_LOCK = threading.Lock()


def _round(value: Any) -> Any:
    if isinstance(value, float):
        return round(value, 6)
    if isinstance(value, dict):
        return {k: _round(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_round(v) for v in value]
    return value


# -- the form ------------------------------------------------------------------------------------


@dataclass(frozen=True, eq=False)
class TestForm:
    """One test form (see the module docstring). Build it with :func:`build_form` or
    :meth:`from_document`; it never changes, so pools and designs are built once and kept."""

    __test__ = False  # not a pytest test class, despite the name

    id: str
    name: str
    purpose: str
    target_level: str | None
    version: str
    sections: tuple[FormSection, ...]
    cut_scores: Mapping[str, Mapping[str, float]]
    reporting_scale: ReportingScale | None
    rubrics: Mapping[str, Rubric]
    k_values: Mapping[str, Mapping[str, Any]]
    items: Mapping[str, Item] = field(repr=False)          # every item, practice included
    testlets: Mapping[str, Testlet] = field(repr=False)    # every testlet, practice included
    enemies: Mapping[str, frozenset[str]] = field(repr=False)
    _document: Mapping[str, Any] = field(repr=False)
    _asset_root: Callable[[str, str], Path] = field(repr=False)
    _units: Mapping[str, Item | Testlet] = field(repr=False)
    _practice: Mapping[str, tuple[str, ...]] = field(repr=False)
    _cache: dict = field(init=False, repr=False)
    _lock: Any = field(init=False, repr=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "_cache", {})
        object.__setattr__(self, "_lock", threading.RLock())  # builds nest

    # -- documents -------------------------------------------------------------------------------

    @classmethod
    def from_document(cls, doc: Mapping[str, Any], asset_root: AssetRoot) -> TestForm:
        """Rebuild a form from :meth:`to_document`, without the bank.

        ``asset_root``: the folder the document's relative asset paths are under (a bank root),
        or a callable ``(digest, relative path) -> Path`` (e.g. a content-addressed store).
        Raises :class:`FormDocumentError` when the document's content does not match its version.
        """
        if not isinstance(doc, Mapping) or doc.get("format") != FORM_FORMAT:
            raise FormDocumentError(detail="not a test form document of a known format")
        doc = json.loads(canonical_json(doc))
        if _digest(doc) != doc.get("version"):
            raise FormDocumentError(
                detail=f"form {doc.get('test')!r}: content does not match version "
                       f"{str(doc.get('version'))[:16]}")
        if isinstance(asset_root, str | Path):
            base = Path(asset_root)
            resolver: Callable[[str, str], Path] = lambda digest, rel: base / rel  # noqa: E731
        else:
            resolver = asset_root
        return cls._from_document(doc, resolver)

    @classmethod
    def _from_document(cls, doc: dict[str, Any], resolver: Callable[[str, str], Path]) -> TestForm:
        data = doc["manifest"]
        items: dict[str, Item] = {}
        testlets: dict[str, Testlet] = {}
        units: dict[str, Item | Testlet] = {}
        for d in doc["items"]:
            items[d["id"]] = _item(d, doc["rubrics"])
        for d in doc["testlets"]:
            testlets[d["id"]] = _testlet(d, items)
        units.update((i.id, i) for i in items.values() if i.testlet_id is None)
        units.update(testlets)
        practice: dict[str, tuple[str, ...]] = {}
        for skill, ps in doc["practice"].items():
            own = [_item(d, doc["rubrics"]) for d in ps["items"]]
            items.update((i.id, i) for i in own)
            lookup = {i.id: i for i in own}
            mine = [i.id for i in own if i.testlet_id is None]
            for d in ps["testlets"]:
                t = _testlet(d, lookup)
                testlets[t.id] = t
                mine.append(t.id)
            units.update((i.id, i) for i in own if i.testlet_id is None)
            units.update((u, testlets[u]) for u in mine if u in testlets)
            practice[skill] = tuple(sorted(mine))
        enemies: dict[str, set[str]] = {}
        for a, b in doc["enemies"]:
            enemies.setdefault(a, set()).add(b)
            enemies.setdefault(b, set()).add(a)
        sections = tuple(
            FormSection(
                index=k, skill=str(s["skill"]), mode=_section_mode(s),
                time_limit_minutes=s.get("time_limit_minutes"),
                pretest_positions=tuple(int(x) for x in (s.get("pretest") or {}).get("positions")
                                        or ()),
                units=tuple(s.get("items", ())) if _section_mode(s) == "fixed" else (),
                design_name=f"{data['id']}/{s['skill']}" if _section_mode(s) == "adaptive" else "",
                exposure=exposure_method(s), config=s)
            for k, s in enumerate(data["sections"]))
        scale = data.get("reporting_scale")
        return cls(
            id=str(data["id"]), name=str(data["name"]), purpose=str(data.get("purpose", "attest")),
            target_level=data.get("target_level"), version=doc["version"], sections=sections,
            cut_scores=data.get("cut_scores") or {},
            reporting_scale=None if not scale else ReportingScale(float(scale["intercept"]),
                                                                  float(scale["slope"])),
            rubrics={k: _rubric(v) for k, v in doc["rubrics"].items()},
            k_values=doc["exposure"], items=items, testlets=testlets,
            enemies={k: frozenset(v) for k, v in enemies.items()}, _document=doc,
            _asset_root=resolver, _units=units, _practice=practice)

    def to_document(self) -> dict[str, Any]:
        """The form as canonical JSON-safe data (a fresh copy): manifest, items with metadata and
        parameters, testlets, practice sets, rubrics, K values, enemy pairs, asset digests with
        their relative paths, and the version (the SHA-256 of everything else)."""
        return json.loads(canonical_json(self._document))

    @property
    def manifest(self) -> dict[str, Any]:
        """The test manifest as written (a copy)."""
        return json.loads(canonical_json(self._document["manifest"]))

    def assets(self) -> list[tuple[str, str]]:
        """``(sha256, relative path)`` of every stimulus file the form can present."""
        return sorted((digest, rel) for rel, digest in self._document["assets"].items())

    def verify_assets(self) -> None:
        """Raise :class:`FormDocumentError` when a stimulus file is missing or is not the one
        the version was made with."""
        for digest, rel in self.assets():
            path = self._asset_root(digest, rel)
            try:
                found = hashlib.sha256(Path(path).read_bytes()).hexdigest()
            except OSError:
                raise FormDocumentError(detail=f"form {self.id}: asset {rel} missing") from None
            if found != digest:
                raise FormDocumentError(detail=f"form {self.id}: asset {rel} changed")

    # -- look-ups --------------------------------------------------------------------------------

    def section(self, index: int) -> FormSection:
        try:
            return self.sections[index]
        except (IndexError, TypeError):
            raise UnknownContent(detail=f"form {self.id}: no section {index!r}") from None

    def unit(self, unit_id: str) -> Item | Testlet:
        try:
            return self._units[unit_id]
        except (KeyError, TypeError):
            raise UnknownContent(detail=f"unknown unit {unit_id}") from None

    def item(self, item_id: str) -> Item:
        try:
            return self.items[item_id]
        except (KeyError, TypeError):
            raise UnknownContent(detail=f"unknown item {item_id}") from None

    def unit_ids(self) -> list[str]:
        """Every unit the form can present, practice included."""
        return list(self._units)

    def item_ids(self, unit_id: str) -> list[str]:
        unit = self.unit(unit_id)
        return [i.id for i in unit.items] if isinstance(unit, Testlet) else [unit.id]

    def unit_of(self, item_id: str) -> str:
        item = self.item(item_id)
        return item.testlet_id or item.id

    def practice_units(self, skill: str) -> list[str]:
        return list(self._practice.get(skill, ()))

    def practice_set(self, skill: str) -> dict[str, Any]:
        """Title and instructions of the practice set of ``skill`` (empty when it has none)."""
        ps = self._document["practice"].get(skill)
        return {} if ps is None else {"title": ps["title"], "instructions": ps["instructions"]}

    def rubric_of(self, item_id: str) -> Rubric | None:
        """The rubric a rated item is scored on (None for a machine-scored item)."""
        item = self.item(item_id)
        return self.rubrics.get(item.rubric) if item.rated and item.rubric else None

    # -- what the candidate sees -------------------------------------------------------------

    def candidate_view(self, unit_id: str, seed: int) -> dict[str, Any]:
        """The screen of one unit: shared stimulus and each item's view; no key, no parameter."""
        unit = self.unit(unit_id)
        if isinstance(unit, Testlet):
            stimulus, views = unit.stimulus.view(), [view_model(i, seed) for i in unit.items]
        else:
            vm = view_model(unit, seed)
            stimulus, views = vm.pop("stimulus", None), [vm]
        items = []
        for vm in views:
            vm = dict(vm)
            item_id, item_type = vm.pop("id"), vm.pop("type")
            vm.pop("stimulus", None)
            items.append({"id": item_id, "type": item_type, "view": vm})
        return {"unit_id": unit_id, "stimulus": stimulus, "items": items,
                "max_plays": self.max_plays(unit_id)}

    def max_plays(self, unit_id: str) -> int:
        stim = self.unit(unit_id).stimulus
        if stim is None or stim.kind != "audio":
            return 0
        return int(stim.max_plays or DEFAULT_MAX_PLAYS)

    def feedback(self, unit_id: str) -> str:
        """Practice only: the explanation shown after answering (never for scored units)."""
        if not any(unit_id in units for units in self._practice.values()):
            return ""
        unit = self.unit(unit_id)
        members = unit.items if isinstance(unit, Testlet) else (unit,)
        # One block per item (a blank line between): the screen keeps each item's lines and lists.
        return "\n\n".join(i.feedback.strip() for i in members if i.feedback)

    def asset_path(self, unit_id: str, kind: str) -> Path | None:
        """The stimulus file of a unit when its stimulus is of ``kind`` (audio or image)."""
        unit = self.unit(unit_id)
        stim = unit.stimulus
        if stim is None or stim.kind != kind or not stim.src:
            return None
        rel = _asset_rel(unit, stim.src)
        return self._asset_root(self._document["assets"][rel], rel)

    def audio_path(self, unit_id: str) -> Path | None:
        return self.asset_path(unit_id, "audio")

    def score(self, item_id: str, raw: Any) -> float | None:
        """The machine score of a raw response; None for a rated item (checked, scored later).
        Raises :class:`UnusableAnswer` (InvalidInput, with the Dutch message) when malformed."""
        item = self.items.get(item_id) if isinstance(item_id, str) else None
        if item is None:
            raise UnknownContent(detail=f"unknown item {item_id}")
        try:
            if item.rated:
                check_response(item, raw)
                return None
            return float(score_item(item, raw))
        except InvalidResponse as exc:
            raise UnusableAnswer(detail=str(exc)) from None

    # -- adaptive sections -----------------------------------------------------------------------

    def _cached(self, key: tuple, build: Callable[[], Any]) -> Any:
        value = self._cache.get(key)
        if value is None:
            with self._lock:
                value = self._cache.get(key)
                if value is None:
                    value = build()
                    self._cache[key] = value
        return value

    def _adaptive(self, section_index: int) -> FormSection:
        section = self.section(section_index)
        if not section.adaptive:
            raise UnknownContent(detail=f"form {self.id}: section {section_index} is fixed")
        return section

    def scoring_pool(self, skill: str) -> ItemPool:
        """The calibrated operational and pretest items of ``skill`` (pretest not selectable),
        in bank order, as the scoring core's pool (K = 1)."""
        def build() -> ItemPool:
            items = [i for i in self.items.values()
                     if i.skill == skill and i.status in POOL_STATUSES and i.id in self._scored]
            members = {t.id: [i.id for i in t.items] for t in self.testlets.values()}
            records = [item_record(i, selectable=i.status != "pretest") for i in items]
            return ItemPool.from_records(records, enemy_pairs(items, members))
        return self._cached(("pool", skill), build)

    @property
    def _scored(self) -> frozenset[str]:
        return self._cached(("scored",), lambda: frozenset(d["id"] for d in self._document["items"]))

    def pool(self, section_index: int) -> ItemPool:
        """The pool an adaptive section selects from: with the tuned K values of this test when
        its design uses Sympson-Hetter (K = 1 for every item when none were tuned)."""
        section = self._adaptive(section_index)

        def build() -> ItemPool:
            base = self.scoring_pool(section.skill)
            block = self.k_values.get(section.skill)
            if section.exposure != "sympson_hetter" or block is None:
                return base
            return base.with_sh_k(k_array(base, block["k"]))
        return self._cached(("sh_pool", section_index), build)

    def design(self, section_index: int) -> Design:
        """The pinned design of an adaptive section: name ``<test id>/<skill>``, version the
        form version."""
        section = self._adaptive(section_index)

        def build() -> Design:
            return design_from_config({**section.config, "target_level": self.target_level},
                                      self.cut_scores.get(section.skill) or None,
                                      name=section.design_name, version=self.version)
        return self._cached(("design", section_index), build)

    def design_version(self, section_index: int) -> str:
        """The version of a section's pinned design ("" for a fixed section)."""
        return self.version if self.section(section_index).adaptive else ""

    def excluded_by_enemies(self, presented_items: Iterable[str]) -> frozenset[str]:
        """The items that may no longer be presented because an enemy of theirs was."""
        out: set[str] = set()
        for item_id in presented_items:
            out |= self.enemies.get(item_id, frozenset())
        return frozenset(out)

    def _unit_allowed(self, unit_id: str, excluded: frozenset[str]) -> bool:
        return not excluded or not (set(self.item_ids(unit_id)) & excluded)

    def _state(self, pool: ItemPool, history: list[tuple[str, float]], seed: int,
               excluded: frozenset[str] = frozenset()) -> AdministrationState:
        pairs = [(item_id, int(round(s))) for item_id, s in history if item_id in pool.index]
        given = {item_id for item_id, _ in pairs}
        return AdministrationState.from_responses(pairs, seed, index=pool.index,
                                                  excluded=sorted(excluded - given))

    def select(self, section_index: int, history: list[tuple[str, float]],
               seen_units: list[str], seed: int, position: int, pretest_due: bool,
               presented_items: frozenset[str] = frozenset()) -> Selection:
        """The next unit of a section, rebuilt from the stored state.

        ``history``: scored (item id, score) pairs of the section in order (pretest left out);
        ``seen_units``: the units presented in the section so far; ``seed``: the attempt seed;
        ``position``: the 0-based position in the section; ``pretest_due``: a pretest slot;
        ``presented_items``: every item presented in the attempt so far, in any section (no
        unit with an enemy among them is chosen).
        """
        section = self.section(section_index)
        excluded = self.excluded_by_enemies(presented_items)
        if not section.adaptive:
            # A fixed task whose enemy was presented earlier is left out, not swapped: the
            # definition names its tasks, and the rule "never both" weighs more.
            remaining = [u for u in section.units
                         if u not in seen_units and self._unit_allowed(u, excluded)]
            if not remaining:
                return Selection(None, stop_reason="fixed_complete")
            return Selection(remaining[0])
        if pretest_due:
            pretest = self._pretest_unit(section.skill, seen_units, seed, position, excluded)
            if pretest is not None:
                return Selection(pretest, kind="pretest")
        pool = self.pool(section_index)
        state = self._state(pool, history, seed, excluded)
        step = next_step(self.design(section_index), pool, state)
        est = step.estimate
        if step.stop_reason is not None or not step.items:
            return Selection(None, theta=est.theta, se=est.se,
                             stop_reason=step.stop_reason or "stop")
        unit_id = self.unit_of(str(pool.ids[step.items[0]]))
        if unit_id in seen_units:  # a testlet partly answered can never be offered again
            return Selection(None, theta=est.theta, se=est.se, stop_reason="pool_exhausted")
        return Selection(unit_id, theta=est.theta, se=est.se)

    def pretest_units(self, skill: str) -> list[str]:
        """The pretest units of ``skill`` (sorted)."""
        return self._cached(("pretest", skill), lambda: sorted(
            {self.unit_of(i.id) for i in self.items.values()
             if i.skill == skill and i.status == "pretest" and i.id in self._scored}))

    def _pretest_unit(self, skill: str, seen: list[str], seed: int, position: int,
                      excluded: frozenset[str] = frozenset()) -> str | None:
        units = [u for u in self.pretest_units(skill)
                 if u not in seen and self._unit_allowed(u, excluded)]
        if not units:
            return None
        # The attempt's generator for this position (scoring.rng_for), like the engine.
        return units[int(rng_for(seed, position).integers(len(units)))]

    def category_probabilities(self, item_id: str, theta: float) -> list[float]:
        """P(score = k | θ) for k = 0..max of a machine-scored item under its parameters in this
        form (for simulated candidates: the demo, tests, benchmarks)."""
        item = self.item(item_id)
        pool = self.scoring_pool(item.skill)
        if item_id not in pool.index:
            raise UnknownContent(detail=f"{item_id} has no parameters in this form")
        probs = category_probabilities(pool, float(theta), [pool.index[item_id]])[0, :, 0]
        return [float(p) for p in probs[: item.max_score + 1]]

    def classification(self, section_index: int,
                       history: list[tuple[str, float]]) -> Classification:
        """θ̂, SE and the level of a section with P(each level), P(level decision correct) and
        P(level >= target)."""
        section = self.section(section_index)
        if not section.adaptive or not history:
            return Classification(None, None, "")
        pool = self.scoring_pool(section.skill)
        estimate = self.design(section_index).estimator.estimate(pool,
                                                                 self._state(pool, history, 0))
        return self._decide(section.skill, estimate)

    def _decide(self, skill: str, estimate: Estimate) -> Classification:
        theta, se = float(estimate.theta), float(estimate.se)
        cuts = self.cut_scores.get(skill)
        if not cuts:
            return Classification(theta, se, "")
        cut_scores = CutScores.from_mapping(cuts)
        target = self.target_level if self.target_level in cut_scores.all_levels else None
        decision = classify(estimate, cut_scores, target)
        return Classification(theta, se, decision.level, dict(decision.probabilities),
                              float(decision.probabilities[decision.level]),
                              decision.p_at_least_target, target)

    def classify(self, section_index: int,
                 history: list[tuple[str, float]]) -> tuple[float | None, float | None, str]:
        """(θ̂, SE, level) of a section; (None, None, "") for a fixed one or without responses."""
        return self.classification(section_index, history).as_tuple()

    # -- classification figures ------------------------------------------------------------------

    def decision_figures(self, section_index: int) -> dict[str, Any] | None:
        """Classification accuracy and consistency of a section at each cut (Rudner's method,
        ``scoring.accuracy``) for a N(0, 1) reference population, the conditional accuracy
        curves near each cut and the expected share of wrong decisions at the decisive cut
        (the design's decision level, else the form's target level). None without cut scores
        or without scored tasks.

        The SE of θ̂ at each θ: for an adaptive section the root mean square posterior SD of
        a seeded simulation of the section's own design and pool (``FIGURES_REPLICATIONS``
        administrations at each of the ``FIGURES_GRID`` points), so selection, content rules,
        exposure control and stopping are those the candidates meet; for a rated section
        1/√(1 + I(θ)) with I the information of its tasks' rubric criteria. Deterministic:
        the same form version gives the same figures (rule ``FIGURES_RULE``)."""
        key = (self.version, int(section_index))
        if key in _FIGURES:
            return _FIGURES[key]
        with _FIGURES_LOCK:
            if key not in _FIGURES:
                _FIGURES[key] = self._decision_figures(section_index)
        return _FIGURES[key]

    def _decision_figures(self, section_index: int) -> dict[str, Any] | None:
        section = self.section(section_index)
        cuts = self.cut_scores.get(section.skill)
        if not cuts:
            return None
        cut_scores = CutScores.from_mapping(cuts)
        grid = np.array(FIGURES_GRID)
        decisive = self.target_level
        if section.adaptive:
            design = self.design(section_index)
            decisive = design.decisive_level or decisive
            report = simulate(design, self.pool(section_index),
                              np.repeat(grid, FIGURES_REPLICATIONS), FIGURES_SEED)
            se = np.sqrt((report.se**2).reshape(grid.size, FIGURES_REPLICATIONS).mean(axis=1))
            source = (f"simulation of the section's design: {FIGURES_REPLICATIONS} "
                      f"administrations at each of {grid.size} θ points in [-4, 4]")
        else:
            params = [p for unit in section.units for item_id in self.item_ids(unit)
                      if self.item(item_id).rated
                      for p in self.criterion_parameters(item_id).values()]
            if not params:
                return None
            pool = ItemPool.from_records([p.record(f"c{k}") for k, p in enumerate(params)])
            info = item_information(pool, grid).sum(axis=0)
            se = 1.0 / np.sqrt(1.0 + info)
            source = "information of the rubric criteria of the section's tasks"
        nodes = np.linspace(-5.0, 5.0, 121)
        quality = rudner(cut_scores, nodes, np.exp(-nodes**2 / 2), np.interp(nodes, grid, se),
                         decisive=decisive if decisive in cut_scores.levels else None,
                         se_at=lambda t: np.interp(t, grid, se))
        return _round({"rule": FIGURES_RULE, "skill": section.skill, "population": "N(0, 1)",
                       "se_source": source,
                       "se_curve": [[float(t), float(v)] for t, v in zip(grid, se, strict=True)],
                       **quality.as_dict()})

    # -- rated sections ----------------------------------------------------------------------------

    def criterion_parameters(self, item_id: str) -> dict[str, Parameters]:
        """The GPCM parameters of each rubric criterion of a rated item (criterion id ->
        parameters; empty for a machine-scored item)."""
        return dict(self.item(item_id).criterion_parameters)

    def rated_observations(self, productions: Iterable[RatedProduction],
                           severities: Mapping[int, float] | None = None,
                           ) -> list[RatedObservation]:
        """The resolved criterion scores of ``productions`` as the scoring core's observations:
        each criterion's GPCM parameters from this form, the thresholds shifted by the rater's
        severity when ``severities`` is given (a rater without one: 0)."""
        out: list[RatedObservation] = []
        for production in productions:
            item = self.item(production.item_id)
            if not item.rated:
                raise UnknownContent(detail=f"{item.id} is not a rated item")
            params = item.criterion_parameters
            for o in production.observations:
                p = params.get(o.criterion)
                if p is None:
                    raise UnknownContent(detail=f"{item.id}: no criterion {o.criterion!r}")
                thresholds = tuple(p.thresholds) if not p.dichotomous else (float(p.b),)
                shift = 0.0
                if severities is not None and o.rater_id is not None:
                    shift = float(severities.get(int(o.rater_id), 0.0))
                try:
                    out.append(RatedObservation(float(p.a), thresholds, int(o.score),
                                                float(o.weight), shift))
                except ValueError as exc:
                    raise UnknownContent(detail=f"{item.id}/{o.criterion}: {exc}") from None
        return out

    def rated_classification(self, section_index: int,
                             productions: Iterable[RatedProduction],
                             severities: Mapping[int, float] | None = None) -> Classification:
        """θ̂, SE and the level of a rated (fixed) section from the resolved productions of its
        tasks, with P(each level), P(level decision correct) and P(level >= target).

        Each rubric criterion of a task is a GPCM item (:meth:`criterion_parameters`); the
        log-likelihood is the weighted sum over the observations; ``severities`` (rater id ->
        severity in logits, positive = severe) gives fair scores. The estimator is the versioned
        rule ``RATED_ESTIMATOR`` (``scoring.rated``: EAP, N(0, 1) prior, 81 nodes on [-6, 6]):
        a fixed section names no design, so it gets the prior and grid of the default design
        estimator. Without observations there is no decision (like an adaptive section without
        responses)."""
        section = self.section(section_index)
        if section.adaptive:
            raise UnknownContent(detail=f"form {self.id}: section {section_index} is adaptive")
        observations = self.rated_observations(productions, severities)
        if not observations:
            return Classification(None, None, "")
        return self._decide(section.skill, rated_eap(observations))
