"""Manifest keys of decision-targeted designs and of cut-score provenance (issue 16)."""

from __future__ import annotations

import copy
from pathlib import Path

import pytest
import yaml

from toetsbatterij.items import load_bank
from toetsbatterij.items.manifest import parse_manifest

REAL = Path(__file__).resolve().parents[2] / "itembank"


@pytest.fixture(scope="module")
def real():
    bank = load_bank(REAL)
    raw = yaml.safe_load((REAL / "tests" / "attest-4.yaml").read_text(encoding="utf-8"))
    return bank, raw


def targeted(raw):
    doc = copy.deepcopy(raw)
    reading = doc["sections"][0]
    reading["design"]["decision"] = {"level": "A2", "profile": "nt2-richtgraad-2"}
    reading["design"]["selection"].update({"at_cut": True, "cut_window": 2.0})
    reading["design"]["stopping"] = {"min_items": 12, "max_items": 30, "decisive_z": 2.3,
                                     "glr": {"delta": 0.1, "alpha": 0.02, "beta": 0.02},
                                     "curtail": {"gamma": 0.01}}
    doc["cut_score_provenance"] = {"reading": {"version": "2026-1", "method": "bookmark",
                                               "date": "2026-11-30", "panel": "Panel NT2",
                                               "panel_size": 12, "se": {"A2": 0.05}, "rp": 0.67,
                                               "rounds": 2, "levels": ["A2"]}}
    return doc


def test_a_decision_targeted_design_and_provenance_pass_the_check(real):
    bank, raw = real
    manifest, problems = parse_manifest(targeted(raw), "t.yaml", bank.vocabulary, bank.items)
    assert problems == [] and manifest is not None
    design = manifest.design("reading")
    assert design.decisive_level == "A2" and design.selection.at_cut == -1.2
    assert manifest.data["cut_score_provenance"]["reading"]["panel_size"] == 12


@pytest.mark.parametrize("change, message", [
    (lambda d: d["sections"][0]["design"]["selection"].update(at_cut="ja"), "at_cut is true or false"),
    (lambda d: d["sections"][0]["design"]["decision"].update(level="X9"), "decision.level"),
    (lambda d: d["sections"][0]["design"]["stopping"]["glr"].update(gamma=1), "glr"),
    (lambda d: d["sections"][0]["design"]["stopping"].update(decisive_z=-1), "decisive_z"),
    (lambda d: d["cut_score_provenance"]["reading"].update(colour="blue"), "cut_score_provenance.reading"),
    (lambda d: d["cut_score_provenance"].update(juggling={}), "unknown skill"),
])
def test_bad_decision_keys_are_refused(real, change, message):
    bank, raw = real
    doc = targeted(raw)
    change(doc)
    _, problems = parse_manifest(doc, "t.yaml", bank.vocabulary, bank.items)
    assert any(message in str(p) for p in problems), problems
