"""The key-pattern report: key position, longest key and most hedged key per level and type."""

from __future__ import annotations

import copy
import subprocess
import sys

from toetsbatterij.items import load_bank
from toetsbatterij.items.keypatterns import (
    MAX_SHARE,
    hedges,
    key_pattern_problems,
    key_pattern_table,
    key_patterns,
)

from .itemfixtures import REAL_BANK, ROOT, SINGLE, write_bank


def test_hedging_words():
    assert hedges("Hij steunt het doel, maar heeft kritiek op de aanpak.") == 1
    assert hedges("Het hangt ervan af: soms kan het, maar niet altijd.") == 5
    assert hedges("Zowel de ouders als de kinderen") == 1
    assert hedges("Ze vindt dat ze te vaak samen moet eten.") == 0        # "te vaak" is no hedge
    assert hedges("Hij wil thuiswerk voor alle jobs mogelijk maken.") == 0  # nor "mogelijk maken"
    assert hedges("De trein vertrekt om 10.15 uur.") == 0


def _opinion_items(n, *, hedged_key, key="A"):
    docs = []
    for k in range(n):
        d = copy.deepcopy(SINGLE)
        d.pop("enemies")
        d["id"] = f"R-B2-{k + 1:04d}"
        d["level"] = "B2"
        d["prompt"] = "Wat vindt de schrijver van de maatregel?"
        balanced = "Hij is voor het doel, maar tegen de aanpak."
        plain = ["Hij is tegen de maatregel.", "Hij is voor de maatregel.", "Hij zegt er niets over."]
        texts = [balanced, *plain] if hedged_key else [plain[0], balanced, *plain[1:]]
        d["options"] = [{"id": x, "text": t} for x, t in zip("ABCD", texts, strict=True)]
        d["key"] = key
        docs.append(d)
    return docs


def test_a_bank_where_the_balanced_option_is_always_the_key_is_above_the_bar(tmp_path):
    bank = load_bank(write_bank(tmp_path / "b", _opinion_items(6, hedged_key=True), manifests=[]))
    groups = key_patterns(bank.items.values(), bank.vocabulary.levels)
    problems = key_pattern_problems(groups)
    assert "B2 opinion: key is the hedged option in 100 % of 6 items, above 40 %" in problems
    assert "B2 single_choice: key is the hedged option in 100 % of 6 items, above 40 %" in problems
    assert any(p.startswith("B2 single_choice: key is the position option in 100 %") for p in problems)
    assert "ABOVE THE BAR" in key_pattern_table(groups)
    out = subprocess.run([sys.executable, "-m", "toetsbatterij.items", "key-patterns", str(tmp_path / "b")],
                         capture_output=True, text=True, cwd=ROOT)
    assert out.returncode == 1 and "above 40 %" in out.stderr


def test_balanced_distractors_and_rotated_keys_pass(tmp_path):
    docs = _opinion_items(8, hedged_key=False)
    for d, key in zip(docs, "ABCDABCD", strict=True):
        d["key"] = key
    bank = load_bank(write_bank(tmp_path / "b", docs, manifests=[]))
    groups = key_patterns(bank.items.values(), bank.vocabulary.levels)
    hedged = [g for g in groups if g.kind == "opinion"][0]
    assert hedged.n == 8 and hedged.hedged == 2     # the key is the balanced option B twice
    assert key_pattern_problems(groups) == []


def test_small_groups_are_reported_but_not_judged(tmp_path):
    bank = load_bank(write_bank(tmp_path / "b", _opinion_items(3, hedged_key=True), manifests=[]))
    groups = key_patterns(bank.items.values(), bank.vocabulary.levels)
    assert key_pattern_problems(groups) == []
    assert "too few to judge" in key_pattern_table(groups)


def test_the_real_bank_passes_the_key_pattern_bar(real_bank):
    groups = key_patterns(real_bank.items.values(), real_bank.vocabulary.levels)
    assert key_pattern_problems(groups) == [], key_pattern_table(groups, verbose=True)
    judged = {(g.level, g.kind) for g in groups if g.judged}
    for level in ("A1", "A2", "B1", "B2"):
        assert (level, "single_choice") in judged and (level, "multiple_response") in judged
    assert ("B2", "opinion") in judged
    for g in groups:
        if g.judged:
            assert max(g.shares().values()) <= MAX_SHARE, (g.level, g.kind)
    out = subprocess.run([sys.executable, "-m", "toetsbatterij.items", "key-patterns", str(REAL_BANK)],
                         capture_output=True, text=True, cwd=ROOT)
    assert out.returncode == 0, out.stderr
