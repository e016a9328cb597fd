"""The seam between delivery and the item bank + scoring core.

``BankContent`` implements ``attempts.Content`` on top of ``toetsbatterij.items`` (bank, views,
scoring) and ``toetsbatterij.scoring`` (design, next_step, classify). Everything here is
rebuilt from the stored responses on each call; the only caches are immutable pools/designs.
"""

from __future__ import annotations

import json
import random
from functools import lru_cache
from pathlib import Path
from typing import Any

from toetsbatterij.delivery.attempts import Selection
from toetsbatterij.delivery.exposure import (
    POOL_STATUSES,
    check_against_manifests,
    k_array,
    load_k_values,
)
from toetsbatterij.errors import InvalidInput
from toetsbatterij.items import (
    Bank,
    InvalidResponse,
    Item,
    Testlet,
    check_response,
    load_bank,
    score,
    view_model,
)
from toetsbatterij.scoring import (
    AdministrationState,
    CutScores,
    design_from_config,
    next_step,
)
from toetsbatterij.scoring import classify as classify_level

DEFAULT_MAX_PLAYS = 2


def open_bank(path: Path) -> BankContent:
    return BankContent(load_bank(path))


class BankContent:
    def __init__(self, bank: Bank) -> None:
        self.bank = bank
        self.bank_version = bank.version
        self._units: dict[str, Item | Testlet] = {}
        for item in bank.items.values():
            if item.testlet_id is None:
                self._units[item.id] = item
        self._units.update(bank.testlets)
        self._items: dict[str, Item] = dict(bank.items)
        self._practice: dict[str, list[str]] = {}
        for skill, ps in bank.practice.items():
            units: list[str] = []
            for unit_id, testlet in ps.testlets.items():
                self._units[unit_id] = testlet
                units.append(unit_id)
                for it in testlet.items:
                    self._items[it.id] = it
            for item in ps.items.values():
                self._items[item.id] = item
                if item.testlet_id is None:
                    self._units[item.id] = item
                    units.append(item.id)
            self._practice[skill] = sorted(units)
        self._enemies = _enemy_map(bank)
        self._pool = lru_cache(maxsize=None)(self._make_pool)
        # Tuned Sympson-Hetter K values (bank folder exposure/), checked once against the
        # manifests and applied once per cached pool, never per request.
        self.k_values = load_k_values(bank.root)
        check_against_manifests(self.k_values, {m.data["id"]: m.data
                                                for m in bank.tests.values()})
        self._sh_pool = lru_cache(maxsize=None)(self._make_sh_pool)
        self._designs: dict[tuple[str, int], Any] = {}

    # -- look-ups --------------------------------------------------------------------------------

    def unit(self, unit_id: str) -> Item | Testlet:
        try:
            return self._units[unit_id]
        except KeyError:
            raise InvalidInput(detail=f"unknown unit {unit_id}") from None

    def practice_units(self, skill: str) -> list[str]:
        return list(self._practice.get(skill, []))

    def item_ids(self, unit_id: str) -> list[str]:
        unit = self.unit(unit_id)
        return [i.id for i in unit.items] if isinstance(unit, Testlet) else [unit.id]

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

    def item_types(self) -> dict[str, str]:
        """Item id -> item type, for every item the bank can deliver (practice included)."""
        return {item_id: item.type for item_id, item in self._items.items()}

    def max_plays(self, unit_id: str) -> int:
        stim = self.unit(unit_id).stimulus
        if stim is None or stim.kind != "audio":
            return 0
        return int(stim.max_plays or DEFAULT_MAX_PLAYS)

    def feedback(self, unit_id: str) -> str:
        """Practice only: the explanation shown after answering (never for scored units)."""
        if unit_id not in {u for units in self._practice.values() for u in units}:
            return ""
        unit = self.unit(unit_id)
        members = unit.items if isinstance(unit, Testlet) else (unit,)
        return " ".join(i.feedback for i in members if i.feedback)

    def asset_path(self, unit_id: str, kind: str) -> Path | None:
        """The stimulus file of a unit when its stimulus is of ``kind`` (audio or image)."""
        unit = self.unit(unit_id)
        stim = unit.stimulus
        if stim is None or stim.kind != kind or not stim.src:
            return None
        return self.bank.asset_path(unit, stim.src)

    def audio_path(self, unit_id: str) -> Path | None:
        return self.asset_path(unit_id, "audio")

    def score(self, item_id: str, raw: Any) -> float | None:
        item = self._items.get(item_id)
        if item is None:
            raise InvalidInput(detail=f"unknown item {item_id}")
        try:
            if item.rated:
                check_response(item, raw)
                return None
            return float(score(item, raw))
        except InvalidResponse as exc:
            raise InvalidInput("Dit antwoord kan niet verwerkt worden.", detail=str(exc)) from None

    # -- adaptive sections -----------------------------------------------------------------------

    def _make_pool(self, skill: str) -> Any:
        return self.bank.pool(skill, statuses=POOL_STATUSES)

    def _make_sh_pool(self, test_id: str, skill: str) -> Any:
        base = self._pool(skill)
        block = self.k_values.get(test_id, {}).get(skill)
        return base if block is None else base.with_sh_k(k_array(base, block["k"]))

    def pool_for(self, manifest: dict[str, Any], section_index: int) -> Any:
        """The pool an adaptive section selects from: with the tuned K values of this test
        when its design uses Sympson-Hetter (K = 1 for all items when none were tuned)."""
        section = manifest["sections"][section_index]
        exposure = (section.get("design") or {}).get("exposure")
        method = exposure.get("method") if isinstance(exposure, dict) else exposure
        if method == "sympson_hetter":
            return self._sh_pool(str(manifest["id"]), section["skill"])
        return self._pool(section["skill"])

    def _design(self, manifest: dict[str, Any], index: int) -> Any:
        # Keyed by content (the manifest is re-read from the database on every request), so a
        # design is built once per definition version and section.
        key = (json.dumps([manifest["sections"][index], manifest.get("cut_scores"),
                           manifest.get("target_level")], sort_keys=True, default=str), index)
        design = self._designs.get(key)
        if design is None:
            section = manifest["sections"][index]
            cuts = (manifest.get("cut_scores") or {}).get(section["skill"])
            design = design_from_config({**section, "target_level": manifest.get("target_level")},
                                        cuts, name=f"{manifest['id']}/{section['skill']}")
            self._designs[key] = design
        return design

    def _state(self, pool: Any, history: list[tuple[str, float]], seed: int,
               excluded: frozenset[str] = frozenset()) -> Any:
        pairs = [(item_id, int(round(s))) for item_id, s in history if item_id in pool.index]
        given = {item_id for item_id, _ in pairs}
        return AdministrationState.from_responses(pairs, seed, index=pool.index,
                                                  excluded=sorted(excluded - given))

    def unit_of(self, item_id: str) -> str:
        item = self._items[item_id]
        return item.testlet_id or item.id

    def excluded_by_enemies(self, presented_items: frozenset[str]) -> frozenset[str]:
        """The items that may no longer be presented because an enemy of theirs was."""
        out: set[str] = set()
        for item_id in presented_items:
            out |= self._enemies.get(item_id, frozenset())
        return frozenset(out)

    def _unit_allowed(self, unit_id: str, excluded: frozenset[str]) -> bool:
        return not excluded or not (set(self.item_ids(unit_id)) & excluded)

    def select(self, manifest: dict[str, Any], section_index: int,
               history: list[tuple[str, float]], seen_units: list[str], seed: int,
               position: int, pretest_due: bool,
               presented_items: frozenset[str] = frozenset()) -> Selection:
        section = manifest["sections"][section_index]
        skill = section["skill"]
        excluded = self.excluded_by_enemies(presented_items)
        if section.get("mode") == "fixed" or ("items" in section and "design" not in section):
            # A fixed task whose enemy was presented earlier is left out, not swapped: the
            # definition names its tasks, and the rule "never both" weighs more.
            remaining = [u for u in section.get("items", [])
                         if u not in seen_units and self._unit_allowed(u, excluded)]
            if not remaining:
                return Selection(None, stop_reason="fixed_complete")
            return Selection(remaining[0])
        if pretest_due:
            pretest = self._pretest_unit(skill, seen_units, seed, position, excluded)
            if pretest is not None:
                return Selection(pretest, kind="pretest")
        pool = self.pool_for(manifest, section_index)
        design = self._design(manifest, section_index)
        state = self._state(pool, history, seed, excluded)
        step = next_step(design, pool, state)
        est = step.estimate
        if step.stop_reason is not None or not step.items:
            return Selection(None, theta=est.theta, se=est.se,
                             stop_reason=step.stop_reason or "stop")
        unit_id = self.unit_of(str(pool.ids[step.items[0]]))
        if unit_id in seen_units:  # a testlet partly answered can never be offered again
            return Selection(None, theta=est.theta, se=est.se, stop_reason="pool_exhausted")
        return Selection(unit_id, theta=est.theta, se=est.se)

    def _pretest_unit(self, skill: str, seen: list[str], seed: int, position: int,
                      excluded: frozenset[str] = frozenset()) -> str | None:
        units = sorted(u for u in {self.unit_of(i.id) for i in self.bank.select(
            skill=skill, statuses=("pretest",))} - set(seen) if self._unit_allowed(u, excluded))
        if not units:
            return None
        return random.Random(f"pretest:{seed}:{position}").choice(units)

    def classify(self, manifest: dict[str, Any], section_index: int,
                 history: list[tuple[str, float]]) -> tuple[float | None, float | None, str]:
        section = manifest["sections"][section_index]
        if section.get("mode") == "fixed" or not history:
            return None, None, ""
        pool = self._pool(section["skill"])
        design = self._design(manifest, section_index)
        estimate = design.estimator.estimate(pool, self._state(pool, history, 0))
        cuts = (manifest.get("cut_scores") or {}).get(section["skill"])
        level = ""
        if cuts:
            level = classify_level(estimate, CutScores.from_mapping(cuts)).level
        return float(estimate.theta), float(estimate.se), level


def _enemy_map(bank: Bank) -> dict[str, frozenset[str]]:
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
