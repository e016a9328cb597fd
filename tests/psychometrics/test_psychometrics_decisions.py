"""The decision study's parts: decisive levels from purpose profiles, targeted configurations,
the simulated bank, tuning to a mean length."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from psychometrics.decisions import RULES, decisive_levels, simulated_pool, targeted_config, tune
from toetsbatterij.attests.rules import default_rules
from toetsbatterij.items import load_bank
from toetsbatterij.items.designs import design_from_config
from toetsbatterij.items.form import build_form
from toetsbatterij.scoring import simulate

REAL = Path(__file__).resolve().parents[2] / "itembank"


@pytest.fixture(scope="module")
def form():
    return build_form(load_bank(REAL), "attest-4")


def test_decisive_levels_of_the_purpose_profiles():
    rules = default_rules()
    assert decisive_levels(rules, "nationaliteit") == {"listening": "A2", "speaking": "A2"}
    assert decisive_levels(rules, "nt2-richtgraad-2") == {"reading": "A2", "listening": "A2"}
    assert decisive_levels(rules, "kinderopvang") == {"reading": "A2", "writing": "A2",
                                                      "listening": "B1", "speaking": "B1"}


def test_targeted_config_and_the_simulated_bank(form):
    section = form.sections[0].config
    cfg = targeted_config(section, "A2", 60, {"glr": {"delta": 0.1, "alpha": 0.02, "beta": 0.02}})
    assert cfg["blueprint"]["length"] == 60 and cfg["design"]["stopping"]["max_items"] == 60
    assert all(c["max"] == 12 for c in cfg["blueprint"]["constraints"] if c["attribute"] == "topic")
    assert section["blueprint"]["length"] == 30  # the form's own section is untouched
    design = design_from_config({**cfg, "target_level": "A2"}, form.cut_scores["reading"])
    assert design.selection.at_cut == -1.2 and design.decisive_level == "A2"
    pool = form.pool(0)
    sim = simulated_pool(pool, 4)
    assert sim.ids == pool.ids and np.array_equal(sim.b, pool.b, equal_nan=True)
    assert np.array_equal(sim.sh_k, pool.sh_k) and sim.has_testlets and sim.has_enemies
    assert np.median(sim.a) == pytest.approx(1.3, rel=0.08)
    assert np.std(np.log(sim.a)) == pytest.approx(0.3, rel=0.15)


def test_tuning_reaches_the_target_length_from_below(form):
    section, pool, cuts = form.sections[0].config, form.pool(0), form.cut_scores["reading"]
    thetas = np.random.default_rng(1).standard_normal(60)
    rule = next(r for r in RULES if r.name == "sprt")

    def build(value):
        cfg = targeted_config(section, "A2", 40, rule.stopping(value))
        return design_from_config({**cfg, "target_level": "A2"}, cuts)

    value = tune(rule, build, pool, thetas, 18.0, 3, iterations=6)
    length = simulate(build(value), pool, thetas, 3).length_mean
    assert length <= 18.0
