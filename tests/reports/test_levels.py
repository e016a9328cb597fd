"""What each level means in everyday words (toetsbatterij.reports.levels)."""

from __future__ import annotations

import re

import pytest

from toetsbatterij.delivery.definitions import SKILLS
from toetsbatterij.i18n import LANGUAGES, SOURCE_LANGUAGE, translator
from toetsbatterij.items.manifest import CUT_LEVELS
from toetsbatterij.reports import levels
from toetsbatterij.scoring.cefr import BELOW_A1, CEFR_ORDER


def test_the_levels_are_the_scoring_cores_codes():
    assert levels.BELOW_A1 == BELOW_A1
    assert set(levels.LEVELS) <= set(CEFR_ORDER)
    # every level a manifest can cut, and the one below the first cut
    assert set(levels.LEVELS) == {BELOW_A1, *CUT_LEVELS}


@pytest.mark.parametrize("skill", SKILLS)
def test_every_skill_and_level_has_a_short_plain_meaning(skill):
    for level in levels.LEVELS:
        text = levels.meaning(skill, level)
        assert text, (skill, level)
        sentences = [s for s in re.split(r"(?<=[.!?])\s+", text) if s]
        assert 1 <= len(sentences) <= 2, text
        assert len(text) <= 200, text
        # addressed to the candidate ("U kunt ...", "U begrijpt ..."), no jargon
        assert text.startswith(("U ", "Lezen", "Luisteren", "Schrijven", "Spreken", "Een ")), text
        assert not re.search(r"ERK|CEFR|theta|vaardigheid", text), text
    # the levels say different things
    assert len({levels.meaning(skill, lv) for lv in levels.LEVELS}) == len(levels.LEVELS)


def test_unknown_skill_or_level_has_no_meaning():
    assert levels.meaning("reading", "C2") is None
    assert levels.meaning("dancing", "A1") is None
    assert levels.level_name("A2") == "A2"
    assert levels.level_name(BELOW_A1) == "lager dan A1"
    assert levels.known("writing", "B1") and not levels.known("writing", "C2")


@pytest.mark.parametrize("lang", sorted(set(LANGUAGES) - {SOURCE_LANGUAGE}))
def test_the_meanings_are_translated(lang):
    t = translator(lang)
    for skill in SKILLS:
        for level in levels.LEVELS:
            msgid = levels.meaning(skill, level)
            assert t(msgid) != msgid, (lang, skill, level)
    assert t(levels.level_name(BELOW_A1)) != "lager dan A1"
    assert t(levels.SCALE) != levels.SCALE
