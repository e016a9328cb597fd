"""The routing advice as data, case by case, with its effective dates (issue 17)."""

from __future__ import annotations

import datetime as dt

import pytest

from toetsbatterij.errors import InvalidInput
from toetsbatterij.intake import routing

RULES = routing.default_rules()
BEFORE, V1, V2 = dt.date(2015, 12, 31), dt.date(2024, 8, 31), dt.date(2024, 9, 1)


def _profile(level="A1", latin="good", mother="good", years=10, goals=()):
    return routing.Profile(level, latin, mother, years, frozenset(goals))


@pytest.mark.parametrize("profile, on, expected", [
    (_profile(latin="none", years=14), V1, ("alfa", "cbe", "alfa", "slow")),
    (_profile(latin="weak", years=6), V1, ("cbe-short-schooling", "cbe", "nt2", "slow")),
    (_profile(latin="weak", years=10), V1, ("cvo-standard", "cvo", "nt2", "standard")),
    (_profile(years=3), V1, ("cbe-short-schooling-literate", "cbe", "nt2", "slow")),
    (_profile(level="A2", years=16, goals=["study"]), V1,
     ("language-centre", "language_centre", "nt2", "fast")),
    (_profile(level="A1", years=16, goals=["study"]), V1, ("cvo-fast", "cvo", "nt2", "fast")),
    (_profile(years=12), V1, ("cvo-fast", "cvo", "nt2", "fast")),
    (_profile(years=9), V1, ("cvo-standard", "cvo", "nt2", "standard")),
    (_profile(years=7, goals=["work"]), V1, ("cvo-slow", "cvo", "nt2", "slow")),
    # From 1 September 2024 (version 2): weak Latin literacy without literacy in the mother
    # tongue goes to a literacy course; newcomers who want to work go at a standard pace.
    (_profile(latin="weak", mother="none", years=10), V1, ("cvo-standard", "cvo", "nt2",
                                                           "standard")),
    (_profile(latin="weak", mother="none", years=10), V2, ("alfa-weak", "cbe", "alfa", "slow")),
    (_profile(years=7, goals=["work"]), V2, ("cvo-work", "cvo", "nt2", "standard")),
    (_profile(level="below_A1", years=7, goals=["work"]), V2, ("cvo-slow", "cvo", "nt2",
                                                               "slow")),
])
def test_the_rule_in_force_gives_the_advice(profile, on, expected):
    advice = RULES.in_force(on).advise(profile)
    assert (advice.rule, advice.provider, advice.course, advice.pace) == expected
    assert advice.version == (2 if on >= V2 else 1)
    assert advice.start_level == profile.level


def test_no_rules_before_the_first_version():
    with pytest.raises(InvalidInput):
        RULES.in_force(BEFORE)


def test_the_profile_from_an_interview():
    p = routing.profile(None, {"latin_literacy": "weak", "mother_tongue_literacy": "good",
                               "schooling_years": 8, "goals": ["work", "study"]})
    assert p == routing.Profile("below_A1", "weak", "good", 8, frozenset({"work", "study"}))
    assert routing.profile("B1", {}).level == "B1"


@pytest.mark.parametrize("document", [
    {},
    {"versions": [{"version": 1, "rules": []}]},
    {"versions": [{"version": 1, "effective_from": dt.date(2020, 1, 1), "rules": [
        {"id": "x", "label": "x", "when": {"latin_literacy": ["none"]},
         "advice": {"provider": "cbe", "course": "alfa", "pace": "slow"}}]}]},  # no fallback
    {"versions": [{"version": 1, "effective_from": dt.date(2020, 1, 1), "rules": [
        {"id": "x", "label": "x", "when": {"shoe_size": 42},
         "advice": {"provider": "cbe", "course": "alfa", "pace": "slow"}}]}]},
    {"versions": [{"version": 1, "effective_from": dt.date(2020, 1, 1), "rules": [
        {"id": "x", "label": "x", "when": {},
         "advice": {"provider": "school", "course": "alfa", "pace": "slow"}}]}]},
    {"versions": [{"version": 1, "effective_from": dt.date(2020, 1, 1), "rules": [
        {"id": "x", "label": "x", "when": {"level_min": "Z9"},
         "advice": {"provider": "cbe", "course": "alfa", "pace": "slow"}}]}]},
])
def test_bad_rules_are_refused(document):
    with pytest.raises(InvalidInput):
        routing.RoutingRules.parse(document)
