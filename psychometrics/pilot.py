"""The pilot calibration plan: when does each pretest item have enough responses for the
fixed-parameter calibration that puts it on the operational scale?

The delivery seeds one pretest unit (an item, or a whole testlet) at each pretest position of an
adaptive section that the candidate reaches (``pretest: {positions: [6, 14]}``; positions count
the units presented, pretest included), drawn uniformly from the skill's pretest units not yet
seen (``TestForm._pretest_unit``). A candidate reaches position p when the adaptive part has not
stopped before; the share that does is estimated by simulating the section's own design. So a
pretest unit collects, per month,

    candidates per month × Σ_p P(reach p) / number of pretest units

responses for each of its items. Operational items still on provisional parameters collect
responses at their exposure rate (from the same simulation): they need a first calibration too.
An item is *ready* when its responses so far reach the target; the plan gives, for every other
item, the months until it does.

The calibration that follows is ``psychometrics calibrate --fixed OPERATIONAL.csv`` (the
operational items fixed, the ready pretest items estimated on their scale), then ``publish
--promote``.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from toetsbatterij.scoring import AdministrationState, category_probabilities, next_step, rng_for

from .data import InputError, _open_csv, _rows

__all__ = ["PlanRow", "reach_probabilities", "pilot_plan", "read_agencies", "read_counts"]


@dataclass(frozen=True)
class PlanRow:
    item: str
    unit: str
    skill: str
    level: str
    status: str              # pretest | operational
    parameters: str          # provisional | calibration | expert
    n_now: int
    per_month: float
    months_to_target: float | None   # 0: ready; None: never (no responses expected)
    ready: bool


def read_agencies(path: str | Path) -> dict[str, float]:
    path = Path(path)
    handle, reader, header = _open_csv(path, ("agency", "candidates_per_month"))
    out: dict[str, float] = {}
    with handle:
        for row_no, row in _rows(path, reader, header):
            try:
                value = float(row["candidates_per_month"].replace(",", "."))
            except ValueError:
                raise InputError(path, row_no, f"candidates_per_month {row['candidates_per_month']!r} "
                                 "is geen getal") from None
            if not (math.isfinite(value) and value >= 0):
                raise InputError(path, row_no, "candidates_per_month is een niet-negatief getal")
            if row["agency"] in out:
                raise InputError(path, row_no, f"agentschap {row['agency']!r} staat er twee keer in")
            out[row["agency"]] = value
    if not out:
        raise InputError(path, None, "geen enkel agentschap")
    return out


def read_counts(path: str | Path) -> dict[str, int]:
    """Responses so far per item: ``item,n`` (e.g. from a calibration's PARAMS.csv) or a long
    RESPONSES.csv (``person,item,score``: counted)."""
    path = Path(path)
    handle, reader, header = _open_csv(path, ("item",))
    out: dict[str, int] = {}
    with handle:
        counting = "n" not in header
        for row_no, row in _rows(path, reader, header):
            if counting:
                out[row["item"]] = out.get(row["item"], 0) + 1
                continue
            try:
                out[row["item"]] = out.get(row["item"], 0) + int(row["n"])
            except ValueError:
                raise InputError(path, row_no, f"n = {row['n']!r} is geen geheel getal") from None
    return out


def reach_probabilities(form, section_index: int, *, n: int = 400, seed: int = 1
                        ) -> tuple[dict[int, float], np.ndarray]:
    """(position -> share of candidates that reach that pretest position, exposure per pool item)
    for a N(0, 1) population, by simulating the section's design unit by unit as the delivery
    does (a pretest slot takes a position but no adaptive step)."""
    section = form.section(section_index)
    design, pool = form.design(section_index), form.pool(section_index)
    positions = sorted(section.pretest_positions)
    reached = dict.fromkeys(positions, 0)
    exposure = np.zeros(pool.n)
    thetas = np.random.default_rng(seed).standard_normal(n)
    for j, theta in enumerate(thetas):
        admin_seed = int(np.random.SeedSequence([seed, j]).generate_state(1)[0])
        responses = rng_for(admin_seed, 2**31)
        cum = np.cumsum(category_probabilities(pool, theta)[:, :, 0], axis=1)[:, :-1]
        state = AdministrationState((), (), admin_seed)
        position = 0
        while True:
            if (position + 1) in reached:
                reached[position + 1] += 1
                position += 1
                continue
            step = next_step(design, pool, state)
            if step.stop_reason is not None:
                break
            u = responses.random(len(step.items))
            scores = [int(np.count_nonzero(u[k] > cum[i])) for k, i in enumerate(step.items)]
            state = state.extended(step.items, scores)
            position += 1
        exposure[state.items_array] += 1
    return {p: reached[p] / n for p in positions}, exposure / n


def pilot_plan(form, candidates_per_month: float, target: int, *, counts: Mapping[str, int] | None = None,
               n_sim: int = 400, seed: int = 1, skills: set[str] | None = None
               ) -> tuple[list[PlanRow], dict[str, dict[int, float]]]:
    """One row per pretest item and per operational item on provisional parameters of every
    adaptive section (of ``skills``); and per skill the reach probability of each pretest
    position."""
    if target < 1:
        raise InputError(None, None, "--target moet minstens 1 zijn")
    if not candidates_per_month >= 0:
        raise InputError(None, None, "het aantal kandidaten per maand is niet negatief")
    counts = counts or {}
    rows: list[PlanRow] = []
    reach_by_skill: dict[str, dict[int, float]] = {}
    for section in form.sections:
        if not section.adaptive or (skills and section.skill not in skills):
            continue
        reach, exposure = reach_probabilities(form, section.index, n=n_sim, seed=seed)
        reach_by_skill[section.skill] = reach
        units = form.pretest_units(section.skill)
        per_unit = candidates_per_month * sum(reach.values()) / len(units) if units else 0.0
        pool = form.pool(section.index)
        for unit in units:
            for item_id in form.item_ids(unit):
                rows.append(_row(form.item(item_id), unit, per_unit, counts, target))
        for item_id in pool.ids:
            item = form.item(str(item_id))
            source = (item.parameters.provenance or {}).get("source") if item.parameters else None
            if item.status == "operational" and source == "provisional":
                rate = candidates_per_month * float(exposure[pool.index[str(item_id)]])
                rows.append(_row(item, form.unit_of(item.id), rate, counts, target))
    rows.sort(key=lambda r: (r.status != "pretest", r.skill, math.inf if r.months_to_target is None
                             else r.months_to_target, r.item))
    return rows, reach_by_skill


def _row(item, unit: str, per_month: float, counts: Mapping[str, int], target: int) -> PlanRow:
    n_now = int(counts.get(item.id, 0))
    source = str((item.parameters.provenance or {}).get("source", "calibration")) if item.parameters else ""
    if n_now >= target:
        months: float | None = 0.0
    elif per_month <= 0:
        months = None
    else:
        months = (target - n_now) / per_month
    return PlanRow(item.id, unit, item.skill, item.level, item.status, source, n_now, float(per_month),
                   months, n_now >= target)
